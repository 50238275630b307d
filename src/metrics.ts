/**
 * What the core tells about its work, for monitoring. The ingest pipeline,
 * the source polling and the dispatcher call these few methods; how they are
 * counted and exposed (Prometheus, src/ops/prometheus.ts) is not their
 * business, and without a monitor they get `noMetrics`.
 *
 * Counts are this process's: with several `serve` on one database, each is
 * scraped and the monitoring sums them. What is one fact for all of them
 * (the due-message queue, how long ago a source was polled) is read from the
 * database at scrape time instead (src/store/monitoring.ts).
 */

/** How a file's processing ended. */
export type FileOutcome = "accepted" | "discarded" | "failed" | "vanished";

/** Whose lease this process lost to another one. */
export type LeaseKind = "file" | "source" | "messages";

export interface Metrics {
  /** A file reached its end; `reasons`: the codes of a discard (empty otherwise). */
  fileFinished(outcome: FileOutcome, reasons: readonly string[]): void;
  /** A file was imported: its rows read (rejected ones included) and the seconds the import took. */
  fileImported(rows: number, rejectedRows: number, seconds: number): void;
  /**
   * Messages a send attempt moved: `status` sent | failed | skipped | expired
   * | retry (back to the queue after a failure or throttling) | deferred (back
   * to the queue without one: window closed, not sent before the lease ended).
   */
  messages(channel: string, provider: string, status: string, count: number): void;
  /** A poll of a source failed (connection, login, listing). */
  pollFailed(tenantId: number, sourceId: number): void;
  /** A lease renewal found the work taken over by another process (or its results were not recorded). */
  leaseLost(kind: LeaseKind): void;
}

/** Counts nothing. */
export const noMetrics: Metrics = {
  fileFinished: () => {},
  fileImported: () => {},
  messages: () => {},
  pollFailed: () => {},
  leaseLost: () => {},
};
