import { readFileSync } from "node:fs";
import { beginCliInvocation } from "../privacy/cli-audit.js";

/**
 * `remessa` command dispatcher. Each command lives in its own module, loaded
 * only when called, and exports `run(argv): Promise<number>` (the exit code:
 * 0 ok, 1 the input was refused, 2 usage error).
 */
type CommandModule = { run(argv: string[]): Promise<number> };

const commands: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  serve: {
    summary: "roda o remessa: leitura das origens, importação e caixa FTPS",
    load: () => import("./serve.js"),
  },
  sources: {
    summary: "cadastra, lista, remove e testa origens de arquivos (FTP, FTPS, SFTP)",
    load: () => import("./sources.js"),
  },
  migrate: {
    summary: "cria ou atualiza as tabelas do banco de dados",
    load: () => import("./migrate.js"),
  },
  wallets: {
    summary: "cadastra e lista carteiras",
    load: () => import("./wallets.js"),
  },
  tenants: {
    summary: "cadastra e lista empresas (multiempresa)",
    load: () => import("./tenants.js"),
  },
  senders: {
    summary: "cadastra, lista e remove remetentes (números WhatsApp e rotas de SMS)",
    load: () => import("./senders.js"),
  },
  "sms-routes": {
    summary: "cadastra, lista, remove e testa rotas de SMS (SMPP)",
    load: () => import("./sms-routes.js"),
  },
  templates: {
    summary: "cadastra, lista e remove templates de mensagem",
    load: () => import("./templates.js"),
  },
  "email-accounts": {
    summary: "cadastra, lista e remove contas de e-mail",
    load: () => import("./email-accounts.js"),
  },
  campaigns: {
    summary: "lista, mostra, pausa, retoma e cancela campanhas",
    load: () => import("./campaigns.js"),
  },
  outbox: {
    summary: "lista as mensagens da caixa de saída embutida",
    load: () => import("./outbox.js"),
  },
  interactions: {
    summary: "registra um contato recebido (para o _x)",
    load: () => import("./interactions.js"),
  },
  demo: {
    summary: "prepara uma demonstração: carteira DEMO e um mailing na caixa do serve",
    load: () => import("./demo.js"),
  },
  import: {
    summary: "importa um arquivo de mailing local (com barra de progresso)",
    load: () => import("./import.js"),
  },
  "check-name": {
    summary: "verifica o nome de um arquivo de mailing",
    load: () => import("./check-name.js"),
  },
  "build-name": {
    summary: "monta um nome de arquivo de mailing válido",
    load: () => import("./build-name.js"),
  },
  notifications: {
    summary: "avisos por webhook e e-mail (arquivos, campanhas, origens com falha)",
    load: () => import("./notifications.js"),
  },
  "api-keys": {
    summary: "cria, lista e revoga chaves da API HTTP",
    load: () => import("./api-keys.js"),
  },
  restrictions: {
    summary: "listas de restrição (descadastro): inclui, remove, lista e importa",
    load: () => import("./restrictions.js"),
  },
  audit: {
    summary: "trilha de auditoria (LGPD) e configurações de privacidade da empresa",
    load: () => import("./audit.js"),
  },
  inspect: {
    summary: "lê um mailing local e mostra o que a importação faria",
    load: () => import("./inspect.js"),
  },
  persons: {
    summary: "direitos do titular (LGPD): mostra, exporta, corrige e apaga os dados de uma pessoa",
    load: () => import("./persons.js"),
  },
  retention: {
    summary: "prazos de retenção de arquivos e mensagens, e a limpeza do que passou do prazo",
    load: () => import("./retention.js"),
  },
};

/** The version in package.json (two levels up from src/cli and from dist/cli). */
function version(): string {
  const file = new URL("../../package.json", import.meta.url);
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}

let pipeGuarded = false;

/**
 * A reader that went away (`remessa wallets list | head`) makes the next
 * write fail with EPIPE, which Node raises as an unhandled error with a stack
 * trace. Nobody is left to read anything: end quietly, as `ls | head` does.
 */
function endQuietlyOnBrokenPipe(): void {
  if (pipeGuarded) return;
  pipeGuarded = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE") process.exit(0);
      throw error;
    });
  }
}

function usage(): string {
  const lines = Object.entries(commands).map(([n, c]) => `  ${n.padEnd(14)} ${c.summary}`);
  return `Uso: remessa <comando> [opções]\n\nComandos:\n${lines.join("\n")}\n\nUse "remessa <comando> --help" para as opções de cada comando e "remessa --version" para a versão.\nQualquer comando aceita --actor NOME: quem age, para a auditoria (padrão: o usuário do sistema).`;
}

export async function main(argv: string[]): Promise<number> {
  endQuietlyOnBrokenPipe();
  const [name, ...rest] = argv;
  if (name === "--version" || name === "-V" || name === "version") {
    console.log(version());
    return 0;
  }
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(usage());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    const what = name.startsWith("-") ? "Opção desconhecida" : "Comando desconhecido";
    console.error(`${what}: "${name}".\n\n${usage()}`);
    return 2;
  }
  // `--actor NAME` (any command): who acts, for the audit trail (src/privacy/cli-audit.ts).
  const args = beginCliInvocation(name, rest);
  const mod = await command.load();
  return mod.run(args);
}
