/**
 * The return file (`<moved name>.retorno.csv`, SPEC §7, docs/relatorios.md): what happened to
 * each audience person of a mailing's campaigns, for the customer's own systems. Pure: lines
 * in, text and bytes out; the service in return-files.ts reads the rows and writes the file.
 *
 * Format (documented for customers in docs/relatorios.md):
 * - the mailing's own delimiter and encoding (UTF-8 without BOM, or Windows-1252), CRLF line ends
 *   like every CSV remessa writes, cells quoted as `csvCell` does (RFC 4180, formula guard);
 * - header `CODCLIENTE;CPFCNPJ;CANAL;DESTINO;SITUACAO;MOTIVO;ENVIADO_EM;ULTIMA_SITUACAO_EM`;
 * - SITUACAO is a stable code (ASCII, no accents) so a program can test it; MOTIVO is pt-BR text
 *   that starts with a code (`RESTRITO: …`) when remessa gave the reason, or the provider's own
 *   words for a failure;
 * - instants in the tenant's time zone as `dd/MM/yyyy HH:mm:ss` (like `.resultado.txt`).
 */
import iconv from "iconv-lite";
import { DateTime } from "luxon";
import { csvCell } from "../mailing/reports.js";

/** SITUACAO values, by final message state. */
export type ReturnStatus =
  | "ENVIADO"
  | "ENTREGUE"
  | "LIDO"
  | "FALHOU"
  | "NAO_ENVIADO"
  | "EXPIRADO"
  | "SEM_CONFIRMACAO";

export const RETURN_HEADER = [
  "CODCLIENTE",
  "CPFCNPJ",
  "CANAL",
  "DESTINO",
  "SITUACAO",
  "MOTIVO",
  "ENVIADO_EM",
  "ULTIMA_SITUACAO_EM",
] as const;

export type ReturnEncoding = "utf-8" | "windows-1252";

/** How the file is written: the mailing's format and the tenant's zone. */
export interface ReturnFormat {
  delimiter: string;
  encoding: ReturnEncoding;
  timeZone: string;
}

/** Default when the mailing's format is unknown (imported before it was recorded). */
export const DEFAULT_DELIMITER = ";";
export const DEFAULT_ENCODING: ReturnEncoding = "utf-8";

const DELIMITERS = new Set([";", ",", "\t", "|"]);

/** The return file's format from the mailing row's columns (unknown values fall back to the defaults). */
export function returnFormat(
  mailing: { encoding: string | null; delimiter: string | null },
  timeZone: string,
): ReturnFormat {
  return {
    delimiter:
      mailing.delimiter && DELIMITERS.has(mailing.delimiter)
        ? mailing.delimiter
        : DEFAULT_DELIMITER,
    encoding: mailing.encoding === "windows-1252" ? "windows-1252" : DEFAULT_ENCODING,
    timeZone,
  };
}

/** The campaign a line belongs to: what the lines need from its row. */
export interface ReturnCampaign {
  /** sms | whatsapp | email */
  channel: string;
  /** scheduled | running | paused | cancelled | finished | expired */
  state: string;
  deadlineAt: string | null;
  excludeRecentHours: number | null;
}

/** One audience person's message with the person's identifiers. */
export interface ReturnMessage {
  codCliente: string | null;
  document: string | null;
  /** As planned: phones DDD + number, e-mails normalized. */
  address: string;
  state: string;
  skipReason: string | null;
  error: string | null;
  updatedAt: string;
  sentAt: string | null;
  deliveredAt: string | null;
  readAt: string | null;
  failedAt: string | null;
  skippedAt: string | null;
  expiredAt: string | null;
}

/** Codes that start a MOTIVO remessa wrote (the provider's own reasons for FALHOU have none). */
export type ReturnReasonCode =
  | "RESTRITO"
  | "CONTATO_RECENTE"
  | "CAMPANHA_CANCELADA"
  | "PRAZO_ESGOTADO"
  | "NAO_ENVIADO"
  | "SEM_CONFIRMACAO";

/** `CODE: text`, so a program can test the code and a person read the text. */
function coded(code: ReturnReasonCode, text: string): string {
  return `${code}: ${text}`;
}

const CHANNEL: Record<string, string> = { sms: "SMS", whatsapp: "WHATSAPP", email: "EMAIL" };

const QUARTER_HOUR = 15 * 60 * 1000;
/** Per zone: offset (minutes) by quarter hour since the epoch. Zones change offset on quarter hours. */
const offsets = new Map<string, Map<number, number>>();

/** The zone's UTC offset at `ms`, in minutes (luxon once per quarter hour, then cached). */
function offsetAt(ms: number, timeZone: string): number {
  let byQuarter = offsets.get(timeZone);
  if (!byQuarter) {
    byQuarter = new Map();
    offsets.set(timeZone, byQuarter);
  }
  const quarter = Math.floor(ms / QUARTER_HOUR);
  let offset = byQuarter.get(quarter);
  if (offset === undefined) {
    const zoned = DateTime.fromMillis(quarter * QUARTER_HOUR, { zone: timeZone });
    offset = zoned.isValid
      ? zoned.offset
      : DateTime.fromMillis(quarter * QUARTER_HOUR, { zone: "America/Sao_Paulo" }).offset;
    // A return file's instants span days at most: keep the cache small all the same.
    if (byQuarter.size > 100_000) byQuarter.clear();
    byQuarter.set(quarter, offset);
  }
  return offset;
}

const two = (n: number) => (n < 10 ? `0${n}` : String(n));

/**
 * `iso` (UTC) shown in the tenant's zone, `dd/MM/yyyy HH:mm:ss`; empty for null. Formatted by
 * hand from a cached offset: luxon per cell made a million-line file take over a minute.
 */
export function returnInstant(iso: string | null, timeZone: string): string {
  if (!iso) return "";
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  const d = new Date(ms + offsetAt(ms, timeZone) * 60_000);
  return `${two(d.getUTCDate())}/${two(d.getUTCMonth() + 1)}/${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}

function skipText(code: string | null, campaign: ReturnCampaign): string {
  switch (code) {
    case "RESTRITO":
      return coded(
        "RESTRITO",
        "o contato entrou na lista de restrição da carteira antes do envio.",
      );
    case "CONTATO_RECENTE":
      return coded(
        "CONTATO_RECENTE",
        campaign.excludeRecentHours !== null
          ? `a pessoa fez contato nas últimas ${campaign.excludeRecentHours} horas antes do envio (_x).`
          : "a pessoa fez contato pouco antes do envio (_x).",
      );
    case "CAMPANHA_CANCELADA":
      return coded("CAMPANHA_CANCELADA", "a campanha foi cancelada antes do envio.");
    case null:
    case "":
      return "";
    default:
      return code;
  }
}

/** SITUACAO, MOTIVO and the last status instant of one message. */
export function returnStatus(
  message: ReturnMessage,
  campaign: ReturnCampaign,
  timeZone: string,
): { status: ReturnStatus; reason: string; lastAt: string | null } {
  switch (message.state) {
    case "sent":
      return { status: "ENVIADO", reason: "", lastAt: message.sentAt ?? message.updatedAt };
    case "delivered":
      return { status: "ENTREGUE", reason: "", lastAt: message.deliveredAt ?? message.updatedAt };
    case "read":
      return { status: "LIDO", reason: "", lastAt: message.readAt ?? message.updatedAt };
    case "failed":
      return {
        status: "FALHOU",
        reason: message.error?.trim() || "O provedor recusou a mensagem sem informar o motivo.",
        lastAt: message.failedAt ?? message.updatedAt,
      };
    case "skipped":
      return {
        status: "NAO_ENVIADO",
        reason: skipText(message.skipReason, campaign),
        lastAt: message.skippedAt ?? message.updatedAt,
      };
    case "expired":
      return {
        status: "EXPIRADO",
        reason: coded(
          "PRAZO_ESGOTADO",
          campaign.deadlineAt
            ? `o prazo limite da campanha (_LE) de ${returnInstant(campaign.deadlineAt, timeZone)} passou antes do envio.`
            : "o prazo limite da campanha passou antes do envio.",
        ),
        lastAt: message.expiredAt ?? message.updatedAt,
      };
    case "sending":
      // Only left this way by a worker that stopped mid-send and was never taken over.
      return {
        status: "SEM_CONFIRMACAO",
        reason: coded(
          "SEM_CONFIRMACAO",
          "o envio começou, mas não houve confirmação de que a mensagem saiu.",
        ),
        lastAt: message.updatedAt,
      };
    default:
      // pending in an ended campaign: cancelled (or ended) before its turn.
      return {
        status: "NAO_ENVIADO",
        reason:
          campaign.state === "cancelled"
            ? skipText("CAMPANHA_CANCELADA", campaign)
            : coded("NAO_ENVIADO", "a campanha terminou antes do envio desta mensagem."),
        lastAt: message.updatedAt,
      };
  }
}

/** The header line (text, CRLF). */
export function returnHeader(format: ReturnFormat): string {
  return `${RETURN_HEADER.join(format.delimiter)}\r\n`;
}

/** One line (text, CRLF) for one audience person's message. */
export function returnLine(
  message: ReturnMessage,
  campaign: ReturnCampaign,
  format: ReturnFormat,
): string {
  const { status, reason, lastAt } = returnStatus(message, campaign, format.timeZone);
  const cell = (value: string | null) => csvCell(value ?? "", format.delimiter);
  return `${[
    cell(message.codCliente),
    cell(message.document),
    cell(CHANNEL[campaign.channel] ?? campaign.channel.toUpperCase()),
    cell(message.address),
    cell(status),
    cell(reason),
    cell(returnInstant(message.sentAt, format.timeZone)),
    cell(returnInstant(lastAt, format.timeZone)),
  ].join(format.delimiter)}\r\n`;
}

/**
 * Text in the file's encoding. Windows-1252 has no place for some characters (an emoji in a
 * provider's reason): those become `?`.
 */
export function encodeReturn(text: string, encoding: ReturnEncoding): Buffer {
  return encoding === "windows-1252" ? iconv.encode(text, "windows-1252") : Buffer.from(text);
}

/** The return file's name beside the moved mailing (`mailing.csv` → `mailing.csv.retorno.csv`). */
export function returnFileName(movedName: string): string {
  return `${movedName}.retorno.csv`;
}
