import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  applyDeliveryReceipt,
  type ReceiptStatus,
  stateAfterReceipt,
} from "../../src/campaigns/receipts.js";
import type { MessageState } from "../../src/store/schema.js";
import { DATABASES } from "../store/harness.js";
import { seedCampaign } from "./fixtures.js";

const RANK: Record<string, number> = { sent: 1, delivered: 2, read: 3 };

test("receipts only move a message forward, in any order they arrive", () => {
  const statuses: ReceiptStatus[] = ["delivered", "read", "failed"];
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...statuses), { maxLength: 6 }), (arrivals) => {
      let state: MessageState = "sent";
      for (const status of arrivals) {
        const next = stateAfterReceipt(state, status);
        if (next === null) continue;
        if (state === "failed") assert.fail("a failed message moved");
        if (next !== "failed") assert.ok(RANK[next]! > RANK[state]!, `${state} → ${next}`);
        state = next;
      }
      // Whatever the order, the furthest status seen wins (a failure only before any delivery).
      const seen = new Set(arrivals);
      if (seen.has("read")) assert.ok(state === "read" || state === "failed");
      // Failed only when a failure came before any delivered or read receipt.
      const firstFailed = arrivals.indexOf("failed");
      const firstProgress = arrivals.findIndex((s) => s !== "failed");
      assert.equal(
        state === "failed",
        firstFailed >= 0 && (firstProgress < 0 || firstFailed < firstProgress),
      );
    }),
  );
  for (const final of ["pending", "skipped", "expired", "failed"] as MessageState[]) {
    for (const status of statuses) assert.equal(stateAfterReceipt(final, status), null);
  }
});

for (const database of DATABASES) {
  describe(`delivery receipts on ${database.name}`, { skip: database.skip }, () => {
    test("applied once, duplicates and stale ones change nothing, unknown ids are said", async () => {
      const t = await database.open();
      try {
        const { db } = t.store;
        const seeded = await seedCampaign(db, { waves: [{ states: ["sent", "sent"] }] });
        const [a, b] = seeded.messageIds as [number, number];
        await db
          .updateTable("messages")
          .set({ provider_id: "wamid.A" })
          .where("id", "=", a)
          .execute();
        await db
          .updateTable("messages")
          .set({ provider_id: "wamid.B" })
          .where("id", "=", b)
          .execute();
        const r = (providerId: string, status: ReceiptStatus, at: string, reason?: string) =>
          applyDeliveryReceipt(db, { tenantId: 1, providerId, status, at, reason: reason ?? null });

        // Read before delivered: read, delivered at the read time; the late "delivered" is stale.
        assert.equal(await r("wamid.A", "read", "2026-12-07T10:00:05.000Z"), "applied");
        assert.equal(await r("wamid.A", "delivered", "2026-12-07T10:00:01.000Z"), "stale");
        assert.equal(await r("wamid.A", "read", "2026-12-07T10:00:05.000Z"), "duplicate");
        // Failed, then a contradicting delivered: the failure stands, with its reason.
        assert.equal(
          await r("wamid.B", "failed", "2026-12-07T10:00:02.000Z", "Número inválido"),
          "applied",
        );
        assert.equal(await r("wamid.B", "delivered", "2026-12-07T10:00:03.000Z"), "stale");
        // Another tenant's receipt for the same id finds nothing.
        assert.equal(
          await applyDeliveryReceipt(db, {
            tenantId: 2,
            providerId: "wamid.A",
            status: "delivered",
            at: "2026-12-07T10:00:00.000Z",
          }),
          "unknown",
        );
        assert.equal(await r("wamid.nope", "delivered", "2026-12-07T10:00:00.000Z"), "unknown");

        const rows = await db
          .selectFrom("messages")
          .select(["id", "state", "delivered_at", "read_at", "failed_at", "error"])
          .where("id", "in", [a, b])
          .orderBy("id")
          .execute();
        assert.deepEqual(
          rows.map((m) => [m.state, m.delivered_at, m.read_at, m.failed_at, m.error]),
          [
            ["read", "2026-12-07T10:00:05.000Z", "2026-12-07T10:00:05.000Z", null, null],
            ["failed", null, null, "2026-12-07T10:00:02.000Z", "Número inválido"],
          ],
        );
        const events = await db.selectFrom("delivery_events").select("status").execute();
        assert.equal(events.length, 4);
      } finally {
        await t.dispose();
      }
    });
  });
}
