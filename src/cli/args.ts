import { type ParseArgsConfig, parseArgs } from "node:util";
import { DEFAULT_TENANT_ID } from "../store/tenants.js";

/** Exit codes shared by every command. */
export const EXIT = { ok: 0, refused: 1, usage: 2 } as const;

/**
 * Parses a command's arguments the same way for every command: a usage error
 * prints the message and the help (exit 2); `--help` prints the help (exit 0).
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
    console.error(`${(error as Error).message}\n\n${help}`);
    return EXIT.usage;
  }
  if ((parsed.values as { help?: boolean }).help) {
    console.log(help);
    return EXIT.ok;
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
