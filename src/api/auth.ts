/**
 * Who is calling: `Authorization: Bearer <key>` with a tenant's API key
 * (store/api-keys.ts) or the platform admin key (REMESSA_ADMIN_KEY, kept here
 * only as its SHA-256 and compared in constant time). A missing, unknown or
 * revoked key gets the same 401; a key without the right (read-only key on a
 * change, tenant key on an admin route) gets 403. Every authenticated request
 * takes a token from its key's bucket (429 when empty).
 */
import type { FastifyRequest } from "fastify";
import { authenticateApiKey, hashApiKey, sameDigest, touchApiKey } from "../store/api-keys.js";
import type { Store } from "../store/db.js";
import { ApiError, unauthenticated } from "./errors.js";
import type { TokenBuckets } from "./rate-limit.js";
import { type AnyRoute, type Caller, isWrite } from "./route.js";

/** The admin key must be long enough not to be guessed. */
export const MIN_ADMIN_KEY_LENGTH = 32;

export function adminKeyDigest(key: string | null | undefined): string | null {
  const trimmed = key?.trim();
  if (!trimmed) return null;
  if (trimmed.length < MIN_ADMIN_KEY_LENGTH) {
    throw new Error(
      `REMESSA_ADMIN_KEY curta demais: use ao menos ${MIN_ADMIN_KEY_LENGTH} caracteres aleatórios (ex.: openssl rand -base64 32).`,
    );
  }
  return hashApiKey(trimmed);
}

/** The token of an `Authorization: Bearer` header, or null. */
export function bearer(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== "string") return null;
  const match = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header);
  return match?.[1] ?? null;
}

export function authenticator(deps: {
  store: Store;
  adminDigest: string | null;
  buckets: TokenBuckets;
  now: () => Date;
}) {
  return async (request: FastifyRequest, spec: AnyRoute): Promise<Caller> => {
    if (spec.access === "none") return { kind: "anonymous" };
    const token = bearer(request);
    if (token === null) throw unauthenticated();
    let caller: Caller;
    let bucket: string;
    const digest = hashApiKey(token);
    if (deps.adminDigest !== null && sameDigest(digest, deps.adminDigest)) {
      caller = { kind: "admin" };
      bucket = "admin";
    } else {
      const key = await authenticateApiKey(deps.store.db, token);
      if (key === null) throw unauthenticated();
      caller = {
        kind: "tenant",
        tenantId: key.tenantId,
        keyId: key.id,
        prefix: key.prefix,
        scope: key.scope,
      };
      bucket = `key:${key.id}`;
    }
    const wait = deps.buckets.take(bucket);
    if (wait !== null) {
      throw new ApiError(
        "LIMITE_DE_REQUISICOES",
        `Muitas requisições com esta chave. Aguarde ${wait} s e tente de novo.`,
        { retryAfterSeconds: wait },
      );
    }
    if (spec.access === "admin" && caller.kind !== "admin") {
      throw new ApiError(
        "SEM_PERMISSAO",
        "Esta rota é da administração da plataforma: use a chave de administrador (REMESSA_ADMIN_KEY).",
      );
    }
    if (spec.access === "tenant" && caller.kind !== "tenant") {
      throw new ApiError(
        "SEM_PERMISSAO",
        "Esta rota é de uma empresa: use uma chave de API da empresa (remessa api-keys create), não a de administrador.",
      );
    }
    if (caller.kind === "tenant") {
      if (isWrite(spec) && caller.scope !== "write") {
        throw new ApiError(
          "SEM_PERMISSAO",
          "Esta chave é só de leitura. Use uma chave com escopo write para fazer alterações.",
        );
      }
      // Best effort: a failed bookkeeping write never refuses the request.
      await touchApiKey(deps.store.db, caller.keyId, deps.now()).catch(() => undefined);
    }
    return caller;
  };
}
