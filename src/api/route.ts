/**
 * How a route is declared: one object with zod schemas for its path
 * parameters, query, body and answer. The same schemas validate the request
 * (pt-BR messages), type the handler (z.output of the inputs, z.input of the
 * answer) and describe the route in the OpenAPI document (openapi.ts).
 */
import { isDeepStrictEqual } from "node:util";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { busyRetry } from "../store/busy.js";
import type { ApiKeyScope } from "../store/schema.js";
import { ApiError, invalidInput } from "./errors.js";

/** Who is calling, once authenticated (auth.ts). */
export type Caller =
  | { kind: "tenant"; tenantId: number; keyId: number; prefix: string; scope: ApiKeyScope }
  | { kind: "admin" }
  | { kind: "anonymous" };

export type TenantCaller = Extract<Caller, { kind: "tenant" }>;

/**
 * none: open (health, docs); tenant: a tenant's key (writes need scope
 * "write"); admin: the platform admin key.
 */
export type Access = "none" | "tenant" | "admin";

type Schema = z.ZodType;
type Out<S> = S extends Schema ? z.output<S> : undefined;

export interface HandlerContext<P, Q, B> {
  params: Out<P>;
  query: Out<Q>;
  body: Out<B>;
  caller: Caller;
  /** The tenant of a tenant route (its key's tenant). */
  tenantId: number;
  request: FastifyRequest;
  reply: FastifyReply;
}

/** An answer that is not JSON (a file, the docs page): the handler writes the reply itself. */
export interface RawAnswer {
  /** Content types the route may answer with, for the document. */
  contentTypes: string[];
  description: string;
  /** Other statuses answered in the same raw form (not the error shape). */
  alsoStatuses?: number[];
}

export interface RouteSpec<
  P extends Schema | undefined = undefined,
  Q extends Schema | undefined = undefined,
  B extends Schema | undefined = undefined,
  R extends Schema | undefined = undefined,
> {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** fastify form: /sources/:id */
  url: string;
  summary: string;
  description?: string;
  tag: string;
  access: Access;
  /** A change: refused to read-only keys. Default: every method but GET. */
  write?: boolean;
  /**
   * The handler records its own, richer event (a privacy action, with the
   * key and the caller's address): the generic "METHOD /path" one is not written.
   */
  audited?: boolean;
  params?: P;
  query?: Q;
  body?: B;
  /** JSON answer's schema; omit for raw answers. */
  response?: R;
  raw?: RawAnswer;
  /** Success status (default 200). */
  status?: number;
  /** Error statuses this route answers besides the common ones (documented). */
  errors?: number[];
  handler(
    ctx: HandlerContext<P, Q, B>,
  ):
    | Promise<R extends Schema ? z.input<R> : undefined>
    | (R extends Schema ? z.input<R> : undefined);
}

// biome-ignore lint/suspicious/noExplicitAny: the registry holds routes of every shape.
export type AnyRoute = RouteSpec<any, any, any, any>;

/** Declares a route (identity, for inference). */
export function route<
  P extends Schema | undefined = undefined,
  Q extends Schema | undefined = undefined,
  B extends Schema | undefined = undefined,
  R extends Schema | undefined = undefined,
>(spec: RouteSpec<P, Q, B, R>): RouteSpec<P, Q, B, R> {
  return spec;
}

export function isWrite(spec: AnyRoute): boolean {
  return spec.write ?? spec.method !== "GET";
}

const ptBR = z.locales.ptBR();

function parsePart(schema: Schema | undefined, value: unknown, where: "body" | "query" | "params") {
  if (!schema) return undefined;
  const result = schema.safeParse(value ?? (where === "body" ? undefined : {}), {
    error: ptBR.localeError,
  });
  if (!result.success) throw invalidInput(where, result.error.issues);
  return result.data;
}

/** Registers `spec` on `app`; `authenticate` runs first (before the body is read). */
/** Records a change made through the API (who, what, on which path parameters). */
export type AuditChange = (caller: Caller, spec: AnyRoute, params: unknown) => Promise<void>;

export function register(
  app: FastifyInstance,
  spec: AnyRoute,
  authenticate: (request: FastifyRequest, spec: AnyRoute) => Promise<Caller>,
  busyTimeoutMs: number,
  audit: AuditChange,
  checkResponses = false,
): void {
  app.route({
    method: spec.method,
    url: spec.url,
    onRequest: async (request) => {
      request.caller = await authenticate(request, spec);
    },
    handler: async (request, reply) => {
      const caller = request.caller ?? { kind: "anonymous" };
      // biome-ignore lint/suspicious/noExplicitAny: built from the spec's own schemas.
      const ctx: HandlerContext<any, any, any> = {
        params: parsePart(spec.params, request.params, "params"),
        query: parsePart(spec.query, request.query, "query"),
        body: parsePart(spec.body, request.body, "body"),
        caller,
        tenantId: caller.kind === "tenant" ? caller.tenantId : 0,
        request,
        reply,
      };
      if (spec.access === "tenant" && caller.kind !== "tenant") {
        throw new ApiError("SEM_PERMISSAO", "Esta rota precisa da chave de API de uma empresa.");
      }
      // On SQLite, serve's connection does not wait for the write lock (an
      // import may hold it for long): a change is retried without blocking.
      // SQLITE_BUSY means the statement did nothing, so the handler runs again.
      const answer = isWrite(spec)
        ? await busyRetry(() => spec.handler(ctx), busyTimeoutMs)
        : await spec.handler(ctx);
      if (isWrite(spec) && !spec.audited) await audit(caller, spec, ctx.params);
      if (spec.raw) return reply;
      if (checkResponses && spec.response) checkAnswer(spec, answer);
      reply.code(spec.status ?? 200);
      return answer;
    },
  });
}

/**
 * Tests: the answer is what the document says, no field missing, wrong or
 * undocumented (a documented object drops unknown keys when parsed, so any
 * difference after parsing is a field the document does not have).
 */
function checkAnswer(spec: AnyRoute, answer: unknown): void {
  const plain = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;
  const parsed = (spec.response as Schema).safeParse(answer);
  if (!parsed.success || !isDeepStrictEqual(plain(parsed.data), plain(answer))) {
    throw new Error(
      `answer of ${spec.method} ${spec.url} does not match its schema: ${parsed.success ? "undocumented fields" : parsed.error.message}`,
    );
  }
}

declare module "fastify" {
  interface FastifyRequest {
    caller?: Caller;
  }
}
