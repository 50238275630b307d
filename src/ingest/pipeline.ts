/**
 * One file through the pickup pipeline (SPEC §2–§6), as a persistent state
 * machine on its `mailings` row:
 *
 *   seen → stable → claimed → downloaded → checked → imported → moved → reported
 *                                  (discarded files go checked → moved)
 *   seen/stable/claimed → vanished (gone from the server before the download)
 *
 * The scanner owns `seen`/`stable`; a processor holding the row's lease owns
 * the rest. Each step is written so that running it again after a crash, at
 * any instant, has the same effect as running it once:
 *
 * - claimed → downloaded: the bytes are streamed into a content-addressed
 *   blob (temporary name, then rename). A crash leaves at most a stray
 *   temporary file; re-downloading writes the same blob. Nothing on the
 *   server changes. A file missing on the server here is "vanished".
 * - downloaded → checked: pure name and tenant-data checks; the decision
 *   (outcome "discarded" with every error) or "go on" is one UPDATE. Redoing
 *   the checks before that UPDATE lands is harmless.
 * - checked → imported: the import writer puts the people AND the row's
 *   state "imported"/outcome "accepted" in one database transaction, and a
 *   guard inside it re-reads the lease, so the import commits exactly once: a
 *   crash before the commit rolls everything back and the step is redone; a
 *   crash after it finds state "imported" and skips to the move. A refusal
 *   (bad content, sequence taken meanwhile) records outcome "discarded".
 * - → moved: the destination folder follows from the persisted outcome
 *   (LIDOS or DESCARTADOS beside the file), so a file can never go to the
 *   wrong folder. If the file is still at its path, it is moved (never
 *   overwriting; a clash gets -2, -3…). If it is not, an earlier attempt
 *   moved it before crashing: the destination folder is searched for the
 *   name or its clash variants with the same size (and bytes, when several
 *   match) that no other record claims, and that path is recorded. A move the
 *   server refuses (permissions) releases the file with a back-off and the
 *   error kept for the console; it is retried, never re-imported.
 * - moved → reported: each report is `<moved name>.erro.txt` (or
 *   `.resultado.txt`, `.rejeitados.csv`); the moved name is unique in its
 *   folder, so a report already there was written by an earlier attempt and
 *   is not written again.
 *
 * Every step first re-checks the lease (`advance` updates only while the
 * lease is ours); a processor that lost its lease stops without side effects.
 */

import { createHash, randomUUID } from "node:crypto";
import { rm } from "node:fs/promises";
import { Readable } from "node:stream";
import { setTimeout as delay } from "node:timers/promises";
import type { Kysely } from "kysely";
import { DateTime } from "luxon";
import { campaignPlanner } from "../campaigns/create.js";
import { campaignSummaries } from "../campaigns/summary.js";
import { escapeControls } from "../filename/control.js";
import { movedBaseName, parse } from "../filename/index.js";
import type { Mailing, NameError } from "../filename/types.js";
import { displayLocal } from "../local-time.js";
import type { Logger } from "../log.js";
import { fileErrors } from "../mailing/messages.js";
import { readMailing } from "../mailing/reader.js";
import {
  type CampaignLine,
  errorReport,
  rejectedCsvHeader,
  rejectedCsvLine,
  resultReport,
} from "../mailing/reports.js";
import type { FileError, RowRejectCode } from "../mailing/types.js";
import { type FileOutcome, type Metrics, noMetrics } from "../metrics.js";
import { notifyFileFinished } from "../notifications/events.js";
import { withErasedContacts } from "../privacy/erased.js";
import { openStoredFile } from "../privacy/sealed.js";
import { DISCARDED_FOLDER, READ_FOLDER, REPORT_STAGING } from "../sources/candidates.js";
import { SourceError, systemCode } from "../sources/errors.js";
import { baseName, clashName, joinRelative, parentOf } from "../sources/paths.js";
import type { Source, WriteContent } from "../sources/types.js";
import type { Store } from "../store/db.js";
import { type AfterImportHook, importMailing, splitReader } from "../store/import.js";
import {
  type ImportRestrictionMatcher,
  importRestrictionMatcher,
  orderedChannels,
} from "../store/restrictions.js";
import type { Database, MailingRow, MailingState, MailingUpdate, Tenant } from "../store/schema.js";
import type { BlobStore } from "./blobs.js";
import {
  advance,
  advanceWith,
  destinationTaken,
  markVanished,
  releaseFile,
  renewFileLease,
  TERMINAL_STATES,
} from "./ledger.js";
import { DEFAULT_PROGRESS_MS, ImportProgressLog } from "./progress.js";
import { checkFolder, checkTenantData, databaseDirectory } from "./tenant-checks.js";

export interface PipelineContext {
  store: Store;
  blobs: BlobStore;
  /** This process's lease owner id. */
  owner: string;
  leaseMs: number;
  log: Logger;
  /** Test hook: die abruptly (SIGKILL) right after this state is persisted. */
  crashAt?: string | null;
  /**
   * Campaign seam, run inside the import transaction. Absent: campaign
   * planning (src/campaigns/create.ts) with this context's clock; null: none
   * (the import alone, e.g. a benchmark's baseline).
   */
  afterImport?: AfterImportHook | null;
  /**
   * Told, inside the transaction that records it, that a file ended
   * (reported, or failed) with its final row. Absent: the tenant's
   * notifications (src/notifications); null: none.
   */
  onFinished?: FileFinishedHook | null;
  /** First back-off after a failed step; doubles per attempt, capped at 15 min. */
  retryBaseMs?: number;
  /**
   * Attempts (claims) after which a file whose step keeps failing is ended as
   * "failed" with the last error. Default 30: about 6 hours of retries.
   */
  maxAttempts?: number;
  /**
   * Largest file taken (bytes, default 1 GiB): a bigger one is discarded as
   * ARQUIVO_GRANDE from its size on the server, never downloaded.
   */
  maxFileBytes?: number;
  now?: () => Date;
  /** Files, imports and lost leases are counted here (default: not counted). */
  metrics?: Metrics;
  /** Time between two progress lines of a long import in the log. Default 5 s. */
  progressEveryMs?: number;
}

/** See PipelineContext.onFinished. */
export type FileFinishedHook = (
  trx: Kysely<Database>,
  row: MailingRow,
  now: string,
) => Promise<void>;

function finishedHook(ctx: PipelineContext): FileFinishedHook | null {
  return ctx.onFinished === undefined ? notifyFileFinished : ctx.onFinished;
}

export type ProcessOutcome = "finished" | "retry-later" | "lease-lost" | "failed";

const MAX_RETRY_MS = 15 * 60 * 1000;
const DEFAULT_MAX_ATTEMPTS = 30;
const DEFAULT_MAX_FILE_BYTES = 1024 ** 3;

/** System errors about the name or the kind of a path: the same call fails the same way every time. */
const PERMANENT_CODES = new Set(["ENAMETOOLONG", "EINVAL", "EISDIR", "ENOTDIR", "ELOOP"]);

/**
 * An error no retry can fix: a permanent system code anywhere in its cause
 * chain, an invalid path, or a server's "name too long" reply (FTP/SFTP
 * servers say it in words, not codes).
 */
export function isPermanentError(error: unknown, fileName?: string): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    if (current instanceof SourceError && current.code === "CAMINHO_INVALIDO") return true;
    const code = systemCode(current);
    if (code !== undefined && PERMANENT_CODES.has(code)) return true;
    let message = current instanceof Error ? current.message : String(current);
    // Messages quote the file's path: its own name (a description "_dnome muito longo")
    // must not make a passing error (a timeout) look permanent.
    if (fileName) message = message.split(fileName).join("");
    if (/name too long|nome muito longo|filename too long/i.test(message)) return true;
    current = current instanceof Error ? current.cause : undefined;
  }
  return false;
}

/** A step could not finish (server or database trouble); the file is retried later. */
class RetryableStepError extends Error {}
class LeaseLostError extends Error {}

function tenantClock(tenant: Tenant, at: Date): { today: string; now: string } {
  const local = DateTime.fromJSDate(at).setZone(tenant.time_zone);
  const zoned = local.isValid ? local : DateTime.fromJSDate(at).setZone("America/Sao_Paulo");
  return { today: zoned.toFormat("yyyy-MM-dd"), now: zoned.toFormat("yyyy-MM-dd'T'HH:mm") };
}

/** Tenant-local calendar date of an instant (the "today" of a file first seen then). */
export function tenantDate(timeZone: string, at: Date): string {
  const local = DateTime.fromJSDate(at).setZone(timeZone);
  return (local.isValid ? local : DateTime.fromJSDate(at).setZone("America/Sao_Paulo")).toFormat(
    "yyyy-MM-dd",
  );
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/**
 * Runs a claimed file from its current state to the end (or until a step must
 * wait). The caller holds the lease on `row` (from `claimNextFile`).
 */
export async function processFile(
  ctx: PipelineContext,
  initial: MailingRow,
  tenant: Tenant,
  source: Source,
): Promise<ProcessOutcome> {
  const clock = ctx.now ?? (() => new Date());
  const metrics = ctx.metrics ?? noMetrics;
  const log = ctx.log.child({
    mailingId: initial.id,
    file: initial.path,
    sourceId: initial.source_id,
  });
  let row = initial;
  let leaseLost = false;
  // One renewal at a time. On PostgreSQL a renewal waits for the import's
  // transaction (it locks this file's row, so no other process can claim it
  // meanwhile): without this each tick would hold another pooled connection.
  let renewing = false;
  const heartbeat = setInterval(
    () => {
      if (renewing) return;
      renewing = true;
      const until = new Date(clock().getTime() + ctx.leaseMs).toISOString();
      renewFileLease(ctx.store.db, row.id, ctx.owner, until)
        .then((ok) => {
          if (!ok) leaseLost = true;
        })
        .catch(() => {})
        .finally(() => {
          renewing = false;
        });
    },
    Math.max(250, Math.floor(ctx.leaseMs / 3)),
  );
  heartbeat.unref();

  /** Persists a step; stops the run when the lease is no longer ours. */
  const step: Step = async (patch, options = {}) => {
    if (leaseLost) throw new LeaseLostError();
    const now = clock().toISOString();
    const hook = options.final ? finishedHook(ctx) : null;
    const ok = hook
      ? await advanceWith(ctx.store, row.id, ctx.owner, patch, now, (trx) =>
          hook(trx, { ...row, ...patch, updated_at: now } as MailingRow, now),
        )
      : await advance(ctx.store.db, row.id, ctx.owner, patch, now);
    if (!ok) throw new LeaseLostError();
    row = { ...row, ...patch } as MailingRow;
    if (patch.state) crashHook(ctx, patch.state);
  };

  try {
    // Claimed more often than any retry schedule would: the step keeps ending
    // the process itself (out of memory, killed), so it never reaches the
    // catch below. End it here, before it runs again.
    const maxClaims = ctx.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    if (row.attempts > maxClaims) {
      throw new StepKeepsCrashingError(
        `O processamento foi interrompido ${row.attempts - 1} vezes na etapa "${row.state}" sem terminar (o processo caiu ou foi reiniciado no meio).`,
      );
    }
    for (;;) {
      switch (row.state) {
        case "claimed":
          crashHook(ctx, "claimed");
          await download(ctx, row, source, step, log);
          break;
        case "downloaded":
          await checkName(ctx, row, tenant, clock(), step);
          break;
        case "checked":
          if (row.outcome === "discarded") await moveFile(ctx, row, source, step);
          else {
            // On success the import itself moved the row to "imported": take the fresh row.
            const imported = await importFile(ctx, row, tenant, step, log);
            if (imported) row = imported;
          }
          break;
        case "imported":
          await moveFile(ctx, row, source, step);
          break;
        case "moved":
          await writeReports(ctx, row, tenant, source, step);
          await releaseFile(ctx.store.db, row.id, ctx.owner, { error: null });
          log.info("file finished", { outcome: row.outcome, movedTo: row.moved_to });
          metrics.fileFinished(row.outcome as FileOutcome, discardCodes(row));
          return "finished";
        case "vanished":
          log.info("file vanished before download");
          metrics.fileFinished("vanished", []);
          return "finished";
        default:
          // stable/seen/reported: nothing for a processor (should not be claimed).
          await releaseFile(ctx.store.db, row.id, ctx.owner);
          return "finished";
      }
    }
  } catch (error) {
    // A step that failed after the lease was lost is the new holder's file now:
    // neither a retry nor a failure (report and all) of ours.
    if (error instanceof LeaseLostError || leaseLost) {
      log.warn("lease lost; another process took the file over");
      metrics.leaseLost("file");
      return "lease-lost";
    }
    const message =
      error instanceof SourceError || error instanceof RetryableStepError
        ? error.message
        : error instanceof StepKeepsCrashingError
          ? error.message
          : `Erro interno ao processar o arquivo: ${(error as Error)?.message ?? String(error)}`;
    const permanent =
      error instanceof StepKeepsCrashingError || isPermanentError(error, row.file_name);
    const maxAttempts = ctx.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    if (permanent || row.attempts >= maxAttempts) {
      // Retrying cannot help (or has not, many times over): end the record
      // with the reason, instead of a retry every 15 minutes forever.
      const reason = permanent
        ? `Erro permanente na etapa "${row.state}", o remessa não tentará de novo: ${message}`
        : `O remessa desistiu após ${row.attempts} tentativas na etapa "${row.state}": ${message}`;
      // The failure report goes beside the customer's file: only while it is still ours.
      const until = new Date(clock().getTime() + ctx.leaseMs).toISOString();
      if (!(await renewFileLease(ctx.store.db, row.id, ctx.owner, until).catch(() => false))) {
        log.warn("lease lost; another process took the file over");
        metrics.leaseLost("file");
        return "lease-lost";
      }
      log.error("file failed; not retried", { state: row.state, attempts: row.attempts, error });
      await failFile(ctx, row, source, reason, log).catch((failError) =>
        log.error("could not record the failure", { error: failError }),
      );
      metrics.fileFinished("failed", []);
      return "failed";
    }
    const wait = Math.min(
      MAX_RETRY_MS,
      (ctx.retryBaseMs ?? 5000) * 2 ** Math.max(0, row.attempts - 1),
    );
    log.warn("step failed; will retry", { state: row.state, error, retryInMs: wait });
    await releaseFile(ctx.store.db, row.id, ctx.owner, {
      retryAt: new Date(clock().getTime() + wait).toISOString(),
      error: message,
    }).catch(() => {});
    return "retry-later";
  } finally {
    clearInterval(heartbeat);
  }
}

/** The codes of a discarded file's reasons (none for any other outcome). */
function discardCodes(row: MailingRow): string[] {
  if (row.outcome !== "discarded") return [];
  try {
    return (JSON.parse(row.errors_json ?? "[]") as { code: string }[]).map((p) => p.code);
  } catch {
    return [];
  }
}

/** A file whose processing ended the process again and again (see processFile). */
class StepKeepsCrashingError extends Error {}

/** `final`: the step that ends the file (its onFinished hook runs with it). */
type Step = (
  patch: MailingUpdate & { state?: MailingState },
  options?: { final?: boolean },
) => Promise<void>;

function crashHook(ctx: PipelineContext, state: string): void {
  if (ctx.crashAt && ctx.crashAt === state) {
    // Simulates kill -9 right after the state is durable (test-only setting).
    process.kill(process.pid, "SIGKILL");
  }
}

async function download(
  ctx: PipelineContext,
  row: MailingRow,
  source: Source,
  step: Step,
  log: Logger,
): Promise<void> {
  const started = performance.now();
  const limit = ctx.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  let stored: Awaited<ReturnType<BlobStore["put"]>>;
  try {
    // The size on the server first: an over-limit file is refused from it,
    // without copying gigabytes into the data dir only to refuse them.
    const listed = await source.stat(row.path);
    if (listed && !listed.isFolder && listed.size > limit) {
      log.info("file over the size limit; not downloaded", { bytes: listed.size, limit });
      await step({ state: "downloaded", stored_path: null, sha256: null, bytes: listed.size });
      return;
    }
    if (!listed || listed.isFolder) throw new SourceError("ARQUIVO_INEXISTENTE", row.path);
    stored = await ctx.blobs.put(upTo(await source.read(row.path), limit));
  } catch (error) {
    if (error instanceof OversizeError) {
      // It grew past the limit after the stat: refused all the same, its partial copy deleted by put.
      log.info("file over the size limit while downloaded", { bytes: error.bytes, limit });
      await step({ state: "downloaded", stored_path: null, sha256: null, bytes: error.bytes });
      return;
    }
    if (error instanceof SourceError && error.code === "ARQUIVO_INEXISTENTE") {
      await markVanished(
        ctx.store.db,
        row.id,
        new Date().toISOString(),
        "O arquivo sumiu da origem antes de ser baixado (removido ou renomeado).",
      );
      row.state = "vanished";
      log.info("file vanished before download");
      return;
    }
    throw error;
  }
  await step({
    state: "downloaded",
    stored_path: stored.path,
    sha256: stored.sha256,
    bytes: stored.bytes,
    timings_json: JSON.stringify({ download: round3((performance.now() - started) / 1000) }),
  });
}

class OversizeError extends Error {
  constructor(readonly bytes: number) {
    super(`more than ${bytes} bytes`);
  }
}

/** `input` as long as it stays within `limit` bytes; past it, the stream fails with OversizeError. */
function upTo(input: Readable, limit: number): Readable {
  return Readable.from(
    (async function* () {
      let bytes = 0;
      for await (const chunk of input as AsyncIterable<Buffer>) {
        bytes += chunk.length;
        if (bytes > limit) {
          input.destroy();
          throw new OversizeError(bytes);
        }
        yield chunk;
      }
    })(),
    { objectMode: false },
  );
}

async function checkName(
  ctx: PipelineContext,
  row: MailingRow,
  tenant: Tenant,
  at: Date,
  step: Step,
): Promise<void> {
  const { now } = tenantClock(tenant, at);
  const parsed = parse(row.file_name, { folder: row.folder, today: row.seen_date, now });
  const directory = databaseDirectory(ctx.store.db, row.tenant_id);
  const errors: NameError[] = [...parsed.errors];
  const mailing = parsed.mailing;
  // A name with grammar errors is still checked on the parts that parsed: every error at once.
  const facts = mailing ?? parsed.facts;
  if (facts) {
    errors.push(...(await checkTenantData(facts, row.folder, row.id, directory)));
  } else {
    const folderError = await checkFolder(row.folder, directory);
    if (folderError) errors.push(folderError);
  }
  const base: MailingUpdate = {
    parsed_json: mailing ? JSON.stringify(mailing) : null,
    date: mailing?.date ?? null,
    sequence: mailing?.sequence ?? null,
    description: mailing?.description ?? null,
  };
  const limit = ctx.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  // Not downloaded for its size (see download): that is its content problem.
  const oversize =
    row.stored_path === null && row.bytes !== null && row.bytes > limit
      ? [problemOf(fileErrors.tooLarge(row.bytes, limit), "content")]
      : [];
  if (errors.length > 0 || !mailing || oversize.length > 0) {
    const problems = [
      ...errors.map((e) => problemOf(e, "name")),
      ...oversize,
      ...(await contentProblems(row, tenant, limit)),
    ];
    await step({
      ...base,
      state: "checked",
      outcome: "discarded",
      errors_json: JSON.stringify(problems),
    });
  } else {
    await step({ ...base, state: "checked", outcome: null });
  }
}

/** A recorded reason for a discard: about the name (and tenant data) or about the content. */
interface Problem {
  code: string;
  message: string;
  param: string | null;
  scope: "name" | "content";
}

/** Codes the import writer may return that are about the name, not the content. */
const NAME_CODES = new Set(["CARTEIRA_INEXISTENTE", "SEQUENCIA_REPETIDA", "BASE_LEGAL_AUSENTE"]);

function problemOf(
  e: { code: string; message: string; param?: string | null },
  scope?: Problem["scope"],
): Problem {
  return {
    code: e.code,
    message: e.message,
    param: e.param ?? null,
    scope: scope ?? (NAME_CODES.has(e.code) ? "name" : "content"),
  };
}

/**
 * A discarded name's content problems too, so the operator fixes everything
 * in one go (SPEC §2.2): the stored copy is read (never imported) when the
 * extension says it is a mailing.
 */
async function contentProblems(
  row: MailingRow,
  tenant: Tenant,
  maxBytes: number,
): Promise<Problem[]> {
  const dot = row.file_name.lastIndexOf(".");
  const extension = dot < 0 ? "" : row.file_name.slice(dot + 1).toLowerCase();
  if (!row.stored_path || (extension !== "csv" && extension !== "txt" && extension !== "zip")) {
    return [];
  }
  const reader = readMailing(row.stored_path, {
    extension,
    sanitize: false,
    maxRejectRatio: tenant.reject_ratio,
    maxBytes,
  });
  for (;;) {
    const step = await reader.next();
    if (step.done) return step.value.errors.map((e) => problemOf(e, "content"));
  }
}

async function importFile(
  ctx: PipelineContext,
  row: MailingRow,
  tenant: Tenant,
  step: Step,
  log: Logger,
): Promise<MailingRow | null> {
  const mailing = JSON.parse(row.parsed_json ?? "null") as Mailing | null;
  if (!mailing || !row.stored_path || !(await ctx.blobs.has(row.stored_path))) {
    // The stored copy is gone (data dir cleaned?): fetch the file again.
    await step({ state: "claimed" });
    return null;
  }
  const restricted = mailing.sanitize ? await restrictionLookup(ctx, row, mailing) : null;
  const progress = new ImportProgressLog(log, ctx.progressEveryMs ?? DEFAULT_PROGRESS_MS);
  const reader = splitReader(
    readMailing(row.stored_path, {
      extension: mailing.extension,
      sanitize: mailing.sanitize,
      maxRejectRatio: tenant.reject_ratio,
      maxBytes: ctx.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
      ...(restricted ?? {}),
      onProgress: (read, total) => progress.bytes(read, total),
    }),
  );
  const timings = JSON.parse(row.timings_json ?? "{}") as Record<string, number>;
  const owner = ctx.owner;
  const outer =
    ctx.afterImport === undefined
      ? campaignPlanner({ clock: () => (ctx.now ? ctx.now().getTime() : Date.now()) })
      : ctx.afterImport;
  const result = await importMailing(ctx.store, {
    onProgress: (p) => progress.rows(p.persons, p.rejectedRows),
    tenantId: row.tenant_id,
    mailing,
    fileName: row.file_name,
    path: row.path,
    folder: row.folder,
    sourceId: row.source_id,
    mailingId: row.id,
    firstSeenAt: row.first_seen_at,
    seenDate: row.seen_date,
    storedPath: row.stored_path,
    content: reader.content,
    summary: reader.summary,
    timings,
    afterImport: async (imported) => {
      // Inside the import transaction: commit only while the lease is still ours,
      // so a process that stalled past its lease can never import a second time.
      const holder = await imported.db
        .selectFrom("mailings")
        .select("lease_owner")
        .where("id", "=", imported.mailingId)
        .executeTakeFirst();
      if (holder?.lease_owner !== owner) throw new LeaseLostError();
      if (outer) await outer(imported);
    },
  }).finally(() => progress.stop());
  if (result.ok) {
    (ctx.metrics ?? noMetrics).fileImported(result.rows, result.rejectedRows, result.seconds);
    log.info("file imported", {
      rows: result.rows,
      persons: result.persons,
      rejectedRows: result.rejectedRows,
      seconds: round3(result.seconds),
    });
    const fresh = await ctx.store.db
      .selectFrom("mailings")
      .selectAll()
      .where("id", "=", row.id)
      .executeTakeFirstOrThrow();
    crashHook(ctx, "imported");
    return fresh;
  }
  await step({
    state: "checked",
    outcome: "discarded",
    rows: result.rows || null,
    rejected: result.rejectedRows || null,
    rejected_json: JSON.stringify(result.rejected),
    errors_json: JSON.stringify(result.errors.map((e) => problemOf(e))),
  });
  log.info("file refused", { codes: result.errors.map((e) => e.code) });
  return null;
}

/**
 * The wallet's and the tenant's restriction lists as in-memory sets (sanitize
 * only), for the channels the file orders (src/store/restrictions.ts).
 */
async function restrictionLookup(
  ctx: PipelineContext,
  row: MailingRow,
  mailing: Mailing,
): Promise<ImportRestrictionMatcher | null> {
  if (!mailing.wallet) return null;
  const wallet = await ctx.store.db
    .selectFrom("wallets")
    .select("id")
    .where("tenant_id", "=", row.tenant_id)
    .where("code", "=", mailing.wallet)
    .executeTakeFirst();
  if (!wallet) return null;
  const matcher = await importRestrictionMatcher(
    ctx.store.db,
    row.tenant_id,
    wallet.id,
    orderedChannels(mailing),
  );
  // An erased person's contacts (kept only as keyed hashes) are restricted too.
  const isRestricted = await withErasedContacts(ctx.store.db, row.tenant_id, matcher?.isRestricted);
  if (!isRestricted) return matcher;
  return { isRestricted, isDocumentRestricted: matcher?.isDocumentRestricted ?? (() => false) };
}

async function moveFile(
  ctx: PipelineContext,
  row: MailingRow,
  source: Source,
  step: Step,
): Promise<void> {
  const folder = joinRelative(
    parentOf(row.path),
    row.outcome === "accepted" ? READ_FOLDER : DISCARDED_FOLDER,
  );
  const present = await source.stat(row.path);
  let movedTo: string | null;
  const limit = ctx.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  // A file refused for its size (no copy) that is still over the limit is the
  // same one, grown further: not a replacement.
  const grownOversize = row.stored_path === null && present !== null && present.size > limit;
  if (
    present &&
    !present.isFolder &&
    row.bytes !== null &&
    present.size !== row.bytes &&
    !grownOversize
  ) {
    // Another file under this name since the download (the customer sent a
    // corrected one): not the file this record imported or discarded. It
    // stays, for the scanner to take as a new file once this record ends.
    // This one goes where it would have gone, from its stored copy, so its
    // report has its usual place and name (and says the other one arrived).
    // (A replacement of the very same size goes unnoticed.)
    ctx.log.warn("file replaced since its download; the processed one restored from its copy", {
      mailingId: row.id,
      file: row.path,
      downloadedBytes: row.bytes,
      presentBytes: present.size,
    });
    // Restored by an earlier attempt that crashed before recording it?
    movedTo = await findEarlierMove(ctx, row, source, folder);
    if (movedTo === null && row.stored_path && (await ctx.blobs.has(row.stored_path))) {
      // Written aside and moved in (never overwriting), like the reports: a
      // crash leaves at most a stray file in the staging folder.
      const staged = await source.write(
        `${joinRelative(folder, REPORT_STAGING)}/${randomUUID()}.tmp`,
        openStoredFile(row.stored_path),
      );
      movedTo = await source.move(staged, folder, movedBaseName(baseName(row.path)));
    }
  } else if (present && !present.isFolder) {
    try {
      // A name too long or unsafe for its reports is moved under a fitted one.
      movedTo = await source.move(row.path, folder, movedBaseName(baseName(row.path)));
    } catch (error) {
      if (error instanceof SourceError && error.code === "ARQUIVO_INEXISTENTE") {
        movedTo = await findEarlierMove(ctx, row, source, folder);
      } else if (error instanceof SourceError) {
        throw new RetryableStepError(
          `Não foi possível mover o arquivo para ${folder}: ${error.message} O remessa tentará de novo; o arquivo não será importado outra vez.`,
          { cause: error },
        );
      } else {
        throw error;
      }
    }
  } else {
    movedTo = await findEarlierMove(ctx, row, source, folder);
  }
  await step({ state: "moved", moved_to: movedTo, last_error: null });
}

/**
 * The file is no longer at its path: find it in the destination folder (a
 * move that completed before a crash). Candidates are the name and its clash
 * variants of the same size not already recorded for another file; when
 * several remain, the bytes decide. Null when it is nowhere (removed by
 * someone else after the download); the record still ends, with the original
 * bytes kept in the data store.
 */
async function findEarlierMove(
  ctx: PipelineContext,
  row: MailingRow,
  source: Source,
  folder: string,
): Promise<string | null> {
  let entries: Awaited<ReturnType<Source["list"]>>;
  try {
    entries = await source.list(folder);
  } catch (error) {
    // No such folder: nothing was moved there. Any other failure (a timeout,
    // say) says nothing either way: try again later rather than record the
    // file as moved nowhere (its report would be lost).
    if (error instanceof SourceError && error.code === "ARQUIVO_INEXISTENTE") return null;
    throw error;
  }
  const name = movedBaseName(baseName(row.path));
  const byName = new Map(entries.filter((e) => !e.isFolder).map((e) => [e.name, e]));
  const candidates: string[] = [];
  for (let attempt = 1; attempt <= byName.size + 1; attempt++) {
    const entry = byName.get(clashName(name, attempt));
    if (!entry) continue;
    if (row.bytes !== null && entry.size !== row.bytes) continue;
    if (await destinationTaken(ctx.store.db, row.source_id, entry.path, row.id)) continue;
    candidates.push(entry.path);
  }
  if (candidates.length <= 1 || !row.sha256) return candidates[0] ?? null;
  for (const path of candidates) {
    const hash = createHash("sha256");
    for await (const chunk of await source.read(path)) hash.update(chunk as Buffer);
    if (hash.digest("hex") === row.sha256) return path;
  }
  // Several files of this size and none with its bytes: none is this file.
  return null;
}

/** Longest file-name prefix (bytes) kept in a failure report's name: far below any server's limit. */
const FAILURE_NAME_BYTES = 120;

/** `name` cut to at most `bytes` UTF-8 bytes, never inside a character. */
function cutUtf8(name: string, bytes: number): string {
  let out = "";
  let used = 0;
  for (const ch of name) {
    used += Buffer.byteLength(ch);
    if (used > bytes) break;
    out += ch;
  }
  return out;
}

/**
 * Ends the record as "failed" with `reason`. First, when it can, a short
 * report beside where the file is (or would have gone) tells the customer:
 * named after the file but short enough for any server, with the record id
 * so it never takes another file's report name. A report that cannot be
 * written either is only logged: the record and the log keep the reason.
 */
async function failFile(
  ctx: PipelineContext,
  row: MailingRow,
  source: Source,
  reason: string,
  log: Logger,
): Promise<void> {
  const written: string[] = [];
  const folder =
    row.moved_to !== null
      ? parentOf(row.moved_to)
      : joinRelative(
          parentOf(row.path),
          row.outcome === "accepted" ? READ_FOLDER : DISCARDED_FOLDER,
        );
  // movedBaseName: no control character of the customer's name in a name remessa writes.
  const name = `${cutUtf8(movedBaseName(row.file_name), FAILURE_NAME_BYTES)}-falha-${row.id}.erro.txt`;
  // The customer reads the report: a name too long is said plainly, not with the system's text.
  const shown = /ENAMETOOLONG|name too long/i.test(reason)
    ? "o nome do arquivo é longo demais: o servidor não consegue guardar o arquivo ou o relatório com esse nome."
    : reason;
  try {
    const imported = row.outcome === "accepted";
    const text = [
      `Arquivo: ${row.file_name}`,
      "Situação: FALHA NO PROCESSAMENTO",
      imported
        ? `O arquivo foi importado${row.moved_to ? ` e movido para ${row.moved_to}` : ""}, mas o processamento não pôde terminar.`
        : "O arquivo não foi importado.",
      `Motivo: ${shown}`,
      "Corrija o problema (por exemplo, use um nome de arquivo mais curto) e envie o arquivo de novo com outro nome; se o erro continuar, fale com o suporte informando este relatório.",
      "",
    ]
      // The name and the reason carry the customer's text: no control character forges a line.
      .map(escapeControls)
      .join("\n");
    const staged = await source.write(
      `${joinRelative(folder, REPORT_STAGING)}/${randomUUID()}.tmp`,
      text,
    );
    written.push(await source.move(staged, folder, name));
  } catch (error) {
    log.warn("could not write the failure report", { error });
  }
  const patch: MailingUpdate = {
    state: "failed",
    last_error: reason,
    reports_json: JSON.stringify(written),
    lease_owner: null,
    lease_expires_at: null,
  };
  const now = new Date().toISOString();
  const hook = finishedHook(ctx);
  const ok = hook
    ? await advanceWith(ctx.store, row.id, ctx.owner, patch, now, (trx) =>
        hook(trx, { ...row, ...patch, updated_at: now } as MailingRow, now),
      )
    : await advance(ctx.store.db, row.id, ctx.owner, patch, now);
  if (!ok) log.warn("lease lost before the failure could be recorded");
}

async function writeReports(
  ctx: PipelineContext,
  row: MailingRow,
  tenant: Tenant,
  source: Source,
  step: Step,
): Promise<void> {
  const written: string[] = [];
  const target = row.moved_to;
  if (target !== null) {
    const put = async (suffix: string, content: () => Promise<WriteContent> | WriteContent) => {
      let path = `${target}${suffix}`;
      // The moved name is unique in its folder: a report under it is ours from an earlier
      // attempt. Reports are written aside and moved in, so one under that name is always
      // complete, even when a crash interrupted the writing of a large one.
      if (!(await source.stat(path))) {
        const staging = joinRelative(parentOf(target), REPORT_STAGING);
        const staged = await source.write(`${staging}/${randomUUID()}.tmp`, await content());
        path = await source.move(staged, parentOf(target), baseName(path));
      }
      written.push(path);
    };
    // Anything under the file's name now is another file (this one was moved
    // or restored from its copy): sent while this one was processed.
    const arrived = await source.stat(row.path);
    const note =
      arrived && !arrived.isFolder && row.path !== target
        ? `\nAtenção: enquanto este arquivo era processado, chegou outro arquivo, diferente, com o mesmo nome (${escapeControls(row.file_name)}). Ele não substituiu este: será processado separadamente e terá o seu próprio relatório.\n`
        : "";
    const seenAt = displayLocal(row.first_seen_at, tenant.time_zone, true);
    const folder = parentOf(target) || "/";
    const parsed = JSON.parse(row.parsed_json ?? "null") as Mailing | null;
    const rejectedCounts = JSON.parse(row.rejected_json ?? "{}") as Record<string, number>;
    if (row.outcome === "accepted") {
      // Blanked fields are entries too, in a file with no rejected row.
      const entries = (row.rejected ?? 0) > 0 || Object.values(rejectedCounts).some((n) => n > 0);
      const rejectedReport = entries ? `${baseName(target)}.rejeitados.csv` : null;
      if (rejectedReport) await put(".rejeitados.csv", () => rejectedCsv(ctx, row));
      const campaigns = await campaignLines(ctx, row, tenant);
      await put(
        ".resultado.txt",
        async () =>
          resultReport({
            fileName: row.file_name,
            status: `IMPORTADO (movido para ${folder})`,
            seenAt,
            wallet: parsed?.wallet ?? null,
            description: row.description,
            rows: row.rows ?? 0,
            persons: row.persons ?? 0,
            imported: { inserted: row.inserted ?? 0, updated: row.updated ?? 0 },
            rejectedRows: row.rejected ?? 0,
            rejected: rejectedCounts,
            sanitized: parsed?.sanitize === true,
            ...changesOf(row),
            campaigns,
            requested: parsed,
            rejectedReport,
          }) + note,
      );
    } else {
      const problems = JSON.parse(row.errors_json ?? "[]") as Problem[];
      // A discard for its rejected rows tells the operator to read them: they are listed from
      // the stored copy (the refused import kept none), before the .erro.txt that points to them.
      let rejectedReport: string | null = null;
      if (problems.some((p) => p.scope === "content" && ROWS_REPORTED.has(p.code))) {
        const copy = row.stored_path !== null && (await ctx.blobs.has(row.stored_path));
        if (copy || (await source.stat(`${target}.rejeitados.csv`))) {
          await put(".rejeitados.csv", () => rejectedCsvFromCopy(ctx, row, tenant, problems));
          rejectedReport = `${baseName(target)}.rejeitados.csv`;
        }
      }
      await put(".erro.txt", async () => {
        return (
          errorReport({
            fileName: row.file_name,
            rejectedReport,
            nameErrors: problems.filter((p) => p.scope !== "content"),
            fileErrors: problems
              .filter((p) => p.scope === "content")
              .map((p) => ({ code: p.code as FileError["code"], message: p.message })),
          }) + note
        );
      });
    }
  }
  // A refused file's copy is not kept past its report (an imported one's is),
  // unless the file vanished before it could be moved: then the copy is the
  // only trace of what the customer sent.
  const dropCopy = row.outcome === "discarded" && row.stored_path !== null && target !== null;
  if (dropCopy) await dropStoredCopy(ctx, row);
  await step(
    {
      state: "reported",
      reports_json: JSON.stringify(written),
      lease_expires_at: null,
      ...(dropCopy ? { stored_path: null } : {}),
    },
    { final: true },
  );
}

/**
 * Deletes a discarded file's stored copy, unless the same bytes (one blob per
 * content) are another record's: an imported file's copy, or one still being
 * processed. A crash after the deletion redoes it (nothing to delete) and the
 * step that forgets the path.
 */
async function dropStoredCopy(ctx: PipelineContext, row: MailingRow): Promise<void> {
  if (row.stored_path === null) return;
  const shared = await ctx.store.db
    .selectFrom("mailings")
    .select("id")
    .where("stored_path", "=", row.stored_path)
    .where("id", "!=", row.id)
    .where((eb) =>
      eb.or([
        eb("outcome", "is", null),
        eb("outcome", "=", "accepted"),
        eb("state", "not in", TERMINAL_STATES),
      ]),
    )
    .executeTakeFirst();
  if (shared) return;
  await rm(row.stored_path, { force: true });
}

/** The counts an import recorded beyond the rejections (none for imports before 0004). */
function changesOf(row: MailingRow): { ninthDigits?: number; droppedContacts?: number } {
  const changes = JSON.parse(row.changes_json ?? "null") as {
    ninthDigit?: number;
    droppedContacts?: number;
  } | null;
  return {
    ...(typeof changes?.ninthDigit === "number" ? { ninthDigits: changes.ninthDigit } : {}),
    ...(typeof changes?.droppedContacts === "number"
      ? { droppedContacts: changes.droppedContacts }
      : {}),
  };
}

/** Content problems whose `.erro.txt` sends the operator to the rejected rows. */
const ROWS_REPORTED = new Set(["REJEICAO_EXCESSIVA", "SEM_LINHAS_VALIDAS"]);

/**
 * A discarded file's `.rejeitados.csv`, read again from its stored copy with the options of the
 * read that refused it: the import's (`_h`, restriction list) when the name passed, the plain
 * content check's (`contentProblems`) when the name was refused too.
 */
async function* rejectedCsvFromCopy(
  ctx: PipelineContext,
  row: MailingRow,
  tenant: Tenant,
  problems: Problem[],
): AsyncGenerator<string> {
  yield rejectedCsvHeader();
  const mailing = JSON.parse(row.parsed_json ?? "null") as Mailing | null;
  const dot = row.file_name.lastIndexOf(".");
  const extension = (mailing?.extension ?? row.file_name.slice(dot + 1).toLowerCase()) as
    | "csv"
    | "txt"
    | "zip";
  const imported = mailing !== null && !problems.some((p) => p.scope === "name");
  const sanitize = imported && mailing.sanitize;
  const restricted = sanitize ? await restrictionLookup(ctx, row, mailing) : null;
  const reader = readMailing(row.stored_path as string, {
    extension,
    sanitize,
    maxRejectRatio: tenant.reject_ratio,
    maxBytes: ctx.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
    ...(restricted ?? {}),
  });
  for (;;) {
    const step = await reader.next();
    if (step.done) break;
    if (step.value.rejected.length > 0) yield step.value.rejected.map(rejectedCsvLine).join("");
  }
}

/** The `.rejeitados.csv` lines, page by page from the store, so a large report is never held whole. */
async function* rejectedCsv(ctx: PipelineContext, row: MailingRow): AsyncGenerator<string> {
  yield rejectedCsvHeader();
  const pageSize = 5000;
  let afterLine = -1;
  let afterId = 0;
  for (;;) {
    const page = await ctx.store.db
      .selectFrom("mailing_rejections")
      .select(["id", "line", "code", "message", "raw", "entry"])
      .where("mailing_id", "=", row.id)
      .where((eb) =>
        eb.or([
          eb("line", ">", afterLine),
          eb.and([eb("line", "=", afterLine), eb("id", ">", afterId)]),
        ]),
      )
      .orderBy("line")
      .orderBy("id")
      .limit(pageSize)
      .execute();
    yield page
      .map((r) =>
        rejectedCsvLine({
          line: r.line,
          code: r.code as RowRejectCode,
          message: r.message,
          raw: r.raw,
          ...(r.entry !== null ? { entry: r.entry } : {}),
        }),
      )
      .join("");
    const last = page.at(-1);
    if (!last || page.length < pageSize) break;
    afterLine = last.line;
    afterId = last.id;
    // Let other work (heartbeats, uploads) run between pages of a large report.
    await delay(0);
  }
}

async function campaignLines(
  ctx: PipelineContext,
  row: MailingRow,
  tenant: Tenant,
): Promise<CampaignLine[]> {
  return campaignSummaries(ctx.store.db, row.id, tenant.time_zone);
}
