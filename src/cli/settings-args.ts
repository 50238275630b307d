/**
 * What `senders`, `templates` and `email-accounts` share: the action and ID
 * positionals, the `--rate` value, the `--wallet` filter of `list`, and the
 * output of `remove` and `list`.
 */
import type { Kysely } from "kysely";
import type { Database } from "../store/schema.js";
import { resolveWalletCode } from "../store/wallet-ref.js";
import { EXIT, tenantOption } from "./args.js";

export type SettingsAction = "add" | "list" | "remove" | "test";

const BASE_ACTIONS: readonly SettingsAction[] = ["add", "list", "remove"];

/** The action and the ID of `remove` (and `test`), or the pt-BR usage problem. */
export function settingsAction(
  positionals: string[],
  listHint: string,
  actions: readonly SettingsAction[] = BASE_ACTIONS,
): { action: SettingsAction; id: number | null } | { problem: string } {
  const [action, id, ...extra] = positionals;
  if (!action) return { problem: "" };
  if (!(actions as readonly string[]).includes(action)) {
    const names = actions.join(", ").replace(/, ([^,]*)$/, " ou $1");
    return { problem: `Ação desconhecida: "${action}". Use ${names}.` };
  }
  const withId = action === "remove" || action === "test";
  if (extra.length > 0 || (!withId && id !== undefined)) {
    return { problem: `Argumento inesperado: "${[id, ...extra].filter(Boolean).join(" ")}".` };
  }
  if (withId) {
    const n = Number(id);
    if (id === undefined || !/^\d+$/.test(id) || !Number.isSafeInteger(n) || n < 1) {
      return {
        problem: `Informe o número a ${action === "test" ? "testar" : "remover"} (veja "${listHint}").`,
      };
    }
    return { action: action as SettingsAction, id: n };
  }
  return { action: action as SettingsAction, id: null };
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

/** The shared start of `run`: tenant, action and ID, and `--rate` when the command has it. */
export type SettingsCommand = {
  tenantId: number;
  action: SettingsAction;
  id: number | null;
  rate: number | null;
};

/**
 * Checks `--tenant`, the action positionals and `--rate`, in that order;
 * prints the pt-BR problem and returns the usage exit code on the first one.
 */
export function settingsCommand(
  positionals: string[],
  values: { tenant?: string; rate?: string },
  listHint: string,
  help: string,
  actions?: readonly SettingsAction[],
): SettingsCommand | number {
  const tenantId = tenantOption(values.tenant);
  if (tenantId === null) return EXIT.usage;
  const command = settingsAction(positionals, listHint, actions);
  if ("problem" in command) {
    console.error(command.problem ? `${command.problem}\n\n${help}` : help);
    return EXIT.usage;
  }
  const rate = rateOption(values.rate);
  if (rate !== null && typeof rate === "object") {
    console.error(rate.problem);
    return EXIT.usage;
  }
  return { tenantId, action: command.action, id: command.id, rate };
}

/**
 * `remove ID`: looks the item up (for the confirmation line), removes it, and
 * prints `removed(item)`, or `missing` with the refused exit code.
 */
export async function removeSetting<T extends { id: number }>(
  id: number,
  get: (id: number) => Promise<T | null>,
  remove: (id: number) => Promise<boolean>,
  messages: { missing: string; removed: (item: T) => string },
): Promise<number> {
  const item = await get(id);
  if (!item || !(await remove(item.id))) {
    console.error(messages.missing);
    return EXIT.refused;
  }
  console.log(messages.removed(item));
  return EXIT.ok;
}

/**
 * `list [--wallet CÓDIGO] [--json]`: the items of the wallet (or of every
 * wallet) as a JSON list, the `empty` line, or each item through `print`.
 */
export async function listSettings<T>(
  db: Kysely<Database>,
  tenantId: number,
  values: { wallet?: string; json?: boolean },
  list: (filter: { walletId?: number }) => Promise<T[]>,
  output: { json: (item: T) => unknown; empty: string; print: (item: T) => void },
): Promise<number> {
  const items = await list(await walletFilter(db, tenantId, values.wallet));
  if (values.json) console.log(JSON.stringify(items.map(output.json)));
  else if (items.length === 0) console.log(output.empty);
  else {
    for (const item of items) output.print(item);
  }
  return EXIT.ok;
}
