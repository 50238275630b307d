/**
 * Bulk load of a restriction list (issue 15): a CSV or text with one phone,
 * e-mail or CPF/CNPJ per line (a national do-not-disturb export, a bank's
 * opt-out list), hundreds of thousands of lines, streamed: lines are parsed
 * as they are read and written in multi-row INSERTs of `BATCH` rows inside
 * one transaction, so a list lands whole or not at all and memory stays flat
 * whatever its size. Bad lines are reported with their numbers and skipped.
 *
 * Each line's first field (up to `;`, `,` or a tab) is the value; its kind is
 * detected per value (`parseRestrictionValue`) unless the operator forces
 * one. A first line that is no value and has no digit ("telefone", "CPF")
 * is taken as a header.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { Kysely } from "kysely";
import {
  CHANNELS_OF_KIND,
  type ParsedValue,
  parseRestrictionValue,
  type RestrictionChannel,
  type RestrictionKind,
  type RestrictionOrigin,
} from "../store/restrictions.js";
import { type Database, nowIso } from "../store/schema.js";

/** Rows per INSERT: 9 parameters each, well under SQLite's and PostgreSQL's limits. */
export const BATCH = 1000;
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
  tenantId: number,
  lines: AsyncIterable<string> | Iterable<string>,
  scope: RestrictionImportScope,
): Promise<RestrictionImportResult> {
  const result: RestrictionImportResult = {
    lines: 0,
    added: 0,
    existing: 0,
    byKind: { phone: 0, email: 0, document: 0 },
    rejectedCount: 0,
    rejected: [],
  };
  const at = nowIso();
  const channel = scope.channel ?? "all";
  const reject = (line: number, text: string, message: string) => {
    result.rejectedCount++;
    if (result.rejected.length < KEPT_REJECTIONS) {
      result.rejected.push({ line, text: text.length > 200 ? text.slice(0, 200) : text, message });
    }
  };
  await db.transaction().execute(async (trx) => {
    let batch: {
      tenant_id: number;
      wallet_id: number | null;
      channel: string;
      channel_kind: RestrictionKind;
      value: string;
      reason: string | null;
      origin: string;
      actor: string | null;
      created_at: string;
    }[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const inserted = await trx
        .insertInto("restrictions")
        .values(batch)
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      const n = Number(inserted.numInsertedOrUpdatedRows ?? 0n);
      result.added += n;
      result.existing += batch.length - n;
      batch = [];
    };
    for await (const raw of lines) {
      const number = ++result.lines;
      const line = number === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
      const text = firstField(line);
      if (text === "") continue;
      const parsed: ParsedValue = parseRestrictionValue(text, scope.kind);
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
      batch.push({
        tenant_id: tenantId,
        wallet_id: scope.walletId,
        channel,
        channel_kind: parsed.kind,
        value: parsed.value,
        reason: scope.reason,
        origin: scope.origin,
        actor: scope.actor,
        created_at: at,
      });
      if (batch.length >= BATCH) await flush();
    }
    await flush();
  });
  return result;
}

const KIND_TEXT: Readonly<Record<RestrictionKind, string>> = {
  phone: "telefone",
  email: "e-mail",
  document: "CPF/CNPJ",
};

/** The lines of a file (UTF-8 or Windows-1252 read as latin1 when not UTF-8), streamed. */
export function fileLines(path: string, encoding: BufferEncoding = "utf8"): AsyncIterable<string> {
  return createInterface({
    input: createReadStream(path, { encoding }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
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
