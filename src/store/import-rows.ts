/** Row shaping shared by both import sessions. */
import type { PersonRecord } from "../mailing/types.js";

/** Non-empty fields only: an empty cell never erases what the base knows. */
export function fieldsJson(fields: Record<string, string>): string {
  let out: Record<string, string> | null = null;
  for (const [k, v] of Object.entries(fields)) {
    if (v === "" || v === undefined) continue;
    if (!out) out = {};
    out[k] = v;
  }
  return out ? JSON.stringify(out) : "{}";
}

export interface StoredChannel {
  kind: string;
  value: string;
  line: number;
}

export function channelsJson(record: PersonRecord): string {
  return JSON.stringify(
    record.channels.map((c) => ({ kind: c.kind, value: c.value, line: c.line }) as StoredChannel),
  );
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
