/**
 * SQLite import session: one IMMEDIATE transaction on a dedicated connection
 * (so the rest of the process keeps its own connection and sees nothing until
 * commit), prepared multi-row statements. better-sqlite3 is synchronous, so
 * each batch is written in one go between awaits of the reader.
 *
 * Per batch: the records of one person are merged in memory first (same
 * result as writing them one by one), then each table gets one multi-row
 * statement per 64 rows instead of one statement per row — the per-statement
 * cost (binding, VDBE start, the call into the addon) was most of the import.
 */
import type BetterSqlite3 from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import type { PersonRecord } from "../mailing/types.js";
import { busyRetry } from "./busy.js";
import { insideTransaction, openSqliteConnection, type Store } from "./db.js";
import type { ImportChunk, ImportSession, WriteTarget } from "./import.js";
import {
  blankToNull,
  channelsJson,
  fieldsJson,
  firstContacts,
  IntHashSet,
  mergeChannelLists,
  mergeRecords,
  recordKey,
  type StoredChannel,
} from "./import-rows.js";
import type { Database } from "./schema.js";

export async function openSqliteImportSession(store: Store): Promise<ImportSession> {
  if (!store.sqlitePath) throw new Error("not a SQLite store");
  // An in-memory base exists only on its own connection: share it (tests only).
  const shared = store.sqlitePath === ":memory:";
  const conn = shared ? store.sqlite! : openSqliteConnection(store.sqlitePath);
  // The page cache for the bulk work (negative = KiB), set here rather than
  // left to the build's default. 16 MB: the tables grow at their end, so
  // 32 MB was no faster (also with keys in random order) and cost ~35 MB more
  // of peak RSS on a 1-million-row import.
  if (!shared) conn.pragma("cache_size = -16384");
  // The temporary table of later records (see SqliteWriter.addExtras) is
  // written once and read once in order: a small cache of its own is enough.
  if (!shared) conn.pragma("temp.cache_size = -2048");
  const db = new Kysely<Database>({
    dialect: insideTransaction(new SqliteDialect({ database: conn })),
  });
  try {
    if (shared) conn.exec("BEGIN IMMEDIATE");
    else await beginImmediate(conn);
  } catch (error) {
    // This session's own connection is not left open.
    if (!shared) await db.destroy();
    throw error;
  }
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

/** How long an import waits for another import (the write lock) before failing. */
const WRITE_LOCK_WAIT_MS = 30 * 60_000;

/**
 * Takes the write lock, waiting for another writer (another import, in this
 * process or another) without blocking the event loop. better-sqlite3's busy
 * timeout waits synchronously: with an import of this process holding the
 * lock, that import could not go on, and the process (lease renewals, the FTP
 * drop box) stood still for the whole timeout before failing.
 */
async function beginImmediate(conn: BetterSqlite3.Database): Promise<void> {
  conn.pragma("busy_timeout = 0");
  await busyRetry(() => conn.exec("BEGIN IMMEDIATE"), WRITE_LOCK_WAIT_MS);
}

/** Rows per multi-row statement: a power of two (see MultiRow). */
const ROWS_PER_STATEMENT = 64;

/**
 * A multi-row statement (`head VALUES (..),(..) tail`) prepared lazily for
 * 64, 32, …, 1 rows, so any number of rows takes at most a handful of
 * statement shapes and few calls into SQLite. `row` may depend on the row's
 * position in the statement (0-based), e.g. to number the rows of a VALUES
 * list that is joined.
 *
 * Values are `put` one by one into a parameter array kept per shape (a
 * statement runs as soon as 64 rows are in; `flush` runs the rest): no
 * parameter array per batch or per statement to allocate, which kept each
 * batch alive across garbage collections and grew the heap.
 */
class MultiRow {
  private readonly shapes: (BetterSqlite3.Statement | undefined)[] = [];
  private readonly params: unknown[][] = [];
  private readonly width: number;
  /** The full shape's parameters, being filled. */
  private readonly full: unknown[];
  private filled = 0;
  /** Rows run since the last flush. */
  private done = 0;

  /**
   * `onRow`, for a statement that returns rows: called with each one (an
   * array of its columns) and the number of rows run before its statement
   * since the last flush.
   */
  constructor(
    private readonly conn: BetterSqlite3.Database,
    private readonly head: string,
    private readonly row: string | ((position: number) => string),
    private readonly tail: string,
    private readonly onRow: ((row: unknown[], firstRow: number) => void) | null = null,
  ) {
    this.width = (typeof row === "string" ? row : row(0)).split("?").length - 1;
    this.full = this.paramsFor(ROWS_PER_STATEMENT);
  }

  /** Values put since the last flush that have not been run yet. */
  get pending(): number {
    return this.filled;
  }

  /** The next value of the current row; runs the statement once 64 rows are complete. */
  put(value: unknown): void {
    this.full[this.filled++] = value;
    if (this.filled === this.full.length) {
      this.exec(ROWS_PER_STATEMENT, this.full);
      this.filled = 0;
    }
  }

  /** Runs the rows put and not run yet; the next rows count from 0 again. */
  flush(): void {
    const { width, full } = this;
    let at = 0;
    let size = ROWS_PER_STATEMENT;
    const rows = this.filled / width;
    while (at < rows) {
      while (size > rows - at) size >>= 1;
      const p = this.paramsFor(size);
      for (let i = 0; i < p.length; i++) p[i] = full[at * width + i];
      this.exec(size, p);
      at += size;
    }
    this.filled = 0;
    this.done = 0;
  }

  private exec(rows: number, p: unknown[]): void {
    const s = this.shape(rows);
    if (this.onRow) {
      for (const r of s.all(p) as unknown[][]) this.onRow(r, this.done);
    } else {
      s.run(p);
    }
    this.done += rows;
  }

  private paramsFor(rows: number): unknown[] {
    let p = this.params[rows];
    if (!p) {
      p = new Array(rows * this.width).fill(null);
      this.params[rows] = p;
    }
    return p;
  }

  private shape(rows: number): BetterSqlite3.Statement {
    let s = this.shapes[rows];
    if (!s) {
      const { row } = this;
      const values =
        typeof row === "string"
          ? new Array(rows).fill(row)
          : Array.from({ length: rows }, (_, i) => row(i));
      s = this.conn.prepare(`${this.head} VALUES ${values.join(",")} ${this.tail}`);
      if (this.onRow) s.raw(true);
      this.shapes[rows] = s;
    }
    return s;
  }
}

/**
 * The records of one batch, one per person (later records of a person merged
 * into the first, as PersonBatch does), in order of first appearance. Keyed
 * by the key alone: no key string to build per record; the rare key shared
 * by two kinds of key goes through a second map.
 */
function mergeBatch(list: PersonRecord[]): PersonRecord[] {
  const records: PersonRecord[] = [];
  const byKey = new Map<string, number>();
  let byKindAndKey: Map<string, number> | null = null;
  for (const r of list) {
    const i = byKey.get(r.key);
    if (i === undefined) {
      byKey.set(r.key, records.length);
      records.push(r);
    } else if (records[i]!.keyKind === r.keyKind) {
      records[i] = mergeRecords(records[i]!, r);
    } else {
      byKindAndKey ??= new Map();
      const k = recordKey(r);
      const j = byKindAndKey.get(k);
      if (j === undefined) {
        byKindAndKey.set(k, records.length);
        records.push(r);
      } else {
        records[j] = mergeRecords(records[j]!, r);
      }
    }
  }
  return records;
}

/**
 * Every insert of the import is `OR ROLLBACK`: a multi-row statement that
 * could fail half-way (ABORT, the default) makes SQLite first copy each page
 * it touches into a statement journal, to undo just that statement; that
 * copying was ~15% of the writer's time. Nothing here is meant to fail (ids
 * and keys are known to be new or are upserted); if one ever does, the error
 * still reaches importMailing, whose rollback finds the transaction already
 * rolled back — all or nothing either way, and the same for I/O errors
 * (without a statement journal SQLite rolls back the whole transaction).
 */
const INSERT = "INSERT OR ROLLBACK INTO";

/**
 * Whether an upserted person's row changes: a non-empty value that differs,
 * or fields that add or change a key (both sides in SQLite's JSON form).
 */
const PERSON_CHANGES = `(excluded.cod_cliente IS NOT NULL AND excluded.cod_cliente IS NOT persons.cod_cliente)
      OR (excluded.document IS NOT NULL AND excluded.document IS NOT persons.document)
      OR (excluded.name IS NOT NULL AND excluded.name IS NOT persons.name)
      OR (excluded.fields_json <> '{}'
          AND json_patch(persons.fields_json, excluded.fields_json) IS NOT json(persons.fields_json))`;

/** An integer for inlining into SQL (ids known to the writer, never user text). */
function int(n: number): string {
  if (!Number.isSafeInteger(n)) throw new Error(`not an id: ${n}`);
  return String(n);
}

/** A string literal for inlining into SQL. */
function text(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/**
 * The random-order index on contact values costs most of the import when
 * maintained row by row (about 4 µs a row against under 1 µs to build it
 * once). When this import has already written at least as many contacts as
 * the table held before (e.g. a first load into an empty base) it is dropped
 * inside the import transaction and rebuilt just before commit: other
 * connections keep reading their snapshot (with the index), a rollback or a
 * crash restores it, and the rebuild never costs more than the inserts done.
 */
const CHANNEL_VALUE_INDEX = "person_channels_tenant_value";
let rebuildMinRows = 50_000;

/** Tests lower the point at which the contact-value index is rebuilt instead of maintained. */
export function setSqliteIndexRebuildMinRows(rows: number): void {
  rebuildMinRows = Math.max(0, rows);
}

/** The temporary table of later records of a person (see SqliteWriter.addExtras). */
const EXTRAS = "import_extras";
/** Later records merged per page (their people's rows read in one statement). */
const EXTRAS_PER_PAGE = 4096;

class SqliteWriter {
  private readonly findPersons: MultiRow;
  private readonly lastPersonId: BetterSqlite3.Statement;
  private readonly insertPersons: MultiRow;
  private readonly updatePersons: MultiRow;
  private readonly addMailingPersons: MultiRow;
  private readonly setMailingPerson: BetterSqlite3.Statement;
  private readonly addChannels: MultiRow;
  private readonly addMembers: MultiRow;
  private readonly clearTags: BetterSqlite3.Statement;
  private readonly addTags: MultiRow;
  private readonly addRejections: MultiRow;
  private persons = 0;
  private inserted = 0;
  /** Contacts written by this import (inserted or already there). */
  private channelRows = 0;
  /** Contacts written at which to look again at the table's size. */
  private nextIndexCheck = rebuildMinRows;
  /** The dropped index's CREATE statement, to run again before commit. */
  private droppedIndexSql: string | null = null;
  /**
   * People that have a row of this mailing in `mailing_persons` (the ones
   * written by this import, and any that were there before): exact, ids up
   * to 2³¹ - 1 in the typed-array set, any above in `inMailingBig`.
   */
  private readonly inMailing = new IntHashSet();
  private readonly inMailingBig = new Set<number>();
  /**
   * Later records of people already in this mailing (rows apart in the
   * file), appended to a temporary table in file order and merged into their
   * `mailing_persons` rows once, in person order, at finish: one read and one
   * write per person on neighbouring pages, where merging each record as it
   * came was a random read and write of the table per record (a quarter of a
   * shuffled file's import).
   */
  private readonly addExtras: MultiRow;
  private extras = 0;
  /** Per person of the batch being written: found[i] = 1 if already in the base, with its id and created_mailing_id. */
  private found = new Uint8Array(4096);
  private ids = new Float64Array(4096);
  private created = new Float64Array(4096);

  constructor(
    private readonly conn: BetterSqlite3.Database,
    private readonly t: WriteTarget,
  ) {
    // The import's constants go into the SQL text: fewer values to bind per row.
    const tenant = int(t.tenantId);
    const mailing = int(t.mailingId);
    const now = text(t.now);
    // Who is already in the base, by position in the batch: only integers
    // come back (a RETURNING of the upsert cost more than twice as much).
    this.findPersons = new MultiRow(
      conn,
      "SELECT v.column1, p.id, p.created_mailing_id FROM (",
      (i) => `(${i}, ?, ?)`,
      `) AS v JOIN persons p
         ON p.tenant_id = ${tenant} AND p.key_kind = v.column2 AND p.key = v.column3`,
      (row, first) => {
        const i = first + (row[0] as number);
        this.found[i] = 1;
        this.ids[i] = row[1] as number;
        this.created[i] = (row[2] as number | null) ?? Number.NaN;
      },
    );
    this.lastPersonId = conn.prepare("SELECT max(id) FROM persons").pluck();
    // New people get the ids SQLite would give them (max + 1, in file order):
    // this import holds the write lock, so nobody else takes them meanwhile.
    this.insertPersons = new MultiRow(
      conn,
      `${INSERT} persons (id, tenant_id, key_kind, key, cod_cliente, document, name,
                            fields_json, created_mailing_id, created_at, updated_at)`,
      `(?, ${tenant}, ?, ?, ?, ?, ?, ?, ${mailing}, ${now}, ${now})`,
      "",
    );
    // A person whose values are all already there is not written again (no
    // new row version, no index entries): `updated_at` is the last change.
    this.updatePersons = new MultiRow(
      conn,
      `${INSERT} persons (tenant_id, key_kind, key, cod_cliente, document, name, fields_json,
                            created_mailing_id, created_at, updated_at)`,
      `(${tenant}, ?, ?, ?, ?, ?, ?, ${mailing}, ${now}, ${now})`,
      `ON CONFLICT (tenant_id, key_kind, key) DO UPDATE SET
         cod_cliente = coalesce(excluded.cod_cliente, persons.cod_cliente),
         document = coalesce(excluded.document, persons.document),
         name = coalesce(excluded.name, persons.name),
         fields_json = CASE WHEN excluded.fields_json = '{}' THEN persons.fields_json
                            ELSE json_patch(persons.fields_json, excluded.fields_json) END,
         updated_at = excluded.updated_at
       WHERE ${PERSON_CHANGES}`,
    );
    this.addMailingPersons = new MultiRow(
      conn,
      `${INSERT} mailing_persons (tenant_id, mailing_id, person_id, first_line, message, channels_json,
                                  first_mobile, first_email)`,
      `(${tenant}, ${mailing}, ?, ?, ?, ?, ?, ?)`,
      "",
    );
    this.setMailingPerson = conn.prepare(
      `UPDATE mailing_persons SET message = ?, channels_json = ?, first_mobile = ?, first_email = ?
       WHERE mailing_id = ? AND person_id = ?`,
    );
    this.addChannels = new MultiRow(
      conn,
      `${INSERT} person_channels (tenant_id, person_id, kind, value, created_at)`,
      `(${tenant}, ?, ?, ?, ${now})`,
      "ON CONFLICT (person_id, value) DO NOTHING",
    );
    this.addMembers = new MultiRow(
      conn,
      `${INSERT} wallet_members (tenant_id, wallet_id, person_id, mailing_id, joined_at)`,
      `(${tenant}, ${int(t.walletId)}, ?, ${mailing}, ${now})`,
      "ON CONFLICT (wallet_id, person_id) DO NOTHING",
    );
    this.clearTags = conn.prepare(
      `DELETE FROM person_tags WHERE tenant_id = ${tenant}
         AND person_id IN (SELECT value FROM json_each(?))`,
    );
    this.addTags = new MultiRow(
      conn,
      `${INSERT} person_tags (tenant_id, person_id, tag, created_at)`,
      `(${tenant}, ?, ?, ${now})`,
      "ON CONFLICT (person_id, tag) DO NOTHING",
    );
    this.addRejections = new MultiRow(
      conn,
      `${INSERT} mailing_rejections (tenant_id, mailing_id, line, code, message, raw, entry)`,
      `(${tenant}, ${mailing}, ?, ?, ?, ?, ?)`,
      "",
    );
    // Normally none: a mailing's people are written only by its import.
    const already = conn
      .prepare("SELECT person_id FROM mailing_persons WHERE mailing_id = ?")
      .pluck()
      .all(t.mailingId) as number[];
    for (const id of already) this.markInMailing(id);
    // Dropped with a rollback too (temporary tables follow the transaction);
    // an earlier import on a shared in-memory connection may have left one.
    conn.exec(`DROP TABLE IF EXISTS temp.${EXTRAS}`);
    conn.exec(
      `CREATE TEMP TABLE ${EXTRAS} (person_id INTEGER NOT NULL, message TEXT, channels_json TEXT NOT NULL)`,
    );
    this.addExtras = new MultiRow(conn, `INSERT INTO temp.${EXTRAS}`, "(?, ?, ?)", "");
  }

  private isInMailing(id: number): boolean {
    return id <= 0x7fffffff ? this.inMailing.has(id) : this.inMailingBig.has(id);
  }

  private markInMailing(id: number): void {
    if (id <= 0x7fffffff) this.inMailing.add(id);
    else this.inMailingBig.add(id);
  }

  write(chunk: ImportChunk): void {
    if (chunk.persons.length > 0) this.writePersons(chunk.persons);
    if (chunk.rejected.length > 0) {
      const add = this.addRejections;
      for (const r of chunk.rejected) {
        add.put(r.line);
        add.put(r.code);
        add.put(r.message);
        add.put(r.raw);
        add.put(r.entry ?? null);
      }
      add.flush();
    }
  }

  private writePersons(list: PersonRecord[]): void {
    const records = mergeBatch(list);
    const n = records.length;
    const { mailingId } = this.t;
    if (this.found.length < n) {
      const size = 2 ** Math.ceil(Math.log2(n));
      this.found = new Uint8Array(size);
      this.ids = new Float64Array(size);
      this.created = new Float64Array(size);
    }
    const { found, ids, created } = this;
    found.fill(0, 0, n);

    const find = this.findPersons;
    for (const r of records) {
      find.put(r.keyKind);
      find.put(r.key);
    }
    find.flush();

    const insert = this.insertPersons;
    const update = this.updatePersons;
    let next = ((this.lastPersonId.get() as number | null) ?? 0) + 1;
    for (let i = 0; i < n; i++) {
      const r = records[i]!;
      // A new person's row is its id and then the same values as an update's.
      const target = found[i] === 0 ? insert : update;
      if (found[i] === 0) {
        if (!Number.isSafeInteger(next)) throw new Error(`person id out of range: ${next}`);
        ids[i] = next;
        created[i] = mailingId;
        insert.put(next++);
      }
      target.put(r.keyKind);
      target.put(r.key);
      target.put(blankToNull(r.codCliente));
      target.put(blankToNull(r.document));
      target.put(blankToNull(r.name));
      target.put(fieldsJson(r.fields));
    }
    insert.flush();
    update.flush();

    // People met for the first time in this file get their row in
    // mailing_persons and join the wallet; the others merge this file's view.
    const addMailing = this.addMailingPersons;
    const addMember = this.addMembers;
    const members: number[] | null = this.t.replaceTags ? [] : null;
    let channelRows = 0;
    for (let i = 0; i < n; i++) {
      const id = ids[i]!;
      const r = records[i]!;
      channelRows += r.channels.length;
      if (this.isInMailing(id)) {
        this.addExtras.put(id);
        this.addExtras.put(blankToNull(r.message));
        this.addExtras.put(channelsJson(r));
        this.extras++;
        continue;
      }
      this.markInMailing(id);
      addMailing.put(id);
      addMailing.put(r.firstLine);
      addMailing.put(blankToNull(r.message));
      addMailing.put(channelsJson(r));
      const [mobile, email] = firstContacts(r.channels);
      addMailing.put(mobile);
      addMailing.put(email);
      addMember.put(id);
      members?.push(id);
      this.persons++;
      if (created[i] === mailingId) this.inserted++;
    }
    addMailing.flush();
    addMember.flush();
    this.addExtras.flush();
    // `_limpartag`: the person's tags become exactly this file's, so the
    // old ones go once, on the person's first record in the file.
    if (members && members.length > 0) this.clearTags.run(JSON.stringify(members));

    if (channelRows > 0) {
      this.channelRows += channelRows;
      this.maybeDropValueIndex();
    }
    const addChannel = this.addChannels;
    const addTag = this.addTags;
    for (let i = 0; i < n; i++) {
      const r = records[i]!;
      const id = ids[i]!;
      for (const c of r.channels) {
        addChannel.put(id);
        addChannel.put(c.kind);
        addChannel.put(c.value);
      }
      for (const tag of r.tags) {
        if (!tag) continue;
        addTag.put(id);
        addTag.put(tag);
      }
    }
    addChannel.flush();
    addTag.flush();
  }

  /**
   * Merges the later records of each person (see `addExtras`) into this
   * file's row of the person: contacts appended in file order without
   * repeats, the first message kept. People in id order, a page of them at a
   * time (a statement cannot run while another one is being read).
   */
  private mergeExtras(): void {
    const { mailingId } = this.t;
    const conn = this.conn;
    if (this.extras > 0) {
      conn.exec(`CREATE INDEX temp.${EXTRAS}_person ON ${EXTRAS} (person_id)`);
      const boundary = conn
        .prepare(
          `SELECT person_id FROM temp.${EXTRAS} WHERE person_id > ? ORDER BY person_id LIMIT 1 OFFSET ?`,
        )
        .pluck();
      const page = conn
        .prepare(
          `SELECT e.person_id, e.message, e.channels_json, mp.message AS first_message,
                  mp.channels_json AS first_channels
           FROM temp.${EXTRAS} e JOIN mailing_persons mp
             ON mp.mailing_id = ${int(mailingId)} AND mp.person_id = e.person_id
           WHERE e.person_id > ? AND e.person_id <= ?
           ORDER BY e.person_id, e.rowid`,
        )
        .raw(true);
      let after = 0;
      for (;;) {
        const last =
          (boundary.get(after, EXTRAS_PER_PAGE - 1) as number | undefined) ??
          Number.MAX_SAFE_INTEGER;
        const rows = page.all(after, last) as [
          number,
          string | null,
          string,
          string | null,
          string,
        ][];
        if (rows.length === 0) break;
        let i = 0;
        while (i < rows.length) {
          const [personId, , , firstMessage, firstChannels] = rows[i]!;
          let message = firstMessage;
          let channels = JSON.parse(firstChannels) as StoredChannel[];
          for (; i < rows.length && rows[i]![0] === personId; i++) {
            const [, more, moreChannels] = rows[i]!;
            message ??= more;
            channels = mergeChannelLists(channels, JSON.parse(moreChannels) as StoredChannel[]);
          }
          // The first of each kind in the merged list: the earlier record's, if it had one.
          const [mobile, email] = firstContacts(channels);
          this.setMailingPerson.run(
            message,
            JSON.stringify(channels),
            mobile,
            email,
            mailingId,
            personId,
          );
        }
        if (last === Number.MAX_SAFE_INTEGER) break;
        after = last;
      }
    }
    conn.exec(`DROP TABLE temp.${EXTRAS}`);
  }

  private maybeDropValueIndex(): void {
    if (this.droppedIndexSql !== null || this.channelRows < this.nextIndexCheck) return;
    // The table now holds what was there before plus at most what this import
    // wrote; counted up to twice that (O(rows written)), and again only after
    // the import has doubled, so all the counting stays O(rows written).
    const limit = 2 * this.channelRows;
    const rows = this.conn
      .prepare("SELECT count(*) FROM (SELECT 1 FROM person_channels LIMIT ?)")
      .pluck()
      .get(limit + 1) as number;
    if (rows > limit) {
      this.nextIndexCheck = limit;
      return;
    }
    const def = this.conn
      .prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?")
      .pluck()
      .get(CHANNEL_VALUE_INDEX) as string | null | undefined;
    if (!def) return;
    this.conn.exec(`DROP INDEX ${CHANNEL_VALUE_INDEX}`);
    this.droppedIndexSql = def;
  }

  finish(): { persons: number; inserted: number } {
    this.mergeExtras();
    if (this.droppedIndexSql !== null) {
      this.conn.exec(this.droppedIndexSql);
      this.droppedIndexSql = null;
    }
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
