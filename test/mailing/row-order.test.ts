/**
 * The reader's counts do not depend on the order of the rows (issue 18): a
 * person's rows together, apart, or shuffled give the same rejections by code
 * (DUPLICADO included, with `_h`), the same distinct people and the same
 * contacts per person once the import merges the records.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { PersonCounter, recordKey } from "../../src/store/import-rows.js";
import { LONG_HEADER, longRow, readText } from "./helpers.js";

async function outcome(rows: string[], sanitize: boolean) {
  const read = await readText([LONG_HEADER, ...rows].join("\r\n"), { sanitize });
  const persons = new PersonCounter();
  const contacts = new Map<string, Set<string>>();
  for (const p of read.persons) {
    persons.add(p);
    const set = contacts.get(recordKey(p)) ?? new Set<string>();
    for (const c of p.channels) set.add(c.value);
    contacts.set(recordKey(p), set);
  }
  return {
    ok: read.summary.ok,
    rows: read.summary.rows,
    rejected: read.summary.rejected,
    rejectedRows: read.summary.rejectedRows,
    persons: persons.size,
    contacts: [...contacts].map(([k, set]) => `${k}=${[...set].sort().join(",")}`).sort(),
  };
}

test("DUPLICADO: a person's contact repeated in rows apart is reported as when the rows are together", async () => {
  const rows = [
    longRow({ value: "11987654321", code: "A" }),
    longRow({ value: "11912345678", code: "B" }),
    longRow({ value: "(11) 98765-4321", code: "A" }),
  ];
  const apart = await outcome(rows, true);
  assert.deepEqual(apart.rejected, { DUPLICADO: 1 });
  assert.deepEqual(apart, await outcome([rows[0]!, rows[2]!, rows[1]!], true));
  // Another person with the same contact is no repeat.
  const other = await outcome([...rows, longRow({ value: "11987654321", code: "C" })], true);
  assert.deepEqual(other.rejected, { DUPLICADO: 1 });
  assert.equal(other.persons, 3);
});

test("property: the counts and the people do not depend on the order of the rows", async () => {
  const row = fc.record({
    type: fc.constantFrom("CELULAR", "TELEFONE", "EMAIL", "FAX"),
    value: fc.constantFrom(
      "11987654321",
      "(11) 98765-4321",
      "11912345678",
      "1132540000",
      "ana@x.com.br",
      "ANA@X.COM.BR",
      "bia@y.com",
      "123",
      "",
    ),
    code: fc.constantFrom("", "A", "B", "C"),
    doc: fc.constantFrom("", "52998224725", "529.982.247-25", "111"),
    tag: fc.constantFrom("", "t1", "t2"),
  });
  await fc.assert(
    fc.asyncProperty(
      fc.array(row, { minLength: 1, maxLength: 14 }),
      fc.boolean(),
      fc.integer(),
      async (list, sanitize, seed) => {
        const rows = list.map((r) => longRow(r));
        const shuffled = rows.slice();
        let state = seed >>> 0;
        for (let i = shuffled.length - 1; i > 0; i--) {
          state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
          const j = state % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
        }
        assert.deepEqual(await outcome(shuffled, sanitize), await outcome(rows, sanitize));
      },
    ),
    { numRuns: 150 },
  );
});
