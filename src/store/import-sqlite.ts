/**
 * SQLite import session: one IMMEDIATE transaction on a dedicated connection
 * (so the rest of the process keeps its own connection and sees nothing until
 * commit), prepared statements per person. better-sqlite3 is synchronous, so
 * each batch is written in one go between awaits of the reader.
 */
import type BetterSqlite3 from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import type { PersonRecord } from "../mailing/types.js";
import { openSqliteConnection, type Store } from "./db.js";
import type { ImportChunk, ImportSession, WriteTarget } from "./import.js";
import {
  blankToNull,
  channelsJson,
  fieldsJson,
  mergeChannelLists,
  type StoredChannel,
} from "./import-rows.js";
import type { Database } from "./schema.js";

export async function openSqliteImportSession(store: Store): Promise<ImportSession> {
  if (!store.sqlitePath) throw new Error("not a SQLite store");
  // An in-memory base exists only on its own connection: share it (tests only).
  const shared = store.sqlitePath === ":memory:";
  const conn = shared ? store.sqlite! : openSqliteConnection(store.sqlitePath);
  // A larger page cache for the bulk work (negative = KiB), kept modest so a
  // 1-million-row import stays under ~300 MB of RSS with the reader.
  if (!shared) conn.pragma("cache_size = -32768");
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: conn }) });
  conn.exec("BEGIN IMMEDIATE");
  let open = true;
  let writer: SqliteWriter | null = null;
  const close = async () => {
    open = false;
    if (!shared) await db.destroy();
  };
  return {
    db,
    start(target) {
      writer = new SqliteWriter(conn, target);
    },
    async write(chunk) {
      writer!.write(chunk);
    },
    async finish() {
      return writer!.finish();
    },
    async commit() {
      if (!open) return;
      conn.exec("COMMIT");
      await close();
    },
    async rollback() {
      if (!open) return;
      try {
        if (conn.inTransaction) conn.exec("ROLLBACK");
      } finally {
        await close();
      }
    },
  };
}

class SqliteWriter {
  private readonly upsertPerson: BetterSqlite3.Statement;
  private readonly addMailingPerson: BetterSqlite3.Statement;
  private readonly getMailingPerson: BetterSqlite3.Statement;
  private readonly setMailingPerson: BetterSqlite3.Statement;
  private readonly addChannel: BetterSqlite3.Statement;
  private readonly addMember: BetterSqlite3.Statement;
  private readonly clearTags: BetterSqlite3.Statement;
  private readonly addTag: BetterSqlite3.Statement;
  private readonly addRejection: BetterSqlite3.Statement;
  private persons = 0;
  private inserted = 0;

  constructor(
    private readonly conn: BetterSqlite3.Database,
    private readonly t: WriteTarget,
  ) {
    this.upsertPerson = conn.prepare(`
      INSERT INTO persons (tenant_id, key_kind, key, cod_cliente, document, name, fields_json,
                           created_mailing_id, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (tenant_id, key_kind, key) DO UPDATE SET
        cod_cliente = coalesce(excluded.cod_cliente, persons.cod_cliente),
        document = coalesce(excluded.document, persons.document),
        name = coalesce(excluded.name, persons.name),
        fields_json = CASE WHEN excluded.fields_json = '{}' THEN persons.fields_json
                           ELSE json_patch(persons.fields_json, excluded.fields_json) END,
        updated_at = excluded.updated_at
      RETURNING id, created_mailing_id`);
    this.addMailingPerson = conn.prepare(`
      INSERT INTO mailing_persons (tenant_id, mailing_id, person_id, first_line, message, channels_json)
      VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (mailing_id, person_id) DO NOTHING`);
    this.getMailingPerson = conn.prepare(
      "SELECT message, channels_json FROM mailing_persons WHERE mailing_id = ? AND person_id = ?",
    );
    this.setMailingPerson = conn.prepare(
      "UPDATE mailing_persons SET message = ?, channels_json = ? WHERE mailing_id = ? AND person_id = ?",
    );
    this.addChannel = conn.prepare(`
      INSERT INTO person_channels (tenant_id, person_id, kind, value, created_at)
      VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (person_id, value) DO NOTHING`);
    this.addMember = conn.prepare(`
      INSERT INTO wallet_members (tenant_id, wallet_id, person_id, mailing_id, joined_at)
      VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (wallet_id, person_id) DO UPDATE SET mailing_id = excluded.mailing_id`);
    this.clearTags = conn.prepare("DELETE FROM person_tags WHERE tenant_id = ? AND person_id = ?");
    this.addTag = conn.prepare(`
      INSERT INTO person_tags (tenant_id, person_id, tag, created_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (person_id, tag) DO NOTHING`);
    this.addRejection = conn.prepare(`
      INSERT INTO mailing_rejections (tenant_id, mailing_id, line, code, message, raw)
      VALUES (?, ?, ?, ?, ?, ?)`);
  }

  write(chunk: ImportChunk): void {
    for (const record of chunk.persons) this.writePerson(record);
    const { tenantId, mailingId } = this.t;
    for (const r of chunk.rejected) {
      this.addRejection.run(tenantId, mailingId, r.line, r.code, r.message, r.raw);
    }
  }

  private writePerson(record: PersonRecord): void {
    const { tenantId, mailingId, walletId, now } = this.t;
    const row = this.upsertPerson.get(
      tenantId,
      record.keyKind,
      record.key,
      blankToNull(record.codCliente),
      blankToNull(record.document),
      blankToNull(record.name),
      fieldsJson(record.fields),
      mailingId,
      now,
      now,
    ) as { id: number; created_mailing_id: number | null };
    const personId = row.id;
    const first =
      this.addMailingPerson.run(
        tenantId,
        mailingId,
        personId,
        record.firstLine,
        blankToNull(record.message),
        channelsJson(record),
      ).changes === 1;
    if (first) {
      this.persons++;
      if (row.created_mailing_id === mailingId) this.inserted++;
      this.addMember.run(tenantId, walletId, personId, mailingId, now);
      // `_limpartag`: the person's tags become exactly this file's, so the
      // old ones go once, on the person's first record in the file.
      if (this.t.replaceTags) this.clearTags.run(tenantId, personId);
    } else {
      // The same person again, further down the file: merge this file's view.
      const prev = this.getMailingPerson.get(mailingId, personId) as {
        message: string | null;
        channels_json: string;
      };
      const merged = mergeChannelLists(
        JSON.parse(prev.channels_json) as StoredChannel[],
        JSON.parse(channelsJson(record)) as StoredChannel[],
      );
      this.setMailingPerson.run(
        prev.message ?? blankToNull(record.message),
        JSON.stringify(merged),
        mailingId,
        personId,
      );
    }
    for (const c of record.channels) this.addChannel.run(tenantId, personId, c.kind, c.value, now);
    for (const tag of record.tags) if (tag) this.addTag.run(tenantId, personId, tag, now);
  }

  finish(): { persons: number; inserted: number } {
    if (this.t.removeOtherWallets) {
      this.conn
        .prepare(
          `DELETE FROM wallet_members
           WHERE tenant_id = ? AND wallet_id <> ?
             AND person_id IN (SELECT person_id FROM mailing_persons WHERE mailing_id = ?)`,
        )
        .run(this.t.tenantId, this.t.walletId, this.t.mailingId);
    }
    return { persons: this.persons, inserted: this.inserted };
  }
}
