/**
 * The WhatsApp Cloud API webhook (SPEC §8), on serve's HTTP port, open
 * (access "none": Meta calls it) and trusted only through Meta's proofs:
 * - GET: the subscription handshake — hub.mode=subscribe with our verify
 *   token → the hub.challenge echoed as plain text;
 * - POST: X-Hub-Signature-256 = HMAC-SHA256 of the exact bytes received
 *   under the Meta app's secret, else 403 and nothing is read. Then every
 *   status is applied through `applyDeliveryReceipt` (idempotent, monotonic:
 *   Meta delivers at least once and out of order) and every inbound message
 *   is recorded with `recordInbound` (de-duplicated by its id), so `_x`
 *   sees it; a reply of SAIR, PARE or STOP also adds the number to the
 *   restriction list of the wallet that wrote to it.
 *
 * The tenant is the one whose sender has the payload's phone_number_id.
 * The app secret and the verify token belong to the platform's Meta app (one
 * webhook URL per app, for every tenant's numbers), so they come from the
 * environment: REMESSA_WHATSAPP_APP_SECRET and REMESSA_WHATSAPP_VERIFY_TOKEN.
 * Without them the webhook refuses everything (it cannot tell Meta from
 * anyone else).
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { recordInbound } from "../../campaigns/interactions.js";
import { applyDeliveryReceipt, type ReceiptStatus } from "../../campaigns/receipts.js";
import { cloudError, cloudReason } from "../../channels/cloud-api-errors.js";
import { addRestriction } from "../../store/restrictions.js";
import { ValidationError } from "../../store/tenants.js";
import type { ApiDeps } from "../app.js";
import { ApiError } from "../errors.js";
import { route } from "../route.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The body as received (webhooks: the signature covers these bytes). */
    rawBody?: string;
  }
}

export const WEBHOOK_PATH = "/webhooks/whatsapp";

/** Replies that opt a person out (SPEC §7), compared without accents, case or punctuation. */
const OPT_OUT = new Set(["SAIR", "PARE", "STOP", "PARAR", "CANCELAR"]);

function env(name: string): string | null {
  const value = process.env[name]?.trim();
  return value ? value : null;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Whether `header` is Meta's signature of `raw` under `secret`. */
export function validHubSignature(
  raw: string,
  header: string | undefined,
  secret: string,
): boolean {
  if (!header?.startsWith("sha256=")) return false;
  const expected = createHmac("sha256", secret).update(raw, "utf8").digest("hex");
  return sameText(header.slice("sha256=".length).toLowerCase(), expected);
}

interface StatusItem {
  id?: unknown;
  status?: unknown;
  timestamp?: unknown;
  errors?: {
    code?: unknown;
    title?: unknown;
    message?: unknown;
    error_data?: { details?: unknown };
  }[];
}

interface MessageItem {
  from?: unknown;
  id?: unknown;
  timestamp?: unknown;
  type?: unknown;
  text?: { body?: unknown };
  button?: { text?: unknown; payload?: unknown };
  interactive?: { button_reply?: { title?: unknown }; list_reply?: { title?: unknown } };
}

function when(timestamp: unknown, fallback: Date): string {
  const seconds = Number(timestamp);
  return Number.isFinite(seconds) && seconds > 0
    ? new Date(seconds * 1000).toISOString()
    : fallback.toISOString();
}

function textOf(m: MessageItem): string | null {
  const candidates = [
    m.text?.body,
    m.button?.text,
    m.interactive?.button_reply?.title,
    m.interactive?.list_reply?.title,
  ];
  for (const c of candidates) if (typeof c === "string") return c;
  return null;
}

const answerSchema = z.object({
  statuses: z.object({
    applied: z.number().int(),
    duplicate: z.number().int(),
    stale: z.number().int(),
    unknown: z.number().int(),
  }),
  inbound: z.object({ recorded: z.number().int(), duplicate: z.number().int() }),
  optOuts: z.number().int(),
  ignored: z.number().int(),
});

export function whatsappWebhookRoutes(deps: ApiDeps) {
  const { store, log } = deps;
  return [
    route({
      method: "GET",
      url: WEBHOOK_PATH,
      summary: "Verificação do webhook do WhatsApp (Meta)",
      description:
        "A Meta chama esta rota ao cadastrar o webhook: com hub.mode=subscribe e o token de verificação igual a REMESSA_WHATSAPP_VERIFY_TOKEN, responde o hub.challenge em texto; senão 403.",
      tag: "whatsapp",
      access: "none",
      query: z.object({
        "hub.mode": z.string().optional(),
        "hub.verify_token": z.string().optional(),
        "hub.challenge": z.string().max(200).optional(),
      }),
      raw: { contentTypes: ["text/plain"], description: "O hub.challenge recebido" },
      errors: [403],
      handler: async ({ query, reply }) => {
        const expected = env("REMESSA_WHATSAPP_VERIFY_TOKEN");
        const token = query["hub.verify_token"];
        if (
          query["hub.mode"] !== "subscribe" ||
          expected === null ||
          token === undefined ||
          !sameText(token, expected) ||
          query["hub.challenge"] === undefined
        ) {
          log.warn("whatsapp webhook verification refused", {
            configured: expected !== null,
            mode: query["hub.mode"] ?? null,
          });
          throw new ApiError(
            "SEM_PERMISSAO",
            expected === null
              ? "Webhook do WhatsApp não configurado: defina REMESSA_WHATSAPP_VERIFY_TOKEN no serve."
              : "Token de verificação do webhook não confere.",
          );
        }
        await reply.type("text/plain; charset=utf-8").send(query["hub.challenge"]);
        return undefined;
      },
    }),
    route({
      method: "POST",
      url: WEBHOOK_PATH,
      summary: "Notificações do WhatsApp (Meta): status de mensagens e mensagens recebidas",
      description:
        "Aceita só o que vem assinado pela Meta (X-Hub-Signature-256 com o segredo do aplicativo, REMESSA_WHATSAPP_APP_SECRET); senão 403 e nada é lido. Status repetidos ou fora de ordem não voltam uma mensagem atrás.",
      tag: "whatsapp",
      access: "none",
      response: answerSchema,
      errors: [403],
      handler: async ({ request }) => {
        const secret = env("REMESSA_WHATSAPP_APP_SECRET");
        const signature = request.headers["x-hub-signature-256"];
        if (
          secret === null ||
          request.rawBody === undefined ||
          !validHubSignature(
            request.rawBody,
            typeof signature === "string" ? signature : undefined,
            secret,
          )
        ) {
          log.warn("whatsapp webhook refused: bad or missing signature", {
            configured: secret !== null,
            signed: typeof signature === "string",
          });
          throw new ApiError(
            "SEM_PERMISSAO",
            secret === null
              ? "Webhook do WhatsApp não configurado: defina REMESSA_WHATSAPP_APP_SECRET no serve."
              : "Assinatura X-Hub-Signature-256 ausente ou inválida.",
          );
        }
        return handleNotification(request.body, deps);
      },
    }),
  ];

  async function handleNotification(body: unknown, d: ApiDeps) {
    const answer = {
      statuses: { applied: 0, duplicate: 0, stale: 0, unknown: 0 },
      inbound: { recorded: 0, duplicate: 0 },
      optOuts: 0,
      ignored: 0,
    };
    const now = d.now();
    const entries = (body as { entry?: unknown } | null)?.entry;
    if (!Array.isArray(entries)) return answer;
    for (const entry of entries as { changes?: unknown }[]) {
      if (!Array.isArray(entry?.changes)) continue;
      for (const change of entry.changes as { field?: unknown; value?: unknown }[]) {
        if (change?.field !== "messages") {
          answer.ignored++;
          continue;
        }
        const value = (change.value ?? {}) as {
          metadata?: { phone_number_id?: unknown };
          statuses?: unknown;
          messages?: unknown;
        };
        const phoneNumberId = value.metadata?.phone_number_id;
        const sender =
          typeof phoneNumberId === "string"
            ? await store.db
                .selectFrom("senders")
                .select(["id", "tenant_id", "wallet_id"])
                .where("phone_number_id", "=", phoneNumberId)
                .executeTakeFirst()
            : undefined;
        if (!sender) {
          // Another system's number on the same Meta app: not ours to record.
          log.info("whatsapp webhook for an unknown number", {
            phoneNumberId: String(phoneNumberId),
          });
          answer.ignored++;
          continue;
        }
        const tenantId = Number(sender.tenant_id);
        for (const s of (Array.isArray(value.statuses) ? value.statuses : []) as StatusItem[]) {
          if (
            typeof s?.id !== "string" ||
            !["delivered", "read", "failed"].includes(String(s.status))
          ) {
            // "sent" is what the send's answer already said.
            answer.ignored++;
            continue;
          }
          const status = s.status as ReceiptStatus;
          let reason: string | null = null;
          if (status === "failed") {
            const e = Array.isArray(s.errors) ? s.errors[0] : undefined;
            const code = typeof e?.code === "number" ? e.code : null;
            const detail = e?.error_data?.details ?? e?.message ?? e?.title;
            reason = cloudReason(
              code,
              cloudError(code).meaning,
              typeof detail === "string" ? detail : null,
            );
          }
          const outcome = await applyDeliveryReceipt(store.db, {
            tenantId,
            providerId: s.id,
            status,
            at: when(s.timestamp, now),
            reason,
          });
          answer.statuses[outcome]++;
        }
        for (const m of (Array.isArray(value.messages) ? value.messages : []) as MessageItem[]) {
          if (typeof m?.from !== "string" || typeof m.id !== "string") {
            answer.ignored++;
            continue;
          }
          const text = textOf(m);
          let recorded: Awaited<ReturnType<typeof recordInbound>>;
          try {
            recorded = await recordInbound(store.db, {
              tenantId,
              channel: "whatsapp",
              address: m.from,
              at: when(m.timestamp, now),
              senderId: Number(sender.id),
              providerId: m.id,
              body: text,
            });
          } catch (error) {
            if (!(error instanceof ValidationError)) throw error;
            log.warn("whatsapp inbound message with an unusable number", { error: error.message });
            answer.ignored++;
            continue;
          }
          answer.inbound[recorded.created ? "recorded" : "duplicate"]++;
          const word = text
            ?.normalize("NFD")
            .replace(/\p{M}/gu, "")
            .replace(/[^\p{L}]/gu, "")
            .toUpperCase();
          if (recorded.created && word && OPT_OUT.has(word)) {
            const walletId = await walletThatWrote(tenantId, Number(sender.id), recorded.address);
            const target =
              walletId ?? (sender.wallet_id === null ? null : Number(sender.wallet_id));
            if (target !== null) {
              await addRestriction(
                store.db,
                tenantId,
                target,
                "phone",
                recorded.address,
                "Pediu para sair pelo WhatsApp",
              );
              answer.optOuts++;
            }
          }
        }
      }
    }
    return answer;
  }

  /** The wallet of the latest campaign of this number that wrote to the address. */
  async function walletThatWrote(
    tenantId: number,
    senderId: number,
    address: string,
  ): Promise<number | null> {
    const row = await store.db
      .selectFrom("messages as m")
      .innerJoin("campaigns as c", "c.id", "m.campaign_id")
      .select("c.wallet_id")
      .where("m.tenant_id", "=", tenantId)
      .where("m.address", "=", address)
      .where("c.sender_id", "=", senderId)
      .where("c.wallet_id", "is not", null)
      .orderBy("m.id", "desc")
      .limit(1)
      .executeTakeFirst();
    return row?.wallet_id == null ? null : Number(row.wallet_id);
  }
}
