/**
 * Reports written beside a processed mailing (SPEC §2.2), in pt-BR, UTF-8:
 * - `<name>.erro.txt`: every problem of a discarded file (name and content), each with its fix;
 * - `<name>.resultado.txt`: what an accepted file produced;
 * - `<name>.rejeitados.csv`: one line per rejected row, `;`-separated, with a BOM so Excel opens
 *   it with the right accents.
 * Pure functions: the caller writes the text.
 */
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
  return `${lines.join("\n")}\n`;
}

export function resultReport(input: {
  fileName: string;
  summary: MailingSummary;
  imported?: { inserted: number; updated: number };
  campaigns?: string[];
}): string {
  const s = input.summary;
  const encoding =
    s.encoding === "utf-8" ? "UTF-8" : s.encoding === "windows-1252" ? "Windows-1252 (ANSI)" : "-";
  const delimiter = s.delimiter === "\t" ? "TAB" : (s.delimiter ?? "-");
  const lines = [
    `Arquivo: ${input.fileName}`,
    `Situação: ${s.ok ? "IMPORTADO" : "DESCARTADO"}`,
    "",
    `Formato: ${s.layout === "wide" ? "uma linha por pessoa" : "uma linha por contato"}, codificação ${encoding}, separador ${delimiter}`,
    `Linhas lidas: ${number(s.rows)}`,
    `Linhas aceitas: ${number(s.rows - s.rejectedRows)}`,
    `Linhas rejeitadas: ${number(s.rejectedRows)}${s.rows > 0 ? ` (${formatPercent(s.rejectedRows / s.rows)})` : ""}`,
    `Pessoas: ${number(s.persons)}`,
    `Contatos: ${number(s.channels.mobile)} celulares, ${number(s.channels.landline)} fixos, ${number(s.channels.email)} e-mails${
      s.channels.unknown > 0 ? `, ${number(s.channels.unknown)} telefones de tipo desconhecido` : ""
    }`,
  ];
  if (input.imported) {
    lines.push(
      `Importação: ${number(input.imported.inserted)} pessoas novas, ${number(input.imported.updated)} atualizadas`,
    );
  }
  const reasons = Object.entries(s.rejected) as [RowRejectCode, number][];
  if (reasons.length > 0) {
    lines.push("", "Rejeições por motivo:");
    for (const [code, count] of reasons.sort((a, b) => b[1] - a[1])) {
      lines.push(`  ${code} (${REASON[code]}): ${number(count)}`);
    }
    lines.push(
      "As linhas rejeitadas estão no arquivo .rejeitados.csv, com o número da linha e o motivo.",
    );
  }
  if (s.errors.length > 0) {
    lines.push("", "Problemas:");
    for (const e of s.errors) lines.push(`  [${e.code}] ${e.message}`);
  }
  if (input.campaigns && input.campaigns.length > 0) {
    lines.push("", "Campanhas criadas:");
    for (const c of input.campaigns) lines.push(`  - ${c}`);
  }
  return `${lines.join("\n")}\n`;
}

function csvField(value: string): string {
  return /[;"\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** First line of `.rejeitados.csv`, starting with the UTF-8 BOM. */
export function rejectedCsvHeader(): string {
  return "\uFEFFlinha;arquivo;codigo;motivo;conteudo_original\r\n";
}

/** One line of `.rejeitados.csv` (`arquivo` is the entry inside a zip, empty otherwise). */
export function rejectedCsvLine(r: RejectedRow): string {
  return `${r.line};${csvField(r.entry ?? "")};${r.code};${csvField(r.message)};${csvField(r.raw)}\r\n`;
}
