/**
 * Privacy actions appended to `audit_events` (never updated). Details carry
 * counts, field names and the operator's reason, never the person's data:
 * the audit trail outlives an erasure.
 */
import type { Kysely } from "kysely";
import type { Database } from "../store/schema.js";

export interface AuditEntry {
  tenantId: number;
  /** "cli:<user>", "api:<key prefix>", "retention". */
  actor: string;
  action: string;
  subject: string | null;
  details: Record<string, unknown> | null;
  at: string;
}

export async function appendAudit(db: Kysely<Database>, entry: AuditEntry): Promise<void> {
  await db
    .insertInto("audit_events")
    .values({
      tenant_id: entry.tenantId,
      at: entry.at,
      actor: entry.actor,
      action: entry.action,
      subject: entry.subject,
      details_json: entry.details === null ? null : JSON.stringify(entry.details),
    })
    .execute();
}
