/** Pause, resume and cancel: state rules, no re-send, pt-BR refusals, on both databases. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { cancelCampaign, pauseCampaign, resumeCampaign } from "../../src/campaigns/control.js";
import type { Store } from "../../src/store/db.js";
import { createTenant, ValidationError } from "../../src/store/tenants.js";
import { DATABASES } from "../store/harness.js";
import { seedCampaign } from "./fixtures.js";

const clock = () => Date.parse("2026-12-07T15:00:00.000Z");
const NOW = "2026-12-07T15:00:00.000Z";

async function refused(promise: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ValidationError, String(error));
    assert.match(error.message, message);
    return true;
  });
}

async function state(store: Store, id: number) {
  return store.db
    .selectFrom("campaigns")
    .select(["state", "ended_at", "updated_at"])
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
}

async function messages(store: Store, id: number) {
  return store.db
    .selectFrom("messages")
    .select(["state", "skip_reason", "skipped_at"])
    .where("campaign_id", "=", id)
    .orderBy("id")
    .execute();
}

for (const database of DATABASES) {
  describe(`campaign control on ${database.name}`, { skip: database.skip }, () => {
    test("pause and resume a campaign that has not started: back to scheduled", async () => {
      const t = await database.open();
      try {
        const { db } = t.store;
        const { campaignId } = await seedCampaign(db);
        assert.deepEqual(await pauseCampaign(db, 1, campaignId, clock), {
          id: campaignId,
          from: "scheduled",
          to: "paused",
        });
        assert.equal((await state(t.store, campaignId)).state, "paused");
        assert.equal((await state(t.store, campaignId)).updated_at, NOW);
        await refused(pauseCampaign(db, 1, campaignId, clock), /já está pausada.*campaigns resume/);
        const resumed = await resumeCampaign(db, 1, campaignId, clock);
        assert.equal(resumed.to, "scheduled");
        await refused(
          resumeCampaign(db, 1, campaignId, clock),
          /não está pausada \(está agendada\)/,
        );
        // Messages untouched: nothing re-sent, nothing skipped.
        assert.deepEqual(
          (await messages(t.store, campaignId)).map((m) => m.state),
          ["pending", "pending"],
        );
      } finally {
        await t.dispose();
      }
    });

    test("resume a campaign whose first wave started: back to running, messages as they were", async () => {
      const t = await database.open();
      try {
        const { db } = t.store;
        const { campaignId } = await seedCampaign(db, {
          state: "running",
          waves: [{ states: ["sent", "sending"], started: true }, { states: ["pending"] }],
        });
        await pauseCampaign(db, 1, campaignId, clock);
        assert.equal((await resumeCampaign(db, 1, campaignId, clock)).to, "running");
        assert.deepEqual(
          (await messages(t.store, campaignId)).map((m) => m.state),
          ["sent", "sending", "pending"],
        );
      } finally {
        await t.dispose();
      }
    });

    test("resume after a message went out, even with no wave marked started: running", async () => {
      const t = await database.open();
      try {
        const { db } = t.store;
        const { campaignId } = await seedCampaign(db, {
          state: "paused",
          waves: [{ states: ["sent", "pending"] }],
        });
        assert.equal((await resumeCampaign(db, 1, campaignId, clock)).to, "running");
      } finally {
        await t.dispose();
      }
    });

    test("cancel skips pending messages, leaves sending and sent ones, ends the campaign", async () => {
      const t = await database.open();
      try {
        const { db } = t.store;
        const { campaignId, waveIds } = await seedCampaign(db, {
          state: "paused",
          waves: [
            { states: ["sent", "sending", "pending"], started: true },
            { states: ["pending"] },
          ],
        });
        const r = await cancelCampaign(db, 1, campaignId, clock);
        assert.deepEqual(r, {
          id: campaignId,
          from: "paused",
          to: "cancelled",
          skipped: 2,
          inFlight: 1,
        });
        const c = await state(t.store, campaignId);
        assert.equal(c.state, "cancelled");
        assert.equal(c.ended_at, NOW);
        assert.deepEqual(await messages(t.store, campaignId), [
          { state: "sent", skip_reason: null, skipped_at: null },
          { state: "sending", skip_reason: null, skipped_at: null },
          { state: "skipped", skip_reason: "CAMPANHA_CANCELADA", skipped_at: NOW },
          { state: "skipped", skip_reason: "CAMPANHA_CANCELADA", skipped_at: NOW },
        ]);
        const waves = await db
          .selectFrom("waves")
          .select("state")
          .where("id", "in", waveIds)
          .orderBy("number")
          .execute();
        assert.deepEqual(
          waves.map((w) => w.state),
          ["cancelled", "cancelled"],
        );
        await refused(
          cancelCampaign(db, 1, campaignId, clock),
          /já terminou \(cancelada\): não há o que cancelar/,
        );
        await refused(pauseCampaign(db, 1, campaignId, clock), /já terminou \(cancelada\)/);
        await refused(resumeCampaign(db, 1, campaignId, clock), /não pode ser retomada/);
      } finally {
        await t.dispose();
      }
    });

    test("ended campaigns refuse every change; unknown and other tenants' campaigns are not found", async () => {
      const t = await database.open();
      try {
        const { db } = t.store;
        for (const [s, word] of [
          ["finished", "concluída"],
          ["expired", "expirada"],
        ] as const) {
          const { campaignId } = await seedCampaign(db, {
            state: s,
            waves: [{ states: ["sent"] }],
          });
          await refused(
            pauseCampaign(db, 1, campaignId, clock),
            new RegExp(`já terminou \\(${word}\\): não há envio para pausar`),
          );
          await refused(cancelCampaign(db, 1, campaignId, clock), /não há o que cancelar/);
          assert.deepEqual(
            (await messages(t.store, campaignId)).map((m) => m.state),
            ["sent"],
          );
        }
        await refused(pauseCampaign(db, 1, 9999, clock), /A campanha 9999 não existe/);
        const other = await createTenant(db, { name: "Loja" });
        const { campaignId } = await seedCampaign(db, { tenantId: other.id });
        await refused(cancelCampaign(db, 1, campaignId, clock), /não existe/);
        assert.equal((await state(t.store, campaignId)).state, "scheduled");
        assert.equal((await cancelCampaign(db, other.id, campaignId, clock)).skipped, 2);
      } finally {
        await t.dispose();
      }
    });
  });
}
