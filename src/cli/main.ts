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
  inspect: {
    summary: "lê um mailing local e mostra o que a importação faria",
    load: () => import("./inspect.js"),
  },
};

function usage(): string {
  const lines = Object.entries(commands).map(([n, c]) => `  ${n.padEnd(14)} ${c.summary}`);
  return `Uso: remessa <comando> [opções]\n\nComandos:\n${lines.join("\n")}\n\nUse "remessa <comando> --help" para as opções de cada comando.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(usage());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    console.error(`Comando desconhecido: "${name}".\n\n${usage()}`);
    return 2;
  }
  const mod = await command.load();
  return mod.run(rest);
}
