import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { seedCampaign } from "../campaigns/fixtures.js";
import { DATABASES } from "../store/harness.js";
import { errorBody, openFixture } from "./helpers.js";

for (const database of DATABASES) {
  describe(`GET /campaigns/{id}/timeline on ${database.name}`, { skip: database.skip }, () => {
    test("counts each status change in its minute; another tenant's key gets 404", async () => {
      const f = await openFixture(database.open);
      try {
        const { db } = f.store;
        const seeded = await seedCampaign(db, {
          waves: [{ states: ["read", "delivered", "sent", "failed", "skipped", "pending"] }],
        });
        const [read, delivered, sent, failed, skipped] = seeded.messageIds as number[];
        const at = (id: number | undefined, values: Record<string, string>) =>
          db.updateTable("messages").set(values).where("id", "=", id!).execute();
        await at(read, {
          sent_at: "2026-12-07T10:00:05.000Z",
          delivered_at: "2026-12-07T10:00:30.000Z",
          read_at: "2026-12-07T10:02:00.000Z",
        });
        await at(delivered, {
          sent_at: "2026-12-07T10:00:59.999Z",
          delivered_at: "2026-12-07T10:01:10.000Z",
        });
        await at(sent, { sent_at: "2026-12-07T10:01:00.000Z" });
        await at(failed, { failed_at: "2026-12-07T10:01:30.000Z" });
        await at(skipped, { skipped_at: "2026-12-07T10:00:01.000Z" });

        const res = await f.call({
          method: "GET",
          url: `/campaigns/${seeded.campaignId}/timeline`,
          key: f.keys.read,
        });
        assert.equal(res.statusCode, 200, res.body);
        const zero = { sent: 0, delivered: 0, read: 0, failed: 0, skipped: 0, expired: 0 };
        assert.deepEqual(res.json(), {
          unit: "minute",
          buckets: [
            { at: "2026-12-07T10:00:00.000Z", ...zero, sent: 2, delivered: 1, skipped: 1 },
            { at: "2026-12-07T10:01:00.000Z", ...zero, sent: 1, delivered: 1, failed: 1 },
            { at: "2026-12-07T10:02:00.000Z", ...zero, read: 1 },
          ],
        });

        const other = await f.call({
          method: "GET",
          url: `/campaigns/${seeded.campaignId}/timeline`,
          key: f.keys.other,
        });
        assert.equal(other.statusCode, 404);
        assert.equal(errorBody(other).code, "NAO_ENCONTRADO");
      } finally {
        await f.close();
      }
    });

    test("a campaign longer than six hours is counted by hour", async () => {
      const f = await openFixture(database.open);
      try {
        const { db } = f.store;
        const seeded = await seedCampaign(db, { waves: [{ states: ["sent", "sent"] }] });
        const [a, b] = seeded.messageIds as number[];
        await db
          .updateTable("messages")
          .set({ sent_at: "2026-12-07T08:10:00.000Z" })
          .where("id", "=", a!)
          .execute();
        await db
          .updateTable("messages")
          .set({ sent_at: "2026-12-07T15:59:00.000Z" })
          .where("id", "=", b!)
          .execute();
        const res = await f.call({
          method: "GET",
          url: `/campaigns/${seeded.campaignId}/timeline`,
          key: f.keys.read,
        });
        const body = res.json() as { unit: string; buckets: { at: string; sent: number }[] };
        assert.equal(body.unit, "hour");
        assert.deepEqual(
          body.buckets.map((x) => [x.at, x.sent]),
          [
            ["2026-12-07T08:00:00.000Z", 1],
            ["2026-12-07T15:00:00.000Z", 1],
          ],
        );
      } finally {
        await f.close();
      }
    });
  });
}
