/**
 * Flags only one row may hold at a time (a wallet's default template, a
 * wallet's active e-mail account, the platform's default account): kept by a
 * transaction, not a unique index (SPEC §3 lets a new one replace the old one,
 * and says which it replaced). One place clears the flag from the others.
 */
import type { Kysely } from "kysely";
import type { Database } from "./schema.js";

interface ExclusiveFlag {
  table: "templates" | "email_accounts";
  flag: "is_default" | "active" | "is_platform_default";
  /** The column that names a row for the person ("replaced X"). */
  label: "name" | "address";
  tenantId: number;
  /** Only within this wallet; omitted: the whole tenant. */
  walletId?: number;
  /** The row taking the flag (an update), which is not cleared. */
  exceptId?: number;
  now: string;
}

/** Clears the flag from every other row in its scope; returns their names, or null if none. */
export async function takeExclusiveFlag(
  trx: Kysely<Database>,
  f: ExclusiveFlag,
): Promise<string | null> {
  // The table and columns vary; each pair used above exists (see the callers).
  // biome-ignore lint/suspicious/noExplicitAny: a dynamic table and column name.
  const db = trx as unknown as Kysely<any>;
  // biome-ignore lint/suspicious/noExplicitAny: the same dynamic query, select or update.
  const scope = <Q extends { where: (...args: any[]) => Q }>(q: Q): Q => {
    let out = q.where("tenant_id", "=", f.tenantId).where(f.flag, "=", 1);
    if (f.walletId !== undefined) out = out.where("wallet_id", "=", f.walletId);
    if (f.exceptId !== undefined) out = out.where("id", "!=", f.exceptId);
    return out;
  };
  const previous = (await scope(db.selectFrom(f.table).select(f.label)).execute()) as Record<
    string,
    string
  >[];
  if (previous.length === 0) return null;
  await scope(db.updateTable(f.table).set({ [f.flag]: 0, updated_at: f.now })).execute();
  return previous.map((p) => p[f.label]).join(", ");
}
