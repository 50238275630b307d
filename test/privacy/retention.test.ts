/** The retention job with an injected clock: what goes when, dry runs, settings, idempotence. */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { sql } from "kysely";
import { getRetention, runRetention, setRetention } from "../../src/privacy/retention.js";
import { appendAudit } from "../../src/store/audit.js";
import { cliJson, runCli } from "../cli/run-cli.js";
import { DATABASES } from "../store/harness.js";
import { buildBase, FILE_NAME, NOW } from "./fixtures.js";

const days = (n: number) => () => new Date(NOW.getTime() + n * 24 * 3600 * 1000);

for (const database of DATABASES) {
  describe(`retention on ${database.name}`, { skip: database.skip }, () => {
    test("originals and reports after 90 days, message texts after 180, counts kept", async () => {
      const ts = await database.open();
      try {
        const built = await buildBase(ts);
        const db = ts.store.db;
        await db
          .updateTable("campaigns")
          .set({ state: "finished", ended_at: NOW.toISOString() })
          .where("id", "=", built.campaignId)
          .execute();
        const mailing = () =>
          db
            .selectFrom("mailings")
            .select(["stored_path", "files_purged_at", "rows", "persons"])
            .where("id", "=", built.mailingId)
            .executeTakeFirstOrThrow();
        const stored = (await mailing()).stored_path as string;
        const lidos = join(built.drop, "LIDOS", FILE_NAME);
        assert.ok(existsSync(stored) && existsSync(lidos));

        const early = await runRetention(ts.store, { now: days(89) });
        assert.deepEqual(early[0]?.originals, { mailings: 0, files: 0 });
        assert.ok(existsSync(stored));

        const dry = await runRetention(ts.store, { now: days(91), dryRun: true });
        // The stored copy, the moved file, its result and rejections reports.
        assert.deepEqual(dry[0]?.originals, { mailings: 1, files: 4 });
        assert.ok(existsSync(stored) && existsSync(lidos), "a dry run removes nothing");

        const due = await runRetention(ts.store, { now: days(91) });
        assert.deepEqual(due[0]?.originals, { mailings: 1, files: 4 });
        assert.deepEqual(due[0]?.messages, { campaigns: 0, messages: 0 });
        assert.equal(existsSync(stored), false);
        assert.equal(existsSync(lidos), false);
        assert.equal(existsSync(`${lidos}.rejeitados.csv`), false);
        const after = await mailing();
        assert.equal(after.stored_path, null);
        assert.equal(after.files_purged_at, days(91)().toISOString());
        assert.equal(after.persons, 3, "the record and its counts stay");

        const texts = await runRetention(ts.store, { now: days(181) });
        assert.deepEqual(texts[0]?.originals, { mailings: 0, files: 0 });
        assert.deepEqual(texts[0]?.messages, { campaigns: 1, messages: 3 });
        const messages = await db
          .selectFrom("messages")
          .select(["address", "body", "state"])
          .where("campaign_id", "=", built.campaignId)
          .execute();
        assert.ok(messages.every((m) => m.address === "" && m.body === null));
        assert.deepEqual(messages.map((m) => m.state).sort(), ["pending", "pending", "sent"]);
        const outbox = await db.selectFrom("outbox").select(["address"]).execute();
        assert.deepEqual(outbox, [{ address: "" }]);
        const left = await db
          .selectFrom("mailing_persons")
          .select("message")
          .where("mailing_id", "=", built.mailingId)
          .where("message", "is not", null)
          .execute();
        assert.deepEqual(left, []);

        const again = await runRetention(ts.store, { now: days(400) });
        assert.deepEqual(again[0]?.messages, { campaigns: 0, messages: 0 });
        assert.deepEqual(again[0]?.originals, { mailings: 0, files: 0 });
        const audit = await db
          .selectFrom("audit_events")
          .select("actor")
          .where("action", "=", "retention.purge")
          .execute();
        assert.equal(audit.length, 2, "each run that removed something is audited");
      } finally {
        await ts.dispose();
      }
    });

    test("a tenant's own retention replaces the defaults; bad values are refused", async () => {
      const ts = await database.open();
      try {
        const built = await buildBase(ts);
        assert.deepEqual(await cliJson(ts.url, ["retention", "show", "--json"]), {
          originalsDays: 90,
          messagesDays: 180,
          discardedDays: 30,
          auditDays: 1825,
        });
        assert.deepEqual(
          await cliJson(ts.url, ["retention", "set", "--originals", "10", "--json"]),
          { originalsDays: 10, messagesDays: 180, discardedDays: 30, auditDays: 1825 },
        );
        const bad = await runCli(ts.url, ["retention", "set", "--messages", "0"]);
        assert.equal(bad.code, 1);
        assert.match(bad.stderr, /entre 1 e 36500/);
        const due = await runRetention(ts.store, { now: days(11) });
        assert.equal(due[0]?.originals.mailings, 1);
        assert.equal(existsSync(join(built.drop, "LIDOS", FILE_NAME)), false);
      } finally {
        await ts.dispose();
      }
    });

    test("a retention change is one transaction: when the files' part fails, the audit's is not changed either", async () => {
      const ts = await database.open();
      try {
        const db = ts.store.db;
        const before = await getRetention(db, 1);
        // The files' settings cannot be written: their table is away for a moment.
        await sql`alter table retention_settings rename to retention_settings_away`.execute(db);
        try {
          await assert.rejects(setRetention(db, 1, { auditDays: 400, originalsDays: 10 }));
        } finally {
          await sql`alter table retention_settings_away rename to retention_settings`.execute(db);
        }
        assert.deepEqual(await getRetention(db, 1), before);
        assert.equal(before.auditDays, 1825);
        // And a change that can be written changes both.
        const after = await setRetention(db, 1, { auditDays: 400, originalsDays: 10 });
        assert.deepEqual(await getRetention(db, 1), after);
        assert.equal(after.auditDays, 400);
        assert.equal(after.originalsDays, 10);
      } finally {
        await ts.dispose();
      }
    });

    test("audit events past their retention by both clocks go, in the job; recent ones stay and stay append-only", async () => {
      const ts = await database.open();
      try {
        const db = ts.store.db;
        // The database's clock is the real one; the events are placed around its cutoff.
        const real = Date.now();
        const ago = (n: number) => new Date(real - n * 24 * 3600 * 1000).toISOString();
        assert.deepEqual(await cliJson(ts.url, ["retention", "set", "--audit", "365", "--json"]), {
          originalsDays: 90,
          messagesDays: 180,
          discardedDays: 30,
          auditDays: 365,
        });
        const short = await runCli(ts.url, ["retention", "set", "--audit", "364"]);
        assert.equal(short.code, 1);
        assert.match(short.stderr, /de 365 \(1 ano\) a 36500/);
        const before = await db.selectFrom("audit_events").select("id").execute();
        for (const [subject, at] of [
          ["old", ago(400)],
          ["older", ago(3000)],
          ["due-by-job-only", ago(300)],
          ["recent", ago(1)],
        ] as const) {
          await appendAudit(db, { tenantId: 1, actor: "cli:teste", action: "teste", subject, at });
        }
        const subjects = async () =>
          (
            await db
              .selectFrom("audit_events")
              .select("subject")
              .where("action", "=", "teste")
              .orderBy("id")
              .execute()
          ).map((r) => r.subject);
        assert.deepEqual(await subjects(), ["old", "older", "due-by-job-only", "recent"]);

        // The job's clock runs 100 days ahead of the database's: by it, the event of 300 days
        // ago is past 365 days too, but the trigger (database clock) would refuse it.
        const ahead = () => new Date(real + 100 * 24 * 3600 * 1000);
        const dry = await runRetention(ts.store, { now: ahead, dryRun: true, tenantId: 1 });
        assert.deepEqual(dry[0]?.audit, { events: 2 });
        assert.equal((await subjects()).length, 4, "a dry run removes nothing");
        const due = await runRetention(ts.store, { now: ahead, tenantId: 1 });
        assert.deepEqual(due[0]?.audit, { events: 2 });
        assert.deepEqual(due[0]?.retention.auditDays, 365);
        assert.deepEqual(await subjects(), ["due-by-job-only", "recent"]);
        const kept = await db.selectFrom("audit_events").select("id").execute();
        assert.equal(
          kept.length,
          before.length + 2 + 1,
          "the others stay, and the purge is audited",
        );
        const purge = await db
          .selectFrom("audit_events")
          .select("details_json")
          .where("action", "=", "retention.purge")
          .executeTakeFirstOrThrow();
        assert.deepEqual(JSON.parse(purge.details_json ?? "{}").audit, { events: 2 });

        // A job clock behind the database's deletes only what it sees as due.
        const again = await runRetention(ts.store, { now: () => new Date(real), tenantId: 1 });
        assert.deepEqual(again[0]?.audit, { events: 0 });

        // Still append-only within retention.
        await assert.rejects(
          sql`UPDATE audit_events SET actor = 'outro' WHERE subject = 'recent'`.execute(db),
          /append-only/,
        );
        await assert.rejects(
          sql`DELETE FROM audit_events WHERE subject = 'recent'`.execute(db),
          /append-only/,
        );
        await assert.rejects(
          sql`DELETE FROM audit_events WHERE subject = 'due-by-job-only'`.execute(db),
          /append-only/,
        );
        assert.deepEqual(await subjects(), ["due-by-job-only", "recent"]);
      } finally {
        await ts.dispose();
      }
    });
  });
}
