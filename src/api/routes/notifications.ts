/**
 * Notifications of the caller's tenant (issue 13): the settings (webhook URL
 * and e-mail addresses; the webhook's signing secret is returned once, when
 * generated), a test send to every target, and the delivery log.
 */
import { z } from "zod";
import { listDeliveries } from "../../notifications/deliveries.js";
import { EVENTS } from "../../notifications/events.js";
import {
  getNotificationSettings,
  type NotificationSettings,
  saveNotificationSettings,
} from "../../notifications/settings.js";
import { NotificationWorker } from "../../notifications/worker.js";
import type { ApiDeps } from "../app.js";
import { type AnyRoute, route } from "../route.js";
import { decodeIdCursor as decodeCursor, encodeIdCursor as encodeCursor } from "./cursor.js";

const settingsSchema = z
  .object({
    webhookUrl: z.string().nullable(),
    hasWebhookSecret: z
      .boolean()
      .describe("Há segredo de assinatura guardado (ele só é mostrado quando é gerado)"),
    emails: z.array(z.string()),
    sourceFailureMinutes: z
      .number()
      .int()
      .describe("Uma origem que não consegue ser lida há mais que isso é avisada (uma vez)"),
    updatedAt: z.string().nullable(),
  })
  .meta({ id: "NotificationSettings" });

function view(s: NotificationSettings): z.input<typeof settingsSchema> {
  return {
    webhookUrl: s.webhookUrl,
    hasWebhookSecret: s.hasWebhookSecret,
    emails: s.emails,
    sourceFailureMinutes: s.sourceFailureMinutes,
    updatedAt: s.updatedAt,
  };
}

const deliverySchema = z
  .object({
    id: z.number().int(),
    notificationId: z.number().int(),
    eventId: z.string(),
    event: z.string(),
    target: z.enum(["webhook", "email"]),
    attempt: z.number().int(),
    at: z.string(),
    ok: z.boolean(),
    statusCode: z.number().int().nullable().describe("Resposta HTTP do webhook (ou código SMTP)"),
    error: z.string().nullable(),
    durationMs: z.number().int(),
    notificationStatus: z
      .enum(["pending", "delivered", "failed"])
      .describe("pending: haverá nova tentativa; failed: o remessa desistiu"),
    nextAttemptAt: z.string().nullable(),
  })
  .meta({ id: "NotificationDelivery" });

export function notificationRoutes(deps: ApiDeps): AnyRoute[] {
  const { db } = deps.store;
  return [
    route({
      method: "GET",
      url: "/notifications/settings",
      summary: "As configurações de notificação",
      tag: "notificações",
      access: "tenant",
      response: settingsSchema,
      handler: async ({ tenantId }) => view(await getNotificationSettings(db, tenantId)),
    }),
    route({
      method: "PUT",
      url: "/notifications/settings",
      summary: "Altera as configurações de notificação",
      description:
        "Só os campos enviados mudam. webhookUrl: https:// (null remove o webhook e o seu segredo). Ao cadastrar o primeiro webhook (ou com rotateSecret), um segredo de assinatura é gerado e devolvido em webhookSecret UMA única vez: guarde-o para conferir X-Remessa-Signature. Eventos: arquivo aceito, descartado ou com falha; campanha terminada ou expirada; origem sem leitura há mais de sourceFailureMinutes.",
      tag: "notificações",
      access: "tenant",
      body: z.strictObject({
        webhookUrl: z.string().min(1).max(2000).nullable().optional(),
        emails: z.array(z.string().max(254)).max(50).optional(),
        sourceFailureMinutes: z.number().int().min(1).max(10080).optional(),
        rotateSecret: z.boolean().optional(),
      }),
      response: settingsSchema.extend({
        webhookSecret: z
          .string()
          .nullable()
          .describe("O segredo de assinatura, só quando gerado agora; depois, nunca mais"),
      }),
      errors: [422],
      handler: async ({ tenantId, body }) => {
        const saved = await saveNotificationSettings(
          db,
          tenantId,
          {
            ...(body.webhookUrl !== undefined ? { webhookUrl: body.webhookUrl } : {}),
            ...(body.emails !== undefined ? { emails: body.emails } : {}),
            ...(body.sourceFailureMinutes !== undefined
              ? { sourceFailureMinutes: body.sourceFailureMinutes }
              : {}),
            ...(body.rotateSecret !== undefined ? { rotateSecret: body.rotateSecret } : {}),
          },
          deps.notifyPolicy,
          { now: deps.now(), ...(deps.secretKey ? { key: deps.secretKey } : {}) },
        );
        return { ...view(saved.settings), webhookSecret: saved.webhookSecret };
      },
    }),
    route({
      method: "POST",
      url: "/notifications/test",
      summary: "Envia uma notificação de teste",
      description:
        'Um evento "test" a cada destino configurado (webhook e e-mail), enviado na hora, uma tentativa só (registrada no histórico de entregas). A resposta é 200 com o veredito de cada destino, também quando a entrega falha; items vazio quando não há destino configurado.',
      tag: "notificações",
      access: "tenant",
      write: true,
      response: z.object({
        items: z.array(
          z.object({
            notificationId: z.number().int(),
            target: z.enum(["webhook", "email"]),
            ok: z.boolean(),
            statusCode: z.number().int().nullable(),
            error: z.string().nullable(),
          }),
        ),
      }),
      handler: async ({ tenantId }) => {
        const worker = new NotificationWorker({
          store: deps.store,
          log: deps.log,
          policy: deps.notifyPolicy,
          clock: deps.now,
          ...(deps.secretKey ? { secretKey: deps.secretKey } : {}),
        });
        const outcomes = await worker.sendTest(tenantId);
        return {
          items: outcomes.map((o) => ({
            notificationId: o.notificationId,
            target: o.target,
            ok: o.ok,
            statusCode: o.statusCode,
            error: o.error,
          })),
        };
      },
    }),
    route({
      method: "GET",
      url: "/notifications/deliveries",
      summary: "O histórico de entregas das notificações",
      description:
        "Cada tentativa de entrega, da mais recente à mais antiga: evento, destino, número da tentativa, resposta HTTP, erro e a situação da notificação (pending: haverá nova tentativa, com espera crescente; failed: o remessa desistiu). Filtros: event, ok. Paginação: envie o nextCursor recebido em cursor.",
      tag: "notificações",
      access: "tenant",
      query: z.strictObject({
        event: z.enum(EVENTS).optional(),
        ok: z.enum(["true", "false"]).optional(),
        limit: z.coerce.number().int().min(1).max(200).default(50),
        cursor: z.string().max(200).optional(),
      }),
      response: z.object({ items: z.array(deliverySchema), nextCursor: z.string().nullable() }),
      handler: async ({ tenantId, query }) => {
        const rows = await listDeliveries(db, tenantId, {
          limit: query.limit + 1,
          ...(query.cursor !== undefined ? { beforeId: decodeCursor(query.cursor) } : {}),
          ...(query.event !== undefined ? { event: query.event } : {}),
          ...(query.ok !== undefined ? { ok: query.ok === "true" } : {}),
        });
        const page = rows.slice(0, query.limit);
        const last = page[page.length - 1];
        return {
          items: page,
          nextCursor: rows.length > query.limit && last ? encodeCursor(last.id) : null,
        };
      },
    }),
  ];
}
