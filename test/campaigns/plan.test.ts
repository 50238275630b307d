import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  deadlineInstant,
  localToUtcMs,
  maxWaves,
  planWaves,
  scheduleOf,
  startInstant,
  waveSizes,
} from "../../src/campaigns/plan.js";

const TZ = "America/Sao_Paulo";
const split = fc.record({
  percent: fc.integer({ min: 1, max: 99 }),
  everyMinutes: fc.integer({ min: 1, max: 999 }),
});

describe("waves", () => {
  test("the issue's example: 15% every 20 minutes", () => {
    assert.deepEqual(
      waveSizes(100, { percent: 15, everyMinutes: 20 }),
      [15, 15, 15, 15, 15, 15, 10],
    );
    assert.deepEqual(waveSizes(10, { percent: 30, everyMinutes: 5 }), [3, 3, 3, 1]);
    assert.deepEqual(waveSizes(7, { percent: 15, everyMinutes: 5 }), [2, 2, 2, 1]);
    assert.deepEqual(waveSizes(5, null), [5]);
    assert.deepEqual(waveSizes(0, { percent: 10, everyMinutes: 5 }), [0]);
  });

  test("sizes add up to N; every wave but the last has ceil(N·PP/100), the last 1..that; never more waves than maxWaves", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2_000_000 }), split, (n, s) => {
        const sizes = waveSizes(n, s);
        const size = Math.ceil((n * s.percent) / 100);
        assert.equal(
          sizes.reduce((a, b) => a + b, 0),
          n,
        );
        for (const x of sizes.slice(0, -1)) assert.equal(x, size);
        const last = sizes.at(-1)!;
        assert.ok(last >= 1 && last <= size);
        assert.ok(sizes.length <= maxWaves(s), `${sizes.length} > ${maxWaves(s)}`);
      }),
    );
  });

  test("wave k starts at start + k·MMM minutes: increasing, one wave without a split", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        split,
        fc.integer({ min: 0, max: 2e12 }),
        (n, s, start) => {
          const waves = planWaves(n, start, s);
          waves.forEach((w, k) => {
            assert.equal(w.number, k);
            assert.equal(w.startMs, start + k * s.everyMinutes * 60_000);
          });
          for (let k = 1; k < waves.length; k++)
            assert.ok(waves[k]!.startMs > waves[k - 1]!.startMs);
          assert.deepEqual(planWaves(n, start, null), [{ number: 0, startMs: start, size: n }]);
        },
      ),
    );
  });
});

describe("start and deadline", () => {
  const now = Date.parse("2026-11-26T12:00:00.000Z");

  test("_i is local time in the tenant's zone; in the past or absent it is the import's instant", () => {
    assert.equal(startInstant(null, TZ, now), now);
    assert.equal(startInstant("2026-11-26T08:59", TZ, now), now);
    assert.equal(startInstant("2026-11-26T09:00", TZ, now), now);
    assert.equal(startInstant("2026-11-26T09:01", TZ, now), now + 60_000);
    assert.equal(
      startInstant("2026-11-27T10:30", "America/Manaus", now),
      Date.parse("2026-11-27T14:30:00Z"),
    );
  });

  test("_LE is local time in the tenant's zone", () => {
    assert.equal(deadlineInstant(null, TZ), null);
    assert.equal(deadlineInstant("2026-11-26T18:00", TZ), Date.parse("2026-11-26T21:00:00Z"));
  });

  test("daylight saving time: a local time in the gap moves forward; each side keeps its offset", () => {
    // New York, 8 March 2026: 02:00 → 03:00.
    const zone = "America/New_York";
    assert.equal(localToUtcMs("2026-03-08T01:30", zone), Date.parse("2026-03-08T06:30:00Z"));
    assert.equal(localToUtcMs("2026-03-08T03:30", zone), Date.parse("2026-03-08T07:30:00Z"));
    assert.equal(localToUtcMs("2026-03-08T02:30", zone), Date.parse("2026-03-08T07:30:00Z"));
  });

  test("scheduleOf gives every possible wave's start", () => {
    const s = scheduleOf(
      {
        start: "2026-11-26T10:00",
        split: { percent: 40, everyMinutes: 15 },
        deadline: "2026-11-26T12:00",
      },
      TZ,
      now,
    );
    assert.equal(s.startMs, Date.parse("2026-11-26T13:00:00Z"));
    assert.equal(s.deadlineMs, Date.parse("2026-11-26T15:00:00Z"));
    assert.deepEqual(
      s.waveStartsMs.map((ms) => new Date(ms).toISOString()),
      ["2026-11-26T13:00:00.000Z", "2026-11-26T13:15:00.000Z", "2026-11-26T13:30:00.000Z"],
    );
  });
});
