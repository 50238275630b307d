/**
 * `remessa inspect [--json] [--sanitize] [--restricted FILE] PATH`: reads a local mailing
 * (csv/txt/zip) without any database and prints what an import would do.
 * Exit 0 when the file would be accepted, 1 when it would be discarded, 2 on usage errors.
 */
import { createReadStream } from "node:fs";
import { extname } from "node:path";
import { createInterface } from "node:readline";
import { normalizeEmail } from "../mailing/email.js";
import { normalizePhone } from "../mailing/phone.js";
import { type MailingSummary, readMailing } from "../mailing/reader.js";
import { resultReport } from "../mailing/reports.js";
import { parseCommandLine } from "./args.js";

const USAGE = `Uso: remessa inspect [--json] [--sanitize] [--restricted ARQUIVO] CAMINHO

Lê um mailing local (.csv, .txt ou .zip) e mostra o que a importação faria, sem banco de dados.
  --json              imprime um objeto JSON
  --sanitize          aplica a higienização (como o parâmetro _h do nome)
  --restricted ARQ    lista de restrição: um telefone ou e-mail por linha (usada com --sanitize)`;

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

function toJson(s: MailingSummary): object {
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
  let result = await reader.next();
  while (!result.done) result = await reader.next();
  const summary = result.value;
  if (showProgress) process.stderr.write("\r\x1b[K");
  if (values.json) console.log(JSON.stringify(toJson(summary)));
  else {
    process.stdout.write(
      resultReport({
        fileName: path,
        status: summary.ok
          ? "SERIA IMPORTADO (verificação sem banco de dados)"
          : "SERIA DESCARTADO (veja os problemas abaixo)",
        rows: summary.rows,
        persons: summary.persons,
        rejectedRows: summary.rejectedRows,
        rejected: summary.rejected,
        content: summary,
      }),
    );
  }
  return summary.ok ? 0 : 1;
}

const OPTIONS = {
  allowPositionals: true,
  options: {
    json: { type: "boolean", default: false },
    sanitize: { type: "boolean", default: false },
    restricted: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
} as const;
