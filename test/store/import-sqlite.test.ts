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

// A person met again in a later batch is merged into this file's row of the
// person at the end, in person order; the people with a row are told exactly,
// also for ids beyond 32 bits.
test("SQLite: later records of a person merge into the file's row, also with ids past 2^31", async () => {
  const t = await openSqliteTestStore();
  try {
    await createWallet(t.store.db, 1, { code: "BRAD" });
    const phone = (n: number, line: number) => ({
      kind: "mobile" as const,
      value: `1199999000${n}`,
      line,
    });
    for (const start of [null, 2 ** 31 + 5]) {
      const sequence = start === null ? 1 : 2;
      if (start !== null) {
        t.store
          .sqlite!.prepare(
            `INSERT INTO persons (id, tenant_id, key_kind, key, fields_json, created_at, updated_at)
             VALUES (?, 1, 'codcliente', 'semente', '{}', 'x', 'x')`,
          )
          .run(start);
      }
      const key = (k: string) => `${sequence}-${k}`;
      const result = await importMailing(
        t.store,
        request(
          [
            {
              persons: [person(key("a"), { channels: [phone(1, 2)], message: null })],
              rejected: [],
            },
            { persons: [person(key("b"), { channels: [phone(2, 3)] })], rejected: [] },
            {
              persons: [person(key("a"), { channels: [phone(3, 4)], message: "oi" })],
              rejected: [],
            },
            { persons: [person(key("a"), { channels: [phone(1, 5), phone(4, 5)] })], rejected: [] },
          ],
          { mailing: { ...request([]).mailing, sequence } },
        ),
      );
      assert.equal(result.ok, true);
      assert.deepEqual([result.persons, result.inserted], [2, 2]);
      const rows = t.store
        .sqlite!.prepare(
          `SELECT p.key, p.id, mp.message, mp.channels_json FROM mailing_persons mp
           JOIN persons p ON p.id = mp.person_id WHERE mp.mailing_id = ? ORDER BY p.key`,
        )
        .all(result.mailingId) as {
        key: string;
        id: number;
        message: string | null;
        channels_json: string;
      }[];
      assert.deepEqual(
        rows.map((r) => [
          r.key,
          r.message,
          JSON.parse(r.channels_json).map((c: { value: string }) => c.value),
        ]),
        [
          [key("a"), "oi", ["11999990001", "11999990003", "11999990004"]],
          [key("b"), null, ["11999990002"]],
        ],
      );
      if (start !== null) assert.ok(rows.every((r) => r.id > 2 ** 31));
    }
  } finally {
    await t.dispose();
  }
});
