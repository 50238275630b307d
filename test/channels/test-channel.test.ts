/**
 * The Channel contract against the configurable test channel: as a plain
 * sender, and as one that fails, throttles and asks for retries per message
 * (results must still come back one per message, in order).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { OutgoingMessage, SendResult } from "../../src/campaigns/channel.js";
import { channelContract, message } from "./contract.js";
import { type Behaviour, maxPerSecond, TestChannel } from "./test-channel.js";

function target(behaviour?: (m: OutgoingMessage) => Behaviour) {
  return async () => {
    const options = behaviour ? { behaviour } : {};
    const channel = new TestChannel(options);
    return {
      channel,
      async delivered() {
        return channel.received
          .filter((r) => r.outcome === "sent")
          .map((r) => ({ messageId: r.id, to: r.to, providerId: `test-${r.id}` }));
      },
      ...(behaviour
        ? { expected: (m: OutgoingMessage) => behaviour(m) as SendResult["outcome"] }
        : {}),
      another: async () => new TestChannel(options),
      cleanup: () => channel.close(),
    };
  };
}

channelContract("test channel (always sends)", target());

const mixed = (m: OutgoingMessage): Behaviour =>
  (["sent", "failed", "throttled", "retry"] as const)[m.id % 4] ?? "sent";
channelContract("test channel (fails, throttles, retries)", target(mixed));

test("test channel that never answers: an abort ends the call with a rejection", async () => {
  const channel = new TestChannel({ behaviour: () => "hang" });
  const controller = new AbortController();
  const pending = channel.send([message("sms", "test")], controller.signal);
  controller.abort(new Error("tempo esgotado"));
  await assert.rejects(pending, /tempo esgotado/);
  await channel.close();
});

test("test channel with a cap throttles what goes over it in any second", async () => {
  let now = 0;
  const channel = new TestChannel({ ratePerSecond: 3, clock: () => now });
  const batch = Array.from({ length: 5 }, () => message("sms", "test"));
  const first = await channel.send(batch);
  assert.deepEqual(
    first.map((r) => r.outcome),
    ["sent", "sent", "sent", "throttled", "throttled"],
  );
  now = 999;
  assert.equal((await channel.send([message("sms", "test")]))[0]?.outcome, "throttled");
  now = 1000;
  assert.equal((await channel.send([message("sms", "test")]))[0]?.outcome, "sent");
  assert.equal(
    maxPerSecond(channel.received.filter((r) => r.outcome === "sent").map((r) => r.at)),
    3,
  );
});
