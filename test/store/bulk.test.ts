/**
 * executeWithRows (src/store/bulk.ts) on both databases: the rows reach the
 * statement as the table `v` whatever the path (SQLite's VALUES list spliced
 * into the compiled text, its JSON fallback, PostgreSQL's arrays), with the
 * statement's own parameters before and after the table kept in place.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { sql } from "kysely";
import { executeWithRows } from "../../src/store/bulk.js";
import { DATABASES, type TestStore } from "../store/harness.js";

const COLUMNS = [
  { name: "id", pgType: "bigint" },
  { name: "label", pgType: "text" },
  { name: "n", pgType: "integer" },
] as const;

for (const database of DATABASES) {
  describe(`executeWithRows (${database.name})`, { skip: database.skip }, () => {
    let t: TestStore | null = null;
    const store = async () => {
      if (!t) {
        t = await database.open();
        await sql`create table bulk_probe (id bigint primary key, label text, n integer, tag text)`.execute(
          t.store.db,
        );
      }
      return t.store;
    };
    after(async () => t?.dispose());

    const insert = async (rows: (readonly unknown[])[], tag: string, minimum: number) => {
      const s = await store();
      await sql`delete from bulk_probe`.execute(s.db);
      const result = await executeWithRows(
        s.db,
        s.dialect,
        COLUMNS,
        rows,
        (table) => sql`
        insert into bulk_probe (id, label, n, tag)
        select v.id, v.label, v.n, ${tag} from ${table} where v.n >= ${minimum}`,
      );
      const got = await sql<{ id: number; label: string | null; n: number; tag: string }>`
        select id, label, n, tag from bulk_probe order by id`.execute(s.db);
      return { affected: Number(result.numAffectedRows ?? 0n), rows: got.rows };
    };

    test("rows, with parameters before and after the table, nulls and quotes kept", async () => {
      const rows = [
        [1, "Ana d'Ávila", 5],
        [2, null, 7],
        [3, "um ? no texto", 1],
      ];
      const { affected, rows: got } = await insert(rows, "antes", 2);
      assert.equal(affected, 2);
      assert.deepEqual(
        got.map((r) => [Number(r.id), r.label, Number(r.n), r.tag]),
        [
          [1, "Ana d'Ávila", 5, "antes"],
          [2, null, 7, "antes"],
        ],
      );
    });

    test("more values than SQLite binds in one statement: every row arrives", async () => {
      // 3 columns × 11,000 rows = 33,000 values, past SQLite's 32,766.
      const rows = Array.from({ length: 11_000 }, (_, i) => [i + 1, `p${i}`, i % 3]);
      const { affected, rows: got } = await insert(rows, "muitos", 1);
      const expected = rows.filter((r) => (r[2] as number) >= 1);
      assert.equal(affected, expected.length);
      assert.deepEqual(
        got.map((r) => Number(r.id)),
        expected.map((r) => r[0]),
      );
    });

    test("an UPDATE … FROM the rows, matched by id", async () => {
      const s = await store();
      await insert(
        [
          [1, "a", 1],
          [2, "b", 2],
          [3, "c", 3],
        ],
        "x",
        0,
      );
      const result = await executeWithRows(
        s.db,
        s.dialect,
        COLUMNS,
        [
          [2, "B", 20],
          [3, "C", 30],
          [9, "nenhum", 90],
        ],
        (table) => sql`update bulk_probe set label = v.label, n = v.n from ${table}
                        where bulk_probe.id = v.id and bulk_probe.tag = ${"x"}`,
      );
      assert.equal(Number(result.numAffectedRows ?? 0n), 2);
      const got = await sql<{ id: number; label: string; n: number }>`
        select id, label, n from bulk_probe order by id`.execute(s.db);
      assert.deepEqual(
        got.rows.map((r) => [Number(r.id), r.label, Number(r.n)]),
        [
          [1, "a", 1],
          [2, "B", 20],
          [3, "C", 30],
        ],
      );
    });

    test("a statement with a '?' of its own in a comment still gets its rows", async () => {
      const s = await store();
      await sql`delete from bulk_probe`.execute(s.db);
      await executeWithRows(
        s.db,
        s.dialect,
        COLUMNS,
        [[4, "d", 4]],
        (table) => sql`insert into bulk_probe (id, label, n, tag)
          -- why? a comment with a question mark
          select v.id, v.label, v.n, ${"comentário"} from ${table}`,
      );
      const got = await sql<{ id: number; tag: string }>`select id, tag from bulk_probe`.execute(
        s.db,
      );
      assert.deepEqual(
        got.rows.map((r) => [Number(r.id), r.tag]),
        [[4, "comentário"]],
      );
    });
  });
}
