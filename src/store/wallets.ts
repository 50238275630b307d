/** Wallets (carteiras): a tenant's customer segments, named by a code used in file names and folders. */
import type { Kysely } from "kysely";
import { isUniqueViolation } from "./errors.js";
import { type Database, nowIso, type Wallet } from "./schema.js";
import { ValidationError } from "./tenants.js";

/**
 * The code appears in file names (`_c<code>`, so no `_`) and as a folder name
 * (so no slashes, and not the LIDOS/DESCARTADOS folders remessa never scans).
 */
export function walletCodeProblem(code: string): string | null {
  if (!code) return "Informe o código da carteira.";
  if (code.length > 50) return "O código da carteira pode ter no máximo 50 caracteres.";
  if (/[_/\\\s]/u.test(code) || /\p{Cc}/u.test(code)) {
    return `Código de carteira "${code}" inválido: não use "_", barras nem espaços (o código vai no nome do arquivo e no nome da pasta).`;
  }
  if (/^(lidos|descartados)$/i.test(code) || code.startsWith(".") || code.startsWith("~")) {
    return `"${code}" não pode ser código de carteira: é um nome de pasta que o remessa não lê.`;
  }
  return null;
}

export async function createWallet(
  db: Kysely<Database>,
  tenantId: number,
  input: { code: string; name?: string | null },
): Promise<Wallet> {
  const code = input.code.trim();
  const problem = walletCodeProblem(code);
  if (problem) throw new ValidationError(problem);
  try {
    return await db
      .insertInto("wallets")
      .values({
        tenant_id: tenantId,
        code,
        name: input.name?.trim() || code,
        created_at: nowIso(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new ValidationError(`A carteira "${code}" já existe. Use outro código.`);
    }
    throw error;
  }
}

export async function listWallets(db: Kysely<Database>, tenantId: number): Promise<Wallet[]> {
  return db
    .selectFrom("wallets")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .orderBy("code")
    .execute();
}

/** Exact match: the SPEC compares wallet codes as written. */
export async function getWalletByCode(
  db: Kysely<Database>,
  tenantId: number,
  code: string,
): Promise<Wallet | null> {
  return (
    (await db
      .selectFrom("wallets")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .where("code", "=", code)
      .executeTakeFirst()) ?? null
  );
}

export async function renameWallet(
  db: Kysely<Database>,
  tenantId: number,
  code: string,
  name: string,
): Promise<boolean> {
  const result = await db
    .updateTable("wallets")
    .set({ name: name.trim() || code })
    .where("tenant_id", "=", tenantId)
    .where("code", "=", code)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Removes the wallet and its memberships and restriction lists (people stay). */
export async function removeWallet(
  db: Kysely<Database>,
  tenantId: number,
  code: string,
): Promise<boolean> {
  const wallet = await getWalletByCode(db, tenantId, code);
  if (!wallet) return false;
  // wallet_members has no foreign key (bulk-import speed): clear it here.
  await db.transaction().execute(async (trx) => {
    await trx
      .deleteFrom("wallet_members")
      .where("tenant_id", "=", tenantId)
      .where("wallet_id", "=", wallet.id)
      .execute();
    await trx
      .deleteFrom("wallets")
      .where("tenant_id", "=", tenantId)
      .where("id", "=", wallet.id)
      .execute();
  });
  return true;
}

/** What `removeWallet` would delete or unlink, for the operator to confirm. */
export interface WalletRemovalImpact {
  /** Memberships deleted (one per person in the wallet). */
  members: number;
  /** Of those people, how many are in no other wallet afterwards (they stay in the base). */
  peopleOnlyHere: number;
  /** Restriction-list entries deleted with the wallet (foreign key cascade). */
  restrictions: number;
  /** Mailings kept in the history without their wallet (foreign key set null). */
  mailings: number;
  /** Campaigns kept without their wallet (set null). */
  campaigns: number;
  /** Senders, templates and e-mail accounts that stop being this wallet's (set null). */
  settings: number;
}

export async function walletRemovalImpact(
  db: Kysely<Database>,
  tenantId: number,
  walletId: number,
): Promise<WalletRemovalImpact> {
  const count = async (
    table: "restrictions" | "mailings" | "campaigns" | "senders" | "templates" | "email_accounts",
  ): Promise<number> => {
    const row = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("tenant_id", "=", tenantId)
      .where("wallet_id", "=", walletId)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  };
  const members = await db
    .selectFrom("wallet_members as m")
    .select((eb) => [
      eb.fn.countAll<number>().as("members"),
      eb.fn
        .count<number>("m.person_id")
        .filterWhere((w) =>
          w.not(
            w.exists(
              w
                .selectFrom("wallet_members as o")
                .select("o.person_id")
                .whereRef("o.person_id", "=", "m.person_id")
                .where("o.tenant_id", "=", tenantId)
                .where("o.wallet_id", "<>", walletId),
            ),
          ),
        )
        .as("only"),
    ])
    .where("m.tenant_id", "=", tenantId)
    .where("m.wallet_id", "=", walletId)
    .executeTakeFirst();
  return {
    members: Number(members?.members ?? 0),
    peopleOnlyHere: Number(members?.only ?? 0),
    restrictions: await count("restrictions"),
    mailings: await count("mailings"),
    campaigns: await count("campaigns"),
    settings:
      (await count("senders")) + (await count("templates")) + (await count("email_accounts")),
  };
}
