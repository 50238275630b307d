/**
 * `remessa inspect [--json] [--sanitize] [--all] [--restricted FILE] [--folder PASTA] PATH`:
 * reads a local mailing (csv/txt/zip) and prints what an import would do, and the lines it
 * would reject or correct (the first SHOWN_REJECTIONS, every one with --all). A file named as
 * a mailing (`mailing_…`, or with --folder) has its name judged too, with the tenant-data
 * checks when a database is configured, as check-name does.
 * Exit 0 when the file would be accepted, 1 when it would be discarded, 2 on usage errors.
 */
import { createReadStream } from "node:fs";
import { basename, extname } from "node:path";
import { createInterface } from "node:readline";
import { escapeControls } from "../filename/control.js";
import { parse } from "../filename/index.js";
import type { NameError } from "../filename/types.js";

import { normalizeEmail } from "../mailing/email.js";
import { normalizePhone } from "../mailing/phone.js";
import { type MailingSummary, readMailing } from "../mailing/reader.js";
import { resultReport } from "../mailing/reports.js";
import type { RejectedRow } from "../mailing/types.js";
import { plural } from "../plural.js";
import { PersonCounter } from "../store/import-rows.js";
import { parseCommandLine } from "./args.js";
import { localClock } from "./clock.js";
import {
  type NameChecker,
  offlineNotice,
  TENANT_NAME_OPTIONS,
  withNameChecker,
} from "./tenant-names.js";

const USAGE = `Uso: remessa inspect [--json] [--sanitize] [--all] [--restricted ARQUIVO] [--folder PASTA] [--data-dir PASTA] [--tenant ID] CAMINHO

Lê um mailing local (.csv, .txt ou .zip) e mostra o que a importação faria e as linhas
que seriam rejeitadas ou corrigidas (as 20 primeiras). Se o arquivo tem nome de mailing
(mailing_DDMMAA_SEQ…), o nome também é verificado, como em "remessa check-name" (com o
banco de dados, se houver).
  --json              imprime um objeto JSON
  --sanitize          aplica a higienização (como o parâmetro _h do nome)
  --all               mostra todas as linhas rejeitadas ou corrigidas, não só as 20 primeiras
  --restricted ARQ    lista de restrição: um telefone ou e-mail por linha (usada com --sanitize)
  --folder PASTA      pasta (carteira) onde o arquivo será colocado; sem ela, a raiz
  --data-dir PASTA    pasta de dados do remessa (banco SQLite); padrão: REMESSA_DATA_DIR ou ./data
  --tenant ID         empresa cujas carteiras e remetentes são consultados (padrão 1)`;

/** Loads the restriction list, normalizing each entry the way the reader normalizes contacts. */
async function loadRestricted(path: string): Promise<{ phones: Set<string>; emails: Set<string> }> {
  const phones = new Set<string>();
  const emails = new Set<string>();
  const lines = createInterface({
    input: createReadStream(path),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  for await (const line of lines) {
    const text = line.trim();
    if (text === "") continue;
    if (text.includes("@")) {
      const email = normalizeEmail(text, false);
      // Opt-outs match addresses case-insensitively: SAIR@x and sair@x are the same person.
      if (email.ok) emails.add(email.value.toLowerCase());
    } else {
      const phone = normalizePhone(text, false);
      if (phone.ok) phones.add(phone.value);
    }
  }
  return { phones, emails };
}

/** Rejections listed without --all: enough to see the pattern, short enough to read. */
const SHOWN_REJECTIONS = 20;
/** Characters of the original row shown for each rejection. */
const SHOWN_RAW_CHARS = 160;

function shownRaw(raw: string): string {
  return raw.length > SHOWN_RAW_CHARS ? `${raw.slice(0, SHOWN_RAW_CHARS - 3)}...` : raw;
}

/** The listing of rejections after the summary: where, which code, why, and the row as read. */
function rejectionLines(shown: RejectedRow[], total: number): string[] {
  if (total === 0) return [];
  const lines = [
    "",
    shown.length < total
      ? `Ocorrências no relatório de rejeitados: as ${shown.length} primeiras de ${total} (use --all para ver todas):`
      : `Ocorrências no relatório de rejeitados (${plural(total, "ocorrência", "ocorrências")}):`,
  ];
  for (const r of shown) {
    const where = r.entry !== undefined ? ` do arquivo "${r.entry}"` : "";
    lines.push(
      `  Linha ${r.line.toLocaleString("pt-BR")}${where}: [${r.code}] ${r.message}`,
      `    conteúdo: ${shownRaw(r.raw)}`,
    );
  }
  return lines.map(escapeControls);
}

function toJson(s: MailingSummary, shown: RejectedRow[], total: number): object {
  return {
    ok: s.ok,
    errors: s.errors.map((e) => ({ code: e.code, message: e.message })),
    encoding: s.encoding,
    delimiter: s.delimiter,
    layout: s.layout,
    rows: s.rows,
    persons: s.persons,
    channels: { mobile: s.channels.mobile, landline: s.channels.landline, email: s.channels.email },
    rejected: s.rejected,
    rejectedRows: s.rejectedRows,
    droppedContacts: s.droppedContacts,
    blankedFields: s.blankedFields,
    rejectionsTotal: total,
    rejections: shown.map((r) => ({
      line: r.line,
      ...(r.entry !== undefined ? { entry: r.entry } : {}),
      code: r.code,
      message: r.message,
      raw: r.raw,
    })),
  };
}

function progressBar(): (read: number, total: number) => void {
  let last = -1;
  return (read, total) => {
    const percent = Math.min(100, Math.floor((read / Math.max(1, total)) * 100));
    if (percent === last) return;
    last = percent;
    const width = 30;
    const filled = Math.round((percent / 100) * width);
    process.stderr.write(`\r[${"#".repeat(filled)}${" ".repeat(width - filled)}] ${percent}%`);
  };
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv, OPTIONS, USAGE);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  const path = positionals[0];
  if (positionals.length !== 1 || path === undefined) {
    console.error(`Informe exatamente um arquivo.\n\n${USAGE}`);
    return 2;
  }
  const ext = extname(path).slice(1).toLowerCase();
  if (ext !== "csv" && ext !== "txt" && ext !== "zip") {
    console.error(
      `Extensão "${extname(path) || "(nenhuma)"}" não aceita: o mailing deve ser .csv, .txt ou .zip.`,
    );
    return 2;
  }
  let restricted: Awaited<ReturnType<typeof loadRestricted>> | null = null;
  if (values.restricted) {
    try {
      restricted = await loadRestricted(values.restricted);
    } catch (e) {
      console.error(
        `Não foi possível ler a lista de restrição "${values.restricted}" (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}). Confira o caminho.`,
      );
      return 2;
    }
  }
  // A file named as a mailing is judged by its name too: the server would discard it for that.
  const fileName = basename(path);
  const folder = values.folder ?? null;
  const judgeName = folder !== null || /^mailing/i.test(fileName);
  const judge = async (check: NameChecker | null): Promise<number> => {
    let nameErrors: NameError[] = [];
    if (judgeName) {
      const parsed = parse(fileName, { folder, ...localClock({}) });
      nameErrors = [
        ...parsed.errors,
        ...(check ? await check(parsed.mailing ?? parsed.facts ?? null, folder) : []),
      ];
    }
    const showProgress = !values.json && process.stderr.isTTY === true;
    const list = restricted;
    const reader = readMailing(path, {
      extension: ext,
      sanitize: values.sanitize === true,
      ...(list
        ? {
            isRestricted: (kind: "phone" | "email", value: string) =>
              kind === "email" ? list.emails.has(value.toLowerCase()) : list.phones.has(value),
          }
        : {}),
      ...(showProgress ? { onProgress: progressBar() } : {}),
    });
    const limit = values.all ? Number.POSITIVE_INFINITY : SHOWN_REJECTIONS;
    const shown: RejectedRow[] = [];
    let total = 0;
    // People counted as the import counts them (distinct keys): the reader's
    // own count has a person whose rows are apart once per group of rows.
    const persons = new PersonCounter();
    let result = await reader.next();
    while (!result.done) {
      for (const p of result.value.persons) persons.add(p);
      for (const r of result.value.rejected) {
        total++;
        // Kept with the row already cut to what is shown: --all on a large file stays small.
        if (shown.length < limit) shown.push({ ...r, raw: shownRaw(r.raw) });
      }
      result = await reader.next();
    }
    const summary = { ...result.value, persons: persons.size };
    const ok = summary.ok && nameErrors.length === 0;
    if (showProgress) process.stderr.write("\r\x1b[K");
    if (values.json) {
      const json = toJson(summary, shown, total) as {
        ok: boolean;
        errors: { code: string; message: string }[];
      };
      json.ok = ok;
      json.errors = [
        ...nameErrors.map((e) => ({ code: e.code, message: e.message })),
        ...json.errors,
      ];
      console.log(JSON.stringify(json));
    } else {
      process.stdout.write(
        resultReport({
          fileName: path,
          status: !ok
            ? "SERIA DESCARTADO (veja os problemas abaixo)"
            : !judgeName
              ? "CONTEÚDO ACEITO (o nome não foi verificado: não começa com mailing_; confira-o com remessa check-name)"
              : check
                ? "SERIA IMPORTADO"
                : "SERIA IMPORTADO se passar nas verificações do banco de dados listadas abaixo",
          rows: summary.rows,
          persons: summary.persons,
          rejectedRows: summary.rejectedRows,
          rejected: summary.rejected,
          droppedContacts: summary.droppedContacts,
          sanitized: values.sanitize === true,
          ninthDigits: summary.ninthDigits,
          content: summary,
        }),
      );
      const listing = rejectionLines(shown, total);
      if (listing.length > 0) process.stdout.write(`${listing.join("\n")}\n`);
      if (nameErrors.length > 0) {
        console.log("\nProblemas no nome do arquivo:");
        for (const e of nameErrors) console.log(`  [${e.code}] ${e.message}`);
      }
      if (judgeName && !check) console.log(`\n${offlineNotice()}`);
    }
    return ok ? 0 : 1;
  };
  // Only a mailing name needs the database: a bad DATABASE_URL never blocks a content check.
  return judgeName ? withNameChecker(values, judge) : judge(null);
}

const OPTIONS = {
  allowPositionals: true,
  options: {
    json: { type: "boolean", default: false },
    sanitize: { type: "boolean", default: false },
    all: { type: "boolean", default: false },
    restricted: { type: "string" },
    folder: { type: "string" },
    ...TENANT_NAME_OPTIONS,
    help: { type: "boolean", short: "h", default: false },
  },
} as const;
