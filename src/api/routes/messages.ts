/**
 * Messages of the caller's tenant: search by destination, status, campaign
 * and period, newest first, paginated by cursor. A destination is normalised
 * as a mailing's contact is (phone: DDD + number; e-mail: domain in lower
 * case) and found through the person's contacts (person_channels' index),
 * then the person's messages (messages_person): messages are otherwise only
 * indexed by campaign, so the search never scans the table for it.
 */
import { DateTime } from "luxon";
import { z } from "zod";
import { MESSAGE_STATES } from "../../campaigns/overview.js";
import { normalizeEmail } from "../../mailing/email.js";
import { normalizePhone } from "../../mailing/phone.js";
import type { MessageRow } from "../../store/schema.js";
import { getTenant } from "../../store/tenants.js";
import type { ApiDeps } from "../app.js";
import { ApiError } from "../errors.js";
import { type AnyRoute, route } from "../route.js";
import { decodeIdCursor, encodeIdCursor } from "./cursor.js";
import { isoDate } from "./mailings.js";

const STATES = MESSAGE_STATES as readonly string[] as [string, ...string[]];

export const messageSchema = z
  .object({
    id: z.number().int(),
    campaignId: z.number().int(),
    personId: z.number().int(),
    channel: z.string().describe("mobile (SMS, WhatsApp) ou email"),
    destination: z.string(),
    body: z.string().nullable(),
    status: z.enum(STATES),
    attempts: z.number().int(),
    providerId: z.string().nullable(),
    error: z.string().nullable(),
    skipReason: z.string().nullable(),
    segments: z.number().int().nullable(),
    createdAt: z.string(),
    sentAt: z.string().nullable(),
    deliveredAt: z.string().nullable(),
    readAt: z.string().nullable(),
    failedAt: z.string().nullable(),
    skippedAt: z.string().nullable(),
    expiredAt: z.string().nullable(),
  })
  .meta({ id: "Message" });

export const messagePage = z.object({
  items: z.array(messageSchema),
  nextCursor: z.string().nullable(),
});

export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
};

type MessageFields = Pick<
  MessageRow,
  | "id"
  | "campaign_id"
  | "person_id"
  | "channel_kind"
  | "address"
  | "body"
  | "state"
  | "attempts"
  | "provider_id"
  | "error"
  | "skip_reason"
  | "segments"
  | "created_at"
  | "sent_at"
  | "delivered_at"
  | "read_at"
  | "failed_at"
  | "skipped_at"
  | "expired_at"
>;

const COLUMNS = [
  "id",
  "campaign_id",
  "person_id",
  "channel_kind",
  "address",
  "body",
  "state",
  "attempts",
  "provider_id",
  "error",
  "skip_reason",
  "segments",
  "created_at",
  "sent_at",
  "delivered_at",
  "read_at",
  "failed_at",
  "skipped_at",
  "expired_at",
] as const;

function view(m: MessageFields): z.input<typeof messageSchema> {
  return {
    id: m.id,
    campaignId: m.campaign_id,
    personId: m.person_id,
    channel: m.channel_kind,
    destination: m.address,
    body: m.body,
    status: m.state,
    attempts: Number(m.attempts),
    providerId: m.provider_id,
    error: m.error,
    skipReason: m.skip_reason,
    segments: m.segments,
    createdAt: m.created_at,
    sentAt: m.sent_at,
    deliveredAt: m.delivered_at,
    readAt: m.read_at,
    failedAt: m.failed_at,
    skippedAt: m.skipped_at,
    expiredAt: m.expired_at,
  };
}

/** A phone or e-mail as the import stored it, or a pt-BR refusal naming the query field. */
export function contactValue(raw: string, field: string, as: "phone" | "email" | "any"): string {
  const email = as === "email" || (as === "any" && raw.includes("@"));
  const result = email ? normalizeEmail(raw, false) : normalizePhone(raw, false);
  if (!result.ok) {
    throw new ApiError(
      "DADOS_INVALIDOS",
      `Dados inválidos na consulta da requisição (campo "${field}"): ${result.message}.`,
      [{ in: "query", path: field, message: result.message }],
    );
  }
  return result.value;
}

export interface MessageFilter {
  personId?: number;
  /** Normalised phone or e-mail. */
  destination?: string;
  status?: string;
  campaignId?: number;
  /** UTC bounds of created_at: [from, until). */
  from?: string;
  until?: string;
  beforeId?: number;
  limit: number;
}

/** One page of a tenant's messages, newest first. */
export async function searchMessages(
  deps: ApiDeps,
  tenantId: number,
  filter: MessageFilter,
): Promise<z.input<typeof messagePage>> {
  const { db } = deps.store;
  let q = db.selectFrom("messages").select(COLUMNS).where("tenant_id", "=", tenantId);
  if (filter.personId !== undefined) q = q.where("person_id", "=", filter.personId);
  if (filter.destination !== undefined) {
    const destination = filter.destination;
    q = q
      .where("address", "=", destination)
      .where("person_id", "in", (eb) =>
        eb
          .selectFrom("person_channels")
          .select("person_id")
          .where("tenant_id", "=", tenantId)
          .where("value", "=", destination),
      );
  }
  if (filter.status !== undefined) q = q.where("state", "=", filter.status as MessageRow["state"]);
  if (filter.campaignId !== undefined) q = q.where("campaign_id", "=", filter.campaignId);
  if (filter.from !== undefined) q = q.where("created_at", ">=", filter.from);
  if (filter.until !== undefined) q = q.where("created_at", "<", filter.until);
  if (filter.beforeId !== undefined) q = q.where("id", "<", filter.beforeId);
  const rows = await q
    .orderBy("id", "desc")
    .limit(filter.limit + 1)
    .execute();
  const page = rows.slice(0, filter.limit);
  const last = page[page.length - 1];
  return {
    items: page.map(view),
    nextCursor: rows.length > filter.limit && last ? encodeIdCursor(last.id) : null,
  };
}

export function messageRoutes(deps: ApiDeps): AnyRoute[] {
  const { db } = deps.store;
  /** A day of the tenant's calendar as UTC instants: [start of from, start of the day after to). */
  const period = async (tenantId: number, from?: string, to?: string) => {
    if (from === undefined && to === undefined) return {};
    const zone = (await getTenant(db, tenantId))?.time_zone ?? "America/Sao_Paulo";
    const instant = (date: string, plusDays: number) =>
      DateTime.fromISO(date, { zone }).plus({ days: plusDays }).toJSDate().toISOString();
    return {
      ...(from !== undefined ? { from: instant(from, 0) } : {}),
      ...(to !== undefined ? { until: instant(to, 1) } : {}),
    };
  };
  return [
    route({
      method: "GET",
      url: "/messages",
      summary: "Busca mensagens",
      description:
        "Da mais recente à mais antiga. Filtros: destination (telefone com DDD ou e-mail, escrito como no mailing), status, campaign (id), from/to (dia em que a mensagem foi criada, no fuso da empresa). Paginação: envie o nextCursor recebido em cursor.",
      tag: "mensagens",
      access: "tenant",
      query: z.strictObject({
        destination: z.string().min(1).max(254).optional(),
        status: z.enum(STATES).optional(),
        campaign: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
        from: isoDate.optional(),
        to: isoDate.optional(),
        ...pageQuery,
      }),
      response: messagePage,
      handler: async ({ tenantId, query }) =>
        searchMessages(deps, tenantId, {
          ...(query.destination !== undefined
            ? { destination: contactValue(query.destination, "destination", "any") }
            : {}),
          ...(query.status !== undefined ? { status: query.status } : {}),
          ...(query.campaign !== undefined ? { campaignId: query.campaign } : {}),
          ...(await period(tenantId, query.from, query.to)),
          ...(query.cursor !== undefined ? { beforeId: decodeIdCursor(query.cursor) } : {}),
          limit: query.limit,
        }),
    }),
  ];
}
