/**
 * People of the caller's tenant: search by CPF/CNPJ, CODCLIENTE, phone or
 * e-mail (each written as in a mailing and normalised the same way), a
 * person's record (contacts, wallets, tags) and messages. Personal data:
 * every query is bound to the key's tenant, and a person of another tenant
 * answers as a missing one. An erased person (LGPD, src/privacy/erase.ts)
 * keeps a record only so totals stay right: searches leave it out, and
 * reading it answers 404 saying it was erased (there is nothing of the
 * person left to show).
 */
import { z } from "zod";
import { normalizeDocument } from "../../mailing/document.js";
import type { Person } from "../../store/schema.js";
import type { ApiDeps } from "../app.js";
import { ApiError, notFound } from "../errors.js";
import { type AnyRoute, route } from "../route.js";
import { decodeIdCursor } from "./cursor.js";
import { contactValue, messagePage, pageQuery, searchMessages } from "./messages.js";
import { idParam } from "./tenants.js";

/** Search answers are small (a key names one person, a contact a few): no pagination. */
const SEARCH_LIMIT = 100;

const personSummary = z
  .object({
    id: z.number().int(),
    keyKind: z
      .enum(["codcliente", "cpfcnpj", "channel"])
      .describe("O que identifica a pessoa: CODCLIENTE, senão CPFCNPJ, senão o contato"),
    codCliente: z.string().nullable(),
    document: z.string().nullable().describe("CPF ou CNPJ, só dígitos"),
    name: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: "PersonSummary" });

const personDetail = personSummary
  .extend({
    fields: z
      .record(z.string(), z.unknown())
      .describe("CORINGA1..5, PRIORIDADE e colunas extras do mailing"),
    contacts: z.array(
      z.object({
        kind: z.string().describe("mobile, landline, unknown ou email"),
        value: z.string(),
        createdAt: z.string(),
      }),
    ),
    wallets: z.array(
      z.object({
        code: z.string(),
        name: z.string(),
        joinedAt: z.string(),
        mailingId: z.number().int().nullable().describe("O mailing que a pôs na carteira"),
      }),
    ),
    tags: z.array(z.object({ tag: z.string(), createdAt: z.string() })),
  })
  .meta({ id: "Person" });

function summary(p: Person): z.input<typeof personSummary> {
  return {
    id: p.id,
    keyKind: p.key_kind,
    codCliente: p.cod_cliente,
    document: p.document,
    name: p.name,
    createdAt: p.created_at,
    updatedAt: p.updated_at,
  };
}

function fields(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

export function peopleRoutes(deps: ApiDeps): AnyRoute[] {
  const { db } = deps.store;
  const find = async (tenantId: number, id: number): Promise<Person> => {
    const person = await db
      .selectFrom("persons")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .where("id", "=", id)
      .executeTakeFirst();
    if (!person) throw notFound(`A pessoa ${id}`);
    if (person.erased_at !== null) {
      throw new ApiError(
        "NAO_ENCONTRADO",
        `A pessoa ${id} foi apagada a pedido do titular (LGPD): não há mais dados dela, só as contagens das campanhas.`,
      );
    }
    return person;
  };
  return [
    route({
      method: "GET",
      url: "/people",
      summary: "Busca pessoas",
      description: `Informe um critério: document (CPF ou CNPJ, com ou sem pontuação), code (CODCLIENTE), phone (DDD + número) ou email. Até ${SEARCH_LIMIT} pessoas, da mais recente à mais antiga. Pessoas apagadas a pedido do titular (LGPD) não aparecem.`,
      tag: "pessoas",
      access: "tenant",
      query: z.strictObject({
        document: z.string().min(1).max(30).optional(),
        code: z.string().min(1).max(200).optional(),
        phone: z.string().min(1).max(40).optional(),
        email: z.string().min(1).max(254).optional(),
      }),
      response: z.object({ items: z.array(personSummary) }),
      handler: async ({ tenantId, query }) => {
        const given = (["document", "code", "phone", "email"] as const).filter(
          (k) => query[k] !== undefined,
        );
        if (given.length !== 1) {
          throw new ApiError(
            "DADOS_INVALIDOS",
            "Informe um critério de busca, e só um: document, code, phone ou email.",
            [{ in: "query", path: given.join(",") || "document", message: "um critério" }],
          );
        }
        let q = db
          .selectFrom("persons as p")
          .selectAll("p")
          .where("p.tenant_id", "=", tenantId)
          .where("p.erased_at", "is", null);
        if (query.document !== undefined) {
          const document = normalizeDocument(query.document, false);
          if (!document.ok) {
            throw new ApiError(
              "DADOS_INVALIDOS",
              `Dados inválidos na consulta da requisição (campo "document"): ${document.message}.`,
              [{ in: "query", path: "document", message: document.message }],
            );
          }
          q = q.where("p.document", "=", document.value);
        } else if (query.code !== undefined) {
          // CODCLIENTE is the key of every person that has one.
          q = q.where("p.key_kind", "=", "codcliente").where("p.key", "=", query.code.trim());
        } else {
          const value =
            query.phone !== undefined
              ? contactValue(query.phone, "phone", "phone")
              : contactValue(query.email ?? "", "email", "email");
          q = q.where("p.id", "in", (eb) =>
            eb
              .selectFrom("person_channels")
              .select("person_id")
              .where("tenant_id", "=", tenantId)
              .where("value", "=", value),
          );
        }
        const rows = await q.orderBy("p.id", "desc").limit(SEARCH_LIMIT).execute();
        return { items: rows.map(summary) };
      },
    }),
    route({
      method: "GET",
      url: "/people/:id",
      summary: "Uma pessoa: contatos, carteiras e tags",
      tag: "pessoas",
      access: "tenant",
      params: idParam,
      response: personDetail,
      errors: [404],
      handler: async ({ tenantId, params }) => {
        const person = await find(tenantId, params.id);
        const [contacts, wallets, tags] = await Promise.all([
          db
            .selectFrom("person_channels")
            .select(["kind", "value", "created_at"])
            .where("tenant_id", "=", tenantId)
            .where("person_id", "=", person.id)
            .orderBy("created_at")
            .orderBy("value")
            .execute(),
          db
            .selectFrom("wallet_members as m")
            .innerJoin("wallets as w", (join) =>
              join.onRef("w.id", "=", "m.wallet_id").on("w.tenant_id", "=", tenantId),
            )
            .select(["w.code", "w.name", "m.joined_at", "m.mailing_id"])
            .where("m.tenant_id", "=", tenantId)
            .where("m.person_id", "=", person.id)
            .orderBy("w.code")
            .execute(),
          db
            .selectFrom("person_tags")
            .select(["tag", "created_at"])
            .where("tenant_id", "=", tenantId)
            .where("person_id", "=", person.id)
            .orderBy("tag")
            .execute(),
        ]);
        return {
          ...summary(person),
          fields: fields(person.fields_json),
          contacts: contacts.map((c) => ({
            kind: c.kind,
            value: c.value,
            createdAt: c.created_at,
          })),
          wallets: wallets.map((w) => ({
            code: w.code,
            name: w.name,
            joinedAt: w.joined_at,
            mailingId: w.mailing_id,
          })),
          tags: tags.map((t) => ({ tag: t.tag, createdAt: t.created_at })),
        };
      },
    }),
    route({
      method: "GET",
      url: "/people/:id/messages",
      summary: "As mensagens de uma pessoa",
      description:
        "Da mais recente à mais antiga, em todas as campanhas. Paginação: envie o nextCursor recebido em cursor.",
      tag: "pessoas",
      access: "tenant",
      params: idParam,
      query: z.strictObject(pageQuery),
      response: messagePage,
      errors: [404],
      handler: async ({ tenantId, params, query }) => {
        const person = await find(tenantId, params.id);
        return searchMessages(deps, tenantId, {
          personId: person.id,
          ...(query.cursor !== undefined ? { beforeId: decodeIdCursor(query.cursor) } : {}),
          limit: query.limit,
        });
      },
    }),
  ];
}
