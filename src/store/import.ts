/**
 * The import writer (SPEC §6): one mailing's people into the base, all or
 * nothing. It consumes batches of `PersonRecord`s from any async source (the
 * mailing reader, or generated data in tests and benchmarks) and, once the
 * source is exhausted, its summary; a summary that is not ok (e.g. too many
 * rejected rows, known only at the end) rolls everything back.
 *
 * Atomicity: the whole file is one database transaction — a crash at any
 * point leaves either the complete mailing or nothing, and the mailing row
 * (outcome "accepted") is written in that same transaction, so the unique
 * index on (tenant, date, sequence) makes a re-import impossible only once
 * the first one committed.
 *
 * Hot paths: SQLite uses prepared statements on a dedicated connection in one
 * large transaction (import-sqlite.ts); PostgreSQL COPYs into temporary
 * staging tables and merges with set-based statements (import-pg.ts).
 *
 * Campaign seam: `afterImport` is called inside the transaction with the
 * mailing id and a Kysely handle bound to that transaction; whatever it writes
 * (campaigns, waves, messages) commits or rolls back with the people. If it
 * throws, the import is rolled back and the error propagates.
 */
import { type Kysely, sql } from "kysely";
import type { Mailing } from "../filename/types.js";
import type { FileError, PersonRecord, RejectedRow, RowRejectCode } from "../mailing/types.js";
import type { Dialect, Store } from "./db.js";
import { describeDataRejection, isDataRejection, isUniqueViolation } from "./errors.js";
import { openPgImportSession } from "./import-pg.js";
import { openSqliteImportSession } from "./import-sqlite.js";
import { legalBasisMissing, legalBasisMissingMessage } from "./privacy.js";
import { type Database, nowIso } from "./schema.js";
import { getWalletByCode } from "./wallets.js";

export interface ImportChunk {
  persons: PersonRecord[];
  rejected: RejectedRow[];
}

/** What the writer needs from the reader's final summary (a subset of `MailingSummary`). */
export interface ContentSummary {
  ok: boolean;
  errors: FileError[];
  rows: number;
  rejected: Partial<Record<RowRejectCode, number>>;
  rejectedRows: number;
  /** `_h`: kept mobiles that got the 9th digit (absent: not counted). */
  ninthDigits?: number;
  /** One row per person: contacts dropped from rows that were kept. */
  droppedContacts?: number;
  bytes: number;
  sha256: string;
  /**
   * The content's encoding and delimiter (for a zip, the reader's: the first entry's delimiter,
   * Windows-1252 if any entry is), kept on the mailing for its return file. Absent: not known.
   */
  encoding?: string | null;
  delimiter?: string | null;
}

/** Context handed to the campaign hook, inside the import transaction. */
export interface ImportedMailing {
  tenantId: number;
  mailingId: number;
  walletId: number;
  mailing: Mailing;
  /** People of this mailing (rows in `mailing_persons`). */
  persons: number;
  /** Bound to the import transaction: use it (not the store's db) for everything written. */
  db: Kysely<Database>;
  dialect: Dialect;
}

export type AfterImportHook = (imported: ImportedMailing) => Promise<void>;

export interface ImportRequest {
  tenantId: number;
  /** The parsed file name (`parse(...).mailing`). */
  mailing: Mailing;
  fileName: string;
  /** Path relative to the source root, or the local path. */
  path: string;
  folder: string | null;
  sourceId?: number | null;
  /**
   * An existing mailing row (the ingest pipeline's per-file record) to
   * complete; absent: a new row is created. Either way the row is written in
   * the import transaction.
   */
  mailingId?: number | null;
  firstSeenAt?: string;
  /** Tenant-local date the file was first seen (default: the name's date). */
  seenDate?: string;
  storedPath?: string | null;
  /** Batches of people and rejected rows. */
  content: AsyncIterable<ImportChunk>;
  /** Called once `content` is exhausted. */
  summary: () => ContentSummary | undefined;
  onProgress?: (progress: ImportProgress) => void;
  afterImport?: AfterImportHook;
  /** Phase durations (seconds) measured before the import, stored with the mailing. */
  timings?: Record<string, number>;
}

export interface ImportProgress {
  persons: number;
  rejectedRows: number;
}

export interface ImportError {
  code: string;
  message: string;
  param?: string | null;
}

export interface ImportResult {
  ok: boolean;
  errors: ImportError[];
  mailingId: number | null;
  rows: number;
  /** Distinct people in the file. */
  persons: number;
  /** People new to the base. */
  inserted: number;
  /**
   * People already in the base that this import changed: a value of theirs, a
   * contact or a tag they did not have, or the wallet joined. A person re-sent
   * with nothing new is in `persons` only.
   */
  updated: number;
  rejected: Partial<Record<string, number>>;
  rejectedRows: number;
  seconds: number;
}

/** Per-dialect writer inside one open transaction. */
export interface ImportSession {
  /** Kysely bound to the transaction. */
  readonly db: Kysely<Database>;
  /** Called once the mailing row exists (the id is needed by every row written). */
  start(target: WriteTarget): void;
  write(chunk: ImportChunk): Promise<void>;
  /**
   * Applies the set-level parts (merges, removeOtherWallets) and counts;
   * `updated` when the session counted it as it wrote (else it is queried).
   */
  finish(): Promise<{ persons: number; inserted: number; updated?: number }>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

export interface WriteTarget {
  tenantId: number;
  mailingId: number;
  walletId: number;
  replaceTags: boolean;
  removeOtherWallets: boolean;
  now: string;
}

/** Wraps the mailing reader's generator so its return value (the summary) is kept. */
export function splitReader<S extends ContentSummary>(
  generator: AsyncGenerator<ImportChunk, S, void>,
): { content: AsyncIterable<ImportChunk>; summary: () => S | undefined } {
  let result: S | undefined;
  return {
    content: {
      async *[Symbol.asyncIterator]() {
        for (;;) {
          const step = await generator.next();
          if (step.done) {
            result = step.value;
            return;
          }
          yield step.value;
        }
      },
    },
    summary: () => result,
  };
}

/** The result of an import refused before anything was written. */
export function refusal(errors: ImportError[], started: number): ImportResult {
  return {
    ok: false,
    errors,
    mailingId: null,
    rows: 0,
    persons: 0,
    inserted: 0,
    updated: 0,
    rejected: {},
    rejectedRows: 0,
    seconds: (performance.now() - started) / 1000,
  };
}

/** The accepted mailing holding this tenant+date+sequence, if any. */
export async function findAcceptedMailing(
  db: Kysely<Database>,
  tenantId: number,
  date: string,
  sequence: number,
): Promise<{ id: number; file_name: string; path: string } | null> {
  return (
    (await db
      .selectFrom("mailings")
      .select(["id", "file_name", "path"])
      .where("tenant_id", "=", tenantId)
      .where("date", "=", date)
      .where("sequence", "=", sequence)
      .where("outcome", "=", "accepted")
      .executeTakeFirst()) ?? null
  );
}

function sequenceTaken(mailing: Mailing, holder: string): ImportError {
  return {
    code: "SEQUENCIA_REPETIDA",
    param: null,
    message: `A sequência ${mailing.sequence} de ${mailing.date.split("-").reverse().join("/")} já foi usada pelo arquivo "${holder}". Envie o arquivo com outra sequência (por exemplo a próxima livre).`,
  };
}

async function openSession(store: Store): Promise<ImportSession> {
  return store.dialect === "postgres" ? openPgImportSession(store) : openSqliteImportSession(store);
}

export async function importMailing(store: Store, request: ImportRequest): Promise<ImportResult> {
  const started = performance.now();
  const { tenantId, mailing } = request;
  const walletCode = mailing.wallet;
  const wallet = walletCode ? await getWalletByCode(store.db, tenantId, walletCode) : null;
  if (!wallet) {
    return refusal(
      [
        {
          code: "CARTEIRA_INEXISTENTE",
          param: "c",
          message: walletCode
            ? `A carteira "${walletCode}" não está cadastrada. Cadastre-a (remessa wallets add ${walletCode}) ou corrija o código no nome do arquivo (_c) ou a pasta.`
            : "O arquivo não indica a carteira. Coloque-o na pasta da carteira ou acrescente _cCODIGO ao nome.",
        },
      ],
      started,
    );
  }
  const holder = await findAcceptedMailing(store.db, tenantId, mailing.date, mailing.sequence);
  if (holder && holder.id !== request.mailingId) {
    return refusal([sequenceTaken(mailing, holder.file_name)], started);
  }
  // LGPD (issue 15): the last word before anything is written, whatever path led here.
  if (await legalBasisMissing(store.db, tenantId, wallet.id)) {
    return refusal(
      [{ code: "BASE_LEGAL_AUSENTE", param: "c", message: legalBasisMissingMessage(wallet.code) }],
      started,
    );
  }

  const session = await openSession(store);
  let committed = false;
  try {
    const now = importInstant();
    const rowValues = {
      tenant_id: tenantId,
      source_id: request.sourceId ?? null,
      folder: request.folder,
      file_name: request.fileName,
      path: request.path,
      date: mailing.date,
      sequence: mailing.sequence,
      description: mailing.description,
      wallet_id: wallet.id,
      // The basis in force at import, kept with the mailing (the wallet's may change later).
      legal_basis: wallet.legal_basis,
      legal_basis_note: wallet.legal_basis_note,
      parsed_json: JSON.stringify(mailing),
      state: "checked" as const,
      outcome: "accepted" as const,
      stored_path: request.storedPath ?? null,
      updated_at: now,
    };
    let mailingId: number;
    try {
      if (request.mailingId) {
        const row = await session.db
          .updateTable("mailings")
          .set(rowValues)
          .where("tenant_id", "=", tenantId)
          .where("id", "=", request.mailingId)
          .returning("id")
          .executeTakeFirst();
        if (!row) throw new Error(`mailing ${request.mailingId} not found for tenant ${tenantId}`);
        mailingId = row.id;
      } else {
        const row = await session.db
          .insertInto("mailings")
          .values({
            ...rowValues,
            first_seen_at: request.firstSeenAt ?? now,
            seen_date: request.seenDate ?? mailing.date,
            created_at: now,
          })
          .returning("id")
          .executeTakeFirstOrThrow();
        mailingId = row.id;
      }
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // Another import of the same sequence committed between our check and now.
      await session.rollback();
      committed = true; // nothing left to roll back
      const other = await findAcceptedMailing(store.db, tenantId, mailing.date, mailing.sequence);
      return refusal([sequenceTaken(mailing, other?.file_name ?? "?")], started);
    }

    session.start({
      tenantId,
      mailingId,
      walletId: wallet.id,
      replaceTags: mailing.replaceTags,
      removeOtherWallets: mailing.removeOtherWallets,
      now,
    });
    let persons = 0;
    let rejectedRows = 0;
    let channelRows = 0;
    const rejectedCounts: Record<string, number> = {};
    for await (const chunk of request.content) {
      await session.write(chunk);
      persons += chunk.persons.length;
      for (const p of chunk.persons) channelRows += p.channels.length;
      rejectedRows += chunk.rejected.length;
      for (const r of chunk.rejected) rejectedCounts[r.code] = (rejectedCounts[r.code] ?? 0) + 1;
      request.onProgress?.({ persons, rejectedRows });
    }
    const summary = request.summary();
    if (summary && !summary.ok) {
      await session.rollback();
      committed = true;
      return {
        ...refusal(
          summary.errors.map((e) => ({ code: e.code, message: e.message, param: null })),
          started,
        ),
        rows: summary.rows,
        rejected: summary.rejected,
        rejectedRows: summary.rejectedRows,
      };
    }
    const counts = await session.finish();
    const updated =
      counts.updated ??
      (counts.persons > counts.inserted
        ? await countUpdated(session.db, tenantId, mailingId, wallet.id, now)
        : 0);
    const rejected = summary?.rejected ?? rejectedCounts;
    const totalRejected = summary?.rejectedRows ?? rejectedRows;
    const seconds = (performance.now() - started) / 1000;
    const result: ImportResult = {
      ok: true,
      errors: [],
      mailingId,
      // Without a reader summary, long layout: one row per contact.
      rows: summary?.rows ?? channelRows + rejectedRows,
      persons: counts.persons,
      inserted: counts.inserted,
      updated,
      rejected,
      rejectedRows: totalRejected,
      seconds,
    };
    await session.db
      .updateTable("mailings")
      .set({
        sha256: summary?.sha256 ?? null,
        bytes: summary?.bytes ?? null,
        encoding: summary?.encoding ?? null,
        delimiter: summary?.delimiter ?? null,
        rows: result.rows,
        persons: result.persons,
        inserted: result.inserted,
        updated: result.updated,
        rejected: totalRejected,
        rejected_json: JSON.stringify(rejected),
        changes_json: JSON.stringify({
          ninthDigit: summary?.ninthDigits ?? 0,
          droppedContacts: summary?.droppedContacts ?? 0,
        }),
        state: "imported",
        timings_json: JSON.stringify({ ...request.timings, import: round3(seconds) }),
        errors_json: "[]",
        updated_at: nowIso(),
      })
      .where("tenant_id", "=", tenantId)
      .where("id", "=", mailingId)
      .execute();
    if (request.afterImport) {
      await request.afterImport({
        tenantId,
        mailingId,
        walletId: wallet.id,
        mailing,
        persons: result.persons,
        db: session.db,
        dialect: store.dialect,
      });
    }
    await session.commit();
    committed = true;
    result.seconds = (performance.now() - started) / 1000;
    return result;
  } catch (error) {
    if (!isDataRejection(error)) throw error;
    await session.rollback();
    committed = true;
    return refusal(
      [
        {
          code: "DADOS_RECUSADOS",
          param: null,
          message: describeDataRejection(error),
        },
      ],
      started,
    );
  } finally {
    if (!committed) await session.rollback().catch(() => {});
  }
}

let lastImportMs = 0;

/**
 * The import's own instant, strictly later than any earlier import's in this
 * process: countUpdated tells what this import wrote by its timestamp, so two
 * imports in the same millisecond (small files back to back) would count each
 * other's writes (a property test caught it as a rare flake on PostgreSQL).
 */
function importInstant(): string {
  lastImportMs = Math.max(Date.now(), lastImportMs + 1);
  return new Date(lastImportMs).toISOString();
}

/**
 * People of the mailing already in the base before it that it changed, told
 * by what the import wrote: a person row rewritten (`updated_at` is the
 * import's `now` only then; an unchanged one is not written), a contact or tag
 * new to the person (created at `now`; one already there is kept as it was),
 * or a membership this mailing began. Counted once, after the whole file, so
 * it does not depend on the order of the rows nor on how they fell in batches.
 */
async function countUpdated(
  db: Kysely<Database>,
  tenantId: number,
  mailingId: number,
  walletId: number,
  now: string,
): Promise<number> {
  const { rows } = await sql<{ n: number | string }>`
    SELECT count(*) AS n FROM mailing_persons mp JOIN persons p ON p.id = mp.person_id
    WHERE mp.mailing_id = ${mailingId} AND mp.tenant_id = ${tenantId}
      AND (p.created_mailing_id IS NULL OR p.created_mailing_id <> ${mailingId})
      AND (p.updated_at = ${now}
        OR EXISTS (SELECT 1 FROM person_channels c WHERE c.person_id = p.id AND c.created_at = ${now})
        OR EXISTS (SELECT 1 FROM person_tags t WHERE t.person_id = p.id AND t.created_at = ${now})
        OR EXISTS (SELECT 1 FROM wallet_members w
                   WHERE w.wallet_id = ${walletId} AND w.person_id = p.id AND w.mailing_id = ${mailingId}))`.execute(
    db,
  );
  return Number(rows[0]?.n ?? 0);
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
