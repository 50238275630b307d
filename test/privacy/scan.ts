/**
 * Where a person ("Zuleica", test/privacy/fixtures.ts) is still found after
 * an erasure: every text value of every table, every file under the data dir.
 * Used by the CLI's (test/privacy/persons.test.ts) and the API's
 * (test/api/privacy.test.ts) erasure tests.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { sql } from "kysely";
import type { TestStore } from "../store/harness.js";
import { ZULEICA } from "./fixtures.js";

const NEEDLES = [
  ZULEICA.cpf,
  ZULEICA.cpfFormatted,
  ZULEICA.name.toLowerCase(),
  ZULEICA.phone,
  "98765-1234",
  ZULEICA.email,
];

function found(text: string): string[] {
  const lower = text.toLowerCase();
  return NEEDLES.filter((n) => lower.includes(n));
}

/** Every text value of every table: [table.column, needles found]. */
export async function scanTables(ts: TestStore): Promise<string[]> {
  const db = ts.store.db;
  const columns: { table: string; column: string }[] =
    ts.store.dialect === "postgres"
      ? (
          await sql<{ table: string; column: string }>`
            SELECT table_name AS table, column_name AS column FROM information_schema.columns
             WHERE table_schema = current_schema()
               AND data_type IN ('text', 'character varying', 'json', 'jsonb')`.execute(db)
        ).rows
      : (
          await sql<{ table: string; column: string }>`
            SELECT m.name AS "table", p.name AS "column"
              FROM sqlite_master m, pragma_table_info(m.name) p
             WHERE m.type = 'table'`.execute(db)
        ).rows;
  assert.ok(columns.length > 50, "every table's columns are listed");
  const hits: string[] = [];
  for (const { table, column } of columns) {
    const rows = await sql<{
      v: unknown;
    }>`SELECT ${sql.ref(column)} AS v FROM ${sql.table(table)}`.execute(db);
    for (const r of rows.rows) {
      if (r.v === null || r.v === undefined) continue;
      const f = found(String(r.v));
      if (f.length > 0) hits.push(`${table}.${column}: ${f.join(", ")}`);
    }
  }
  return hits;
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else out.push(path);
  }
  return out;
}

/** Every file under the data dir, as raw bytes read as UTF-8 and as Latin-1. */
export function scanFiles(dataDir: string): string[] {
  const hits: string[] = [];
  for (const path of filesUnder(dataDir)) {
    const bytes = readFileSync(path);
    const f = [...new Set([...found(bytes.toString("utf8")), ...found(bytes.toString("latin1"))])];
    if (f.length > 0) hits.push(`${path}: ${f.join(", ")}`);
  }
  return hits;
}
