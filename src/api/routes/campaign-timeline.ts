/**
 * A campaign's messages over time: how many were sent, delivered, read, failed,
 * skipped or expired in each minute (or hour, for campaigns longer than six
 * hours), from the timestamps every state change leaves on the message. It is
 * what the console's chart draws; counted in the database, one GROUP BY per
 * status, so a million-message campaign answers without reading its messages.
 */
import { sql } from "kysely";
import { z } from "zod";
import type { ApiDeps } from "../app.js";
import { notFound } from "../errors.js";
import { type AnyRoute, route } from "../route.js";
import { idParam } from "./tenants.js";

/** Each event a message can go through, by the column that dates it. */
const EVENTS = {
  sent: "sent_at",
  delivered: "delivered_at",
  read: "read_at",
  failed: "failed_at",
  skipped: "skipped_at",
  expired: "expired_at",
} as const;
type Event = keyof typeof EVENTS;

/** Longer than this, buckets are hours (at most a few hundred points either way). */
const HOURLY_AFTER_MS = 6 * 3600_000;

const count = z.number().int();
const bucket = z.object({
  at: z.string().describe("Início do intervalo (UTC, ISO 8601)"),
  sent: count,
  delivered: count,
  read: count,
  failed: count,
  skipped: count,
  expired: count,
});

export function campaignTimelineRoutes(deps: ApiDeps): AnyRoute[] {
  const { db } = deps.store;
  return [
    route({
      method: "GET",
      url: "/campaigns/:id/timeline",
      summary: "Mensagens de uma campanha ao longo do tempo",
      description:
        "Quantas mensagens foram enviadas, entregues, lidas, falharam, foram puladas ou expiraram em cada minuto (ou hora, em campanhas de mais de seis horas), pela data de cada mudança de status.",
      tag: "campanhas",
      access: "tenant",
      params: idParam,
      response: z.object({ unit: z.enum(["minute", "hour"]), buckets: z.array(bucket) }),
      errors: [404],
      handler: async ({ tenantId, params }) => {
        const campaign = await db
          .selectFrom("campaigns")
          .select("id")
          .where("tenant_id", "=", tenantId)
          .where("id", "=", params.id)
          .executeTakeFirst();
        if (!campaign) throw notFound(`A campanha ${params.id}`);
        const span = await db
          .selectFrom("messages")
          .select([
            sql<string | null>`min(coalesce(sent_at, failed_at, skipped_at, expired_at))`.as(
              "first",
            ),
            sql<
              string | null
            >`max(coalesce(read_at, delivered_at, sent_at, failed_at, skipped_at, expired_at))`.as(
              "last",
            ),
          ])
          .where("campaign_id", "=", params.id)
          .where("tenant_id", "=", tenantId)
          .executeTakeFirst();
        const first = span?.first ? Date.parse(span.first) : Number.NaN;
        const last = span?.last ? Date.parse(span.last) : Number.NaN;
        const unit: "minute" | "hour" = last - first > HOURLY_AFTER_MS ? "hour" : "minute";
        // ISO text timestamps on both databases: the prefix is the bucket.
        const width = unit === "hour" ? 13 : 16;
        const rows: Map<string, Record<Event, number>> = new Map();
        for (const [event, column] of Object.entries(EVENTS) as [Event, string][]) {
          const counted = await db
            .selectFrom("messages")
            .select([
              sql<string>`substr(${sql.ref(column)}, 1, ${sql.lit(width)})`.as("at"),
              sql<number>`count(*)`.as("n"),
            ])
            .where("campaign_id", "=", params.id)
            .where("tenant_id", "=", tenantId)
            .where(sql.ref(column), "is not", null)
            .groupBy(sql`substr(${sql.ref(column)}, 1, ${sql.lit(width)})`)
            .execute();
          for (const r of counted) {
            const at = `${r.at}${unit === "hour" ? ":00" : ""}:00.000Z`;
            const row = rows.get(at) ?? {
              sent: 0,
              delivered: 0,
              read: 0,
              failed: 0,
              skipped: 0,
              expired: 0,
            };
            row[event] += Number(r.n);
            rows.set(at, row);
          }
        }
        const buckets = [...rows.entries()]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([at, counts]) => ({ at, ...counts }));
        return { unit, buckets };
      },
    }),
  ];
}
