/**
 * Dispatch rules with an injected clock, on both databases: waves start on
 * time, the deadline wins (retries included), `_x`, the restriction list at
 * send time, the send window, back-off, permanent failures, throttling,
 * timeouts, lease reclaim, rendering and the campaign lifecycle.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { sql } from "kysely";
import type { SendResult } from "../../src/campaigns/channel.js";
import { cancelCampaign } from "../../src/campaigns/control.js";
import { Dispatcher, type DispatcherOptions } from "../../src/campaigns/dispatch.js";
import { KyselyDispatchStore } from "../../src/campaigns/dispatch-store.js";
import { ChannelRegistry } from "../../src/channels/index.js";
import { silentLogger } from "../../src/log.js";
import type { Store } from "../../src/store/db.js";
import { type Behaviour, TestChannel } from "../channels/test-channel.js";
import { DATABASES, type TestStore } from "../store/harness.js";
import { iso, messagesOf, outboxRows, seedCampaign, T0 } from "./dispatch-fixtures.js";

const HOUR = 3_600_000;

interface Rig {
  store: Store;
  clock: { now: number };
  dispatcher: Dispatcher;
  channel: TestChannel;
}

function rig<C extends TestChannel = TestChannel>(
  store: Store,
  options: Partial<DispatcherOptions> & {
    behaviour?: (to: string) => Behaviour;
    /** A channel of the test's own (on the rig's clock) instead of the plain test channel. */
    channel?: (clock: () => number) => C;
  } = {},
): Rig & { channel: C } {
  const { behaviour, channel: ownChannel, ...dispatcherOptions } = options;
  const clock = { now: T0 };
  const channel =
    ownChannel?.(() => clock.now) ??
    (new TestChannel({
      clock: () => clock.now,
      behaviour: (m) => behaviour?.(m.to) ?? "sent",
    }) as C);
  const registry = new ChannelRegistry(store, () => clock.now, [channel]);
  const dispatcher = new Dispatcher({
    store: new KyselyDispatchStore(store),
    owner: "w1",
    channelFor: registry.channelFor,
    clock: () => clock.now,
    sleep: async (ms) => {
      clock.now += ms;
    },
    random: () => 0.5,
    log: silentLogger,
    retryBaseMs: 60_000,
    settleEveryMs: 0,
    ...dispatcherOptions,
  });
  return { store, clock, dispatcher, channel };
}

/** Runs cycles until nothing changes. */
async function drain(r: Rig): Promise<number> {
  let total = 0;
  for (let i = 0; i < 50; i++) {
    const n = await r.dispatcher.runOnce();
    total += n;
    if (n === 0) break;
  }
  return total;
}

async function campaignRow(store: Store, id: number) {
  return store.db
    .selectFrom("campaigns")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
}

for (const database of DATABASES) {
  describe(`dispatch rules (${database.name})`, { skip: database.skip }, () => {
    let t: TestStore;
    before(async () => {
      t = await database.open();
    });
    after(async () => {
      await t?.dispose();
    });

    async function fresh(): Promise<Store> {
      // One base per file; every test cleans the campaign tables first.
      const db = t.store.db;
      for (const table of [
        "outbox",
        "messages",
        "waves",
        "campaigns",
        "inbound_interactions",
        "restrictions",
        "rate_buckets",
        "person_tags",
        "person_channels",
        "persons",
        "templates",
        "senders",
        "email_accounts",
        "wallets",
      ] as const) {
        await db.deleteFrom(table).execute();
      }
      return t.store;
    }

    test("sends due messages through the outbox, rendered, and ends the campaign", async () => {
      const store = await fresh();
      const s = await seedCampaign(store, { persons: 3 });
      const r = rig(store);
      assert.equal(await drain(r), 3);
      const out = await outboxRows(store);
      assert.equal(out.length, 3);
      assert.deepEqual(
        out.map((o) => o.address),
        ["5511900000000", "5511900000001", "5511900000002"],
      );
      assert.deepEqual(JSON.parse(out[1]?.payload_json ?? "{}").text, "Olá Pessoa 1, código P1");
      const msgs = await messagesOf(store, s.campaignId);
      for (const m of msgs) {
        assert.equal(m.state, "sent");
        assert.equal(m.sent_at, iso(T0));
        assert.equal(m.sending_at, iso(T0));
        assert.equal(m.attempts, 1);
        // The outbox row names its message; the message needs no provider id.
        assert.equal(m.provider_id, null);
        assert.equal(m.lease_owner, null);
      }
      assert.deepEqual(
        out.map((o) => Number(o.message_id)).sort((a, b) => a - b),
        msgs.map((m) => Number(m.id)).sort((a, b) => a - b),
      );
      await r.dispatcher.runOnce();
      const c = await campaignRow(store, s.campaignId);
      assert.equal(c.state, "finished");
      assert.equal(c.ended_at, iso(T0));
      const waves = await store.db.selectFrom("waves").selectAll().execute();
      assert.equal(waves[0]?.state, "done");
      assert.equal(waves[0]?.started_at, iso(T0));
    });

    test("a wave starts at its time, not before; the campaign runs from the first", async () => {
      const store = await fresh();
      const s = await seedCampaign(store, {
        persons: 4,
        waves: [
          { startAt: T0, size: 2 },
          { startAt: T0 + 60_000, size: 2 },
        ],
      });
      const r = rig(store);
      assert.equal(await drain(r), 2);
      assert.equal((await campaignRow(store, s.campaignId)).state, "running");
      let waves = await store.db.selectFrom("waves").selectAll().orderBy("number").execute();
      assert.equal(waves[1]?.state, "scheduled");
      assert.equal(waves[1]?.started_at, null);
      r.clock.now = T0 + 59_999;
      assert.equal(await drain(r), 0);
      r.clock.now = T0 + 60_250;
      assert.equal(await drain(r), 2);
      waves = await store.db.selectFrom("waves").selectAll().orderBy("number").execute();
      assert.equal(waves[1]?.started_at, iso(T0 + 60_250));
      await r.dispatcher.runOnce();
      assert.equal((await campaignRow(store, s.campaignId)).state, "finished");
    });

    test("deadline: nothing is sent after it, retries included; the rest expires", async () => {
      const store = await fresh();
      const s = await seedCampaign(store, {
        persons: 3,
        deadlineAt: T0 + 10 * 60_000,
        provider: "test",
      });
      // Person 0 keeps failing transiently; the others would go.
      const r = rig(store, { behaviour: (to) => (to.endsWith("00") ? "retry" : "sent") });
      await drain(r);
      let msgs = await messagesOf(store, s.campaignId);
      assert.equal(msgs[0]?.state, "pending");
      assert.ok(Date.parse(msgs[0]?.next_attempt_at ?? "") <= T0 + 10 * 60_000);
      // Retries until the deadline, never after it.
      for (let step = 0; step < 20; step++) {
        r.clock.now += 60_000;
        await drain(r);
      }
      msgs = await messagesOf(store, s.campaignId);
      assert.equal(msgs[0]?.state, "expired");
      assert.ok(msgs[0]?.expired_at);
      assert.ok(Date.parse(msgs[0]?.expired_at ?? "") >= T0 + 10 * 60_000);
      const late = r.channel.received.filter((x) => x.at >= T0 + 10 * 60_000);
      assert.deepEqual(late, []);
      const c = await campaignRow(store, s.campaignId);
      assert.equal(c.state, "expired");
      assert.ok(c.ended_at);
    });

    test("deadline passed before the wave starts: everything expires, nothing is sent", async () => {
      const store = await fresh();
      const s = await seedCampaign(store, { persons: 2, deadlineAt: T0 - 1 });
      const r = rig(store);
      await drain(r);
      const msgs = await messagesOf(store, s.campaignId);
      assert.deepEqual(
        msgs.map((m) => m.state),
        ["expired", "expired"],
      );
      assert.equal((await outboxRows(store)).length, 0);
      assert.equal((await campaignRow(store, s.campaignId)).state, "expired");
    });

    test("_x: an inbound contact from the address or the person within N hours skips", async () => {
      const store = await fresh();
      const s = await seedCampaign(store, { persons: 4, excludeRecentHours: 24 });
      const [p0, p1, p2] = s.personIds;
      await store.db
        .insertInto("inbound_interactions")
        .values([
          // Address of person 0, 23 h ago: skipped.
          {
            tenant_id: 1,
            channel: "sms",
            address: "11900000000",
            person_id: null,
            received_at: iso(T0 - 23 * HOUR),
          },
          // Person 1 from another number, 1 h ago: skipped.
          {
            tenant_id: 1,
            channel: "whatsapp",
            address: "11999999999",
            person_id: p1 ?? null,
            received_at: iso(T0 - HOUR),
          },
          // Person 2, 25 h ago: too old, sent.
          {
            tenant_id: 1,
            channel: "sms",
            address: "11900000002",
            person_id: p2 ?? null,
            received_at: iso(T0 - 25 * HOUR),
          },
        ])
        .execute();
      assert.ok(p0);
      const r = rig(store);
      await drain(r);
      const msgs = await messagesOf(store, s.campaignId);
      assert.deepEqual(
        msgs.map((m) => [m.state, m.skip_reason]),
        [
          ["skipped", "CONTATO_RECENTE"],
          ["skipped", "CONTATO_RECENTE"],
          ["sent", null],
          ["sent", null],
        ],
      );
      assert.equal(msgs[0]?.skipped_at, iso(T0));
      assert.equal((await outboxRows(store)).length, 2);
    });

    test("a restriction added after planning is honoured at send time", async () => {
      const store = await fresh();
      const s = await seedCampaign(store, { persons: 3 });
      await store.db
        .insertInto("restrictions")
        .values({
          tenant_id: 1,
          wallet_id: s.walletId,
          channel_kind: "phone",
          value: "11900000001",
          reason: "SAIR",
          created_at: iso(T0 - 1000),
        })
        .execute();
      const r = rig(store);
      await drain(r);
      const msgs = await messagesOf(store, s.campaignId);
      assert.deepEqual(
        msgs.map((m) => [m.state, m.skip_reason]),
        [
          ["sent", null],
          ["skipped", "RESTRITO"],
          ["sent", null],
        ],
      );
      assert.ok(!(await outboxRows(store)).some((o) => o.address === "5511900000001"));
    });

    test("send window: a message due outside it waits for the next opening", async () => {
      const store = await fresh();
      // 2026-12-06 is a Sunday; the window is Monday–Saturday 08:00–20:00 (São Paulo, UTC−3).
      const sunday = Date.parse("2026-12-06T15:00:00.000Z");
      const monday8 = Date.parse("2026-12-07T11:00:00.000Z");
      const s = await seedCampaign(store, {
        persons: 2,
        startAt: sunday,
        sendWindow: { days: [1, 2, 3, 4, 5, 6], from: "08:00", to: "20:00" },
      });
      const r = rig(store);
      r.clock.now = sunday;
      await drain(r);
      let msgs = await messagesOf(store, s.campaignId);
      assert.deepEqual(
        msgs.map((m) => [m.state, m.next_attempt_at]),
        [
          ["pending", iso(monday8)],
          ["pending", iso(monday8)],
        ],
      );
      r.clock.now = monday8 - 1;
      assert.equal(await drain(r), 0);
      r.clock.now = monday8;
      await drain(r);
      msgs = await messagesOf(store, s.campaignId);
      assert.deepEqual(
        msgs.map((m) => [m.state, m.sent_at]),
        [
          ["sent", iso(monday8)],
          ["sent", iso(monday8)],
        ],
      );
    });

    test("send window: the deadline still wins over the next opening", async () => {
      const store = await fresh();
      const sunday = Date.parse("2026-12-06T15:00:00.000Z");
      const s = await seedCampaign(store, {
        persons: 1,
        startAt: sunday,
        deadlineAt: sunday + 2 * HOUR,
        sendWindow: { days: [1, 2, 3, 4, 5, 6], from: "08:00", to: "20:00" },
      });
      const r = rig(store);
      r.clock.now = sunday;
      await drain(r);
      r.clock.now = sunday + 2 * HOUR;
      await drain(r);
      const msgs = await messagesOf(store, s.campaignId);
      assert.equal(msgs[0]?.state, "expired");
      assert.equal((await outboxRows(store)).length, 0);
    });

    test("transient errors back off exponentially with jitter; permanent ones fail at once", async () => {
      const store = await fresh();
      const s = await seedCampaign(store, { persons: 2, provider: "test" });
      const r = rig(store, {
        behaviour: (to) => (to.endsWith("00") ? "retry" : "failed"),
        random: () => 0.9,
      });
      await drain(r);
      let msgs = await messagesOf(store, s.campaignId);
      assert.equal(msgs[0]?.state, "pending");
      assert.equal(msgs[0]?.attempts, 1);
      assert.equal(msgs[0]?.error, "Provedor indisponível.");
      // base 60 s × 2^0 × (0.5 + 0.9)
      assert.equal(msgs[0]?.next_attempt_at, iso(T0 + 84_000));
      assert.equal(msgs[1]?.state, "failed");
      assert.equal(msgs[1]?.error, "Número inexistente.");
      assert.equal(msgs[1]?.failed_at, iso(T0));
      r.clock.now = T0 + 84_000;
      await drain(r);
      msgs = await messagesOf(store, s.campaignId);
      assert.equal(msgs[0]?.attempts, 2);
      assert.equal(msgs[0]?.next_attempt_at, iso(T0 + 84_000 + 168_000));
    });

    test("a message that keeps failing transiently fails for good after maxAttempts", async () => {
      const store = await fresh();
      const s = await seedCampaign(store, { persons: 1, provider: "test" });
      const r = rig(store, { behaviour: () => "retry", maxAttempts: 3, retryBaseMs: 1000 });
      for (let i = 0; i < 6; i++) {
        await drain(r);
        r.clock.now += 60_000;
      }
      const [m] = await messagesOf(store, s.campaignId);
      assert.equal(m?.state, "failed");
      assert.equal(m?.attempts, 3);
      assert.match(m?.error ?? "", /3 tentativas/);
    });

    test("throttled: retried, and the sender's shared bucket is pushed forward", async () => {
      const store = await fresh();
      const s = await seedCampaign(store, { persons: 1, provider: "test" });
      const r = rig(store, { behaviour: () => "throttled", throttlePauseMs: 5000 });
      await drain(r);
      const [m] = await messagesOf(store, s.campaignId);
      assert.equal(m?.state, "pending");
      assert.equal(m?.error, "Limite de envio do provedor atingido.");
      const bucket = await store.db
        .selectFrom("rate_buckets")
        .selectAll()
        .where("key", "=", `sender:${s.senderId}`)
        .executeTakeFirstOrThrow();
      assert.ok(Number(bucket.tat_ms) >= T0 + 5000, `tat ${bucket.tat_ms}`);
      assert.equal(r.dispatcher.stats.throttled, 1);
    });

    test("a rate-limit database error mid-batch records what was sent and requeues the rest", async () => {
      const store = await fresh();
      const s = await seedCampaign(store, { persons: 3, ratePerSecond: 10 });
      // One message per slot at 10/s: the second reservation fails.
      class FailingStore extends KyselyDispatchStore {
        reserves = 0;
        override async reserve(
          tenantId: number,
          key: string,
          spanMs: number,
          nowMs: number,
        ): Promise<number> {
          if (++this.reserves === 2) throw new Error("connection reset");
          return super.reserve(tenantId, key, spanMs, nowMs);
        }
      }
      const r = rig(store, { store: new FailingStore(store) });
      assert.equal(await r.dispatcher.runOnce(), 3);
      const msgs = await messagesOf(store, s.campaignId);
      assert.deepEqual(
        msgs.map((m) => [m.state, m.lease_owner]),
        [
          ["sent", null],
          ["pending", null],
          ["pending", null],
        ],
      );
      assert.equal((await outboxRows(store)).length, 1);
      // The rest goes out on the next cycle, once.
      await drain(r);
      assert.equal((await outboxRows(store)).length, 3);
    });

    test("an answer that cannot be recorded mid-batch: calls in flight are waited for, nothing sent goes back to the queue", async () => {
      const store = await fresh();
      // 10/s: one message per slot, so several channel calls are in flight at once.
      const s = await seedCampaign(store, { persons: 6, ratePerSecond: 10, provider: "test" });
      const broken = s.messageIds[1] as number;
      // The provider took every message; the answer for one of them cannot be
      // read (a provider bug), while the calls after it are still in flight.
      class UnreadableAnswer extends TestChannel {
        override async send(
          batch: Parameters<TestChannel["send"]>[0],
          signal?: AbortSignal,
        ): Promise<SendResult[]> {
          const results = await super.send(batch, signal);
          return batch.map((m, k) =>
            m.id === broken
              ? ({
                  get outcome(): never {
                    throw new Error("resposta ilegível");
                  },
                } as unknown as SendResult)
              : (results[k] as SendResult),
          );
        }
      }
      const r = rig(store, {
        channel: (clock) => new UnreadableAnswer({ clock, latencyMs: 100 }),
      });
      const { clock, dispatcher, channel } = r;
      await dispatcher.runOnce();
      assert.equal(channel.calls, 6, "every message handed over in its own call");
      const byId = new Map((await messagesOf(store, s.campaignId)).map((m) => [m.id, m]));
      for (const r of channel.received) {
        const m = byId.get(r.id);
        // Nothing the provider took is put back as unsent.
        assert.notEqual(m?.state, "pending", `message ${r.id} sent, then requeued`);
        if (r.id === broken) {
          // Its answer is lost: as after a crash, it waits in "sending" for its lease.
          assert.equal(m?.state, "sending");
          assert.equal(m?.lease_owner, "w1");
        } else {
          assert.equal(m?.state, "sent");
        }
      }
      // Later, the lost one is reclaimed after its lease (counted) and the
      // others are never sent again.
      clock.now += 10 * 60_000;
      await drain(r);
      const times = new Map<number, number>();
      for (const x of channel.received) times.set(x.id, (times.get(x.id) ?? 0) + 1);
      for (const id of s.messageIds) {
        assert.equal(times.get(id), id === broken ? 2 : 1, `message ${id}`);
      }
      assert.equal(dispatcher.stats.reclaimed, 1);
      await channel.close();
    });

    test("the store's memos of started campaigns, waves and buckets stay bounded", async () => {
      const store = await fresh();
      const ds = new KyselyDispatchStore(store, 3);
      for (let i = 1; i <= 20; i++) {
        await ds.markStarted(i, [i * 10, i * 10 + 1], iso(T0));
        await ds.reserve(1, `sender:${i}`, 10, T0);
      }
      const memos = ds as unknown as Record<
        "startedCampaigns" | "startedWaves" | "buckets",
        Set<unknown>
      >;
      for (const memo of [memos.startedCampaigns, memos.startedWaves, memos.buckets]) {
        assert.ok(memo.size <= 3, `memo of ${memo.size}`);
      }
      // Forgotten ones still work: the statements are idempotent.
      assert.equal(await ds.reserve(1, "sender:1", 10, T0), T0 + 20);
    });

    test("outcomes dropped because the lease was taken over are logged", async () => {
      const store = await fresh();
      // A channel that sends over a network: its batches are leased.
      const s = await seedCampaign(store, { persons: 2, provider: "test" });
      class StolenStore extends KyselyDispatchStore {
        override async record(
          owner: string,
          outcomes: Parameters<KyselyDispatchStore["record"]>[1],
        ): Promise<number> {
          // Another dispatcher took the first one over meanwhile.
          await store.db
            .updateTable("messages")
            .set({ lease_owner: "w2" })
            .where("id", "=", outcomes[0]?.id ?? 0)
            .execute();
          return super.record(owner, outcomes);
        }
      }
      const warnings: [string, unknown][] = [];
      const r = rig(store, {
        store: new StolenStore(store),
        log: { ...silentLogger, warn: (message, fields) => warnings.push([message, fields]) },
      });
      await r.dispatcher.runOnce();
      assert.equal(r.dispatcher.stats.lostLeases, 1);
      const lost = warnings.find(([message]) => message.includes("lease taken over"));
      assert.ok(lost, JSON.stringify(warnings));
      assert.deepEqual(lost[1], { campaignId: s.campaignId, lost: 1, sent: 2 });
    });

    test("outbox on SQLite: sent and recorded in one transaction, no lease; one sent meanwhile by another dispatcher is left to it", async () => {
      const store = await fresh();
      const s = await seedCampaign(store, { persons: 3 });
      const other = s.messageIds[0] as number;
      const seen: { state: string; owner: string | null }[] = [];
      class RacedStore extends KyselyDispatchStore {
        override async peek(...args: Parameters<KyselyDispatchStore["peek"]>) {
          const read = await super.peek(...args);
          // Another dispatcher sends the first one between this read and the write.
          await store.db
            .updateTable("messages")
            .set({ state: "sent", attempts: 1 })
            .where("id", "=", other)
            .execute();
          return read;
        }
        override async record(
          owner: string | null,
          outcomes: Parameters<KyselyDispatchStore["record"]>[1],
        ): Promise<number> {
          const rows = await messagesOf(store, s.campaignId);
          for (const m of rows) seen.push({ state: m.state, owner: m.lease_owner });
          return super.record(owner, outcomes);
        }
      }
      const warnings: [string, unknown][] = [];
      const r = rig(store, {
        store: new RacedStore(store),
        log: { ...silentLogger, warn: (message, fields) => warnings.push([message, fields]) },
      });
      await r.dispatcher.runOnce();
      const msgs = await messagesOf(store, s.campaignId);
      const outbox = await outboxRows(store);
      if (store.dialect === "sqlite") {
        // Never leased, never in "sending"; each of ours is in the outbox once.
        assert.ok(seen.length > 0 && seen.every((m) => m.owner === null && m.state !== "sending"));
        assert.deepEqual(
          outbox.map((o) => Number(o.message_id)).sort(),
          s.messageIds.filter((id) => id !== other).sort(),
        );
        assert.equal(r.dispatcher.stats.lostLeases, 1);
        assert.equal(r.dispatcher.stats.sent, 2);
        assert.ok(warnings.some(([message]) => message.includes("no longer pending")));
        for (const m of msgs) {
          assert.equal(m.state, "sent");
          assert.equal(m.attempts, 1, "the attempt is counted once");
        }
      } else {
        // PostgreSQL leases every batch (its workers split them by the claim): no peek.
        assert.ok(seen.every((m) => m.owner === null || m.owner === "w1"));
        assert.equal(outbox.length, 3);
      }
    });

    test("outbox: a cancel that lands while a batch is being prepared", async () => {
      const store = await fresh();
      const s = await seedCampaign(store, { persons: 3 });
      const cancelling = async () => {
        await cancelCampaign(store.db, 1, s.campaignId, () => T0, null);
      };
      class CancelledStore extends KyselyDispatchStore {
        override async restricted(...args: Parameters<KyselyDispatchStore["restricted"]>) {
          // The operator cancels after the batch was read, before it is sent.
          await cancelling();
          return super.restricted(...args);
        }
      }
      const r = rig(store, { store: new CancelledStore(store) });
      await r.dispatcher.runOnce();
      const msgs = await messagesOf(store, s.campaignId);
      const outbox = await outboxRows(store);
      if (store.dialect === "sqlite") {
        // Unleased: the messages were still pending, so the cancel skipped them and none went out.
        assert.equal(outbox.length, 0);
        assert.deepEqual(
          msgs.map((m) => m.state),
          ["skipped", "skipped", "skipped"],
        );
        assert.equal(r.dispatcher.stats.sent, 0);
      } else {
        // Leased: a claimed batch is in flight; the cancel leaves it, and it is sent once.
        assert.equal(outbox.length, 3);
        assert.deepEqual(
          msgs.map((m) => m.state),
          ["sent", "sent", "sent"],
        );
      }
    });

    test("outbox on SQLite: a failed write sends nothing and leaves the messages pending for a retry", async () => {
      const store = await fresh();
      if (store.dialect !== "sqlite") return;
      const s = await seedCampaign(store, { persons: 2 });
      await sql`create temp trigger outbox_full before insert on outbox
                begin select raise(abort, 'disco cheio'); end`.execute(store.db);
      try {
        const r = rig(store);
        await r.dispatcher.runOnce();
      } finally {
        await sql`drop trigger temp.outbox_full`.execute(store.db);
      }
      const msgs = await messagesOf(store, s.campaignId);
      assert.equal((await outboxRows(store)).length, 0);
      for (const m of msgs) {
        // The transaction rolled back: the message is pending again, its attempt counted once.
        assert.equal(m.state, "pending");
        assert.equal(m.attempts, 1);
        assert.equal(m.lease_owner, null);
        assert.match(m.error ?? "", /Falha temporária no envio: .*disco cheio/);
        assert.equal(m.next_attempt_at, iso(T0 + 60_000));
      }
    });

    test("a lookup error before sending puts the batch back to the queue at once", async () => {
      const store = await fresh();
      const s = await seedCampaign(store, { persons: 2 });
      class FailingStore extends KyselyDispatchStore {
        // The send-time restriction check (the persons' values come with the claim).
        override async restricted(): Promise<never> {
          throw new Error("connection reset");
        }
      }
      const r = rig(store, { store: new FailingStore(store) });
      await r.dispatcher.runOnce();
      const msgs = await messagesOf(store, s.campaignId);
      assert.deepEqual(
        msgs.map((m) => [m.state, m.lease_owner, m.next_attempt_at]),
        [
          ["pending", null, iso(T0 + 60_000)],
          ["pending", null, iso(T0 + 60_000)],
        ],
      );
      assert.equal((await outboxRows(store)).length, 0);
    });

    test("a channel call that never answers is aborted and retried", async () => {
      const store = await fresh();
      const s = await seedCampaign(store, { persons: 2, provider: "test" });
      const r = rig(store, { behaviour: () => "hang", sendTimeoutMs: 20 });
      await r.dispatcher.runOnce();
      const msgs = await messagesOf(store, s.campaignId);
      assert.deepEqual(
        msgs.map((m) => m.state),
        ["pending", "pending"],
      );
      assert.match(msgs[0]?.error ?? "", /tempo esgotado/);
    });

    test("a channel call is cut short before the lease ends, whatever the send timeout", {
      timeout: 10_000,
    }, async () => {
      const store = await fresh();
      const s = await seedCampaign(store, { persons: 2, provider: "test" });
      // A 40 ms lease and a one-minute send timeout: the call must end while
      // the lease is still held (else another worker re-sends the batch).
      const r = rig(store, { behaviour: () => "hang", sendTimeoutMs: 60_000, leaseMs: 40 });
      await r.dispatcher.runOnce();
      const msgs = await messagesOf(store, s.campaignId);
      assert.deepEqual(
        msgs.map((m) => m.state),
        ["pending", "pending"],
      );
      assert.match(msgs[0]?.error ?? "", /tempo esgotado/);
    });

    test("lease: a batch left in sending is reclaimed after its lease, and counted", async () => {
      const store = await fresh();
      const s = await seedCampaign(store, { persons: 3 });
      const dstore = new KyselyDispatchStore(store);
      // A dispatcher claims and dies.
      const taken = await dstore.claim(s.campaignId, "dead", iso(T0), iso(T0 + 60_000), 10);
      assert.equal(taken.length, 3);
      const r = rig(store, { leaseMs: 60_000 });
      r.clock.now = T0 + 59_000;
      assert.equal(await drain(r), 0);
      r.clock.now = T0 + 60_001;
      assert.equal(await drain(r), 3);
      assert.equal(r.dispatcher.stats.reclaimed, 3);
      const msgs = await messagesOf(store, s.campaignId);
      for (const m of msgs) {
        assert.equal(m.state, "sent");
        assert.equal(m.attempts, 2);
      }
      // The dead one's late results are not applied over the new owner's.
      const applied = await dstore.record("dead", [
        { id: taken[0]?.id ?? 0, at: T0, state: "failed", error: "x" },
      ]);
      assert.equal(applied, 0);
    });

    test("paused and cancelled campaigns are not claimed", async () => {
      const store = await fresh();
      const a = await seedCampaign(store, { persons: 1, state: "paused" });
      const b = await seedCampaign(store, { persons: 1, personOffset: 10, state: "cancelled" });
      const r = rig(store);
      assert.equal(await drain(r), 0);
      assert.equal((await messagesOf(store, a.campaignId))[0]?.state, "pending");
      assert.equal((await messagesOf(store, b.campaignId))[0]?.state, "pending");
      assert.equal((await outboxRows(store)).length, 0);
    });

    test("WhatsApp template parameters and e-mail subject come from the campaign", async () => {
      const store = await fresh();
      const w = await seedCampaign(store, {
        channel: "whatsapp",
        persons: 1,
        template: {
          name: "cobranca",
          params: ["NOME_CLIENTE", "CORINGA1", "NAO_EXISTE"],
          body: null,
        },
        body: () => null,
      });
      const e = await seedCampaign(store, {
        channel: "email",
        persons: 1,
        personOffset: 5,
        subject: "Sua fatura",
        body: () => "Oi [NOME_CLIENTE] [TAG]",
      });
      await store.db
        .insertInto("person_tags")
        .values({ tenant_id: 1, person_id: e.personIds[0] ?? 0, tag: "VIP", created_at: iso(T0) })
        .execute();
      const r = rig(store);
      await drain(r);
      const out = await outboxRows(store);
      const wa = out.find((o) => o.channel === "whatsapp");
      const em = out.find((o) => o.channel === "email");
      assert.deepEqual(JSON.parse(wa?.payload_json ?? "{}").template, {
        name: "cobranca",
        language: "pt_BR",
        params: ["Pessoa 0", "c1-0", ""],
      });
      assert.equal(wa?.address, "5511900000000");
      const payload = JSON.parse(em?.payload_json ?? "{}");
      assert.equal(em?.address, "p5@ex.com");
      assert.equal(payload.subject, "Sua fatura");
      assert.equal(payload.text, "Oi Pessoa 5 VIP");
      assert.equal((await messagesOf(store, w.campaignId))[0]?.state, "sent");
    });

    test("a sender whose provider has no channel here keeps its messages pending", async () => {
      const store = await fresh();
      const s = await seedCampaign(store, { persons: 1, provider: "kannel" });
      const r = rig(store);
      await drain(r);
      const [m] = await messagesOf(store, s.campaignId);
      assert.equal(m?.state, "pending");
      assert.match(m?.error ?? "", /Provedor "kannel" não disponível/);
    });

    test("the shared rate limit paces sends: never more than the cap in a second", async () => {
      const store = await fresh();
      const s = await seedCampaign(store, { persons: 200, ratePerSecond: 50, provider: "test" });
      const r = rig(store);
      for (let i = 0; i < 20; i++) await drain(r);
      const msgs = await messagesOf(store, s.campaignId);
      assert.ok(msgs.every((m) => m.state === "sent"));
      const times = r.channel.received.map((x) => x.at).sort((a, b) => a - b);
      let worst = 0;
      for (let i = 0; i < times.length; i++) {
        let j = i;
        while (j < times.length && (times[j] as number) < (times[i] as number) + 1000) j++;
        worst = Math.max(worst, j - i);
      }
      assert.ok(worst <= 50, `max ${worst} in one second`);
      assert.ok(worst >= 45, `max ${worst} in one second: pacing too slow`);
    });
  });
}
