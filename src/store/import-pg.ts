/**
 * PostgreSQL import session: one transaction on one pooled client. Each batch
 * of people (records of one person merged in memory) is COPYed into a
 * temporary staging table (dropped at commit or rollback) and merged with one
 * set-based statement: people new to the base are plain inserts (ids drawn
 * from the sequence at COPY time) into persons, contacts, wallet membership,
 * tags and this mailing's person list; people already there are upserted.
 */
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Kysely, PostgresDialect } from "kysely";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import type { PersonRecord } from "../mailing/types.js";
import { insideTransaction, type Store } from "./db.js";
import type { ImportChunk, ImportSession, WriteTarget } from "./import.js";
import {
  blankToNull,
  channelsJson,
  ExactIds,
  fieldsJson,
  firstContacts,
  IntHashSet,
  PersonBatch,
} from "./import-rows.js";
import type { Database } from "./schema.js";

/** People per batch: bounded memory, few statements, sorted runs long enough to pay. */
let batchRecords = 25_000;

/** Tests use tiny batches to exercise merges across batches. */
export function setPgImportBatchSize(records: number): void {
  batchRecords = Math.max(1, records);
}

/**
 * One staging row per person of the batch (the batch's records of one person
 * are merged in memory first), contacts and tags as arrays: one COPY, no
 * second key join. `id` is drawn from the persons sequence as the row is
 * COPYed (file order): it becomes the person's id if the person is new.
 * Keys, contacts and tags in byte order, as their columns (migration 0003).
 *
 * `import_later` holds, for the whole file, the records of people already
 * met earlier in it (`ord`: file order): they are folded together and merged
 * once, at the end (see `mergeLater`), instead of merging a person again in
 * every batch where one of their rows falls.
 */
function stagingTable(personSequence: string): string {
  return `
  CREATE TEMP TABLE import_stage (
    id bigint NOT NULL DEFAULT nextval(${quoteLiteral(personSequence)}::regclass),
    key_kind text COLLATE "C", key text COLLATE "C", cod_cliente text, document text, name text,
    message text, fields_json text, channels_json text, first_line bigint, kinds text[],
    vals text[] COLLATE "C", tags text[] COLLATE "C", first_mobile text, first_email text
  ) ON COMMIT DROP;
  CREATE TEMP TABLE import_later (
    ord bigint NOT NULL,
    key_kind text COLLATE "C", key text COLLATE "C", cod_cliente text, document text, name text,
    message text, fields_json text, channels_json text, first_line bigint, kinds text[],
    vals text[] COLLATE "C", tags text[] COLLATE "C", first_mobile text, first_email text
  ) ON COMMIT DROP`;
}

function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** COPY text format: backslash escapes for the four special characters, \N for null. */
function cell(value: string | number | null): string {
  if (value === null) return "\\N";
  if (typeof value === "number") return String(value);
  if (!/[\\\t\n\r]/.test(value)) return value;
  return value
    .replace(/\\/g, "\\\\")
    .replace(/\t/g, "\\t")
    .replace(/\n/g, "\\n")
    .replace(/\r/g, "\\r");
}

/** A text[] literal (each element quoted), before COPY escaping. */
function arrayLiteral(values: readonly string[]): string {
  let out = "{";
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    out += `${i > 0 ? "," : ""}"${/["\\]/.test(v) ? v.replace(/["\\]/g, "\\$&") : v}"`;
  }
  return `${out}}`;
}

function line(values: (string | number | null)[]): string {
  let out = cell(values[0] ?? null);
  for (let i = 1; i < values.length; i++) out += `\t${cell(values[i] ?? null)}`;
  return `${out}\n`;
}

/** Lines joined into pieces of this many: few, large writes, no one giant string. */
const LINES_PER_PIECE = 1000;

class Pieces {
  readonly done: string[] = [];
  private lines: string[] = [];

  push(text: string): void {
    this.lines.push(text);
    if (this.lines.length >= LINES_PER_PIECE) {
      this.done.push(this.lines.join(""));
      this.lines = [];
    }
  }

  take(): string[] {
    if (this.lines.length > 0) this.done.push(this.lines.join(""));
    this.lines = [];
    return this.done;
  }
}

export async function openPgImportSession(store: Store): Promise<ImportSession> {
  if (!store.pgPool) throw new Error("not a PostgreSQL store");
  const client = await store.pgPool.connect();
  // A checked-out client has no 'error' listener (the pool's is for idle
  // ones): the server ending the connection between two statements would be
  // an unhandled 'error' event, and end the process. The import's next
  // statement fails instead, and the import is rolled back.
  const onConnectionError = () => {};
  client.on("error", onConnectionError);
  // Kysely on this one client, so the mailing row and the campaign hook's
  // writes share the import transaction.
  const bound = {
    connect: async () => ({
      query: client.query.bind(client),
      release: () => {},
    }),
    end: async () => {},
  };
  const db = new Kysely<Database>({
    dialect: insideTransaction(new PostgresDialect({ pool: bound as unknown as pg.Pool })),
  });
  let open = true;
  let personSequence = "";
  const release = (error?: Error) => {
    open = false;
    client.off("error", onConnectionError);
    client.release(error);
  };
  try {
    await client.query("BEGIN");
    // Sorts and hashes of a batch in memory. Not `synchronous_commit = off`:
    // the whole file is one transaction, so it would save a single WAL flush
    // while letting a crash right after COMMIT lose an import already
    // reported (and its file moved on) as done.
    await client.query("SET LOCAL work_mem = '128MB'");
    // The merge statement's cost estimate crosses the JIT threshold every
    // batch, and compiling it took ~10% of the batch's time for nothing.
    await client.query("SET LOCAL jit = off");
    // The only joins of the merge are lookups of the batch's people (by key,
    // by id): index probes, never a hash of the tenant's whole person table
    // (which the planner picks from the stage's rough estimate). Reset in
    // finish(), before the campaign hook.
    await client.query("SET LOCAL enable_hashjoin = off");
    await client.query("SET LOCAL enable_mergejoin = off");
    const seq = await client.query<{ seq: string }>(
      "SELECT pg_get_serial_sequence('persons', 'id') AS seq",
    );
    personSequence = seq.rows[0]!.seq;
    await client.query(stagingTable(personSequence));
  } catch (error) {
    release(error as Error);
    throw error;
  }
  let writer: PgWriter | null = null;
  return {
    db,
    start(target) {
      writer = new PgWriter(client, target, personSequence);
    },
    async write(chunk) {
      await writer!.write(chunk);
    },
    async finish() {
      return writer!.finish();
    },
    async commit() {
      if (!open) return;
      try {
        // After a failed statement (one the campaign hook caught, say)
        // PostgreSQL answers COMMIT by rolling back, without an error.
        const done = await client.query("COMMIT");
        if (done.command !== "COMMIT") {
          throw new Error(
            "O PostgreSQL desfez a transação da importação no COMMIT (um comando dentro dela tinha falhado): nada foi gravado.",
          );
        }
        release();
      } catch (error) {
        release(error as Error);
        throw error;
      }
    },
    async rollback() {
      if (!open) return;
      try {
        // The batch in flight sends its statements one after another: stopped
        // first, or the ones after ROLLBACK would run (and commit) on their own.
        await writer?.stop();
        await client.query("ROLLBACK");
        release();
      } catch (error) {
        // A broken connection must not go back to the pool.
        release(error as Error);
      }
    },
  };
}

/**
 * One person's staging row. Contacts and tags without repeated values (the
 * first one in file order kept): a new person's rows are inserted without a
 * conflict check.
 */
function stageLine(r: PersonRecord): string {
  const [mobile, email] = firstContacts(r.channels);
  const kinds: string[] = [];
  const vals: string[] = [];
  const seen = r.channels.length > 1 ? new Set<string>() : null;
  for (const c of r.channels) {
    if (seen) {
      if (seen.has(c.value)) continue;
      seen.add(c.value);
    }
    kinds.push(c.kind);
    vals.push(c.value);
  }
  const tags: string[] = [];
  for (const tag of r.tags) if (tag !== "" && !tags.includes(tag)) tags.push(tag);
  return line([
    r.keyKind,
    r.key,
    blankToNull(r.codCliente),
    blankToNull(r.document),
    blankToNull(r.name),
    blankToNull(r.message),
    fieldsJson(r.fields),
    channelsJson(r),
    r.firstLine,
    arrayLiteral(kinds),
    arrayLiteral(vals),
    arrayLiteral(tags),
    mobile,
    email,
  ]);
}

/** The tables a new person's rows are COPYed straight into, in write order. */
const DIRECT_COPIES = [
  `COPY persons (id, tenant_id, key_kind, key, cod_cliente, document, name, fields_json,
                 created_mailing_id, created_at, updated_at) FROM STDIN`,
  `COPY mailing_persons (tenant_id, mailing_id, person_id, first_line, message, channels_json,
                         first_mobile, first_email) FROM STDIN`,
  "COPY wallet_members (tenant_id, wallet_id, person_id, mailing_id, joined_at) FROM STDIN",
  "COPY person_tags (tenant_id, person_id, tag, created_at) FROM STDIN",
  "COPY person_channels (tenant_id, person_id, kind, value, created_at) FROM STDIN",
] as const;

/** Buffer sizes of the direct COPYs (persons, mailing persons, wallet, tags, contacts). */
const DIRECT_BUFFER_BYTES = [16 << 20, 16 << 20, 4 << 20, 8 << 20, 16 << 20] as const;

/**
 * The COPY text of a person new to the base, one piece per table of
 * `DIRECT_COPIES`: exactly the rows the set-based merge writes for a new
 * person (contacts and tags without repeated values, first one kept).
 */
function directLines(r: PersonRecord, id: number, t: WriteTarget): string[] {
  const tenant = String(t.tenantId);
  const [mobile, email] = firstContacts(r.channels);
  const now = cell(t.now);
  const head = `${tenant}\t${id}\t`;
  let channels = "";
  const seen = r.channels.length > 1 ? new Set<string>() : null;
  for (const c of r.channels) {
    if (seen) {
      if (seen.has(c.value)) continue;
      seen.add(c.value);
    }
    channels += `${head}${cell(c.kind)}\t${cell(c.value)}\t${now}\n`;
  }
  let tags = "";
  const met: string[] = [];
  for (const tag of r.tags) {
    if (tag === "" || met.includes(tag)) continue;
    met.push(tag);
    tags += `${head}${cell(tag)}\t${now}\n`;
  }
  return [
    `${id}\t${tenant}\t${cell(r.keyKind)}\t${cell(r.key)}\t${cell(blankToNull(r.codCliente))}\t${cell(
      blankToNull(r.document),
    )}\t${cell(blankToNull(r.name))}\t${cell(fieldsJson(r.fields))}\t${t.mailingId}\t${now}\t${now}\n`,
    `${tenant}\t${t.mailingId}\t${id}\t${r.firstLine}\t${cell(blankToNull(r.message))}\t${cell(
      channelsJson(r),
    )}\t${cell(mobile)}\t${cell(email)}\n`,
    `${tenant}\t${t.walletId}\t${id}\t${t.mailingId}\t${now}\n`,
    tags,
    channels,
  ];
}

/** Whether `text` fits in `free` bytes of UTF-8 (the cheap bound first). */
function fitsIn(text: string, free: number): boolean {
  return text.length * 3 <= free || Buffer.byteLength(text) <= free;
}

/**
 * 32-bit FNV-1a of a person's key (`recordKey`, hashed without building it):
 * the file's people, without keeping their keys.
 */
function keyHash(r: PersonRecord): number {
  let h = 0x811c9dc5;
  const kind = r.keyKind;
  for (let i = 0; i < kind.length; i++) h = Math.imul(h ^ kind.charCodeAt(i), 0x01000193);
  h = Math.imul(h, 0x01000193); // the separator, code 0
  const key = r.key;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h | 0;
}

/** Characters of text gathered before one write into a buffer (one native call, not one per row). */
const PENDING_CHARS = 1 << 16;

/**
 * COPY text written into one fixed buffer (outside the JS heap, reused from
 * batch to batch). Rows are gathered as text and written a few dozen
 * kilobytes at a time: a buffer write per row cost more than building the row.
 * A person too big for the empty buffer (tens of thousands of contacts under
 * one key, say) gets a buffer of its own, for its batch only.
 */
class CopyBuffer {
  private used = 0;
  private pending = "";
  private buffer: Buffer;

  constructor(private readonly standard: Buffer) {
    this.buffer = standard;
  }

  /** Whether `text` can still be appended (the cheap bound, else exactly). */
  fits(text: string): boolean {
    const free = this.buffer.length - this.used;
    if ((this.pending.length + text.length) * 3 <= free) return true;
    this.flush();
    if (fitsIn(text, this.buffer.length - this.used)) return true;
    if (this.used > 0) return false;
    this.buffer = Buffer.allocUnsafe(Buffer.byteLength(text));
    return true;
  }

  /** Appends text that `fits`. */
  append(text: string): void {
    this.pending += text;
    if (this.pending.length >= PENDING_CHARS) this.flush();
  }

  /** The text written so far (a view of the buffer), emptying it for the next batch. */
  take(): Buffer {
    this.flush();
    const out = this.buffer.subarray(0, this.used);
    this.used = 0;
    this.buffer = this.standard;
    return out;
  }

  private flush(): void {
    if (this.pending === "") return;
    this.used += this.buffer.write(this.pending, this.used, "utf8");
    this.pending = "";
  }
}

/**
 * A batch buffer handed to the socket whole (no copy): libuv keeps writing it
 * at every turn of the event loop. In 256 KiB pieces each piece waited for a
 * drain event, i.e. for the reader to yield, and the server sat idle between
 * pieces (a third of its time in ClientRead).
 */
function* slices(buffer: Buffer): Generator<Buffer> {
  yield buffer;
}

/** COPY text of one batch, in a buffer of its own (reused, outside the JS heap). */
const STAGE_BUFFER_BYTES = 16 << 20;
/** COPY text of a batch's records of people met earlier in the file (`import_later`). */
const LATER_BUFFER_BYTES = 4 << 20;

interface Batch {
  stage: Buffer;
  /** COPY text of the records deferred to the end of the file (`import_later`). */
  later: Buffer;
  /** COPY text of the new people's rows, one per `DIRECT_COPIES` table. */
  direct: Buffer[];
  rejections: string[];
  /** Contacts in the batch (an upper bound of the rows it writes). */
  channels: number;
  /** People in the batch. */
  persons: number;
  /** People COPYed directly (new to the base) in the batch. */
  newPersons: number;
}

/**
 * Indexes that are not needed by the merge itself (no ON CONFLICT arbiter, no
 * lookup during the import): contact values (written in random order), the
 * membership's person index, and the person's customer code and document
 * (random in most files; maintained, they made a new person's insert about
 * twice as slow as a file in key order). Maintained row by row they cost about as much as
 * the rest of their table's insert; once this import has written at least as
 * many rows into the table as it held before (a first load, a base that is
 * still small) they are dropped inside the import transaction and built again
 * just before commit (a sort, not half a million random inserts). Same
 * all-or-nothing semantics as the SQLite path: a rollback or a crash restores
 * them. On PostgreSQL a dropped index means an exclusive lock on the table
 * until commit, so it is only taken when nobody else holds any lock on it
 * (NOWAIT: never waits, never deadlocks); otherwise the index is maintained.
 */
const REBUILT_INDEXES = [
  { table: "person_channels", index: "person_channels_tenant_value", rows: "channels" },
  { table: "wallet_members", index: "wallet_members_person", rows: "persons" },
  // People known to be new (COPYed directly): a person merged may be there already.
  { table: "persons", index: "persons_tenant_code", rows: "newPersons" },
  { table: "persons", index: "persons_tenant_document", rows: "newPersons" },
] as const;
let indexRebuildMinRows = 50_000;

/** Tests lower the point at which the contact-value index is rebuilt instead of maintained. */
export function setPgIndexRebuildMinRows(rows: number): void {
  indexRebuildMinRows = Math.max(0, rows);
}

/**
 * Memory: a person's record is turned into its COPY line as soon as it
 * arrives and the line written into one of two fixed buffers (the batch being
 * filled, the batch being merged), so nothing of a batch lives on the JS heap
 * long enough to be promoted — heap garbage from long-lived batch arrays was
 * what pushed the process past 500 MB. A person already in the batch being
 * filled is held back and starts the next batch (order kept: later values
 * still win); only those few records are kept as objects.
 */
class PgWriter {
  /**
   * Two buffer sets: the batch being filled, the batch being merged. Each has
   * the staging COPY and the direct COPYs of new people (see `DIRECT_COPIES`).
   */
  private readonly sets = [0, 1].map(() => ({
    stage: new CopyBuffer(Buffer.allocUnsafe(STAGE_BUFFER_BYTES)),
    direct: DIRECT_BUFFER_BYTES.map((n) => new CopyBuffer(Buffer.allocUnsafe(n))),
    later: new CopyBuffer(Buffer.allocUnsafe(LATER_BUFFER_BYTES)),
  }));
  private filling = 0;
  /** People staged (first met in this file) in the batch being filled. */
  private stagedPersons = 0;
  /** People COPYed directly in the batch being filled. */
  private directPersons = 0;
  /** Records deferred to `import_later` so far (their file order). */
  private laterRows = 0;
  private rejections = new Pieces();
  private rejectedRows = 0;
  /** Contacts in the batch being filled, and in the batches already handed over. */
  private batchChannels = 0;
  private channelsWritten = 0;
  /** People in the batches already handed over (an upper bound of the memberships written). */
  private personsWritten = 0;
  /** People COPYed directly (new to the base) in the batches already handed over. */
  private newPersonsWritten = 0;
  /** Whether the rebuild of `REBUILT_INDEXES` was decided (either way). */
  private indexDecided = false;
  /** Definitions of the indexes dropped, to create again before commit. */
  private droppedIndexes: string[] = [];
  private inflight: Promise<void> = Promise.resolve();
  /** Set by `stop`: no statement is sent after it. */
  private stopped = false;
  /**
   * Imports of one tenant run one after the other: a new person's rows are
   * plain inserts, which a concurrent import of the same people would turn
   * into a unique violation (and two imports merging the same people in
   * different orders could deadlock). Held until commit or rollback.
   */
  private readonly lock: Promise<unknown>;
  /**
   * Whether the tenant had nobody in the base when this import took its lock
   * (asked right after it). Then a person is new unless met earlier in this
   * file, which `seen` tells without asking the server: their rows are COPYed
   * straight into the final tables (bulk inserts, no staging, no conflict
   * check).
   */
  private readonly fresh: Promise<boolean>;
  private freshKnown: boolean | null = null;
  /**
   * Key hashes (`keyHash`) of the people met so far in this file, on either
   * path. A record whose hash was seen (the same person, or rarely another
   * with the same hash) is deferred to `import_later` and merged at the end,
   * which handles either case; so a batch never holds a person twice (one
   * merge statement cannot touch a row twice).
   */
  private readonly seen = new IntHashSet();
  /**
   * People already in the base that this import changed (a value, a new
   * contact or tag, the wallet joined), as the merge statements return them:
   * exact ids, each counted once however many merges touched it. Counting
   * here saves a query over the whole mailing after the import (4.5 s of a
   * 1M-row re-send).
   */
  private readonly updated = new ExactIds();
  /** Person ids drawn from the sequence ahead of the batch that uses them. */
  private ids: number[] = [];
  private idAt = 0;
  private reserving: Promise<void> | null = null;

  constructor(
    private readonly client: pg.PoolClient,
    private readonly t: WriteTarget,
    private readonly personSequence: string,
  ) {
    // Advisory locks are database-wide: the schema is part of the key, so
    // installations (or test stores) in other schemas of the same database,
    // whose tenant ids are their own, do not queue behind each other.
    this.lock = client.query(
      "SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || ':remessa.import:' || $1, 0))",
      [String(t.tenantId)],
    );
    this.lock.catch(() => {});
    this.fresh = client
      .query<{ fresh: boolean }>(
        "SELECT NOT EXISTS (SELECT 1 FROM persons WHERE tenant_id = $1) AS fresh",
        [t.tenantId],
      )
      .then((r) => r.rows[0]?.fresh === true);
    this.fresh.catch(() => {});
  }

  /**
   * Draws ids from the persons sequence for the next batch, queued on the
   * connection before the batch being handed over (so it does not wait for
   * that batch's merge). Sequence values are not transactional: ids drawn and
   * not used are gaps, as after any rollback.
   */
  private reserveIds(): void {
    const left = this.ids.length - this.idAt;
    if (this.reserving || left >= batchRecords) return;
    const n = batchRecords - left;
    const work = this.client
      .query<{ ids: string }>(
        "SELECT string_agg(nextval($1::regclass)::text, ',') AS ids FROM generate_series(1, $2)",
        [this.personSequence, n],
      )
      .then((r) => {
        // Ascending: the new rows extend the id indexes at their right end.
        const ids = this.ids.slice(this.idAt);
        for (const id of r.rows[0]!.ids.split(",")) ids.push(Number(id));
        this.ids = ids;
        this.idAt = 0;
        this.reserving = null;
      });
    work.catch(() => {});
    this.reserving = work;
  }

  /** Waits until ids drawn ahead are available (see `reserveIds`). */
  private async ensureIds(): Promise<void> {
    while (this.idAt >= this.ids.length) {
      // A batch's ids are drawn as it opens, ahead of the merge before it:
      // wait for those. A draw of its own (after gaps, rare) waits for that
      // merge, so it cannot land inside its savepoint after a failed LOCK
      // NOWAIT (see maybeDropIndexes) and fail the import.
      if (this.reserving === null) await this.inflight.catch(() => {});
      this.reserveIds();
      await this.reserving;
    }
  }

  async write(chunk: ImportChunk): Promise<void> {
    if (this.freshKnown === null) this.freshKnown = await this.fresh;
    // Let the event loop turn once per chunk. The file stream usually has the
    // next chunk buffered, so the reader's await never leaves the microtask
    // queue; the batch in flight then waits for us: its socket writes, and
    // the server's reply that lets the next COPY or statement go (each one a
    // round trip). Per chunk of people, not per file chunk: the server sat
    // idle about 10% less of the import.
    await new Promise(setImmediate);
    const batch = new PersonBatch();
    for (const r of chunk.persons) batch.add(r);
    // Most people are staged without awaiting anything (no promise per person).
    for (const r of batch.take()) if (!this.stageNow(r)) await this.stage(r);
    const { tenantId, mailingId } = this.t;
    for (const r of chunk.rejected) {
      this.rejections.push(
        line([tenantId, mailingId, r.line, r.code, r.message, r.raw, r.entry ?? null]),
      );
    }
    this.rejectedRows += chunk.rejected.length;
    if (this.rejectedRows >= batchRecords) await this.startBatch();
  }

  /**
   * Stages a record without awaiting anything: false (and nothing done) when
   * the batch must be sealed first or ids drawn, which `stage` then does.
   * - met earlier in the file (its hash seen): deferred to `import_later`;
   * - new to a tenant with nobody in the base: its rows COPYed directly;
   * - else: staged for this batch's merge.
   */
  private stageNow(r: PersonRecord): boolean {
    const hash = keyHash(r);
    if (this.seen.has(hash)) {
      const text = `${this.laterRows}\t${stageLine(r)}`;
      const later = this.sets[this.filling]!.later;
      if (!later.fits(text)) return false;
      this.laterRows++;
      this.batchChannels += r.channels.length;
      later.append(text);
      return true;
    }
    if (this.batchPersons() >= batchRecords) return false;
    if (this.freshKnown) {
      if (this.idAt >= this.ids.length) return false;
      const texts = directLines(r, this.ids[this.idAt]!, this.t);
      if (!this.directFits(texts)) return false;
      this.idAt++;
      this.seen.add(hash);
      this.writeDirect(r, texts);
      return true;
    }
    const text = stageLine(r);
    const stage = this.sets[this.filling]!.stage;
    if (!stage.fits(text)) return false;
    this.seen.add(hash);
    this.stagedPersons++;
    this.batchChannels += r.channels.length;
    stage.append(text);
    return true;
  }

  private batchPersons(): number {
    return this.stagedPersons + this.directPersons;
  }

  /**
   * `stageNow` after drawing ids or sealing the batch. After a seal the
   * buffers are empty, and one takes a record of any size (see CopyBuffer).
   */
  private async stage(r: PersonRecord): Promise<void> {
    if (this.freshKnown === null) this.freshKnown = await this.fresh;
    for (;;) {
      if (this.stageNow(r)) return;
      const direct = this.freshKnown && !this.seen.has(keyHash(r));
      if (direct && this.idAt >= this.ids.length && this.batchPersons() < batchRecords) {
        await this.ensureIds();
        continue;
      }
      await this.startBatch();
    }
  }

  private writeDirect(r: PersonRecord, texts: string[]): void {
    this.directPersons++;
    this.batchChannels += r.channels.length;
    const buffers = this.sets[this.filling]!.direct;
    for (let i = 0; i < texts.length; i++) if (texts[i] !== "") buffers[i]!.append(texts[i]!);
  }

  private directFits(texts: string[]): boolean {
    const buffers = this.sets[this.filling]!.direct;
    for (let i = 0; i < texts.length; i++) if (!buffers[i]!.fits(texts[i]!)) return false;
    return true;
  }

  /**
   * Hands the batch to the server and returns at once, so the server merges
   * batch k while the reader parses batch k+1 (two cores busy). Only one
   * batch is in flight: the previous one is awaited first (which also frees
   * the buffer the next batch is written into).
   */
  private async startBatch(): Promise<void> {
    await this.inflight;
    const set = this.sets[this.filling]!;
    const batch: Batch = {
      stage: set.stage.take(),
      later: set.later.take(),
      direct: set.direct.map((b) => b.take()),
      rejections: this.rejections.take(),
      channels: this.batchChannels,
      persons: this.batchPersons(),
      newPersons: this.directPersons,
    };
    if (this.freshKnown) this.reserveIds();
    this.batchChannels = 0;
    this.filling = 1 - this.filling;
    this.stagedPersons = 0;
    this.directPersons = 0;
    this.rejections = new Pieces();
    this.rejectedRows = 0;
    const work = this.mergeBatch(batch);
    // Errors surface when the batch is awaited (next batch or finish).
    work.catch(() => {});
    this.inflight = work;
  }

  /** Stops sending statements and waits for those already sent (see the session's rollback). */
  async stop(): Promise<void> {
    this.stopped = true;
    const settle = (p: Promise<unknown> | null) =>
      p?.then(
        () => {},
        () => {},
      );
    await settle(this.inflight);
    await settle(this.reserving);
  }

  /** A statement of the import; refused once the import is stopped. */
  private async query(text: string, values: unknown[] = []): Promise<pg.QueryResult> {
    if (this.stopped) throw new Error("importação interrompida");
    return this.client.query(text, values);
  }

  private async copy(statement: string, pieces: Iterable<string | Buffer>): Promise<void> {
    if (this.stopped) throw new Error("importação interrompida");
    // pipeline waits for the socket to drain: nothing piles up in memory.
    await pipeline(Readable.from(pieces), this.client.query(copyFrom(statement)));
  }

  private async mergeBatch(batch: Batch): Promise<void> {
    await this.lock;
    if (batch.rejections.length > 0) {
      await this.copy(
        "COPY mailing_rejections (tenant_id, mailing_id, line, code, message, raw, entry) FROM STDIN",
        batch.rejections,
      );
    }
    this.channelsWritten += batch.channels;
    this.personsWritten += batch.persons;
    this.newPersonsWritten += batch.newPersons;
    await this.maybeDropIndexes();
    for (let i = 0; i < DIRECT_COPIES.length; i++) {
      if (batch.direct[i]!.length > 0) await this.copy(DIRECT_COPIES[i]!, slices(batch.direct[i]!));
    }
    if (batch.later.length > 0) {
      await this.copy(
        `COPY import_later (ord, key_kind, key, cod_cliente, document, name, message, fields_json,
                            channels_json, first_line, kinds, vals, tags, first_mobile, first_email)
         FROM STDIN`,
        slices(batch.later),
      );
    }
    if (batch.stage.length === 0) return;
    await this.copy(
      `COPY import_stage (key_kind, key, cod_cliente, document, name, message, fields_json,
                          channels_json, first_line, kinds, vals, tags, first_mobile, first_email)
       FROM STDIN`,
      slices(batch.stage),
    );
    await this.mergeStage();
  }

  /**
   * The records of people met earlier in the file (`import_later`), folded
   * per person in file order with exactly `mergeRecords`' result (later
   * non-empty values and fields win, the first message and first line stay,
   * contacts and tags are the union in file order, no repeated values), then
   * merged like a batch: each person once, however scattered their rows.
   * A person with a single deferred record is taken as it is (no JSON work).
   */
  private async mergeLater(): Promise<void> {
    if (this.laterRows === 0) return;
    await this.query(
      `INSERT INTO import_stage (key_kind, key, cod_cliente, document, name, message, fields_json,
                                 channels_json, first_line, kinds, vals, tags,
                                 first_mobile, first_email)
       WITH l AS MATERIALIZED (
         SELECT l.*, count(*) OVER (PARTITION BY key_kind, key) AS n FROM import_later l)
       SELECT key_kind, key, cod_cliente, document, name, message, fields_json,
              channels_json, first_line, kinds, vals, tags, first_mobile, first_email
       FROM l WHERE n = 1
       UNION ALL
       SELECT g.key_kind, g.key, g.cod_cliente, g.document, g.name, g.message, f.fields_json,
              c.channels_json, g.first_line, c.kinds, c.vals, t.tags,
              c.first_mobile, c.first_email
       FROM (
         SELECT key_kind, key,
           (array_agg(cod_cliente ORDER BY ord DESC) FILTER (WHERE cod_cliente IS NOT NULL))[1]
             AS cod_cliente,
           (array_agg(document ORDER BY ord DESC) FILTER (WHERE document IS NOT NULL))[1]
             AS document,
           (array_agg(name ORDER BY ord DESC) FILTER (WHERE name IS NOT NULL))[1] AS name,
           (array_agg(message ORDER BY ord) FILTER (WHERE message IS NOT NULL))[1] AS message,
           (array_agg(first_line ORDER BY ord))[1] AS first_line,
           array_agg(fields_json ORDER BY ord) AS fieldss,
           array_agg(channels_json ORDER BY ord) AS channelss,
           array_agg(tags::text ORDER BY ord) AS tagss
         FROM l WHERE n > 1 GROUP BY key_kind, key) g
       CROSS JOIN LATERAL (
         SELECT coalesce(jsonb_object_agg(e.k, e.v), '{}'::jsonb)::text AS fields_json
         FROM (SELECT DISTINCT ON (e.k) e.k, e.v
               FROM unnest(g.fieldss) WITH ORDINALITY f(j, o)
               CROSS JOIN LATERAL jsonb_each(f.j::jsonb) e(k, v)
               ORDER BY e.k, f.o DESC) e) f
       CROSS JOIN LATERAL (
         SELECT coalesce(jsonb_agg(d.c ORDER BY d.o1, d.o2), '[]'::jsonb)::text AS channels_json,
                coalesce(array_agg(d.c->>'kind' ORDER BY d.o1, d.o2), '{}') AS kinds,
                coalesce(array_agg(d.c->>'value' ORDER BY d.o1, d.o2), '{}') AS vals,
                (array_agg(d.c->>'value' ORDER BY d.o1, d.o2)
                   FILTER (WHERE d.c->>'kind' = 'mobile'))[1] AS first_mobile,
                (array_agg(d.c->>'value' ORDER BY d.o1, d.o2)
                   FILTER (WHERE d.c->>'kind' = 'email'))[1] AS first_email
         FROM (SELECT DISTINCT ON (e.c->>'value') e.c, f.o AS o1, e.o AS o2
               FROM unnest(g.channelss) WITH ORDINALITY f(j, o)
               CROSS JOIN LATERAL jsonb_array_elements(f.j::jsonb) WITH ORDINALITY e(c, o)
               ORDER BY e.c->>'value', f.o, e.o) d) c
       CROSS JOIN LATERAL (
         SELECT coalesce(array_agg(d.tag ORDER BY d.o1, d.o2), '{}') AS tags
         FROM (SELECT DISTINCT ON (x.tag) x.tag, f.o AS o1, x.o AS o2
               FROM unnest(g.tagss) WITH ORDINALITY f(a, o)
               CROSS JOIN LATERAL unnest(f.a::text[]) WITH ORDINALITY x(tag, o)
               ORDER BY x.tag, f.o, x.o) d) t
       ORDER BY 1, 2`,
    );
    await this.query("TRUNCATE import_later");
    await this.mergeStage();
  }

  /** Merges `import_stage` (one row per person) into the base, and empties it. */
  private async mergeStage(): Promise<void> {
    const { tenantId, mailingId, walletId, now } = this.t;
    const q = (text: string, values: unknown[] = []) => this.query(text, values);
    if (this.t.replaceTags) {
      // `_limpartag`: old tags go once, for people not yet met earlier in this file.
      await q(
        `DELETE FROM person_tags t
         USING import_stage s, persons p
         WHERE p.tenant_id = $1 AND p.key_kind = s.key_kind AND p.key = s.key
           AND t.tenant_id = $1 AND t.person_id = p.id
           AND NOT EXISTS (SELECT 1 FROM mailing_persons mp
                           WHERE mp.mailing_id = $2 AND mp.person_id = p.id)`,
        [tenantId, mailingId],
      );
    }
    // One statement per batch. People not yet in the base (nor met in an
    // earlier batch of this file) take the id drawn at COPY time and their
    // rows are plain inserts: no conflict to check (the file's imports are
    // serialized per tenant, see `lock`), no speculative insertion, a third of
    // the WAL. People already there are merged as before.
    // Contacts go in value order while the value index is maintained: it is
    // then written in runs instead of at random.
    // A person already there whose values are all there too is not written
    // again (no new row version, no index entries): `updated_at` is the last
    // change. Whether anything changed is decided in `s`, on the row its key
    // lookup already read. A membership already there is kept as it is.
    // On a re-sent base these saved about a third of the import.
    // A person met again in a later batch: this file's contact list grows
    // (file order kept, no repeated values) and the first message stays.
    // So do the first mobile and e-mail: the grown list is the earlier one
    // followed by the later one's new values, and a later first mobile can
    // only have been dropped as a repeat of an earlier mobile (a value's kind
    // follows from the value within a file), so coalesce is exact.
    // The statement returns the people already in the base that it changed
    // (see `updated`): only rows actually written come back.
    const order = this.droppedIndexes.length > 0 ? "" : "ORDER BY c.value";
    const changed = await q(
      `WITH s AS MATERIALIZED (
         SELECT st.*, p.id AS pid,
           ((st.cod_cliente IS NOT NULL AND st.cod_cliente IS DISTINCT FROM p.cod_cliente)
             OR (st.document IS NOT NULL AND st.document IS DISTINCT FROM p.document)
             OR (st.name IS NOT NULL AND st.name IS DISTINCT FROM p.name)
             OR (st.fields_json <> '{}' AND st.fields_json <> p.fields_json
                 AND (p.fields_json::jsonb || st.fields_json::jsonb) <> p.fields_json::jsonb))
             AS changed
         FROM import_stage st
         LEFT JOIN LATERAL (
           SELECT p.id, p.cod_cliente, p.document, p.name, p.fields_json FROM persons p
           WHERE p.tenant_id = $1 AND p.key_kind = st.key_kind AND p.key = st.key
           LIMIT 1) p ON true),
       np AS (
         INSERT INTO persons (id, tenant_id, key_kind, key, cod_cliente, document, name, fields_json,
                              created_mailing_id, created_at, updated_at)
         SELECT id, $1::bigint, key_kind, key, cod_cliente, document, name, fields_json,
                $2::bigint, $3::text, $3::text
         FROM s WHERE pid IS NULL),
       nmp AS (
         INSERT INTO mailing_persons (tenant_id, mailing_id, person_id, first_line, message, channels_json,
                                      first_mobile, first_email)
         SELECT $1::bigint, $2::bigint, id, first_line, message, channels_json, first_mobile, first_email
         FROM s WHERE pid IS NULL),
       nwm AS (
         INSERT INTO wallet_members (tenant_id, wallet_id, person_id, mailing_id, joined_at)
         SELECT $1::bigint, $4::bigint, id, $2::bigint, $3::text FROM s WHERE pid IS NULL),
       ntg AS (
         INSERT INTO person_tags (tenant_id, person_id, tag, created_at)
         SELECT $1::bigint, s.id, t.tag, $3::text
         FROM s CROSS JOIN LATERAL unnest(s.tags) AS t(tag) WHERE s.pid IS NULL),
       nch AS (
         INSERT INTO person_channels (tenant_id, person_id, kind, value, created_at)
         SELECT $1::bigint, s.id, c.kind, c.value, $3::text
         FROM s CROSS JOIN LATERAL unnest(s.kinds, s.vals) AS c(kind, value)
         WHERE s.pid IS NULL
         ${order}),
       op AS (
         UPDATE persons p SET
           cod_cliente = coalesce(s.cod_cliente, p.cod_cliente),
           document = coalesce(s.document, p.document),
           name = coalesce(s.name, p.name),
           fields_json = CASE WHEN s.fields_json = '{}' THEN p.fields_json
                              ELSE (p.fields_json::jsonb || s.fields_json::jsonb)::text END,
           updated_at = $3::text
         FROM s WHERE s.pid IS NOT NULL AND s.changed AND p.id = s.pid
         RETURNING p.id AS person_id),
       omp AS (
         INSERT INTO mailing_persons (tenant_id, mailing_id, person_id, first_line, message, channels_json,
                                      first_mobile, first_email)
         SELECT $1::bigint, $2::bigint, pid, first_line, message, channels_json, first_mobile, first_email
         FROM s WHERE pid IS NOT NULL
         ON CONFLICT (mailing_id, person_id) DO UPDATE SET
           message = coalesce(mailing_persons.message, excluded.message),
           first_mobile = coalesce(mailing_persons.first_mobile, excluded.first_mobile),
           first_email = coalesce(mailing_persons.first_email, excluded.first_email),
           channels_json = (
             SELECT jsonb_agg(d.c ORDER BY d.o)::text
             FROM (SELECT DISTINCT ON (e.c->>'value') e.c, e.o
                   FROM jsonb_array_elements(mailing_persons.channels_json::jsonb
                                             || excluded.channels_json::jsonb)
                        WITH ORDINALITY AS e(c, o)
                   ORDER BY e.c->>'value', e.o) d)),
       owm AS (
         INSERT INTO wallet_members (tenant_id, wallet_id, person_id, mailing_id, joined_at)
         SELECT $1::bigint, $4::bigint, pid, $2::bigint, $3::text FROM s WHERE pid IS NOT NULL
         ON CONFLICT (wallet_id, person_id) DO NOTHING
         RETURNING person_id),
       otg AS (
         INSERT INTO person_tags (tenant_id, person_id, tag, created_at)
         SELECT $1::bigint, s.pid, t.tag, $3::text
         FROM s CROSS JOIN LATERAL unnest(s.tags) AS t(tag) WHERE s.pid IS NOT NULL
         ON CONFLICT (person_id, tag) DO NOTHING
         RETURNING person_id),
       och AS (
         INSERT INTO person_channels (tenant_id, person_id, kind, value, created_at)
         SELECT $1::bigint, s.pid, c.kind, c.value, $3::text
         FROM s CROSS JOIN LATERAL unnest(s.kinds, s.vals) AS c(kind, value)
         WHERE s.pid IS NOT NULL
         ${order}
         ON CONFLICT (person_id, value) DO NOTHING
         RETURNING person_id)
       SELECT DISTINCT x.person_id FROM (
         SELECT person_id FROM op UNION ALL SELECT person_id FROM owm
         UNION ALL SELECT person_id FROM otg UNION ALL SELECT person_id FROM och) x
       WHERE NOT EXISTS (SELECT 1 FROM persons p
                         WHERE p.id = x.person_id AND p.created_mailing_id = $2::bigint)`,
      [tenantId, mailingId, now, walletId],
    );
    for (const row of changed.rows as { person_id: string | number }[]) {
      this.updated.add(Number(row.person_id));
    }
    await q("TRUNCATE import_stage");
  }

  private async maybeDropIndexes(): Promise<void> {
    if (this.indexDecided || this.channelsWritten < indexRebuildMinRows) return;
    const q = (text: string, values: unknown[] = []) => this.query(text, values);
    const written = {
      channels: this.channelsWritten,
      persons: this.personsWritten,
      newPersons: this.newPersonsWritten,
    };
    // Each table holds what was there before plus what earlier batches wrote;
    // counted up to twice what this import writes with this batch: O(rows written).
    const dominated: (typeof REBUILT_INDEXES)[number][] = [];
    for (const entry of REBUILT_INDEXES) {
      const limit = 2 * written[entry.rows];
      const counted = await q(
        `SELECT count(*)::int AS n FROM (SELECT 1 FROM ${entry.table} LIMIT $1) x`,
        [limit + 1],
      );
      if (Number(counted.rows[0]?.n ?? 0) <= limit) dominated.push(entry);
    }
    // Decided once the contacts dominate (look again after the next batch until then).
    if (!dominated.some((entry) => entry.table === "person_channels")) return;
    this.indexDecided = true;
    await q("SAVEPOINT import_indexes");
    try {
      const tables = [...new Set(dominated.map((i) => i.table))];
      await q(`LOCK TABLE ${tables.join(", ")} IN ACCESS EXCLUSIVE MODE NOWAIT`);
      const defs: string[] = [];
      for (const { index } of dominated) {
        const def = await q("SELECT pg_get_indexdef(to_regclass($1)) AS def", [index]);
        const text = def.rows[0]?.def as string | null | undefined;
        if (!text) continue;
        await q(`DROP INDEX ${index}`);
        defs.push(text);
      }
      await q("RELEASE SAVEPOINT import_indexes");
      this.droppedIndexes = defs;
    } catch {
      // Someone else is using the tables: keep maintaining the indexes.
      await q("ROLLBACK TO SAVEPOINT import_indexes");
      await q("RELEASE SAVEPOINT import_indexes");
    }
  }

  private async rebuildIndexes(): Promise<void> {
    if (this.droppedIndexes.length === 0) return;
    // Sorted in server memory (this transaction only).
    await this.query("SET LOCAL maintenance_work_mem = '256MB'");
    for (const def of this.droppedIndexes) await this.query(def);
    this.droppedIndexes = [];
  }

  async finish(): Promise<{ persons: number; inserted: number; updated: number }> {
    await this.startBatch();
    await this.inflight;
    await this.lock;
    await this.mergeLater();
    await this.rebuildIndexes();
    await this.query("RESET enable_hashjoin");
    await this.query("RESET enable_mergejoin");
    const q = (text: string, values: unknown[] = []) => this.query(text, values);
    const { tenantId, mailingId, walletId } = this.t;
    if (this.t.removeOtherWallets) {
      await q(
        `DELETE FROM wallet_members
         WHERE tenant_id = $1 AND wallet_id <> $2
           AND person_id IN (SELECT person_id FROM mailing_persons WHERE mailing_id = $3)`,
        [tenantId, walletId, mailingId],
      );
    }
    if (this.freshKnown) {
      // The tenant had nobody before this import (and its imports are
      // serialized): everyone of this mailing is new to the base.
      const n = await q("SELECT count(*) AS persons FROM mailing_persons WHERE mailing_id = $1", [
        mailingId,
      ]);
      const persons = Number(n.rows[0]?.persons ?? 0);
      return { persons, inserted: persons, updated: 0 };
    }
    const counts = await q(
      `SELECT count(*) AS persons, count(*) FILTER (WHERE p.created_mailing_id = $1) AS inserted
       FROM mailing_persons mp JOIN persons p ON p.id = mp.person_id
       WHERE mp.mailing_id = $1`,
      [mailingId],
    );
    return {
      persons: Number(counts.rows[0]?.persons ?? 0),
      inserted: Number(counts.rows[0]?.inserted ?? 0),
      updated: this.updated.size,
    };
  }
}
