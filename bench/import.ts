/**
 * Benchmark of the import (reader + transactional writer) of a generated
 * long-layout mailing, on SQLite or PostgreSQL, against two floors measured
 * in the same run on the same file:
 * - the bulk-insert floor: the file split by our CSV splitter and inserted
 *   raw into one plain table (prepared statements in one transaction for
 *   SQLite; COPY for PostgreSQL);
 * - the raw-load floor: the database's own bulk loader on the file, into an
 *   unindexed table (`sqlite3` CLI `.import` into 13 text columns;
 *   `psql \copy` into a one-column text table, one row per line, because
 *   COPY's CSV mode refuses the file's short rows).
 *
 * Cases (each a fresh database): `--order together` (a person's rows next to
 * each other), `shuffled` (every row at a random place), `blocks` (all phones,
 * then all e-mails), a comma list or `all`; `--base empty`, `prefilled` (the
 * base already holds the file's people as the day before sent them: ~10% of
 * the messages, ~2% of the contacts and ~5% of the tags differ) or `both`
 * (the default); `--prefilled` is `--base prefilled`. `--keys random`:
 * CODCLIENTE in no order (as files keyed by CPF arrive).
 *
 * `--tenants 2` (PostgreSQL): the file imported by one process alone into a
 * fresh schema, then by two processes at the same moment for two tenants of
 * another fresh schema (what two `serve` workers do when two tenants drop a
 * file at the same minute): each one's time and the pair's wall time ÷ the
 * one alone (target ≤ 1.3).
 *
 * With an empty base, each case also measures the write floor (see
 * writeFloor): the rows that import wrote, copied inside the database into
 * tables of the same shape with their indexes (the cheaper of building them
 * before or after the rows). It is what any importer must
 * make the database do, so `writeFloorSeconds` ÷ `rawFloorSeconds` says how
 * close to the raw load an import can ever come.
 *
 * Each measurement runs in a fresh child process (and a fresh database) so
 * its peak RSS is its own. Floors and cases run `--repeat` times (default 1),
 * interleaved, and the median of each is compared.
 * Usage: npm run bench:import [-- --rows N] [--db sqlite|postgres] [--repeat N] [--tenants 2]
 *        [--keys sequential|random] [--order together,shuffled,blocks|all]
 *        [--base empty|prefilled|both] [--prefilled]
 * The last line is JSON: {"db","rows","floorSeconds","rawFloorSeconds",
 * "cases":{"together/empty":{"seconds","ratio","rawRatio","peakRssMB",...}},
 * "orderRatios":{"shuffled/empty":…},"peakRssMB",...}; ratio = floor time /
 * our time (higher is better), orderRatios = our time / the together case's.
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createReadStream, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { importOnlyMailing, type Mailing } from "../src/filename/index.js";
import { CsvSplitter } from "../src/mailing/csv.js";
import { readMailing } from "../src/mailing/reader.js";
import { createChunkDecoder } from "../src/mailing/text.js";
import { openMigrated, openSqliteConnection, type Store } from "../src/store/db.js";
import { importMailing, splitReader } from "../src/store/import.js";
import { createTenant } from "../src/store/tenants.js";
import { createWallet } from "../src/store/wallets.js";
import { generateMailing, type MailingOrder, parseOrder } from "./generate-mailing.js";
import { median, peakRssMb, round, runPhaseChild } from "./measure.js";

const PG_URL = process.env.REMESSA_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
type Db = "sqlite" | "postgres";
type Phase = "floor" | "raw" | "empty" | "prefilled" | "tenant";

interface Measure {
  phase: Phase;
  rows: number;
  seconds: number;
  persons: number;
  inserted: number;
  updated: number;
  peakRssMB: number;
  /** Empty base: writeFloor's seconds for what this import wrote. */
  writeFloorSeconds?: number;
}

/** The tables an import writes. */
const IMPORTED_TABLES = [
  "persons",
  "person_channels",
  "mailing_persons",
  "wallet_members",
  "person_tags",
  "mailing_rejections",
] as const;

/**
 * The write floor: the rows an import into an empty base wrote, copied inside
 * the database into tables of the same shape with their indexes, in one
 * transaction, in the cheaper of two orders (indexes before or after the
 * rows). No parsing, no validation, no client traffic: the least work any
 * importer must make the database do to end with these rows and indexes. The raw-load floor (one text
 * table, no index) has no index to build, which is why it sits so far below.
 */
async function writeFloor(store: Store): Promise<number> {
  const copy = (t: string) => `floor_${t}`;
  // Both orders are timed, indexes before the rows and after them, and the
  // cheaper one is the floor: which one wins depends on the database and the
  // rows' order.
  if (store.sqlite) {
    const conn = store.sqlite;
    const tables: string[] = [];
    const inserts: string[] = [];
    const indexes: string[] = [];
    for (const t of IMPORTED_TABLES) {
      const table = conn
        .prepare("select sql from sqlite_master where type = 'table' and name = ?")
        .get(t) as { sql: string };
      tables.push(
        table.sql.replace(/^create table (if not exists )?"?\w+"?/i, `CREATE TABLE "${copy(t)}"`),
      );
      inserts.push(`INSERT INTO "${copy(t)}" SELECT * FROM "${t}"`);
      const own = conn
        .prepare(
          "select sql from sqlite_master where type = 'index' and tbl_name = ? and sql is not null",
        )
        .all(t) as { sql: string }[];
      for (const { sql: text } of own) {
        indexes.push(
          text
            .replace(/index "?(\w+)"?/i, 'INDEX "floor_$1"')
            .replace(new RegExp(`on "?${t}"?`, "i"), `ON "${copy(t)}"`),
        );
      }
    }
    const time = (statements: string[]): number => {
      conn.pragma("wal_checkpoint(truncate)");
      // As on PostgreSQL (LIKE copies no foreign key): the least work, so no
      // foreign key checks; the importer pays for its own.
      conn.pragma("foreign_keys = off");
      const t0 = performance.now();
      conn.transaction(() => {
        for (const text of statements) conn.exec(text);
      })();
      const seconds = (performance.now() - t0) / 1000;
      conn.pragma("foreign_keys = on");
      for (const t of IMPORTED_TABLES) conn.exec(`DROP TABLE "${copy(t)}"`);
      return seconds;
    };
    return Math.min(
      time([...tables, ...indexes, ...inserts]),
      time([...tables, ...inserts, ...indexes]),
    );
  }
  const client = await store.pgPool!.connect();
  try {
    const schema = store.pgSchema ?? "public";
    const { rows: defs } = await client.query<{ tablename: string; indexdef: string }>(
      "select tablename, indexdef from pg_indexes where schemaname = $1 and tablename = any($2)",
      [schema, [...IMPORTED_TABLES]],
    );
    const indexes = defs.map(({ tablename, indexdef }) =>
      indexdef
        .replace(/INDEX (\w+) ON/, "INDEX floor_$1 ON")
        .replace(new RegExp(`ON (\\w+\\.)?${tablename} USING`), `ON ${copy(tablename)} USING`),
    );
    const tables = IMPORTED_TABLES.map(
      (t) => `create table ${copy(t)} (like ${t} including defaults)`,
    );
    const inserts = IMPORTED_TABLES.map((t) => `insert into ${copy(t)} select * from ${t}`);
    const time = async (statements: string[]): Promise<number> => {
      await client.query("checkpoint").catch(() => {});
      const t0 = performance.now();
      await client.query("begin");
      for (const text of statements) await client.query(text);
      await client.query("commit");
      const seconds = (performance.now() - t0) / 1000;
      for (const t of IMPORTED_TABLES) await client.query(`drop table ${copy(t)}`);
      return seconds;
    };
    return Math.min(
      await time([...tables, ...indexes, ...inserts]),
      await time([...tables, ...inserts, ...indexes]),
    );
  } finally {
    client.release();
  }
}

function mailing(sequence: number): Mailing {
  return importOnlyMailing({ date: "2026-11-26", sequence, wallet: "BENCH", description: "bench" });
}

/** A database of its own for one child: a temp SQLite file or a fresh PostgreSQL schema. */
async function scratch(
  db: Db,
): Promise<{ url: string; schema: string; dispose: () => Promise<void> }> {
  if (db === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "remessa-bench-"));
    return {
      url: `sqlite:${join(dir, "bench.db")}`,
      schema: "",
      dispose: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const schema = `bench_${randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  // Each run starts with no dirty pages left by the one before (its writes,
  // the schema it dropped): otherwise the checkpoint they trigger lands in
  // whichever run comes next, floor or import.
  await admin.query("checkpoint");
  await admin.end();
  const u = new URL(PG_URL);
  u.searchParams.set("options", `-c search_path=${schema}`);
  return {
    url: u.toString(),
    schema,
    dispose: async () => {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`drop schema ${schema} cascade`);
      await c.end();
    },
  };
}

async function importFile(store: Store, file: string, sequence: number, tenantId = 1) {
  const reader = splitReader(readMailing(file, { extension: "csv", sanitize: false }));
  const result = await importMailing(store, {
    tenantId,
    mailing: mailing(sequence),
    fileName: `mailing_261126_${sequence}_cBENCH.csv`,
    path: file,
    folder: null,
    content: reader.content,
    summary: reader.summary,
  });
  if (!result.ok) throw new Error(`import failed: ${JSON.stringify(result.errors)}`);
  return result;
}

const FLOOR_COLUMNS = 13;

async function floorSqlite(url: string, file: string): Promise<number> {
  const conn = openSqliteConnection(url.slice("sqlite:".length));
  const cols = Array.from({ length: FLOOR_COLUMNS }, (_, i) => `c${i}`);
  conn.exec(`CREATE TABLE plain (${cols.map((c) => `${c} TEXT`).join(", ")})`);
  const insert = conn.prepare(`INSERT INTO plain VALUES (${cols.map(() => "?").join(", ")})`);
  const values: (string | null)[] = new Array(FLOOR_COLUMNS).fill(null);
  let rows = -1; // the header
  const splitter = new CsvSplitter(";", (fields, count) => {
    rows++;
    if (rows === 0) return;
    for (let i = 0; i < FLOOR_COLUMNS; i++) values[i] = i < count ? (fields[i] ?? null) : null;
    insert.run(values);
  });
  const decoder = createChunkDecoder("windows-1252");
  conn.exec("BEGIN");
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    splitter.push(decoder.write(chunk as Buffer));
  }
  splitter.push(decoder.end());
  splitter.end();
  conn.exec("COMMIT");
  conn.close();
  return rows;
}

/** COPY text format cell. */
function copyCell(value: string | undefined): string {
  if (value === undefined) return "\\N";
  return /[\\\t\n\r]/.test(value)
    ? value.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r")
    : value;
}

async function floorPostgres(url: string, file: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const cols = Array.from({ length: FLOOR_COLUMNS }, (_, i) => `c${i} text`).join(", ");
  await client.query(`CREATE TABLE plain (${cols})`);
  const copy = client.query(copyFrom("COPY plain FROM STDIN"));
  const done = new Promise<void>((resolve, reject) => {
    copy.on("finish", resolve);
    copy.on("error", reject);
  });
  let rows = -1; // the header
  let pending: string[] = [];
  const splitter = new CsvSplitter(";", (fields, count) => {
    rows++;
    if (rows === 0) return;
    let line = copyCell(count > 0 ? fields[0] : undefined);
    for (let i = 1; i < FLOOR_COLUMNS; i++)
      line += `\t${copyCell(i < count ? fields[i] : undefined)}`;
    pending.push(`${line}\n`);
  });
  const decoder = createChunkDecoder("windows-1252");
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    splitter.push(decoder.write(chunk as Buffer));
    if (!copy.write(pending.join(""))) await once(copy, "drain");
    pending = [];
  }
  splitter.push(decoder.end());
  splitter.end();
  copy.end(pending.join(""));
  await done;
  await client.end();
  return rows;
}

/**
 * The database's own bulk loader on the file, timed around its process:
 * `sqlite3 .import` into 13 text columns, `psql \copy` of each line into a
 * one-column text table (WIN1252 converted by the server).
 */
function floorRaw(db: Db, target: { url: string; schema: string }, file: string): number {
  const run =
    db === "sqlite"
      ? spawnSync(
          "sqlite3",
          [
            target.url.slice("sqlite:".length),
            `CREATE TABLE plain (${Array.from({ length: FLOOR_COLUMNS }, (_, i) => `c${i} TEXT`).join(", ")});`,
            ".mode csv",
            ".separator ;",
            `.import --skip 1 ${file} plain`,
          ],
          { encoding: "utf8", maxBuffer: 1 << 26 },
        )
      : spawnSync(
          "psql",
          [
            PG_URL,
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            `CREATE TABLE ${target.schema}.plain (line text)`,
            "-c",
            `\\copy ${target.schema}.plain FROM '${file}' WITH (FORMAT text, ENCODING 'WIN1252')`,
          ],
          { encoding: "utf8", maxBuffer: 1 << 26 },
        );
  // sqlite3 warns about each short row on stderr (and fills the rest with NULL).
  if (run.status !== 0) throw new Error(`${db} raw load failed: ${run.stderr.slice(0, 2000)}`);
  return db === "sqlite" ? -1 : Number(/COPY (\d+)/.exec(run.stdout)?.[1] ?? -1) - 1;
}

/**
 * `--tenants`: one tenant's import into a schema prepared by the parent
 * (`url`), started when the parent says so (a line on stdin), so the
 * children's imports begin together, after their start-up.
 */
async function measureTenant(url: string, file: string, tenantId: number): Promise<Measure> {
  const store = await openMigrated(url);
  try {
    console.log("pronto");
    await once(process.stdin, "data");
    const t0 = performance.now();
    const result = await importFile(store, file, 2, tenantId);
    const seconds = (performance.now() - t0) / 1000;
    return {
      phase: "tenant",
      rows: result.rows,
      seconds,
      persons: result.persons,
      inserted: result.inserted,
      updated: result.updated,
      peakRssMB: peakRssMb(),
    };
  } finally {
    await store.close();
  }
}

/** A fresh schema with `tenants` tenants, each with the BENCH wallet. */
async function tenantsSchema(tenants: number) {
  const target = await scratch("postgres");
  const store = await openMigrated(target.url);
  try {
    for (let t = 1; t <= tenants; t++) {
      if (t > 1) await createTenant(store.db, { name: `bench ${t}` });
      await createWallet(store.db, t, { code: "BENCH" });
    }
  } finally {
    await store.close();
  }
  return target;
}

/** Tenants 1..n import `file` at once, one child process each; their measures and the wall time. */
async function importConcurrently(
  file: string,
  tenants: number,
): Promise<{ each: Measure[]; wallSeconds: number }> {
  const target = await tenantsSchema(tenants);
  try {
    const children = Array.from({ length: tenants }, (_, k) => {
      const child = spawn(
        process.execPath,
        [
          "--import",
          "tsx",
          fileURLToPath(import.meta.url),
          "--db",
          "postgres",
          "--phase",
          "tenant",
          "--file",
          file,
          "--url",
          target.url,
          "--tenant",
          String(k + 1),
        ],
        { stdio: ["pipe", "pipe", "inherit"] },
      );
      let out = "";
      child.stdout.setEncoding("utf8");
      child.stdout.on("data", (d: string) => {
        out += d;
      });
      const ready = new Promise<void>((resolve) => {
        const check = () => (out.includes("pronto") ? resolve() : setTimeout(check, 20));
        check();
      });
      const done = once(child, "exit").then(([code]) => {
        if (code !== 0) throw new Error(`tenant ${k + 1} import exited ${code}`);
        return JSON.parse(out.trim().split("\n").pop() ?? "{}") as Measure;
      });
      return { child, ready, done };
    });
    await Promise.all(children.map((c) => c.ready));
    const t0 = performance.now();
    for (const c of children) c.child.stdin.end("vai\n");
    const each = await Promise.all(children.map((c) => c.done));
    return { each, wallSeconds: (performance.now() - t0) / 1000 };
  } finally {
    await target.dispose();
  }
}

async function measure(db: Db, phase: Phase, file: string, prefill: string): Promise<Measure> {
  const target = await scratch(db);
  const none = { persons: 0, inserted: 0, updated: 0 };
  try {
    if (phase === "floor" || phase === "raw") {
      const t0 = performance.now();
      const rows =
        phase === "raw"
          ? floorRaw(db, target, file)
          : db === "sqlite"
            ? await floorSqlite(target.url, file)
            : await floorPostgres(target.url, file);
      const seconds = (performance.now() - t0) / 1000;
      return { phase, rows, seconds, ...none, peakRssMB: peakRssMb() };
    }
    const store = await openMigrated(target.url);
    try {
      await createWallet(store.db, 1, { code: "BENCH" });
      if (phase === "prefilled") await importFile(store, prefill, 1);
      const t0 = performance.now();
      const result = await importFile(store, file, 2);
      const seconds = (performance.now() - t0) / 1000;
      const peakRssMB = peakRssMb();
      return {
        phase,
        rows: result.rows,
        seconds,
        persons: result.persons,
        inserted: result.inserted,
        updated: result.updated,
        peakRssMB,
        // On a pre-filled base the import wrote only part of what the tables hold.
        ...(phase === "empty" ? { writeFloorSeconds: await writeFloor(store) } : {}),
      };
    } finally {
      await store.close();
    }
  } finally {
    await target.dispose();
  }
}

function runChild(db: Db, phase: Phase, file: string, prefill: string): Measure {
  return runPhaseChild<Measure>(import.meta.url, [
    "--db",
    db,
    "--phase",
    phase,
    "--file",
    file,
    "--prefill",
    prefill,
  ]);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: "string", default: "1000000" },
      db: { type: "string", default: "sqlite" },
      phase: { type: "string" },
      file: { type: "string" },
      prefill: { type: "string" },
      repeat: { type: "string", default: "1" },
      keys: { type: "string", default: "sequential" },
      order: { type: "string", default: "together" },
      base: { type: "string", default: "both" },
      prefilled: { type: "boolean", default: false },
      tenants: { type: "string" },
      url: { type: "string" },
      tenant: { type: "string" },
    },
  });
  const db = values.db as Db;
  if (db !== "sqlite" && db !== "postgres") throw new Error("--db must be sqlite or postgres");
  if (values.phase === "tenant") {
    console.log(
      JSON.stringify(await measureTenant(values.url!, values.file!, Number(values.tenant))),
    );
    return;
  }
  if (values.phase) {
    console.log(
      JSON.stringify(await measure(db, values.phase as Phase, values.file!, values.prefill!)),
    );
    return;
  }
  const rows = Number(values.rows);
  const dir = join(process.cwd(), ".bench");
  mkdirSync(dir, { recursive: true });
  const keys = values.keys === "random" ? "random" : "sequential";
  const orders: MailingOrder[] =
    values.order === "all"
      ? ["together", "shuffled", "blocks"]
      : values.order.split(",").map((o) => parseOrder(o.trim()));
  const base = values.prefilled ? "prefilled" : values.base;
  if (base !== "empty" && base !== "prefilled" && base !== "both")
    throw new Error("--base must be empty, prefilled or both");
  const bases: ("empty" | "prefilled")[] = base === "both" ? ["empty", "prefilled"] : [base];
  const stem = keys === "random" ? `import-${rows}-random` : `import-${rows}`;
  const fileOf = (order: MailingOrder | "day-before") =>
    join(dir, order === "together" ? `${stem}.csv` : `${stem}-${order}.csv`);
  const generate = async (order: MailingOrder, dayBefore: boolean) => {
    const file = fileOf(dayBefore ? "day-before" : order);
    if (existsSync(file)) return;
    console.error(`gerando ${file} (${rows} linhas)...`);
    await generateMailing({
      rows,
      out: file,
      encoding: "windows-1252",
      badRowRatio: 0.02,
      seed: 7,
      keys,
      order,
      dayBefore,
    });
  };
  for (const order of orders) await generate(order, false);
  // The day before, as its file arrived (rows of a person together).
  if (bases.includes("prefilled")) await generate("together", true);
  const prefill = fileOf("day-before");

  if (values.tenants !== undefined) {
    const tenants = Number(values.tenants);
    if (db !== "postgres" || !Number.isInteger(tenants) || tenants < 2)
      throw new Error("--tenants N (N ≥ 2) is for --db postgres");
    const file = fileOf(orders[0]!);
    const alone = await importConcurrently(file, 1);
    const together = await importConcurrently(file, tenants);
    const one = alone.wallSeconds;
    const ratio = together.wallSeconds / one;
    console.log(
      `postgres: ${rows} linhas; um inquilino sozinho ${one.toFixed(2)} s; ${tenants} ao mesmo tempo ${together.wallSeconds.toFixed(2)} s (cada um ${together.each.map((m) => m.seconds.toFixed(2)).join(" / ")} s) = ${ratio.toFixed(2)}× o sozinho (meta ≤ 1,3); pico RSS ${Math.max(...together.each.map((m) => m.peakRssMB))} MB por processo`,
    );
    console.log(
      JSON.stringify({
        db,
        rows,
        tenants,
        aloneSeconds: round(one),
        togetherSeconds: round(together.wallSeconds),
        eachSeconds: together.each.map((m) => round(m.seconds)),
        ratio: round(ratio),
        persons: together.each.map((m) => m.persons),
        peakRssMB: Math.max(...together.each.map((m) => m.peakRssMB)),
      }),
    );
    return;
  }
  // Floors and cases interleaved, each `repeat` times (noise hits them alike).
  const repeat = Math.max(1, Number(values.repeat));
  const cases = orders.flatMap((order) => bases.map((b) => ({ order, base: b })));
  const floors: Measure[] = [];
  const raws: Measure[] = [];
  const runs = new Map<string, Measure[]>(cases.map((c) => [`${c.order}/${c.base}`, []]));
  for (let i = 0; i < repeat; i++) {
    floors.push(runChild(db, "floor", fileOf(orders[0]!), prefill));
    raws.push(runChild(db, "raw", fileOf(orders[0]!), prefill));
    for (const c of cases) {
      runs.get(`${c.order}/${c.base}`)!.push(runChild(db, c.base, fileOf(c.order), prefill));
    }
  }
  const seconds = (list: Measure[]) => median(list.map((m) => m.seconds));
  const all = (list: Measure[]) => list.map((m) => m.seconds.toFixed(2)).join(" / ");
  const floor = seconds(floors);
  const raw = seconds(raws);
  console.log(`${db}: chaves ${keys === "random" ? "fora de ordem" : "em ordem"}, ${rows} linhas`);
  console.log(
    `${db}: piso (inserção crua pelo nosso divisor) ${floor.toFixed(2)} s (${all(floors)}); piso de carga bruta (${db === "sqlite" ? "sqlite3 .import" : "psql \\copy"}) ${raw.toFixed(2)} s (${all(raws)})`,
  );
  const summary: Record<string, unknown> = {};
  for (const [name, list] of runs) {
    const s = seconds(list);
    const last = list[list.length - 1]!;
    const entry = {
      seconds: round(s),
      runs: list.map((m) => round(m.seconds)),
      rowsPerSecond: Math.round(last.rows / s),
      ratio: round(floor / s),
      rawRatio: round(raw / s),
      peakRssMB: Math.max(...list.map((m) => m.peakRssMB)),
      persons: last.persons,
      inserted: last.inserted,
      updated: last.updated,
      ...(last.writeFloorSeconds !== undefined
        ? { writeFloorSeconds: round(median(list.map((m) => m.writeFloorSeconds ?? 0))) }
        : {}),
    };
    summary[name] = entry;
    console.log(
      `${db}: ${name}: ${last.rows} linhas (${last.persons} pessoas, ${last.inserted} novas, ${last.updated} atualizadas) em ${s.toFixed(2)} s (${all(list)}) = ${entry.rowsPerSecond} linhas/s; razão ${entry.ratio} do piso, ${entry.rawRatio} da carga bruta; pico RSS ${entry.peakRssMB} MB`,
    );
    if (entry.writeFloorSeconds !== undefined) {
      // What 0.35 of the raw load would leave, against what writing the rows alone takes.
      console.log(
        `${db}: ${name}: piso de escrita (as linhas gravadas, copiadas no próprio banco para tabelas iguais, com seus índices, sem chaves estrangeiras) ${entry.writeFloorSeconds.toFixed(2)} s = ${round(entry.writeFloorSeconds / raw)}× a carga bruta; 0,35 da carga bruta pediria a importação inteira em ${(raw / 0.35).toFixed(2)} s`,
      );
    }
  }
  const orderRatios: Record<string, number> = {};
  for (const c of cases) {
    const together = runs.get(`together/${c.base}`);
    if (c.order === "together" || !together) continue;
    orderRatios[`${c.order}/${c.base}`] = round(
      seconds(runs.get(`${c.order}/${c.base}`)!) / seconds(together),
    );
  }
  if (Object.keys(orderRatios).length > 0)
    console.log(`${db}: tempo em relação ao arquivo em ordem: ${JSON.stringify(orderRatios)}`);
  console.log(
    JSON.stringify({
      db,
      keys,
      rows: runs.values().next().value?.[0]?.rows ?? rows,
      floorSeconds: round(floor),
      rawFloorSeconds: round(raw),
      cases: summary,
      orderRatios,
      peakRssMB: Math.max(...[...runs.values()].flat().map((m) => m.peakRssMB)),
    }),
  );
}

await main();
