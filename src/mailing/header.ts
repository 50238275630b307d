/**
 * Header mapping (SPEC §4): column names are matched ignoring case, accents, spaces, `_` and `-`,
 * in any order. Two layouts:
 * - long: one row per channel, with TIPO_DE_REGISTRO + VALOR_DO_REGISTRO;
 * - wide: one row per person, with channel columns TELEFONE*, CELULAR*, FONE*, EMAIL*.
 * Columns that are neither known nor channels are kept as custom fields under their name as read.
 */

/**
 * Names already normalized: the dispatcher normalizes every placeholder of
 * every message it renders ([NOME] in 200,000 texts is 200,000 NFD
 * normalizations of the same five letters), and a file's header repeats too.
 */
const normalizedNames = new Map<string, string>();
const NORMALIZED_NAMES_KEPT = 4096;
const NORMALIZED_NAME_MAX_LENGTH = 128;

/**
 * Upper-case, accents removed, and everything but letters and digits dropped (spaces, `_`, `-`,
 * and also `/` and `.` as in "CPF/CNPJ" or "E-mail."): "Nome do Cliente" → "NOMEDOCLIENTE".
 */
export function normalizeColumnName(name: string): string {
  const known = normalizedNames.get(name);
  if (known !== undefined) return known;
  const normalized = name
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^A-Za-z0-9]+/g, "")
    .toUpperCase();
  // Only names of a sane length are kept: a file's header can hold anything.
  if (name.length <= NORMALIZED_NAME_MAX_LENGTH) {
    if (normalizedNames.size >= NORMALIZED_NAMES_KEPT) normalizedNames.clear();
    normalizedNames.set(name, normalized);
  }
  return normalized;
}

export type KnownColumn =
  | "type"
  | "value"
  | "message"
  | "name"
  | "document"
  | "code"
  | "tag"
  | "coringa1"
  | "coringa2"
  | "coringa3"
  | "coringa4"
  | "coringa5"
  | "priority";

const KNOWN: Record<string, KnownColumn> = {
  TIPODEREGISTRO: "type",
  VALORDOREGISTRO: "value",
  MENSAGEM: "message",
  NOMECLIENTE: "name",
  CPFCNPJ: "document",
  CODCLIENTE: "code",
  TAG: "tag",
  CORINGA1: "coringa1",
  CORINGA2: "coringa2",
  CORINGA3: "coringa3",
  CORINGA4: "coringa4",
  CORINGA5: "coringa5",
  PRIORIDADE: "priority",
};

/** Field names under which CORINGA1–5 and PRIORIDADE are stored in `PersonRecord.fields`. */
export const FIELD_NAME: Partial<Record<KnownColumn, string>> = {
  coringa1: "CORINGA1",
  coringa2: "CORINGA2",
  coringa3: "CORINGA3",
  coringa4: "CORINGA4",
  coringa5: "CORINGA5",
  priority: "PRIORIDADE",
};

const WIDE_PHONE = /^(TELEFONE|CELULAR|FONE)\d*$/;
const WIDE_EMAIL = /^EMAIL\d*$/;

export interface ColumnMap {
  layout: "long" | "wide";
  /** Index of each known column (the first one when repeated). */
  known: Partial<Record<KnownColumn, number>>;
  /** Wide layout: channel columns in header order. */
  channels: { index: number; kind: "phone" | "email"; name: string }[];
  /** Custom fields: index and the name as read. */
  extras: { index: number; name: string }[];
  width: number;
}

export type HeaderResult =
  | { ok: true; map: ColumnMap }
  | { ok: false; missing: string[]; found: string[] };

export function mapHeader(header: string[]): HeaderResult {
  const known: Partial<Record<KnownColumn, number>> = {};
  const channels: ColumnMap["channels"] = [];
  const extras: ColumnMap["extras"] = [];
  const others: { index: number; name: string; norm: string }[] = [];
  header.forEach((raw, index) => {
    const name = raw.trim();
    const norm = normalizeColumnName(name);
    const column = KNOWN[norm];
    if (column && known[column] === undefined) known[column] = index;
    else others.push({ index, name, norm });
  });
  const long = known.type !== undefined && known.value !== undefined;
  for (const o of others) {
    if (!long && WIDE_PHONE.test(o.norm))
      channels.push({ index: o.index, kind: "phone", name: o.name });
    else if (!long && WIDE_EMAIL.test(o.norm))
      channels.push({ index: o.index, kind: "email", name: o.name });
    else if (o.name !== "") extras.push({ index: o.index, name: o.name });
  }
  if (long)
    return { ok: true, map: { layout: "long", known, channels: [], extras, width: header.length } };
  if (channels.length > 0) {
    // TIPO_DE_REGISTRO or VALOR_DO_REGISTRO alone in a wide file is just another column.
    for (const column of ["type", "value"] as const) {
      const index = known[column];
      if (index !== undefined) {
        extras.push({ index, name: (header[index] ?? "").trim() });
        delete known[column];
      }
    }
    extras.sort((a, b) => a.index - b.index);
    return { ok: true, map: { layout: "wide", known, channels, extras, width: header.length } };
  }
  const missing: string[] = [];
  if (known.type === undefined) missing.push("TIPO_DE_REGISTRO");
  if (known.value === undefined) missing.push("VALOR_DO_REGISTRO");
  return { ok: false, missing, found: header.map((h) => h.trim()).filter((h) => h !== "") };
}
