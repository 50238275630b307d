/**
 * `serve`'s readiness (/readyz): the process can take work when it is not
 * stopping, its database answers with every migration applied, its drop box
 * (when it has one) listens, and no file has sat in one processing step for
 * longer than `stuckSeconds` (the pipeline is wedged on it).
 */
import { defaultReadiness, type Readiness } from "../api/routes/system.js";
import { stuckFiles } from "../ingest/ledger.js";
import type { Store } from "../store/db.js";

export interface ServeReadinessOptions {
  store: Store;
  /** The embedded drop box, or null when this process has none. */
  dropBox: () => { listening: boolean } | null;
  stopping: () => boolean;
  stuckSeconds: number;
  now?: () => Date;
}

export function serveReadiness(options: ServeReadinessOptions): Readiness {
  const base = defaultReadiness(options.store);
  const now = options.now ?? (() => new Date());
  return async () => {
    if (options.stopping()) return { ok: false, body: { status: "stopping" } };
    const database = await base();
    if (!database.ok) return database;
    const box = options.dropBox();
    if (box !== null && !box.listening) {
      return { ok: false, body: { status: "drop box not listening" } };
    }
    const before = new Date(now().getTime() - options.stuckSeconds * 1000).toISOString();
    const stuck = await stuckFiles(options.store.db, before).catch(() => []);
    if (stuck.length === 0) return database;
    return {
      ok: false,
      body: {
        status: "stuck",
        thresholdSeconds: options.stuckSeconds,
        files: stuck.map((f) => ({
          id: f.id,
          file: f.path,
          state: f.state,
          since: f.since,
          lastError: f.last_error,
        })),
      },
    };
  };
}
