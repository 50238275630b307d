import { createWallet, listWallets, removeWallet } from "../store/wallets.js";
import { EXIT, parseCommandLine, tenantOption } from "./args.js";
import { withStore } from "./store.js";

const HELP = `Uso:
  remessa wallets add CÓDIGO [--name NOME] [--tenant ID]
  remessa wallets list [--json] [--tenant ID]
  remessa wallets remove CÓDIGO [--tenant ID]

O código da carteira é o que vai no nome do arquivo (_cCÓDIGO) e o nome da
pasta da carteira no FTP. Sem --tenant, usa a empresa padrão (1).`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv, OPTIONS, HELP);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  const [action, code, ...extra] = positionals;
  const tenantId = tenantOption(values.tenant);
  if (tenantId === null) return EXIT.usage;
  if (
    !action ||
    extra.length > 0 ||
    (action === "list" && code !== undefined) ||
    ((action === "add" || action === "remove") && !code)
  ) {
    console.error(HELP);
    return 2;
  }
  if (!["add", "list", "remove"].includes(action)) {
    console.error(`Ação desconhecida: "${action}".\n\n${HELP}`);
    return 2;
  }

  return withStore(tenantId, async (store) => {
    if (action === "add") {
      const wallet = await createWallet(store.db, tenantId, {
        code: code ?? "",
        name: values.name ?? null,
      });
      console.log(`Carteira "${wallet.code}" criada (${wallet.name}).`);
      return 0;
    }
    if (action === "remove") {
      if (!(await removeWallet(store.db, tenantId, code ?? ""))) {
        console.error(
          `A carteira "${code}" não existe. Veja as carteiras com "remessa wallets list".`,
        );
        return 1;
      }
      console.log(`Carteira "${code}" removida.`);
      return 0;
    }
    const wallets = await listWallets(store.db, tenantId);
    if (values.json) {
      console.log(
        JSON.stringify(
          wallets.map((w) => ({ id: w.id, code: w.code, name: w.name, createdAt: w.created_at })),
        ),
      );
    } else if (wallets.length === 0) {
      console.log('Nenhuma carteira cadastrada. Crie uma com "remessa wallets add CÓDIGO".');
    } else {
      for (const w of wallets) console.log(`${w.code.padEnd(20)} ${w.name}`);
    }
    return 0;
  });
}

const OPTIONS = {
  allowPositionals: true,
  options: {
    name: { type: "string" },
    json: { type: "boolean" },
    tenant: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
} as const;
