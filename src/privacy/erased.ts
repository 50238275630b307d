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
