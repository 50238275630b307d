/**
 * The e-mail channel over SMTP (SPEC §8, issue 12 "E-mail (SMTP)"), with
 * nodemailer: one connection pool per e-mail account (email_accounts: host,
 * port, security starttls|tls|none, username, password encrypted), From and
 * Reply-To of the account, optional DKIM signature, and the RFC 8058
 * one-click unsubscribe headers (unsubscribe-link.ts).
 *
 * What comes back, per message:
 * - 250 → sent, providerId = the Message-ID we gave it (unique: message id + random);
 * - 5xx (but 503) → failed with the server's own text (it says why: unknown user, policy…);
 * - 421 → throttled (the server asks us to slow down), other 4xx → retry, with a pause hint;
 * - connection refused, dropped, timed out, TLS or login problems → retry: the
 *   message may be fine, the connection was not (the dispatcher gives up after
 *   its attempts, with the last reason);
 * - an abort (the dispatcher's lease margin) → retry for what had not gone yet.
 *
 * Settings are read from the store on first use and again after
 * `settingsTtlMs` (a changed account gets a new pool; the old one closes once
 * its sends end). Passwords and DKIM keys are decrypted only here, in memory.
 */
import { randomBytes } from "node:crypto";
import type { ConnectionOptions } from "node:tls";
import type { Kysely } from "kysely";
import nodemailer from "nodemailer";
import type { Channel, Clock, OutgoingMessage, SendResult } from "../campaigns/channel.js";
import { type Logger, silentLogger } from "../log.js";
import type { Database } from "../store/schema.js";
import { decryptSecret, secretKey } from "../store/secrets.js";
import { htmlToText, looksLikeHtml } from "./html-text.js";
import {
  publicUrlProblem,
  publicUrlSetting,
  signUnsubscribeToken,
  unsubscribeKey,
  unsubscribeUrl,
} from "./unsubscribe-link.js";

type Transporter = ReturnType<typeof nodemailer.createTransport>;

export type SmtpSecurity = "starttls" | "tls" | "none";

/** What the channel needs of an account, secrets in clear (memory only). */
export interface SmtpAccount {
  id: number;
  tenantId: number;
  address: string;
  displayName: string | null;
  replyTo: string | null;
  host: string;
  port: number;
  security: SmtpSecurity;
  username: string | null;
  password: string | null;
  dkim: { domain: string; selector: string; privateKey: string } | null;
  /** Changes when the account is edited: its pool is then rebuilt. */
  version: string;
}

export interface SmtpChannelOptions {
  clock?: Clock;
  log?: Logger;
  /** Base URL of the unsubscribe link (default REMESSA_PUBLIC_URL); null: no List-Unsubscribe. */
  publicUrl?: string | null;
  /** Key for the stored secrets and the link signature (default: the configured one). */
  secretKey?: Buffer;
  /** Connections per account. Default 2. */
  maxConnections?: number;
  /** Messages per connection before it is replaced. Default 100. */
  maxMessages?: number;
  /** Connect + greeting timeout. Default 15 s. */
  connectionTimeoutMs?: number;
  /** Inactivity on an open connection. Default 60 s. */
  socketTimeoutMs?: number;
  /** TLS options for every account (tests trust their own certificate here). */
  tls?: ConnectionOptions;
  /** Account settings are read again after this long. Default 60 s. */
  settingsTtlMs?: number;
}

/** Reads an account with its secrets decrypted; null when it does not exist (or is not SMTP-ready). */
export async function loadSmtpAccount(
  db: Kysely<Database>,
  id: number,
  key: Buffer = secretKey(),
): Promise<SmtpAccount | null> {
  const row = await db
    .selectFrom("email_accounts")
    .select([
      "id",
      "tenant_id",
      "address",
      "display_name",
      "reply_to",
      "host",
      "port",
      "security",
      "username",
      "password_enc",
      "dkim_domain",
      "dkim_selector",
      "dkim_key_enc",
      "updated_at",
    ])
    .where("id", "=", id)
    .executeTakeFirst();
  if (!row) return null;
  const security: SmtpSecurity =
    row.security === "tls" || row.security === "none" ? row.security : "starttls";
  return {
    id: Number(row.id),
    tenantId: Number(row.tenant_id),
    address: row.address,
    displayName: row.display_name,
    replyTo: row.reply_to,
    host: row.host,
    port: Number(row.port),
    security,
    username: row.username,
    password: row.password_enc ? decryptSecret(row.password_enc, key) : null,
    dkim:
      row.dkim_domain && row.dkim_selector && row.dkim_key_enc
        ? {
            domain: row.dkim_domain,
            selector: row.dkim_selector,
            privateKey: decryptSecret(row.dkim_key_enc, key),
          }
        : null,
    version: row.updated_at,
  };
}

/** nodemailer's settings for an account (pooled or not). */
export function transportOptions(
  account: SmtpAccount,
  options: Pick<SmtpChannelOptions, "connectionTimeoutMs" | "socketTimeoutMs" | "tls">,
) {
  const connectionTimeout = options.connectionTimeoutMs ?? 15_000;
  return {
    host: account.host,
    port: account.port,
    // tls: TLS from the first byte (465); starttls: upgrade required, never in clear; none: clear.
    secure: account.security === "tls",
    requireTLS: account.security === "starttls",
    ignoreTLS: account.security === "none",
    ...(account.username ? { auth: { user: account.username, pass: account.password ?? "" } } : {}),
    connectionTimeout,
    greetingTimeout: connectionTimeout,
    socketTimeout: options.socketTimeoutMs ?? 60_000,
    dnsTimeout: connectionTimeout,
    ...(options.tls ? { tls: options.tls } : {}),
    ...(account.dkim
      ? {
          dkim: {
            domainName: account.dkim.domain,
            keySelector: account.dkim.selector,
            privateKey: account.dkim.privateKey,
          },
        }
      : {}),
    logger: false,
  };
}

interface Pool {
  account: SmtpAccount;
  transporter: Transporter;
  loadedAt: number;
  sending: number;
  retired: boolean;
}

/** The parts of a nodemailer error we read. */
interface MailError {
  name?: string;
  code?: string;
  originalCode?: string;
  responseCode?: number;
  response?: string;
  permanent?: boolean;
  message?: string;
}

/** A server's reply text, on one line and not too long for a report. */
function serverText(e: MailError): string {
  const text = (e.response ?? e.message ?? "").replace(/\s+/g, " ").trim();
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** What a connection problem is, for `email-accounts test` and docs/codigos.md. */
export type SmtpProblemCode =
  | "SMTP_DNS"
  | "SMTP_RECUSADA"
  | "SMTP_CERTIFICADO"
  | "SMTP_TLS"
  | "SMTP_AUTENTICACAO"
  | "SMTP_TEMPO_ESGOTADO"
  | "SMTP_CONEXAO_CAIU"
  | "SMTP_FALHA";

const oneLine = (text: string | undefined) => (text ?? "").replace(/\s+/g, " ").trim();

/** What went wrong with a connection (not a server's reply to a message): a code and pt-BR text. */
export function classifyConnectionError(
  e: MailError,
  host: string,
): { code: SmtpProblemCode; text: string } {
  const code = e.code ?? "";
  const original = e.originalCode ?? "";
  const message = oneLine(e.message);
  if (code === "EDNS" || original === "ENOTFOUND" || original === "EAI_AGAIN") {
    return {
      code: "SMTP_DNS",
      text: `o nome ${host} não foi encontrado no DNS (confira o servidor SMTP)`,
    };
  }
  if (original === "ECONNREFUSED" || /ECONNREFUSED/.test(message)) {
    return {
      code: "SMTP_RECUSADA",
      text: `o servidor ${host} recusou a conexão (confira o servidor e a porta)`,
    };
  }
  if (
    code !== "EAUTH" &&
    /CERT|certificate|self[- ]signed|UNABLE_TO_VERIFY|altname/i.test(`${original} ${message}`)
  ) {
    return {
      code: "SMTP_CERTIFICADO",
      text: `o certificado TLS de ${host} não foi aceito (${message})`,
    };
  }
  if (code === "ETLS" || code === "EREQUIRETLS") {
    return {
      code: "SMTP_TLS",
      text: `não foi possível estabelecer TLS com ${host} (${message}); confira a segurança (starttls, tls ou none) e a porta`,
    };
  }
  if (code === "EAUTH" || code === "ENOAUTH") {
    return {
      code: "SMTP_AUTENTICACAO",
      text: `o servidor ${host} recusou o usuário ou a senha${e.response ? ` (${serverText(e)})` : ""}`,
    };
  }
  if (code === "ETIMEDOUT") {
    return { code: "SMTP_TEMPO_ESGOTADO", text: `o servidor ${host} não respondeu a tempo` };
  }
  if (code === "ECONNECTION" || code === "ESOCKET" || /closed|reset|ECONNRESET/i.test(message)) {
    return { code: "SMTP_CONEXAO_CAIU", text: `a conexão com ${host} caiu (${message})` };
  }
  return {
    code: "SMTP_FALHA",
    text: `falha ao falar com ${host} (${message || code || "erro desconhecido"})`,
  };
}

/** A connection problem in pt-BR. */
export function connectionProblem(e: MailError, host: string): string {
  return classifyConnectionError(e, host).text;
}

/** One message's result from nodemailer's error. */
export function resultOfError(e: MailError, host: string): SendResult {
  if (e.code === "EABORT" || e.name === "AbortError") {
    return {
      outcome: "retry",
      reason: "Envio interrompido antes de o servidor de e-mail aceitar.",
    };
  }
  const status = e.responseCode;
  if (typeof status === "number" && e.code !== "EAUTH") {
    const text = serverText(e);
    const permanent = e.permanent ?? (status >= 500 && status !== 503);
    if (permanent) {
      return { outcome: "failed", reason: `O servidor de e-mail recusou a mensagem: ${text}` };
    }
    if (status === 421) {
      return {
        outcome: "throttled",
        reason: `O servidor de e-mail pediu para esperar: ${text}`,
        afterMs: 60_000,
      };
    }
    if (status >= 400 && status < 500) {
      return {
        outcome: "retry",
        reason: `O servidor de e-mail adiou a mensagem (falha temporária): ${text}`,
        afterMs: 30_000,
      };
    }
  }
  if (e.code === "EENVELOPE" || e.code === "EMESSAGE") {
    return {
      outcome: "failed",
      reason: `Mensagem recusada antes do envio: ${(e.message ?? "").replace(/\s+/g, " ").trim()}`,
    };
  }
  return {
    outcome: "retry",
    reason: `Servidor de e-mail indisponível: ${connectionProblem(e, host)}.`,
    afterMs: 15_000,
  };
}

function domainOf(address: string): string {
  const at = address.lastIndexOf("@");
  return at >= 0 ? address.slice(at + 1) : "remessa.invalid";
}

export class SmtpChannel implements Channel {
  readonly provider = "smtp";
  private closed = false;
  private readonly pools = new Map<number, Pool>();
  private readonly loading = new Map<number, Promise<Pool | string>>();
  private readonly wallets = new Map<number, number | null>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly publicUrl: string | null;
  private linkKey: Buffer | null = null;
  private warnedNoUrl = false;

  constructor(
    private readonly store: { db: Kysely<Database> },
    private readonly options: SmtpChannelOptions = {},
  ) {
    this.clock = options.clock ?? Date.now;
    this.log = options.log ?? silentLogger;
    const url = options.publicUrl === undefined ? publicUrlSetting() : options.publicUrl;
    const problem = url === null ? null : publicUrlProblem(url);
    if (problem) this.log.warn("unsubscribe link disabled", { problem });
    this.publicUrl = problem ? null : url;
  }

  async send(batch: readonly OutgoingMessage[], signal?: AbortSignal): Promise<SendResult[]> {
    if (this.closed) throw new Error("canal SMTP já fechado");
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

  private async sendAll(
    batch: readonly OutgoingMessage[],
    signal?: AbortSignal,
  ): Promise<SendResult[]> {
    return Promise.all(batch.map((m) => this.sendOne(m, signal)));
  }

  private async sendOne(m: OutgoingMessage, signal?: AbortSignal): Promise<SendResult> {
    if (m.channel !== "email") {
      return { outcome: "failed", reason: "O provedor SMTP envia só e-mail." };
    }
    const id = /^email:(\d+)$/.exec(m.from.key)?.[1];
    if (id === undefined) {
      return {
        outcome: "failed",
        reason: "Remetente de e-mail sem conta de e-mail (chave inválida).",
      };
    }
    const pool = await this.poolFor(Number(id), m.tenantId);
    if (typeof pool === "string") return { outcome: "retry", reason: pool, afterMs: 60_000 };
    if (signal?.aborted) return resultOfError({ code: "EABORT" }, pool.account.host);
    const account = pool.account;
    const headers: Record<string, string> = {};
    const link = await this.unsubscribeLink(m);
    if (link) {
      headers["List-Unsubscribe"] = `<${link}>`;
      headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click";
    }
    const body = m.text ?? "";
    const html = looksLikeHtml(body);
    // Our own Message-ID: the provider id, unique per tenant, and how a bounce finds the message.
    const messageId = `${m.id}.${randomBytes(6).toString("hex")}@${domainOf(account.address)}`;
    pool.sending++;
    try {
      await pool.transporter.sendMail({
        from: account.displayName
          ? { name: account.displayName, address: account.address }
          : account.address,
        ...(account.replyTo ? { replyTo: account.replyTo } : {}),
        to: m.to,
        subject: m.subject ?? "",
        messageId: `<${messageId}>`,
        ...(html ? { html: body, text: htmlToText(body) } : { text: body }),
        headers,
        ...(signal ? { signal } : {}),
      });
      return { outcome: "sent", providerId: messageId };
    } catch (error) {
      const result = resultOfError(error as MailError, account.host);
      if (result.outcome !== "failed") {
        this.log.warn("smtp send not done", {
          account: account.id,
          code: (error as MailError).code ?? null,
          status: (error as MailError).responseCode ?? null,
        });
      }
      return result;
    } finally {
      pool.sending--;
      if (pool.retired && pool.sending === 0) pool.transporter.close();
    }
  }

  /** The message's unsubscribe URL, or null (no public URL, or a campaign without wallet). */
  private async unsubscribeLink(m: OutgoingMessage): Promise<string | null> {
    if (this.publicUrl === null) {
      if (!this.warnedNoUrl) {
        this.warnedNoUrl = true;
        this.log.warn("REMESSA_PUBLIC_URL not set: e-mails go out without List-Unsubscribe");
      }
      return null;
    }
    let walletId = this.wallets.get(m.campaignId);
    if (walletId === undefined) {
      const row = await this.store.db
        .selectFrom("campaigns")
        .select("wallet_id")
        .where("id", "=", m.campaignId)
        .executeTakeFirst();
      walletId = row?.wallet_id == null ? null : Number(row.wallet_id);
      this.wallets.set(m.campaignId, walletId);
    }
    if (walletId === null) return null;
    this.linkKey ??= unsubscribeKey(this.options.secretKey ?? secretKey());
    const token = signUnsubscribeToken(this.linkKey, {
      tenantId: m.tenantId,
      walletId,
      address: m.to,
    });
    return unsubscribeUrl(this.publicUrl, token);
  }

  /** The account's pool, (re)built when missing or stale; a pt-BR reason when it cannot be. */
  private async poolFor(id: number, tenantId: number): Promise<Pool | string> {
    const current = this.pools.get(id);
    const ttl = this.options.settingsTtlMs ?? 60_000;
    if (current && this.clock() - current.loadedAt < ttl) return current;
    let loading = this.loading.get(id);
    if (!loading) {
      loading = this.buildPool(id, tenantId, current).finally(() => this.loading.delete(id));
      this.loading.set(id, loading);
    }
    return loading;
  }

  private async buildPool(id: number, tenantId: number, current?: Pool): Promise<Pool | string> {
    let account: SmtpAccount | null;
    try {
      account = await loadSmtpAccount(this.store.db, id, this.options.secretKey ?? secretKey());
    } catch (error) {
      this.log.error("smtp account unreadable", { account: id, error });
      return `A senha ou a chave DKIM da conta de e-mail ${id} não pôde ser lida: ${(error as Error).message}`;
    }
    if (!account || account.tenantId !== tenantId) {
      return `A conta de e-mail ${id} não existe mais: cadastre-a de novo para a campanha continuar.`;
    }
    if (!account.host || !account.port) {
      return `A conta de e-mail ${account.address} não tem servidor SMTP: cadastre-a com --provider smtp --host --port.`;
    }
    if (current && current.account.version === account.version) {
      current.loadedAt = this.clock();
      return current;
    }
    if (this.closed) return "Canal SMTP fechado.";
    const transporter = nodemailer.createTransport({
      pool: true,
      maxConnections: this.options.maxConnections ?? 2,
      maxMessages: this.options.maxMessages ?? 100,
      ...transportOptions(account, this.options),
    });
    const pool: Pool = { account, transporter, loadedAt: this.clock(), sending: 0, retired: false };
    this.pools.set(id, pool);
    if (current) {
      current.retired = true;
      if (current.sending === 0) current.transporter.close();
    }
    return pool;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
    await Promise.allSettled([...this.loading.values()]);
    for (const pool of this.pools.values()) pool.transporter.close();
    this.pools.clear();
  }
}

/** The outcome of `email-accounts test`: one real round trip (connect, EHLO, STARTTLS/TLS, AUTH). */
export type SmtpTestResult =
  | { ok: true; message: string }
  | { ok: false; code: SmtpProblemCode; message: string };

export async function testSmtpAccount(
  account: SmtpAccount,
  options: Pick<SmtpChannelOptions, "connectionTimeoutMs" | "socketTimeoutMs" | "tls"> = {},
): Promise<SmtpTestResult> {
  const transporter = nodemailer.createTransport(transportOptions(account, options));
  try {
    await transporter.verify();
    const security = { starttls: "STARTTLS", tls: "TLS", none: "sem criptografia" }[
      account.security
    ];
    return {
      ok: true,
      message: `Conexão com ${account.host}:${account.port} OK (${security}${account.username ? `, usuário ${account.username} autenticado` : ", sem autenticação"}).`,
    };
  } catch (error) {
    const problem = classifyConnectionError(error as MailError, account.host);
    return {
      ok: false,
      code: problem.code,
      message: `Falha ao testar ${account.host}:${account.port}: ${problem.text}.`,
    };
  } finally {
    transporter.close();
  }
}
