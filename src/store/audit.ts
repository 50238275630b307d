/**
 * The audit trail (issue 15): who did what, to which object, when. Events are
 * only ever appended: nothing in remessa updates them, and migration 0015's
 * triggers refuse an UPDATE, and a DELETE of an event still within its
 * tenant's audit retention (`tenants.audit_retention_days`, default 5 years),
 * on both databases.
 */
import type { Kysely } from "kysely";
import { type Database, nowIso } from "./schema.js";

export interface AuditInput {
  tenantId: number;
  /** "cli:<os user>", "api:<key prefix>", "api:admin", "poller:<host>"… */
  actor: string;
  /** What was done: "cli:wallets add", "restrictions.import", "POST /v1/…". */
  action: string;
  /** Which object (a wallet code, an id); never a person's data. */
  subject?: string | null;
  details?: Record<string, unknown> | null;
  at?: string;
}

export interface AuditEvent {
  id: number;
  at: string;
  actor: string;
  action: string;
  subject: string | null;
  details: Record<string, unknown> | null;
}

export async function appendAudit(db: Kysely<Database>, event: AuditInput): Promise<void> {
  await db
    .insertInto("audit_events")
    .values({
      tenant_id: event.tenantId,
      at: event.at ?? nowIso(),
      actor: event.actor,
      action: event.action,
      subject: event.subject ?? null,
      details_json: event.details ? JSON.stringify(event.details) : null,
    })
    .execute();
}

/** The tenant's events, oldest first, from `since` (ISO, inclusive) on. */
export async function listAudit(
  db: Kysely<Database>,
  tenantId: number,
  options: {
    since?: string;
    limit?: number;
    /** The last event of the previous page: the events that come after it in this order. */
    after?: { at: string; id: number };
  } = {},
): Promise<AuditEvent[]> {
  let query = db
    .selectFrom("audit_events")
    .select(["id", "at", "actor", "action", "subject", "details_json"])
    .where("tenant_id", "=", tenantId);
  if (options.since !== undefined) query = query.where("at", ">=", options.since);
  const after = options.after;
  if (after !== undefined) {
    // Keyset on (at, id), the list's order: an event recorded with an earlier
    // time after a later one (another process's clock) is neither skipped nor repeated.
    query = query.where((eb) =>
      eb.or([eb("at", ">", after.at), eb.and([eb("at", "=", after.at), eb("id", ">", after.id)])]),
    );
  }
  const rows = await query
    .orderBy("at")
    .orderBy("id")
    .limit(options.limit ?? 1000)
    .execute();
  return rows.map((r) => ({
    id: Number(r.id),
    at: r.at,
    actor: r.actor,
    action: r.action,
    subject: r.subject,
    details:
      r.details_json === null ? null : (JSON.parse(r.details_json) as Record<string, unknown>),
  }));
}
