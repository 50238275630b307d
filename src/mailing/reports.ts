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
import type { Mailing } from "../filename/types.js";
import { plural } from "../plural.js";
import { formatPercent } from "./messages.js";
import type { MailingSummary } from "./reader.js";
import { FIELD_CODES, type FileError, type RejectedRow, type RowRejectCode } from "./types.js";

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
  /** Name of the `.rejeitados.csv` beside the file, when the discard wrote one. */
  rejectedReport?: string | null;
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
  if (input.rejectedReport) {
    lines.push(
      `As linhas rejeitadas, com o número da linha e o motivo, estão em ${input.rejectedReport}.`,
      "",
    );
  }
  lines.push(
    "Corrija os itens acima e envie o arquivo de novo. Um arquivo descartado não usa a sequência do nome: pode reenviá-lo com o mesmo nome.",
  );
  return textReport(lines);
}

/** One campaign created from an accepted file, as the result report shows it. */
export interface CampaignLine {
  /** sms | whatsapp | email */
  channel: string;
  /** sms: long | short; whatsapp: exclusivo | compartilhado | prospect; email: null. */
  mode: string | null;
  /** Who sends it, already in words: `rota "Rota curta" (ROTA1)`, `número 5511…`, `conta a@b`. */
  sender?: string | null;
  /** WhatsApp template name, e-mail subject. */
  template?: string | null;
  subject?: string | null;
  /** Already formatted for display in the tenant's zone. */
  startAt: string;
  deadlineAt: string | null;
  audience: number;
  /** People of the mailing left out, by reason (SEM_CONTATO, RESTRITO, SEM_MENSAGEM). */
  excluded?: Partial<Record<string, number>>;
  /** Each wave: its start (formatted) and size. */
  waves: { startAt: string; size: number }[];
  /** Expected end (formatted), when the audience is not empty. */
  forecastEnd?: string | null;
  /** Messages expected to miss the deadline, and why. */
  late?: LateForecast | null;
}

/** Why messages will miss the deadline, for the warning of `.resultado.txt`. */
export interface LateForecast {
  count: number;
  /** Messages per second of the sender. */
  ratePerSecond: number;
  /** Seconds sending the whole audience takes at that rate, without pauses. */
  sendingSeconds: number;
  /** The wallet's send window in words, when it has one. */
  window: string | null;
  /** The window made messages wait for its opening. */
  windowDelayed: boolean;
  /** The window does not open between the start and the deadline. */
  windowClosedUntilDeadline: boolean;
  /** Messages in waves that start at or after the deadline. */
  inWavesAfterDeadline: number;
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
  /** Entries of the rejections by code: whole rows, contacts dropped from kept rows, blanked fields. */
  rejected: Partial<Record<string, number>>;
  /** Contacts dropped from kept rows (one row per person), when known (the reader's summary). */
  droppedContacts?: number;
  /** Whether the name asked for sanitisation (`_h`), to say so and what it changed. */
  sanitized?: boolean;
  /** `_h`: kept mobiles that got the 9th digit, when known. */
  ninthDigits?: number;
  imported?: { inserted: number; updated: number };
  /** What the reader found, when the report is written with its summary at hand. */
  content?: Pick<MailingSummary, "encoding" | "delimiter" | "layout" | "channels" | "errors">;
  /** Name of the `.rejeitados.csv` beside the file, when there is one. */
  rejectedReport?: string | null;
  /** Campaigns created; absent when the report is not about an import (e.g. `inspect`). */
  campaigns?: CampaignLine[];
  /**
   * What the file name asked for, to say so when no campaign was created (campaign planning
   * switched off for the import): the report must not say that the name asked for nothing.
   */
  requested?: CampaignRequest | null;
}

/** The campaign parameters of a parsed name (SPEC §3). */
export type CampaignRequest = Pick<
  Mailing,
  "sms" | "whatsapp" | "email" | "start" | "split" | "deadline" | "excludeRecentHours"
>;

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
  const reasons = Object.entries(input.rejected).filter(([, n]) => (n ?? 0) > 0) as [
    string,
    number,
  ][];
  const fieldReasons = reasons.filter(([code]) => FIELD_CODES.has(code as RowRejectCode));
  const rowReasons = reasons.filter(([code]) => !FIELD_CODES.has(code as RowRejectCode));
  const blankedFields = fieldReasons.reduce((sum, [, n]) => sum + n, 0);
  lines.push(
    `Linhas lidas: ${number(input.rows)}`,
    `Linhas aceitas: ${number(input.rows - input.rejectedRows)}`,
    `Linhas rejeitadas: ${number(input.rejectedRows)}${input.rows > 0 ? ` (${formatPercent(input.rejectedRows / input.rows)})` : ""}`,
  );
  if ((input.droppedContacts ?? 0) > 0) {
    lines.push(
      `Contatos descartados de linhas aceitas: ${number(input.droppedContacts ?? 0)} (a linha tinha outro contato válido e foi mantida)`,
    );
  }
  if (blankedFields > 0) {
    lines.push(
      `Campos inválidos deixados em branco: ${number(blankedFields)} (o contato foi mantido)`,
    );
  }
  lines.push(
    input.imported
      ? `Pessoas importadas: ${number(input.persons)} (${plural(input.imported.inserted, "nova", "novas")}, ${plural(input.imported.updated, "atualizada", "atualizadas")})`
      : `Pessoas: ${number(input.persons)}`,
  );
  if (c) {
    lines.push(
      `Contatos: ${plural(c.channels.mobile, "celular", "celulares")}, ${plural(c.channels.landline, "fixo", "fixos")}, ${plural(c.channels.email, "e-mail", "e-mails")}${
        c.channels.unknown > 0
          ? `, ${plural(c.channels.unknown, "telefone de tipo desconhecido", "telefones de tipo desconhecido")}`
          : ""
      }`,
    );
  }
  if (input.sanitized) lines.push("", ...sanitizeLines(input.rejected, input.ninthDigits));
  const byCount = (a: [string, number], b: [string, number]) => b[1] - a[1];
  const reasonLine = ([code, count]: [string, number]) => {
    const reason = REASON[code as RowRejectCode];
    return `  ${code}${reason ? ` (${reason})` : ""}: ${number(count)}`;
  };
  if (rowReasons.length > 0) {
    lines.push("", "Linhas e contatos rejeitados, por motivo:");
    lines.push(...rowReasons.sort(byCount).map(reasonLine));
    const entries = rowReasons.reduce((sum, [, n]) => sum + n, 0);
    if (entries !== input.rejectedRows) {
      lines.push(
        "  (Com uma linha por pessoa, cada contato inválido conta uma vez: a linha só é rejeitada quando nenhum contato dela é válido.)",
      );
    }
  }
  if (fieldReasons.length > 0) {
    lines.push("", "Campos deixados em branco, por motivo (a linha e o contato foram mantidos):");
    lines.push(...fieldReasons.sort(byCount).map(reasonLine));
  }
  if (reasons.length > 0) {
    lines.push(
      input.rejectedReport
        ? `Cada ocorrência, com o número da linha, o campo e o motivo, está em ${input.rejectedReport}.`
        : "Cada ocorrência vai para o arquivo .rejeitados.csv, com o número da linha, o campo e o motivo.",
    );
  }
  if (c && c.errors.length > 0) {
    lines.push("", "Problemas:");
    for (const e of c.errors) lines.push(`  [${e.code}] ${e.message}`);
  }
  if (input.campaigns) {
    lines.push("");
    const asked = input.requested ? requestedCampaigns(input.requested) : [];
    if (input.campaigns.length === 0 && asked.length > 0) {
      lines.push(
        "Campanhas: o nome do arquivo pede:",
        ...asked.map((a) => `  - ${a}`),
        "Nenhuma campanha foi criada para este arquivo (o planejamento de campanhas está desligado neste processo): nada será enviado. Os contatos foram importados normalmente na carteira.",
      );
    } else if (input.campaigns.length === 0) {
      lines.push("Campanhas: nenhuma (o nome do arquivo não pede SMS, WhatsApp nem e-mail).");
    } else {
      lines.push("Campanhas criadas:");
      for (const campaign of input.campaigns) lines.push(...campaignReportLines(campaign));
    }
  }
  return textReport(lines);
}

const CHANNEL_NAME: Record<string, string> = {
  sms: "SMS",
  whatsapp: "WhatsApp",
  email: "E-mail",
};

const MODE_NAME: Record<string, string> = {
  long: "long code",
  short: "short code",
  exclusivo: "número exclusivo",
  compartilhado: "número compartilhado",
  prospect: "prospecção",
};

/** "SMS short code", "WhatsApp número exclusivo", "E-mail". */
export function campaignTitle(channel: string, mode: string | null): string {
  const name = CHANNEL_NAME[channel] ?? channel;
  return mode ? `${name} ${MODE_NAME[mode] ?? mode}` : name;
}

/** Why a person is out of the audience, in words, per channel. */
function exclusionText(code: string, channel: string): string {
  switch (code) {
    case "SEM_CONTATO":
      return channel === "email" ? "sem e-mail válido" : "sem celular válido";
    case "RESTRITO":
      return "com todos os contatos do canal na lista de restrição";
    case "SEM_MENSAGEM":
      return "sem texto na coluna MENSAGEM";
    default:
      return code;
  }
}

/** "2 h 5 min", "12 min", "40 s". */
function duration(seconds: number): string {
  const s = Math.ceil(seconds);
  if (s < 60) return plural(s, "segundo", "segundos");
  const minutes = Math.ceil(s / 60);
  if (minutes < 60) return plural(minutes, "minuto", "minutos");
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0
    ? plural(hours, "hora", "horas")
    : `${plural(hours, "hora", "horas")} e ${plural(rest, "minuto", "minutos")}`;
}

function rateText(rate: number): string {
  return `${rate.toLocaleString("pt-BR", { maximumFractionDigits: 2 })} ${rate === 1 ? "mensagem" : "mensagens"} por segundo`;
}

/** The lines of one created campaign (`.resultado.txt`, `remessa import`). */
export function campaignReportLines(c: CampaignLine): string[] {
  const head = [campaignTitle(c.channel, c.mode)];
  if (c.sender) head.push(c.sender);
  if (c.template) head.push(`template "${c.template}"`);
  if (c.subject) head.push(`assunto "${c.subject}"`);
  const out = [`  - ${head.join(", ")}`];
  out.push(
    `    Público: ${plural(c.audience, "pessoa", "pessoas")} (uma mensagem para cada uma, ao primeiro ${c.channel === "email" ? "e-mail" : "celular"} dela no arquivo)`,
  );
  const excluded = Object.entries(c.excluded ?? {}).filter(([, n]) => (n ?? 0) > 0) as [
    string,
    number,
  ][];
  if (excluded.length > 0) {
    const total = excluded.reduce((sum, [, n]) => sum + n, 0);
    out.push(
      `    Fora do público: ${plural(total, "pessoa", "pessoas")} (importadas normalmente, mas não recebem esta campanha):`,
      ...excluded
        .sort((a, b) => b[1] - a[1])
        .map(([code, n]) => `      ${code} (${exclusionText(code, c.channel)}): ${number(n)}`),
    );
  }
  if (c.waves.length <= 1) {
    out.push(`    Início: ${c.startAt}, numa onda só`);
  } else {
    out.push(`    Início: ${c.startAt}, em ${c.waves.length} ondas:`);
    for (const [k, w] of c.waves.entries()) {
      out.push(`      onda ${k + 1}: ${w.startAt}, ${plural(w.size, "pessoa", "pessoas")}`);
    }
  }
  out.push(c.deadlineAt ? `    Prazo limite: ${c.deadlineAt}` : "    Prazo limite: nenhum");
  if (c.forecastEnd && c.audience > 0) out.push(`    Previsão de término: ${c.forecastEnd}`);
  if (c.late && c.late.count > 0 && c.deadlineAt) out.push(...lateWarning(c.late, c.deadlineAt));
  return out;
}

/** How many messages will not go before the deadline, why, and what to change. */
function lateWarning(late: LateForecast, deadline: string): string[] {
  const why: string[] = [];
  if (late.windowClosedUntilDeadline && late.window) {
    why.push(`a janela de envio da carteira (${late.window}) só abre depois do prazo limite`);
  } else if (late.windowDelayed && late.window) {
    why.push(
      `a janela de envio da carteira (${late.window}) deixa mensagens esperando a próxima abertura`,
    );
  }
  if (late.inWavesAfterDeadline > 0) {
    why.push(
      `${plural(late.inWavesAfterDeadline, "mensagem está numa onda que começa", "mensagens estão em ondas que começam")} no prazo limite ou depois dele`,
    );
  }
  why.push(
    `no ritmo do remetente (${rateText(late.ratePerSecond)}), enviar tudo leva ${duration(late.sendingSeconds)}`,
  );
  return [
    `    ATENÇÃO: ${plural(late.count, "mensagem não deve", "mensagens não devem")} sair antes do prazo limite (${deadline}) e ${late.count === 1 ? "vai expirar" : "vão expirar"} sem envio. Motivo: ${why.join("; ")}.`,
    "    Para enviar todas: aumente o prazo limite (_LE), comece mais cedo (_i), diminua o intervalo entre as ondas (_q) ou divida o público em mais de um arquivo.",
  ];
}

/** What `_h` did, by kind: the removals it makes and the checks it adds. */
function sanitizeLines(
  rejected: Partial<Record<string, number>>,
  ninthDigits: number | undefined,
): string[] {
  const n = (code: RowRejectCode) => rejected[code] ?? 0;
  return [
    "Higienização (_h): aplicada. Além das verificações de sempre, foram conferidos o DDD, o 9º dígito dos celulares, os dígitos verificadores de CPF/CNPJ e a sintaxe dos e-mails, e foram retirados os contatos repetidos e os da lista de restrição.",
    ...(ninthDigits !== undefined
      ? [`  Celulares de 8 dígitos que ganharam o 9º dígito: ${number(ninthDigits)}`]
      : []),
    `  Contatos repetidos retirados (DUPLICADO): ${number(n("DUPLICADO"))}`,
    `  Contatos na lista de restrição retirados (RESTRITO): ${number(n("RESTRITO"))}`,
    `  Telefones com DDD inexistente (DDD_INVALIDO): ${number(n("DDD_INVALIDO"))}`,
    `  Telefones inválidos (TELEFONE_INVALIDO): ${number(n("TELEFONE_INVALIDO"))}`,
    `  E-mails inválidos (EMAIL_INVALIDO): ${number(n("EMAIL_INVALIDO"))}`,
    `  CPF/CNPJ inválidos deixados em branco (DOCUMENTO_INVALIDO): ${number(n("DOCUMENTO_INVALIDO"))}`,
  ];
}

/** `YYYY-MM-DDTHH:MM` (a name's local time) as `DD/MM/AAAA HH:MM`. */
function localTime(value: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}:\d{2})/.exec(value);
  return m ? `${m[3]}/${m[2]}/${m[1]} ${m[4]}` : value;
}

/**
 * One line per channel the name asks for, with its parameters as parsed: the
 * operator sees the name was understood even though nothing is sent yet.
 */
export function requestedCampaigns(r: CampaignRequest): string[] {
  const channels: string[] = [];
  if (r.sms) channels.push(`SMS ${r.sms === "short" ? "short code" : "long code"} (_sms${r.sms})`);
  if (r.whatsapp) {
    const w = r.whatsapp;
    const parts = [
      w.number ? `número ${w.number}` : "número da carteira",
      w.template ? `template "${w.template}"` : "template padrão da carteira",
    ];
    channels.push(`WhatsApp ${w.mode} (_whatsapp${w.mode}), ${parts.join(", ")}`);
  }
  if (r.email) {
    const parts = [
      r.email.account ? `conta ${r.email.account}` : "conta de e-mail da carteira",
      r.email.subject ? `assunto "${r.email.subject}"` : "assunto: a descrição do mailing",
    ];
    channels.push(`e-mail (_email), ${parts.join(", ")}`);
  }
  if (channels.length === 0) return [];
  const common = [
    r.start ? `início ${localTime(r.start)}` : "início logo após a importação",
    r.split
      ? `em ondas de ${r.split.percent}% do público a cada ${plural(r.split.everyMinutes, "minuto", "minutos")}`
      : "numa onda só",
  ];
  if (r.excludeRecentHours !== null)
    common.push(
      r.excludeRecentHours === 1
        ? "sem quem teve contato receptivo na última hora"
        : `sem quem teve contato receptivo nas últimas ${number(r.excludeRecentHours)} horas`,
    );
  common.push(r.deadline ? `prazo limite ${localTime(r.deadline)}` : "sem prazo limite");
  return channels.map((c) => `${c}; ${common.join(", ")}`);
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
