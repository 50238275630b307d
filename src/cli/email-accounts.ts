/**
 * `remessa email-accounts add|list|remove`: the accounts e-mail campaigns
 * send from (`_ce`, else the wallet's active account, else the platform default).
 */
import { DEFAULT_RATE_PER_SECOND } from "../campaigns/rates.js";
import {
  addEmailAccount,
  type EmailAccountView,
  getEmailAccount,
  listEmailAccounts,
  removeEmailAccount,
} from "../store/email-accounts.js";
import { DATA_DIR_HELP, DATA_DIR_OPTION, EXIT, parseCommandLine } from "./args.js";
import { listSettings, removeSetting, settingsCommand } from "./settings-args.js";
import { withStore } from "./store.js";

const HELP = `Uso:
  remessa email-accounts add --address E-MAIL [--display-name NOME] [--wallet CÓDIGO]
                             [--active] [--platform-default] [--rate N] [--json]
  remessa email-accounts list [--wallet CÓDIGO] [--json]
  remessa email-accounts remove ID

A conta de e-mail de uma campanha é a do _ce no nome do arquivo; sem _ce, a
conta ativa da carteira; sem ela, a conta padrão da plataforma.
--active: a conta ativa da carteira de --wallet (uma por carteira: a nova
substitui a anterior).
--platform-default: a conta padrão da plataforma (uma por empresa: a nova
substitui a anterior).
--rate: mensagens por segundo (padrão ${DEFAULT_RATE_PER_SECOND.email}).
Por enquanto toda conta envia pela caixa de saída embutida (provedor "outbox";
veja "remessa outbox list"); servidor SMTP e senha virão com o provedor SMTP.
Uma conta usada por uma campanha em andamento não é removida.
--json: saída em JSON ({ id, address, displayName, wallet, active,
platformDefault, ratePerSecond, provider, createdAt }; list devolve uma lista).
Todas aceitam --tenant ID (padrão: a empresa 1) e:
${DATA_DIR_HELP}`;

const OPTIONS = {
  allowPositionals: true,
  options: {
    ...DATA_DIR_OPTION,
    address: { type: "string" },
    "display-name": { type: "string" },
    wallet: { type: "string" },
    active: { type: "boolean" },
    "platform-default": { type: "boolean" },
    rate: { type: "string" },
    json: { type: "boolean" },
    tenant: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
} as const;

export function emailAccountJson(a: EmailAccountView) {
  return {
    id: a.id,
    address: a.address,
    displayName: a.display_name,
    wallet: a.wallet_code,
    active: a.active === 1,
    platformDefault: a.is_platform_default === 1,
    ratePerSecond: a.rate_per_second,
    provider: a.provider,
    createdAt: a.created_at,
  };
}

function describe(a: EmailAccountView): string {
  const name = a.display_name ? `"${a.display_name}" <${a.address}>` : a.address;
  const roles: string[] = [];
  if (a.active) roles.push(`ativa da carteira ${a.wallet_code}`);
  else if (a.wallet_code) roles.push(`carteira ${a.wallet_code}`);
  if (a.is_platform_default) roles.push("padrão da plataforma");
  const rate = a.rate_per_second
    ? `${a.rate_per_second.toLocaleString("pt-BR")} msg/s`
    : `${DEFAULT_RATE_PER_SECOND.email} msg/s (padrão)`;
  return `${name} — ${roles.length > 0 ? roles.join(", ") : "sem carteira"}, ${rate}, provedor ${a.provider}`;
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv, OPTIONS, HELP);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  const command = settingsCommand(positionals, values, "remessa email-accounts list", HELP);
  if (typeof command === "number") return command;
  const { tenantId, action, id, rate } = command;
  if (action === "add" && values.address === undefined) {
    console.error(`Informe o endereço: --address nome@empresa.com.br.\n\n${HELP}`);
    return EXIT.usage;
  }
  return withStore(tenantId, async (store) => {
    const { db } = store;
    if (action === "add") {
      const added = await addEmailAccount(db, tenantId, {
        address: values.address ?? "",
        displayName: values["display-name"] ?? null,
        wallet: values.wallet ?? null,
        active: values.active === true,
        platformDefault: values["platform-default"] === true,
        ratePerSecond: rate,
      });
      const { account } = added;
      if (values.json) console.log(JSON.stringify(emailAccountJson(account)));
      else {
        console.log(`Conta de e-mail ${account.id} cadastrada: ${describe(account)}.`);
        if (added.replacedActive) {
          console.log(
            `${added.replacedActive} deixou de ser a conta ativa da carteira ${account.wallet_code}.`,
          );
        }
        if (added.replacedPlatformDefault) {
          console.log(
            `${added.replacedPlatformDefault} deixou de ser a conta padrão da plataforma.`,
          );
        }
      }
      return EXIT.ok;
    }
    if (action === "remove") {
      return removeSetting(
        id as number,
        (n) => getEmailAccount(db, tenantId, n),
        (n) => removeEmailAccount(db, tenantId, n),
        {
          missing: `A conta de e-mail ${id} não existe. Veja as contas com "remessa email-accounts list".`,
          removed: (a) => `Conta de e-mail ${a.id} removida (${describe(a)}).`,
        },
      );
    }
    return listSettings(db, tenantId, values, (filter) => listEmailAccounts(db, tenantId, filter), {
      json: emailAccountJson,
      empty:
        'Nenhuma conta de e-mail cadastrada. Cadastre uma com "remessa email-accounts add --address E-MAIL".',
      print: (a) => console.log(`${String(a.id).padStart(4)}  ${describe(a)}`),
    });
  });
}
