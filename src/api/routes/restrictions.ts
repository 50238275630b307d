/**
 * Restriction (opt-out) lists of the caller's tenant (src/store/restrictions.ts):
 * search, add, remove, and a bulk upload of a CSV (one value per line).
 * Entries made here have origin "api" and the key's prefix as actor.
 */
import { z } from "zod";
import { importRestrictionLines, textLines } from "../../privacy/restriction-import.js";
import {
  addRestriction,
  listRestrictions,
  parseRestrictionValue,
  type Restriction,
  type RestrictionKind,
  removeRestriction,
} from "../../store/restrictions.js";
import { getWalletByCode } from "../../store/wallets.js";
import type { ApiDeps } from "../app.js";
import { ApiError, notFound } from "../errors.js";
import { type AnyRoute, type Caller, route } from "../route.js";

const channel = z.enum(["sms", "whatsapp", "email"]);
const kind = z.enum(["phone", "email", "document"]);

const restrictionSchema = z
  .object({
    id: z.number().int(),
    wallet: z.string().nullable().describe("Código da carteira; null: a empresa inteira"),
    channel: channel.nullable().describe("null: todos os canais"),
    kind,
    value: z
      .string()
      .describe("Normalizado: telefone só dígitos (DDD + número), CPF/CNPJ sem pontuação"),
    reason: z.string().nullable(),
    origin: z.enum(["operator", "api", "import", "unsubscribe", "sms_reply", "whatsapp_reply"]),
    actor: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: "Restriction" });

const scopeQuery = {
  wallet: z
    .string()
    .min(1)
    .max(50)
    .optional()
    .describe("Só nesta carteira (sem ela: a empresa inteira)"),
  channel: channel.optional().describe("Só neste canal (sem ele: todos)"),
  kind: kind.optional().describe("Tipo do valor (sem ele: reconhecido pelo valor)"),
};

function view(r: Restriction): z.input<typeof restrictionSchema> {
  return {
    id: r.id,
    wallet: r.wallet,
    channel: r.channel,
    kind: r.kind,
    value: r.value,
    reason: r.reason,
    origin: r.origin,
    actor: r.actor,
    createdAt: r.createdAt,
  };
}

function actorOf(caller: Caller): string | null {
  return caller.kind === "tenant" ? `api:${caller.prefix}` : null;
}

function parseValue(raw: string, forced: RestrictionKind | undefined) {
  const parsed = parseRestrictionValue(raw, forced);
  if (!parsed.ok) throw new ApiError("VALOR_RECUSADO", `Valor recusado: ${parsed.message}.`);
  return parsed;
}

/** Bodies of the bulk upload beyond this are refused (a 1M-line list is ~20 MB). */
export const RESTRICTIONS_UPLOAD_LIMIT = 64 * 1024 * 1024;

export function restrictionRoutes(deps: ApiDeps): AnyRoute[] {
  const { db } = deps.store;
  const walletIdOf = async (tenantId: number, code: string | undefined) => {
    if (code === undefined) return null;
    const wallet = await getWalletByCode(db, tenantId, code);
    if (!wallet) throw notFound(`A carteira "${code}"`);
    return wallet.id;
  };
  return [
    route({
      method: "GET",
      url: "/restrictions",
      summary: "Procura nas listas de restrição",
      description:
        "Sem filtros, todas as restrições da empresa (das carteiras e da empresa inteira), em ordem de id. `wholeTenant=true` traz só as da empresa inteira; `value` procura um telefone, e-mail ou CPF/CNPJ (normalizado como na importação). Paginação: passe em `afterId` o `next` da resposta.",
      tag: "restrições",
      access: "tenant",
      query: z.object({
        ...scopeQuery,
        wholeTenant: z
          .enum(["true", "false"])
          .optional()
          .describe("true: só as restrições da empresa inteira"),
        value: z.string().min(1).max(320).optional(),
        afterId: z.coerce.number().int().min(0).optional(),
        limit: z.coerce.number().int().min(1).max(1000).optional(),
      }),
      response: z.object({
        items: z.array(restrictionSchema),
        next: z.number().int().nullable().describe("afterId da próxima página; null: acabou"),
      }),
      errors: [404],
      handler: async ({ tenantId, query }) => {
        const walletId = await walletIdOf(tenantId, query.wallet);
        const limit = query.limit ?? 100;
        let value: { value: string; kind?: RestrictionKind } | undefined;
        if (query.value !== undefined) {
          const parsed = parseRestrictionValue(query.value, query.kind);
          value = parsed.ok ? { value: parsed.value, kind: parsed.kind } : { value: query.value };
        }
        const items = await listRestrictions(db, tenantId, {
          ...(query.wallet !== undefined
            ? { walletId }
            : query.wholeTenant === "true"
              ? { walletId: null }
              : {}),
          ...(query.channel !== undefined ? { channel: query.channel } : {}),
          ...(query.kind !== undefined ? { kind: query.kind } : {}),
          ...(value ?? {}),
          ...(query.afterId !== undefined ? { afterId: query.afterId } : {}),
          limit,
        });
        return {
          items: items.map(view),
          next: items.length === limit ? (items[items.length - 1]?.id ?? null) : null,
        };
      },
    }),
    route({
      method: "POST",
      url: "/restrictions",
      summary: "Inclui um valor na lista de restrição",
      description:
        "Um telefone, e-mail ou CPF/CNPJ, para uma carteira ou a empresa inteira, um canal ou todos. Vale na próxima importação com _h e a partir da próxima mensagem das campanhas em andamento. `added` é false quando o valor já estava restrito nesse escopo.",
      tag: "restrições",
      access: "tenant",
      status: 201,
      body: z.strictObject({
        value: z.string().min(1).max(320),
        kind: kind.optional(),
        wallet: z.string().min(1).max(50).nullable().optional(),
        channel: channel.nullable().optional(),
        reason: z.string().max(500).nullable().optional(),
      }),
      response: z.object({ added: z.boolean(), restriction: restrictionSchema }),
      errors: [404, 422],
      handler: async ({ tenantId, body, caller }) => {
        const walletId = await walletIdOf(tenantId, body.wallet ?? undefined);
        const parsed = parseValue(body.value, body.kind);
        const added = await addRestriction(
          db,
          tenantId,
          walletId,
          parsed.kind,
          parsed.value,
          body.reason ?? null,
          { channel: body.channel ?? null, origin: "api", actor: actorOf(caller) },
        );
        const [row] = await listRestrictions(db, tenantId, {
          walletId,
          channel: body.channel ?? null,
          kind: parsed.kind,
          value: parsed.value,
          limit: 1,
        });
        if (!row) throw notFound("A restrição");
        return { added, restriction: view(row) };
      },
    }),
    route({
      method: "DELETE",
      url: "/restrictions",
      summary: "Tira um valor da lista de restrição",
      description:
        "Tira a restrição do valor no escopo dado (mesmos `wallet` e `channel` com que foi incluída). As outras restrições do mesmo valor continuam.",
      tag: "restrições",
      access: "tenant",
      query: z.object({ ...scopeQuery, value: z.string().min(1).max(320) }),
      response: z.object({ removed: z.literal(true) }),
      errors: [404, 422],
      handler: async ({ tenantId, query }) => {
        const walletId = await walletIdOf(tenantId, query.wallet);
        const parsed = parseValue(query.value, query.kind);
        const removed = await removeRestriction(
          db,
          tenantId,
          walletId,
          parsed.kind,
          parsed.value,
          query.channel ?? null,
        );
        if (!removed) throw notFound("A restrição desse valor nesse escopo");
        return { removed: true as const };
      },
    }),
    route({
      method: "POST",
      url: "/restrictions/import",
      summary: "Importa uma lista de restrição (CSV)",
      description:
        'Corpo `text/csv` (ou `text/plain`) com um telefone, e-mail ou CPF/CNPJ por linha (a primeira coluna, se houver mais; uma primeira linha sem dígitos é cabeçalho), até 64 MiB; ou JSON `{"csv": "..."}`. Tudo entra numa transação: a lista entra inteira ou nada. Linhas inválidas ficam de fora e voltam em `rejected` com o número da linha (as 1000 primeiras; `rejectedCount` conta todas).',
      tag: "restrições",
      access: "tenant",
      query: z.object({ ...scopeQuery, reason: z.string().max(500).optional() }),
      response: z.object({
        lines: z.number().int(),
        added: z.number().int(),
        existing: z.number().int(),
        byKind: z.object({
          phone: z.number().int(),
          email: z.number().int(),
          document: z.number().int(),
        }),
        ambiguous: z
          .number()
          .int()
          .describe(
            "Valores que eram ao mesmo tempo celular e CPF válidos: entraram como telefone (use kind=document para uma lista de CPFs)",
          ),
        rejectedCount: z.number().int(),
        rejected: z.array(
          z.object({ line: z.number().int(), text: z.string(), message: z.string() }),
        ),
      }),
      errors: [404, 422],
      handler: async ({ tenantId, query, caller, request }) => {
        const raw = request.body as unknown;
        const text =
          typeof raw === "string"
            ? raw
            : typeof (raw as { csv?: unknown } | null)?.csv === "string"
              ? (raw as { csv: string }).csv
              : null;
        if (text === null) {
          throw new ApiError(
            "DADOS_INVALIDOS",
            'Envie a lista no corpo, como text/csv (um valor por linha) ou JSON {"csv": "..."}.',
          );
        }
        const walletId = await walletIdOf(tenantId, query.wallet);
        return importRestrictionLines(db, deps.store.dialect, tenantId, textLines(text), {
          walletId,
          channel: query.channel ?? null,
          ...(query.kind !== undefined ? { kind: query.kind } : {}),
          origin: "api",
          actor: actorOf(caller),
          reason: query.reason ?? null,
        });
      },
    }),
  ];
}
