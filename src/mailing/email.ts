/**
 * E-mail normalization (SPEC §5). Always: trimmed, exactly one `@` with text on
 * both sides, domain lower-cased (the local part keeps its case: servers may
 * treat it as case-sensitive). With `sanitize`: RFC 5321 lengths, atext local
 * part, and a dotted domain of valid labels (IDN letters allowed).
 * Rejections are shared constant objects: treat every result as read-only.
 */

export type EmailResult =
  | { ok: true; value: string }
  | { ok: false; code: "EMAIL_INVALIDO"; message: string };

type EmailError = Extract<EmailResult, { ok: false }>;

const invalid = (message: string): EmailError => ({ ok: false, code: "EMAIL_INVALIDO", message });

const EMPTY = invalid("E-mail vazio");
const NO_AT = invalid("E-mail sem @: use o formato nome@dominio.com.br");
const MANY_AT = invalid("E-mail com mais de um @: deve haver exatamente um");
const NO_LOCAL = invalid("E-mail sem nada antes do @");
const NO_DOMAIN = invalid("E-mail sem domínio depois do @");
const SPACE = invalid("E-mail com espaço no meio");
const CONTROL = invalid("E-mail com caractere de controle");
const TOO_LONG = invalid("E-mail com mais de 254 caracteres");
const LOCAL_TOO_LONG = invalid("E-mail com mais de 64 caracteres antes do @");
const DOMAIN_TOO_LONG = invalid("Domínio do e-mail com mais de 255 caracteres");
const LOCAL_DOT_EDGE = invalid("E-mail com ponto no início ou no fim da parte antes do @");
const LOCAL_DOUBLE_DOT = invalid("E-mail com dois pontos seguidos antes do @");
const LOCAL_ACCENT = invalid("E-mail com acento ou caractere especial antes do @");
const NO_DOT_DOMAIN = invalid("Domínio do e-mail sem ponto (ex.: nome@empresa.com.br)");
const DOMAIN_DOT_EDGE = invalid("Domínio do e-mail começa ou termina com ponto");
const DOMAIN_DOUBLE_DOT = invalid("Domínio do e-mail com dois pontos seguidos");
const LABEL_TOO_LONG = invalid("Domínio do e-mail com parte de mais de 63 caracteres");
const LABEL_HYPHEN = invalid("Domínio do e-mail com parte começando ou terminando em hífen");
const NUMERIC_TLD = invalid("Domínio do e-mail termina em número (ex. válido: empresa.com.br)");
const SHORT_TLD = invalid("Domínio do e-mail termina em parte de uma letra só");

const badDomainChar = (char: string): EmailError =>
  invalid(`Domínio do e-mail com caractere inválido "${char}"`);
const badLocalChar = (char: string): EmailError =>
  invalid(`E-mail com caractere inválido "${char}" antes do @`);

const LOCAL = 1; // RFC 5322 atext: letters, digits and ! # $ % & ' * + - / = ? ^ _ ` { | } ~
const LABEL = 2; // domain label: letters, digits, hyphen
const DIGIT = 4;
/** Class bits of every ASCII char, so each char costs one load in the scan. */
const ASCII_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const digit = c >= 48 && c <= 57;
  const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  if (digit || letter) ASCII_CLASS[c] = LOCAL | LABEL | (digit ? DIGIT : 0);
}
for (const c of "!#$%&'*+-/=?^_`{|}~") ASCII_CLASS[c.charCodeAt(0)]! |= LOCAL;
ASCII_CLASS[45]! |= LABEL;

/** IDN labels may hold letters, combining marks and digits of any script. */
const IDN_CHAR = /^[\p{L}\p{M}\p{Nd}]$/u;

const isWhitespace = (c: number): boolean =>
  c === 32 || c === 0xa0 || c === 0x3000 || (c >= 0x2000 && c <= 0x200b) || c === 0xfeff;

const isControl = (c: number): boolean => c < 32 || (c >= 0x7f && c <= 0x9f);

/** Trims, checks for a single `@`, lower-cases the domain; with `sanitize` verifies the syntax. */
export function normalizeEmail(raw: string, sanitize: boolean): EmailResult {
  const text = raw.trim();
  if (text === "") return EMPTY;
  const at = text.indexOf("@");
  if (at < 0) return NO_AT;
  if (text.indexOf("@", at + 1) >= 0) return MANY_AT;
  if (at === 0) return NO_LOCAL;
  if (at === text.length - 1) return NO_DOMAIN;
  // Without `sanitize` too (which checks it among the rest of the syntax): no
  // address is longer (RFC 5321), and a value this long could not be indexed
  // by the databases (PostgreSQL refuses index entries over 2.7 kB).
  if (!sanitize && text.length > 254) return TOO_LONG;

  if (sanitize) {
    const error = checkSyntax(text, at);
    if (error !== null) return error;
  }

  // Only copy when the domain really has upper-case letters.
  for (let i = at + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 65 && c <= 90) || c >= 0x80) {
      const domain = text.slice(at + 1);
      const lower = domain.toLowerCase();
      return { ok: true, value: lower === domain ? text : `${text.slice(0, at + 1)}${lower}` };
    }
  }
  return { ok: true, value: text };
}

function checkSyntax(text: string, at: number): EmailError | null {
  const length = text.length;

  // Local part: a dot-atom of atext.
  for (let i = 0; i < at; i++) {
    const c = text.charCodeAt(i);
    if (c < 128 && (ASCII_CLASS[c]! & LOCAL) !== 0) continue;
    if (c === 46) {
      if (i === 0 || i === at - 1) return LOCAL_DOT_EDGE;
      if (text.charCodeAt(i + 1) === 46) return LOCAL_DOUBLE_DOT;
    } else if (isWhitespace(c)) {
      return SPACE;
    } else if (isControl(c)) {
      return CONTROL;
    } else if (c >= 0x80) {
      return LOCAL_ACCENT;
    } else {
      return badLocalChar(text.charAt(i));
    }
  }

  // Domain: at least two labels of letters, digits and inner hyphens.
  const start = at + 1;
  if (text.charCodeAt(start) === 46 || text.charCodeAt(length - 1) === 46) return DOMAIN_DOT_EDGE;
  let labelStart = start;
  let labels = 0;
  let labelAllDigits = true;
  for (let i = start; i <= length; i++) {
    const c = i < length ? text.charCodeAt(i) : 46;
    if (c < 128) {
      const cls = ASCII_CLASS[c]!;
      if ((cls & DIGIT) !== 0) continue;
      if ((cls & LABEL) !== 0) {
        labelAllDigits = false;
        continue;
      }
    }
    if (c === 46) {
      if (i === labelStart) return DOMAIN_DOUBLE_DOT;
      if (i - labelStart > 63) return LABEL_TOO_LONG;
      if (text.charCodeAt(labelStart) === 45 || text.charCodeAt(i - 1) === 45) return LABEL_HYPHEN;
      labels++;
      if (i === length) break;
      labelStart = i + 1;
      labelAllDigits = true;
      continue;
    }
    if (isWhitespace(c)) return SPACE;
    if (isControl(c)) return CONTROL;
    if (c < 0x80) return badDomainChar(text.charAt(i));
    // Surrogate pairs: test the whole code point.
    const point = text.codePointAt(i)!;
    const char = String.fromCodePoint(point);
    if (!IDN_CHAR.test(char)) return badDomainChar(char);
    labelAllDigits = false;
    if (point > 0xffff) i++;
  }
  if (labels < 2) return NO_DOT_DOMAIN;
  if (labelAllDigits) return NUMERIC_TLD;
  if (length - labelStart < 2) return SHORT_TLD;

  // RFC 5321 limits (checked last so that a typo is reported as such, not as a length).
  if (at > 64) return LOCAL_TOO_LONG;
  if (length - start > 255) return DOMAIN_TOO_LONG;
  if (length > 254) return TOO_LONG;
  return null;
}
