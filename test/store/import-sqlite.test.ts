import assert from "node:assert/strict";
import { test } from "node:test";
import type { RejectedRow } from "../../src/mailing/types.js";
import { importMailing } from "../../src/store/import.js";
import { createTenant } from "../../src/store/tenants.js";
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

test("SQLite: a second import waits for the first without stopping the process", async () => {
  const t = await openSqliteTestStore();
  try {
    await createWallet(t.store.db, 1, { code: "BRAD" });
    const tenant2 = await createTenant(t.store.db, { name: "outra" });
    await createWallet(t.store.db, tenant2.id, { code: "BRAD" });
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 20);
    let holding = false;
    const first = importMailing(t.store, {
      ...request([{ persons: [person("1")], rejected: [] }]),
      // Holds the write lock for a second, inside the transaction.
      afterImport: async () => {
        holding = true;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      },
    });
    while (!holding) await new Promise((resolve) => setTimeout(resolve, 5));
    const ticksBefore = ticks;
    const second = importMailing(t.store, {
      ...request([{ persons: [person("2")], rejected: [] }]),
      tenantId: tenant2.id,
    });
    const [a, b] = await Promise.all([first, second]);
    clearInterval(ticker);
    assert.equal(a.ok, true);
    assert.equal(b.ok, true);
    // The timer kept running while the second import waited for the lock.
    assert.ok(ticks - ticksBefore >= 10, `${ticks - ticksBefore} ticks`);
  } finally {
    await t.dispose();
  }
});
