/**
 * Privacy actions appended to `audit_events` (never updated). Details carry
 * counts, field names and the operator's reason, never the person's data:
 * the audit trail outlives an erasure.
 */
import type { Kysely } from "kysely";
import type { Database } from "../store/schema.js";

/**
 * Who acts: "cli:<user>", "retention", or an API key ("api:<key prefix>")
 * with `via`: which key (id, name) and the caller's address, kept in the
 * event's details so a change through the API says where it came from.
 */
export type AuditActor = string | { actor: string; via: Record<string, unknown> };

export interface AuditEntry {
  tenantId: number;
  actor: AuditActor;
  action: string;
  subject: string | null;
  details: Record<string, unknown> | null;
  at: string;
}

export function actorName(actor: AuditActor): string {
  return typeof actor === "string" ? actor : actor.actor;
}

/** The event's details with the actor's `via` (API key and address), if any. */
export function detailsWithVia(
  actor: AuditActor,
  details: Record<string, unknown> | null,
): Record<string, unknown> | null {
  if (typeof actor === "string") return details;
  return { ...(details ?? {}), via: actor.via };
}

export async function appendAudit(db: Kysely<Database>, entry: AuditEntry): Promise<void> {
  const details = detailsWithVia(entry.actor, entry.details);
  await db
    .insertInto("audit_events")
    .values({
      tenant_id: entry.tenantId,
      at: entry.at,
      actor: actorName(entry.actor),
      action: entry.action,
      subject: entry.subject,
      details_json: details === null ? null : JSON.stringify(details),
    })
    .execute();
}
