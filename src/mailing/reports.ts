/**
 * Reports written beside a processed mailing (SPEC §2.2), in pt-BR, UTF-8:
 * - `<name>.erro.txt`: every problem of a discarded file (name and content), each with its fix;
 * - `<name>.resultado.txt`: what an accepted file produced;
 * - `<name>.rejeitados.csv`: one line per rejected row, `;`-separated, with a BOM so Excel opens
 *   it with the right accents.
 * Pure functions: the caller writes the text.
 *
 * Names and fields come from the customer. No control character from them reaches a report as is:
 * the text reports show each as a visible escape (`\n`, `U+0007`), so a name cannot forge a line
 * (`Situação: DESCARTADO`); CSV cells are quoted and neutralised against formulas (`csvCell`).
 */
import { escapeControls } from "../filename/control.js";
import { plural } from "../plural.js";
import { formatPercent } from "./messages.js";
import type { MailingSummary } from "./reader.js";
import type { FileError, RejectedRow, RowRejectCode } from "./types.js";

const REASON: Record<RowRejectCode, string> = {
  TIPO_INVALIDO: "tipo de registro inválido",
  VALOR_VAZIO: "contato vazio",
  TELEFONE_INVALIDO: "telefone inválido",
  DDD_INVALIDO: "DDD inexistente",
  EMAIL_INVALIDO: "e-mail inválido",
  DOCUMENTO_INVALIDO: "CPF/CNPJ inválido",
  CAMPO_LONGO: "campo longo demais",
  PRIORIDADE_INVALIDA: "prioridade inválida",
  COLUNAS_INCONSISTENTES: "número de colunas diferente do cabeçalho",
  COLUNAS_DEMAIS: "colunas demais na linha",
  DUPLICADO: "contato repetido (higienização)",
  RESTRITO: "na lista de restrição (higienização)",
};

const number = (n: number): string => n.toLocaleString("pt-BR");

export function errorReport(input: {
  fileName: string;
  nameErrors: { code: string; message: string }[];
  fileErrors: FileError[];
}): string {
  const lines = [`Arquivo: ${input.fileName}`, "Situação: DESCARTADO (nada foi importado)", ""];
  const total = input.nameErrors.length + input.fileErrors.length;
  lines.push(
    total === 1 ? "Foi encontrado 1 problema:" : `Foram encontrados ${total} problemas:`,
    "",
  );
  let n = 0;
  if (input.nameErrors.length > 0) {
    lines.push("Nome do arquivo:");
    for (const e of input.nameErrors) lines.push(`  ${++n}. [${e.code}] ${e.message}`);
    lines.push("");
  }
  if (input.fileErrors.length > 0) {
    lines.push("Conteúdo do arquivo:");
    for (const e of input.fileErrors) lines.push(`  ${++n}. [${e.code}] ${e.message}`);
    lines.push("");
  }
  lines.push(
    "Corrija os itens acima e envie o arquivo de novo. Um arquivo descartado não usa a sequência do nome: pode reenviá-lo com o mesmo nome.",
  );
  return textReport(lines);
}

/** One campaign created from an accepted file, as the result report shows it. */
export interface CampaignLine {
  channel: string;
  mode: string | null;
  /** Already formatted for display in the tenant's zone. */
  startAt: string;
  deadlineAt: string | null;
  audience: number;
  waves: number;
}

export interface ResultReportInput {
  fileName: string;
  /** What happened to the file, e.g. "IMPORTADO (movido para LIDOS)". */
  status: string;
  seenAt?: string;
  wallet?: string | null;
  description?: string | null;
  rows: number;
  persons: number;
  rejectedRows: number;
  rejected: Partial<Record<string, number>>;
  imported?: { inserted: number; updated: number };
  /** What the reader found, when the report is written with its summary at hand. */
  content?: Pick<MailingSummary, "encoding" | "delimiter" | "layout" | "channels" | "errors">;
  /** Name of the `.rejeitados.csv` beside the file, when there is one. */
  rejectedReport?: string | null;
  /** Campaigns created; absent when the report is not about an import (e.g. `inspect`). */
  campaigns?: CampaignLine[];
}

/**
 * `<name>.resultado.txt` (and `inspect`'s summary). Built only from counts that
 * the pipeline persists, so a report written after a crash and restart reads
 * the same as one written straight away.
 */
export function resultReport(input: ResultReportInput): string {
  const lines = [`Arquivo: ${input.fileName}`];
  if (input.seenAt) lines.push(`Recebido em: ${input.seenAt}`);
  lines.push(`Situação: ${input.status}`);
  if (input.wallet) lines.push(`Carteira: ${input.wallet}`);
  if (input.description) lines.push(`Descrição: ${input.description}`);
  lines.push("");
  const c = input.content;
  if (c) {
    const encoding =
      c.encoding === "utf-8"
        ? "UTF-8"
        : c.encoding === "windows-1252"
          ? "Windows-1252 (ANSI)"
          : "-";
    const delimiter = c.delimiter === "\t" ? "TAB" : (c.delimiter ?? "-");
    lines.push(
      `Formato: ${c.layout === "wide" ? "uma linha por pessoa" : "uma linha por contato"}, codificação ${encoding}, separador ${delimiter}`,
    );
  }
  lines.push(
    `Linhas lidas: ${number(input.rows)}`,
    `Linhas aceitas: ${number(input.rows - input.rejectedRows)}`,
    `Linhas rejeitadas: ${number(input.rejectedRows)}${input.rows > 0 ? ` (${formatPercent(input.rejectedRows / input.rows)})` : ""}`,
    input.imported
      ? `Pessoas importadas: ${number(input.persons)} (${plural(input.imported.inserted, "nova", "novas")}, ${plural(input.imported.updated, "atualizada", "atualizadas")})`
      : `Pessoas: ${number(input.persons)}`,
  );
  if (c) {
    lines.push(
      `Contatos: ${plural(c.channels.mobile, "celular", "celulares")}, ${plural(c.channels.landline, "fixo", "fixos")}, ${plural(c.channels.email, "e-mail", "e-mails")}${
        c.channels.unknown > 0
          ? `, ${plural(c.channels.unknown, "telefone", "telefones")} de tipo desconhecido`
          : ""
      }`,
    );
  }
  const reasons = Object.entries(input.rejected).filter(([, n]) => (n ?? 0) > 0) as [
    string,
    number,
  ][];
  if (reasons.length > 0) {
    lines.push("", "Rejeições por motivo:");
    for (const [code, count] of reasons.sort((a, b) => b[1] - a[1])) {
      const reason = REASON[code as RowRejectCode];
      lines.push(`  ${code}${reason ? ` (${reason})` : ""}: ${number(count)}`);
    }
    lines.push(
      input.rejectedReport
        ? `As linhas rejeitadas, com o número da linha e o motivo, estão em ${input.rejectedReport}.`
        : "As linhas rejeitadas vão para o arquivo .rejeitados.csv, com o número da linha e o motivo.",
    );
  }
  if (c && c.errors.length > 0) {
    lines.push("", "Problemas:");
    for (const e of c.errors) lines.push(`  [${e.code}] ${e.message}`);
  }
  if (input.campaigns) {
    lines.push("");
    if (input.campaigns.length === 0) {
      lines.push("Campanhas: nenhuma (o nome do arquivo não pede SMS, WhatsApp nem e-mail).");
    } else {
      lines.push("Campanhas criadas:");
      for (const campaign of input.campaigns) {
        const mode = campaign.mode ? ` ${campaign.mode}` : "";
        const waves = campaign.waves > 1 ? ` em ${campaign.waves} ondas` : "";
        const deadline = campaign.deadlineAt ? `, prazo limite ${campaign.deadlineAt}` : "";
        lines.push(
          `  - ${campaign.channel}${mode}: ${plural(campaign.audience, "pessoa", "pessoas")}${waves}, início ${campaign.startAt}${deadline}`,
        );
      }
    }
  }
  return textReport(lines);
}

/** The lines of a text report, each on one line whatever the customer's text holds. */
function textReport(lines: string[]): string {
  return `${lines.map(escapeControls).join("\n")}\n`;
}

/**
 * A cell that a spreadsheet would run as a formula (or as DDE, `=cmd|' /C calc'!A0`) when the
 * report is opened: OWASP's list of leading characters, `=` `+` `-` `@` TAB CR.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One cell of every CSV remessa writes: quoted when it holds the separator, a quote or a line
 * break (RFC 4180), and, as OWASP advises against CSV injection, prefixed with `'` inside quotes
 * when it starts like a formula. A phone `+5511…` or a number `-12` is prefixed too (Excel shows
 * the `'`), the price of never running a customer's formula.
 */
export function csvCell(value: string, separator = ";"): string {
  if (FORMULA_START.test(value)) return `"'${value.replace(/"/g, '""')}"`;
  const quote =
    value.includes(separator) ||
    value.includes('"') ||
    value.includes("\n") ||
    value.includes("\r");
  return quote ? `"${value.replace(/"/g, '""')}"` : value;
}

/** First line of `.rejeitados.csv`, starting with the UTF-8 BOM. */
export function rejectedCsvHeader(): string {
  return "\uFEFFlinha;arquivo;codigo;motivo;conteudo_original\r\n";
}

/** One line of `.rejeitados.csv` (`arquivo` is the entry inside a zip, empty otherwise). */
export function rejectedCsvLine(r: RejectedRow): string {
  return `${r.line};${csvCell(r.entry ?? "")};${csvCell(r.code)};${csvCell(r.message)};${csvCell(r.raw)}\r\n`;
}
