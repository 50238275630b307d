/** Restriction (opt-out) lists: per wallet and channel kind ("phone" or "email"). */
import type { Kysely } from "kysely";
import { withErasedContacts } from "../privacy/erased.js";
import { type Database, nowIso } from "./schema.js";

export type RestrictionKind = "phone" | "email";

export async function addRestriction(
  db: Kysely<Database>,
  tenantId: number,
  walletId: number,
  kind: RestrictionKind,
  value: string,
  reason: string | null = null,
): Promise<void> {
  await db
    .insertInto("restrictions")
    .values({
      tenant_id: tenantId,
      wallet_id: walletId,
      channel_kind: kind,
      value,
      reason,
      created_at: nowIso(),
    })
    .onConflict((oc) => oc.columns(["tenant_id", "wallet_id", "channel_kind", "value"]).doNothing())
    .execute();
}

/**
 * The wallet's restriction list as a lookup for the mailing reader
 * (`isRestricted`), with the tenant's erased contacts (src/privacy/erased.ts).
 */
export async function loadRestrictionLookup(
  db: Kysely<Database>,
  tenantId: number,
  walletId: number,
): Promise<(kind: RestrictionKind, value: string) => boolean> {
  const rows = await db
    .selectFrom("restrictions")
    .select(["channel_kind", "value"])
    .where("tenant_id", "=", tenantId)
    .where("wallet_id", "=", walletId)
    .execute();
  const phones = new Set<string>();
  const emails = new Set<string>();
  for (const r of rows) (r.channel_kind === "email" ? emails : phones).add(r.value);
  const listed = (kind: RestrictionKind, value: string) =>
    (kind === "email" ? emails : phones).has(value);
  return (await withErasedContacts(db, tenantId, listed)) ?? listed;
}
