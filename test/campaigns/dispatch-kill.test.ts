/**
 * kill -9 of a dispatching process at random moments, then a restart: no
 * message is lost (every one ends sent), and the duplicates — messages the
 * outbox holds more than once — are bounded by the in-flight batch of each
 * kill and counted (each re-send is a claim after an expired lease, so it
 * shows in `attempts`).
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { DATABASES, type TestStore } from "../store/harness.js";
import { messagesOf, seedCampaign } from "./dispatch-fixtures.js";

const ROOT = resolve(import.meta.dirname, "../..");
const CHILD = join(ROOT, "test/campaigns/dispatch-child.ts");
const MESSAGES = 400;
const BATCH = 20;
const LEASE_MS = 800;
const KILLS = 6;

function spawnChild(t: TestStore): { child: ChildProcess; lines: string[]; exited: Promise<void> } {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", CHILD, String(LEASE_MS), String(BATCH)],
    {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: t.url, REMESSA_DATA_DIR: t.dataDir },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const lines: string[] = [];
  let buffer = "";
  child.stdout?.on("data", (d: Buffer) => {
    buffer += d.toString();
    const parts = buffer.split("\n");
    buffer = parts.pop() ?? "";
    lines.push(...parts);
  });
  const exited = new Promise<void>((ok) => child.once("exit", () => ok()));
  return { child, lines, exited };
}

async function until(check: () => boolean, what: string, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

for (const database of DATABASES) {
  describe(`dispatch survives kill -9 (${database.name})`, { skip: database.skip }, () => {
    let t: TestStore;
    before(async () => {
      t = await database.open();
    });
    after(async () => {
      await t?.dispose();
    });

    test("no message lost, duplicates bounded by the in-flight batch and counted", async () => {
      const s = await seedCampaign(t.store, {
        persons: MESSAGES,
        startAt: Date.now() - 1000,
      });
      let kills = 0;
      for (let k = 0; k < KILLS; k++) {
        const run = spawnChild(t);
        // Kill it at a random moment once it is sending.
        await until(
          () => run.lines.some((l) => l.startsWith("{")) || run.lines.includes("done"),
          "child to send",
        );
        if (run.lines.includes("done")) break;
        await new Promise((r) => setTimeout(r, Math.random() * 300));
        run.child.kill("SIGKILL");
        await run.exited;
        kills++;
      }
      const last = spawnChild(t);
      await until(() => last.lines.includes("done"), "the last child to finish");
      await last.exited;

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
        // Each send is a claim: a message in the outbox n times was claimed at least n times.
        assert.ok(n <= m.attempts, `message ${m.id}: ${n} sends, ${m.attempts} claims`);
      }
      const duplicates = rows.length - per.size;
      const reclaims = msgs.reduce((sum, m) => sum + m.attempts - 1, 0);
      assert.ok(duplicates <= kills * BATCH, `${duplicates} duplicates after ${kills} kills`);
      assert.ok(duplicates <= reclaims, `${duplicates} duplicates, ${reclaims} counted re-claims`);
      const stats = JSON.parse(last.lines.filter((l) => l.startsWith("{")).pop() ?? "{}");
      process.stdout.write(
        `# kills=${kills} duplicates=${duplicates} reclaims=${reclaims} lastChildReclaimed=${stats.reclaimed}\n`,
      );
    });
  });
}
