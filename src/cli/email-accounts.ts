/**
 * `remessa email-accounts add|list|remove|test`: the accounts e-mail campaigns
 * send from (`_ce`, else the wallet's active account, else the platform default).
 * An SMTP account's password is read from standard input and its DKIM key
 * from a file; both are stored encrypted and never printed.
 */
import { readFile } from "node:fs/promises";
import { DEFAULT_RATE_PER_SECOND } from "../campaigns/rates.js";
import { loadSmtpAccount, testSmtpAccount } from "../channels/smtp.js";
import {
  addEmailAccount,
  type EmailAccountView,
  getEmailAccount,
  listEmailAccounts,
  removeEmailAccount,
  type SmtpSettingsInput,
} from "../store/email-accounts.js";
import { SecretError } from "../store/secrets.js";
import { DATA_DIR_HELP, DATA_DIR_OPTION, EXIT, parseCommandLine, tenantOption } from "./args.js";
import { listSettings, removeSetting, settingsCommand } from "./settings-args.js";
import { withStore } from "./store.js";

const HELP = `Uso:
  remessa email-accounts add --address E-MAIL [--display-name NOME] [--wallet CÓDIGO]
                             [--active] [--platform-default] [--rate N] [--json]
                             [--provider smtp --host SERVIDOR --port N
                              [--security starttls|tls|none] [--user USUÁRIO]
                              [--reply-to E-MAIL]
                              [--dkim-domain DOMÍNIO --dkim-selector SELETOR
                               --dkim-key-file ARQUIVO.pem]]
  remessa email-accounts list [--wallet CÓDIGO] [--json]
  remessa email-accounts remove ID
  remessa email-accounts test ID [--json]

A conta de e-mail de uma campanha é a do _ce no nome do arquivo; sem _ce, a
conta ativa da carteira; sem ela, a conta padrão da plataforma.
--active: a conta ativa da carteira de --wallet (uma por carteira: a nova
substitui a anterior).
--platform-default: a conta padrão da plataforma (uma por empresa: a nova
substitui a anterior).
--rate: mensagens por segundo (padrão ${DEFAULT_RATE_PER_SECOND.email}).
Sem --provider smtp a conta envia pela caixa de saída embutida (provedor
"outbox"; veja "remessa outbox list").
Provedor smtp: --host e --port do servidor; --security starttls (padrão,
porta 587), tls (TLS desde o início, porta 465) ou none (sem criptografia);
--user: a senha é lida da entrada padrão, guardada cifrada e nunca mostrada:
  echo "$SENHA" | remessa email-accounts add --address ... --user ...
--reply-to: endereço de resposta das mensagens. DKIM (opcional): os três
--dkim-*; a chave privada PEM é lida do arquivo e guardada cifrada.
Descadastro: cada e-mail leva o link de descadastro em um clique
(List-Unsubscribe) em REMESSA_PUBLIC_URL/u/...; sem REMESSA_PUBLIC_URL no
ambiente do "remessa serve", os e-mails saem sem esse link (Gmail e Yahoo
exigem o link de quem envia em massa).
test: uma conexão real (conexão, EHLO, STARTTLS/TLS, autenticação) e diz o
que falhou: DNS, conexão recusada, certificado TLS, usuário ou senha.
Uma conta usada por uma campanha em andamento não é removida.
--json: saída em JSON ({ id, address, displayName, wallet, active,
platformDefault, ratePerSecond, provider, smtp, createdAt }; smtp: null ou
{ host, port, security, user, hasPassword, replyTo, dkim }; list devolve uma
lista; test: { ok, code, message }).
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
    provider: { type: "string" },
    host: { type: "string" },
    port: { type: "string" },
    security: { type: "string" },
    user: { type: "string" },
    "reply-to": { type: "string" },
    "dkim-domain": { type: "string" },
    "dkim-selector": { type: "string" },
    "dkim-key-file": { type: "string" },
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
    smtp:
      a.provider === "smtp"
        ? {
            host: a.host,
            port: a.port,
            security: a.security,
            user: a.username,
            hasPassword: a.password_enc !== null,
            replyTo: a.reply_to,
            dkim: a.dkim_domain ? { domain: a.dkim_domain, selector: a.dkim_selector } : null,
          }
        : null,
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
  const server =
    a.provider === "smtp"
      ? ` ${a.host}:${a.port} (${a.security}${a.username ? `, usuário ${a.username}` : ""}${a.reply_to ? `, responder a ${a.reply_to}` : ""}${a.dkim_domain ? `, DKIM ${a.dkim_selector}._domainkey.${a.dkim_domain}` : ""})`
      : "";
  return `${name} — ${roles.length > 0 ? roles.join(", ") : "sem carteira"}, ${rate}, provedor ${a.provider}${server}`;
}

/** The whole of stdin, without the final line break `echo` adds. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

type Values =
  ReturnType<typeof parseCommandLine<typeof OPTIONS>> extends infer R
    ? R extends { values: infer V }
      ? V
      : never
    : never;

const SMTP_FLAGS = [
  "host",
  "port",
  "security",
  "user",
  "reply-to",
  "dkim-domain",
  "dkim-selector",
  "dkim-key-file",
] as const;

/** The SMTP settings of `add`, the password read from stdin; a pt-BR usage problem as a string. */
async function smtpSettings(values: Values): Promise<SmtpSettingsInput | null | string> {
  const provider = values.provider ?? (values.host !== undefined ? "smtp" : "outbox");
  if (provider !== "smtp" && provider !== "outbox") {
    return `Provedor "${values.provider}" desconhecido: use --provider smtp (ou nada, para a caixa de saída embutida).`;
  }
  if (provider === "outbox") {
    const stray = SMTP_FLAGS.find((f) => values[f] !== undefined);
    return stray ? `--${stray} vale só com --provider smtp.` : null;
  }
  if (!values.host) return "Informe o servidor SMTP em --host (ex.: smtp.empresa.com.br).";
  if (!values.port || !/^\d{1,5}$/.test(values.port)) {
    return "Informe a porta SMTP em --port (em geral 587 com starttls ou 465 com tls).";
  }
  const dkimFlags = [values["dkim-domain"], values["dkim-selector"], values["dkim-key-file"]];
  const dkimGiven = dkimFlags.filter((v) => v !== undefined).length;
  if (dkimGiven !== 0 && dkimGiven !== 3) {
    return "DKIM precisa dos três: --dkim-domain, --dkim-selector e --dkim-key-file.";
  }
  let dkim: SmtpSettingsInput["dkim"] = null;
  if (dkimGiven === 3) {
    let privateKey: string;
    try {
      privateKey = await readFile(values["dkim-key-file"] as string, "utf8");
    } catch {
      return `Não foi possível ler a chave DKIM em "${values["dkim-key-file"]}": confira o caminho e a permissão de leitura.`;
    }
    dkim = {
      domain: values["dkim-domain"] as string,
      selector: values["dkim-selector"] as string,
      privateKey,
    };
  }
  let password: string | null = null;
  if (values.user) {
    password = await readStdin();
    if (password === "") {
      return 'A senha lida da entrada padrão está vazia: envie a senha, ex.: echo "$SENHA" | remessa email-accounts add ... --user USUÁRIO';
    }
  }
  return {
    host: values.host,
    port: Number(values.port),
    security: values.security ?? "starttls",
    username: values.user ?? null,
    password,
    replyTo: values["reply-to"] ?? null,
    dkim,
  };
}

/** `test ID`: one real round trip with the stored settings. */
async function testAccount(argv: string[], values: Values, tenantId: number): Promise<number> {
  const id = argv[1];
  if (id === undefined || !/^\d+$/.test(id) || argv.length > 2) {
    console.error(
      `Informe o número da conta a testar (veja "remessa email-accounts list").\n\n${HELP}`,
    );
    return EXIT.usage;
  }
  return withStore(tenantId, async (store) => {
    const view = await getEmailAccount(store.db, tenantId, Number(id));
    if (!view) {
      console.error(
        `A conta de e-mail ${id} não existe. Veja as contas com "remessa email-accounts list".`,
      );
      return EXIT.refused;
    }
    if (view.provider !== "smtp") {
      console.error(
        `A conta de e-mail ${id} usa a caixa de saída embutida (provedor ${view.provider}): não há servidor para testar.`,
      );
      return EXIT.refused;
    }
    let account: Awaited<ReturnType<typeof loadSmtpAccount>>;
    try {
      account = await loadSmtpAccount(store.db, view.id);
    } catch (error) {
      if (error instanceof SecretError) {
        console.error(error.message);
        return EXIT.refused;
      }
      throw error;
    }
    if (!account) return EXIT.refused;
    const result = await testSmtpAccount(account);
    if (values.json) {
      console.log(
        JSON.stringify({
          ok: result.ok,
          code: result.ok ? null : result.code,
          message: result.message,
        }),
      );
    } else if (result.ok) console.log(result.message);
    else console.error(`[${result.code}] ${result.message}`);
    return result.ok ? EXIT.ok : EXIT.refused;
  });
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv, OPTIONS, HELP);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  if (positionals[0] === "test") {
    const tenantId = tenantOption(values.tenant);
    if (tenantId === null) return EXIT.usage;
    return testAccount(positionals, values, tenantId);
  }
  const command = settingsCommand(positionals, values, "remessa email-accounts list", HELP);
  if (typeof command === "number") return command;
  const { tenantId, action, id, rate } = command;
  if (action === "add" && values.address === undefined) {
    console.error(`Informe o endereço: --address nome@empresa.com.br.\n\n${HELP}`);
    return EXIT.usage;
  }
  let smtp: SmtpSettingsInput | null = null;
  if (action === "add") {
    const settings = await smtpSettings(values);
    if (typeof settings === "string") {
      console.error(`${settings}\n\n${HELP}`);
      return EXIT.usage;
    }
    smtp = settings;
  }
  return withStore(tenantId, async (store) => {
    const { db } = store;
    if (action === "add") {
      const added = await addEmailAccount(db, tenantId, {
        ...(smtp ? { provider: "smtp", smtp } : {}),
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
        if (account.provider === "smtp") {
          console.log(`Teste a conexão com "remessa email-accounts test ${account.id}".`);
        }
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
