/** The Channel contract against the embedded outbox, on both databases, and its own cases. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { OutgoingMessage } from "../../src/campaigns/channel.js";
import { OutboxChannel } from "../../src/channels/outbox.js";
import type { Store } from "../../src/store/db.js";
import { createTenant } from "../../src/store/tenants.js";
import { seedCampaign } from "../campaigns/dispatch-fixtures.js";
import { DATABASES } from "../store/harness.js";
import { channelContract, message } from "./contract.js";

for (const database of DATABASES) {
  channelContract(
    `outbox (${database.name})`,
    async () => {
      const t = await database.open();
      const channel = new OutboxChannel(t.store);
      const { campaignId } = await seedCampaign(t.store, { persons: 0 });
      return {
        // outbox.message_id references messages: each contract message gets its row.
        prepare: (batch) => messageRows(t.store, campaignId, batch),
        channel,
        async makePending(ids) {
          await t.store.db
            .updateTable("messages")
            .set({ state: "pending" })
            .where("id", "in", [...ids])
            .execute();
        },
        async delivered() {
          const rows = await t.store.db
            .selectFrom("outbox")
            .select(["id", "message_id", "address"])
            .orderBy("id")
            .execute();
          return rows.map((r) => ({
            messageId: Number(r.message_id),
            to: r.address,
            providerId: `outbox:${r.id}`,
          }));
        },
        another: async () => new OutboxChannel(t.store),
        async cleanup() {
          await channel.close();
          await t.dispose();
        },
      };
    },
    // On SQLite the outbox records what it sends (one writer, no lease needed).
    { skip: database.skip, sendAndRecord: database.name === "sqlite" },
  );

  test(`outbox (${database.name}): a batch mixing tenants and channels stores each row with its own`, {
    skip: database.skip,
  }, async () => {
    const t = await database.open();
    const channel = new OutboxChannel(t.store);
    try {
      const { campaignId } = await seedCampaign(t.store, { persons: 0 });
      const other = await createTenant(t.store.db, { name: "Loja" });
      const batch = [
        message("sms", "outbox", { tenantId: 1 }),
        message("email", "outbox", { tenantId: other.id, to: "ana@loja.test" }),
        message("sms", "outbox", { tenantId: other.id }),
        message("sms", "outbox", { tenantId: 1 }),
      ];
      await messageRows(t.store, campaignId, batch);
      const results = await channel.send(batch);
      assert.deepEqual(
        results.map((r) => r.outcome),
        batch.map(() => "sent"),
      );
      const rows = await t.store.db
        .selectFrom("outbox")
        .select(["message_id", "tenant_id", "channel", "address"])
        .execute();
      assert.deepEqual(
        rows
          .map((r) => [Number(r.message_id), Number(r.tenant_id), r.channel, r.address])
          .sort((a, b) => Number(a[0]) - Number(b[0])),
        batch.map((m) => [m.id, m.tenantId, m.channel, m.to]),
      );
    } finally {
      await channel.close();
      await t.dispose();
    }
  });
}

/** outbox.message_id references messages: each message gets its row (and person). */
async function messageRows(
  store: Store,
  campaignId: number,
  batch: readonly OutgoingMessage[],
): Promise<void> {
  const now = new Date().toISOString();
  for (const m of batch) {
    const person = await store.db
      .insertInto("persons")
      .values({
        tenant_id: m.tenantId,
        key_kind: "codcliente",
        key: `C${m.id}`,
        created_at: now,
        updated_at: now,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await store.db
      .insertInto("messages")
      .values({
        id: m.id,
        tenant_id: m.tenantId,
        campaign_id: campaignId,
        person_id: Number(person.id),
        channel_kind: m.channel === "email" ? "email" : "mobile",
        address: m.to,
        body: m.text,
        state: "sending",
        created_at: now,
        updated_at: now,
      } as never)
      .execute();
  }
}
