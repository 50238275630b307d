/**
 * A tenant's notification settings (issue 13): where to tell (a webhook URL
 * and/or e-mail addresses) and after how long a source failing to poll is
 * worth telling. The webhook's signing secret is generated here, shown once
 * (the caller prints or returns it) and stored encrypted; it is never read
 * back except by the delivery worker to sign.
 *
 * The deployment's policy (`NotifyPolicy`) says what a URL may be: https,
 * on a public host. http and private hosts are for tests and local installs,
 * and only with an explicit setting.
 */
import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import { normalizeEmail } from "../mailing/email.js";
import { SourceError } from "../sources/errors.js";
import { checkHostSyntax } from "../sources/host-guard.js";
import type { Database } from "../store/schema.js";
import { decryptSecret, encryptSecret } from "../store/secrets.js";
import { ValidationError } from "../store/tenants.js";

/** What the deployment allows and how e-mail goes out (from the environment in serve and the CLI). */
export interface NotifyPolicy {
  /** Accept http:// webhook URLs (tests, development). */
  allowHttp: boolean;
  /** Accept webhook hosts on private, loopback or link-local networks (tests, local installs). */
  allowPrivate: boolean;
  /** SMTP server for notification e-mail (smtp://user:pass@host:port); else the platform default account. */
  smtpUrl: string | null;
  /** From address used with smtpUrl. */
  from: string;
}

export const DEFAULT_FROM = "remessa <nao-responda@remessa.invalid>";

export function notifyPolicyFromEnv(
  env: Record<string, string | undefined> = process.env,
): NotifyPolicy {
  return {
    allowHttp: env.REMESSA_NOTIFY_ALLOW_HTTP === "1",
    allowPrivate: env.REMESSA_NOTIFY_ALLOW_PRIVATE === "1",
    smtpUrl: env.REMESSA_NOTIFY_SMTP_URL?.trim() || null,
    from: env.REMESSA_NOTIFY_FROM?.trim() || DEFAULT_FROM,
  };
}

export const DEFAULT_SOURCE_FAILURE_MINUTES = 30;
/** Most addresses per tenant: notifications are for a team, not a mailing list. */
export const MAX_EMAILS = 20;

export interface NotificationSettings {
  webhookUrl: string | null;
  /** A signing secret is stored (it is never shown again). */
  hasWebhookSecret: boolean;
  emails: string[];
  sourceFailureMinutes: number;
  updatedAt: string | null;
}

const EMPTY: NotificationSettings = {
  webhookUrl: null,
  hasWebhookSecret: false,
  emails: [],
  sourceFailureMinutes: DEFAULT_SOURCE_FAILURE_MINUTES,
  updatedAt: null,
};

type Db = Kysely<Database>;

export async function getNotificationSettings(
  db: Db,
  tenantId: number,
): Promise<NotificationSettings> {
  const row = await db
    .selectFrom("notification_settings")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .executeTakeFirst();
  if (!row) return { ...EMPTY };
  return {
    webhookUrl: row.webhook_url,
    hasWebhookSecret: row.webhook_secret_enc !== null,
    emails: JSON.parse(row.emails_json) as string[],
    sourceFailureMinutes: row.source_failure_minutes,
    updatedAt: row.updated_at,
  };
}

/** The signing secret in clear, for the worker; null without a webhook. */
export async function webhookTarget(
  db: Db,
  tenantId: number,
  key?: Buffer,
): Promise<{ url: string; secret: string } | null> {
  const row = await db
    .selectFrom("notification_settings")
    .select(["webhook_url", "webhook_secret_enc"])
    .where("tenant_id", "=", tenantId)
    .executeTakeFirst();
  if (!row?.webhook_url || !row.webhook_secret_enc) return null;
  return { url: row.webhook_url, secret: decryptSecret(row.webhook_secret_enc, key) };
}

/**
 * Checks a webhook URL against the policy; returns it normalised. The host is
 * judged by the sources' host guard (the same rules, the same messages); the
 * worker checks the resolved address again at each delivery.
 */
export function checkWebhookUrl(input: string, policy: NotifyPolicy): string {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    throw new ValidationError(
      `Endereço do webhook "${input}" inválido: informe a URL completa, como https://sistema.empresa.com.br/remessa/eventos.`,
    );
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && policy.allowHttp)) {
    throw new ValidationError(
      url.protocol === "http:"
        ? "O webhook precisa usar https:// (http:// só é aceito em instalações de teste, com REMESSA_NOTIFY_ALLOW_HTTP=1)."
        : `O webhook precisa ser um endereço https://, não ${url.protocol}//.`,
    );
  }
  if (url.username || url.password) {
    throw new ValidationError(
      "Não coloque usuário ou senha na URL do webhook: o remessa assina cada envio (cabeçalho X-Remessa-Signature), confira a assinatura no seu sistema.",
    );
  }
  try {
    checkHostSyntax(url.hostname, { allowPrivate: policy.allowPrivate });
  } catch (error) {
    if (error instanceof SourceError) {
      throw new ValidationError(
        error.code === "HOST_PROIBIDO"
          ? `O webhook ${url.hostname} é um endereço de rede interna (privado, loopback ou link-local), que o remessa não acessa por segurança: use um endereço público.`
          : `Webhook inválido: ${error.message}`,
      );
    }
    throw error;
  }
  url.hash = "";
  return url.toString();
}

function checkEmails(list: readonly string[]): string[] {
  if (list.length > MAX_EMAILS) {
    throw new ValidationError(`Informe no máximo ${MAX_EMAILS} endereços de e-mail.`);
  }
  const out: string[] = [];
  for (const text of list) {
    const normalized = normalizeEmail(text, true);
    if (!normalized.ok) {
      throw new ValidationError(`E-mail "${text}" inválido: ${normalized.message}`);
    }
    if (!out.some((e) => e.toLowerCase() === normalized.value.toLowerCase())) {
      out.push(normalized.value);
    }
  }
  return out;
}

export interface SettingsChange {
  /** undefined: unchanged; null: no webhook. */
  webhookUrl?: string | null;
  emails?: readonly string[];
  sourceFailureMinutes?: number;
  /** A new signing secret even though the webhook already has one. */
  rotateSecret?: boolean;
}

export interface SettingsSaved {
  settings: NotificationSettings;
  /** The new signing secret, in clear: only when one was generated now. Show it once. */
  webhookSecret: string | null;
}

/** A new signing secret: 32 random bytes, with a prefix that says what it is. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64url")}`;
}

/**
 * Saves the settings (only the fields given change). A secret is generated
 * when a webhook is set and none is stored yet, or when asked to rotate; it
 * is removed with the webhook.
 */
export async function saveNotificationSettings(
  db: Db,
  tenantId: number,
  change: SettingsChange,
  policy: NotifyPolicy,
  options: { key?: Buffer; now?: Date } = {},
): Promise<SettingsSaved> {
  const minutes = change.sourceFailureMinutes;
  if (minutes !== undefined && (!Number.isInteger(minutes) || minutes < 1 || minutes > 10080)) {
    throw new ValidationError(
      "O tempo de falha de uma origem vai de 1 a 10080 minutos (uma semana).",
    );
  }
  const url =
    change.webhookUrl === undefined || change.webhookUrl === null
      ? change.webhookUrl
      : checkWebhookUrl(change.webhookUrl, policy);
  const emails = change.emails === undefined ? undefined : checkEmails(change.emails);
  const now = (options.now ?? new Date()).toISOString();
  return db.transaction().execute(async (trx) => {
    const current = await trx
      .selectFrom("notification_settings")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .executeTakeFirst();
    const nextUrl = url === undefined ? (current?.webhook_url ?? null) : url;
    let secretEnc = current?.webhook_secret_enc ?? null;
    let secret: string | null = null;
    if (nextUrl === null) secretEnc = null;
    else if (secretEnc === null || change.rotateSecret) {
      secret = generateWebhookSecret();
      secretEnc = encryptSecret(secret, options.key);
    }
    if (change.rotateSecret && nextUrl === null) {
      throw new ValidationError("Não há webhook cadastrado: não há segredo para trocar.");
    }
    const values = {
      webhook_url: nextUrl,
      webhook_secret_enc: secretEnc,
      emails_json: JSON.stringify(emails ?? JSON.parse(current?.emails_json ?? "[]")),
      source_failure_minutes:
        minutes ?? current?.source_failure_minutes ?? DEFAULT_SOURCE_FAILURE_MINUTES,
      updated_at: now,
    };
    if (current) {
      await trx
        .updateTable("notification_settings")
        .set(values)
        .where("tenant_id", "=", tenantId)
        .execute();
    } else {
      await trx
        .insertInto("notification_settings")
        .values({ tenant_id: tenantId, created_at: now, ...values })
        .execute();
    }
    return {
      settings: {
        webhookUrl: values.webhook_url,
        hasWebhookSecret: values.webhook_secret_enc !== null,
        emails: JSON.parse(values.emails_json) as string[],
        sourceFailureMinutes: values.source_failure_minutes,
        updatedAt: now,
      },
      webhookSecret: secret,
    };
  });
}
