import type { Channel, SenderRef } from "../src/campaigns/channel.js";
import { KyselyDispatchStore } from "../src/campaigns/dispatch-store.js";
import type { Store } from "../src/store/db.js";

/**
 * BENCH_PROFILE=1: every DispatchStore call is timed (count, total ms, by
 * method), printed after each phase that uses it: where the dispatcher's
 * database time goes between and within batches.
 */
const storeCalls = new Map<string, { n: number; ms: number }>();
export function dispatchStore(store: Store): KyselyDispatchStore {
  const inner = new KyselyDispatchStore(store);
  if (!process.env.BENCH_PROFILE) return inner;
  return new Proxy(inner, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== "function" || typeof name !== "string") return value;
      return async (...args: unknown[]) => {
        const t0 = performance.now();
        try {
          return await value.apply(target, args);
        } finally {
          const entry = storeCalls.get(name) ?? { n: 0, ms: 0 };
          entry.n++;
          entry.ms += performance.now() - t0;
          storeCalls.set(name, entry);
        }
      };
    },
  });
}
/** BENCH_PROFILE=1: channel calls timed too (as "send:<provider>"), next to the store's. */
export function profiledChannels(
  channelFor: (sender: SenderRef) => Channel | null,
): (sender: SenderRef) => Channel | null {
  if (!process.env.BENCH_PROFILE) return channelFor;
  const wrapped = new Map<Channel, Channel>();
  return (sender) => {
    const channel = channelFor(sender);
    if (!channel) return channel;
    let w = wrapped.get(channel);
    if (!w) {
      const name = `send:${channel.provider}`;
      w = {
        provider: channel.provider,
        close: () => channel.close(),
        send: async (batch, signal) => {
          const t0 = performance.now();
          try {
            return await channel.send(batch, signal);
          } finally {
            const entry = storeCalls.get(name) ?? { n: 0, ms: 0 };
            entry.n++;
            entry.ms += performance.now() - t0;
            storeCalls.set(name, entry);
          }
        },
      };
      wrapped.set(channel, w);
    }
    return w;
  };
}

export function printStoreCalls(label: string): void {
  if (!process.env.BENCH_PROFILE) return;
  const rows = [...storeCalls].sort((a, b) => b[1].ms - a[1].ms);
  console.log(
    `   ${label}: ${rows.map(([k, v]) => `${k} ${v.n}× ${v.ms.toFixed(0)} ms`).join(", ")}`,
  );
  storeCalls.clear();
}

/**
 * BENCH_PROFILE=1: where a sender's time went, from the limiter's trace of
 * used slots ([key, start, used at]): the time between one slot's use and the
 * next beyond one spacing, split at `longMs` (short gaps: late or moved
 * slots; long ones: the stop between batches).
 */
export function printSlotGaps(
  label: string,
  trace: [string, number, number][] | null,
  longMs = 250,
): void {
  if (!process.env.BENCH_PROFILE || !trace) return;
  const byKey = new Map<string, number[]>();
  for (const [key, start] of trace) byKey.set(key, [...(byKey.get(key) ?? []), start]);
  const parts: string[] = [];
  for (const [key, starts] of byKey) {
    starts.sort((a, b) => a - b);
    const gaps = starts.slice(1).map((t, i) => t - (starts[i] as number));
    const spacing = Math.min(...gaps);
    const total = (starts.at(-1) as number) - (starts[0] as number);
    let short = 0;
    let long = 0;
    let longCount = 0;
    for (const g of gaps) {
      if (g > longMs) {
        long += g - spacing;
        longCount++;
      } else short += g - spacing;
    }
    parts.push(
      `${key}: ${starts.length} vagas em ${total} ms, espaço ${spacing} ms; perdidos ${((short / total) * 100).toFixed(0)} % em atrasos curtos, ${((long / total) * 100).toFixed(0)} % em ${longCount} paradas`,
    );
  }
  console.log(`   ${label}: ${parts.join("; ")}`);
}
