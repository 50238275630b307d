/**
 * Writes each mailing's return file (`<moved name>.retorno.csv`, SPEC §7) once its campaigns
 * have ended: beside the moved mailing in LIDOS, through the mailing's own source, in the
 * mailing's encoding and delimiter (lines: return-file.ts).
 *
 * One file per mailing, with every campaign of it (the CANAL column tells them apart), written
 * when the last of them ends (finished, expired or cancelled, `ended_at` set): a customer reads
 * one answer per file sent.
 *
 * Work sharing and crashes:
 * - The worker writing a mailing's file holds a lease on the mailing's lowest-id campaign
 *   (`return_lease_owner/expires_at`, taken with one conditional UPDATE): two workers (or
 *   processes on one PostgreSQL) never write the same file at once. The lease is renewed while
 *   a large file is written.
 * - The file is written under a temporary name in the staging folder and then moved in under its
 *   final name, as the pipeline does for its reports: a file under that name is always complete.
 *   The name follows from the moved mailing's (unique in its folder), so a file already there
 *   was written by an earlier attempt that stopped before recording it: it is recorded, not
 *   written again (never a second name).
 * - Recording sets `return_written_at`/`return_path` on every campaign of the mailing.
 * - A source that cannot be reached (or refuses the write) is retried with back-off (the lease
 *   then expires at the retry time; `return_error` keeps why), forever: never lost.
 * - Nothing is written while a message of the mailing is still being sent (a live send lease),
 *   so the lines show final results, nor before the pipeline has moved and reported the mailing
 *   (a short campaign can end first).
 *
 * Mailings without a place for the file are recorded as done with `return_path` null and a
 * warning: an accepted file that vanished before it could be moved (no `moved_to`), a source
 * removed since, and `remessa import` of a local file whose folder is not reachable from here
 * (a folder that no longer exists, or a relative path recorded before the import resolved it).
 * A local import (its path recorded absolute) gets its return file beside the file itself.
 */
import { randomUUID } from "node:crypto";
import { stat } from "node:fs/promises";
import { hostname } from "node:os";
import { basename, dirname, isAbsolute, join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import type { Kysely } from "kysely";
import { TERMINAL_STATES } from "../ingest/ledger.js";
import type { Logger } from "../log.js";
import { REPORT_STAGING } from "../sources/candidates.js";
import { SourceError } from "../sources/errors.js";
import { localSourceConfig } from "../sources/local.js";
import { openSource } from "../sources/open.js";
import { baseName, joinRelative, parentOf } from "../sources/paths.js";
import type { Source, SourceConfig } from "../sources/types.js";
import { busyRetry } from "../store/busy.js";
import type { Store } from "../store/db.js";
import type { Database } from "../store/schema.js";
import { getSourceWithSecret } from "../store/sources.js";
import { getTenant } from "../store/tenants.js";
import { type Clock, systemClock } from "./channel.js";
import {
  encodeReturn,
  type ReturnCampaign,
  type ReturnFormat,
  returnFileName,
  returnFormat,
  returnHeader,
  returnLine,
} from "./return-file.js";

/** Campaign states in which a campaign has ended (with `ended_at`). */
export const ENDED_STATES = ["finished", "expired", "cancelled"] as const;

export interface ReturnFilesOptions {
  store: Store;
  log: Logger;
  /** Lease owner id; default host:pid:random. */
  owner?: string;
  /** Epoch ms; injected by tests. */
  clock?: Clock;
  /** Lease while writing one file; renewed every third of it. Default 60 s. */
  leaseMs?: number;
  /** Messages read per page (keyset on messages.id). Default 5000. */
  pageSize?: number;
  /** Mailings looked at per run. Default 20. */
  batch?: number;
  /** First retry after a failure; doubles per attempt up to 15 min. Default 30 s. */
  retryBaseMs?: number;
  /** Opens the mailing's source (tests inject a counting or failing one). */
  openSource?: (config: SourceConfig) => Promise<Source>;
  /** Test hook: called after the file is in place, before it is recorded (throw to simulate a crash). */
  afterWrite?: (path: string) => void | Promise<void>;
}

const MAX_RETRY_MS = 15 * 60 * 1000;

/** A stop in the middle (test hook): nothing more is done, as if the process had died. */
export class SimulatedCrash extends Error {}

interface Candidate {
  mailingId: number;
  anchor: number;
}

type Db = Kysely<Database>;

export class ReturnFiles {
  readonly owner: string;
  private readonly clock: Clock;
  private readonly leaseMs: number;
  private readonly pageSize: number;

  constructor(private readonly options: ReturnFilesOptions) {
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.clock = options.clock ?? systemClock;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.pageSize = Math.max(1, options.pageSize ?? 5000);
  }

  private nowIso(): string {
    return new Date(this.clock()).toISOString();
  }

  /** Writes the return files that are due; returns how many were written (or recorded as written). */
  async runOnce(): Promise<number> {
    const candidates = await this.candidates();
    let written = 0;
    for (const candidate of candidates) {
      if (await this.claim(candidate)) {
        if (await this.process(candidate)) written++;
      }
    }
    return written;
  }

  /** Mailings whose campaigns have all ended, without a return file, not leased (or leased long ago). */
  private async candidates(): Promise<Candidate[]> {
    const now = this.nowIso();
    const rows = await this.options.store.db
      .selectFrom("campaigns")
      .select((eb) => ["mailing_id", eb.fn.min<number>("id").as("anchor")])
      .where("return_written_at", "is", null)
      .where("mailing_id", "is not", null)
      .groupBy("mailing_id")
      .having((eb) => eb(eb.fn.count("id"), "=", eb.fn.count("ended_at")))
      .having((eb) =>
        eb.or([
          eb(eb.fn.max("return_lease_expires_at"), "is", null),
          eb(eb.fn.max("return_lease_expires_at"), "<=", now),
        ]),
      )
      .orderBy("anchor")
      .limit(this.options.batch ?? 20)
      .execute();
    return rows.map((r) => ({ mailingId: Number(r.mailing_id), anchor: Number(r.anchor) }));
  }

  private async claim(candidate: Candidate): Promise<boolean> {
    const now = this.nowIso();
    const result = await busyRetry(() =>
      this.options.store.db
        .updateTable("campaigns")
        .set((eb) => ({
          return_lease_owner: this.owner,
          return_lease_expires_at: new Date(this.clock() + this.leaseMs).toISOString(),
          return_attempts: eb("return_attempts", "+", 1),
        }))
        .where("id", "=", candidate.anchor)
        .where("return_written_at", "is", null)
        .where((eb) =>
          eb.or([
            eb("return_lease_expires_at", "is", null),
            eb("return_lease_expires_at", "<=", now),
          ]),
        )
        .executeTakeFirst(),
    );
    return Number(result.numUpdatedRows) === 1;
  }

  /** Writes and records one mailing's file; true when recorded. Failures are retried later. */
  private async process(candidate: Candidate): Promise<boolean> {
    const { store } = this.options;
    const log = this.options.log.child({ mailingId: candidate.mailingId });
    const db = store.db;
    const heartbeat = setInterval(
      () => {
        void db
          .updateTable("campaigns")
          .set({ return_lease_expires_at: new Date(this.clock() + this.leaseMs).toISOString() })
          .where("id", "=", candidate.anchor)
          .where("return_lease_owner", "=", this.owner)
          .execute()
          .catch(() => {});
      },
      Math.max(250, Math.floor(this.leaseMs / 3)),
    );
    heartbeat.unref();
    let source: Source | null = null;
    try {
      const mailing = await db
        .selectFrom("mailings")
        .select([
          "id",
          "tenant_id",
          "source_id",
          "path",
          "state",
          "moved_to",
          "encoding",
          "delimiter",
        ])
        .where("id", "=", candidate.mailingId)
        .executeTakeFirst();
      const campaigns = await db
        .selectFrom("campaigns")
        .select(["id", "channel", "state", "deadline_at", "exclude_recent_hours"])
        .where("mailing_id", "=", candidate.mailingId)
        .where("return_written_at", "is", null)
        .orderBy("id")
        .execute();
      if (campaigns.length === 0) {
        // Recorded by another worker meanwhile.
        await this.release(candidate, this.nowIso(), null);
        return false;
      }
      const tenant = mailing ? await getTenant(db, mailing.tenant_id) : null;
      if (!mailing || !tenant) {
        return await this.record(candidate, null, "O mailing da campanha não existe mais.", log);
      }
      // A send still in flight: its line would not be final. Look again when its lease ends.
      const inFlight = await db
        .selectFrom("messages")
        .select((eb) => eb.fn.max("lease_expires_at").as("until"))
        .where(
          "campaign_id",
          "in",
          campaigns.map((c) => c.id),
        )
        .where("state", "=", "sending")
        .where("lease_expires_at", ">", this.nowIso())
        .executeTakeFirst();
      if (inFlight?.until) {
        await this.release(candidate, String(inFlight.until), null);
        return false;
      }

      // A short campaign can end before its file is moved and reported (a move the server
      // refuses is retried for hours): wait for the pipeline, or the file would have no place.
      if (mailing.source_id !== null && !TERMINAL_STATES.includes(mailing.state)) {
        await this.release(
          candidate,
          new Date(this.clock() + (this.options.retryBaseMs ?? 30_000)).toISOString(),
          null,
        );
        return false;
      }

      // Where the file goes (path on the source), and the path recorded for it.
      let target: string;
      let recorded: string;
      if (mailing.source_id !== null) {
        if (mailing.moved_to === null) {
          return await this.record(
            candidate,
            null,
            "O arquivo do mailing não está em LIDOS (sumiu antes de ser movido): não há onde escrever o retorno.",
            log,
          );
        }
        const config = await getSourceWithSecret(db, mailing.tenant_id, mailing.source_id);
        if (!config) {
          return await this.record(
            candidate,
            null,
            "A origem do mailing foi removida: não há onde escrever o retorno.",
            log,
          );
        }
        source = await (this.options.openSource ?? openSource)(config);
        target = joinRelative(
          parentOf(mailing.moved_to),
          returnFileName(baseName(mailing.moved_to)),
        );
        recorded = target;
      } else {
        const folder = isAbsolute(mailing.path) ? dirname(mailing.path) : null;
        const exists = folder
          ? await stat(folder).then(
              (s) => s.isDirectory(),
              () => false,
            )
          : false;
        if (!folder || !exists) {
          return await this.record(
            candidate,
            null,
            folder
              ? `O mailing foi importado (remessa import) de um arquivo local cuja pasta "${folder}" não existe ou não está acessível neste servidor: o retorno não foi escrito.`
              : `O mailing foi importado (remessa import) de um arquivo local com o caminho relativo "${mailing.path}", sem a pasta de origem: o retorno não foi escrito. Importe com o caminho completo do arquivo.`,
            log,
          );
        }
        source = await (this.options.openSource ?? openSource)(localSourceConfig(folder));
        target = returnFileName(basename(mailing.path));
        recorded = join(folder, target);
      }

      const format = returnFormat(mailing, tenant.time_zone);
      // The name is ours alone (see the header): a file under it is a complete earlier write.
      const path = recorded;
      if (!(await source.stat(target))) {
        const staging = joinRelative(parentOf(target), REPORT_STAGING);
        const staged = await source.write(
          `${staging}/${randomUUID()}.tmp`,
          returnContent(db, campaigns, format, this.pageSize),
        );
        // A worker that stalled past its lease leaves the file to the one that took over
        // (its staged copy stays in the staging folder, like a crash's).
        if (!(await this.renew(candidate))) {
          log.warn("lease lost while writing the return file; left to the worker that took over");
          return false;
        }
        const moved = await source.move(staged, parentOf(target), baseName(target));
        if (moved !== target) {
          // The name was taken meanwhile: only by another worker's complete file (see above).
          log.warn("return file already written by another worker; extra copy left", {
            extra: moved,
          });
        } else {
          log.info("return file written", { path });
        }
      } else {
        log.info("return file found from an earlier attempt", { path });
      }
      await this.options.afterWrite?.(path);
      return await this.record(candidate, path, null, log);
    } catch (error) {
      if (error instanceof SimulatedCrash) throw error;
      const message =
        error instanceof SourceError
          ? error.message
          : `Erro interno ao escrever o retorno: ${(error as Error)?.message ?? String(error)}`;
      const attempts = await db
        .selectFrom("campaigns")
        .select("return_attempts")
        .where("id", "=", candidate.anchor)
        .executeTakeFirst();
      const wait = Math.min(
        MAX_RETRY_MS,
        (this.options.retryBaseMs ?? 30_000) *
          2 ** Math.max(0, (attempts?.return_attempts ?? 1) - 1),
      );
      log.warn("return file not written; will retry", { error, retryInMs: wait });
      await this.release(candidate, new Date(this.clock() + wait).toISOString(), message).catch(
        (releaseError) => log.error("could not record the failure", { error: releaseError }),
      );
      return false;
    } finally {
      clearInterval(heartbeat);
      await source?.close().catch(() => {});
    }
  }

  /** Extends the lease; false when it is no longer ours. */
  private async renew(candidate: Candidate): Promise<boolean> {
    const result = await busyRetry(() =>
      this.options.store.db
        .updateTable("campaigns")
        .set({ return_lease_expires_at: new Date(this.clock() + this.leaseMs).toISOString() })
        .where("id", "=", candidate.anchor)
        .where("return_lease_owner", "=", this.owner)
        .executeTakeFirst(),
    );
    return Number(result.numUpdatedRows) === 1;
  }

  /** Marks every unwritten campaign of the mailing as written (at `path`, or nowhere with a reason). */
  private async record(
    candidate: Candidate,
    path: string | null,
    reason: string | null,
    log: Logger,
  ): Promise<boolean> {
    if (reason) log.warn("return file not written: no place for it", { reason });
    const now = this.nowIso();
    await busyRetry(() =>
      this.options.store.db
        .updateTable("campaigns")
        .set({
          return_written_at: now,
          return_path: path,
          return_error: reason,
          return_lease_owner: null,
          return_lease_expires_at: null,
          updated_at: now,
        })
        .where("mailing_id", "=", candidate.mailingId)
        .where("return_written_at", "is", null)
        .execute(),
    );
    return true;
  }

  /**
   * Lets go of the lease; nobody takes the mailing again before `until`. A release without an
   * error (waiting for sends or for the pipeline) does not count as an attempt: the back-off of
   * a failing source grows with its failures only.
   */
  private async release(candidate: Candidate, until: string, error: string | null): Promise<void> {
    await busyRetry(() =>
      this.options.store.db
        .updateTable("campaigns")
        .set((eb) => ({
          return_lease_owner: null,
          return_lease_expires_at: until,
          ...(error !== null
            ? { return_error: error }
            : { return_attempts: eb("return_attempts", "-", 1) }),
        }))
        .where("id", "=", candidate.anchor)
        .where("return_lease_owner", "=", this.owner)
        .execute(),
    );
  }
}

/** The message columns a line needs, with the person's identifiers. */
async function messagePage(
  db: Db,
  campaignId: number,
  afterId: number,
  lastId: number,
  limit: number,
) {
  return db
    .selectFrom("messages as m")
    .leftJoin("persons as p", "p.id", "m.person_id")
    .select([
      "m.id",
      "m.address",
      "m.state",
      "m.skip_reason",
      "m.error",
      "m.updated_at",
      "m.sent_at",
      "m.delivered_at",
      "m.read_at",
      "m.failed_at",
      "m.skipped_at",
      "m.expired_at",
      "p.cod_cliente",
      "p.document",
    ])
    .where("m.campaign_id", "=", campaignId)
    .where("m.id", ">", afterId)
    .where("m.id", "<=", lastId)
    .orderBy("m.id")
    .limit(limit)
    .execute();
}

/**
 * The file's bytes, page by page (keyset on messages.id), campaign after campaign: a campaign of
 * a million messages is never held whole. Lines follow the messages' order (planning's).
 */
export async function* returnContent(
  db: Db,
  campaigns: {
    id: number;
    channel: string;
    state: string;
    deadline_at: string | null;
    exclude_recent_hours: number | null;
  }[],
  format: ReturnFormat,
  pageSize = 5000,
): AsyncGenerator<Buffer> {
  yield encodeReturn(returnHeader(format), format.encoding);
  for (const c of campaigns) {
    const campaign: ReturnCampaign = {
      channel: c.channel,
      state: c.state,
      deadlineAt: c.deadline_at,
      excludeRecentHours: c.exclude_recent_hours,
    };
    // The campaign's id range: its messages were written by one INSERT, so they are (nearly)
    // contiguous, and each page is a short walk of the primary key from where the last one
    // ended (no index on (campaign_id, id) to maintain for planning's million-row INSERT).
    const range = await db
      .selectFrom("messages")
      .select((eb) => [eb.fn.min<number>("id").as("first"), eb.fn.max<number>("id").as("last")])
      .where("campaign_id", "=", c.id)
      .executeTakeFirst();
    if (range?.first === null || range?.first === undefined) continue;
    let after = Number(range.first) - 1;
    const last = Number(range.last);
    for (;;) {
      const page = await messagePage(db, c.id, after, last, pageSize);
      if (page.length === 0) break;
      let text = "";
      for (const m of page) {
        text += returnLine(
          {
            codCliente: m.cod_cliente,
            document: m.document,
            address: m.address,
            state: m.state,
            skipReason: m.skip_reason,
            error: m.error,
            updatedAt: m.updated_at,
            sentAt: m.sent_at,
            deliveredAt: m.delivered_at,
            readAt: m.read_at,
            failedAt: m.failed_at,
            skippedAt: m.skipped_at,
            expiredAt: m.expired_at,
          },
          campaign,
          format,
        );
      }
      yield encodeReturn(text, format.encoding);
      if (page.length < pageSize) break;
      after = Number(page[page.length - 1]?.id);
      // Let other work (lease renewals, dispatch) run between pages of a large file.
      await delay(0);
    }
  }
}

/**
 * The hook `serve` calls from its dispatch loop: writes the due return files every
 * `intervalMs` (default 10 s) until stopped. Errors are logged; the next tick tries again.
 */
export function startReturnFiles(options: ReturnFilesOptions & { intervalMs?: number }): {
  service: ReturnFiles;
  stop(): Promise<void>;
} {
  const service = new ReturnFiles(options);
  const interval = options.intervalMs ?? 10_000;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = service
      .runOnce()
      .then(
        (n) => {
          if (n > 0) options.log.info("return files written", { count: n });
        },
        (error) => options.log.error("return files run failed", { error }),
      )
      .finally(() => {
        if (!stopped) {
          timer = setTimeout(tick, interval);
          timer.unref();
        }
      });
  };
  timer = setTimeout(tick, 0);
  timer.unref();
  return {
    service,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
