/**
 * Notification events and the outbox (issue 13). `enqueue` writes one row per
 * configured target (webhook, e-mail) with the event's JSON body, on the
 * connection it is given: the callers pass the transaction that records the
 * event itself (a file reported, campaigns ended, a failing source marked as
 * notified), so an event is written with its notification or not at all. The
 * (tenant, target, dedup key) unique key makes a second write of the same
 * event a no-op. Delivery is the worker's (worker.ts).
 *
 * The hooks below are what the core modules declare they call
 * (`FileFinishedHook` in the ingest pipeline, `CampaignsEndedHook` in the
 * campaign lifecycle); the source-failure check is a sweep over the sources'
 * own failure state (file_sources.failing_since).
 */
import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { CampaignsEndedHook } from "../campaigns/lifecycle.js";
import type { FileFinishedHook } from "../ingest/pipeline.js";
import type { Store } from "../store/db.js";
import type { Database, MailingRow, NotificationTarget } from "../store/schema.js";

export type NotificationEvent =
  | "file.accepted"
  | "file.discarded"
  | "file.failed"
  | "campaign.finished"
  | "campaign.expired"
  | "campaign.cancelled"
  | "source.failing"
  | "test";

export const EVENTS: readonly NotificationEvent[] = [
  "file.accepted",
  "file.discarded",
  "file.failed",
  "campaign.finished",
  "campaign.expired",
  "campaign.cancelled",
  "source.failing",
  "test",
];

/** The webhook's JSON body (the same object is the e-mail's source). */
export interface EventBody {
  /** Unique per event, the same on every target and every retry: receivers drop repeats by it. */
  id: string;
  event: NotificationEvent;
  tenantId: number;
  /** When the event happened (UTC). */
  occurredAt: string;
  data: Record<string, unknown>;
}

export interface NewEvent {
  event: NotificationEvent;
  /** What makes it unique for the tenant, e.g. "mailing:12". */
  dedupKey: string;
  occurredAt: string;
  data: Record<string, unknown>;
}

type Db = Kysely<Database>;

/**
 * Writes the event's notifications on `db` (pass the event's transaction).
 * Nothing when the tenant has no notification settings. Returns the targets
 * written.
 */
export async function enqueue(
  db: Db,
  tenantId: number,
  event: NewEvent,
  now: string = new Date().toISOString(),
): Promise<NotificationTarget[]> {
  const settings = await db
    .selectFrom("notification_settings")
    .select(["webhook_url", "emails_json"])
    .where("tenant_id", "=", tenantId)
    .executeTakeFirst();
  if (!settings) return [];
  const targets: NotificationTarget[] = [];
  if (settings.webhook_url) targets.push("webhook");
  if ((JSON.parse(settings.emails_json) as string[]).length > 0) targets.push("email");
  if (targets.length === 0) return [];
  const body: EventBody = {
    id: `evt_${randomUUID()}`,
    event: event.event,
    tenantId,
    occurredAt: event.occurredAt,
    data: event.data,
  };
  await db
    .insertInto("notifications")
    .values(
      targets.map((target) => ({
        tenant_id: tenantId,
        event_id: body.id,
        event: event.event,
        dedup_key: event.dedupKey,
        target,
        payload_json: JSON.stringify(body),
        next_attempt_at: now,
        created_at: now,
      })),
    )
    .onConflict((oc) => oc.columns(["tenant_id", "target", "dedup_key"]).doNothing())
    .execute();
  return targets;
}

// ---- files ---------------------------------------------------------------

interface Problem {
  code: string;
  message: string;
  param?: string | null;
}

/** What a file's notification says: its outcome, counts and every reason. */
export function fileEvent(row: MailingRow, now: string): NewEvent {
  const base = {
    mailingId: row.id,
    fileName: row.file_name,
    sourceId: row.source_id,
    folder: row.folder,
    movedTo: row.moved_to,
    reports: JSON.parse(row.reports_json ?? "[]") as string[],
  };
  if (row.state === "failed") {
    return {
      event: "file.failed",
      dedupKey: `mailing:${row.id}`,
      occurredAt: now,
      data: { ...base, reason: row.last_error },
    };
  }
  if (row.outcome === "accepted") {
    return {
      event: "file.accepted",
      dedupKey: `mailing:${row.id}`,
      occurredAt: now,
      data: {
        ...base,
        rows: row.rows,
        persons: row.persons,
        inserted: row.inserted,
        updated: row.updated,
        rejectedRows: row.rejected,
        rejected: JSON.parse(row.rejected_json ?? "{}") as Record<string, number>,
      },
    };
  }
  const problems = JSON.parse(row.errors_json ?? "[]") as Problem[];
  return {
    event: "file.discarded",
    dedupKey: `mailing:${row.id}`,
    occurredAt: now,
    data: {
      ...base,
      reasons: problems.map((p) => ({ code: p.code, message: p.message })),
    },
  };
}

/** The default FileFinishedHook: the file's outcome to the tenant's targets. */
export const notifyFileFinished: FileFinishedHook = async (trx, row, now) => {
  await enqueue(trx, row.tenant_id, fileEvent(row, now), now);
};

// ---- campaigns -------------------------------------------------------------

/** The default CampaignsEndedHook: each ended campaign, with its counts by message status. */
export const notifyCampaignsEnded: CampaignsEndedHook = async (trx, ended) => {
  if (ended.length === 0) return;
  // Only tenants that want to hear about it pay for the counts.
  const wanting = new Set(
    (
      await trx
        .selectFrom("notification_settings")
        .select("tenant_id")
        .where(
          "tenant_id",
          "in",
          ended.map((c) => c.tenantId),
        )
        .execute()
    ).map((r) => Number(r.tenant_id)),
  );
  for (const c of ended) {
    if (!wanting.has(c.tenantId)) continue;
    const campaign = await trx
      .selectFrom("campaigns")
      .select(["name", "channel", "mailing_id", "audience", "start_at", "deadline_at"])
      .where("id", "=", c.id)
      .executeTakeFirst();
    const counts = await trx
      .selectFrom("messages")
      .select(["state", (eb) => eb.fn.countAll<number>().as("n")])
      .where("campaign_id", "=", c.id)
      .groupBy("state")
      .execute();
    await enqueue(
      trx,
      c.tenantId,
      {
        event: `campaign.${c.state}`,
        dedupKey: `campaign:${c.id}`,
        occurredAt: c.endedAt,
        data: {
          campaignId: c.id,
          name: campaign?.name ?? null,
          channel: campaign?.channel ?? null,
          mailingId: campaign?.mailing_id ?? null,
          state: c.state,
          startAt: campaign?.start_at ?? null,
          deadlineAt: campaign?.deadline_at ?? null,
          endedAt: c.endedAt,
          audience: campaign?.audience ?? null,
          messages: Object.fromEntries(counts.map((r) => [r.state, Number(r.n)])),
        },
      },
      c.endedAt,
    );
  }
};

// ---- sources ---------------------------------------------------------------

/**
 * Sources failing to poll for longer than their tenant's threshold, not yet
 * notified for this run of failures: each is marked notified and its
 * notification written in one transaction (the conditional mark makes two
 * sweeping processes notify once). Returns how many were notified.
 */
export async function sweepFailingSources(store: Store, now: Date): Promise<number> {
  const nowIso = now.toISOString();
  const candidates = await store.db
    .selectFrom("file_sources as s")
    .innerJoin("notification_settings as n", "n.tenant_id", "s.tenant_id")
    .select([
      "s.id",
      "s.tenant_id",
      "s.name",
      "s.failing_since",
      "s.failure_notified_at",
      "s.last_error",
      "s.failure_count",
      "s.last_success_at",
      "n.source_failure_minutes",
    ])
    .where("s.enabled", "=", 1)
    .where("s.failing_since", "is not", null)
    .where((eb) =>
      eb.or([
        eb("s.failure_notified_at", "is", null),
        eb("s.failure_notified_at", "<", eb.ref("s.failing_since")),
      ]),
    )
    .execute();
  let notified = 0;
  for (const s of candidates) {
    const since = s.failing_since as string;
    const minutes = Number(s.source_failure_minutes);
    if (Date.parse(since) + minutes * 60_000 > now.getTime()) continue;
    const done = await store.db.transaction().execute(async (trx) => {
      const marked = await trx
        .updateTable("file_sources")
        .set({ failure_notified_at: nowIso })
        .where("id", "=", s.id)
        .where("failing_since", "=", since)
        .where((eb) =>
          eb.or([
            eb("failure_notified_at", "is", null),
            eb("failure_notified_at", "<", eb.ref("failing_since")),
          ]),
        )
        .executeTakeFirst();
      if (Number(marked.numUpdatedRows) === 0) return false;
      await enqueue(
        trx,
        Number(s.tenant_id),
        {
          event: "source.failing",
          dedupKey: `source:${s.id}:${since}`,
          occurredAt: nowIso,
          data: {
            sourceId: s.id,
            name: s.name,
            failingSince: since,
            minutes: Math.floor((now.getTime() - Date.parse(since)) / 60_000),
            thresholdMinutes: minutes,
            failures: s.failure_count,
            lastError: s.last_error,
            lastSuccessAt: s.last_success_at,
          },
        },
        nowIso,
      );
      return true;
    });
    if (done) notified++;
  }
  return notified;
}
