/** `remessa migrate`: creates or updates the database schema (idempotent). */
import { parseArgs } from "node:util";
import { databaseUrl } from "../config.js";
import { openDatabase } from "../store/db.js";
import { describeDbError } from "../store/errors.js";
import { migrateToLatest } from "../store/migrations.js";

const HELP = `Uso: remessa migrate

Cria ou atualiza as tabelas do banco indicado por DATABASE_URL
(padrão: sqlite:./data/remessa.db). Pode ser executado quantas vezes quiser.`;

export async function run(argv: string[]): Promise<number> {
  let values: { help?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { help: { type: "boolean", short: "h" } } }));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
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
