/** Tenants (companies): the platform admin's routes. */
import { z } from "zod";
import { createApiKey, listApiKeys, revokeApiKey } from "../../store/api-keys.js";
import type { Tenant } from "../../store/schema.js";
import { createTenant, getTenant, listTenants } from "../../store/tenants.js";
import type { ApiDeps } from "../app.js";
import { notFound } from "../errors.js";
import { type AnyRoute, route } from "../route.js";

export const idParam = z.object({
  id: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).describe("Identificador"),
});

const tenantSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    timeZone: z.string(),
    rejectRatio: z.number(),
    locale: z.string(),
    createdAt: z.string(),
  })
  .meta({ id: "Tenant" });

const apiKeySchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    prefix: z.string().describe("Começo da chave, para reconhecê-la (a chave nunca é devolvida)"),
    scope: z.enum(["read", "write"]),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  })
  .meta({ id: "ApiKey" });

function keyView(k: z.input<typeof apiKeySchema> & { tenantId?: number }) {
  const { tenantId: _tenant, ...rest } = k;
  return rest;
}

function view(t: Tenant): z.input<typeof tenantSchema> {
  return {
    id: t.id,
    name: t.name,
    timeZone: t.time_zone,
    rejectRatio: t.reject_ratio,
    locale: t.locale,
    createdAt: t.created_at,
  };
}

export function tenantRoutes(deps: ApiDeps): AnyRoute[] {
  const { db } = deps.store;
  return [
    route({
      method: "GET",
      url: "/tenants",
      summary: "Lista as empresas",
      tag: "empresas",
      access: "admin",
      response: z.object({ items: z.array(tenantSchema) }),
      handler: async () => ({ items: (await listTenants(db)).map(view) }),
    }),
    route({
      method: "GET",
      url: "/tenants/:id",
      summary: "Uma empresa",
      tag: "empresas",
      access: "admin",
      params: idParam,
      response: tenantSchema,
      errors: [404],
      handler: async ({ params }) => {
        const tenant = await getTenant(db, params.id);
        if (!tenant) throw notFound(`A empresa ${params.id}`);
        return view(tenant);
      },
    }),
    route({
      method: "POST",
      url: "/tenants",
      summary: "Cadastra uma empresa",
      tag: "empresas",
      access: "admin",
      status: 201,
      body: z.strictObject({
        name: z.string().min(1).max(200),
        timeZone: z.string().optional().describe("Fuso IANA (padrão America/Sao_Paulo)"),
        rejectRatio: z.number().min(0).max(1).optional(),
        locale: z.enum(["pt-BR", "en"]).optional(),
      }),
      response: tenantSchema,
      errors: [422],
      handler: async ({ body }) => view(await createTenant(db, body)),
    }),
    route({
      method: "GET",
      url: "/tenants/:id/api-keys",
      summary: "Lista as chaves de API de uma empresa",
      tag: "empresas",
      access: "admin",
      params: idParam,
      response: z.object({ items: z.array(apiKeySchema) }),
      errors: [404],
      handler: async ({ params }) => {
        if (!(await getTenant(db, params.id))) throw notFound(`A empresa ${params.id}`);
        return { items: (await listApiKeys(db, params.id)).map(keyView) };
      },
    }),
    route({
      method: "POST",
      url: "/tenants/:id/api-keys",
      summary: "Cria uma chave de API para uma empresa",
      description:
        "A resposta traz a chave (key) uma única vez: o remessa guarda só um hash dela. Mesmo efeito de `remessa api-keys create`.",
      tag: "empresas",
      access: "admin",
      status: 201,
      params: idParam,
      body: z.strictObject({
        name: z.string().min(1).max(100),
        scope: z.enum(["read", "write"]).default("read"),
      }),
      response: apiKeySchema.extend({
        key: z.string().describe("A chave, mostrada só agora"),
      }),
      errors: [404, 422],
      handler: async ({ params, body }) => {
        if (!(await getTenant(db, params.id))) throw notFound(`A empresa ${params.id}`);
        const { key, summary } = await createApiKey(db, params.id, body, deps.now());
        return { ...keyView(summary), key };
      },
    }),
    route({
      method: "DELETE",
      url: "/tenants/:id/api-keys/:keyId",
      summary: "Revoga uma chave de API de uma empresa",
      tag: "empresas",
      access: "admin",
      params: idParam.extend({ keyId: idParam.shape.id }),
      response: apiKeySchema,
      errors: [404],
      handler: async ({ params }) => {
        const revoked = await revokeApiKey(db, params.id, params.keyId, deps.now());
        if (!revoked) throw notFound(`A chave ${params.keyId} da empresa ${params.id}`);
        return keyView(revoked);
      },
    }),
  ];
}
