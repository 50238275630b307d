/**
 * Removing one person from files: a mailing (CSV/TXT), its reports
 * (`.rejeitados.csv`, `.retorno.csv`, …) are rewritten without the lines that
 * carry one of the person's identifiers; whatever cannot be rewritten (a zip)
 * or still holds an identifier after the rewrite is deleted instead. Lines are
 * cut at LF bytes, which UTF-8 and Windows-1252 both keep as themselves, and
 * kept lines are copied byte for byte (no re-encoding).
 */
import { isUtf8 } from "node:buffer";
import { randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { keyForStoredFile, openStoredFile, seal } from "./sealed.js";

/** What identifies the person in a file: normalised values as the base holds them. */
export interface Identifiers {
  document: string | null;
  code: string | null;
  names: string[];
  phones: string[];
  emails: string[];
}

function decode(line: Buffer): string {
  return isUtf8(line) ? line.toString("utf8") : line.toString("latin1");
}

function phoneVariants(phones: string[]): string[] {
  const out = new Set<string>();
  for (const p of phones) {
    out.add(p);
    // An old 8-digit mobile in the file became DDD + 9 + number in the base.
    if (p.length === 11 && p[2] === "9") out.add(p.slice(0, 2) + p.slice(3));
  }
  return [...out].filter((p) => p.length >= 8);
}

/** True when one field of the line (split at ; , TAB |) is one of the person's identifiers. */
export function lineMatcher(ids: Identifiers): (line: string) => boolean {
  const names = new Set(ids.names.map((n) => n.trim().toLowerCase()).filter((n) => n !== ""));
  const emails = new Set(ids.emails.map((e) => e.trim().toLowerCase()));
  const phones = phoneVariants(ids.phones);
  const doc = ids.document?.toUpperCase() ?? null;
  const code = ids.code?.trim() || null;
  return (line) => {
    for (const raw of line.split(/[;,\t|]/)) {
      const field = raw
        .trim()
        .replace(/^"+|"+$/g, "")
        .trim();
      if (field === "") continue;
      const lower = field.toLowerCase();
      if (emails.has(lower) || names.has(lower) || (code !== null && field === code)) return true;
      const alnum = field.replace(/[^0-9A-Za-z]/g, "").toUpperCase();
      if (doc !== null && alnum.length >= doc.length - 3 && alnum.padStart(doc.length, "0") === doc)
        return true;
      const digits = field.replace(/\D/g, "");
      if (digits.length >= 10 && phones.some((p) => digits.endsWith(p))) return true;
    }
    return false;
  };
}

/**
 * An identifier searched in a kept line's text, where the line matcher did not
 * find it as a whole field: it must not run on into more of the same kind of
 * characters on either side (`after` only for phones, which may carry a
 * country code before them). Without the bounds, "ana@x.com" would be found
 * inside "joana@x.com" and a person's file deleted for another's address.
 */
export interface Needle {
  text: string;
  /** Characters that may not come right before (null: anything may). */
  before: RegExp | null;
  /** Characters that may not come right after. */
  after: RegExp;
}

const DIGIT = /[0-9]/;
const EMAIL_CHAR = /[a-z0-9._%+-]/;
const DOMAIN_CHAR = /[a-z0-9.-]/;

/**
 * The identifiers whose presence in a kept line means the rewrite did not
 * remove the person: the CPF/CNPJ (plain or punctuated), phones and e-mails.
 * Names are not searched as text: a kept line that holds one inside longer
 * text is far more often another person ("Ana Paula" inside "Ana Paula
 * Souza") than this one, and finding it would delete a whole file of other
 * people; a name that is a whole field is removed by the line matcher.
 */
export function needles(ids: Identifiers): Needle[] {
  const out = new Map<string, Needle>();
  const add = (text: string, before: RegExp | null, after: RegExp) => {
    if (text !== "") out.set(text, { text, before, after });
  };
  if (ids.document) {
    add(ids.document.toLowerCase(), /[0-9a-z]/, /[0-9a-z]/);
    if (ids.document.length === 11) {
      const d = ids.document;
      add(`${d.slice(0, 3)}.${d.slice(3, 6)}.${d.slice(6, 9)}-${d.slice(9)}`, DIGIT, DIGIT);
    }
  }
  for (const e of ids.emails) add(e.trim().toLowerCase(), EMAIL_CHAR, DOMAIN_CHAR);
  for (const p of ids.phones) add(p, null, DIGIT);
  return [...out.values()];
}

/** Whether `text` (lower case) holds the needle with its bounds (see Needle). */
export function holds(text: string, needle: Needle): boolean {
  for (let at = text.indexOf(needle.text); at !== -1; at = text.indexOf(needle.text, at + 1)) {
    const before = at > 0 ? (text[at - 1] as string) : "";
    const after = text[at + needle.text.length] ?? "";
    if (needle.before !== null && before !== "" && needle.before.test(before)) continue;
    if (after !== "" && needle.after.test(after)) continue;
    return true;
  }
  return false;
}

/**
 * The longest line a scrub holds in memory. An imported mailing's lines are
 * at most 1 MiB (LINHA_LONGA); a file from a server with no line break at all
 * (a binary, a CR-only export) must not be gathered whole: it fails instead,
 * and nothing is rewritten.
 */
const MAX_SCRUB_LINE_BYTES = 64 << 20;

/** Splits a byte stream into lines (each with its LF), in memory bounded by the longest line. */
async function* lines(input: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  // The pieces of the line not ended yet, joined once when its LF arrives.
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const chunk of input) {
    let data: Buffer = chunk;
    let at = data.indexOf(10);
    while (at >= 0) {
      const end = data.subarray(0, at + 1);
      yield pending.length > 0 ? Buffer.concat([...pending, end]) : end;
      pending = [];
      pendingBytes = 0;
      data = data.subarray(at + 1);
      at = data.indexOf(10);
    }
    if (data.length > 0) {
      pending.push(Buffer.from(data));
      pendingBytes += data.length;
      if (pendingBytes > MAX_SCRUB_LINE_BYTES) {
        throw new Error(
          `o arquivo tem uma linha de mais de ${MAX_SCRUB_LINE_BYTES >> 20} MiB (sem quebra de linha): não foi reescrito`,
        );
      }
    }
  }
  if (pending.length > 0) yield Buffer.concat(pending);
}

/** What a scrub found so far: lines taken out, and whether a kept line still names the person. */
export interface ScrubProgress {
  removed: number;
  /** Bytes of the output so far (a written copy is checked against it). */
  bytes: number;
  /** A kept line (the header, or one whose fields did not match) still holds an identifier. */
  leftover: boolean;
}

/**
 * The input without the person's lines (the first line, a header, always
 * kept), in constant memory per line: the scrubber of every file erasure
 * rewrites, stored, local or remote. Each kept line is also searched for the
 * identifiers as plain text, so the caller knows, once the output is
 * consumed, whether the result is clean without reading it back.
 */
export function scrubLines(
  input: AsyncIterable<Buffer>,
  ids: Identifiers,
): { output: AsyncGenerator<Buffer>; progress: ScrubProgress } {
  const progress: ScrubProgress = { removed: 0, bytes: 0, leftover: false };
  const matches = lineMatcher(ids);
  const search = needles(ids);
  async function* output(): AsyncGenerator<Buffer> {
    let first = true;
    for await (const line of lines(input)) {
      const text = decode(line);
      if (!first && matches(text)) {
        progress.removed++;
        continue;
      }
      first = false;
      if (!progress.leftover) {
        const lower = text.toLowerCase();
        if (search.some((n) => holds(lower, n))) progress.leftover = true;
      }
      progress.bytes += line.length;
      yield line;
    }
  }
  return { output: output(), progress };
}

export type ScrubOutcome = "rewritten" | "deleted" | "unchanged" | "missing";

const TEXT = /\.(csv|txt)$/i;

/** Whether a file with this name is rewritten line by line (text) or deleted whole (a zip, anything else). */
export function isRewritable(name: string): boolean {
  return TEXT.test(name);
}

/**
 * Rewrites a file without the person's lines (or deletes it, see the module
 * comment). `sealed`: a stored original under the data dir, read and written
 * back sealed; otherwise a plain file (a local source's). `name` is the name
 * that tells whether the content is text (the stored copy's is a hash).
 */
export async function scrubFile(
  path: string,
  name: string,
  ids: Identifiers,
  sealed: boolean,
): Promise<{ outcome: ScrubOutcome; removed: number }> {
  const read = (p: string): AsyncIterable<Buffer> =>
    sealed ? openStoredFile(p, { highWaterMark: 1 << 18 }) : createReadStream(p);
  try {
    await (sealed
      ? openStoredFile(path, { end: 0 })
      : createReadStream(path, { end: 0 })
    ).toArray();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT")
      return { outcome: "missing", removed: 0 };
    throw error;
  }
  if (!isRewritable(name)) {
    await rm(path, { force: true });
    return { outcome: "deleted", removed: 0 };
  }
  const tmpDir = sealed ? join(dirname(dirname(path)), "tmp") : dirname(path);
  await mkdir(tmpDir, { recursive: true });
  // Hidden name beside a local file: the file scanner ignores names starting with ".".
  const tmp = join(tmpDir, `.${basename(path)}.${randomUUID()}.part`);
  try {
    const { output, progress } = scrubLines(read(path), ids);
    if (sealed) {
      const key = keyForStoredFile(path);
      await pipeline(Readable.from(seal(output, key)), createWriteStream(tmp));
    } else {
      await pipeline(Readable.from(output), createWriteStream(tmp));
    }
    if (progress.leftover) {
      await rm(tmp, { force: true });
      await rm(path, { force: true });
      return { outcome: "deleted", removed: progress.removed };
    }
    if (progress.removed === 0) {
      await rm(tmp, { force: true });
      return { outcome: "unchanged", removed: 0 };
    }
    await rename(tmp, path);
    return { outcome: "rewritten", removed: progress.removed };
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}
