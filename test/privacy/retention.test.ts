/** The retention job with an injected clock: what goes when, dry runs, settings, idempotence. */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { runRetention } from "../../src/privacy/retention.js";
import { cliJson } from "../cli/run-cli.js";
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
        });
        assert.deepEqual(
          await cliJson(ts.url, ["retention", "set", "--originals", "10", "--json"]),
          { originalsDays: 10, messagesDays: 180, discardedDays: 30 },
        );
        const { runCli } = await import("../cli/run-cli.js");
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
  });
}
