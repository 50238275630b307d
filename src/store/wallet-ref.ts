/** A `--wallet CODE` given to a repository: the tenant's wallet, or a pt-BR refusal. */
import type { Kysely } from "kysely";
import type { Database } from "./schema.js";
import { ValidationError } from "./tenants.js";
import { getWalletByCode } from "./wallets.js";

export async function resolveWalletCode(
  db: Kysely<Database>,
  tenantId: number,
  code: string | null,
): Promise<{ id: number; code: string } | null> {
  if (code === null) return null;
  const wallet = await getWalletByCode(db, tenantId, code.trim());
  if (!wallet) {
    throw new ValidationError(
      `A carteira "${code}" não existe. Veja as carteiras com "remessa wallets list" ou cadastre-a com "remessa wallets add ${code.trim() || "CÓDIGO"}".`,
    );
  }
  return { id: wallet.id, code: wallet.code };
}
