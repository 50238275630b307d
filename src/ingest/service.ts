/**
 * The ingest loop: polls due sources (each on its own interval, bounded
 * concurrency, back-off after failures with the last error kept) and runs
 * the pipeline on complete files — one file at a time per tenant, tenants in
 * parallel. Work is shared with other processes on the same database through
 * the leases in ledger.ts; this class only decides what to ask for and when.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Logger } from "../log.js";
import { type Metrics, noMetrics } from "../metrics.js";
import { SourceError } from "../sources/errors.js";
import { isWatchable, openSource } from "../sources/open.js";
import type { Source } from "../sources/types.js";
import type { Store } from "../store/db.js";
import type { AfterImportHook } from "../store/import.js";
import {
  getSourceWithSecret,
  recordSourceError,
  recordSourceSuccess,
  type StoredSourceConfig,
} from "../store/sources.js";
import { getTenant } from "../store/tenants.js";
import { BlobStore } from "./blobs.js";
import {
  busyRetry,
  claimDueSources,
  claimNextFile,
  pollSoon,
  releaseAll,
  releaseSource,
  renewSourceLease,
  tenantsWithWork,
  useAsyncBusyHandling,
} from "./ledger.js";
import {
  type FileFinishedHook,
  type PipelineContext,
  processFile,
  tenantDate,
} from "./pipeline.js";
import { scanSource, type UploadSignals } from "./scanner.js";

export interface IngestOptions {
  store: Store;
  /** Where the original bytes are kept (content-addressed). */
  filesDir: string;
  log: Logger;
  /** Lease owner id; default host:pid:random. */
  owner?: string;
  /** Sources polled at the same time. Default 8. */
  pollConcurrency?: number;
  /** Tenants processed at the same time. Default 4. */
  tenantConcurrency?: number;
  /** Lease length; renewed while working. Default 60 s. */
  leaseMs?: number;
  /** How often the loop looks for due sources and files when nothing wakes it. Default 1 s. */
  tickMs?: number;
  /** Test hook: SIGKILL this process right after a file reaches this state. */
  crashAt?: string | null;
  /** Campaign seam (see PipelineContext.afterImport): absent = campaign planning, null = none. */
  afterImport?: AfterImportHook | null;
  /** Told when a file ends (see PipelineContext.onFinished): absent = notifications, null = none. */
  onFinished?: FileFinishedHook | null;
  /** First retry delay after a failed step. Default 5 s. */
  retryBaseMs?: number;
  /** Also poll sources (false: only process files, e.g. a processing-only worker). Default true. */
  poll?: boolean;
  /** Largest file taken, in bytes (see PipelineContext.maxFileBytes). Default 1 GiB. */
  maxFileBytes?: number;
  /** Attempts before a file that keeps failing ends as "failed". Default 30. */
  maxAttempts?: number;
  /** Files, imports, poll errors and lost leases are counted here (default: not counted). */
  metrics?: Metrics;
  /** Time between two progress lines of a long import in the log. Default 5 s. */
  progressEveryMs?: number;
}

interface OpenedSource {
  key: string;
  source: Source;
  stopWatching: (() => void) | null;
}

export class IngestService {
  readonly owner: string;
  private readonly ctx: PipelineContext;
  private running = false;
  private loopDone: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private wakeRequested = false;
  private readonly activePolls = new Set<number>();
  private readonly activeTenants = new Map<number, Promise<void>>();
  private readonly pollSources = new Map<number, OpenedSource>();
  private readonly processSources = new Map<number, OpenedSource>();
  private readonly signals = new Map<number, UploadSignals>();
  /** Sources told about a change while a poll was running: poll again at once. */
  private readonly dirty = new Set<number>();
  private readonly tasks = new Set<Promise<unknown>>();

  constructor(private readonly options: IngestOptions) {
    useAsyncBusyHandling(options.store);
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.ctx = {
      store: options.store,
      blobs: new BlobStore(options.filesDir),
      owner: this.owner,
      leaseMs: options.leaseMs ?? 60_000,
      log: options.log,
      crashAt: options.crashAt ?? null,
      ...(options.afterImport !== undefined ? { afterImport: options.afterImport } : {}),
      ...(options.onFinished !== undefined ? { onFinished: options.onFinished } : {}),
      retryBaseMs: options.retryBaseMs ?? 5000,
      ...(options.maxFileBytes !== undefined ? { maxFileBytes: options.maxFileBytes } : {}),
      ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
      ...(options.metrics ? { metrics: options.metrics } : {}),
      ...(options.progressEveryMs ? { progressEveryMs: options.progressEveryMs } : {}),
    };
  }

  /** The embedded server feeds its upload signals for its source here. */
  attachSignals(sourceId: number, signals: UploadSignals): void {
    this.signals.set(sourceId, signals);
  }

  /** A file finished uploading on a source: poll it now. */
  notifyUploadComplete(sourceId: number, path: string): void {
    let signals = this.signals.get(sourceId);
    if (!signals) {
      signals = { completed: new Set(), isUploading: () => false };
      this.signals.set(sourceId, signals);
    }
    signals.completed.add(path);
    this.markDirty(sourceId);
  }

  private markDirty(sourceId: number): void {
    this.dirty.add(sourceId);
    if (!this.activePolls.has(sourceId)) {
      void pollSoon(this.options.store.db, sourceId, new Date().toISOString())
        .then(() => this.wake())
        .catch(() => {});
    }
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  wake(): void {
    this.wakeRequested = true;
    this.wakeUp?.();
  }

  /** Stops taking work, waits for the current steps (up to `graceMs`), then lets go of every lease. */
  async stop(graceMs = 20_000): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake();
    await this.loopDone;
    const all = Promise.allSettled([...this.tasks]);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    await releaseAll(this.options.store.db, this.owner).catch(() => {});
    for (const opened of [...this.pollSources.values(), ...this.processSources.values()]) {
      opened.stopWatching?.();
      await opened.source.close().catch(() => {});
    }
    this.pollSources.clear();
    this.processSources.clear();
  }

  /** Resolves when nothing is running in this process (tests, benchmarks). */
  get busy(): boolean {
    return this.tasks.size > 0;
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.tasks.add(promise);
    void promise.finally(() => this.tasks.delete(promise)).catch(() => {});
    return promise;
  }

  private async loop(): Promise<void> {
    const tick = this.options.tickMs ?? 1000;
    while (this.running) {
      this.wakeRequested = false;
      try {
        if (this.options.poll !== false) await this.startPolls();
        await this.startTenants();
      } catch (error) {
        this.options.log.error("ingest loop error", { error });
      }
      if (!this.running) break;
      if (this.wakeRequested) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, tick);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeUp = null;
    }
  }

  private async startPolls(): Promise<void> {
    const limit = (this.options.pollConcurrency ?? 8) - this.activePolls.size;
    const due = await claimDueSources(this.options.store, this.owner, limit, this.ctx.leaseMs);
    for (const source of due) {
      this.activePolls.add(source.id);
      void this.track(
        this.poll(source.id, source.tenant_id).finally(() => {
          this.activePolls.delete(source.id);
          if (this.dirty.has(source.id)) this.markDirty(source.id);
          this.wake();
        }),
      );
    }
  }

  private async poll(sourceId: number, tenantId: number): Promise<void> {
    const { store, log } = this.options;
    const metrics = this.options.metrics ?? noMetrics;
    const db = store.db;
    this.dirty.delete(sourceId);
    let lost = false;
    const renew = setInterval(
      () => {
        const until = new Date(Date.now() + this.ctx.leaseMs).toISOString();
        void renewSourceLease(db, sourceId, this.owner, until)
          .then((ok) => {
            // Another process polls this source now (this one stalled past its lease).
            if (!ok && !lost) {
              lost = true;
              metrics.leaseLost("source");
              log.warn("source lease lost; another process polls it now", { sourceId });
            }
          })
          .catch(() => {});
      },
      Math.max(250, Math.floor(this.ctx.leaseMs / 3)),
    );
    renew.unref();
    try {
      const config = await getSourceWithSecret(db, tenantId, sourceId);
      const tenant = await getTenant(db, tenantId);
      if (!config || !tenant) return;
      const source = await this.sourceFor(this.pollSources, config, true);
      const result = await scanSource(
        store,
        source,
        {
          sourceId,
          tenantId,
          timeZone: tenant.time_zone,
          stabilitySeconds: config.stabilitySeconds,
        },
        (at) => tenantDate(tenant.time_zone, at),
        this.signals.get(sourceId) ?? null,
      );
      await busyRetry(() => recordSourceSuccess(db, tenantId, sourceId));
      for (let i = 0; i < result.vanished; i++) metrics.fileFinished("vanished", []);
      if (result.added || result.stable || result.vanished) {
        log.debug("source scanned", { sourceId, ...result });
      }
    } catch (error) {
      const message =
        error instanceof SourceError
          ? error.message
          : `Erro ao ler a origem: ${(error as Error)?.message ?? String(error)}`;
      log.warn("source poll failed", { sourceId, error: message });
      metrics.pollFailed(tenantId, sourceId);
      await busyRetry(() => recordSourceError(db, tenantId, sourceId, message)).catch(() => {});
      // A broken connection is opened afresh next time.
      await this.dropSource(this.pollSources, sourceId);
    } finally {
      clearInterval(renew);
      await releaseSource(db, sourceId, this.owner).catch(() => {});
    }
  }

  private async sourceFor(
    cache: Map<number, OpenedSource>,
    config: StoredSourceConfig,
    watch: boolean,
  ): Promise<Source> {
    const key = JSON.stringify(config);
    const cached = cache.get(config.id);
    if (cached && cached.key === key) return cached.source;
    if (cached) await this.dropSource(cache, config.id);
    const source = await openSource(config);
    let stopWatching: (() => void) | null = null;
    if (watch && isWatchable(source)) {
      // Local folders tell us when something changes: no need to wait for the interval.
      stopWatching = source.watch(() => this.markDirty(config.id));
    }
    cache.set(config.id, { key, source, stopWatching });
    return source;
  }

  private async dropSource(cache: Map<number, OpenedSource>, id: number): Promise<void> {
    const cached = cache.get(id);
    if (!cached) return;
    cache.delete(id);
    cached.stopWatching?.();
    await cached.source.close().catch(() => {});
  }

  private async startTenants(): Promise<void> {
    const limit = this.options.tenantConcurrency ?? 4;
    if (this.activeTenants.size >= limit) return;
    const tenants = await tenantsWithWork(this.options.store.db, new Date().toISOString());
    for (const tenantId of tenants) {
      if (this.activeTenants.size >= limit) break;
      if (this.activeTenants.has(tenantId)) continue;
      const run = this.track(
        this.runTenant(tenantId)
          .then((processed) => {
            // Look again at once only after real progress: a tenant busy in another
            // process is retried on the next tick, not in a tight loop.
            if (processed > 0) this.wake();
          })
          .finally(() => {
            this.activeTenants.delete(tenantId);
          }),
      );
      this.activeTenants.set(tenantId, run);
    }
  }

  /** Takes the tenant's files one after another until none is ready or the service stops. */
  private async runTenant(tenantId: number): Promise<number> {
    const { store, log } = this.options;
    let processed = 0;
    while (this.running) {
      let row: Awaited<ReturnType<typeof claimNextFile>>;
      try {
        row = await claimNextFile(store, tenantId, this.owner, this.ctx.leaseMs);
      } catch (error) {
        log.warn("claim failed", { tenantId, error });
        return processed;
      }
      if (!row) return processed;
      const tenant = await getTenant(store.db, tenantId);
      const config =
        row.source_id !== null
          ? await getSourceWithSecret(store.db, tenantId, row.source_id)
          : null;
      if (!tenant || !config) {
        log.warn("file without tenant or source; left for later", { mailingId: row.id });
        return processed;
      }
      let source: Source;
      try {
        source = await this.sourceFor(this.processSources, config, false);
      } catch (error) {
        log.warn("cannot open source", { sourceId: config.id, error });
        return processed;
      }
      const outcome = await processFile(this.ctx, row, tenant, source);
      processed++;
      if (outcome === "retry-later") await this.dropSource(this.processSources, config.id);
    }
    return processed;
  }
}
