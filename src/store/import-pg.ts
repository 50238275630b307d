/**
 * PostgreSQL import session: one transaction on one pooled client. Batches
 * are COPYed into temporary staging tables (dropped at commit or rollback);
 * `finish` merges people with the same key, upserts them and writes their
 * channels, wallet membership, tags and this mailing's person list with a
 * handful of set-based statements.
 */
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Kysely, PostgresDialect } from "kysely";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import type { Store } from "./db.js";
import type { ImportChunk, ImportSession, WriteTarget } from "./import.js";
import { blankToNull, channelsJson, fieldsJson } from "./import-rows.js";
import type { Database } from "./schema.js";

/** Records buffered per batch (bounded memory, few round trips). */
let batchRecords = 20_000;

/** Tests use tiny batches to exercise merges across batches. */
export function setPgImportBatchSize(records: number): void {
  batchRecords = Math.max(1, records);
}

const STAGING = `
  CREATE TEMP TABLE import_stage (
    seq bigint, key_kind text, key text, cod_cliente text, document text, name text,
    message text, fields_json text, channels_json text, first_line bigint
  ) ON COMMIT DROP;
  CREATE TEMP TABLE import_stage_channels (key_kind text, key text, kind text, value text)
    ON COMMIT DROP;
  CREATE TEMP TABLE import_stage_tags (key_kind text, key text, tag text) ON COMMIT DROP;
  CREATE TEMP TABLE import_ids (person_id bigint, key_kind text, key text, created_mailing_id bigint)
    ON COMMIT DROP;
  CREATE TEMP TABLE import_people (
    key_kind text, key text, first_seq bigint, first_line bigint, cod_cliente text, document text,
    name text, message text, fields_json text, channels_json text, parts bigint
  ) ON COMMIT DROP;`;

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

function line(values: (string | number | null)[]): string {
  let out = cell(values[0] ?? null);
  for (let i = 1; i < values.length; i++) out += `\t${cell(values[i] ?? null)}`;
  return `${out}\n`;
}

export async function openPgImportSession(store: Store): Promise<ImportSession> {
  if (!store.pgPool) throw new Error("not a PostgreSQL store");
  const client = await store.pgPool.connect();
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
    dialect: new PostgresDialect({ pool: bound as unknown as pg.Pool }),
  });
  let open = true;
  const release = (error?: Error) => {
    open = false;
    client.release(error);
  };
  try {
    await client.query("BEGIN");
    await client.query("SET LOCAL work_mem = '128MB'");
    await client.query(STAGING);
  } catch (error) {
    release(error as Error);
    throw error;
  }
  let writer: PgWriter | null = null;
  return {
    db,
    start(target) {
      writer = new PgWriter(client, target);
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
        await client.query("COMMIT");
        release();
      } catch (error) {
        release(error as Error);
        throw error;
      }
    },
    async rollback() {
      if (!open) return;
      try {
        await client.query("ROLLBACK");
        release();
      } catch (error) {
        // A broken connection must not go back to the pool.
        release(error as Error);
      }
    },
  };
}

class PgWriter {
  private seq = 0;
  private stage: string[] = [];
  private channels: string[] = [];
  private tags: string[] = [];
  private rejections: string[] = [];
  private buffered = 0;
  private inflight: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: pg.PoolClient,
    private readonly t: WriteTarget,
  ) {}

  async write(chunk: ImportChunk): Promise<void> {
    for (const r of chunk.persons) {
      const seq = ++this.seq;
      this.stage.push(
        line([
          seq,
          r.keyKind,
          r.key,
          blankToNull(r.codCliente),
          blankToNull(r.document),
          blankToNull(r.name),
          blankToNull(r.message),
          fieldsJson(r.fields),
          channelsJson(r),
          r.firstLine,
        ]),
      );
      for (const c of r.channels) this.channels.push(line([r.keyKind, r.key, c.kind, c.value]));
      for (const tag of r.tags) if (tag) this.tags.push(line([r.keyKind, r.key, tag]));
    }
    const { tenantId, mailingId } = this.t;
    for (const r of chunk.rejected) {
      this.rejections.push(line([tenantId, mailingId, r.line, r.code, r.message, r.raw]));
    }
    this.buffered += chunk.persons.length + chunk.rejected.length;
    if (this.buffered >= batchRecords) await this.startBatch();
  }

  private async copy(statement: string, lines: string[]): Promise<void> {
    if (lines.length === 0) return;
    const stream = this.client.query(copyFrom(statement));
    // Join in slices: fewer, larger writes without one giant string.
    const slices: string[] = [];
    for (let i = 0; i < lines.length; i += 2000) slices.push(lines.slice(i, i + 2000).join(""));
    await pipeline(Readable.from(slices), stream);
  }

  /**
   * Hands the buffered batch to the server and returns at once, so the server
   * merges batch k while the reader parses batch k+1 (two cores busy). Only
   * one batch is in flight: the previous one is awaited first.
   */
  private async startBatch(): Promise<void> {
    await this.inflight;
    const batch = {
      stage: this.stage,
      channels: this.channels,
      tags: this.tags,
      rejections: this.rejections,
    };
    this.stage = [];
    this.channels = [];
    this.tags = [];
    this.rejections = [];
    this.buffered = 0;
    const work = this.mergeBatch(batch);
    // Errors surface when the batch is awaited (next batch or finish).
    work.catch(() => {});
    this.inflight = work;
  }

  private async mergeBatch(batch: {
    stage: string[];
    channels: string[];
    tags: string[];
    rejections: string[];
  }): Promise<void> {
    await this.copy(
      "COPY import_stage (seq, key_kind, key, cod_cliente, document, name, message, fields_json, channels_json, first_line) FROM STDIN",
      batch.stage,
    );
    await this.copy(
      "COPY import_stage_channels (key_kind, key, kind, value) FROM STDIN",
      batch.channels,
    );
    await this.copy("COPY import_stage_tags (key_kind, key, tag) FROM STDIN", batch.tags);
    await this.copy(
      "COPY mailing_rejections (tenant_id, mailing_id, line, code, message, raw) FROM STDIN",
      batch.rejections,
    );
    if (batch.stage.length === 0) return;
    const q = (text: string, values: unknown[] = []) => this.client.query(text, values);
    const { tenantId, mailingId, walletId, now } = this.t;
    // One row per key of this batch, taken from its first record; `parts`
    // tells which keys had several records in the batch and need merging.
    await q(`
      INSERT INTO import_people
      SELECT key_kind, key, seq, first_line, cod_cliente, document, name, message,
             fields_json, channels_json, parts
      FROM (SELECT s.*, count(*) OVER (PARTITION BY key_kind, key) AS parts,
                   row_number() OVER (PARTITION BY key_kind, key ORDER BY seq) AS rn
            FROM import_stage s) x
      WHERE rn = 1`);
    const merged = await q("SELECT 1 FROM import_people WHERE parts > 1 LIMIT 1");
    if (merged.rows.length > 0) await this.mergeScattered();

    await q(
      `WITH up AS (
         INSERT INTO persons (tenant_id, key_kind, key, cod_cliente, document, name, fields_json,
                              created_mailing_id, created_at, updated_at)
         SELECT $1, key_kind, key, cod_cliente, document, name, fields_json, $2, $3, $3
         FROM import_people
         ON CONFLICT (tenant_id, key_kind, key) DO UPDATE SET
           cod_cliente = coalesce(excluded.cod_cliente, persons.cod_cliente),
           document = coalesce(excluded.document, persons.document),
           name = coalesce(excluded.name, persons.name),
           fields_json = CASE WHEN excluded.fields_json = '{}' THEN persons.fields_json
                              ELSE (persons.fields_json::jsonb || excluded.fields_json::jsonb)::text END,
           updated_at = excluded.updated_at
         RETURNING id, key_kind, key, created_mailing_id)
       INSERT INTO import_ids (person_id, key_kind, key, created_mailing_id)
       SELECT id, key_kind, key, created_mailing_id FROM up`,
      [tenantId, mailingId, now],
    );
    await q(
      `INSERT INTO person_channels (tenant_id, person_id, kind, value, created_at)
       SELECT $1, i.person_id, c.kind, c.value, $2
       FROM import_stage_channels c JOIN import_ids i USING (key_kind, key)
       ON CONFLICT (person_id, value) DO NOTHING`,
      [tenantId, now],
    );
    if (this.t.replaceTags) {
      // `_limpartag`: old tags go once, for people not yet met earlier in this file.
      await q(
        `DELETE FROM person_tags t
         WHERE t.tenant_id = $1 AND t.person_id IN (SELECT person_id FROM import_ids)
           AND NOT EXISTS (SELECT 1 FROM mailing_persons mp
                           WHERE mp.mailing_id = $2 AND mp.person_id = t.person_id)`,
        [tenantId, mailingId],
      );
    }
    // A person met again in a later batch: this file's contact list grows
    // (file order kept, no repeated values) and the first message stays.
    await q(
      `INSERT INTO mailing_persons (tenant_id, mailing_id, person_id, first_line, message, channels_json)
       SELECT $1, $2, i.person_id, p.first_line, p.message, p.channels_json
       FROM import_people p JOIN import_ids i USING (key_kind, key)
       ON CONFLICT (mailing_id, person_id) DO UPDATE SET
         message = coalesce(mailing_persons.message, excluded.message),
         channels_json = (
           SELECT jsonb_agg(d.c ORDER BY d.o)::text
           FROM (SELECT DISTINCT ON (e.c->>'value') e.c, e.o
                 FROM jsonb_array_elements(mailing_persons.channels_json::jsonb
                                           || excluded.channels_json::jsonb)
                      WITH ORDINALITY AS e(c, o)
                 ORDER BY e.c->>'value', e.o) d)`,
      [tenantId, mailingId],
    );
    await q(
      `INSERT INTO wallet_members (tenant_id, wallet_id, person_id, mailing_id, joined_at)
       SELECT $1, $2, person_id, $3, $4 FROM import_ids
       ON CONFLICT (wallet_id, person_id) DO UPDATE SET mailing_id = excluded.mailing_id`,
      [tenantId, walletId, mailingId, now],
    );
    await q(
      `INSERT INTO person_tags (tenant_id, person_id, tag, created_at)
       SELECT $1, i.person_id, t.tag, $2
       FROM import_stage_tags t JOIN import_ids i USING (key_kind, key)
       ON CONFLICT (person_id, tag) DO NOTHING`,
      [tenantId, now],
    );
    await q(
      "TRUNCATE import_stage, import_stage_channels, import_stage_tags, import_people, import_ids",
    );
  }

  async finish(): Promise<{ persons: number; inserted: number }> {
    await this.startBatch();
    await this.inflight;
    const q = (text: string, values: unknown[] = []) => this.client.query(text, values);
    const { tenantId, mailingId, walletId } = this.t;
    if (this.t.removeOtherWallets) {
      await q(
        `DELETE FROM wallet_members
         WHERE tenant_id = $1 AND wallet_id <> $2
           AND person_id IN (SELECT person_id FROM mailing_persons WHERE mailing_id = $3)`,
        [tenantId, walletId, mailingId],
      );
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
    };
  }

  /** Keys with several records in the batch: later non-empty values win, channels in file order. */
  private async mergeScattered(): Promise<void> {
    const q = (text: string) => this.client.query(text);
    await q(`
      CREATE TEMP TABLE IF NOT EXISTS import_scattered ON COMMIT DROP AS
      SELECT * FROM import_stage WITH NO DATA`);
    await q("TRUNCATE import_scattered");
    await q(`
      INSERT INTO import_scattered
      SELECT s.* FROM import_stage s
      JOIN import_people p ON p.key_kind = s.key_kind AND p.key = s.key AND p.parts > 1`);
    await q(`
      UPDATE import_people p SET
        cod_cliente = m.cod_cliente, document = m.document, name = m.name, message = m.message
      FROM (SELECT key_kind, key,
              (array_agg(cod_cliente ORDER BY seq DESC) FILTER (WHERE cod_cliente IS NOT NULL))[1] AS cod_cliente,
              (array_agg(document ORDER BY seq DESC) FILTER (WHERE document IS NOT NULL))[1] AS document,
              (array_agg(name ORDER BY seq DESC) FILTER (WHERE name IS NOT NULL))[1] AS name,
              (array_agg(message ORDER BY seq) FILTER (WHERE message IS NOT NULL))[1] AS message
            FROM import_scattered GROUP BY key_kind, key) m
      WHERE p.key_kind = m.key_kind AND p.key = m.key`);
    await q(`
      UPDATE import_people p SET fields_json = m.fields
      FROM (SELECT s.key_kind, s.key, jsonb_object_agg(e.k, e.v ORDER BY s.seq, e.ord)::text AS fields
            FROM import_scattered s
            CROSS JOIN LATERAL jsonb_each_text(s.fields_json::jsonb) WITH ORDINALITY AS e(k, v, ord)
            GROUP BY s.key_kind, s.key) m
      WHERE p.key_kind = m.key_kind AND p.key = m.key`);
    await q(`
      UPDATE import_people p SET channels_json = m.channels
      FROM (SELECT key_kind, key, jsonb_agg(c ORDER BY seq, ord)::text AS channels
            FROM (SELECT DISTINCT ON (s.key_kind, s.key, e.c->>'value')
                         s.key_kind, s.key, s.seq, e.ord, e.c
                  FROM import_scattered s
                  CROSS JOIN LATERAL jsonb_array_elements(s.channels_json::jsonb) WITH ORDINALITY AS e(c, ord)
                  ORDER BY s.key_kind, s.key, e.c->>'value', s.seq, e.ord) d
            GROUP BY key_kind, key) m
      WHERE p.key_kind = m.key_kind AND p.key = m.key`);
  }
}
