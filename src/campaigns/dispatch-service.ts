/**
 * The dispatch loop as `serve` runs it (roles all and dispatch): a
 * Dispatcher on the store with the provider registry (outbox by default),
 * settings from the environment. The SMTP and SMPP channels get serve's
 * logger; the SMPP routes bind at start-up.
 */
import { ChannelRegistry, SmtpChannel } from "../channels/index.js";
import { SmppChannel } from "../channels/smpp.js";
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
  const own: Channel[] = [smtp];
  // SMPP with serve's log (it names its own part), its binds opened now: an SMSC
  // sends receipts and MO replies only over an open bind, campaign or not.
  const smpp = options.channels?.some((c) => c.provider === "smpp")
    ? null
    : new SmppChannel(store, { log });
  if (smpp) own.push(smpp);
  const registry = new ChannelRegistry(store, Date.now, [...own, ...(options.channels ?? [])]);
  const binding =
    smpp
      ?.bindConfigured()
      .then((opened) => {
        if (opened > 0) log.info("binds SMPP abertos na partida", { part: "smpp", routes: opened });
      })
      .catch((error: unknown) => {
        // The store may be closing (a stop right after start): nothing to bind then.
        log.warn("não foi possível abrir os binds SMPP na partida; abrem no primeiro envio", {
          part: "smpp",
          error: (error as Error)?.message ?? String(error),
        });
      }) ?? Promise.resolve();
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
      await binding;
      await dispatcher.stop();
      await registry.close();
    },
  };
}
