/** What a mailing file's name asks for (SPEC §3). Dates and times are local to the tenant's zone. */
export type Extension = "csv" | "txt" | "zip";
export type SmsRoute = "long" | "short";
export type WhatsappMode = "exclusivo" | "compartilhado" | "prospect";

export interface WhatsappRequest {
  mode: WhatsappMode;
  /** Exclusive sender number (`_nw`), digits only; null = resolved from the wallet. */
  number: string | null;
  /** Template name (`_nt`); null = the wallet's default template. */
  template: string | null;
}

export interface EmailRequest {
  /** Sending account (`_ce`); null = the wallet's active account, else the platform default. */
  account: string | null;
  /** Subject (`_te`); null = the mailing description. */
  subject: string | null;
}

export interface SplitRequest {
  /** Percentage of the audience per wave, 1–99. */
  percent: number;
  /** Minutes between waves, 1–999. */
  everyMinutes: number;
}

export interface Mailing {
  /** YYYY-MM-DD */
  date: string;
  sequence: number;
  extension: Extension;
  wallet: string | null;
  walletFrom: "name" | "folder" | null;
  /** `_d`, or the whole file name when absent. */
  description: string;
  sanitize: boolean;
  sms: SmsRoute | null;
  whatsapp: WhatsappRequest | null;
  email: EmailRequest | null;
  /** YYYY-MM-DDTHH:MM, tenant zone; null = right after import. */
  start: string | null;
  split: SplitRequest | null;
  excludeRecentHours: number | null;
  replaceTags: boolean;
  removeOtherWallets: boolean;
  /** YYYY-MM-DDTHH:MM, tenant zone; null = no deadline. */
  deadline: string | null;
}

/** Stable error codes of the name grammar and its tenant-free semantic rules. */
export type NameErrorCode =
  | "NOME_INVALIDO"
  | "NOME_LONGO"
  | "PREFIXO"
  | "DATA_INVALIDA"
  | "DATA_NAO_E_HOJE"
  | "SEQUENCIA_INVALIDA"
  | "EXTENSAO"
  | "PARAMETRO_DESCONHECIDO"
  | "PARAMETRO_REPETIDO"
  | "PARAMETRO_VAZIO"
  | "VALOR_INVALIDO"
  | "CARTEIRA_AUSENTE"
  | "CARTEIRA_CONFLITO"
  | "CANAL_CONFLITO"
  | "PARAMETRO_SEM_CANAL"
  | "TEMPLATE_OBRIGATORIO"
  | "PRAZO_ANTES_DO_INICIO"
  | "PRAZO_EXPIRADO";

/** Codes added by the checks that need tenant data (ingest pipeline). */
export type TenantNameErrorCode =
  | "CARTEIRA_INEXISTENTE"
  | "SEQUENCIA_REPETIDA"
  | "REMETENTE_INEXISTENTE"
  | "TEMPLATE_INEXISTENTE"
  | "CONTA_EMAIL_INEXISTENTE"
  | "BASE_LEGAL_AUSENTE";

export interface NameError {
  code: NameErrorCode | TenantNameErrorCode;
  /** Canonical key of the parameter involved (`q`, `LE`, `smslong`…), or null. */
  param: string | null;
  /** pt-BR explanation with what to change. */
  message: string;
}

export interface ParseContext {
  /** Wallet folder the file sits in, or null for the source's root. */
  folder: string | null;
  /** Today's date in the tenant's zone (the day the file was first seen), YYYY-MM-DD. */
  today: string;
  /** Current local time in the tenant's zone, YYYY-MM-DDTHH:MM. */
  now: string;
}

/**
 * What a name says that the tenant-data checks need, as far as it could be
 * read: a `Mailing` is one, and a name with grammar errors still gives the
 * parts that did parse, so every error of a name is reported at once.
 */
export interface NameFacts {
  date: string | null;
  sequence: number | null;
  wallet: string | null;
  sms: SmsRoute | null;
  whatsapp: WhatsappRequest | null;
  email: EmailRequest | null;
  /** Parameters present with a value that could not be read: their own error already says so. */
  unreadable?: string[];
}

export interface ParseResult {
  ok: boolean;
  errors: NameError[];
  /** Filled whenever the name could be read, even if a semantic rule failed. */
  mailing: Mailing | null;
  /** When `mailing` is null but the name was safe to read as a mailing (`mailing_…`): the parts that did parse. */
  facts?: NameFacts;
}
