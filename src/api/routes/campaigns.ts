/**
 * Campaigns of the caller's tenant: list (filters, cursor), detail with the
 * JSON of `remessa campaigns show --json` (counts by status, waves, forecast),
 * and the operator's pause, resume and cancel (campaigns/control.ts, the same
 * rules and pt-BR refusals as the CLI; a refusal is a conflict with the
 * campaign's current state: 409).
 */
import { z } from "zod";
import {
  CAMPAIGN_STATE_LABEL,
  cancelCampaign,
  pauseCampaign,
  resumeCampaign,
} from "../../campaigns/control.js";
import { MESSAGE_STATES, pageCampaigns, showCampaign } from "../../campaigns/overview.js";
import { ValidationError } from "../../store/tenants.js";
import { getWalletByCode } from "../../store/wallets.js";
import type { ApiDeps } from "../app.js";
import { ApiError, notFound } from "../errors.js";
import { type AnyRoute, route } from "../route.js";
import { decodeIdCursor, encodeIdCursor } from "./cursor.js";
import { idParam } from "./tenants.js";

export const CAMPAIGN_STATES = Object.keys(CAMPAIGN_STATE_LABEL) as [string, ...string[]];

const counts = z
  .object(Object.fromEntries(MESSAGE_STATES.map((s) => [s, z.number().int()])))
  .meta({ id: "MessageCounts", description: "Mensagens por status" });

const campaignSummary = z
  .object({
    id: z.number().int(),
    mailingId: z.number().int().nullable(),
    channel: z.string().describe("sms, whatsapp ou email"),
    status: z.enum(CAMPAIGN_STATES),
    audience: z.number().int(),
    counts,
  })
  .meta({ id: "CampaignSummary" });

const campaignDetail = campaignSummary
  .extend({
    waves: z.array(
      z.object({
        index: z.number().int(),
        plannedAt: z.string(),
        startedAt: z.string().nullable(),
        size: z.number().int(),
        counts,
      }),
    ),
    forecastEnd: z.string().nullable().describe("Término previsto no planejamento (UTC)"),
  })
  .meta({ id: "CampaignDetail" });

const controlAnswer = z.object({
  id: z.number().int(),
  from: z.string().describe("Status anterior"),
  to: z.string().describe("Status novo"),
});

export function campaignRoutes(deps: ApiDeps): AnyRoute[] {
  const { db } = deps.store;
  const clock = () => deps.now().getTime();
  const missing = (id: number) => notFound(`A campanha ${id}`);
  const exists = async (tenantId: number, id: number) => {
    const row = await db
      .selectFrom("campaigns")
      .select("id")
      .where("tenant_id", "=", tenantId)
      .where("id", "=", id)
      .executeTakeFirst();
    if (!row) throw missing(id);
  };
  /** The control functions refuse in pt-BR with ValidationError: the campaign's state forbids it. */
  const control = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      if (error instanceof ValidationError) throw new ApiError("CONFLITO", error.message);
      throw error;
    }
  };
  return [
    route({
      method: "GET",
      url: "/campaigns",
      summary: "Lista as campanhas",
      description:
        "Da mais recente à mais antiga, cada uma como em `remessa campaigns list --json`. Filtros: status, wallet (código da carteira), mailing (id). Paginação: envie o nextCursor recebido em cursor.",
      tag: "campanhas",
      access: "tenant",
      query: z.strictObject({
        status: z.enum(CAMPAIGN_STATES).optional(),
        wallet: z.string().min(1).max(50).optional(),
        mailing: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
        limit: z.coerce.number().int().min(1).max(200).default(50),
        cursor: z.string().max(200).optional(),
      }),
      response: z.object({ items: z.array(campaignSummary), nextCursor: z.string().nullable() }),
      handler: async ({ tenantId, query }) => {
        let walletId: number | undefined;
        if (query.wallet !== undefined) {
          const wallet = await getWalletByCode(db, tenantId, query.wallet);
          // An unknown wallet has no campaigns (as the mailings' filter).
          if (!wallet) return { items: [], nextCursor: null };
          walletId = wallet.id;
        }
        const rows = await pageCampaigns(db, tenantId, {
          ...(query.status !== undefined ? { state: query.status } : {}),
          ...(walletId !== undefined ? { walletId } : {}),
          ...(query.mailing !== undefined ? { mailingId: query.mailing } : {}),
          ...(query.cursor !== undefined ? { beforeId: decodeIdCursor(query.cursor) } : {}),
          limit: query.limit + 1,
        });
        const page = rows.slice(0, query.limit);
        const last = page[page.length - 1];
        return {
          items: page.map((c) => c.summary),
          nextCursor: rows.length > query.limit && last ? encodeIdCursor(last.summary.id) : null,
        };
      },
    }),
    route({
      method: "GET",
      url: "/campaigns/:id",
      summary: "Detalhe de uma campanha",
      description:
        "A resposta de `remessa campaigns show --json`: contagens por status, ondas (cada uma com as suas contagens) e previsão de término.",
      tag: "campanhas",
      access: "tenant",
      params: idParam,
      response: campaignDetail,
      errors: [404],
      handler: async ({ tenantId, params }) => {
        const shown = await showCampaign(db, tenantId, params.id);
        if (!shown) throw missing(params.id);
        return shown.detail;
      },
    }),
    route({
      method: "POST",
      url: "/campaigns/:id/pause",
      summary: "Pausa uma campanha",
      description:
        "Só uma campanha agendada ou em envio. Nada novo sai; mensagens já em envio terminam. Outro status: 409 com o motivo.",
      tag: "campanhas",
      access: "tenant",
      params: idParam,
      response: controlAnswer,
      errors: [404, 409],
      handler: async ({ tenantId, params }) => {
        await exists(tenantId, params.id);
        return control(() => pauseCampaign(db, tenantId, params.id, clock));
      },
    }),
    route({
      method: "POST",
      url: "/campaigns/:id/resume",
      summary: "Retoma uma campanha pausada",
      description:
        "Volta a em envio (ou agendada, se nada saiu ainda); nada é enviado duas vezes. Outro status: 409.",
      tag: "campanhas",
      access: "tenant",
      params: idParam,
      response: controlAnswer,
      errors: [404, 409],
      handler: async ({ tenantId, params }) => {
        await exists(tenantId, params.id);
        return control(() => resumeCampaign(db, tenantId, params.id, clock));
      },
    }),
    route({
      method: "POST",
      url: "/campaigns/:id/cancel",
      summary: "Cancela uma campanha",
      description:
        "Uma campanha agendada, em envio ou pausada: as mensagens pendentes não serão enviadas (CAMPANHA_CANCELADA); as em envio terminam. Campanha já encerrada: 409.",
      tag: "campanhas",
      access: "tenant",
      params: idParam,
      response: controlAnswer.extend({
        skipped: z.number().int().describe("Mensagens pendentes que não serão enviadas"),
        inFlight: z.number().int().describe("Mensagens em envio, que terminam"),
      }),
      errors: [404, 409],
      handler: async ({ tenantId, params }) => {
        await exists(tenantId, params.id);
        return control(() => cancelCampaign(db, tenantId, params.id, clock));
      },
    }),
  ];
}
