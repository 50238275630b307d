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
