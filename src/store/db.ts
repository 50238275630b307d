/**
 * Opens the store: Kysely over better-sqlite3 (`sqlite:<path>`, the embedded
 * default) or over pg (`postgres://…`). Both speak the same schema
 * (schema.ts) and migrations (migrations.ts).
 */
import { chmodSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, type Dialect as KyselyDialect, PostgresDialect, SqliteDialect, sql } from "kysely";
import pg from "pg";
import { migrateToLatest } from "./migrations.js";
import type { Database } from "./schema.js";

export type Dialect = "sqlite" | "postgres";

export interface Store {
  db: Kysely<Database>;
  dialect: Dialect;
  /** For SQLite: the database file path (":memory:" for an in-memory base); null on PostgreSQL. */
  sqlitePath: string | null;
  /** The raw connection behind `db` on SQLite (for prepared-statement hot paths). */
  sqlite: BetterSqlite3.Database | null;
  /** The pool behind `db` on PostgreSQL (for COPY). */
  pgPool: pg.Pool | null;
  /** PostgreSQL schema the connection works in (from search_path), or null. */
  pgSchema: string | null;
  close(): Promise<void>;
}

/**
 * A dialect for a connection already inside a transaction (an import's): its
 * `db.transaction()` fails instead of nesting. On PostgreSQL a nested BEGIN
 * only warns, and its COMMIT would commit the import halfway; on SQLite it
 * fails. Both now fail the same way.
 */
export function insideTransaction(dialect: KyselyDialect): KyselyDialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createDriver: () => {
      const driver = dialect.createDriver();
      return new Proxy(driver, {
        get(target, property) {
          if (property === "beginTransaction") {
            return async () => {
              throw new Error(
                "Já dentro da transação da importação: use ctx.db diretamente, sem abrir outra transação.",
              );
            };
          }
          const value = Reflect.get(target, property, target);
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
    },
  };
}

/** Thrown for a DATABASE_URL remessa cannot use; the message is for the operator. */
export class DatabaseUrlError extends Error {}

/** Wait this long for another writer's lock before failing (SQLite). */
const SQLITE_BUSY_TIMEOUT_MS = 30_000;

export function sqlitePathFromUrl(url: string): string | null {
  if (!url.startsWith("sqlite:")) return null;
  let rest = url.slice("sqlite:".length);
  if (rest.startsWith("//")) rest = rest.slice(2);
  if (rest === ":memory:" || rest === "") return ":memory:";
  return resolve(rest);
}

/** Opens a raw better-sqlite3 connection with remessa's settings (WAL, foreign keys, busy timeout). */
export function openSqliteConnection(path: string): BetterSqlite3.Database {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const conn = new BetterSqlite3(path, { timeout: SQLITE_BUSY_TIMEOUT_MS });
  // The database holds personal data: owner-only, whatever the umask. SQLite
  // creates -wal and -shm with the main file's mode, so this covers them from
  // now on; ones left by an older version are fixed here too.
  if (path !== ":memory:") ownerOnlyFiles([path, `${path}-wal`, `${path}-shm`]);
  conn.pragma("journal_mode = WAL");
  conn.pragma("synchronous = NORMAL");
  conn.pragma("foreign_keys = ON");
  conn.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  return conn;
}

function ownerOnlyFiles(paths: string[]): void {
  for (const path of paths) {
    try {
      chmodSync(path, 0o600);
    } catch {
      // Not there (yet), or not ours to change: SQLite reports a real problem on open.
    }
  }
}

/** Statements kept prepared per connection (the dispatcher's and the pipeline's hot ones are a few dozen). */
const CACHED_STATEMENTS = 256;

/**
 * The connection as Kysely's SQLite driver sees it, with its statements kept
 * prepared: the driver prepares every query anew, and on the dispatcher's
 * batches (a few statements of a few hundred rows each) preparing was 5–8 %
 * of the work. A statement still being iterated (a streamed query) is not
 * handed out again; a fresh one is prepared for that call.
 */
export function cachingStatements(conn: BetterSqlite3.Database): {
  prepare: BetterSqlite3.Database["prepare"];
  close: () => void;
} {
  const cache = new Map<string, BetterSqlite3.Statement>();
  const prepare = (source: string): BetterSqlite3.Statement => {
    const cached = cache.get(source);
    if (cached !== undefined && !cached.busy) {
      // Most recently used last, so the first key is the one to drop.
      cache.delete(source);
      cache.set(source, cached);
      return cached;
    }
    const statement = conn.prepare(source);
    if (cached === undefined) {
      cache.set(source, statement);
      if (cache.size > CACHED_STATEMENTS) cache.delete(cache.keys().next().value as string);
    }
    return statement;
  };
  return { prepare: prepare as BetterSqlite3.Database["prepare"], close: () => conn.close() };
}

/** int8 (ids, counts) as JS numbers: every value we store is far below 2^53. */
const pgTypes = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === 20 && format !== "binary") return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

export function newPgPool(url: string, max = 10): pg.Pool {
  return new pg.Pool({ connectionString: url, max, types: pgTypes });
}

export async function openDatabase(url: string): Promise<Store> {
  const sqlitePath = sqlitePathFromUrl(url);
  if (sqlitePath) {
    const conn = openSqliteConnection(sqlitePath);
    const db = new Kysely<Database>({
      dialect: new SqliteDialect({ database: cachingStatements(conn) }),
    });
    return {
      db,
      dialect: "sqlite",
      sqlitePath,
      sqlite: conn,
      pgPool: null,
      pgSchema: null,
      close: () => db.destroy(),
    };
  }
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
    const misplaced = misplacedSchemaParameter(url);
    if (misplaced) {
      // pg ignores these: the tables would silently go to the default schema (public).
      throw new DatabaseUrlError(
        `DATABASE_URL: o parâmetro "${misplaced}" não escolhe o schema no PostgreSQL (seria usado o schema padrão, public). Use options=-c%20search_path%3DNOME, por exemplo: postgres://usuario@servidor:5432/banco?options=-c%20search_path%3Dremessa`,
      );
    }
    const pool = newPgPool(url);
    // An idle client's network error must not crash the process; the next query reports it.
    pool.on("error", () => {});
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    let schema: string | null;
    try {
      const { rows } = await sql<{
        schema: string | null;
        path: string;
      }>`select current_schema() as schema, current_setting('search_path') as path`.execute(db);
      schema = rows[0]?.schema ?? null;
      // No schema of the search_path exists (or none is usable): every table
      // would be created nowhere, and migrating fails with a bare "no schema
      // has been selected to create in" or "relation ... does not exist".
      if (schema === null) throw new DatabaseUrlError(missingSchemaMessage(rows[0]?.path ?? ""));
    } catch (error) {
      await db.destroy();
      throw error;
    }
    return {
      db,
      dialect: "postgres",
      sqlitePath: null,
      sqlite: null,
      pgPool: pool,
      pgSchema: schema,
      close: () => db.destroy(),
    };
  }
  throw new DatabaseUrlError(
    `DATABASE_URL inválida: use "sqlite:CAMINHO/remessa.db" ou "postgres://usuario@servidor:5432/banco".`,
  );
}

/** A query parameter that looks like it chooses the schema but that pg does not read. */
function misplacedSchemaParameter(url: string): string | null {
  let params: URLSearchParams;
  try {
    params = new URL(url).searchParams;
  } catch {
    return null; // pg reports a malformed URL itself
  }
  for (const key of params.keys()) {
    if (/^(search_?path|schema|currentschema)$/i.test(key)) return key;
  }
  return null;
}

function missingSchemaMessage(searchPath: string): string {
  const name =
    searchPath
      .split(",")
      .map((part) => part.trim().replace(/^"(.*)"$/, "$1"))
      .find((part) => part !== "" && part !== "$user") ?? "remessa";
  return `O schema do PostgreSQL indicado em DATABASE_URL (search_path=${searchPath}) não existe, ou o usuário não tem permissão de usá-lo. Crie-o uma vez (psql: CREATE SCHEMA ${name}; e, para outro usuário, GRANT USAGE, CREATE ON SCHEMA ${name} TO usuario;) ou corrija o parâmetro options=-c search_path=... da URL.`;
}

/** Opens and migrates: what every command that uses the base calls. */
export async function openMigrated(url: string): Promise<Store> {
  const store = await openDatabase(url);
  try {
    const outcome = await migrateToLatest(store.db, store.dialect, store.pgSchema ?? undefined);
    if (outcome.error) throw outcome.error;
    return store;
  } catch (error) {
    await store.close();
    throw error;
  }
}
