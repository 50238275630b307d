import {
  describeSendWindow,
  parseSendWindow,
  type SendWindow,
  validateSendWindow,
} from "../campaigns/window.js";
import { plural } from "../plural.js";
import { describeLegalBasis, legalBasisHelp } from "../privacy/legal-basis.js";
import { setWalletLegalBasis } from "../store/privacy.js";
import {
  createWallet,
  getWalletByCode,
  listWallets,
  removeWallet,
  type WalletRemovalImpact,
  walletRemovalImpact,
} from "../store/wallets.js";
import {
  confirmDestructive,
  DATA_DIR_HELP,
  DATA_DIR_OPTION,
  EXIT,
  parseCommandLine,
  tenantOption,
} from "./args.js";
import { withStore } from "./store.js";

const HELP = `Uso:
  remessa wallets add CÓDIGO [--name NOME] [--tenant ID]
  remessa wallets list [--json] [--tenant ID]
  remessa wallets remove CÓDIGO [--yes] [--tenant ID]
  remessa wallets window CÓDIGO --days DIAS --from HH:MM --to HH:MM [--tenant ID]
  remessa wallets window CÓDIGO --clear [--tenant ID]
  remessa wallets legal-basis CÓDIGO --basis BASE [--note TEXTO] [--tenant ID]
  remessa wallets legal-basis CÓDIGO --clear [--tenant ID]

O código da carteira é o que vai no nome do arquivo (_cCÓDIGO) e o nome da
pasta da carteira no FTP. Sem --tenant, usa a empresa padrão (1).

window define a janela de envio da carteira, no fuso horário da empresa: uma
mensagem que vence fora dela espera a próxima abertura (o prazo _LE continua
valendo). DIAS: 1 = segunda … 7 = domingo, em intervalo (1-6) ou lista (1,3,5).
Ex.: remessa wallets window COBRANCA --days 1-6 --from 08:00 --to 20:00
--clear tira a janela (envio a qualquer hora).

legal-basis registra a base legal (LGPD) com que a empresa trata as pessoas da
carteira, e uma observação opcional (contrato, parecer do DPO). Cada mailing
importado guarda a base em vigor na importação. Com a exigência ligada
("remessa audit settings --require-legal-basis sim"), um arquivo de carteira sem
base é descartado (BASE_LEGAL_AUSENTE). BASE é uma destas:
${legalBasisHelp()}

remove mostra o que será apagado e pede confirmação; --yes confirma sem
perguntar (obrigatório fora de um terminal, em scripts).
Todas aceitam:
${DATA_DIR_HELP}`;

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
    ((action === "add" || action === "remove" || action === "window" || action === "legal-basis") &&
      !code)
  ) {
    console.error(HELP);
    return 2;
  }
  if (!["add", "list", "remove", "window", "legal-basis"].includes(action)) {
    console.error(`Ação desconhecida: "${action}".\n\n${HELP}`);
    return 2;
  }

  let window: SendWindow | null = null;
  if (action === "window") {
    const parsedWindow = windowFromOptions(values);
    if (typeof parsedWindow === "string") {
      console.error(parsedWindow);
      return 2;
    }
    window = parsedWindow;
  }

  if (action === "legal-basis" && (values.clear ? values.basis !== undefined : !values.basis)) {
    console.error(
      "Informe a base com --basis BASE (e, se quiser, --note TEXTO), ou --clear para tirá-la.",
    );
    return 2;
  }

  return withStore(tenantId, async (store) => {
    if (action === "legal-basis") {
      const wallet = await setWalletLegalBasis(
        store.db,
        tenantId,
        code ?? "",
        values.clear ? null : (values.basis ?? null),
        values.note ?? null,
      );
      if (!wallet) {
        console.error(
          `A carteira "${code}" não existe. Veja as carteiras com "remessa wallets list".`,
        );
        return 1;
      }
      console.log(
        wallet.legal_basis
          ? `Base legal da carteira "${wallet.code}": ${describeLegalBasis(wallet.legal_basis)}. Vale para os próximos mailings; os já importados guardam a base da época.`
          : `A carteira "${wallet.code}" não tem mais base legal registrada.`,
      );
      return 0;
    }
    if (action === "window") {
      const wallet = await getWalletByCode(store.db, tenantId, code ?? "");
      if (!wallet) {
        console.error(
          `A carteira "${code}" não existe. Veja as carteiras com "remessa wallets list".`,
        );
        return 1;
      }
      await store.db
        .updateTable("wallets")
        .set({ send_window_json: window ? JSON.stringify(window) : null })
        .where("tenant_id", "=", tenantId)
        .where("id", "=", wallet.id)
        .execute();
      console.log(
        window
          ? `Janela de envio da carteira "${wallet.code}": ${describeSendWindow(window)}. Vale para as mensagens que ainda vão sair, inclusive de campanhas já criadas.`
          : `A carteira "${wallet.code}" não tem mais janela de envio: as mensagens saem a qualquer hora.`,
      );
      return 0;
    }
    if (action === "add") {
      const wallet = await createWallet(store.db, tenantId, {
        code: code ?? "",
        name: values.name ?? null,
      });
      console.log(`Carteira "${wallet.code}" criada (${wallet.name}).`);
      return 0;
    }
    if (action === "remove") {
      const wallet = await getWalletByCode(store.db, tenantId, code ?? "");
      if (!wallet) {
        console.error(
          `A carteira "${code}" não existe. Veja as carteiras com "remessa wallets list".`,
        );
        return 1;
      }
      const impact = await walletRemovalImpact(store.db, tenantId, wallet.id);
      console.error(describeRemoval(wallet.code, wallet.name, impact));
      const stop = await confirmDestructive(values.yes);
      if (stop !== null) return stop;
      if (!(await removeWallet(store.db, tenantId, wallet.code))) {
        console.error(`A carteira "${wallet.code}" já tinha sido removida.`);
        return 1;
      }
      console.log(
        `Carteira "${wallet.code}" removida (${plural(impact.members, "pessoa desvinculada", "pessoas desvinculadas")}).`,
      );
      return 0;
    }
    const wallets = await listWallets(store.db, tenantId);
    if (values.json) {
      console.log(
        JSON.stringify(
          wallets.map((w) => ({
            id: w.id,
            code: w.code,
            name: w.name,
            sendWindow: parseSendWindow(w.send_window_json),
            legalBasis: w.legal_basis,
            legalBasisNote: w.legal_basis_note,
            legalBasisAt: w.legal_basis_at,
            createdAt: w.created_at,
          })),
        ),
      );
    } else if (wallets.length === 0) {
      console.log('Nenhuma carteira cadastrada. Crie uma com "remessa wallets add CÓDIGO".');
    } else {
      for (const w of wallets) {
        const window = parseSendWindow(w.send_window_json);
        const when = window ? `  (envio: ${describeSendWindow(window)})` : "";
        const basis = w.legal_basis ? `  (base legal: ${describeLegalBasis(w.legal_basis)})` : "";
        console.log(`${w.code.padEnd(20)} ${w.name}${when}${basis}`);
      }
    }
    return 0;
  });
}

/** `--days 1-6|1,3,5 --from HH:MM --to HH:MM`, or `--clear` (null); a string is the pt-BR error. */
function windowFromOptions(values: {
  days?: string;
  from?: string;
  to?: string;
  clear?: boolean;
}): SendWindow | null | string {
  const given = [values.days, values.from, values.to].some((v) => v !== undefined);
  if (values.clear) {
    return given ? "Use --clear sozinho, ou --days, --from e --to para definir a janela." : null;
  }
  if (values.days === undefined || values.from === undefined || values.to === undefined) {
    return "Informe --days, --from e --to (ex.: --days 1-6 --from 08:00 --to 20:00), ou --clear para tirar a janela.";
  }
  const days: number[] = [];
  for (const part of values.days.split(",")) {
    const range = /^\s*(\d)\s*(?:-\s*(\d)\s*)?$/.exec(part);
    const first = Number(range?.[1]);
    const last = range?.[2] === undefined ? first : Number(range[2]);
    if (!range || first > last) {
      return `--days inválido: "${values.days}". Use números de 1 (segunda) a 7 (domingo), em intervalo (1-6) ou lista (1,3,5).`;
    }
    for (let d = first; d <= last; d++) days.push(d);
  }
  const check = validateSendWindow({ days, from: values.from, to: values.to });
  return check.ok ? check.window : check.message;
}

/** What goes with the wallet, told before asking (pt-BR, on stderr: stdout stays for results). */
function describeRemoval(code: string, name: string, impact: WalletRemovalImpact): string {
  const title = name && name !== code ? `"${code}" (${name})` : `"${code}"`;
  const lines = [
    impact.members === 0
      ? "nenhuma pessoa está nesta carteira"
      : `${plural(impact.members, "pessoa sai", "pessoas saem")} da carteira (continuam no cadastro; ${plural(impact.peopleOnlyHere, "fica", "ficam")} sem nenhuma carteira)`,
  ];
  if (impact.restrictions > 0) {
    lines.push(
      plural(
        impact.restrictions,
        "contato da lista de restrição da carteira é apagado",
        "contatos da lista de restrição da carteira são apagados",
      ),
    );
  }
  if (impact.mailings > 0) {
    lines.push(
      `${plural(impact.mailings, "mailing do histórico deixa", "mailings do histórico deixam")} de indicar a carteira`,
    );
  }
  if (impact.campaigns > 0) {
    lines.push(
      `${plural(impact.campaigns, "campanha deixa", "campanhas deixam")} de indicar a carteira`,
    );
  }
  if (impact.settings > 0) {
    lines.push(
      plural(
        impact.settings,
        "remetente, modelo ou conta de e-mail deixa de ser exclusivo da carteira",
        "remetentes, modelos ou contas de e-mail deixam de ser exclusivos da carteira",
      ),
    );
  }
  return `A carteira ${title} será removida. Isso não pode ser desfeito:\n${lines.map((l) => `  - ${l}`).join("\n")}`;
}

const OPTIONS = {
  allowPositionals: true,
  options: {
    ...DATA_DIR_OPTION,
    yes: { type: "boolean", short: "y" },
    name: { type: "string" },
    days: { type: "string" },
    from: { type: "string" },
    to: { type: "string" },
    clear: { type: "boolean" },
    basis: { type: "string" },
    note: { type: "string" },
    json: { type: "boolean" },
    tenant: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
} as const;
