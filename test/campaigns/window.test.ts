import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  describeSendWindow,
  isOpen,
  nextOpening,
  parseSendWindow,
  type SendWindow,
  validateSendWindow,
} from "../../src/campaigns/window.js";

const TZ = "America/Sao_Paulo";
const WEEKDAYS_8_20: SendWindow = { days: [1, 2, 3, 4, 5, 6], from: "08:00", to: "20:00" };

describe("send window", () => {
  test("validation says what to fix, in pt-BR", () => {
    assert.deepEqual(validateSendWindow({ days: [6, 1, 1], from: "08:00", to: "20:00" }), {
      ok: true,
      window: { days: [1, 6], from: "08:00", to: "20:00" },
    });
    for (const bad of [
      null,
      [],
      { days: [], from: "08:00", to: "20:00" },
      { days: [0], from: "08:00", to: "20:00" },
      { days: [1], from: "8:00", to: "20:00" },
      { days: [1], from: "08:00", to: "24:01" },
      { days: [1], from: "20:00", to: "08:00" },
    ]) {
      const r = validateSendWindow(bad);
      assert.equal(r.ok, false, JSON.stringify(bad));
      if (!r.ok) assert.match(r.message, /janela de envio/);
    }
    assert.equal(parseSendWindow(null), null);
    assert.deepEqual(parseSendWindow('{"days":[1],"from":"00:00","to":"24:00"}'), {
      days: [1],
      from: "00:00",
      to: "24:00",
    });
    assert.equal(describeSendWindow(WEEKDAYS_8_20), "segunda a sábado, das 08:00 às 20:00");
  });

  test("a message due inside the window goes at once; outside it waits for the next opening", () => {
    const at = (iso: string) => nextOpening(Date.parse(iso), WEEKDAYS_8_20, TZ);
    // Thursday 26/11/2026 12:00 local (15:00Z): open.
    assert.equal(at("2026-11-26T15:00:00Z"), Date.parse("2026-11-26T15:00:00Z"));
    // Thursday 21:00 local: Friday 08:00.
    assert.equal(at("2026-11-27T00:00:00Z"), Date.parse("2026-11-27T11:00:00Z"));
    // Saturday 20:00 local (closing time is exclusive): Monday 08:00.
    assert.equal(at("2026-11-28T23:00:00Z"), Date.parse("2026-11-30T11:00:00Z"));
    // Thursday 07:59 local: 08:00 the same day.
    assert.equal(at("2026-11-26T10:59:00Z"), Date.parse("2026-11-26T11:00:00Z"));
  });

  test("across a daylight saving change the window opens at its local time", () => {
    // New York: Sunday 8 March 2026 02:00 → 03:00; window every day 08:00–09:00.
    const w: SendWindow = { days: [1, 2, 3, 4, 5, 6, 7], from: "08:00", to: "09:00" };
    const zone = "America/New_York";
    assert.equal(
      nextOpening(Date.parse("2026-03-07T15:00:00Z"), w, zone),
      Date.parse("2026-03-08T12:00:00Z"), // 08:00 EDT
    );
    // 07:30 EST the day before: 08:00 EST, an hour later in UTC than the next day's opening.
    assert.equal(
      nextOpening(Date.parse("2026-03-07T12:30:00Z"), w, zone),
      Date.parse("2026-03-07T13:00:00Z"),
    );
  });

  const windows = fc
    .record({
      days: fc.uniqueArray(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 7 }),
      from: fc.integer({ min: 0, max: 23 * 60 + 58 }),
      length: fc.integer({ min: 1, max: 24 * 60 }),
    })
    .map(({ days, from, length }) => {
      const to = Math.min(24 * 60, from + length);
      const hhmm = (m: number) =>
        `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
      return { days: days.sort((a, b) => a - b), from: hhmm(from), to: hhmm(to) };
    });
  const zones = fc.constantFrom(TZ, "America/New_York", "Europe/Lisbon", "America/Manaus");
  const instants = fc.integer({
    min: Date.parse("2018-01-01T00:00:00Z"),
    max: Date.parse("2030-01-01T00:00:00Z"),
  });

  test("the next opening is never before the instant, is open, and is stable; nothing opens in between", () => {
    fc.assert(
      fc.property(windows, zones, instants, (w, zone, t) => {
        const next = nextOpening(t, w, zone);
        assert.ok(next >= t);
        assert.ok(next - t <= 8 * 86_400_000);
        assert.ok(isOpen(next, w, zone));
        assert.equal(nextOpening(next, w, zone), next);
        if (next > t) {
          // Minutes in between (a sample of them) are all closed.
          const step = Math.max(60_000, Math.floor((next - t) / 50));
          for (let s = t; s < next; s += step)
            assert.ok(!isOpen(s, w, zone), new Date(s).toISOString());
          assert.ok(!isOpen(next - 1, w, zone));
        }
      }),
      { numRuns: 300 },
    );
  });
});
