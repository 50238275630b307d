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
export function printStoreCalls(label: string): void {
  if (!process.env.BENCH_PROFILE) return;
  const rows = [...storeCalls].sort((a, b) => b[1].ms - a[1].ms);
  console.log(
    `   ${label}: ${rows.map(([k, v]) => `${k} ${v.n}× ${v.ms.toFixed(0)} ms`).join(", ")}`,
  );
  storeCalls.clear();
}

