/**
 * Opening a PostgreSQL store must not depend on the other schemas of the
 * server: tests drop theirs all the time, and several installations may share
 * one. CI once failed a test store's migration with "column ... of relation
 * ... does not exist", raised by another schema's table dropped meanwhile.
 * The race is narrow, so this test makes it often: three sessions create and
 * drop wide tables in another schema while the store checks its migrations
 * many times. Before the fix about one check in fifty failed (after retries).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import pg from "pg";
import { pendingMigrations } from "../../src/store/migrations.js";
import { needsFull, POSTGRES_URL } from "../helpers/env.js";
import { openPgTestStore } from "./harness.js";

test("the migration check is not disturbed by tables of other schemas coming and going", {
  skip: needsFull("PostgreSQL em 127.0.0.1:5432"),
}, async () => {
  const t = await openPgTestStore();
  const other = `o_${process.pid}_${Date.now()}`;
  const columns = Array.from({ length: 40 }, (_, i) => `c${i} serial`).join(", ");
  const churners: pg.Client[] = [];
  let stop = false;
  try {
    for (let k = 0; k < 3; k++) {
      const c = new pg.Client({ connectionString: POSTGRES_URL });
      await c.connect();
      churners.push(c);
    }
    await churners[0]!.query(`create schema ${other}`);
    const churn = Promise.all(
      churners.map(async (c, k) => {
        while (!stop) {
          await c.query(`create table ${other}.t${k} (${columns})`);
          await c.query(`drop table ${other}.t${k}`);
        }
      }),
    );
    const failures: string[] = [];
    try {
      for (let i = 0; i < 100; i++) {
        await pendingMigrations(t.store.db, "postgres", t.store.pgSchema ?? undefined).then(
          (pending) => assert.deepEqual(pending, []),
          (error: unknown) => failures.push(String(error)),
        );
      }
    } finally {
      stop = true;
      await churn;
    }
    assert.deepEqual(failures, []);
  } finally {
    await churners[0]?.query(`drop schema if exists ${other} cascade`);
    for (const c of churners) await c.end();
    await t.dispose();
  }
});
