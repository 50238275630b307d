/** Row shaping shared by both import sessions. */
import { TextHashSet } from "../mailing/text-set.js";
import type { PersonRecord } from "../mailing/types.js";

/** Characters JSON.stringify would escape in a string (the rest is copied as is). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what JSON escapes
const JSON_ESCAPED = /["\\\u0000-\u001f]|[\ud800-\udfff]/;

/** A JSON string literal: quotes around plain text, JSON.stringify only when something needs escaping. */
export function jsonString(value: string): string {
  return JSON_ESCAPED.test(value) ? JSON.stringify(value) : `"${value}"`;
}

/** Column names repeat on every person of a file: their JSON literal is made once. */
const quotedKeys = new Map<string, string>();

function quotedKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = JSON.stringify(key);
    if (quotedKeys.size < 10_000) quotedKeys.set(key, quoted);
  }
  return quoted;
}

/** Non-empty fields only: an empty cell never erases what the base knows. */
export function fieldsJson(fields: Record<string, string>): string {
  // Built as text (same output as JSON.stringify of the filtered object): this
  // runs once per person, and skipping the intermediate object halves its cost.
  let out = "";
  for (const k in fields) {
    if (!Object.hasOwn(fields, k)) continue;
    const v = fields[k];
    if (v === "" || v === undefined) continue;
    out += `${out === "" ? "{" : ","}${quotedKey(k)}:${jsonString(v)}`;
  }
  return out === "" ? "{}" : `${out}}`;
}

export interface StoredChannel {
  kind: string;
  value: string;
  line: number;
}

export function channelsJson(record: PersonRecord): string {
  // Same text as JSON.stringify of StoredChannel objects, without making them.
  let out = "[";
  for (let i = 0; i < record.channels.length; i++) {
    const c = record.channels[i]!;
    out += `${i > 0 ? "," : ""}{"kind":${jsonString(c.kind)},"value":${jsonString(c.value)},"line":${c.line}}`;
  }
  return `${out}]`;
}

/**
 * The first mobile and the first e-mail of a contact list in file order
 * (`mailing_persons.first_mobile`, `first_email`), null when there is none.
 */
export function firstContacts(
  channels: readonly { kind: string; value: string }[],
): [mobile: string | null, email: string | null] {
  let mobile: string | null = null;
  let email: string | null = null;
  for (let i = 0; i < channels.length && (mobile === null || email === null); i++) {
    const c = channels[i]!;
    if (mobile === null && c.kind === "mobile") mobile = c.value;
    else if (email === null && c.kind === "email") email = c.value;
  }
  return [mobile, email];
}

/** Appends `more` to `list`, skipping values already there (file order kept). */
export function mergeChannelLists(list: StoredChannel[], more: StoredChannel[]): StoredChannel[] {
  const seen = new Set(list.map((c) => c.value));
  const out = list.slice();
  for (const c of more) {
    if (seen.has(c.value)) continue;
    seen.add(c.value);
    out.push(c);
  }
  return out;
}

/** Empty strings count as absent. */
export function blankToNull(value: string | null | undefined): string | null {
  return value ? value : null;
}

/** The identity of a person inside one file (and tenant). */
export function recordKey(record: PersonRecord): string {
  return `${record.keyKind}\u0000${record.key}`;
}

/**
 * `later` (a later record of the same person in the file) folded into
 * `first`, with exactly the result of writing them one after the other:
 * later non-empty values win, the first non-empty message stays, contacts and
 * tags are the union in file order, the first line stays.
 */
export function mergeRecords(first: PersonRecord, later: PersonRecord): PersonRecord {
  const seen = new Set<string>();
  const channels = first.channels.slice();
  for (const c of channels) seen.add(c.value);
  for (const c of later.channels) {
    if (seen.has(c.value)) continue;
    seen.add(c.value);
    channels.push(c);
  }
  const tags = first.tags.slice();
  for (const tag of later.tags) if (!tags.includes(tag)) tags.push(tag);
  const fields = { ...first.fields };
  for (const [k, v] of Object.entries(later.fields)) if (v !== "" && v !== undefined) fields[k] = v;
  return {
    key: first.key,
    keyKind: first.keyKind,
    codCliente: later.codCliente || first.codCliente,
    document: later.document || first.document,
    name: later.name || first.name,
    message: first.message || later.message,
    fields,
    channels,
    tags,
    firstLine: first.firstLine,
  };
}

/**
 * People of one batch, one entry per person (records of the same person
 * merged), in order of first appearance. Memory is bounded by the batch.
 */
export class PersonBatch {
  private readonly byKey = new Map<string, PersonRecord>();

  get size(): number {
    return this.byKey.size;
  }

  add(record: PersonRecord): void {
    const key = recordKey(record);
    const prev = this.byKey.get(key);
    this.byKey.set(key, prev ? mergeRecords(prev, record) : record);
  }

  /** The merged records, emptying the batch. */
  take(): PersonRecord[] {
    const out = [...this.byKey.values()];
    this.byKey.clear();
    return out;
  }
}

/**
 * A set of non-zero 32-bit integers (open addressing, linear probing) in one
 * typed array: about 8 bytes per entry outside the JS heap, where a `Set` of
 * half a million numbers costs several times that and is traced by every
 * full garbage collection.
 */
export class IntHashSet {
  private slots = new Int32Array(1 << 16);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** 0 is stored as 1: a hash that collides is harmless to callers that re-check. */
  has(value: number): boolean {
    const v = value | 0 || 1;
    const mask = this.slots.length - 1;
    for (let i = Math.imul(v, 0x9e3779b1) & mask; ; i = (i + 1) & mask) {
      const s = this.slots[i]!;
      if (s === v) return true;
      if (s === 0) return false;
    }
  }

  add(value: number): void {
    const v = value | 0 || 1;
    if ((this.count + 1) * 2 > this.slots.length) this.grow();
    const mask = this.slots.length - 1;
    for (let i = Math.imul(v, 0x9e3779b1) & mask; ; i = (i + 1) & mask) {
      const s = this.slots[i]!;
      if (s === v) return;
      if (s === 0) {
        this.slots[i] = v;
        this.count++;
        return;
      }
    }
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    this.count = 0;
    for (const v of old) if (v !== 0) this.add(v);
  }
}

/**
 * How many distinct people (`recordKey`) a file holds, as the import counts
 * them, in bounded memory (keys kept as 64-bit hashes, see TextHashSet).
 */
export class PersonCounter {
  private readonly keys = new TextHashSet();

  get size(): number {
    return this.keys.size;
  }

  add(record: PersonRecord): void {
    this.keys.add(recordKey(record));
  }
}

/** A set of ids (safe integers, ≥ 1), exact: those up to 2³¹ - 1 in an IntHashSet, any above in a Set. */
export class ExactIds {
  private readonly small = new IntHashSet();
  private readonly big = new Set<number>();

  get size(): number {
    return this.small.size + this.big.size;
  }

  add(id: number): void {
    if (id <= 0x7fffffff) this.small.add(id);
    else this.big.add(id);
  }
}
