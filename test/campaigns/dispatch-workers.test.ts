/**
 * Three dispatch workers on one PostgreSQL, each with its own connections:
 * no message is sent twice, and each sender's cap holds over all of them
 * together — counted over the outbox's recorded send times in every
 * one-second window (the cap is asserted, not how long it took).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Dispatcher } from "../../src/campaigns/dispatch.js";
import { KyselyDispatchStore } from "../../src/campaigns/dispatch-store.js";
import { ChannelRegistry } from "../../src/channels/index.js";
import { silentLogger } from "../../src/log.js";
import { openMigrated, type Store } from "../../src/store/db.js";
import { maxPerSecond } from "../channels/test-channel.js";
import { needsFull } from "../helpers/env.js";
import { openPgTestStore, type TestStore } from "../store/harness.js";
import { seedCampaign } from "./dispatch-fixtures.js";

const RATE = 20;
const PER_CAMPAIGN = 90;

describe("three dispatch workers on PostgreSQL", { skip: needsFull("PostgreSQL") }, () => {
  let t: TestStore;
  const workers: { store: Store; dispatcher: Dispatcher; registry: ChannelRegistry }[] = [];
  before(async () => {
    t = await openPgTestStore();
  });
  after(async () => {
    for (const w of workers) {
      await w.dispatcher.stop();
      await w.registry.close();
      await w.store.close();
    }
    await t?.dispose();
  });

  test("no message twice; each sender's cap holds across the workers", async () => {
    const start = Date.now() - 1000;
    const a = await seedCampaign(t.store, {
      persons: PER_CAMPAIGN,
      ratePerSecond: RATE,
      startAt: start,
    });
    const b = await seedCampaign(t.store, {
      persons: PER_CAMPAIGN,
      personOffset: 1000,
      ratePerSecond: RATE,
      startAt: start,
      walletCode: "ITAU",
    });
    for (let i = 0; i < 3; i++) {
      const store = await openMigrated(t.url);
      const registry = new ChannelRegistry(store);
      const dispatcher = new Dispatcher({
        store: new KyselyDispatchStore(store),
        owner: `worker-${i}`,
        channelFor: registry.channelFor,
        log: silentLogger,
        idleMs: 50,
      });
      workers.push({ store, dispatcher, registry });
    }
    for (const w of workers) w.dispatcher.start();
    const end = Date.now() + 120_000;
    for (;;) {
      const left = await t.store.db
        .selectFrom("messages")
        .select("id")
        .where("state", "in", ["pending", "sending"])
        .limit(1)
        .execute();
      if (left.length === 0) break;
      if (Date.now() > end) throw new Error("workers did not finish");
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const w of workers) await w.dispatcher.stop();

    const rows = await t.store.db
      .selectFrom("outbox")
      .select(["message_id", "payload_json", "created_at"])
      .execute();
    assert.equal(rows.length, 2 * PER_CAMPAIGN);
    assert.equal(
      new Set(rows.map((r) => r.message_id)).size,
      2 * PER_CAMPAIGN,
      "a message sent twice",
    );
    // Every worker took part (otherwise this proves nothing about sharing).
    const claimed = workers.map((w) => w.dispatcher.stats.claimed);
    assert.ok(claimed.filter((n) => n > 0).length >= 2, `claims per worker: ${claimed}`);
    assert.equal(
      claimed.reduce((x, y) => x + y, 0),
      2 * PER_CAMPAIGN,
    );
    const bySender = new Map<string, number[]>();
    for (const r of rows) {
      const from = JSON.parse(r.payload_json).from as string;
      bySender.set(from, [...(bySender.get(from) ?? []), Date.parse(r.created_at)]);
    }
    assert.equal(bySender.size, 2);
    for (const [from, times] of bySender) {
      const worst = maxPerSecond(times);
      assert.ok(worst <= RATE, `sender ${from}: ${worst} messages in one second (cap ${RATE})`);
    }
    const states = await t.store.db
      .selectFrom("campaigns")
      .select(["id", "state"])
      .where("id", "in", [a.campaignId, b.campaignId])
      .execute();
    assert.ok(states.every((c) => c.state === "running" || c.state === "finished"));
  });
});
