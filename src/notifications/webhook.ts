/**
 * Webhook delivery: a POST of the event's JSON body, signed with
 * HMAC-SHA256 under the tenant's secret. The signed content is
 * `<timestamp>.<body>` (timestamp: Unix seconds, sent in
 * X-Remessa-Timestamp), so a receiver that checks the signature AND refuses
 * old timestamps cannot be fed a recorded request again. The signature goes
 * in X-Remessa-Signature as `v1=<hex>` (the version lets the scheme change
 * without breaking receivers).
 *
 * The host is resolved once and every address checked by the sources' host
 * guard (resolveHost), and the connection made to that checked address: a
 * DNS answer that changes after the URL was saved (rebinding) cannot reach an
 * internal service. Redirects are not followed (a 3xx is a failure).
 */
import { createHmac } from "node:crypto";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";
import { SourceError } from "../sources/errors.js";
import { type Resolver, resolveHost } from "../sources/host-guard.js";
import type { NotifyPolicy } from "./settings.js";

export const SIGNATURE_HEADER = "x-remessa-signature";
export const TIMESTAMP_HEADER = "x-remessa-timestamp";

/** `v1=<hex>`: HMAC-SHA256 of `<timestamp>.<body>` under the secret. */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

export interface AttemptResult {
  ok: boolean;
  statusCode: number | null;
  /** pt-BR, for the delivery log; null on success. */
  error: string | null;
}

/** Longest answer body read (the rest is dropped): receivers' answers are not used. */
const MAX_ANSWER_BYTES = 4096;

export interface WebhookRequest {
  url: string;
  secret: string;
  body: string;
  event: string;
  eventId: string;
  deliveryId: number;
  /** Unix seconds of the signature. */
  timestamp: number;
  policy: Pick<NotifyPolicy, "allowHttp" | "allowPrivate">;
  timeoutMs?: number;
  resolver?: Resolver;
  signal?: AbortSignal;
}

export async function postWebhook(req: WebhookRequest): Promise<AttemptResult> {
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    return { ok: false, statusCode: null, error: "URL do webhook inválida." };
  }
  const https = url.protocol === "https:";
  if (!https && !(url.protocol === "http:" && req.policy.allowHttp)) {
    return { ok: false, statusCode: null, error: "O webhook precisa usar https://." };
  }
  const hostname = url.hostname.replace(/^\[|\]$/g, "");
  let target: Awaited<ReturnType<typeof resolveHost>>;
  try {
    target = await resolveHost(hostname, {
      allowPrivate: req.policy.allowPrivate,
      ...(req.resolver ? { resolver: req.resolver } : {}),
    });
  } catch (error) {
    const message = error instanceof SourceError ? error.message : String(error);
    return { ok: false, statusCode: null, error: `Webhook recusado: ${message}` };
  }
  // Connect to the address just checked, never to a second lookup's answer.
  const lookup: LookupFunction = (_host, options, callback) => {
    if (options.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
  const headers = {
    "content-type": "application/json; charset=utf-8",
    "content-length": String(Buffer.byteLength(req.body)),
    "user-agent": "remessa-webhook/1",
    [TIMESTAMP_HEADER]: String(req.timestamp),
    [SIGNATURE_HEADER]: signWebhook(req.secret, req.timestamp, req.body),
    "x-remessa-event": req.event,
    "x-remessa-event-id": req.eventId,
    "x-remessa-delivery": String(req.deliveryId),
  };
  const timeoutMs = req.timeoutMs ?? 10_000;
  return new Promise<AttemptResult>((resolve) => {
    let settled = false;
    const finish = (result: AttemptResult) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const send = https ? httpsRequest : httpRequest;
    const request = send(
      {
        method: "POST",
        protocol: url.protocol,
        hostname,
        port: url.port || (https ? 443 : 80),
        path: `${url.pathname}${url.search}`,
        headers,
        lookup,
        // The checked IP literal needs no lookup; the name stays for SNI and the certificate.
        ...(https && target.servername ? { servername: target.servername } : {}),
        ...(req.signal ? { signal: req.signal } : {}),
      },
      (response) => {
        let read = 0;
        response.on("data", (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_ANSWER_BYTES) response.destroy();
        });
        const status = response.statusCode ?? 0;
        const done = () =>
          finish(
            status >= 200 && status < 300
              ? { ok: true, statusCode: status, error: null }
              : {
                  ok: false,
                  statusCode: status,
                  error:
                    status >= 300 && status < 400
                      ? `O webhook respondeu ${status} (redirecionamento): o remessa não segue redirecionamentos, cadastre a URL final.`
                      : `O webhook respondeu ${status}.`,
                },
          );
        response.on("end", done);
        response.on("close", done);
        response.on("error", done);
      },
    );
    request.setTimeout(timeoutMs, () => {
      request.destroy(new Error(`sem resposta em ${Math.round(timeoutMs / 1000)} s`));
    });
    request.on("error", (error: NodeJS.ErrnoException) => {
      const why =
        error.code === "ECONNREFUSED"
          ? "conexão recusada"
          : error.code === "ENOTFOUND"
            ? "endereço não encontrado"
            : error.message;
      finish({ ok: false, statusCode: null, error: `Falha ao chamar o webhook: ${why}.` });
    });
    request.end(req.body);
  });
}
