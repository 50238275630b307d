/**
 * The dispatch loop as `serve` runs it (roles all and dispatch): a
 * Dispatcher on the store with the provider registry (outbox by default),
 * settings from the environment.
 */
import { ChannelRegistry, SmtpChannel } from "../channels/index.js";
import { useAsyncBusyHandling } from "../ingest/ledger.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics.js";
import type { Store } from "../store/db.js";
import type { Channel } from "./channel.js";
import { Dispatcher } from "./dispatch.js";
import { KyselyDispatchStore } from "./dispatch-store.js";

export interface DispatchService {
  dispatcher: Dispatcher;
  stop(): Promise<void>;
}

function positive(value: string | undefined): number | undefined {
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/**
 * Starts dispatching. Environment: REMESSA_DISPATCH_BATCH (messages per
 * batch, default 500), REMESSA_DISPATCH_LEASE_SECONDS (default 60).
 */
export function startDispatch(
  store: Store,
  log: Logger,
  options: {
    env?: NodeJS.ProcessEnv;
    channels?: readonly Channel[];
    owner?: string;
    metrics?: Metrics;
  } = {},
): DispatchService {
  const env = options.env ?? process.env;
  useAsyncBusyHandling(store);
  // The SMTP channel with serve's log (a missing REMESSA_PUBLIC_URL is warned there).
  const smtp = new SmtpChannel(store, { log: log.child({ part: "smtp" }) });
  const registry = new ChannelRegistry(store, Date.now, [smtp, ...(options.channels ?? [])]);
  const batch = positive(env.REMESSA_DISPATCH_BATCH);
  const lease = positive(env.REMESSA_DISPATCH_LEASE_SECONDS);
  const dispatcher = new Dispatcher({
    store: new KyselyDispatchStore(store),
    channelFor: registry.channelFor,
    log: log.child({ part: "dispatch" }),
    ...(options.owner ? { owner: options.owner } : {}),
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(batch ? { batchSize: Math.floor(batch) } : {}),
    ...(lease ? { leaseMs: lease * 1000 } : {}),
    parallelBatches: 1,
  });
  dispatcher.start();
  return {
    dispatcher,
    async stop() {
      await dispatcher.stop();
      await registry.close();
    },
  };
}
