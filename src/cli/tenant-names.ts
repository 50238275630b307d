/**
 * The tenant-data name checks (src/ingest/tenant-checks.ts) for the commands
 * that judge a name before upload: check-name, build-name and inspect. With a
 * database configured they apply the same checks as the server; without one
 * they say which checks they could not make, so "irá para LIDOS" is never
 * promised for a name the server would discard.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { databaseUrl, dataDir } from "../config.js";
import type { NameError, NameFacts } from "../filename/types.js";
import {
  checkNameFacts,
  databaseDirectory,
  type TenantDirectory,
} from "../ingest/tenant-checks.js";
import { sqlitePathFromUrl } from "../store/db.js";
import { EXIT, tenantOption } from "./args.js";
import { withStore } from "./store.js";

/** The options these commands add for the checks. */
export const TENANT_NAME_OPTIONS = {
  "data-dir": { type: "string" },
  tenant: { type: "string" },
} as const;

export const TENANT_NAME_HELP = `  --data-dir PASTA   pasta de dados do remessa (banco SQLite); padrão: REMESSA_DATA_DIR ou ./data
  --tenant ID        empresa cujas carteiras e remetentes são consultados (padrão 1)`;

/** What could not be checked without a database, in pt-BR, for the offline notice. */
export const OFFLINE_CHECKS = [
  "se a carteira (pasta ou _c) está cadastrada",
  "se a sequência já foi usada hoje",
  "se os remetentes, templates e contas de e-mail pedidos estão cadastrados",
];

export function offlineNotice(): string {
  return `Nenhum banco de dados encontrado (DATABASE_URL não definida e ${databaseUrl().replace(/^sqlite:/, "")} não existe), então estas verificações não foram feitas:\n${OFFLINE_CHECKS.map((c) => `  - ${c}`).join("\n")}\nUse --data-dir com a pasta de dados do remessa (ou defina DATABASE_URL) para fazê-las.`;
}

/** Checks a parsed name against the tenant data: every error, as the server finds them. */
export type NameChecker = (facts: NameFacts | null, folder: string | null) => Promise<NameError[]>;

/**
 * Runs `work` with the tenant-data checker, or with null when no database is
 * configured (DATABASE_URL unset and no SQLite file in the data dir). A
 * `--data-dir` without a database ends the command (exit 2); a store that
 * cannot be opened or an unknown tenant as every store command does (exit 1).
 */
export async function withNameChecker(
  values: { "data-dir"?: string | undefined; tenant?: string | undefined },
  work: (check: NameChecker | null) => Promise<number>,
): Promise<number> {
  const tenantId = tenantOption(values.tenant);
  if (tenantId === null) return EXIT.usage;
  // As serve does: the option is the data dir every store helper reads.
  if (values["data-dir"] !== undefined) process.env.REMESSA_DATA_DIR = resolve(values["data-dir"]);
  const sqlitePath = sqlitePathFromUrl(databaseUrl());
  if (sqlitePath !== null && !existsSync(sqlitePath)) {
    if (values["data-dir"] !== undefined) {
      console.error(
        `Não há banco de dados do remessa em "${dataDir()}" (falta ${sqlitePath}). Confira --data-dir: é a pasta de dados usada pelo "remessa serve".`,
      );
      return EXIT.usage;
    }
    return work(null);
  }
  return withStore(tenantId, async (store) => {
    const directory: TenantDirectory = databaseDirectory(store.db, tenantId);
    return work((facts, folder) => checkNameFacts(facts, folder, directory));
  });
}
