import assert from "node:assert/strict";
import { test } from "node:test";
import type { Store } from "../../src/store/db.js";
import { importMailing } from "../../src/store/import.js";
import { setPgImportBatchSize, setPgIndexRebuildMinRows } from "../../src/store/import-pg.js";
import { setSqliteIndexRebuildMinRows } from "../../src/store/import-sqlite.js";
import { createWallet } from "../../src/store/wallets.js";
import { needsFull } from "../helpers/env.js";
import { mailingName, okSummary, person, request } from "./fixtures.js";
import { openPgTestStore, openSqliteTestStore } from "./harness.js";

const INDEX = "person_channels_tenant_value";

/** Imports 40 more people in a file refused only once read (too many rejected rows). */
async function importRefusedAtTheEnd(store: Store): Promise<void> {
  const more = Array.from({ length: 40 }, (_, i) => person(String(i + 100)));
  const refused = await importMailing(
    store,
    request([{ persons: more, rejected: [] }], {
      mailing: mailingName({ sequence: 2 }),
      summary: () =>
        okSummary({ ok: false, errors: [{ code: "REJEICAO_EXCESSIVA", message: "x" }] }),
    }),
  );
  assert.equal(refused.ok, false);
}

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
    await importRefusedAtTheEnd(t.store);
    assert.equal(indexSql(), before);
    assert.equal(conn.prepare("SELECT count(*) FROM person_channels").pluck().get(), 30);
  } finally {
    setSqliteIndexRebuildMinRows(50_000);
    await t.dispose();
  }
});

test("PostgreSQL: the contact-value, membership, customer-code and document indexes dropped for a large import are back after commit and after rollback", {
  skip: needsFull("PostgreSQL em 127.0.0.1:5432"),
}, async () => {
  const t = await openPgTestStore();
  setPgIndexRebuildMinRows(1);
  setPgImportBatchSize(10);
  try {
    await createWallet(t.store.db, 1, { code: "BRAD" });
    const pool = t.store.pgPool!;
    const indexes = async () =>
      (
        await pool.query(
          `SELECT pg_get_indexdef(to_regclass($1)) AS value_def, to_regclass($1)::oid::int AS value_oid,
                  pg_get_indexdef(to_regclass($2)) AS member_def, to_regclass($2)::oid::int AS member_oid,
                  pg_get_indexdef(to_regclass($3)) AS code_def, to_regclass($3)::oid::int AS code_oid,
                  pg_get_indexdef(to_regclass($4)) AS doc_def, to_regclass($4)::oid::int AS doc_oid`,
          [INDEX, "wallet_members_person", "persons_tenant_code", "persons_tenant_document"],
        )
      ).rows[0];
    const indexDef = async () => {
      const i = await indexes();
      return `${i.value_def}|${i.member_def}|${i.code_def}|${i.doc_def}`;
    };
    const first = await indexes();
    assert.ok(first.value_def && first.member_def && first.code_def && first.doc_def);
    const before = await indexDef();
    const people = Array.from({ length: 30 }, (_, i) => person(String(i + 1)));
    const ok = await importMailing(t.store, request([{ persons: people, rejected: [] }]));
    assert.equal(ok.ok, true);
    assert.equal(await indexDef(), before);
    // Built again (new objects), not maintained row by row.
    const rebuilt = await indexes();
    assert.notEqual(rebuilt.value_oid, first.value_oid);
    assert.notEqual(rebuilt.member_oid, first.member_oid);
    assert.notEqual(rebuilt.code_oid, first.code_oid);
    assert.notEqual(rebuilt.doc_oid, first.doc_oid);
    const found = await pool.query(
      "SELECT count(*)::int AS n FROM person_channels WHERE tenant_id = 1 AND value = $1",
      ["11900000030"],
    );
    assert.equal(found.rows[0].n, 1);

    await importRefusedAtTheEnd(t.store);
    assert.equal(await indexDef(), before);
    const after = await indexes();
    assert.equal(after.value_oid, rebuilt.value_oid);
    assert.equal(after.member_oid, rebuilt.member_oid);
    assert.equal(after.code_oid, rebuilt.code_oid);
    assert.equal(after.doc_oid, rebuilt.doc_oid);
    const n = await pool.query("SELECT count(*)::int AS n FROM person_channels");
    assert.equal(n.rows[0].n, 30);
    const members = await pool.query(
      "SELECT count(*)::int AS n FROM wallet_members WHERE person_id IN (SELECT id FROM persons)",
    );
    assert.equal(members.rows[0].n, 30);
  } finally {
    setPgIndexRebuildMinRows(50_000);
    setPgImportBatchSize(25_000);
    await t.dispose();
  }
});
