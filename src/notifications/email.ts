/**
 * Notification e-mail: a pt-BR subject and plain text from the event body,
 * sent through nodemailer with, in order:
 * 1. the deployment's SMTP URL (REMESSA_NOTIFY_SMTP_URL), from REMESSA_NOTIFY_FROM;
 * 2. the tenant's platform default e-mail account (is_platform_default), else
 *    the default tenant's: over SMTP when it is an SMTP account (its host is
 *    checked by the host guard, as a webhook's is), or stored in the embedded
 *    outbox when it is the embedded default (provider "outbox"), like any
 *    message the platform "sends" without an external account.
 */
import type { Kysely } from "kysely";
import { createTransport } from "nodemailer";
import { SourceError } from "../sources/errors.js";
import { type Resolver, resolveHost } from "../sources/host-guard.js";
import { busyRetry } from "../store/busy.js";
import type { Database } from "../store/schema.js";
import { decryptSecret } from "../store/secrets.js";
import { DEFAULT_TENANT_ID } from "../store/tenants.js";
import type { EventBody } from "./events.js";
import type { NotifyPolicy } from "./settings.js";
import type { AttemptResult } from "./webhook.js";

type Data = Record<string, unknown>;

function text(value: unknown): string {
  return value === null || value === undefined ? "—" : String(value);
}

/** The e-mail's subject and body for an event (pt-BR). */
export function renderEmail(body: EventBody): { subject: string; text: string } {
  const d = body.data as Data;
  const lines: string[] = [];
  let subject: string;
  switch (body.event) {
    case "file.accepted": {
      subject = `[remessa] Arquivo aceito: ${text(d.fileName)}`;
      lines.push(
        `O arquivo ${text(d.fileName)} foi importado e movido para ${text(d.movedTo)}.`,
        "",
        `Linhas: ${text(d.rows)}`,
        `Pessoas: ${text(d.persons)} (${text(d.inserted)} novas, ${text(d.updated)} atualizadas)`,
        `Linhas rejeitadas: ${text(d.rejectedRows)}`,
      );
      const rejected = Object.entries((d.rejected ?? {}) as Record<string, number>);
      if (rejected.length > 0) {
        lines.push("Motivos das rejeições:");
        for (const [code, n] of rejected) lines.push(`  - ${code}: ${n}`);
      }
      break;
    }
    case "file.discarded": {
      subject = `[remessa] Arquivo descartado: ${text(d.fileName)}`;
      lines.push(
        `O arquivo ${text(d.fileName)} foi descartado e movido para ${text(d.movedTo)}.`,
        "",
        "Motivos:",
      );
      for (const r of (d.reasons ?? []) as { code: string; message: string }[]) {
        lines.push(`  - ${r.code}: ${r.message}`);
      }
      lines.push("", "Corrija e envie o arquivo de novo.");
      break;
    }
    case "file.failed":
      subject = `[remessa] Falha no processamento: ${text(d.fileName)}`;
      lines.push(
        `O processamento do arquivo ${text(d.fileName)} não pôde terminar.`,
        "",
        `Motivo: ${text(d.reason)}`,
      );
      break;
    case "campaign.finished":
    case "campaign.expired":
    case "campaign.cancelled": {
      const ended =
        body.event === "campaign.expired"
          ? "expirou"
          : body.event === "campaign.cancelled"
            ? "foi cancelada"
            : "terminou";
      subject = `[remessa] Campanha ${text(d.campaignId)} ${ended}: ${text(d.name)}`;
      lines.push(
        `A campanha ${text(d.campaignId)} (${text(d.name)}, canal ${text(d.channel)}) ${ended} em ${text(d.endedAt)} (UTC).`,
        body.event === "campaign.expired"
          ? "O prazo final chegou antes de todas as mensagens saírem: as que faltavam foram expiradas."
          : body.event === "campaign.cancelled"
            ? "As mensagens que ainda não tinham saído não serão enviadas."
            : "Todas as mensagens foram tratadas.",
        "",
        `Público: ${text(d.audience)}`,
        "Mensagens por situação:",
      );
      for (const [state, n] of Object.entries((d.messages ?? {}) as Record<string, number>)) {
        lines.push(`  - ${state}: ${n}`);
      }
      break;
    }
    case "source.failing":
      subject = `[remessa] Origem sem leitura há ${text(d.minutes)} min: ${text(d.name)}`;
      lines.push(
        `A origem ${text(d.sourceId)} (${text(d.name)}) não consegue ser lida desde ${text(d.failingSince)} (UTC): ${text(d.failures)} tentativas falharam.`,
        "",
        `Último erro: ${text(d.lastError)}`,
        `Última leitura com sucesso: ${text(d.lastSuccessAt)}`,
        "",
        'Confira o servidor, o usuário e a senha da origem ("remessa sources test").',
        "Este aviso é enviado uma vez enquanto a falha durar.",
      );
      break;
    default:
      subject = "[remessa] Teste de notificação";
      lines.push(
        "Este é um teste das notificações do remessa: se você recebeu este e-mail, o envio está funcionando.",
      );
  }
  lines.push("", `Evento: ${body.event} (${body.id}), empresa ${body.tenantId}.`);
  return { subject, text: `${lines.join("\n")}\n` };
}

export interface EmailSend {
  db: Kysely<Database>;
  tenantId: number;
  to: readonly string[];
  body: EventBody;
  policy: NotifyPolicy;
  key?: Buffer;
  resolver?: Resolver;
  now: string;
  timeoutMs?: number;
}

async function platformAccount(db: Kysely<Database>, tenantId: number) {
  for (const tenant of [tenantId, DEFAULT_TENANT_ID]) {
    const account = await db
      .selectFrom("email_accounts")
      .selectAll()
      .where("tenant_id", "=", tenant)
      .where("is_platform_default", "=", 1)
      .orderBy("id")
      .executeTakeFirst();
    if (account) return account;
  }
  return null;
}

export async function sendNotificationEmail(send: EmailSend): Promise<AttemptResult> {
  const { subject, text: body } = renderEmail(send.body);
  const timeoutMs = send.timeoutMs ?? 20_000;
  const timeouts = {
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  };
  let transport: ReturnType<typeof createTransport>;
  let from: string;
  if (send.policy.smtpUrl) {
    transport = createTransport({ url: send.policy.smtpUrl, ...timeouts });
    from = send.policy.from;
  } else {
    const account = await platformAccount(send.db, send.tenantId);
    if (!account) {
      return {
        ok: false,
        statusCode: null,
        error:
          "Nenhuma conta de e-mail para as notificações: cadastre a conta padrão da plataforma (email-accounts add --platform-default) ou defina REMESSA_NOTIFY_SMTP_URL.",
      };
    }
    from = account.display_name ? `${account.display_name} <${account.address}>` : account.address;
    if (account.provider === "outbox" || account.host === "") {
      // The embedded default: stored and shown (remessa outbox list), as its campaigns' are.
      await busyRetry(() =>
        send.db
          .insertInto("outbox")
          .values(
            send.to.map((address) => ({
              tenant_id: send.tenantId,
              message_id: null,
              channel: "email",
              address,
              payload_json: JSON.stringify({
                from,
                subject,
                text: body,
                notification: send.body.id,
              }),
              created_at: send.now,
            })),
          )
          .execute(),
      );
      return { ok: true, statusCode: null, error: null };
    }
    let target: Awaited<ReturnType<typeof resolveHost>>;
    try {
      target = await resolveHost(account.host, {
        allowPrivate: send.policy.allowPrivate,
        ...(send.resolver ? { resolver: send.resolver } : {}),
      });
    } catch (error) {
      const why = error instanceof SourceError ? error.message : String(error);
      return { ok: false, statusCode: null, error: `Servidor de e-mail recusado: ${why}` };
    }
    transport = createTransport({
      host: target.address,
      port: account.port,
      secure: account.security === "tls",
      requireTLS: account.security === "starttls",
      ignoreTLS: account.security === "none",
      ...(target.servername ? { tls: { servername: target.servername } } : {}),
      ...(account.username
        ? {
            auth: {
              user: account.username,
              pass: account.password_enc ? decryptSecret(account.password_enc, send.key) : "",
            },
          }
        : {}),
      ...timeouts,
    });
  }
  try {
    await transport.sendMail({ from, to: [...send.to], subject, text: body });
    return { ok: true, statusCode: null, error: null };
  } catch (error) {
    const e = error as { message?: string; responseCode?: number };
    return {
      ok: false,
      statusCode: e.responseCode ?? null,
      error: `Falha ao enviar o e-mail: ${e.message ?? String(error)}`,
    };
  } finally {
    transport.close();
  }
}
