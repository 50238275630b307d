/**
 * The Cloud API channel's estimate of when a number's requests reached Meta
 * (arrival-window.ts): a request waits only while `rate` of them may have
 * arrived in the last second.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ArrivalWindow } from "../../src/channels/arrival-window.js";

test("requests answered in the usual round trip never wait; the next one waits for the oldest to leave the second", () => {
  const w = new ArrivalWindow();
  // 4 per 100 ms at a cap of 40/s: each answered 20 ms later.
  for (let t = 0; t < 1000; t += 100) {
    for (let k = 0; k < 4; k++) {
      assert.equal(w.delayFor(t, 40), 0, `t=${t}`);
      w.settle(w.sent(t), t + 20, true);
    }
  }
  // The 41st in the same second: the first ones arrived at 0 (+ at most half
  // the round trip), so it may go once they are a second old.
  assert.equal(w.delayFor(990, 40), 20);
  assert.equal(w.delayFor(1000, 40), 10);
  assert.equal(w.delayFor(1010, 40), 0);
});

test("a request answered late counts as having arrived late, and holds the ones a second after it", () => {
  const w = new ArrivalWindow();
  // The quickest round trip: 20 ms.
  w.settle(w.sent(0), 20, true);
  // Sent at 100 but answered at 250: it may have reached the provider at 240.
  w.settle(w.sent(100), 250, true);
  assert.equal(w.delayFor(1100, 1), 140, "held until the late one leaves the second");
  assert.equal(w.delayFor(1240, 1), 0);
  // A refused request does not count; an unanswered one counts as arriving now.
  const refused = w.sent(1240);
  w.settle(refused, 1260, false);
  assert.equal(w.delayFor(1260, 2), 0);
  const pending = w.sent(1260);
  assert.equal(w.delayFor(1265, 2), 0);
  w.sent(1265);
  assert.ok(w.delayFor(1270, 2) > 0, "two possibly arriving now fill a cap of 2");
  w.settle(pending, 1300, true, false);
  assert.ok(w.delayFor(2200, 2) > 0, "no answer: counted as arriving when it failed");
  assert.equal(w.delayFor(2301, 2), 0);
});
