/**
 * E-mail accounts of a tenant (SPEC §1, §3): `_ce` names one; without it the
 * wallet's active account is used, else the tenant's platform default. Each
 * wallet has at most one active account and the tenant at most one platform
 * default: registering a new one takes the place of the previous.
 * Provider "outbox" (embedded, no server) or "smtp" (src/channels/smtp.ts):
 * host, port, security, login, Reply-To and optional DKIM; the password and
 * the DKIM private key are stored encrypted (secrets.ts) and never shown.
 */
import { createPrivateKey } from "node:crypto";
import type { Kysely, Selectable } from "kysely";
import { normalizeEmail } from "../mailing/email.js";
import { isUniqueViolation } from "./errors.js";
import { takeExclusiveFlag } from "./exclusive-flag.js";
import { type Database, type EmailAccountTable, nowIso } from "./schema.js";
import { encryptSecret } from "./secrets.js";
import { checkProvider, checkRate, inUseMessage, liveCampaignsUsing } from "./senders.js";
import { ValidationError } from "./tenants.js";
import { resolveWalletCode } from "./wallet-ref.js";

export type EmailAccountRow = Selectable<EmailAccountTable>;

export interface EmailAccountView extends EmailAccountRow {
  wallet_code: string | null;
}

export interface EmailAccountInput {
  address: string;
  displayName?: string | null;
  wallet?: string | null;
  /** The wallet's active account (needs a wallet). */
  active?: boolean;
  /** The tenant's platform default account (fallback of every wallet). */
  platformDefault?: boolean;
  ratePerSecond?: number | null;
  provider?: string;
  /** Provider "smtp": the server and what goes with it. */
  smtp?: SmtpSettingsInput | null;
}

export interface SmtpSettingsInput {
  host: string;
  port: number;
  security: string;
  username?: string | null;
  /** In clear; stored encrypted. */
  password?: string | null;
  replyTo?: string | null;
  /** PEM private key in clear; stored encrypted. */
  dkim?: { domain: string; selector: string; privateKey: string } | null;
}

/** A wallet's active account and the platform's default account: one each (exclusive-flag.ts). */
const ACTIVE = { table: "email_accounts", flag: "active", label: "address" } as const;
const PLATFORM_DEFAULT = {
  table: "email_accounts",
  flag: "is_platform_default",
  label: "address",
} as const;

const SECURITY = ["starttls", "tls", "none"] as const;
const HOST =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$|^\[?[0-9a-fA-F:.]+\]?$/;
const SELECTOR = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62})$/;

/** Checked SMTP columns, secrets encrypted; a ValidationError (pt-BR) on the first problem. */
function smtpColumns(smtp: SmtpSettingsInput, key: Buffer | undefined) {
  const host = smtp.host.trim();
  if (!HOST.test(host)) {
    throw new ValidationError(
      `Servidor SMTP "${smtp.host}" inválido: informe um nome (smtp.empresa.com.br) ou um IP.`,
    );
  }
  if (!Number.isInteger(smtp.port) || smtp.port < 1 || smtp.port > 65535) {
    throw new ValidationError(
      "A porta SMTP deve ser um número de 1 a 65535 (em geral 587 com starttls ou 465 com tls).",
    );
  }
  const security = smtp.security.trim().toLowerCase();
  if (!(SECURITY as readonly string[]).includes(security)) {
    throw new ValidationError(
      `Segurança "${smtp.security}" desconhecida: use starttls, tls ou none.`,
    );
  }
  let replyTo: string | null = null;
  if (smtp.replyTo?.trim()) {
    const normalized = normalizeEmail(smtp.replyTo, true);
    if (!normalized.ok) {
      throw new ValidationError(`Endereço de resposta (Reply-To) "${smtp.replyTo}" inválido.`);
    }
    replyTo = normalized.value;
  }
  const username = smtp.username?.trim() || null;
  if (username !== null && !smtp.password) {
    throw new ValidationError("Informe a senha do usuário SMTP (lida da entrada padrão).");
  }
  let dkim: { domain: string; selector: string; keyEnc: string } | null = null;
  if (smtp.dkim) {
    const domain = smtp.dkim.domain.trim().toLowerCase();
    const selector = smtp.dkim.selector.trim();
    if (!HOST.test(domain) || !domain.includes(".")) {
      throw new ValidationError(
        `Domínio DKIM "${smtp.dkim.domain}" inválido (ex.: empresa.com.br).`,
      );
    }
    if (!SELECTOR.test(selector)) {
      throw new ValidationError(
        `Seletor DKIM "${smtp.dkim.selector}" inválido (ex.: remessa2026).`,
      );
    }
    try {
      const parsed = createPrivateKey(smtp.dkim.privateKey);
      if (parsed.asymmetricKeyType !== "rsa" && parsed.asymmetricKeyType !== "ed25519")
        throw new Error();
    } catch {
      throw new ValidationError(
        "A chave DKIM não é uma chave privada RSA ou Ed25519 em PEM (-----BEGIN PRIVATE KEY-----).",
      );
    }
    dkim = { domain, selector, keyEnc: encryptSecret(smtp.dkim.privateKey, key) };
  }
  return {
    host,
    port: smtp.port,
    security,
    username,
    password_enc: smtp.password ? encryptSecret(smtp.password, key) : null,
    reply_to: replyTo,
    dkim_domain: dkim?.domain ?? null,
    dkim_selector: dkim?.selector ?? null,
    dkim_key_enc: dkim?.keyEnc ?? null,
  };
}

export interface EmailAccountAdded {
  account: EmailAccountView;
  /** The address that stopped being the wallet's active account, if any. */
  replacedActive: string | null;
  /** The address that stopped being the platform default, if any. */
  replacedPlatformDefault: string | null;
}

export async function addEmailAccount(
  db: Kysely<Database>,
  tenantId: number,
  input: EmailAccountInput,
  /** Key for the password and DKIM key (default: the configured one). */
  secretKey?: Buffer,
): Promise<EmailAccountAdded> {
  const normalized = normalizeEmail(input.address, true);
  if (!normalized.ok) {
    throw new ValidationError(
      `Endereço "${input.address}" inválido: ${normalized.message.charAt(0).toLowerCase()}${normalized.message.slice(1)}.`,
    );
  }
  const address = normalized.value;
  checkRate(input.ratePerSecond);
  const displayName = input.displayName?.trim() || null;
  if (displayName !== null && (displayName.length > 200 || /\p{Cc}/u.test(displayName))) {
    throw new ValidationError(
      "O nome de exibição deve ter até 200 caracteres, sem caracteres de controle.",
    );
  }
  const provider = input.provider ?? (input.smtp ? "smtp" : "outbox");
  if (provider === "smtp" && !input.smtp) {
    throw new ValidationError("Uma conta SMTP precisa do servidor: informe --host e --port.");
  }
  if (provider !== "smtp" && provider !== "outbox") {
    throw new ValidationError(`Provedor "${provider}" desconhecido: use smtp ou outbox.`);
  }
  const server = input.smtp ? smtpColumns(input.smtp, secretKey) : null;
  const wallet = await resolveWalletCode(db, tenantId, input.wallet ?? null);
  if (input.active && wallet === null) {
    throw new ValidationError(
      "A conta ativa é de uma carteira: informe a carteira com --wallet CÓDIGO (ou use --platform-default para a conta padrão da plataforma).",
    );
  }
  // Compared ignoring case, as `_ce` is matched (tenant-checks).
  const existing = await db
    .selectFrom("email_accounts")
    .select(["id", "address"])
    .where("tenant_id", "=", tenantId)
    .execute();
  const same = existing.find((e) => e.address.toLowerCase() === address.toLowerCase());
  if (same) {
    throw new ValidationError(
      `A conta de e-mail ${same.address} já está cadastrada (número ${same.id}). Veja as contas com "remessa email-accounts list".`,
    );
  }
  try {
    return await db.transaction().execute(async (trx) => {
      let replacedActive: string | null = null;
      let replacedPlatformDefault: string | null = null;
      const now = nowIso();
      if (input.active && wallet !== null) {
        replacedActive = await takeExclusiveFlag(trx, {
          ...ACTIVE,
          tenantId,
          walletId: wallet.id,
          now,
        });
      }
      if (input.platformDefault) {
        replacedPlatformDefault = await takeExclusiveFlag(trx, {
          ...PLATFORM_DEFAULT,
          tenantId,
          now,
        });
      }
      const row = await trx
        .insertInto("email_accounts")
        .values({
          tenant_id: tenantId,
          address,
          display_name: displayName,
          host: "",
          port: 0,
          ...(server ?? {}),
          wallet_id: wallet?.id ?? null,
          active: input.active ? 1 : 0,
          is_platform_default: input.platformDefault ? 1 : 0,
          rate_per_second: input.ratePerSecond ?? null,
          provider,
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return {
        account: { ...row, wallet_code: wallet?.code ?? null },
        replacedActive,
        replacedPlatformDefault,
      };
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new ValidationError(`A conta de e-mail ${address} já está cadastrada.`);
    }
    throw error;
  }
}

function viewQuery(db: Kysely<Database>, tenantId: number) {
  return db
    .selectFrom("email_accounts as a")
    .leftJoin("wallets as w", "w.id", "a.wallet_id")
    .selectAll("a")
    .select("w.code as wallet_code")
    .where("a.tenant_id", "=", tenantId);
}

export async function listEmailAccounts(
  db: Kysely<Database>,
  tenantId: number,
  filter: { walletId?: number } = {},
): Promise<EmailAccountView[]> {
  let query = viewQuery(db, tenantId);
  if (filter.walletId !== undefined) query = query.where("a.wallet_id", "=", filter.walletId);
  return query.orderBy("a.address").orderBy("a.id").execute();
}

export async function getEmailAccount(
  db: Kysely<Database>,
  tenantId: number,
  id: number,
): Promise<EmailAccountView | null> {
  return (await viewQuery(db, tenantId).where("a.id", "=", id).executeTakeFirst()) ?? null;
}

/** Removes an account; refused while a live campaign sends through it. False when absent. */
export async function removeEmailAccount(
  db: Kysely<Database>,
  tenantId: number,
  id: number,
): Promise<boolean> {
  const live = await liveCampaignsUsing(db, tenantId, "email_account_id", id);
  if (live.length > 0)
    throw new ValidationError(inUseMessage(`A conta de e-mail ${id}`, live, true));
  const result = await db
    .deleteFrom("email_accounts")
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export const SMTP_SECURITY = ["starttls", "tls", "none"] as const;

/** What an update may change; absent fields stay. The password is write-only. */
export interface EmailAccountPatch {
  address?: string;
  displayName?: string | null;
  wallet?: string | null;
  active?: boolean;
  platformDefault?: boolean;
  ratePerSecond?: number | null;
  provider?: string;
  /** SMTP server of the account (for the SMTP provider); "" when none. */
  host?: string;
  port?: number;
  security?: string;
  username?: string | null;
  /** Stored encrypted; null removes it. */
  password?: string | null;
}

/**
 * Changes an e-mail account with the rules of `addEmailAccount` applied to
 * the result: a valid address not registered on another account, an active
 * account needs a wallet, one active account per wallet and one platform
 * default per tenant (the changed one takes the place of the previous).
 * Returns null when the tenant has no such account.
 */
export async function updateEmailAccount(
  db: Kysely<Database>,
  tenantId: number,
  id: number,
  patch: EmailAccountPatch,
  key?: Buffer,
): Promise<EmailAccountAdded | null> {
  const current = await getEmailAccount(db, tenantId, id);
  if (!current) return null;
  const values: Record<string, unknown> = {};
  let address = current.address;
  if (patch.address !== undefined) {
    const normalized = normalizeEmail(patch.address, true);
    if (!normalized.ok) {
      throw new ValidationError(
        `Endereço "${patch.address}" inválido: ${normalized.message.charAt(0).toLowerCase()}${normalized.message.slice(1)}.`,
      );
    }
    address = normalized.value;
    const others = await db
      .selectFrom("email_accounts")
      .select(["id", "address"])
      .where("tenant_id", "=", tenantId)
      .where("id", "!=", id)
      .execute();
    const same = others.find((e) => e.address.toLowerCase() === address.toLowerCase());
    if (same) {
      throw new ValidationError(
        `A conta de e-mail ${same.address} já está cadastrada (número ${same.id}).`,
      );
    }
    values.address = address;
  }
  if (patch.displayName !== undefined) {
    const displayName = patch.displayName?.trim() || null;
    if (displayName !== null && (displayName.length > 200 || /\p{Cc}/u.test(displayName))) {
      throw new ValidationError(
        "O nome de exibição deve ter até 200 caracteres, sem caracteres de controle.",
      );
    }
    values.display_name = displayName;
  }
  if (patch.ratePerSecond !== undefined) {
    checkRate(patch.ratePerSecond);
    values.rate_per_second = patch.ratePerSecond;
  }
  if (patch.provider !== undefined) values.provider = checkProvider(patch.provider);
  if (patch.host !== undefined) values.host = patch.host.trim();
  if (patch.port !== undefined) {
    if (!Number.isInteger(patch.port) || patch.port < 0 || patch.port > 65535) {
      throw new ValidationError("A porta SMTP deve ser um número de 1 a 65535.");
    }
    values.port = patch.port;
  }
  if (patch.security !== undefined) {
    if (!(SMTP_SECURITY as readonly string[]).includes(patch.security)) {
      throw new ValidationError(
        `Segurança "${patch.security}" inválida: use starttls, tls ou none.`,
      );
    }
    values.security = patch.security;
  }
  if (patch.username !== undefined) values.username = patch.username?.trim() || null;
  if (patch.password !== undefined) {
    values.password_enc = patch.password === null ? null : encryptSecret(patch.password, key);
  }
  const wallet =
    patch.wallet === undefined
      ? current.wallet_id === null
        ? null
        : { id: current.wallet_id, code: current.wallet_code ?? "" }
      : await resolveWalletCode(db, tenantId, patch.wallet);
  values.wallet_id = wallet?.id ?? null;
  const active = patch.active ?? (current.active === 1 && wallet?.id === current.wallet_id);
  const platformDefault = patch.platformDefault ?? current.is_platform_default === 1;
  if (active && wallet === null) {
    throw new ValidationError(
      "A conta ativa é de uma carteira: informe a carteira (wallet) ou use platformDefault para a conta padrão da plataforma.",
    );
  }
  values.active = active ? 1 : 0;
  values.is_platform_default = platformDefault ? 1 : 0;
  try {
    return await db.transaction().execute(async (trx) => {
      const now = nowIso();
      values.updated_at = now;
      let replacedActive: string | null = null;
      let replacedPlatformDefault: string | null = null;
      if (active && wallet !== null) {
        replacedActive = await takeExclusiveFlag(trx, {
          ...ACTIVE,
          tenantId,
          walletId: wallet.id,
          exceptId: id,
          now,
        });
      }
      if (platformDefault) {
        replacedPlatformDefault = await takeExclusiveFlag(trx, {
          ...PLATFORM_DEFAULT,
          tenantId,
          exceptId: id,
          now,
        });
      }
      await trx
        .updateTable("email_accounts")
        .set(values)
        .where("tenant_id", "=", tenantId)
        .where("id", "=", id)
        .execute();
      const account = await viewQuery(trx, tenantId)
        .where("a.id", "=", id)
        .executeTakeFirstOrThrow();
      return { account, replacedActive, replacedPlatformDefault };
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new ValidationError(`A conta de e-mail ${address} já está cadastrada.`);
    }
    throw error;
  }
}
