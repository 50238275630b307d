/**
 * Per-sender rate limit shared by every dispatch worker and process: a GCRA
 * ("generic cell rate algorithm") whose only state is the sender's
 * theoretical arrival time (`rate_buckets.tat_ms`), advanced atomically in
 * the database. A worker reserves one *slot* at a time — room for `chunk`
 * messages, `spacingMs` long: start = max(tat, now), tat = start + spacingMs —
 * waits until its start and hands at most `chunk` messages to the channel.
 *
 * The guarantee is the provider's: in no one-second window does the sender
 * go over `rate` messages. Slot starts are at least `spacingMs` apart across
 * all workers; `spacingMs` is chosen so that the slots whose start falls in
 * any one-second window carry at most `rate` messages even when each one is
 * used up to `toleranceMs` late (a worker woken later than that gives its
 * slot up and reserves another, so lateness never piles sends together).
 * The `headroom` (default 0.98) is what that costs in throughput.
 *
 * A "throttled" answer from the provider pushes the shared tat forward, so
 * every worker slows down for that sender, not only the one that was told.
 */
import type { Clock } from "./channel.js";

/** The database side: one atomic statement each (see dispatch-store.ts). */
export interface RateBucketStore {
  /** Advances the key's tat to max(tat, nowMs) + spanMs and returns the new tat. */
  reserve(tenantId: number, key: string, spanMs: number, nowMs: number): Promise<number>;
  /** Moves the key's tat to at least `untilMs` (provider asked to slow down). */
  pushBack(tenantId: number, key: string, untilMs: number): Promise<void>;
  /**
   * Moves the key's tat from exactly `fromMs` to `toMs` and says whether it
   * did: false when someone reserved after `fromMs` was set.
   */
  shift?(tenantId: number, key: string, fromMs: number, toMs: number): Promise<boolean>;
}

export interface SlotPlan {
  /** Messages per slot. */
  chunk: number;
  /** Slot length in ms (integer). */
  spacingMs: number;
  /** How late a slot may still be used without breaking the cap. */
  toleranceMs: number;
}

/**
 * Slot size for a rate: about a tenth of a second's worth of messages (at
 * most `maxChunk`), spaced so that any window of 1000 ms (timestamps in whole
 * ms) holds at most `rate` messages with `toleranceMs` of lateness per slot.
 */
export function planSlots(ratePerSecond: number, maxChunk: number, headroom = 0.98): SlotPlan {
  const rate = Math.max(ratePerSecond, 0.001);
  const chunk = Math.max(1, Math.min(Math.floor(maxChunk), Math.floor(rate / 10)));
  let spacingMs = Math.max(1, Math.ceil((chunk * 1000) / rate / headroom));
  // Slot starts in a half-open window of 1000 ms with up to t ms of lateness:
  // at most floor((999 + t) / spacing) + 1 of them, each carrying `chunk`.
  const fits = (t: number) => chunk * (Math.floor((999 + t) / spacingMs) + 1) <= rate;
  if (rate >= 1) while (!fits(0)) spacingMs++;
  let toleranceMs = 0;
  if (rate < 1) toleranceMs = Math.max(0, spacingMs - 1000);
  else while (toleranceMs < 1000 && fits(toleranceMs + 1)) toleranceMs++;
  return { chunk, spacingMs, toleranceMs };
}

export interface RateLimiterOptions {
  store: RateBucketStore;
  clock: Clock;
  /** Waits `ms` (tests inject one that moves their clock). */
  sleep: (ms: number) => Promise<void>;
  headroom?: number;
}

export class RateLimiter {
  /** Slots given up because the worker woke up too late to use them. */
  forfeited = 0;
  /** Slots used late after moving them (nobody had reserved after them). */
  shifted = 0;
  /** When set, every slot used is pushed here: [key, start, used at] (benchmarks). */
  trace: [string, number, number][] | null = null;

  /** Smoothed time a reservation takes to come back. */
  private roundTripMs = 0;

  constructor(private readonly options: RateLimiterOptions) {}

  /**
   * Waits for the next free slot of `key` and resolves with its start (epoch
   * ms): up to `plan.chunk` messages may be sent now, if `onTime` still says
   * so right before they are handed over. `stopAt` (epoch ms): do not wait
   * past it (lease or deadline); resolves null then, with the slot unused
   * (also when this process keeps waking up too late to use one).
   */
  async acquire(
    tenantId: number,
    key: string,
    plan: SlotPlan,
    stopAt?: number,
  ): Promise<number | null> {
    const { store, clock, sleep } = this.options;
    for (let attempt = 0; attempt <= 20; attempt++) {
      // A free slot starts no earlier than the reservation's answer is
      // expected back: one starting when it was asked for is late on arrival.
      const asked = clock();
      const tat = await store.reserve(
        tenantId,
        key,
        plan.spacingMs,
        asked + Math.min(Math.ceil(this.roundTripMs * 1.5), 200),
      );
      this.roundTripMs = 0.8 * this.roundTripMs + 0.2 * (clock() - asked);
      const start = tat - plan.spacingMs;
      if (stopAt !== undefined && start > stopAt) return null;
      let slot = start;
      let slotTat = tat;
      for (let late = 0; late < 5; late++) {
        // Timers may fire a little early: never before the slot's start.
        for (let now = clock(); now < slot; now = clock()) await sleep(slot - now);
        if (clock() - slot <= plan.toleranceMs) return slot;
        // Woken too late: sending now could crowd the next slots' second.
        // When nobody reserved after this slot, it moves to a little after
        // now instead (as if reserved now) and is used then; otherwise it is given up.
        if (!store.shift || (stopAt !== undefined && clock() > stopAt)) break;
        const moved = clock() + Math.min(Math.ceil(this.roundTripMs * 1.5), 200);
        const asked = clock();
        const shifted = await store.shift(tenantId, key, slotTat, moved + plan.spacingMs);
        this.roundTripMs = 0.8 * this.roundTripMs + 0.2 * (clock() - asked);
        if (!shifted) break;
        this.shifted++;
        slot = moved;
        slotTat = moved + plan.spacingMs;
        if (stopAt !== undefined && slot > stopAt) return null;
      }
      this.forfeited++;
    }
    return null;
  }

  /**
   * Whether a slot may still be used now. Called synchronously right before
   * the channel call (other work of this process may have run since
   * `acquire`); false counts the slot as given up.
   */
  onTime(key: string, start: number, plan: SlotPlan): boolean {
    const now = this.options.clock();
    if (now < start) return false;
    if (now - start > plan.toleranceMs) {
      this.forfeited++;
      return false;
    }
    this.trace?.push([key, start, now]);
    return true;
  }

  /** The provider asked this sender to slow down: nobody sends for it before `untilMs`. */
  async slowDown(tenantId: number, key: string, untilMs: number): Promise<void> {
    await this.options.store.pushBack(tenantId, key, untilMs);
  }
}
