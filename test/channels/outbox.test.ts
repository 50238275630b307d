/** The Channel contract against the embedded outbox, on both databases. */
import { OutboxChannel } from "../../src/channels/outbox.js";
import { seedCampaign } from "../campaigns/dispatch-fixtures.js";
import { DATABASES } from "../store/harness.js";
import { channelContract } from "./contract.js";

for (const database of DATABASES) {
  channelContract(
    `outbox (${database.name})`,
    async () => {
      const t = await database.open();
      const channel = new OutboxChannel(t.store);
      const { campaignId } = await seedCampaign(t.store, { persons: 0 });
      return {
        // outbox.message_id references messages: each contract message gets its row.
        async prepare(batch) {
          const now = new Date().toISOString();
          for (const m of batch) {
            const person = await t.store.db
              .insertInto("persons")
              .values({
                tenant_id: 1,
                key_kind: "codcliente",
                key: `C${m.id}`,
                created_at: now,
                updated_at: now,
              })
              .returning("id")
              .executeTakeFirstOrThrow();
            await t.store.db
              .insertInto("messages")
              .values({
                id: m.id,
                tenant_id: 1,
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
        },
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
}
