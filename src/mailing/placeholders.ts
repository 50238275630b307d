/**
 * `[COLUMN]` placeholders in MENSAGEM (SPEC §4), resolved against a person's values when a
 * message is built (the reader keeps the text unresolved). Names match like header names
 * (ignoring case, accents and punctuation): `[Nome Cliente]` is `[NOME_CLIENTE]`.
 *
 * Decision: an unknown placeholder is left exactly as written. Brackets are ordinary text in
 * messages ("[promoção]", "[2ª via]"), so replacing or rejecting them would damage real messages;
 * `unknownPlaceholders` lets a UI or report warn about likely typos instead. A standard column
 * (NOME_CLIENTE, CPFCNPJ, CODCLIENTE, TAG, CORINGA1–5, PRIORIDADE) that is empty for this person
 * becomes an empty string; an extra column is known only where the person has a value for it.
 */
import { normalizeColumnName } from "./header.js";
import type { PersonRecord } from "./types.js";

const STANDARD_FIELDS = new Set([
  "CORINGA1",
  "CORINGA2",
  "CORINGA3",
  "CORINGA4",
  "CORINGA5",
  "PRIORIDADE",
]);
const PLACEHOLDER = /\[([^[\]\r\n]{1,60})\]/g;

function placeholderValue(person: PersonRecord, name: string): string | undefined {
  switch (name) {
    case "NOMECLIENTE":
      return person.name ?? "";
    case "CPFCNPJ":
      return person.document ?? "";
    case "CODCLIENTE":
      return person.codCliente ?? "";
    case "TAG":
      return person.tags.join(", ");
  }
  for (const [field, value] of Object.entries(person.fields)) {
    if (normalizeColumnName(field) === name) return value;
  }
  // Standard columns are always known; a person's fields hold only the non-empty ones.
  return STANDARD_FIELDS.has(name) ? "" : undefined;
}

/** Replaces every known `[COLUMN]` with the person's value; unknown ones stay as written. */
export function renderMessage(template: string, person: PersonRecord): string {
  return template.replace(PLACEHOLDER, (whole, inner: string) => {
    const value = placeholderValue(person, normalizeColumnName(inner));
    return value === undefined ? whole : value;
  });
}

/** Placeholders that name no column of the file's header (likely typos), as written. */
export function unknownPlaceholders(template: string, header: string[]): string[] {
  const known = new Set(header.map(normalizeColumnName));
  const unknown: string[] = [];
  for (const match of template.matchAll(PLACEHOLDER)) {
    const inner = match[1] as string;
    if (!known.has(normalizeColumnName(inner)) && !unknown.includes(match[0]))
      unknown.push(match[0]);
  }
  return unknown;
}
