/** Wallets (carteiras) of the caller's tenant. */
import { z } from "zod";
import type { Wallet } from "../../store/schema.js";
import {
  createWallet,
  getWalletByCode,
  listWallets,
  removeWallet,
  walletRemovalImpact,
} from "../../store/wallets.js";
import type { ApiDeps } from "../app.js";
import { notFound } from "../errors.js";
import { type AnyRoute, route } from "../route.js";

const walletSchema = z
  .object({ id: z.number().int(), code: z.string(), name: z.string(), createdAt: z.string() })
  .meta({ id: "Wallet" });

const codeParam = z.object({ code: z.string().min(1).max(50).describe("Código da carteira") });

function view(w: Wallet): z.input<typeof walletSchema> {
  return { id: w.id, code: w.code, name: w.name, createdAt: w.created_at };
}

export function walletRoutes(deps: ApiDeps): AnyRoute[] {
  const { db } = deps.store;
  return [
    route({
      method: "GET",
      url: "/wallets",
      summary: "Lista as carteiras",
      tag: "carteiras",
      access: "tenant",
      response: z.object({ items: z.array(walletSchema) }),
      handler: async ({ tenantId }) => ({ items: (await listWallets(db, tenantId)).map(view) }),
    }),
    route({
      method: "GET",
      url: "/wallets/:code",
      summary: "Uma carteira",
      tag: "carteiras",
      access: "tenant",
      params: codeParam,
      response: walletSchema,
      errors: [404],
      handler: async ({ tenantId, params }) => {
        const wallet = await getWalletByCode(db, tenantId, params.code);
        if (!wallet) throw notFound(`A carteira "${params.code}"`);
        return view(wallet);
      },
    }),
    route({
      method: "POST",
      url: "/wallets",
      summary: "Cadastra uma carteira",
      description:
        "O código vai no nome do arquivo (_cCÓDIGO) e é o nome da pasta da carteira no FTP.",
      tag: "carteiras",
      access: "tenant",
      status: 201,
      body: z.strictObject({
        code: z.string().min(1).max(50),
        name: z.string().max(200).nullable().optional(),
      }),
      response: walletSchema,
      errors: [422],
      handler: async ({ tenantId, body }) =>
        view(await createWallet(db, tenantId, { code: body.code, name: body.name ?? null })),
    }),
    route({
      method: "DELETE",
      url: "/wallets/:code",
      summary: "Remove uma carteira",
      description:
        "As pessoas saem da carteira (continuam no cadastro); a lista de restrição da carteira é apagada; mailings e campanhas ficam sem a carteira. A resposta diz quanto foi afetado.",
      tag: "carteiras",
      access: "tenant",
      params: codeParam,
      response: z.object({
        removed: z.literal(true),
        impact: z.object({
          members: z.number().int(),
          peopleOnlyHere: z.number().int(),
          restrictions: z.number().int(),
          mailings: z.number().int(),
          campaigns: z.number().int(),
          settings: z.number().int(),
        }),
      }),
      errors: [404],
      handler: async ({ tenantId, params }) => {
        const wallet = await getWalletByCode(db, tenantId, params.code);
        if (!wallet) throw notFound(`A carteira "${params.code}"`);
        const impact = await walletRemovalImpact(db, tenantId, wallet.id);
        if (!(await removeWallet(db, tenantId, wallet.code))) {
          throw notFound(`A carteira "${params.code}"`);
        }
        return { removed: true as const, impact };
      },
    }),
  ];
}
