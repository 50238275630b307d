/**
 * The `Metrics` of the core (src/metrics.ts) counted with prom-client, plus
 * what is read from the database at scrape time (due messages, source
 * polling lag), exposed in Prometheus' text format at `/metrics`.
 *
 * Each instance has its own registry (tests build several in one process).
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Logger } from "../log.js";
import type { FileOutcome, LeaseKind, Metrics } from "../metrics.js";
import type { Store } from "../store/db.js";
import {
  dueMessagesByChannel,
  type SourcePollState,
  sourcePollStates,
} from "../store/monitoring.js";

/** What `/metrics` serves. */
export interface MetricsEndpoint {
  contentType: string;
  render(): Promise<string>;
}

export interface PrometheusOptions {
  /** The database behind the scrape-time gauges (none: those gauges are left out). */
  store?: Store | null;
  /** Node's process metrics (CPU, memory, event loop lag, GC). Default true. */
  processMetrics?: boolean;
  clock?: () => Date;
  log?: Logger;
}

export interface Prometheus extends MetricsEndpoint {
  metrics: Metrics;
  registry: Registry;
}

export function createPrometheus(options: PrometheusOptions = {}): Prometheus {
  const registry = new Registry();
  const clock = options.clock ?? (() => new Date());
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const files = new Counter({
    name: "remessa_files_total",
    help: "Files whose processing ended, by outcome (accepted, discarded, failed, vanished).",
    labelNames: ["outcome"] as const,
    registers,
  });
  const reasons = new Counter({
    name: "remessa_file_discard_reasons_total",
    help: "Reasons of discarded files (one file may have several), by code (docs/codigos.md).",
    labelNames: ["reason"] as const,
    registers,
  });
  const importRows = new Counter({
    name: "remessa_import_rows_total",
    help: "Rows read by imports that were committed, by result (accepted, rejected).",
    labelNames: ["result"] as const,
    registers,
  });
  const importSeconds = new Histogram({
    name: "remessa_import_seconds",
    help: "Time an import of a file took, reading and writing (seconds).",
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 1800],
    registers,
  });
  const messages = new Counter({
    name: "remessa_messages_total",
    help: "Messages a send attempt moved, by channel, provider and status (sent, failed, skipped, expired, retry, deferred).",
    labelNames: ["channel", "provider", "status"] as const,
    registers,
  });
  const pollErrors = new Counter({
    name: "remessa_source_poll_errors_total",
    help: "Failed polls of a file source (connection, login, listing).",
    labelNames: ["tenant_id", "source_id"] as const,
    registers,
  });
  const leases = new Counter({
    name: "remessa_lease_renewals_lost_total",
    help: "Work this process held whose lease was taken over by another (file, source, messages).",
    labelNames: ["kind"] as const,
    registers,
  });
  // Zero from the start, so a rate() has a series before the first event.
  for (const outcome of ["accepted", "discarded", "failed", "vanished"]) files.inc({ outcome }, 0);
  for (const kind of ["file", "source", "messages"]) leases.inc({ kind }, 0);

  const store = options.store ?? null;
  if (store) {
    const warn = (what: string, error: unknown) =>
      options.log?.warn("metrics: database read failed", { what, error });
    // Both source gauges from one read: a scrape collects every metric at once.
    let reading: Promise<SourcePollState[]> | null = null;
    const sources = () => {
      reading ??= sourcePollStates(store, clock()).finally(() => {
        reading = null;
      });
      return reading;
    };
    const sourceGauge = (name: string, help: string, pick: (s: SourcePollState) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ["tenant_id", "source_id", "source"] as const,
        registers,
        async collect() {
          this.reset();
          try {
            for (const s of await sources()) {
              this.set({ tenant_id: s.tenantId, source_id: s.id, source: s.name }, pick(s));
            }
          } catch (error) {
            warn("sources", error);
          }
        },
      });
    sourceGauge(
      "remessa_source_poll_lag_seconds",
      "Seconds since the last successful poll of an enabled source (all processes; since it was added when never).",
      (s) => Math.round(s.lagSeconds * 1000) / 1000,
    );
    sourceGauge(
      "remessa_source_consecutive_failures",
      "Failed polls in a row of an enabled source (all processes).",
      (s) => s.failures,
    );
    new Gauge({
      name: "remessa_messages_due",
      help: "Messages waiting for a dispatcher now, by channel (all processes).",
      labelNames: ["channel"] as const,
      registers,
      async collect() {
        this.reset();
        try {
          const due = await dueMessagesByChannel(store, clock());
          for (const channel of ["sms", "whatsapp", "email", ...due.keys()]) {
            this.set({ channel }, due.get(channel) ?? 0);
          }
        } catch (error) {
          warn("due messages", error);
        }
      },
    });
  }

  const metrics: Metrics = {
    fileFinished(outcome: FileOutcome, codes: readonly string[]) {
      files.inc({ outcome });
      for (const reason of new Set(codes)) reasons.inc({ reason });
    },
    fileImported(rows: number, rejectedRows: number, seconds: number) {
      importRows.inc({ result: "accepted" }, Math.max(0, rows - rejectedRows));
      importRows.inc({ result: "rejected" }, rejectedRows);
      importSeconds.observe(seconds);
    },
    messages(channel: string, provider: string, status: string, count: number) {
      if (count > 0) messages.inc({ channel, provider, status }, count);
    },
    pollFailed(tenantId: number, sourceId: number) {
      pollErrors.inc({ tenant_id: tenantId, source_id: sourceId });
    },
    leaseLost(kind: LeaseKind) {
      leases.inc({ kind });
    },
  };

  return {
    metrics,
    registry,
    contentType: registry.contentType,
    render: () => registry.metrics(),
  };
}
