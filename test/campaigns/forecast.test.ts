import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { forecast } from "../../src/campaigns/forecast.js";
import { DEFAULT_RATE_PER_SECOND, effectiveRate } from "../../src/campaigns/rates.js";
import type { SendWindow } from "../../src/campaigns/window.js";

const TZ = "America/Sao_Paulo";
/** Thursday 26/11/2026 09:00 local. */
const T0 = Date.parse("2026-11-26T12:00:00Z");
const H = 3_600_000;

describe("forecast", () => {
  test("default rates per channel, a sender's own rate when set", () => {
    assert.deepEqual(DEFAULT_RATE_PER_SECOND, { whatsapp: 80, sms: 100, email: 20 });
    assert.equal(effectiveRate("sms", null), 100);
    assert.equal(effectiveRate("email", 5), 5);
    assert.equal(effectiveRate("whatsapp", 0), 80);
  });

  test("no window, no deadline: the last message goes at start + (N−1)/rate", () => {
    const f = forecast({
      waves: [{ startMs: T0, size: 1000 }],
      rate: 100,
      window: null,
      timeZone: TZ,
      deadlineMs: null,
    });
    assert.equal(f.endMs, T0 + 9990);
    assert.equal(f.late, 0);
    assert.equal(f.why.sendingSeconds, 10);
  });

  test("waves wait for their start, or for the previous one to finish", () => {
    const f = forecast({
      waves: [
        { startMs: T0, size: 100 },
        { startMs: T0 + 60_000, size: 100 },
      ],
      rate: 1,
      window: null,
      timeZone: TZ,
      deadlineMs: null,
    });
    // Wave 0 takes 100 s, past wave 1's start at 60 s: wave 1 starts at 100 s.
    assert.equal(f.endMs, T0 + 199_000);
  });

  test("the deadline: messages whose turn comes at or after it are late, and why", () => {
    const f = forecast({
      waves: [
        { startMs: T0, size: 10 },
        { startMs: T0 + 2 * H, size: 5 },
      ],
      rate: 0.01,
      window: null,
      timeZone: TZ,
      deadlineMs: T0 + H,
    });
    // 1 every 100 s: 10 in the first 1000 s; the second wave starts after the deadline.
    assert.equal(f.late, 5);
    assert.equal(f.why.inWavesAfterDeadline, 5);
    assert.equal(f.why.windowDelayed, false);
  });

  test("the send window holds messages until it opens, and across closings", () => {
    const window: SendWindow = { days: [1, 2, 3, 4, 5], from: "09:00", to: "09:01" };
    // 90 messages at 1/s from Thursday 09:00: 60 on Thursday, 30 on Friday at 09:00.
    const f = forecast({
      waves: [{ startMs: T0, size: 90 }],
      rate: 1,
      window,
      timeZone: TZ,
      deadlineMs: T0 + 12 * H,
    });
    assert.equal(f.endMs, T0 + 24 * H + 29_000);
    assert.equal(f.late, 30);
    assert.equal(f.why.windowDelayed, true);
    assert.equal(f.why.windowClosedUntilDeadline, false);
    // Starting Saturday: Monday 09:00; a deadline on Sunday finds the window closed.
    const sat = T0 + 2 * 24 * H;
    const g = forecast({
      waves: [{ startMs: sat, size: 1 }],
      rate: 1,
      window,
      timeZone: TZ,
      deadlineMs: sat + 24 * H,
    });
    assert.equal(g.endMs, T0 + 4 * 24 * H);
    assert.equal(g.late, 1);
    assert.equal(g.why.windowClosedUntilDeadline, true);
  });

  test("properties: late ≤ total; no deadline, none late; the end is not before the last non-empty wave; an earlier deadline never has fewer late", () => {
    const waves = fc.array(
      fc.record({
        offset: fc.integer({ min: 0, max: 48 * H }),
        size: fc.integer({ min: 0, max: 5000 }),
      }),
      { minLength: 1, maxLength: 6 },
    );
    const windows = fc.option(
      fc.constantFrom<SendWindow>(
        { days: [1, 2, 3, 4, 5, 6], from: "08:00", to: "20:00" },
        { days: [7], from: "00:00", to: "24:00" },
        { days: [2, 4], from: "13:30", to: "14:00" },
      ),
    );
    fc.assert(
      fc.property(
        waves,
        windows,
        fc.double({ min: 0.5, max: 200, noNaN: true }),
        fc.integer({ min: 0, max: 96 * H }),
        fc.integer({ min: 0, max: 96 * H }),
        (list, window, rate, d1, d2) => {
          const sorted = list
            .map((w) => ({ startMs: T0 + w.offset, size: w.size }))
            .sort((a, b) => a.startMs - b.startMs);
          const total = sorted.reduce((s, w) => s + w.size, 0);
          const run = (deadlineMs: number | null) =>
            forecast({ waves: sorted, rate, window, timeZone: TZ, deadlineMs });
          const none = run(null);
          assert.equal(none.late, 0);
          const lastStart = Math.max(...sorted.filter((w) => w.size > 0).map((w) => w.startMs), T0);
          if (total > 0) assert.ok(none.endMs >= lastStart);
          const [early, late] = d1 < d2 ? [d1, d2] : [d2, d1];
          const a = run(T0 + early);
          const b = run(T0 + late);
          assert.ok(a.late >= 0 && a.late <= total);
          assert.ok(a.late >= b.late, `${a.late} < ${b.late}`);
          // The end does not depend on the deadline.
          assert.equal(a.endMs, none.endMs);
          // A deadline after the end: nothing late.
          assert.equal(run(none.endMs + 1).late, 0);
        },
      ),
      { numRuns: 200 },
    );
  });
});
