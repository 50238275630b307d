/**
 * WhatsApp Cloud API channel (provider "cloudapi", SPEC §8): every message is
 * a template message, POSTed to {base}/{version}/{phone-number-id}/messages
 * with the number's bearer token. The API takes one message per request, so
 * a batch goes out as parallel requests (at most `concurrency` at once; the
 * dispatcher's rate limit already paced the batch). The answer's `wamid` is
 * the message's provider id: the status webhook (src/api/routes/
 * whatsapp-webhook.ts) finds the message by it.
 *
 * Settings per sender (senders row): phone_number_id, token_enc (encrypted),
 * settings_json {baseUrl, apiVersion}; the platform's defaults come from
 * REMESSA_WHATSAPP_BASE_URL (https://graph.facebook.com) and
 * REMESSA_WHATSAPP_API_VERSION (v21.0). They are cached for a minute, so a
 * replaced token is picked up without a restart.
 *
 * The Cloud API has no idempotency key: a batch the dispatcher retries after
 * a timeout may reach some people twice (as with every channel; counted).
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Kysely } from "kysely";
import type {
  Channel,
  Clock,
  FilledTemplate,
  OutgoingMessage,
  SendResult,
} from "../campaigns/channel.js";
import { effectiveRate } from "../campaigns/rates.js";
import { type Logger, silentLogger } from "../log.js";
import type { Database } from "../store/schema.js";
import { decryptSecret } from "../store/secrets.js";
import { ArrivalWindow } from "./arrival-window.js";
import {
  type CloudErrorInfo,
  cloudError,
  cloudReason,
  SENDER_PAUSE_MS,
  throughputPauseMs,
} from "./cloud-api-errors.js";

export const DEFAULT_CLOUD_API_BASE = "https://graph.facebook.com";
export const DEFAULT_CLOUD_API_VERSION = "v21.0";

/** What the channel needs of a number to call the API for it. */
export interface CloudApiSender {
  senderId: number;
  phoneNumberId: string;
  token: string;
  baseUrl: string;
  apiVersion: string;
  /** The WhatsApp Business Account id (WABA), when registered. */
  businessAccountId?: string | null;
  /** Messages per second the dispatcher paces the number at. */
  ratePerSecond?: number;
}

/** The Graph API error object (inside `{"error": …}`). */
export interface GraphError {
  message?: string;
  type?: string;
  code?: number;
  error_subcode?: number;
  error_data?: { messaging_product?: string; details?: string };
  fbtrace_id?: string;
}

export interface CloudApiOptions {
  db: Kysely<Database>;
  env?: Readonly<Record<string, string | undefined>>;
  clock?: Clock;
  log?: Logger;
  /** Requests in flight per `send` call. Default 16. */
  concurrency?: number;
  /** How long a sender's settings are reused. Default 60 s. */
  cacheMs?: number;
  /** Key for token_enc (default: the configured one). */
  secretKey?: Buffer;
}

/** The platform's base URL and API version (env), for senders without their own. */
export function cloudApiDefaults(env: Readonly<Record<string, string | undefined>> = process.env): {
  baseUrl: string;
  apiVersion: string;
} {
  return {
    baseUrl: (env.REMESSA_WHATSAPP_BASE_URL?.trim() || DEFAULT_CLOUD_API_BASE).replace(/\/+$/, ""),
    apiVersion: env.REMESSA_WHATSAPP_API_VERSION?.trim() || DEFAULT_CLOUD_API_VERSION,
  };
}

/** A sender's Cloud API settings from its row, or a pt-BR problem. */
export function cloudApiSenderFrom(
  row: {
    id: number;
    phone_number_id: string | null;
    token_enc: string | null;
    settings_json: string | null;
    rate_per_second?: number | null;
  },
  env: Readonly<Record<string, string | undefined>> = process.env,
  secretKey?: Buffer,
): CloudApiSender | string {
  if (!row.phone_number_id || !row.token_enc) {
    return `Remetente ${row.id} sem identificador do número ou token da Cloud API: cadastre-o de novo com --provider cloudapi.`;
  }
  const defaults = cloudApiDefaults(env);
  let settings: { baseUrl?: unknown; apiVersion?: unknown; businessAccountId?: unknown } = {};
  try {
    settings = row.settings_json ? JSON.parse(row.settings_json) : {};
  } catch {
    settings = {};
  }
  let token: string;
  try {
    token = secretKey ? decryptSecret(row.token_enc, secretKey) : decryptSecret(row.token_enc);
  } catch (error) {
    return (error as Error).message;
  }
  return {
    senderId: Number(row.id),
    phoneNumberId: row.phone_number_id,
    token,
    baseUrl:
      typeof settings.baseUrl === "string" && settings.baseUrl
        ? settings.baseUrl.replace(/\/+$/, "")
        : defaults.baseUrl,
    apiVersion:
      typeof settings.apiVersion === "string" && settings.apiVersion
        ? settings.apiVersion
        : defaults.apiVersion,
    businessAccountId:
      typeof settings.businessAccountId === "string" && settings.businessAccountId
        ? settings.businessAccountId
        : null,
    ratePerSecond: effectiveRate("whatsapp", row.rate_per_second),
  };
}

/**
 * The `components` of a template message, as the Cloud API documents them:
 * header (text parameters, or an image/video/document by link), body (text
 * parameters), and one `button` per URL button with a dynamic suffix
 * (sub_type url, a text parameter) or quick-reply button (sub_type
 * quick_reply, a payload parameter), index as a string. Parts without
 * parameters are left out.
 */
export function templateComponents(t: FilledTemplate): Record<string, unknown>[] {
  const components: Record<string, unknown>[] = [];
  const header = t.header;
  if (header?.type === "text") {
    if (header.params.length > 0) {
      components.push({
        type: "header",
        parameters: header.params.map((text) => ({ type: "text", text })),
      });
    }
  } else if (header) {
    components.push({
      type: "header",
      parameters: [{ type: header.type, [header.type]: { link: header.link } }],
    });
  }
  if (t.params.length > 0) {
    components.push({ type: "body", parameters: t.params.map((text) => ({ type: "text", text })) });
  }
  for (const b of t.buttons ?? []) {
    components.push(
      b.type === "quick_reply"
        ? {
            type: "button",
            sub_type: "quick_reply",
            index: String(b.index),
            parameters: [{ type: "payload", payload: b.param }],
          }
        : {
            type: "button",
            sub_type: "url",
            index: String(b.index),
            parameters: [{ type: "text", text: b.param }],
          },
    );
  }
  return components;
}

/** The request body of one template message, as the Cloud API documents it. */
export function templateRequest(m: OutgoingMessage): Record<string, unknown> {
  const t = m.template;
  if (!t) throw new Error("mensagem WhatsApp sem template");
  const components = templateComponents(t);
  return {
    messaging_product: "whatsapp",
    recipient_type: "individual",
    to: m.to,
    type: "template",
    template: {
      name: t.name,
      language: { code: t.language },
      ...(components.length > 0 ? { components } : {}),
    },
  };
}

function senderIdOf(key: string): number | null {
  const m = /^sender:(\d+)$/.exec(key);
  return m ? Number(m[1]) : null;
}

/** A Graph API answer is a few hundred bytes; past this it is not one, and reading stops. */
const MAX_ANSWER_BYTES = 256 * 1024;

export async function readJson(response: Response): Promise<unknown> {
  const reader = response.body?.getReader();
  if (!reader) return null;
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_ANSWER_BYTES) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

/** The `error` object of an answer, if it has one. */
export function graphError(body: unknown): GraphError | null {
  const e = (body as { error?: unknown } | null)?.error;
  return e && typeof e === "object" ? (e as GraphError) : null;
}

export class CloudApiChannel implements Channel {
  readonly provider = "cloudapi";
  private closed = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly senders = new Map<number, { value: CloudApiSender | string; until: number }>();
  /** Numbers Meta refused as a whole (token, account): left alone until then. */
  private readonly paused = new Map<number, { until: number; reason: string }>();
  /** Per number: when its requests may have reached Meta (arrival-window.ts). */
  private readonly arrivals = new Map<number, ArrivalWindow>();
  /** A number's last 130429 pause: a refusal soon after it makes the next one longer. */
  private readonly overCap = new Map<number, { at: number; pauseMs: number; streak: number }>();
  private readonly env: Readonly<Record<string, string | undefined>>;
  private readonly clock: Clock;
  private readonly log: Logger;

  constructor(private readonly options: CloudApiOptions) {
    this.env = options.env ?? process.env;
    this.clock = options.clock ?? Date.now;
    this.log = options.log ?? silentLogger;
  }

  async send(batch: readonly OutgoingMessage[], signal?: AbortSignal): Promise<SendResult[]> {
    if (this.closed) throw new Error("canal cloudapi já fechado");
    signal?.throwIfAborted();
    if (batch.length === 0) return [];
    const work = this.sendAll(batch, signal);
    this.inFlight.add(work);
    try {
      return await work;
    } finally {
      this.inFlight.delete(work);
    }
  }

  private async settings(senderId: number): Promise<CloudApiSender | string> {
    const now = this.clock();
    const cached = this.senders.get(senderId);
    if (cached && cached.until > now) return cached.value;
    const row = await this.options.db
      .selectFrom("senders")
      .select(["id", "phone_number_id", "token_enc", "settings_json", "rate_per_second"])
      .where("id", "=", senderId)
      .executeTakeFirst();
    const value = row
      ? cloudApiSenderFrom(row, this.env, this.options.secretKey)
      : `Remetente ${senderId} não existe mais.`;
    // A token replaced meanwhile ends a pause: it may be the fix.
    const previous = cached?.value;
    if (
      typeof value !== "string" &&
      typeof previous !== "string" &&
      previous !== undefined &&
      previous.token !== value.token
    ) {
      this.paused.delete(senderId);
    }
    this.senders.set(senderId, { value, until: now + (this.options.cacheMs ?? 60_000) });
    return value;
  }

  private async sendAll(
    batch: readonly OutgoingMessage[],
    signal?: AbortSignal,
  ): Promise<SendResult[]> {
    const results: SendResult[] = new Array(batch.length);
    const bySender = new Map<number, CloudApiSender | string>();
    for (const m of batch) {
      const id = senderIdOf(m.from.key);
      if (id !== null && !bySender.has(id)) bySender.set(id, await this.settings(id));
    }
    /** Batch indices answered 130429 without a Retry-After, by sender. */
    const overCap = new Map<number, number[]>();
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < batch.length; i = next++) {
        results[i] = await this.sendOne(batch[i] as OutgoingMessage, bySender, signal, (id) =>
          overCap.set(id, [...(overCap.get(id) ?? []), i]),
        );
      }
    };
    const lanes = Math.max(1, Math.min(this.options.concurrency ?? 16, batch.length));
    await Promise.all(Array.from({ length: lanes }, worker));
    for (const [senderId, indices] of overCap) {
      const sender = bySender.get(senderId) as CloudApiSender;
      const afterMs = this.throughputPause(sender, indices.length);
      for (const i of indices) {
        const r = results[i];
        if (r?.outcome === "throttled") results[i] = { ...r, afterMs };
      }
    }
    return results;
  }

  /**
   * The pause of a number `refused` of whose requests in one call were over
   * Meta's throughput: see throughputPauseMs. A refusal within a second after
   * the previous pause ended counts as the same streak.
   */
  private throughputPause(sender: CloudApiSender, refused: number): number {
    const now = this.clock();
    const last = this.overCap.get(sender.senderId);
    const streak = last && now < last.at + last.pauseMs + 1000 ? last.streak + 1 : 0;
    const pauseMs = throughputPauseMs(
      refused,
      sender.ratePerSecond ?? effectiveRate("whatsapp", null),
      streak,
    );
    this.overCap.set(sender.senderId, { at: now, pauseMs, streak });
    return pauseMs;
  }

  private async sendOne(
    m: OutgoingMessage,
    bySender: Map<number, CloudApiSender | string>,
    signal?: AbortSignal,
    onOverCap?: (senderId: number) => void,
  ): Promise<SendResult> {
    // Not the number's fault: the message itself cannot go this way.
    if (m.channel !== "whatsapp" || !m.template) {
      return {
        outcome: "failed",
        reason:
          "A Cloud API do WhatsApp só envia mensagens de template: a campanha não tem template.",
      };
    }
    const id = senderIdOf(m.from.key);
    const sender = id === null ? undefined : bySender.get(id);
    if (sender === undefined || typeof sender === "string") {
      // A configuration problem of the number, not of the message: it waits.
      return {
        outcome: "retry",
        reason: sender ?? `Remetente "${m.from.key}" não é um número WhatsApp cadastrado.`,
        afterMs: SENDER_PAUSE_MS,
      };
    }
    const pause = this.paused.get(sender.senderId);
    if (pause && pause.until > this.clock()) {
      return { outcome: "retry", reason: pause.reason, afterMs: pause.until - this.clock() };
    }
    const arrivals = this.arrivals.get(sender.senderId) ?? new ArrivalWindow();
    this.arrivals.set(sender.senderId, arrivals);
    const rate = sender.ratePerSecond ?? effectiveRate("whatsapp", null);
    // Held while requests handed off a second earlier may have reached Meta
    // late: sent now, this one would land in their second (130429). Bounded,
    // so a clock that does not move (tests) cannot hold a request forever.
    for (let round = 0; round < 10; round++) {
      const wait = arrivals.delayFor(this.clock(), rate);
      if (wait <= 0 || signal?.aborted) break;
      await sleep(wait, undefined, { signal }).catch(() => undefined);
    }
    if (signal?.aborted) {
      return { outcome: "retry", reason: "Envio interrompido antes de chegar à Cloud API." };
    }
    const arrival = arrivals.sent(this.clock());
    let response: Response;
    let body: unknown;
    try {
      response = await fetch(
        `${sender.baseUrl}/${sender.apiVersion}/${encodeURIComponent(sender.phoneNumberId)}/messages`,
        {
          method: "POST",
          headers: {
            authorization: `Bearer ${sender.token}`,
            "content-type": "application/json",
          },
          body: JSON.stringify(templateRequest(m)),
          signal,
        },
      );
      arrivals.settle(arrival, this.clock(), response.ok);
      body = await readJson(response);
    } catch (error) {
      // No answer: it may have arrived; counted as arriving now.
      arrivals.settle(arrival, this.clock(), true, false);
      const why = signal?.aborted ? "tempo esgotado" : ((error as Error)?.cause as Error)?.message;
      return {
        outcome: "retry",
        reason: `Sem resposta da Cloud API (${why || (error as Error)?.message || "conexão falhou"}).`,
      };
    }
    if (response.ok) {
      const wamid = (body as { messages?: { id?: unknown }[] } | null)?.messages?.[0]?.id;
      if (typeof wamid === "string" && wamid) return { outcome: "sent", providerId: wamid };
      // Accepted without an id: it went, but no status will ever find it.
      this.log.warn("cloud api accepted a message without an id", { senderId: sender.senderId });
      return { outcome: "sent", providerId: null };
    }
    const error = graphError(body);
    const result = this.refused(sender, response, error);
    const overCap =
      error?.code === 130429 || (typeof error?.code !== "number" && response.status === 429);
    if (overCap && result.outcome === "throttled" && !response.headers.has("retry-after")) {
      onOverCap?.(sender.senderId);
    }
    return result;
  }

  private refused(
    sender: CloudApiSender,
    response: Response,
    error: GraphError | null,
  ): SendResult {
    const code = typeof error?.code === "number" ? error.code : null;
    let info: CloudErrorInfo;
    if (code !== null) info = cloudError(code);
    else if (response.status === 401) info = cloudError(190);
    else if (response.status === 429) info = cloudError(130429);
    else if (response.status >= 500)
      info = { action: "retry", meaning: "Erro no servidor da Cloud API." };
    else
      info = {
        action: "retry",
        meaning: `Resposta inesperada da Cloud API (HTTP ${response.status}).`,
      };
    // 401 without a code, or 190: the token.
    if (response.status === 401 && info.action !== "sender") info = cloudError(190);
    const reason = cloudReason(
      code ?? (response.status === 401 ? 190 : null),
      info.meaning,
      error?.error_data?.details ?? error?.message ?? null,
    );
    const retryAfter = Number(response.headers.get("retry-after"));
    const afterMs =
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : info.afterMs;
    switch (info.action) {
      case "fail":
        return { outcome: "failed", reason };
      case "throttle":
        return { outcome: "throttled", reason, ...(afterMs !== undefined ? { afterMs } : {}) };
      case "sender": {
        const until = this.clock() + SENDER_PAUSE_MS;
        const already = this.paused.get(sender.senderId);
        if (!already || already.until <= this.clock()) {
          // Once per pause, without the token: support sees why the number stopped.
          this.log.error("cloud api refused the number; its messages wait", {
            senderId: sender.senderId,
            code,
            subcode: error?.error_subcode ?? null,
            fbtraceId: error?.fbtrace_id ?? null,
            pauseMinutes: SENDER_PAUSE_MS / 60_000,
          });
        }
        this.paused.set(sender.senderId, { until, reason });
        return { outcome: "retry", reason, afterMs: SENDER_PAUSE_MS };
      }
      default:
        return { outcome: "retry", reason, ...(afterMs !== undefined ? { afterMs } : {}) };
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
  }
}

/** `remessa senders test`: the verdict of one phone-number lookup. */
export interface CloudApiProbe {
  ok: boolean;
  /** pt-BR, one line. */
  message: string;
  /** What Meta says of the number, when it answered. */
  number?: {
    displayPhoneNumber: string | null;
    verifiedName: string | null;
    qualityRating: string | null;
    messagingLimitTier: string | null;
  };
}

/** Meta's TIER_* names → unique recipients per 24 h (null: unlimited). */
export function tierFromMeta(tier: string | null): number | null | undefined {
  switch (tier) {
    case "TIER_50":
      return 50;
    case "TIER_250":
      return 250;
    case "TIER_1K":
      return 1000;
    case "TIER_10K":
      return 10_000;
    case "TIER_100K":
      return 100_000;
    case "TIER_UNLIMITED":
      return null;
    default:
      return undefined;
  }
}

/**
 * One real round trip: GET {base}/{version}/{phone-number-id} with the token.
 * Never throws; the token is never part of the message.
 */
export async function probeCloudApi(
  sender: CloudApiSender,
  timeoutMs = 10_000,
): Promise<CloudApiProbe> {
  const url = `${sender.baseUrl}/${sender.apiVersion}/${encodeURIComponent(sender.phoneNumberId)}?fields=display_phone_number,verified_name,quality_rating,messaging_limit_tier`;
  let response: Response;
  let body: unknown;
  try {
    response = await fetch(url, {
      headers: { authorization: `Bearer ${sender.token}` },
      signal: AbortSignal.timeout(timeoutMs),
    });
    body = await readJson(response);
  } catch (error) {
    const cause = ((error as Error)?.cause as Error)?.message ?? (error as Error)?.message;
    return {
      ok: false,
      message: `Não foi possível falar com a Cloud API em ${sender.baseUrl} (${cause}). Confira a URL base, o DNS e o firewall.`,
    };
  }
  if (response.ok) {
    const b = (body ?? {}) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === "string" ? v : null);
    const number = {
      displayPhoneNumber: str(b.display_phone_number),
      verifiedName: str(b.verified_name),
      qualityRating: str(b.quality_rating),
      messagingLimitTier: str(b.messaging_limit_tier),
    };
    return {
      ok: true,
      message: `Cloud API respondeu: número ${number.displayPhoneNumber ?? "?"}${number.verifiedName ? ` (${number.verifiedName})` : ""}, qualidade ${number.qualityRating ?? "desconhecida"}, nível ${number.messagingLimitTier ?? "desconhecido"}.`,
      number,
    };
  }
  const error = graphError(body);
  const code = error?.code ?? null;
  if (response.status === 401 || code === 190) {
    return {
      ok: false,
      message:
        "A Cloud API recusou o token de acesso (inválido ou expirado). Gere um token novo no painel da Meta e cadastre o remetente de novo.",
    };
  }
  if (code === 10 || code === 200 || response.status === 403) {
    return {
      ok: false,
      message:
        "O token não tem permissão para este número. Dê a ele as permissões whatsapp_business_management e whatsapp_business_messaging.",
    };
  }
  if (response.status === 404 || code === 100 || code === 803) {
    return {
      ok: false,
      message: `A Cloud API não conhece o número ${sender.phoneNumberId} (ou o token não enxerga a conta dele). Confira o identificador do número no WhatsApp Manager.`,
    };
  }
  return {
    ok: false,
    message: `A Cloud API respondeu com erro (HTTP ${response.status}${code !== null ? `, código ${code}` : ""}): ${error?.message ?? "sem detalhes"}. Tente de novo em instantes.`,
  };
}
