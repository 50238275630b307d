/**
 * Issue 18: the counts and the report of an import do not depend on the order
 * of the file's rows. A generated mailing (with repeated contacts, `_h`) is
 * imported with a person's rows together, shuffled, and in blocks (phones,
 * then e-mails), into an empty base and into one holding the day before's
 * file: persons, inserted, updated, the rejections by code and the
 * `.resultado.txt` text are the same.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { generateMailing } from "../../bench/generate-mailing.js";
import { importOnlyMailing } from "../../src/filename/index.js";
import { readMailing } from "../../src/mailing/reader.js";
import { resultReport } from "../../src/mailing/reports.js";
import { importMailing, splitReader } from "../../src/store/import.js";
import { createWallet } from "../../src/store/wallets.js";
import { DATABASES, type TestStore } from "./harness.js";

const dir = mkdtempSync(join(tmpdir(), "remessa-order-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function lines(file: string): string[] {
  return readFileSync(file, "latin1")
    .split("\r\n")
    .filter((l) => l !== "");
}

function write(name: string, header: string, rows: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, `${[header, ...rows].join("\r\n")}\r\n`, "latin1");
  return file;
}

async function files() {
  const today = join(dir, "today.csv");
  const before = join(dir, "before.csv");
  await generateMailing({ rows: 3000, out: today, seed: 11, keys: "random" });
  await generateMailing({ rows: 3000, out: before, seed: 11, keys: "random", dayBefore: true });
  const [header, ...rows] = lines(today);
  // Some rows twice, next to each other: DUPLICADO with _h.
  const together = rows.flatMap((r, i) => (i % 40 === 7 ? [r, r] : [r]));
  const shuffled = together.slice();
  let state = 12_345;
  for (let i = shuffled.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    const j = state % (i + 1);
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  const isEmail = (r: string) => r.startsWith("EMAIL;") || r.startsWith("E-MAIL;");
  const blocks = [...together.filter((r) => !isEmail(r)), ...together.filter(isEmail)];
  return {
    before,
    variants: {
      together: write("together.csv", header!, together),
      shuffled: write("shuffled.csv", header!, shuffled),
      blocks: write("blocks.csv", header!, blocks),
    },
  };
}

async function importFile(t: TestStore, file: string, sequence: number) {
  const reader = splitReader(readMailing(file, { extension: "csv", sanitize: true }));
  const mailing = importOnlyMailing({
    date: "2026-11-26",
    sequence,
    wallet: "BENCH",
    description: "ordem",
  });
  const result = await importMailing(t.store, {
    tenantId: 1,
    mailing,
    fileName: "mailing.csv",
    path: "mailing.csv",
    folder: null,
    content: reader.content,
    summary: reader.summary,
  });
  assert.equal(result.ok, true, JSON.stringify(result.errors));
  const summary = reader.summary()!;
  const report = resultReport({
    fileName: "mailing.csv",
    status: "IMPORTADO",
    rows: result.rows,
    persons: result.persons,
    rejectedRows: result.rejectedRows,
    rejected: result.rejected,
    imported: { inserted: result.inserted, updated: result.updated },
    content: summary,
  });
  return {
    persons: result.persons,
    inserted: result.inserted,
    updated: result.updated,
    rejected: result.rejected,
    report,
  };
}

for (const database of DATABASES) {
  describe(`row order on ${database.name}`, { skip: database.skip }, () => {
    test("persons, inserted, updated, DUPLICADO and the report are the same in any row order", async () => {
      const { before, variants } = await files();
      const outcomes: Record<string, unknown> = {};
      for (const [order, file] of Object.entries(variants)) {
        for (const base of ["empty", "prefilled"] as const) {
          const t = await database.open();
          try {
            await createWallet(t.store.db, 1, { code: "BENCH" });
            if (base === "prefilled") await importFile(t, before, 1);
            outcomes[`${order}/${base}`] = await importFile(t, file, 2);
          } finally {
            await t.dispose();
          }
        }
      }
      const empty = outcomes["together/empty"] as Awaited<ReturnType<typeof importFile>>;
      const prefilled = outcomes["together/prefilled"] as Awaited<ReturnType<typeof importFile>>;
      assert.ok((empty.rejected.DUPLICADO ?? 0) > 0, "the file has repeated contacts");
      assert.equal(empty.inserted, empty.persons);
      // A day's changes: some people updated, not all of them.
      assert.equal(prefilled.inserted, 0);
      assert.ok(
        prefilled.updated > 0 && prefilled.updated < prefilled.persons / 2,
        `${prefilled.updated}`,
      );
      for (const order of ["shuffled", "blocks"]) {
        assert.deepEqual(outcomes[`${order}/empty`], empty, `${order}/empty`);
        assert.deepEqual(outcomes[`${order}/prefilled`], prefilled, `${order}/prefilled`);
      }
    });
  });
}
