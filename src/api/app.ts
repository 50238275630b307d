/**
 * The HTTP API (issue 13): `buildApi` returns a fastify instance with every
 * route, ready for `inject` in tests or `listen` in `serve`. Routes are
 * declared with zod schemas (route.ts) that validate, type and document them
 * (openapi.ts → /openapi.json, /docs).
 */

import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from "fastify";
import { type Logger, silentLogger } from "../log.js";
import { type NotifyPolicy, notifyPolicyFromEnv } from "../notifications/settings.js";
import { createPrometheus, type MetricsEndpoint } from "../ops/prometheus.js";
import { MAX_SUBJECT_RECORDS, TooManyRecordsError } from "../privacy/persons.js";
import { type ConnectionTestResult, testConnection } from "../sources/test-connection.js";
import type { SourceConfig } from "../sources/types.js";
import { busyRetry, isSqliteBusy } from "../store/busy.js";
import type { Store } from "../store/db.js";
import { ValidationError } from "../store/tenants.js";
import { adminKeyDigest, authenticator } from "./auth.js";
import { registerConsole } from "./console.js";
import { ApiError, type ApiErrorBody } from "./errors.js";
import { buildOpenApi } from "./openapi.js";
import { DEFAULT_RATE_LIMIT, type RateLimitOptions, TokenBuckets } from "./rate-limit.js";
import { type AnyRoute, type AuditChange, register } from "./route.js";
import { campaignTimelineRoutes } from "./routes/campaign-timeline.js";
import { campaignRoutes } from "./routes/campaigns.js";
import { type DropBoxInfo, dropBoxRoutes } from "./routes/dropbox.js";
import { filenameRoutes } from "./routes/filename.js";
import { mailingRoutes } from "./routes/mailings.js";
import { messageRoutes } from "./routes/messages.js";
import { metricsKeyDigest, metricsRoutes } from "./routes/metrics.js";
import { notificationRoutes } from "./routes/notifications.js";
import { peopleRoutes } from "./routes/people.js";
import { privacyRoutes } from "./routes/privacy.js";
import { RESTRICTIONS_UPLOAD_LIMIT, restrictionRoutes } from "./routes/restrictions.js";
import { settingsRoutes } from "./routes/settings.js";
import { sourceRoutes } from "./routes/sources.js";
import { defaultReadiness, type Readiness, systemRoutes } from "./routes/system.js";
import { tenantRoutes } from "./routes/tenants.js";
import { acceptFormBodies, unsubscribeRoutes } from "./routes/unsubscribe.js";
import { walletRoutes } from "./routes/wallets.js";
import { whatsappWebhookRoutes } from "./routes/whatsapp-webhook.js";

/** Default request body cap: 1 MiB (JSON bodies here are small). */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

export interface ApiOptions {
  store: Store;
  /** The clock behind "today", key bookkeeping and the rate limit (tests inject one). */
  clock?: () => Date;
  log?: Logger;
  /** The platform admin key in clear (REMESSA_ADMIN_KEY); only its digest is kept. */
  adminKey?: string | null;
  rateLimit?: RateLimitOptions;
  bodyLimit?: number;
  /** /ready and /readyz: serve passes its own (drop box, stuck files). */
  readiness?: Readiness;
  /** Let sources on private networks be registered through the API (REMESSA_API_ALLOW_PRIVATE). */
  allowPrivateSources?: boolean;
  /** What a notification webhook may be, and how notification e-mail goes out (default: from the environment). */
  notifyPolicy?: NotifyPolicy;
  /** Key for source passwords at rest (default: the configured one). */
  secretKey?: Buffer;
  /** The connection test behind POST /sources/{id}/test (tests may replace it). */
  testConnection?: (config: SourceConfig) => Promise<ConnectionTestResult>;
  /** How long a change waits for SQLite's write lock before 503 BANCO_OCUPADO (default 30 s). */
  busyTimeoutMs?: number;
  /** Tests: every JSON answer is checked against its documented schema (a mismatch is a 500). */
  checkResponses?: boolean;
  /** What /metrics serves (serve passes the one its services count in; default: a fresh one). */
  metrics?: MetricsEndpoint;
  /** The key that opens /metrics (REMESSA_METRICS_KEY), besides the admin key. */
  metricsKey?: string | null;
  /** Told of every route fastify registers (introspection: the OpenAPI coverage test). */
  onRoute?: (route: { method: string; url: string }) => void;
  /**
   * Serve the web console at `/` (serve does): the built console's folder, or null when it
   * is not built (then `/` says how to build it). Omitted: no console routes (API tests).
   */
  console?: string | null;
  /** The embedded drop box's address for FTP clients (serve, once the box listens). */
  dropBox?: () => DropBoxInfo | null;
}

/** What every route module gets. */
export interface ApiDeps {
  store: Store;
  now: () => Date;
  log: Logger;
  allowPrivateSources: boolean;
  secretKey: Buffer | undefined;
  notifyPolicy: NotifyPolicy;
  testConnection: (config: SourceConfig) => Promise<ConnectionTestResult>;
}

/** The API's settings from the environment (serve): admin key, rate limit, private sources. */
export function apiOptionsFromEnv(
  env: Record<string, string | undefined> = process.env,
): Pick<ApiOptions, "adminKey" | "metricsKey" | "rateLimit" | "allowPrivateSources"> {
  const positive = (text: string | undefined, fallback: number) => {
    const n = Number(text);
    return text !== undefined && Number.isFinite(n) && n > 0 ? n : fallback;
  };
  return {
    adminKey: env.REMESSA_ADMIN_KEY ?? null,
    metricsKey: env.REMESSA_METRICS_KEY ?? null,
    rateLimit: {
      perSecond: positive(env.REMESSA_API_RATE, DEFAULT_RATE_LIMIT.perSecond),
      burst: positive(env.REMESSA_API_BURST, DEFAULT_RATE_LIMIT.burst),
    },
    allowPrivateSources: env.REMESSA_API_ALLOW_PRIVATE === "1",
  };
}

function version(): string {
  const file = new URL("../../package.json", import.meta.url);
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}

/** fastify's own refusals, in the API's shape. */
function fromFastify(error: FastifyError): ApiError | null {
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new ApiError(
        "CORPO_GRANDE_DEMAIS",
        "O corpo da requisição passa do tamanho máximo aceito. Envie menos dados por requisição.",
      );
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new ApiError(
        "TIPO_NAO_SUPORTADO",
        'Tipo de conteúdo não suportado: envie o corpo em JSON com "Content-Type: application/json".',
      );
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return new ApiError("JSON_INVALIDO", "O corpo da requisição não é um JSON válido.");
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return new ApiError("DADOS_INVALIDOS", "Cabeçalho Content-Length inválido.");
    default:
      break;
  }
  if (error instanceof SyntaxError) {
    return new ApiError("JSON_INVALIDO", "O corpo da requisição não é um JSON válido.");
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    // Any other refusal of the request by fastify (a malformed URL, for one).
    return new ApiError(
      "DADOS_INVALIDOS",
      "A requisição está malformada. Confira o caminho, os cabeçalhos e o corpo.",
      null,
      status === 404 ? 400 : status,
    );
  }
  return null;
}

export function buildApi(options: ApiOptions): FastifyInstance {
  const now = options.clock ?? (() => new Date());
  const log = options.log ?? silentLogger;
  const deps: ApiDeps = {
    store: options.store,
    now,
    log,
    allowPrivateSources: options.allowPrivateSources ?? false,
    secretKey: options.secretKey,
    notifyPolicy: options.notifyPolicy ?? notifyPolicyFromEnv(),
    testConnection: options.testConnection ?? ((config) => testConnection(config)),
  };
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    // Request ids for the log and the support (X-Request-Id), not taken from the caller.
    genReqId: () => `r${randomBytes(6).toString("hex")}`,
    return503OnClosing: true,
    // A malformed URL and the like, refused before routing: the same shape.
    frameworkErrors: (error, _request, reply) => {
      const known = fromFastify(error) ?? new ApiError("DADOS_INVALIDOS", "Requisição malformada.");
      (reply as FastifyReply).code(known.status).send(known.body());
    },
  });
  // An empty JSON body (a POST or DELETE sent with the header and nothing else)
  // is no body; anything else goes through fastify's own safe parser.
  const json = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    const text = typeof body === "string" ? body : body.toString("utf8");
    // Webhooks check a signature over the body exactly as received.
    if (request.url.startsWith("/webhooks/")) request.rawBody = text;
    if (text.trim() === "") return done(null, undefined);
    json(request, text, done);
  });
  acceptFormBodies(app);
  // Restriction lists are uploaded as CSV (src/api/routes/restrictions.ts), larger than JSON bodies.
  app.addContentTypeParser(
    ["text/csv", "text/plain"],
    { parseAs: "string", bodyLimit: RESTRICTIONS_UPLOAD_LIMIT },
    (_request, body, done) => done(null, body),
  );
  app.addHook("onSend", async (request, reply) => {
    reply.header("x-request-id", request.id);
  });
  // One log line per request with its id (the X-Request-Id the caller got):
  // the route's pattern, never the query string (it may hold a phone or a CPF).
  // Probes and scrapes only at debug level: they come every few seconds.
  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? request.url.split("?")[0] ?? "";
    const quiet = /^\/(healthz?|readyz?|metrics)$/.test(route) && reply.statusCode < 500;
    log[quiet ? "debug" : "info"]("api request", {
      reqId: request.id,
      method: request.method,
      route,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
      ...(request.caller?.kind === "tenant" ? { tenantId: request.caller.tenantId } : {}),
    });
  });
  const onRoute = options.onRoute;
  if (onRoute) {
    app.addHook("onRoute", (r) => {
      for (const method of [r.method].flat()) onRoute({ method, url: r.url });
    });
  }
  const authenticate = authenticator({
    store: options.store,
    adminDigest: adminKeyDigest(options.adminKey),
    buckets: new TokenBuckets(options.rateLimit ?? DEFAULT_RATE_LIMIT, () => now().getTime()),
    now,
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    let known: ApiError | null = null;
    if (error instanceof ApiError) known = error;
    else if (isSqliteBusy(error)) {
      known = new ApiError(
        "BANCO_OCUPADO",
        "O banco de dados está ocupado (uma importação grande em andamento) e nada foi alterado. Tente de novo em instantes.",
        { retryAfterSeconds: 5 },
      );
    } else if (error instanceof TooManyRecordsError) {
      known = new ApiError("CONFLITO", error.message, { limit: MAX_SUBJECT_RECORDS });
    } else if (error instanceof ValidationError) {
      known = new ApiError("VALOR_RECUSADO", error.message);
    } else known = fromFastify(error);
    if (known === null) {
      log.error("api request failed", {
        reqId: request.id,
        method: request.method,
        route: request.routeOptions.url,
        error,
      });
      known = new ApiError(
        "ERRO_INTERNO",
        `Erro interno ao atender a requisição (id ${request.id}). Tente de novo; se continuar, informe esse id ao suporte.`,
      );
    }
    if (known.code === "LIMITE_DE_REQUISICOES" || known.code === "BANCO_OCUPADO") {
      const wait = (known.details as { retryAfterSeconds?: number } | null)?.retryAfterSeconds;
      if (wait) reply.header("retry-after", String(wait));
    }
    const body: ApiErrorBody = known.body();
    reply.code(known.status).type("application/json; charset=utf-8").send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    const body = new ApiError(
      "ROTA_INEXISTENTE",
      `Rota inexistente: ${request.method} ${request.url.split("?")[0]}. Veja as rotas em /docs.`,
    ).body();
    reply.code(404).send(body);
  });

  const routes: AnyRoute[] = [];
  let document: Record<string, unknown> | null = null;
  routes.push(
    ...systemRoutes(deps, {
      readiness: options.readiness ?? defaultReadiness(options.store),
      openApi: () => {
        document ??= buildOpenApi(routes, { version: version() });
        return document;
      },
    }),
    ...tenantRoutes(deps),
    ...walletRoutes(deps),
    ...sourceRoutes(deps),
    ...mailingRoutes(deps),
    ...filenameRoutes(deps),
    ...settingsRoutes(deps),
    ...campaignRoutes(deps),
    ...messageRoutes(deps),
    ...peopleRoutes(deps),
    ...campaignTimelineRoutes(deps),
    ...dropBoxRoutes(deps, options.dropBox ?? (() => null)),
    ...metricsRoutes(deps, {
      endpoint:
        options.metrics ?? createPrometheus({ store: options.store, processMetrics: false }),
      digests: [adminKeyDigest(options.adminKey), metricsKeyDigest(options.metricsKey)],
    }),
    ...whatsappWebhookRoutes(deps),
    ...unsubscribeRoutes(deps),
    ...restrictionRoutes(deps),
    ...privacyRoutes(deps),
    ...notificationRoutes(deps),
  );
  const busyTimeoutMs = options.busyTimeoutMs ?? 30_000;
  // Never the body (it may hold a password): the route and its path parameters.
  const audit: AuditChange = async (caller, spec, params) => {
    // An admin's change is the tenant's it names (its keys); creating a tenant is no tenant's yet.
    const named = (params as { id?: unknown } | undefined)?.id;
    const tenantId =
      caller.kind === "tenant" ? caller.tenantId : typeof named === "number" ? named : null;
    if (tenantId === null || caller.kind === "anonymous") return;
    const actor = caller.kind === "tenant" ? `api:${caller.prefix}` : "api:admin";
    await busyRetry(
      () =>
        options.store.db
          .insertInto("audit_events")
          .values({
            tenant_id: tenantId,
            at: now().toISOString(),
            actor,
            action: `${spec.method} ${spec.url}`,
            subject: params === undefined ? null : JSON.stringify(params),
            details_json: null,
          })
          .execute(),
      busyTimeoutMs,
    ).catch((error: unknown) => log.warn("could not record an API change", { error }));
  };
  for (const spec of routes)
    register(app, spec, authenticate, busyTimeoutMs, audit, options.checkResponses);
  if (options.console !== undefined) registerConsole(app, options.console);
  return app;
}
