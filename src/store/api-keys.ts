/**
 * Per-tenant API keys (SPEC §1, §10). A key is `rms_` + 43 base64url
 * characters (32 random bytes); only its SHA-256 is stored, with its first
 * characters (`prefix`) to tell keys apart in lists. The clear key exists
 * once, in the answer to `createApiKey`.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Kysely } from "kysely";
import type { ApiKeyScope, Database } from "./schema.js";
import { ValidationError } from "./tenants.js";

export const API_KEY_PREFIX = "rms_";
/** Characters of the key kept in clear to tell keys apart (`rms_` + 8). */
const SHOWN_CHARS = 12;
export const API_KEY_SCOPES: readonly ApiKeyScope[] = ["read", "write"];

export interface ApiKeySummary {
  id: number;
  tenantId: number;
  name: string;
  prefix: string;
  scope: ApiKeyScope;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** The key a caller presented, authenticated. */
export interface ApiKeyIdentity {
  id: number;
  tenantId: number;
  prefix: string;
  scope: ApiKeyScope;
}

export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/** Compares two hex digests in constant time (for the length they have). */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

function toSummary(row: {
  id: number;
  tenant_id: number;
  name: string;
  prefix: string;
  scope: ApiKeyScope;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}): ApiKeySummary {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    prefix: row.prefix,
    scope: row.scope,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

/** Creates a key; the answer's `key` is the only time the clear key exists. */
export async function createApiKey(
  db: Kysely<Database>,
  tenantId: number,
  input: { name: string; scope: ApiKeyScope },
  now: Date = new Date(),
): Promise<{ key: string; summary: ApiKeySummary }> {
  const name = input.name.trim();
  if (!name) throw new ValidationError("Informe um nome para a chave (quem ou o que vai usá-la).");
  if (name.length > 100) throw new ValidationError("O nome da chave pode ter até 100 caracteres.");
  if (!API_KEY_SCOPES.includes(input.scope)) {
    throw new ValidationError(
      `Escopo "${input.scope}" desconhecido: use read (só leitura) ou write (leitura e escrita).`,
    );
  }
  const key = API_KEY_PREFIX + randomBytes(32).toString("base64url");
  const row = await db
    .insertInto("api_keys")
    .values({
      tenant_id: tenantId,
      name,
      prefix: key.slice(0, SHOWN_CHARS),
      key_hash: hashApiKey(key),
      scope: input.scope,
      created_at: now.toISOString(),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { key, summary: toSummary(row) };
}

export async function listApiKeys(
  db: Kysely<Database>,
  tenantId: number,
): Promise<ApiKeySummary[]> {
  const rows = await db
    .selectFrom("api_keys")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .orderBy("id")
    .execute();
  return rows.map(toSummary);
}

/** Revokes a key of the tenant; false when it does not exist (or is another tenant's). */
export async function revokeApiKey(
  db: Kysely<Database>,
  tenantId: number,
  id: number,
  now: Date = new Date(),
): Promise<ApiKeySummary | null> {
  const row = await db
    .selectFrom("api_keys")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .executeTakeFirst();
  if (!row) return null;
  if (row.revoked_at !== null) return toSummary(row);
  const updated = await db
    .updateTable("api_keys")
    .set({ revoked_at: now.toISOString() })
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return toSummary(updated);
}

/**
 * The live key whose clear text is `key`, or null (unknown, malformed or
 * revoked: the caller cannot tell which). Looked up by its digest, then the
 * digests compared in constant time.
 */
export async function authenticateApiKey(
  db: Kysely<Database>,
  key: string,
): Promise<ApiKeyIdentity | null> {
  if (!key.startsWith(API_KEY_PREFIX) || key.length > 200) return null;
  const digest = hashApiKey(key);
  const row = await db
    .selectFrom("api_keys")
    .select(["id", "tenant_id", "prefix", "scope", "key_hash", "revoked_at"])
    .where("key_hash", "=", digest)
    .executeTakeFirst();
  if (!row || !sameDigest(row.key_hash, digest) || row.revoked_at !== null) return null;
  return { id: row.id, tenantId: row.tenant_id, prefix: row.prefix, scope: row.scope };
}

/** Records a use; at most once a minute per key, so reads do not turn into writes. */
export async function touchApiKey(
  db: Kysely<Database>,
  id: number,
  now: Date = new Date(),
): Promise<void> {
  const cutoff = new Date(now.getTime() - 60_000).toISOString();
  await db
    .updateTable("api_keys")
    .set({ last_used_at: now.toISOString() })
    .where("id", "=", id)
    .where((eb) => eb.or([eb("last_used_at", "is", null), eb("last_used_at", "<", cutoff)]))
    .execute();
}
