/**
 * Many values as ONE query parameter, for hot paths that would otherwise
 * send (and have Kysely compile) thousands of placeholders: a typed array
 * on PostgreSQL (`unnest`, `= any`), a JSON array on SQLite (`json_each`).
 */
import { type RawBuilder, sql } from "kysely";
import type { Dialect } from "./db.js";

export type PgType = "bigint" | "integer" | "text";

/** `column IN (values)` with one parameter. */
export function inValues(
  dialect: Dialect,
  column: RawBuilder<unknown>,
  values: readonly (number | string)[],
  pgType: PgType,
): RawBuilder<boolean> {
  return dialect === "postgres"
    ? sql<boolean>`${column} = any(${[...values]}::${sql.raw(pgType)}[])`
    : sql<boolean>`${column} in (select value from json_each(${JSON.stringify(values)}))`;
}

/**
 * Rows as a table `v` with the given columns (usable after FROM), with one
 * parameter per column on PostgreSQL and one in all on SQLite.
 */
export function rowsTable(
  dialect: Dialect,
  columns: readonly { name: string; pgType: PgType }[],
  rows: readonly (readonly unknown[])[],
): RawBuilder<unknown> {
  const names = sql.raw(columns.map((c) => c.name).join(", "));
  if (dialect === "postgres") {
    const arrays = columns.map(
      (c, i) => sql`${rows.map((r) => r[i] ?? null)}::${sql.raw(c.pgType)}[]`,
    );
    return sql`unnest(${sql.join(arrays)}) as v(${names})`;
  }
  const picks = sql.raw(
    columns.map((c, i) => `json_extract(value, '$[${i}]') as ${c.name}`).join(", "),
  );
  return sql`(select ${picks} from json_each(${JSON.stringify(rows)})) as v`;
}
