/**
 * The delivery log of a tenant's notifications, newest first, a page at a
 * time (keyset on the attempt's id): for the API and the CLI.
 */
import type { Kysely } from "kysely";
import type { Database, NotificationStatus, NotificationTarget } from "../store/schema.js";

export interface DeliveryEntry {
  id: number;
  notificationId: number;
  eventId: string;
  event: string;
  target: NotificationTarget;
  attempt: number;
  at: string;
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  /** Where the notification stands now (pending: another attempt will come). */
  notificationStatus: NotificationStatus;
  nextAttemptAt: string | null;
}

export async function listDeliveries(
  db: Kysely<Database>,
  tenantId: number,
  options: { beforeId?: number; limit: number; event?: string; ok?: boolean },
): Promise<DeliveryEntry[]> {
  let q = db
    .selectFrom("notification_deliveries as d")
    .innerJoin("notifications as n", "n.id", "d.notification_id")
    .select([
      "d.id",
      "d.notification_id",
      "d.attempt",
      "d.at",
      "d.ok",
      "d.status_code",
      "d.error",
      "d.duration_ms",
      "n.event_id",
      "n.event",
      "n.target",
      "n.status",
      "n.next_attempt_at",
    ])
    .where("d.tenant_id", "=", tenantId)
    .where("n.tenant_id", "=", tenantId);
  if (options.beforeId !== undefined) q = q.where("d.id", "<", options.beforeId);
  if (options.event !== undefined) q = q.where("n.event", "=", options.event);
  if (options.ok !== undefined) q = q.where("d.ok", "=", options.ok ? 1 : 0);
  const rows = await q.orderBy("d.id", "desc").limit(options.limit).execute();
  return rows.map((r) => ({
    id: Number(r.id),
    notificationId: Number(r.notification_id),
    eventId: r.event_id,
    event: r.event,
    target: r.target,
    attempt: Number(r.attempt),
    at: r.at,
    ok: Number(r.ok) === 1,
    statusCode: r.status_code === null ? null : Number(r.status_code),
    error: r.error,
    durationMs: Number(r.duration_ms),
    notificationStatus: r.status,
    nextAttemptAt: r.status === "pending" ? r.next_attempt_at : null,
  }));
}
