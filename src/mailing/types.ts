/**
 * The contract between the mailing reader (src/mailing) and its consumers
 * (the import writer in src/store, the ingest pipeline, `inspect`).
 * The reader streams: it never holds a whole file, and yields people in
 * batches. Rows of one person that are not adjacent in the file come out as
 * separate records with the same key; the import merges them.
 */

export type PhoneKind = "mobile" | "landline" | "unknown";
export type ChannelKind = PhoneKind | "email";

export interface ContactChannel {
  kind: ChannelKind;
  /** Normalized value: phone = DDD + number (digits only); e-mail = trimmed, domain lower-cased. */
  value: string;
  /** 1-based physical line number in the (decoded) file where this contact was read. */
  line: number;
}

export type PersonKeyKind = "codcliente" | "cpfcnpj" | "channel";

export interface PersonRecord {
  /** Grouping key: CODCLIENTE, else CPFCNPJ (normalized), else the first channel value. */
  key: string;
  keyKind: PersonKeyKind;
  codCliente: string | null;
  /** CPF (11) or CNPJ (14) normalized, or null. */
  document: string | null;
  name: string | null;
  /** Tags from the TAG column, in file order, without duplicates. */
  tags: string[];
  /** Per-row SMS / e-mail text (MENSAGEM) of the first row that had one, placeholders unresolved. */
  message: string | null;
  /** CORINGA1..5, PRIORIDADE (normalized to ALTA/MEDIA/BAIXA) and extra columns by their header name. */
  fields: Record<string, string>;
  /** Contacts in file order, without duplicates. */
  channels: ContactChannel[];
  /** Line of the first row of this record. */
  firstLine: number;
}

export type RowRejectCode =
  | "TIPO_INVALIDO"
  | "VALOR_VAZIO"
  | "TELEFONE_INVALIDO"
  | "DDD_INVALIDO"
  | "EMAIL_INVALIDO"
  | "DOCUMENTO_INVALIDO"
  | "CAMPO_LONGO"
  | "PRIORIDADE_INVALIDA"
  | "COLUNAS_INCONSISTENTES"
  | "COLUNAS_DEMAIS"
  | "DUPLICADO"
  | "RESTRITO";

/**
 * Codes about an optional field: the field is left blank and the row kept (an entry in the
 * rejections, never a rejected row). The other codes reject a row, or one contact of a row.
 */
export const FIELD_CODES: ReadonlySet<RowRejectCode> = new Set([
  "DOCUMENTO_INVALIDO",
  "CAMPO_LONGO",
  "PRIORIDADE_INVALIDA",
]);

export interface RejectedRow {
  line: number;
  code: RowRejectCode;
  /** pt-BR reason in words. */
  message: string;
  /** The original row as read (decoded text, without the line break). */
  raw: string;
  /** For a zip: the entry (file inside the zip) the row comes from; line numbers count within it. */
  entry?: string;
}

export type FileErrorCode =
  | "ARQUIVO_VAZIO"
  | "ARQUIVO_ILEGIVEL"
  | "COLUNAS_OBRIGATORIAS"
  | "SEM_LINHAS_VALIDAS"
  | "REJEICAO_EXCESSIVA"
  | "ARQUIVO_GRANDE"
  | "ZIP_INVALIDO"
  | "ZIP_PERIGOSO"
  | "ZIP_SEM_MAILING"
  | "LINHA_LONGA"
  | "COLUNAS_DEMAIS";

export interface FileError {
  code: FileErrorCode;
  /** pt-BR, says what is wrong and how to fix it. */
  message: string;
}
