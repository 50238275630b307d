import { databaseUrl } from "../config.js";
import { auditCliInvocation } from "../privacy/cli-audit.js";
import { openMigrated, type Store } from "../store/db.js";
import { describeDbError } from "../store/errors.js";
import { getTenant, ValidationError } from "../store/tenants.js";

/** The migrated store, or null after printing why it cannot be opened (pt-BR). */
export async function openStoreForCommand(): Promise<Store | null> {
  try {
    return await openMigrated(databaseUrl());
  } catch (error) {
    console.error(describeDbError(error));
    return null;
  }
}

/**
 * Runs a command's work on the migrated store and closes it. With a tenant id,
 * the tenant must exist. A store that cannot be opened, a refused value
 * (`ValidationError`) or a database failure ends the command with exit 1 and a
 * pt-BR message; other errors propagate to the command.
 */
export async function withStore(
  tenantId: number | null,
  work: (store: Store) => Promise<number>,
): Promise<number> {
  const store = await openStoreForCommand();
  if (store === null) return 1;
  try {
    if (tenantId !== null && !(await getTenant(store.db, tenantId))) {
      console.error(
        `A empresa ${tenantId} não existe. Veja as empresas com "remessa tenants list".`,
      );
      return 1;
    }
    const code = await work(store);
    if (code === 0) {
      // The change is made: a trail that cannot be written is reported, not turned into a failure.
      await auditCliInvocation(store.db, tenantId).catch((error: unknown) => {
        console.error(
          `Aviso: a ação foi feita, mas não foi registrada na auditoria (${describeDbError(error)}).`,
        );
      });
    }
    return code;
  } catch (error) {
    if (error instanceof ValidationError) {
      console.error(error.message);
      return 1;
    }
    if (isProgrammingError(error)) throw error;
    console.error(describeDbError(error));
    return 1;
  } finally {
    await store.close();
  }
}

/** Bugs (not database trouble) must surface with their stack, not as "Erro no banco de dados". */
function isProgrammingError(error: unknown): boolean {
  return (
    error instanceof TypeError || error instanceof RangeError || error instanceof ReferenceError
  );
}
