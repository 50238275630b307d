/**
 * kill -9 of a dispatching `serve` (the real command, `--role dispatch`) at
 * random moments while a campaign goes out, then a restart: every message
 * ends sent (none lost), and the outbox holds a message more than once only
 * for re-sends after a kill — at most one in-flight batch per kill, each one a
 * counted re-claim (messages.attempts).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startServe } from "../ingest/serve-harness.js";
import { DATABASES, type TestStore } from "../store/harness.js";
import { messagesOf, seedCampaign } from "./dispatch-fixtures.js";

const MESSAGES = 600;
const BATCH = 25;
const KILLS = 3;

async function until(check: () => Promise<boolean>, what: string, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const database of DATABASES) {
  describe(`serve --role dispatch survives kill -9 (${database.name})`, {
    skip: database.skip,
  }, () => {
    let t: TestStore;
    before(async () => {
      t = await database.open();
    });
    after(async () => {
      await t?.dispose();
    });

    test("no message lost; duplicates bounded by the in-flight batch per kill and counted", async () => {
      // 150 msg/s: the campaign takes seconds, so the kills land mid-send.
      const s = await seedCampaign(t.store, {
        persons: MESSAGES,
        startAt: Date.now() - 1000,
        ratePerSecond: 150,
      });
      const env = {
        DATABASE_URL: t.url,
        REMESSA_DISPATCH_BATCH: String(BATCH),
        REMESSA_DISPATCH_LEASE_SECONDS: "1",
      };
      const outboxCount = async () =>
        Number(
          (
            await t.store.db
              .selectFrom("outbox")
              .select((eb) => eb.fn.countAll().as("n"))
              .executeTakeFirstOrThrow()
          ).n,
        );
      let kills = 0;
      for (let k = 0; k < KILLS; k++) {
        const before = await outboxCount();
        if (before >= MESSAGES) break;
        const serve = await startServe({ env, ftp: false, args: ["--role", "dispatch"] });
        await until(async () => (await outboxCount()) > before, "serve to send");
        await new Promise((r) => setTimeout(r, Math.random() * 500));
        serve.child.kill("SIGKILL");
        await serve.exited;
        kills++;
      }
      const last = await startServe({ env, ftp: false, args: ["--role", "dispatch"] });
      try {
        // The lifecycle closes the campaign once nothing is pending or sending.
        await until(async () => {
          const c = await t.store.db
            .selectFrom("campaigns")
            .select("state")
            .where("id", "=", s.campaignId)
            .executeTakeFirstOrThrow();
          return c.state !== "scheduled" && c.state !== "running";
        }, "the campaign to finish");
      } finally {
        await last.stop();
      }

      const msgs = await messagesOf(t.store, s.campaignId);
      assert.equal(msgs.length, MESSAGES);
      assert.deepEqual(
        msgs.filter((m) => m.state !== "sent").map((m) => [m.id, m.state]),
        [],
        "every message ends sent",
      );
      const rows = await t.store.db.selectFrom("outbox").select("message_id").execute();
      const per = new Map<number, number>();
      for (const r of rows) per.set(Number(r.message_id), (per.get(Number(r.message_id)) ?? 0) + 1);
      for (const m of msgs) {
        const n = per.get(m.id) ?? 0;
        assert.ok(n >= 1, `message ${m.id} never reached the outbox`);
        assert.ok(n <= m.attempts, `message ${m.id}: ${n} sends, ${m.attempts} claims`);
      }
      const duplicates = rows.length - per.size;
      assert.ok(duplicates <= kills * BATCH, `${duplicates} duplicates after ${kills} kills`);
      const campaign = await t.store.db
        .selectFrom("campaigns")
        .select(["state", "ended_at"])
        .where("id", "=", s.campaignId)
        .executeTakeFirstOrThrow();
      assert.equal(campaign.state, "finished");
      assert.ok(campaign.ended_at);
      process.stdout.write(`# serve kills=${kills} duplicates=${duplicates}\n`);
    });
  });
}
