/**
 * Bulk load of a restriction list (issue 15): a CSV or text with one phone,
 * e-mail or CPF/CNPJ per line (a national do-not-disturb export, a bank's
 * opt-out list), hundreds of thousands of lines, streamed: lines are parsed
 * as they are read and written `BATCH` rows per INSERT … SELECT (the rows
 * passed as one parameter: src/store/bulk.ts) inside one transaction, so a list lands whole or not at all and memory stays flat
 * whatever its size. Bad lines are reported with their numbers and skipped.
 *
 * Each line's first field (up to `;`, `,` or a tab) is the value; its kind is
 * detected per value (`parseRestrictionValue`; 11 digits that are both a
 * valid mobile and a valid CPF count as a phone, and are counted in
 * `ambiguous`) unless the operator forces one (--kind cpf for a CPF list). A first line that is no value and has no digit ("telefone", "CPF")
 * is taken as a header.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { type Kysely, sql } from "kysely";
import { rowsTable } from "../store/bulk.js";
import type { Dialect } from "../store/db.js";
import {
  CHANNELS_OF_KIND,
  type ParsedValue,
  parseRestrictionValue,
  type RestrictionChannel,
  type RestrictionKind,
  type RestrictionOrigin,
} from "../store/restrictions.js";
import { type Database, nowIso } from "../store/schema.js";

/** Rows per INSERT (sent as one JSON / two array parameters, whatever the count). */
export const BATCH = 5000;
/** Rejected lines kept with their text (all are counted). */
const KEPT_REJECTIONS = 1000;

export interface RestrictionImportScope {
  walletId: number | null;
  channel: RestrictionChannel | null;
  /** Every line is of this kind (no detection). */
  kind?: RestrictionKind;
  origin: RestrictionOrigin;
  actor: string | null;
  reason: string | null;
}

export interface RestrictionImportResult {
  /** Lines read (the header and blank lines included). */
  lines: number;
  /** Entries added. */
  added: number;
  /** Valid lines already on the list in this scope (or repeated in the file). */
  existing: number;
  byKind: Record<RestrictionKind, number>;
  /** Unpunctuated values that are both a valid mobile and a valid CPF, taken as phones. */
  ambiguous: number;
  rejectedCount: number;
  /** The first rejected lines, with their numbers. */
  rejected: { line: number; text: string; message: string }[];
}

/** The value of one line: its first field, unquoted. */
function firstField(line: string): string {
  let end = line.length;
  for (const sep of [";", ",", "\t"]) {
    const at = line.indexOf(sep);
    if (at >= 0 && at < end) end = at;
  }
  let field = line.slice(0, end).trim();
  if (field.length >= 2 && field.startsWith('"') && field.endsWith('"')) field = field.slice(1, -1);
  return field;
}

/** Imports `lines` (without line ends) into the tenant's list, in one transaction. */
export async function importRestrictionLines(
  db: Kysely<Database>,
  dialect: Dialect,
  tenantId: number,
  lines: AsyncIterable<string> | Iterable<string>,
  scope: RestrictionImportScope,
): Promise<RestrictionImportResult> {
  const result: RestrictionImportResult = {
    lines: 0,
    added: 0,
    existing: 0,
    byKind: { phone: 0, email: 0, document: 0 },
    ambiguous: 0,
    rejectedCount: 0,
    rejected: [],
  };
  const at = nowIso();
  const reject = (line: number, text: string, message: string) => {
    result.rejectedCount++;
    if (result.rejected.length < KEPT_REJECTIONS) {
      result.rejected.push({ line, text: text.length > 200 ? text.slice(0, 200) : text, message });
    }
  };
  await db.transaction().execute(async (trx) => {
    let batch: (readonly [RestrictionKind, string])[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const n = await insertRestrictionRows(trx, dialect, tenantId, scope, at, batch);
      result.added += n;
      result.existing += batch.length - n;
      batch = [];
    };
    for await (const raw of lines) {
      const number = ++result.lines;
      const line = number === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
      const text = firstField(line);
      if (text === "") continue;
      const parsed: ParsedValue = parseRestrictionValue(text, scope.kind, "phone");
      if (!parsed.ok) {
        if (number === 1 && !/\d/.test(text) && !text.includes("@")) continue; // a header
        reject(number, line, parsed.message);
        continue;
      }
      if (scope.channel !== null && !CHANNELS_OF_KIND[parsed.kind].includes(scope.channel)) {
        reject(
          number,
          line,
          `um ${KIND_TEXT[parsed.kind]} não recebe mensagens pelo canal ${scope.channel}`,
        );
        continue;
      }
      result.byKind[parsed.kind]++;
      if (parsed.ambiguous) result.ambiguous++;
      batch.push([parsed.kind, parsed.value]);
      if (batch.length >= BATCH) await flush();
    }
    await flush();
  });
  return result;
}

/**
 * Inserts (kind, value) rows in one scope; returns how many were new. The
 * scope's fields are the same for every row: they go once, as parameters.
 */
export async function insertRestrictionRows(
  db: Kysely<Database>,
  dialect: Dialect,
  tenantId: number,
  scope: Omit<RestrictionImportScope, "kind">,
  at: string,
  rows: readonly (readonly [RestrictionKind, string])[],
): Promise<number> {
  const table = rowsTable(
    dialect,
    [
      { name: "k", pgType: "text" },
      { name: "val", pgType: "text" },
    ],
    rows,
  );
  const text = (v: string | null) => sql`CAST(${v} AS text)`;
  // "WHERE true": SQLite would read the ON of ON CONFLICT as a join's after a bare FROM.
  const result = await sql`INSERT INTO restrictions
      (tenant_id, wallet_id, channel, channel_kind, value, reason, origin, actor, created_at)
    SELECT CAST(${tenantId} AS bigint), CAST(${scope.walletId} AS bigint),
      ${text(scope.channel ?? "all")}, v.k, v.val, ${text(scope.reason)}, ${text(scope.origin)},
      ${text(scope.actor)}, ${text(at)}
    FROM ${table}
    WHERE true
    ON CONFLICT DO NOTHING`.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}

const KIND_TEXT: Readonly<Record<RestrictionKind, string>> = {
  phone: "telefone",
  email: "e-mail",
  document: "CPF/CNPJ",
};

/** The lines of a file (UTF-8 or Windows-1252 read as latin1 when not UTF-8), streamed. */
export async function* fileLines(
  path: string,
  encoding: BufferEncoding = "utf8",
): AsyncIterable<string> {
  const input = createReadStream(path, { encoding });
  // readline's iterator ends quietly when its input fails (a file gone or unreadable):
  // that must not read as an empty list.
  let failure: unknown = null;
  input.on("error", (error) => {
    failure = error;
  });
  yield* createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  if (failure !== null) throw failure;
}

/** The lines of a text already in memory (an API upload). */
export function* textLines(text: string): Iterable<string> {
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end);
    yield line.endsWith("\r") ? line.slice(0, -1) : line;
    start = end + 1;
  }
}
