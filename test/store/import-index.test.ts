import assert from "node:assert/strict";
import { test } from "node:test";
import { importMailing } from "../../src/store/import.js";
import { setPgImportBatchSize, setPgIndexRebuildMinRows } from "../../src/store/import-pg.js";
import { setSqliteIndexRebuildMinRows } from "../../src/store/import-sqlite.js";
import { createWallet } from "../../src/store/wallets.js";
import { needsFull } from "../helpers/env.js";
import { mailingName, okSummary, person, request } from "./fixtures.js";
import { openPgTestStore, openSqliteTestStore } from "./harness.js";

const INDEX = "person_channels_tenant_value";

test("SQLite: the contact-value index dropped for a large import is back after commit and after rollback", async () => {
  const t = await openSqliteTestStore();
  setSqliteIndexRebuildMinRows(1);
  try {
    await createWallet(t.store.db, 1, { code: "BRAD" });
    const conn = t.store.sqlite!;
    const indexSql = () =>
      conn.prepare("SELECT sql FROM sqlite_master WHERE name = ?").pluck().get(INDEX);
    const before = indexSql();
    assert.ok(before);
    const people = Array.from({ length: 30 }, (_, i) => person(String(i + 1)));

    const ok = await importMailing(t.store, request([{ persons: people, rejected: [] }]));
    assert.equal(ok.ok, true);
    assert.equal(indexSql(), before);
    const plan = conn
      .prepare(
        "EXPLAIN QUERY PLAN SELECT person_id FROM person_channels WHERE tenant_id = 1 AND value = ?",
      )
      .all("11900000001") as { detail: string }[];
    assert.ok(plan.some((p) => p.detail.includes(INDEX)));
    const found = conn
      .prepare("SELECT count(*) FROM person_channels WHERE tenant_id = 1 AND value = ?")
      .pluck()
      .get("11900000030");
    assert.equal(found, 1);

    // A file refused at the end rolls the drop back with everything else.
    const more = Array.from({ length: 40 }, (_, i) => person(String(i + 100)));
    const refused = await importMailing(
      t.store,
      request([{ persons: more, rejected: [] }], {
        mailing: mailingName({ sequence: 2 }),
        summary: () =>
          okSummary({ ok: false, errors: [{ code: "REJEICAO_EXCESSIVA", message: "x" }] }),
      }),
    );
    assert.equal(refused.ok, false);
    assert.equal(indexSql(), before);
    assert.equal(conn.prepare("SELECT count(*) FROM person_channels").pluck().get(), 30);
  } finally {
    setSqliteIndexRebuildMinRows(50_000);
    await t.dispose();
  }
});

test("PostgreSQL: the contact-value index dropped for a large import is back after commit and after rollback", {
  skip: needsFull("PostgreSQL em 127.0.0.1:5432"),
}, async () => {
  const t = await openPgTestStore();
  setPgIndexRebuildMinRows(1);
  setPgImportBatchSize(10);
  try {
    await createWallet(t.store.db, 1, { code: "BRAD" });
    const pool = t.store.pgPool!;
    const indexDef = async () =>
      (await pool.query("SELECT pg_get_indexdef(to_regclass($1)) AS def", [INDEX])).rows[0]?.def;
    const before = await indexDef();
    assert.ok(before);
    const people = Array.from({ length: 30 }, (_, i) => person(String(i + 1)));
    const ok = await importMailing(t.store, request([{ persons: people, rejected: [] }]));
    assert.equal(ok.ok, true);
    assert.equal(await indexDef(), before);
    const found = await pool.query(
      "SELECT count(*)::int AS n FROM person_channels WHERE tenant_id = 1 AND value = $1",
      ["11900000030"],
    );
    assert.equal(found.rows[0].n, 1);

    const more = Array.from({ length: 40 }, (_, i) => person(String(i + 100)));
    const refused = await importMailing(
      t.store,
      request([{ persons: more, rejected: [] }], {
        mailing: mailingName({ sequence: 2 }),
        summary: () =>
          okSummary({ ok: false, errors: [{ code: "REJEICAO_EXCESSIVA", message: "x" }] }),
      }),
    );
    assert.equal(refused.ok, false);
    assert.equal(await indexDef(), before);
    const n = await pool.query("SELECT count(*)::int AS n FROM person_channels");
    assert.equal(n.rows[0].n, 30);
  } finally {
    setPgIndexRebuildMinRows(50_000);
    setPgImportBatchSize(25_000);
    await t.dispose();
  }
});
