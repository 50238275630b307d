/**
 * What `senders`, `templates` and `email-accounts` share: the action and ID
 * positionals, the `--rate` value and the `--wallet` filter of `list`.
 */
import type { Kysely } from "kysely";
import type { Database } from "../store/schema.js";
import { resolveWalletCode } from "../store/wallet-ref.js";

export type SettingsAction = "add" | "list" | "remove";

/** The action and the ID of `remove`, or the pt-BR usage problem. */
export function settingsAction(
  positionals: string[],
  listHint: string,
): { action: SettingsAction; id: number | null } | { problem: string } {
  const [action, id, ...extra] = positionals;
  if (!action) return { problem: "" };
  if (action !== "add" && action !== "list" && action !== "remove") {
    return { problem: `Ação desconhecida: "${action}". Use add, list ou remove.` };
  }
  if (extra.length > 0 || (action !== "remove" && id !== undefined)) {
    return { problem: `Argumento inesperado: "${[id, ...extra].filter(Boolean).join(" ")}".` };
  }
  if (action === "remove") {
    const n = Number(id);
    if (id === undefined || !/^\d+$/.test(id) || !Number.isSafeInteger(n) || n < 1) {
      return { problem: `Informe o número a remover (veja "${listHint}").` };
    }
    return { action, id: n };
  }
  return { action, id: null };
}

/** `--rate N` as a number (validated by the repository), or a pt-BR problem. */
export function rateOption(value: string | undefined): number | null | { problem: string } {
  if (value === undefined) return null;
  const n = Number(value.replace(",", "."));
  if (value.trim() === "" || Number.isNaN(n)) {
    return {
      problem: `--rate deve ser um número de mensagens por segundo (recebido "${value}"), por exemplo --rate 80.`,
    };
  }
  return n;
}

/** The `--wallet` filter of `list`: the wallet's id, or undefined for every wallet. */
export async function walletFilter(
  db: Kysely<Database>,
  tenantId: number,
  code: string | undefined,
): Promise<{ walletId?: number }> {
  if (code === undefined) return {};
  const wallet = await resolveWalletCode(db, tenantId, code);
  return wallet ? { walletId: wallet.id } : {};
}
