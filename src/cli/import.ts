/**
 * `remessa import [--json] [--folder NOME] [--today AAAA-MM-DD] CAMINHO`:
 * imports a local file as if it had arrived with that name — name checked by
 * the grammar and the tenant's data, content by the mailing reader, people
 * written in one transaction.
 */
import { stat } from "node:fs/promises";
import { basename, resolve } from "node:path";
import { type CreatedCampaign, createCampaigns } from "../campaigns/create.js";
import { campaignSummaries } from "../campaigns/summary.js";
import { parse } from "../filename/index.js";
import { checkTenantData, databaseDirectory } from "../ingest/tenant-checks.js";
import { readMailing } from "../mailing/reader.js";
import { campaignReportLines } from "../mailing/reports.js";
import { plural } from "../plural.js";
import {
  findAcceptedMailing,
  type ImportError,
  type ImportResult,
  importMailing,
  refusal,
  splitReader,
} from "../store/import.js";
import { importRestrictionMatcher, orderedChannels } from "../store/restrictions.js";
import { getTenant } from "../store/tenants.js";
import { getWalletByCode } from "../store/wallets.js";
import { DATA_DIR_HELP, DATA_DIR_OPTION, EXIT, parseCommandLine, tenantOption } from "./args.js";
import { localClock, UsageError } from "./clock.js";
import { withStore } from "./store.js";

const HELP = `Uso: remessa import [--json] [--folder PASTA] [--today AAAA-MM-DD] [--tenant ID] [--data-dir PASTA] CAMINHO

Importa um arquivo local como se tivesse chegado com esse nome: o nome é
verificado (data, sequência, carteira, parâmetros) e o conteúdo é lido e
gravado de uma vez (tudo ou nada).

  --folder PASTA   pasta da carteira onde o arquivo teria chegado
  --today DATA     data de hoje no fuso da empresa (padrão: a data atual)
  --json           imprime só um resumo em JSON
  --tenant ID      empresa (padrão 1)
${DATA_DIR_HELP}`;

interface JsonOutput {
  ok: boolean;
  errors: ImportError[];
  mailingId: number | null;
  rows: number;
  persons: number;
  inserted: number;
  updated: number;
  rejected: Partial<Record<string, number>>;
  seconds: number;
  /** Campaigns planned for the file's channel flags. */
  campaigns: CreatedCampaign[];
}

function toJson(r: ImportResult, campaigns: CreatedCampaign[]): JsonOutput {
  return {
    ok: r.ok,
    errors: r.errors,
    mailingId: r.mailingId,
    rows: r.rows,
    persons: r.persons,
    inserted: r.inserted,
    updated: r.updated,
    rejected: r.rejected,
    seconds: Math.round(r.seconds * 1000) / 1000,
    campaigns,
  };
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv, OPTIONS, HELP);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) {
    console.error(HELP);
    return 2;
  }
  const path = positionals[0] ?? "";
  const tenantId = tenantOption(values.tenant);
  if (tenantId === null) return EXIT.usage;
  const json = values.json === true;
  const started = performance.now();
  const print = (result: ImportResult, campaigns: CreatedCampaign[] = []): number => {
    if (json) console.log(JSON.stringify(toJson(result, campaigns)));
    else printHuman(result, basename(path));
    return result.ok ? 0 : 1;
  };

  try {
    const info = await stat(path);
    if (!info.isFile()) throw Object.assign(new Error("not a file"), { code: "EISDIR" });
  } catch {
    return print(
      refusal(
        [
          {
            code: "ARQUIVO_INEXISTENTE",
            message: `O arquivo "${path}" não existe ou não é um arquivo. Confira o caminho.`,
          },
        ],
        started,
      ),
    );
  }

  return withStore(tenantId, async (store) => {
    const tenant = (await getTenant(store.db, tenantId))!;
    let clock: { today: string; now: string };
    try {
      clock = localClock({
        tz: tenant.time_zone,
        ...(values.today ? { today: values.today } : {}),
      });
    } catch (error) {
      if (error instanceof UsageError) {
        console.error(error.message);
        return 2;
      }
      throw error;
    }
    const fileName = basename(path);
    const folder = values.folder ?? null;
    const name = parse(fileName, { folder, today: clock.today, now: clock.now });
    const errors: ImportError[] = name.errors.map((e) => ({
      code: e.code,
      message: e.message,
      param: e.param,
    }));
    const mailing = name.mailing;
    // Tenant checks are listed together with the grammar's (SPEC §3).
    const wallet = mailing?.wallet
      ? await getWalletByCode(store.db, tenantId, mailing.wallet)
      : null;
    if (mailing?.wallet && !wallet) {
      errors.push({
        code: "CARTEIRA_INEXISTENTE",
        param: "c",
        message: `A carteira "${mailing.wallet}" não está cadastrada. Cadastre-a (remessa wallets add ${mailing.wallet}) ou corrija o código no nome do arquivo (_c) ou a pasta.`,
      });
    }
    if (mailing) {
      const holder = await findAcceptedMailing(store.db, tenantId, mailing.date, mailing.sequence);
      if (holder) {
        errors.push({
          code: "SEQUENCIA_REPETIDA",
          param: null,
          message: `A sequência ${mailing.sequence} de ${mailing.date.split("-").reverse().join("/")} já foi usada pelo arquivo "${holder.file_name}". Envie o arquivo com outra sequência.`,
        });
      }
    }
    if (mailing && wallet) {
      // Senders, templates and e-mail accounts the name asks for (SPEC §3), as the pipeline checks them.
      const registrations = await checkTenantData(
        mailing,
        null,
        null,
        databaseDirectory(store.db, tenantId),
      );
      errors.push(
        ...registrations
          .filter((e) => REGISTRATION_CODES.has(e.code))
          .map((e) => ({ code: e.code, message: e.message, param: e.param })),
      );
    }
    if (!name.ok || !mailing || !wallet || errors.length > 0)
      return print(refusal(errors, started));

    const restricted = mailing.sanitize
      ? await importRestrictionMatcher(store.db, tenantId, wallet.id, orderedChannels(mailing))
      : null;
    const progress = new Progress(!json && process.stderr.isTTY === true);
    const reader = splitReader(
      readMailing(path, {
        extension: mailing.extension,
        sanitize: mailing.sanitize,
        maxRejectRatio: tenant.reject_ratio,
        ...(restricted ?? {}),
        onProgress: (read, total) => progress.bytes(read, total),
      }),
    );
    let campaigns: CreatedCampaign[] = [];
    const result = await importMailing(store, {
      tenantId,
      mailing,
      fileName,
      // Absolute, so the return file can be written beside it later (return-files.ts),
      // whatever the directory `serve` runs from.
      path: resolve(path),
      folder,
      content: reader.content,
      summary: reader.summary,
      onProgress: (p) => progress.persons(p.persons),
      afterImport: async (imported) => {
        campaigns = await createCampaigns(imported);
      },
    });
    progress.done();
    const code = print(result, campaigns);
    if (!json && result.ok && result.mailingId !== null) {
      const lines = await campaignSummaries(store.db, result.mailingId, tenant.time_zone);
      if (lines.length > 0) console.log("  Campanhas criadas:");
      for (const c of lines) for (const line of campaignReportLines(c)) console.log(`  ${line}`);
    }
    return code;
  });
}

/** A one-line progress display on stderr, redrawn at most ~10 times a second. */
class Progress {
  private read = 0;
  private total = 0;
  private people = 0;
  private last = 0;
  constructor(private readonly enabled: boolean) {}
  bytes(read: number, total: number): void {
    this.read = read;
    this.total = total;
    this.draw();
  }
  persons(n: number): void {
    this.people = n;
    this.draw();
  }
  private draw(): void {
    if (!this.enabled) return;
    const now = performance.now();
    if (now - this.last < 100) return;
    this.last = now;
    const pct = this.total > 0 ? Math.floor((this.read / this.total) * 100) : 0;
    const width = 30;
    const filled = Math.round((pct / 100) * width);
    const bar = "#".repeat(filled) + "-".repeat(width - filled);
    process.stderr.write(
      `\r[${bar}] ${String(pct).padStart(3)}%  ${plural(this.people, "pessoa", "pessoas")}`,
    );
  }
  done(): void {
    if (this.enabled) process.stderr.write("\r\x1b[K");
  }
}

function printHuman(r: ImportResult, fileName: string): void {
  if (!r.ok) {
    console.error(`Arquivo "${fileName}" recusado:`);
    for (const e of r.errors) console.error(`  - [${e.code}] ${e.message}`);
    return;
  }
  const n = (x: number) => x.toLocaleString("pt-BR");
  console.log(`Arquivo "${fileName}" importado (mailing ${r.mailingId}).`);
  console.log(`  Linhas lidas: ${n(r.rows)}`);
  console.log(
    `  Pessoas: ${n(r.persons)} (${plural(r.inserted, "nova", "novas")}, ${plural(r.updated, "atualizada", "atualizadas")})`,
  );
  const rejected = Object.entries(r.rejected);
  if (rejected.length > 0) {
    console.log(`  Linhas rejeitadas: ${n(r.rejectedRows)}`);
    for (const [code, count] of rejected) console.log(`    ${code}: ${n(count ?? 0)}`);
  }
  console.log(`  Tempo: ${r.seconds.toFixed(1).replace(".", ",")} s`);
}

/** Codes of the registrations a campaign needs, found missing before anything is imported. */
const REGISTRATION_CODES = new Set<string>([
  "REMETENTE_INEXISTENTE",
  "TEMPLATE_INEXISTENTE",
  "CONTA_EMAIL_INEXISTENTE",
  "BASE_LEGAL_AUSENTE",
]);

const OPTIONS = {
  allowPositionals: true,
  options: {
    ...DATA_DIR_OPTION,
    json: { type: "boolean" },
    folder: { type: "string" },
    today: { type: "string" },
    tenant: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
} as const;
