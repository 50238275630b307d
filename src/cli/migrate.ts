/** `remessa migrate`: creates or updates the database schema (idempotent). */
import { databaseUrl } from "../config.js";
import { openDatabase } from "../store/db.js";
import { describeDbError } from "../store/errors.js";
import { migrateToLatest } from "../store/migrations.js";
import { DATA_DIR_HELP, DATA_DIR_OPTION, parseCommandLine } from "./args.js";

const HELP = `Uso: remessa migrate [--data-dir PASTA]

Cria ou atualiza as tabelas do banco indicado por DATABASE_URL
(padrão: sqlite:PASTA/remessa.db). Pode ser executado quantas vezes quiser.

${DATA_DIR_HELP}`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv, OPTIONS, HELP);
  if (typeof parsed === "number") return parsed;
  let store: Awaited<ReturnType<typeof openDatabase>>;
  try {
    store = await openDatabase(databaseUrl());
  } catch (error) {
    console.error(describeDbError(error));
    return 1;
  }
  try {
    const outcome = await migrateToLatest(store.db, store.dialect, store.pgSchema ?? undefined);
    if (outcome.error) {
      console.error(describeDbError(outcome.error));
      return 1;
    }
    console.log(
      outcome.applied.length
        ? `Migrações aplicadas: ${outcome.applied.join(", ")}.`
        : "O banco já está atualizado.",
    );
    return 0;
  } finally {
    await store.close();
  }
}

const OPTIONS = {
  options: { ...DATA_DIR_OPTION, help: { type: "boolean", short: "h" } },
} as const;
