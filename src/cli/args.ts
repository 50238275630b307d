import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { type ParseArgsConfig, parseArgs } from "node:util";
import { DEFAULT_TENANT_ID } from "../store/tenants.js";

/** Exit codes shared by every command. */
export const EXIT = { ok: 0, refused: 1, usage: 2 } as const;

/**
 * The `--data-dir` option of every command that opens the database: declare
 * it in the command's options and `parseCommandLine` applies it.
 */
export const DATA_DIR_OPTION = { "data-dir": { type: "string" } } as const;

/** Help line for `--data-dir`, the same in every command. */
export const DATA_DIR_HELP = `  --data-dir PASTA  pasta de dados (banco SQLite, chave das senhas); use a mesma
                    do "remessa serve". Padrão: REMESSA_DATA_DIR ou ./data`;

/**
 * A node:util parseArgs error in pt-BR. Node's messages are English and
 * speak of "positional arguments"; the operator needs the option's name and
 * what to do. Anything else keeps its own message.
 */
export function describeArgsError(error: unknown): string {
  const { code, message = String(error) } = error as { code?: string; message?: string };
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const option = /'([^']+)'/.exec(message)?.[1] ?? "";
    return `Opção desconhecida: ${option}. Confira a grafia nas opções abaixo (um argumento que começa com "-" vai depois de "--", por exemplo: -- ${option}).`;
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    // "-n, --name <value>" or "--json": the long name is the last word before a value.
    const spec = /'([^']+)'/.exec(message)?.[1] ?? "";
    const option = /(--?[^\s,<]+)(?:\s+<value>)?$/.exec(spec)?.[1] ?? spec;
    if (/does not take an argument/.test(message)) {
      return `A opção ${option} não recebe valor: escreva só ${option}.`;
    }
    return `A opção ${option} precisa de um valor: ${option} VALOR (um valor que começa com "-" vai como ${option}=-VALOR).`;
  }
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
    const argument = /'([^']+)'/.exec(message)?.[1] ?? "";
    return `Argumento inesperado: "${argument}". Este comando só recebe as opções abaixo.`;
  }
  return message;
}

/**
 * Parses a command's arguments the same way for every command: a usage error
 * prints the message in pt-BR and the help (exit 2); `--help` prints the help
 * (exit 0); a declared `--data-dir` becomes the data dir of everything the
 * command opens (database default, secret key file), as in `serve`.
 * Returns the parsed arguments, or the exit code when the command should stop.
 * The options must declare `help`.
 */
export function parseCommandLine<T extends ParseArgsConfig>(
  argv: string[],
  config: T,
  help: string,
): ReturnType<typeof parseArgs<T>> | number {
  let parsed: ReturnType<typeof parseArgs<T>>;
  try {
    parsed = parseArgs<T>({ ...config, args: argv });
  } catch (error) {
    console.error(`${describeArgsError(error)}\n\n${help}`);
    return EXIT.usage;
  }
  const values = parsed.values as { help?: boolean; "data-dir"?: string };
  if (values.help) {
    console.log(help);
    return EXIT.ok;
  }
  if (values["data-dir"] !== undefined) {
    if (values["data-dir"].trim() === "") {
      console.error(`Informe a pasta de dados em --data-dir.\n\n${help}`);
      return EXIT.usage;
    }
    process.env.REMESSA_DATA_DIR = resolve(values["data-dir"]);
  }
  return parsed;
}

/** The `--tenant` option (default: the embedded default tenant), or null after printing why not. */
export function tenantOption(value: string | undefined): number | null {
  const tenantId = Number(value ?? DEFAULT_TENANT_ID);
  if (!Number.isInteger(tenantId) || tenantId < 1) {
    console.error("--tenant deve ser o número da empresa (por exemplo 1).");
    return null;
  }
  return tenantId;
}

export interface ConfirmStreams {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream;
}

/**
 * Whether a destructive command may go on, after it printed what will go:
 * `--yes` goes on; on a terminal the operator answers "Confirma? [s/N]" (only
 * s/sim goes on); without a terminal and without `--yes` it refuses and says
 * to add `--yes`, so a script never deletes by accident nor hangs on a question.
 * Returns the exit code to stop with, or null to go on.
 */
export async function confirmDestructive(
  yes: boolean | undefined,
  streams: ConfirmStreams = { input: process.stdin, output: process.stderr },
): Promise<number | null> {
  if (yes) return null;
  if (streams.input.isTTY !== true) {
    streams.output.write(
      "Nada foi feito: sem um terminal para confirmar, repita o comando com --yes.\n",
    );
    return EXIT.usage;
  }
  const rl = createInterface({ input: streams.input, output: streams.output });
  const answer = await new Promise<string | null>((done) => {
    rl.question("Confirma? [s/N] ", done);
    // Ctrl-D or a closed terminal: no answer is a no.
    rl.on("close", () => done(null));
  });
  rl.close();
  if (answer !== null && /^\s*(s|sim)\s*$/i.test(answer)) return null;
  streams.output.write("Nada foi feito.\n");
  return EXIT.refused;
}
