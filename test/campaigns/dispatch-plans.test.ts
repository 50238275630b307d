/**
 * SQLite query plans of the dispatch store's per-batch and per-second
 * statements: `messages` is reached through an index, never scanned whole,
 * also after an ANALYZE taken while every row was pending (statistics that
 * make `state` look useless). A scan there costs the whole table per batch,
 * so dispatch slows down as the table grows. Plans only: no timings.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Kysely, SqliteDialect, sql } from "kysely";
import { KyselyDispatchStore } from "../../src/campaigns/dispatch-store.js";
import type { Store } from "../../src/store/db.js";
import type { Database } from "../../src/store/schema.js";
import { openSqliteTestStore, type TestStore } from "../store/harness.js";
import { iso, seedCampaign, T0 } from "./dispatch-fixtures.js";

let t: TestStore;
before(async () => {
  t = await openSqliteTestStore();
});
after(async () => {
  await t.dispose();
});

test("SQLite: no statement of the dispatch store scans messages, whatever ANALYZE says", async () => {
  const conn = t.store.sqlite;
  assert.ok(conn);
  const s = await seedCampaign(t.store, {
    persons: 300,
    startAt: T0 - 1000,
    deadlineAt: T0 - 500,
    chunk: 300,
  });
  await sql`update waves set state = 'running'`.execute(t.store.db);
  await sql`analyze`.execute(t.store.db);

  // The same connection, with every compiled statement logged.
  const seen: { sql: string; parameters: readonly unknown[] }[] = [];
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: conn }),
    log: (event) => {
      if (event.level === "query") seen.push(event.query);
    },
  });
  const store = new KyselyDispatchStore({ ...t.store, db } as Store);
  const now = iso(T0);
  await store.dueCampaigns(now);
  await store.nextDueAt(now);
  await store.claim(s.campaignId, "w1", now, iso(T0 + 60_000), 10);
  await store.closeWaves(now);
  await store.expireAtDeadline(now);
  await store.endCompleted(now);

  const scans: string[] = [];
  for (const q of seen) {
    const plan = conn.prepare(`explain query plan ${q.sql}`).all(...q.parameters) as {
      detail: string;
    }[];
    for (const { detail } of plan) {
      if (/^SCAN (m|messages)\b/.test(detail)) scans.push(`${detail} in: ${q.sql}`);
    }
  }
  assert.ok(seen.length >= 6);
  assert.deepEqual(scans, []);
});
