/**
 * The shared rate limit's handling of a slot the worker woke up too late for
 * (rate-limit.ts): moved to just after now when nobody reserved after it,
 * given up otherwise — never used late in a way that crowds the next slots.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { planSlots, type RateBucketStore, RateLimiter } from "../../src/campaigns/rate-limit.js";

/** One bucket in memory, with the same statements' meaning as dispatch-store.ts. */
class MemoryBuckets implements RateBucketStore {
  tat = 0;
  async reserve(_t: number, _k: string, spanMs: number, nowMs: number): Promise<number> {
    this.tat = Math.max(this.tat, Math.floor(nowMs)) + Math.ceil(spanMs);
    return this.tat;
  }
  async pushBack(_t: number, _k: string, untilMs: number): Promise<void> {
    this.tat = Math.max(this.tat, Math.ceil(untilMs));
  }
  async shift(_t: number, _k: string, fromMs: number, toMs: number): Promise<boolean> {
    if (this.tat !== Math.floor(fromMs)) return false;
    this.tat = Math.ceil(toMs);
    return true;
  }
}

describe("rate limiter: a slot woken too late", () => {
  const plan = planSlots(80, 500);

  test("is moved to now and used when nobody reserved after it", async () => {
    const buckets = new MemoryBuckets();
    const clock = { now: 1_000_000 };
    let sleeps = 0;
    const limiter = new RateLimiter({
      store: buckets,
      clock: () => clock.now,
      // The first wake comes far past the slot's tolerance; later ones on time.
      sleep: async (ms) => {
        clock.now += ms + (sleeps++ === 0 ? plan.toleranceMs + 40 : 0);
      },
    });
    buckets.tat = clock.now + 500; // the slot starts in 500 ms
    const start = await limiter.acquire(1, "sender:1", plan);
    assert.ok(start !== null);
    assert.ok(clock.now - start <= plan.toleranceMs, "used within its tolerance");
    assert.equal(limiter.forfeited, 0);
    assert.equal(limiter.shifted, 1);
    // The bucket now starts the next slot one spacing after the moved one.
    assert.equal(buckets.tat, start + plan.spacingMs);
  });

  test("is given up when another worker reserved after it", async () => {
    const buckets = new MemoryBuckets();
    const clock = { now: 1_000_000 };
    let sleeps = 0;
    const limiter = new RateLimiter({
      store: buckets,
      clock: () => clock.now,
      sleep: async (ms) => {
        if (sleeps++ === 0) {
          // Meanwhile another worker takes the next slot.
          await buckets.reserve(1, "sender:1", plan.spacingMs, clock.now);
          clock.now += ms + plan.toleranceMs + 40;
        } else clock.now += ms;
      },
    });
    buckets.tat = clock.now + 500;
    const first = clock.now + 500;
    const start = await limiter.acquire(1, "sender:1", plan);
    assert.equal(limiter.forfeited, 1);
    assert.equal(limiter.shifted, 0);
    assert.ok(start !== null && start >= first + 2 * plan.spacingMs, `start ${start}`);
  });
});
