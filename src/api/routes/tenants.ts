/** Tenants (companies): the platform admin's routes. */
import { z } from "zod";
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
  ];
}
