/**
 * WhatsApp messaging tier (unique recipients per rolling 24 h) and the
 * prospect pool rotation, with an injected clock, on both databases: the
 * dispatcher keeps a number inside its tier and the excess waits for the
 * window to roll; the forecast counts it; a prospect campaign takes the
 * pool's number with the most room.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { campaignPlanner } from "../../src/campaigns/create.js";
import { Dispatcher } from "../../src/campaigns/dispatch.js";
import { KyselyDispatchStore } from "../../src/campaigns/dispatch-store.js";
import { forecast } from "../../src/campaigns/forecast.js";
import { ChannelRegistry } from "../../src/channels/index.js";
import { silentLogger } from "../../src/log.js";
import { importMailing } from "../../src/store/import.js";
import { createWallet } from "../../src/store/wallets.js";
import { TestChannel } from "../channels/test-channel.js";
import { mailingName, person, request } from "../store/fixtures.js";
import { DATABASES } from "../store/harness.js";
import { iso, messagesOf, seedCampaign, T0 } from "./dispatch-fixtures.js";
import { addSender, addTemplate } from "./plan-fixtures.js";

const HOUR = 3_600_000;

test("forecast: a tier spreads the audience over days, and says so", () => {
  const base = { rate: 10, window: null, timeZone: "America/Sao_Paulo" };
  const plain = forecast({ ...base, waves: [{ startMs: T0, size: 600 }], deadlineMs: null });
  assert.ok(plain.endMs < T0 + 61_000);
  assert.equal(plain.why.tierDelayed, undefined);
  // 250 per day, 100 already used today: 150 today, 250 tomorrow, 200 the day after.
  const tiered = forecast({
    ...base,
    waves: [{ startMs: T0, size: 600 }],
    deadlineMs: T0 + 30 * HOUR,
    tier: { limit: 250, used: 100 },
  });
  assert.equal(tiered.why.tierDelayed, true);
  assert.ok(tiered.endMs >= T0 + 48 * HOUR && tiered.endMs < T0 + 49 * HOUR, iso(tiered.endMs));
  // Only the first two days' 400 make a deadline 30 h away.
  assert.equal(tiered.late, 200);
  const roomy = forecast({
    ...base,
    waves: [{ startMs: T0, size: 600 }],
    deadlineMs: null,
    tier: { limit: 1000, used: 0 },
  });
  assert.equal(roomy.why.tierDelayed, false);
  assert.equal(roomy.endMs, plain.endMs);
});

for (const database of DATABASES) {
  describe(`messaging tier on ${database.name}`, { skip: database.skip }, () => {
    test("the dispatcher keeps a number inside its tier; the excess goes when the window rolls", async () => {
      const t = await database.open();
      try {
        const clock = { now: T0 };
        const channel = new TestChannel({ clock: () => clock.now });
        const registry = new ChannelRegistry(t.store, () => clock.now, [channel]);
        const seeded = await seedCampaign(t.store, {
          channel: "whatsapp",
          persons: 5,
          provider: "test",
          template: { name: "cobranca", params: ["NOME_CLIENTE"], body: null },
        });
        await t.store.db
          .updateTable("senders")
          .set({ messaging_tier: 3 })
          .where("id", "=", seeded.senderId)
          .execute();
        const dispatcher = new Dispatcher({
          store: new KyselyDispatchStore(t.store),
          owner: "w1",
          channelFor: registry.channelFor,
          clock: () => clock.now,
          sleep: async (ms) => {
            clock.now += ms;
          },
          random: () => 0.5,
          log: silentLogger,
          settleEveryMs: 0,
          planTtlMs: 0,
        });
        const run = async () => {
          for (let i = 0; i < 10; i++) if ((await dispatcher.runOnce()) === 0) break;
        };
        await run();
        let rows = await messagesOf(t.store, seeded.campaignId);
        assert.deepEqual(
          rows.map((r) => r.state),
          ["sent", "sent", "sent", "pending", "pending"],
        );
        assert.equal(channel.received.length, 3);
        const sentAt = Date.parse(rows[0]!.sent_at!);
        for (const r of rows.slice(3)) {
          assert.equal(r.next_attempt_at, iso(sentAt + 24 * HOUR));
          assert.match(r.error ?? "", /limite do seu nível \(3 pessoas em 24 horas\)/);
        }
        assert.equal(dispatcher.stats.tierDeferred, 2);

        // Someone already written to in the window is free, even with the tier full.
        const store = new KyselyDispatchStore(t.store);
        const again = await store.reserveRecipients(
          1,
          `sender:${seeded.senderId}`,
          3,
          [rows[0]!.address, "11999999999"],
          iso(clock.now),
        );
        assert.deepEqual([...again.allowed], [rows[0]!.address]);

        clock.now = sentAt + 23 * HOUR;
        await run();
        assert.equal(channel.received.length, 3, "nothing before the window rolls");
        clock.now = sentAt + 24 * HOUR + 1000;
        await run();
        rows = await messagesOf(t.store, seeded.campaignId);
        assert.deepEqual(
          rows.map((r) => r.state),
          ["sent", "sent", "sent", "sent", "sent"],
        );
        assert.equal(channel.received.length, 5);
        await registry.close();
      } finally {
        await t.dispose();
      }
    });

    test("a prospect campaign takes the pool's number with the most room in its tier, and the forecast counts the tier", async () => {
      const t = await database.open();
      try {
        const wallet = (await createWallet(t.store.db, 1, { code: "BRAD" })).id;
        const full = await addSender(t.store.db, {
          kind: "whatsapp",
          mode: "prospect",
          number: "5511900000001",
        });
        const roomy = await addSender(t.store.db, {
          kind: "whatsapp",
          mode: "prospect",
          number: "5511900000002",
        });
        await t.store.db
          .updateTable("senders")
          .set({ messaging_tier: 250 })
          .where("id", "in", [full, roomy])
          .execute();
        await addTemplate(t.store.db, { name: "prospect" });
        const now = Date.parse("2026-11-26T12:00:00.000Z");
        // The first number wrote to 200 people an hour ago; the second to 10.
        const used = (sender: number, n: number) =>
          t.store.db
            .insertInto("sender_recipients")
            .values(
              Array.from({ length: n }, (_, i) => ({
                sender_id: sender,
                tenant_id: 1,
                address: `1190000${String(i).padStart(4, "0")}`,
                last_at: iso(now - HOUR),
              })),
            )
            .execute();
        await used(full, 200);
        await used(roomy, 10);
        const list = Array.from({ length: 300 }, (_, i) => person(String(i + 1)));
        const result = await importMailing(
          t.store,
          request([{ persons: list, rejected: [] }], {
            mailing: mailingName({
              whatsapp: { mode: "prospect", number: null, template: "prospect" },
            }),
            afterImport: campaignPlanner({ clock: () => now, env: {} }),
          }),
        );
        assert.ok(result.ok, JSON.stringify(result.errors));
        const [campaign] = await t.store.db
          .selectFrom("campaigns")
          .selectAll()
          .where("mailing_id", "=", result.mailingId!)
          .execute();
        assert.equal(Number(campaign?.sender_id), roomy);
        assert.equal(Number(campaign?.wallet_id), wallet);
        // 240 places left today: the last 60 go a day later.
        const end = Date.parse(campaign!.forecast_end!);
        assert.ok(end >= now + 24 * HOUR, campaign!.forecast_end!);
      } finally {
        await t.dispose();
      }
    });
  });
}
