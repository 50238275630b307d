import assert from "node:assert/strict";
import { test } from "node:test";
import type { RejectedRow } from "../../src/mailing/types.js";
import { importMailing } from "../../src/store/import.js";
import { createWallet } from "../../src/store/wallets.js";
import { person, rejection, request } from "./fixtures.js";
import { openSqliteTestStore } from "./harness.js";

// The SQLite import's inserts are `OR ROLLBACK` (no statement journal): a
// statement that fails rolls back the whole transaction at once. The import
// must still fail cleanly, keep nothing, and leave the base usable.
test("SQLite: an insert that fails mid-import keeps nothing, and the file imports afterwards", async () => {
  const t = await openSqliteTestStore();
  try {
    await createWallet(t.store.db, 1, { code: "BRAD" });
    const count = (table: string) =>
      t.store.sqlite!.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
    const people = Array.from({ length: 100 }, (_, i) => person(String(i + 1)));
    const broken = { ...rejection(7), raw: null } as unknown as RejectedRow;

    for (const bad of [
      // a row that breaks a NOT NULL column of mailing_rejections
      { persons: [person("500")], rejected: [rejection(5), broken] },
      // a person without a key (NOT NULL in persons)
      { persons: [person("501", { key: null as unknown as string })], rejected: [] },
    ]) {
      await assert.rejects(
        importMailing(t.store, request([{ persons: people, rejected: [rejection(3)] }, bad])),
        /NOT NULL/,
      );
      for (const table of [
        "persons",
        "person_channels",
        "wallet_members",
        "mailing_persons",
        "mailing_rejections",
        "mailings",
      ]) {
        assert.equal(count(table), 0, table);
      }
      assert.equal(t.store.sqlite!.inTransaction, false);
    }

    const ok = await importMailing(t.store, request([{ persons: people, rejected: [] }]));
    assert.equal(ok.ok, true);
    assert.equal(ok.inserted, 100);
    assert.equal(count("persons"), 100);
    assert.equal(count("mailing_persons"), 100);
  } finally {
    await t.dispose();
  }
});
