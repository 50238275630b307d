/**
 * Senders of a tenant (SPEC §1, §3): WhatsApp numbers (exclusive, shared,
 * prospect pool) and SMS routes (long code, short code). A campaign's
 * `sender_id` points here; the provider column says who sends for it
 * ("outbox", the embedded default, until real providers exist).
 */
import type { Kysely, Selectable } from "kysely";
import { isUniqueViolation } from "./errors.js";
import { type Database, nowIso, type SenderTable } from "./schema.js";
import { encryptSecret } from "./secrets.js";
import { ValidationError } from "./tenants.js";
import { resolveWalletCode } from "./wallet-ref.js";

export type SenderRow = Selectable<SenderTable>;
export type SenderKind = "whatsapp" | "sms";

export const WHATSAPP_MODES = ["exclusivo", "compartilhado", "prospect"] as const;
export const SMS_MODES = ["long", "short"] as const;

export interface SenderInput {
  kind: string;
  mode: string;
  /** WhatsApp: the phone number (10–13 digits, separators allowed); SMS: the route name. */
  number: string;
  name?: string | null;
  /** Wallet code, or null for every wallet of the tenant. */
  wallet?: string | null;
  /** Messages per second; null = the channel's default. */
  ratePerSecond?: number | null;
  provider?: string;
  /** WhatsApp messaging tier (unique recipients per rolling 24 h); null = unlimited. */
  messagingTier?: number | null;
  /** Cloud API: the number's phone-number id (digits, from Meta's WhatsApp Manager). */
  phoneNumberId?: string | null;
  /** Cloud API: the access token, in clear; stored encrypted, never shown. */
  token?: string | null;
  /** Cloud API: base URL and API version, when not the platform's (env) ones. */
  baseUrl?: string | null;
  apiVersion?: string | null;
  /** Cloud API: the WhatsApp Business Account (WABA) id, where its templates are read. */
  businessAccountId?: string | null;
}

/** The WhatsApp messaging tiers Meta assigns (unique recipients per rolling 24 h). */
export const MESSAGING_TIERS = [250, 1000, 10_000, 100_000] as const;

/**
 * `--tier`: 250, 1k, 10k, 100k (or the full numbers), "ilimitado"/"unlimited"
 * → null; anything else is a pt-BR error.
 */
export function parseMessagingTier(text: string): number | null {
  const t = text
    .trim()
    .toLowerCase()
    .replace(/[._\s]/g, "");
  if (t === "ilimitado" || t === "unlimited" || t === "semlimite") return null;
  const m = /^(\d+)(k?)$/.exec(t);
  const n = m ? Number(m[1]) * (m[2] ? 1000 : 1) : Number.NaN;
  if (!(MESSAGING_TIERS as readonly number[]).includes(n)) {
    throw new ValidationError(
      `Nível de mensagens "${text}" inválido: use 250, 1k, 10k, 100k ou ilimitado (o nível que a Meta mostra no WhatsApp Manager).`,
    );
  }
  return n;
}

/** Non-secret Cloud API settings kept in senders.settings_json. */
export interface CloudApiSettings {
  baseUrl?: string;
  apiVersion?: string;
  /** The number's WhatsApp Business Account: `templates test` reads its message_templates. */
  businessAccountId?: string;
}

/** A WhatsApp Business Account id (digits), trimmed, or a pt-BR error. */
export function checkBusinessAccountId(text: string): string {
  const waba = text.trim();
  if (!/^\d{5,30}$/.test(waba)) {
    throw new ValidationError(
      `Conta do WhatsApp Business "${text}" inválida: use o identificador numérico (WhatsApp Manager > Visão geral da conta).`,
    );
  }
  return waba;
}

function checkCloudApi(
  input: SenderInput,
  kind: SenderKind,
): {
  phoneNumberId: string | null;
  tokenEnc: string | null;
  settings: string | null;
} {
  const provider = input.provider ?? "outbox";
  if (provider !== "cloudapi") {
    if (input.phoneNumberId || input.token) {
      throw new ValidationError(
        "--phone-number-id e o token só valem para o provedor cloudapi (use --provider cloudapi).",
      );
    }
    return { phoneNumberId: null, tokenEnc: null, settings: null };
  }
  if (kind !== "whatsapp") {
    throw new ValidationError("O provedor cloudapi é só para números WhatsApp (--kind whatsapp).");
  }
  const id = input.phoneNumberId?.trim() ?? "";
  if (!/^\d{5,30}$/.test(id)) {
    throw new ValidationError(
      "Informe o identificador do número na Cloud API com --phone-number-id (só dígitos; está no WhatsApp Manager, em Números de telefone).",
    );
  }
  const token = input.token?.trim() ?? "";
  if (token === "" || /\s/.test(token)) {
    throw new ValidationError(
      "Informe o token de acesso da Cloud API pela entrada padrão (uma linha, sem espaços).",
    );
  }
  const settings: CloudApiSettings = {};
  if (input.baseUrl) {
    let url: URL;
    try {
      url = new URL(input.baseUrl.trim());
    } catch {
      throw new ValidationError(
        `URL base "${input.baseUrl}" inválida: use https://graph.facebook.com ou similar.`,
      );
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      throw new ValidationError(`URL base "${input.baseUrl}" inválida: use http ou https.`);
    }
    settings.baseUrl = url.toString().replace(/\/+$/, "");
  }
  if (input.apiVersion) {
    const v = input.apiVersion.trim();
    if (!/^v\d+\.\d+$/.test(v)) {
      throw new ValidationError(
        `Versão da API "${input.apiVersion}" inválida: use o formato v21.0.`,
      );
    }
    settings.apiVersion = v;
  }
  if (input.businessAccountId) {
    settings.businessAccountId = checkBusinessAccountId(input.businessAccountId);
  }
  return {
    phoneNumberId: id,
    tokenEnc: encryptSecret(token),
    settings: Object.keys(settings).length > 0 ? JSON.stringify(settings) : null,
  };
}

/** A sender as listed, with its wallet's code. */
export interface SenderView extends SenderRow {
  wallet_code: string | null;
}

/** Digits of a WhatsApp number written with the usual separators, or null if not 10–13 digits. */
export function whatsappNumberDigits(raw: string): string | null {
  const text = raw.trim();
  if (!/^\+?[\d\s().-]+$/.test(text)) return null;
  const digits = text.replace(/\D/g, "");
  return digits.length >= 10 && digits.length <= 13 ? digits : null;
}

/** A rate in messages per second: a positive finite number, or a pt-BR error. */
export function checkRate(rate: number | null | undefined): void {
  if (rate === null || rate === undefined) return;
  if (!Number.isFinite(rate) || rate <= 0 || rate > 100_000) {
    throw new ValidationError(
      "A taxa de envio deve ser um número de mensagens por segundo maior que zero (por exemplo 80).",
    );
  }
}

export function checkSender(input: SenderInput): {
  kind: SenderKind;
  mode: string;
  number: string;
} {
  const kind = input.kind.trim().toLowerCase();
  const mode = input.mode.trim().toLowerCase();
  if (kind !== "whatsapp" && kind !== "sms") {
    throw new ValidationError(
      `Tipo de remetente "${input.kind}" desconhecido: use whatsapp ou sms.`,
    );
  }
  if (kind === "whatsapp") {
    if (!(WHATSAPP_MODES as readonly string[]).includes(mode)) {
      throw new ValidationError(
        `Modo "${input.mode}" inválido para WhatsApp: use exclusivo, compartilhado ou prospect.`,
      );
    }
    const digits = whatsappNumberDigits(input.number);
    if (digits === null) {
      throw new ValidationError(
        `Número WhatsApp "${input.number}" inválido: informe de 10 a 13 dígitos (DDD + número, com ou sem 55), como no _nw do nome do arquivo.`,
      );
    }
    checkRate(input.ratePerSecond);
    return { kind, mode, number: digits };
  }
  if (!(SMS_MODES as readonly string[]).includes(mode)) {
    throw new ValidationError(`Modo "${input.mode}" inválido para SMS: use long ou short.`);
  }
  const route = input.number.trim();
  if (!route) throw new ValidationError("Informe o nome da rota de SMS.");
  if (route.length > 100 || /\p{Cc}/u.test(route)) {
    throw new ValidationError(
      "O nome da rota de SMS deve ter até 100 caracteres, sem caracteres de controle.",
    );
  }
  checkRate(input.ratePerSecond);
  return { kind, mode, number: route };
}

export async function addSender(
  db: Kysely<Database>,
  tenantId: number,
  input: SenderInput,
): Promise<SenderView> {
  const { kind, mode, number } = checkSender(input);
  const cloud = checkCloudApi(input, kind);
  const tier = input.messagingTier ?? null;
  if (
    tier !== null &&
    (kind !== "whatsapp" || !(MESSAGING_TIERS as readonly number[]).includes(tier))
  ) {
    throw new ValidationError(
      kind === "whatsapp"
        ? "Nível de mensagens inválido: use 250, 1k, 10k, 100k ou ilimitado."
        : "O nível de mensagens (--tier) só vale para números WhatsApp.",
    );
  }
  const wallet = await resolveWalletCode(db, tenantId, input.wallet ?? null);
  const now = nowIso();
  try {
    const row = await db
      .insertInto("senders")
      .values({
        tenant_id: tenantId,
        kind,
        mode,
        number,
        name: input.name?.trim() || number,
        wallet_id: wallet?.id ?? null,
        rate_per_second: input.ratePerSecond ?? null,
        provider: input.provider ?? "outbox",
        messaging_tier: tier,
        phone_number_id: cloud.phoneNumberId,
        token_enc: cloud.tokenEnc,
        settings_json: cloud.settings,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { ...row, wallet_code: wallet?.code ?? null };
  } catch (error) {
    if (isUniqueViolation(error)) {
      if (cloud.phoneNumberId !== null) {
        const same = await db
          .selectFrom("senders")
          .select("id")
          .where("phone_number_id", "=", cloud.phoneNumberId)
          .executeTakeFirst();
        if (same) {
          throw new ValidationError(
            `O identificador ${cloud.phoneNumberId} da Cloud API já está cadastrado em outro remetente: cada número da Cloud API é cadastrado uma vez só.`,
          );
        }
      }
      throw new ValidationError(
        kind === "sms"
          ? `A rota de SMS "${number}" já está cadastrada. Use outro nome ou remova a existente.`
          : `O número WhatsApp ${number} já está cadastrado. Veja os remetentes com "remessa senders list".`,
      );
    }
    throw error;
  }
}

function viewQuery(db: Kysely<Database>, tenantId: number) {
  return db
    .selectFrom("senders as s")
    .leftJoin("wallets as w", "w.id", "s.wallet_id")
    .selectAll("s")
    .select("w.code as wallet_code")
    .where("s.tenant_id", "=", tenantId);
}

export async function listSenders(
  db: Kysely<Database>,
  tenantId: number,
  filter: { walletId?: number } = {},
): Promise<SenderView[]> {
  let query = viewQuery(db, tenantId);
  if (filter.walletId !== undefined) query = query.where("s.wallet_id", "=", filter.walletId);
  return query.orderBy("s.kind").orderBy("s.mode").orderBy("s.id").execute();
}

export async function getSender(
  db: Kysely<Database>,
  tenantId: number,
  id: number,
): Promise<SenderView | null> {
  return (await viewQuery(db, tenantId).where("s.id", "=", id).executeTakeFirst()) ?? null;
}

/** Campaign states in which a sender, template or account is still needed. */
export const LIVE_CAMPAIGN_STATES = ["scheduled", "running", "paused"] as const;

/** Ids of the live campaigns using a sender, template or e-mail account. */
export async function liveCampaignsUsing(
  db: Kysely<Database>,
  tenantId: number,
  column: "sender_id" | "template_id" | "email_account_id",
  id: number,
): Promise<number[]> {
  const rows = await db
    .selectFrom("campaigns")
    .select("id")
    .where("tenant_id", "=", tenantId)
    .where(column, "=", id)
    .where("state", "in", [...LIVE_CAMPAIGN_STATES])
    .orderBy("id")
    .execute();
  return rows.map((r) => r.id);
}

export function inUseMessage(what: string, campaigns: number[], feminine = false): string {
  const list = campaigns.join(", ");
  return `${what} é ${feminine ? "usada" : "usado"} por ${campaigns.length === 1 ? `uma campanha em andamento (${list})` : `campanhas em andamento (${list})`}. Cancele as campanhas ("remessa campaigns cancel ID") ou espere que terminem antes de remover.`;
}

/**
 * Removes a sender. Refused (ValidationError) while a live campaign sends
 * through it: its messages would lose their sender. Returns false when absent.
 */
export async function removeSender(
  db: Kysely<Database>,
  tenantId: number,
  id: number,
): Promise<boolean> {
  const live = await liveCampaignsUsing(db, tenantId, "sender_id", id);
  if (live.length > 0) throw new ValidationError(inUseMessage(`O remetente ${id}`, live));
  const result = await db
    .deleteFrom("senders")
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** What an update may change; absent fields stay. Secrets are write-only. */
export interface SenderPatch {
  kind?: string;
  mode?: string;
  number?: string;
  name?: string | null;
  wallet?: string | null;
  ratePerSecond?: number | null;
  provider?: string;
  enabled?: boolean;
  /** WhatsApp Cloud API phone-number id. */
  phoneNumberId?: string | null;
  /** The provider's secret (access token, SMPP password): stored encrypted; null removes it. */
  token?: string | null;
  /** Non-secret connection settings of the provider (SMPP host, HTTP endpoint…); null clears. */
  settings?: Record<string, unknown> | null;
  /**
   * WhatsApp Cloud API: the number's Business Account (WABA) id, kept in
   * settings as `businessAccountId` (applied after `settings`); null removes it.
   */
  businessAccountId?: string | null;
}

/** Provider names are identifiers (the ChannelRegistry's keys). */
export function checkProvider(provider: string): string {
  const name = provider.trim();
  if (!/^[a-z][a-z0-9_-]{0,39}$/.test(name)) {
    throw new ValidationError(
      `Provedor "${provider}" inválido: use o nome do provedor em minúsculas (por exemplo outbox).`,
    );
  }
  return name;
}

/** Settings are for what is not secret: a key that names a secret is refused, so it is never shown back. */
export function checkSettings(settings: Record<string, unknown>): string {
  const secretKey = Object.keys(settings).find((k) => /pass|secret|token|senha/i.test(k));
  if (secretKey !== undefined) {
    throw new ValidationError(
      `A configuração "${secretKey}" parece um segredo: envie-o no campo token (guardado cifrado e nunca devolvido), não em settings.`,
    );
  }
  const json = JSON.stringify(settings);
  if (json.length > 10_000) {
    throw new ValidationError("As configurações (settings) passam de 10.000 caracteres.");
  }
  return json;
}

/** A sender's stored settings_json as an object (null when absent or not an object). */
export function parseSettings(text: string | null): Record<string, unknown> | null {
  if (text === null) return null;
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/**
 * Changes a sender with the rules of `addSender` applied to the result (kind,
 * mode, number, rate, wallet). Returns null when the tenant has no such
 * sender. `key`: the secrets key (default: the configured one).
 */
export async function updateSender(
  db: Kysely<Database>,
  tenantId: number,
  id: number,
  patch: SenderPatch,
  key?: Buffer,
): Promise<SenderView | null> {
  const current = await getSender(db, tenantId, id);
  if (!current) return null;
  const { kind, mode, number } = checkSender({
    kind: patch.kind ?? current.kind,
    mode: patch.mode ?? current.mode,
    number: patch.number ?? current.number,
    ratePerSecond:
      patch.ratePerSecond === undefined ? current.rate_per_second : patch.ratePerSecond,
  });
  const values: Record<string, unknown> = { kind, mode, number, updated_at: nowIso() };
  if (patch.name !== undefined) values.name = patch.name?.trim() || number;
  if (patch.wallet !== undefined) {
    values.wallet_id = (await resolveWalletCode(db, tenantId, patch.wallet))?.id ?? null;
  }
  if (patch.ratePerSecond !== undefined) values.rate_per_second = patch.ratePerSecond;
  if (patch.provider !== undefined) values.provider = checkProvider(patch.provider);
  if (patch.enabled !== undefined) values.enabled = patch.enabled ? 1 : 0;
  if (patch.phoneNumberId !== undefined) {
    const phoneNumberId = patch.phoneNumberId?.trim() || null;
    if (phoneNumberId !== null && !/^\d{1,30}$/.test(phoneNumberId)) {
      throw new ValidationError(
        "O phoneNumberId é o identificador numérico do número na API do WhatsApp (só dígitos).",
      );
    }
    values.phone_number_id = phoneNumberId;
  }
  if (patch.token !== undefined) {
    values.token_enc = patch.token === null ? null : encryptSecret(patch.token, key);
  }
  if (patch.settings !== undefined) {
    values.settings_json = patch.settings === null ? null : checkSettings(patch.settings);
  }
  if (patch.businessAccountId !== undefined) {
    if (patch.businessAccountId !== null && (patch.kind ?? current.kind) !== "whatsapp") {
      throw new ValidationError(
        "A conta do WhatsApp Business (businessAccountId) só vale para números WhatsApp.",
      );
    }
    const base =
      patch.settings !== undefined ? patch.settings : parseSettings(current.settings_json);
    const settings: Record<string, unknown> = { ...(base ?? {}) };
    if (patch.businessAccountId === null) delete settings.businessAccountId;
    else settings.businessAccountId = checkBusinessAccountId(patch.businessAccountId);
    values.settings_json = Object.keys(settings).length > 0 ? checkSettings(settings) : null;
  }
  try {
    await db
      .updateTable("senders")
      .set(values)
      .where("tenant_id", "=", tenantId)
      .where("id", "=", id)
      .execute();
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new ValidationError(
        kind === "sms"
          ? `A rota de SMS "${number}" já está cadastrada em outro remetente.`
          : `O número WhatsApp ${number} já está cadastrado em outro remetente.`,
      );
    }
    throw error;
  }
  return getSender(db, tenantId, id);
}
