/**
 * What is kept of an erased person's contacts: a keyed hash (HMAC-SHA256
 * under a key derived from the secret key), never the value. Without the key
 * the hashes cannot be tested against a list of every phone number; with it,
 * remessa recognises the same phone or e-mail when a later file brings it
 * back, and treats it as restricted (the reader's `isRestricted`).
 */
import { createHmac, hkdfSync } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "../store/schema.js";
import { secretKey } from "../store/secrets.js";

/** The contacts an erased person leaves hashes of (a document is not a contact). */
type ContactKind = "phone" | "email";

export type ErasedKind = ContactKind | "document";

const INFO = Buffer.from("remessa erased contacts v1");
const keys = new WeakMap<Buffer, Buffer>();

function hmacKey(secret: Buffer): Buffer {
  let key = keys.get(secret);
  if (!key) {
    key = Buffer.from(hkdfSync("sha256", secret, Buffer.alloc(0), INFO, 32));
    keys.set(secret, key);
  }
  return key;
}

/**
 * The keyed hash of a normalised value (phone digits, e-mail, document).
 * E-mails are compared without case: the reader keeps the local part's case.
 */
export function contactHash(kind: ErasedKind, value: string, secret: Buffer = secretKey()): string {
  const canonical = kind === "email" ? value.trim().toLowerCase() : value.trim();
  return createHmac("sha256", hmacKey(secret)).update(`${kind}:${canonical}`).digest("hex");
}

/**
 * A lookup of the tenant's erased contacts for the mailing reader, or null
 * when there are none (the common case: no hashing per row then).
 */
export async function erasedContactLookup(
  db: Kysely<Database>,
  tenantId: number,
): Promise<((kind: ContactKind, value: string) => boolean) | null> {
  const rows = await db
    .selectFrom("erased_contacts")
    .select(["kind", "hash"])
    .where("tenant_id", "=", tenantId)
    .where("kind", "in", ["phone", "email"])
    .execute();
  if (rows.length === 0) return null;
  const hashes = new Set(rows.map((r) => r.hash));
  const secret = secretKey();
  return (kind, value) => hashes.has(contactHash(kind, value, secret));
}

/** `lookup` widened to the erased contacts too (either one restricts). */
export async function withErasedContacts(
  db: Kysely<Database>,
  tenantId: number,
  lookup: ((kind: ContactKind, value: string) => boolean) | undefined,
): Promise<((kind: ContactKind, value: string) => boolean) | undefined> {
  const erased = await erasedContactLookup(db, tenantId);
  if (!erased) return lookup;
  if (!lookup) return erased;
  return (kind, value) => lookup(kind, value) || erased(kind, value);
}

/** Hashes looked up per statement (one indexed probe each, on the primary key). */
const HASH_BATCH = 2000;

/**
 * Which of these values were an erased person's contacts (their keyed hash is
 * in `erased_contacts`). One hash may stand for several values (e-mails
 * differing only in case): each of them is returned. Hashes are looked up in
 * batches of HASH_BATCH.
 */
export async function erasedAmong(
  db: Kysely<Database>,
  tenantId: number,
  kind: ContactKind,
  values: readonly string[],
  secret: Buffer = secretKey(),
): Promise<Set<string>> {
  const found = new Set<string>();
  const byHash = new Map<string, string[]>();
  for (const value of values) {
    const hash = contactHash(kind, value, secret);
    const same = byHash.get(hash);
    if (same) same.push(value);
    else byHash.set(hash, [value]);
  }
  const hashes = [...byHash.keys()];
  for (let i = 0; i < hashes.length; i += HASH_BATCH) {
    const rows = await db
      .selectFrom("erased_contacts")
      .select("hash")
      .where("tenant_id", "=", tenantId)
      .where("kind", "=", kind)
      .where("hash", "in", hashes.slice(i, i + HASH_BATCH))
      .execute();
    for (const r of rows) for (const value of byHash.get(r.hash) ?? []) found.add(value);
  }
  return found;
}

/** People read per statement when looking for erased contacts in a mailing. */
const MAILING_BATCH = 5000;

/**
 * The contacts of `contactKind` in a mailing that belonged to an erased
 * person (their keyed hash is in `erased_contacts`), as the plain values the
 * file brought back, for campaign planning to leave out as restricted.
 *
 * The hash needs the secret key, so it is computed here, not in SQL: one
 * pass over the mailing's people (a cursor on the primary key), each
 * destination contact hashed once, the hashes looked up in batches. The pass
 * only runs when the tenant has erased contacts of that kind at all (one
 * indexed probe); the common case, none, costs nothing more. The answer is
 * nearly always empty or tiny, so planning's own statement stays as it was.
 */
export async function erasedContactsInMailing(
  db: Kysely<Database>,
  tenantId: number,
  mailingId: number,
  contactKind: "mobile" | "email",
): Promise<string[]> {
  const kind: ContactKind = contactKind === "email" ? "email" : "phone";
  const any = await db
    .selectFrom("erased_contacts")
    .select("hash")
    .where("tenant_id", "=", tenantId)
    .where("kind", "=", kind)
    .limit(1)
    .executeTakeFirst();
  if (!any) return [];
  const secret = secretKey();
  const found = new Set<string>();
  let pending: string[] = [];
  const flush = async () => {
    for (const value of await erasedAmong(db, tenantId, kind, pending, secret)) found.add(value);
    pending = [];
  };
  let after = -1;
  for (;;) {
    const people = await db
      .selectFrom("mailing_persons")
      .select(["person_id", "channels_json"])
      .where("mailing_id", "=", mailingId)
      .where("person_id", ">", after)
      .orderBy("person_id")
      .limit(MAILING_BATCH)
      .execute();
    const last = people.at(-1);
    if (last === undefined) break;
    after = Number(last.person_id);
    for (const p of people) {
      for (const c of JSON.parse(p.channels_json) as { kind: string; value: string }[]) {
        if (c.kind !== contactKind) continue;
        pending.push(c.value);
        if (pending.length >= HASH_BATCH) await flush();
      }
    }
  }
  await flush();
  return [...found];
}
