/**
 * The one-click unsubscribe link of e-mail campaigns (RFC 8058;
 * src/channels/unsubscribe-link.ts), open to anyone holding a link:
 * - POST /u/{token}: the mail provider's one-click request (body
 *   "List-Unsubscribe=One-Click", form-encoded) or the button of the page
 *   below. Puts the address on the wallet's restriction list; the dispatcher
 *   skips every later message to it (RESTRITO). Repeating it changes nothing.
 * - GET /u/{token}: a small pt-BR page with a button that POSTs. Never
 *   unsubscribes by itself: mail scanners and link previews follow links.
 * A malformed or tampered token gets 400, a link of a wallet that no longer
 * exists 404; as a page for a browser, as the API's error shape otherwise.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import {
  type UnsubscribeSubject,
  unsubscribeKey,
  verifyUnsubscribeToken,
} from "../../channels/unsubscribe-link.js";
import { addRestriction } from "../../store/restrictions.js";
import { secretKey } from "../../store/secrets.js";
import type { ApiDeps } from "../app.js";
import { ApiError } from "../errors.js";
import { type AnyRoute, route } from "../route.js";

/** What restrictions.reason says of an address that came through the link. */
export const UNSUBSCRIBE_REASON = "Descadastro pelo link do e-mail (List-Unsubscribe)";

/**
 * RFC 8058 requests are form-encoded (urlencoded or multipart); the API
 * otherwise takes JSON only. The body is read as text and not needed: the
 * token in the path says everything.
 */
export function acceptFormBodies(app: FastifyInstance): void {
  for (const type of ["application/x-www-form-urlencoded", "multipart/form-data"]) {
    app.addContentTypeParser(type, { parseAs: "string" }, (_request, body, done) => {
      done(null, typeof body === "string" ? body : body.toString("utf8"));
    });
  }
}

const tokenParam = z.object({
  token: z.string().min(1).max(1000).describe("O token do link de descadastro"),
});

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string,
  );
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="pt-BR"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#222}
button{font-size:1rem;padding:.6rem 1.2rem;cursor:pointer}</style></head>
<body><h1>${escapeHtml(title)}</h1>${body}</body></html>
`;
}

/** Hides most of the address on the page (a forwarded e-mail shows its link to others). */
function masked(address: string): string {
  const at = address.lastIndexOf("@");
  if (at <= 0) return "este endereço";
  const local = address.slice(0, at);
  return `${local.slice(0, Math.min(2, local.length))}***${address.slice(at)}`;
}

const wantsHtml = (request: FastifyRequest) =>
  /text\/html/i.test(String(request.headers.accept ?? ""));

const INVALID =
  "Link de descadastro inválido ou incompleto. Copie o link inteiro do e-mail ou use o botão de descadastro do seu programa de e-mail.";
const GONE =
  "Este link de descadastro é de uma carteira que não existe mais: não há mais envios dela para este endereço.";

async function refuse(
  request: FastifyRequest,
  reply: FastifyReply,
  status: 400 | 404,
  message: string,
): Promise<undefined> {
  if (!wantsHtml(request)) {
    throw new ApiError(status === 404 ? "NAO_ENCONTRADO" : "DADOS_INVALIDOS", message);
  }
  await reply
    .code(status)
    .type("text/html; charset=utf-8")
    .send(page("Link de descadastro inválido", `<p>${escapeHtml(message)}</p>`));
  return undefined;
}

export function unsubscribeRoutes(deps: ApiDeps): AnyRoute[] {
  const { db } = deps.store;
  let key: Buffer | null = null;
  const check = async (token: string): Promise<UnsubscribeSubject | "invalid" | "gone"> => {
    key ??= unsubscribeKey(deps.secretKey ?? secretKey());
    const subject = verifyUnsubscribeToken(key, token);
    if (!subject) return "invalid";
    const wallet = await db
      .selectFrom("wallets")
      .select("id")
      .where("tenant_id", "=", subject.tenantId)
      .where("id", "=", subject.walletId)
      .executeTakeFirst();
    return wallet ? subject : "gone";
  };
  const html = (reply: FastifyReply, text: string) =>
    reply
      .type("text/html; charset=utf-8")
      .header("cache-control", "no-store")
      .header("referrer-policy", "no-referrer")
      .header(
        "content-security-policy",
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
      )
      .send(text);
  return [
    route({
      method: "GET",
      url: "/u/:token",
      summary: "Página de descadastro de e-mail",
      description:
        "Mostra um botão que confirma o descadastro (POST no mesmo endereço). Abrir a página não descadastra: leitores de e-mail e antivírus abrem links sozinhos.",
      tag: "descadastro",
      access: "none",
      params: tokenParam,
      raw: {
        contentTypes: ["text/html"],
        description: "Página de confirmação",
        alsoStatuses: [400, 404],
      },
      handler: async ({ params, request, reply }) => {
        const subject = await check(params.token);
        if (subject === "invalid") return refuse(request, reply, 400, INVALID);
        if (subject === "gone") return refuse(request, reply, 404, GONE);
        await html(
          reply,
          page(
            "Cancelar o recebimento de e-mails",
            `<p>Deseja parar de receber estes e-mails em <strong>${escapeHtml(masked(subject.address))}</strong>?</p>
<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">Sim, não quero mais receber</button></form>`,
          ),
        );
        return undefined;
      },
    }),
    route({
      method: "POST",
      url: "/u/:token",
      summary: "Descadastro de e-mail em um clique (RFC 8058)",
      description:
        'O pedido que o provedor de e-mail faz (corpo "List-Unsubscribe=One-Click", form-urlencoded ou multipart) ou o botão da página. Põe o endereço na lista de restrição da carteira; as próximas mensagens para ele são puladas (RESTRITO). Repetir não muda nada.',
      tag: "descadastro",
      access: "none",
      params: tokenParam,
      raw: {
        contentTypes: ["text/html"],
        description: "Descadastro feito",
        alsoStatuses: [400, 404],
      },
      handler: async ({ params, request, reply }) => {
        const subject = await check(params.token);
        if (subject === "invalid") return refuse(request, reply, 400, INVALID);
        if (subject === "gone") return refuse(request, reply, 404, GONE);
        await addRestriction(
          db,
          subject.tenantId,
          subject.walletId,
          "email",
          subject.address,
          UNSUBSCRIBE_REASON,
        );
        deps.log.info("unsubscribed through the e-mail link", {
          tenantId: subject.tenantId,
          walletId: subject.walletId,
        });
        await html(
          reply.code(200),
          page(
            "Descadastro feito",
            `<p>Pronto: <strong>${escapeHtml(masked(subject.address))}</strong> não receberá mais estes e-mails.</p>`,
          ),
        );
        return undefined;
      },
    }),
  ];
}
