/** Shared helpers for the ingest tests: file names for "today", small mailings, polling waits. */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import type { Kysely } from "kysely";
import { DateTime } from "luxon";
import type { Database } from "../../src/store/schema.js";

export const TZ = "America/Sao_Paulo";

/** DDMMYY of today (or `offsetDays` from today) in the tenant's zone. */
export function ddmmyy(offsetDays = 0): string {
  return DateTime.now().setZone(TZ).plus({ days: offsetDays }).toFormat("ddMMyy");
}

const HEADER = "TIPO_DE_REGISTRO;VALOR_DO_REGISTRO;NOME_CLIENTE;CPFCNPJ;CODCLIENTE";

/** A valid long-layout mailing with `people` persons (one mobile each) and `bad` invalid rows. */
export function mailingCsv(people: number, bad = 0, seed = 0): string {
  const lines = [HEADER];
  for (let i = 0; i < people; i++) {
    const n = String(10_000_000 + seed * 100_000 + i).slice(-8);
    lines.push(`TELEFONE;119${n};Pessoa ${i};;C${seed}-${i}`);
  }
  for (let i = 0; i < bad; i++) lines.push(`TELEFONE;12;Ruim ${i};;R${seed}-${i}`);
  return `${lines.join("\r\n")}\r\n`;
}

/** Polls `check` until it returns a truthy value or the deadline passes (generous by default). */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 60_000,
  everyMs = 50,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(everyMs);
  }
}

/** Names in a folder, or [] when it does not exist. */
export function namesIn(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

/** Where a file ended: "LIDOS", "DESCARTADOS" (beside `folder`), or null while still pending. */
export function whereIs(folder: string, name: string): "LIDOS" | "DESCARTADOS" | null {
  if (namesIn(join(folder, "LIDOS")).includes(name)) return "LIDOS";
  if (namesIn(join(folder, "DESCARTADOS")).includes(name)) return "DESCARTADOS";
  return null;
}

/**
 * Where a file ended once it is fully done: moved AND its report written
 * (`.resultado.txt` in LIDOS, `.erro.txt` in DESCARTADOS); null before that.
 */
export function whereDone(folder: string, name: string): "LIDOS" | "DESCARTADOS" | null {
  const where = whereIs(folder, name);
  if (!where) return null;
  const report = where === "LIDOS" ? `${name}.resultado.txt` : `${name}.erro.txt`;
  // Complete, not just created: the report is written in one go and ends with a newline.
  const path = join(folder, where, report);
  if (!existsSync(path)) return null;
  const text = readFileSync(path, "utf8");
  return text.endsWith("\n") ? where : null;
}

/**
 * Waits until the records of these file names say "reported". The reports land
 * on the server a moment before the record does (the state is written only
 * once they exist), so a test that saw the report polls for the record.
 */
export async function waitReported(db: Kysely<Database>, names: string[]): Promise<void> {
  await waitFor(`${names.length} record(s) to be reported`, async () => {
    const rows = await db
      .selectFrom("mailings")
      .select("state")
      .where("file_name", "in", names)
      .execute();
    return rows.length >= names.length && rows.every((r) => r.state === "reported");
  });
}
