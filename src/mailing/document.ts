/**
 * CPF / CNPJ normalization (SPEC §5). Keeps digits and letters (upper-cased),
 * left-pads with the zeros spreadsheets drop, and with `sanitize` verifies the
 * check digits, including the alphanumeric CNPJ (Receita Federal, from July
 * 2026): the first 12 characters are [0-9A-Z], the last 2 are numeric check
 * digits, and every character is worth its char code minus 48 ("A" = 17) in
 * the same mod-11 sums as the numeric CNPJ.
 */

export type DocumentResult =
  | { ok: true; value: string; kind: "cpf" | "cnpj" }
  | { ok: false; code: "DOCUMENTO_INVALIDO"; message: string };

type DocumentError = Extract<DocumentResult, { ok: false }>;

const invalid = (message: string): DocumentError => ({
  ok: false,
  code: "DOCUMENTO_INVALIDO",
  message,
});

const EMPTY = invalid("CPF/CNPJ sem dígitos: informe o CPF (11 dígitos) ou o CNPJ (14 caracteres)");
const SCIENTIFIC = invalid(
  "CPF/CNPJ em notação científica (ex.: 1,23E+10), com dígitos perdidos: formate a coluna como texto na planilha",
);
const CPF_WITH_LETTERS = invalid("CPF com letras: o CPF tem só números (11 dígitos)");
const CNPJ_LETTER_IN_CHECK = invalid(
  "CNPJ com letra nos dígitos verificadores: os 2 últimos caracteres do CNPJ são números",
);
const ALL_ZEROS = invalid(
  "CPF/CNPJ zerado: deixe a coluna vazia quando a pessoa não tiver documento",
);
const CPF_REPEATED = invalid("CPF com todos os dígitos iguais não existe");
const CNPJ_REPEATED = invalid("CNPJ com todos os dígitos iguais não existe");
const CPF_CHECK = invalid("CPF com dígito verificador errado: confira o número");
const CNPJ_CHECK = invalid("CNPJ com dígito verificador errado: confira o número");

const tooLong = (length: number): DocumentError =>
  invalid(`CPF/CNPJ com ${length} caracteres: o CPF tem 11 dígitos e o CNPJ 14 caracteres`);

const ZEROS = [
  "",
  "0",
  "00",
  "000",
  "0000",
  "00000",
  "000000",
  "0000000",
  "00000000",
  "000000000",
  "0000000000",
  "00000000000",
  "000000000000",
  "0000000000000",
] as const;

const CNPJ_WEIGHTS_1 = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2] as const;
const CNPJ_WEIGHTS_2 = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2] as const;

/** Mod-11 check digit over `value[0..weights.length)`, each char worth charCode - 48. */
function cnpjCheckDigit(value: string, weights: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < weights.length; i++) sum += (value.charCodeAt(i) - 48) * weights[i]!;
  const rest = sum % 11;
  return rest < 2 ? 0 : 11 - rest;
}

/** Mod-11 check digit of a CPF over its first `count` digits (weights count+1 down to 2). */
function cpfCheckDigit(value: string, count: number): number {
  let sum = 0;
  for (let i = 0; i < count; i++) sum += (value.charCodeAt(i) - 48) * (count + 1 - i);
  const rest = sum % 11;
  return rest < 2 ? 0 : 11 - rest;
}

/** True when every character equals the first. */
function allSame(value: string): boolean {
  const first = value.charCodeAt(0);
  for (let i = 1; i < value.length; i++) if (value.charCodeAt(i) !== first) return false;
  return true;
}

/** True when the CPF (11 digits) has correct check digits. */
export function isValidCpf(cpf: string): boolean {
  return (
    cpf.length === 11 &&
    cpfCheckDigit(cpf, 9) === cpf.charCodeAt(9) - 48 &&
    cpfCheckDigit(cpf, 10) === cpf.charCodeAt(10) - 48
  );
}

/** True when the CNPJ (14 chars, numeric or alphanumeric, upper case) has correct check digits. */
export function isValidCnpj(cnpj: string): boolean {
  return (
    cnpj.length === 14 &&
    cnpjCheckDigit(cnpj, CNPJ_WEIGHTS_1) === cnpj.charCodeAt(12) - 48 &&
    cnpjCheckDigit(cnpj, CNPJ_WEIGHTS_2) === cnpj.charCodeAt(13) - 48
  );
}

/**
 * Reduces a CPF/CNPJ to its canonical form: up to 11 characters is a CPF
 * (padded to 11), 12 to 14 a CNPJ (padded to 14). A document of zeros only is
 * rejected even without sanitizing: it is a "no document" placeholder, and as a
 * person key it would merge unrelated people.
 */
export function normalizeDocument(raw: string, sanitize: boolean): DocumentResult {
  const length = raw.length;
  let kept = 0;
  let letters = 0;
  let lastLetter = -1; // index among kept characters of the last letter
  let lowerCase = false;
  let nonZero = false;
  // The value is assembled from runs of kept characters, so "123.456.789-09"
  // costs four slices and "12345678909" none.
  let value = "";
  let runStart = -1;
  for (let i = 0; i < length; i++) {
    const c = raw.charCodeAt(i);
    const digit = c >= 48 && c <= 57;
    const upper = c >= 65 && c <= 90;
    const lower = c >= 97 && c <= 122;
    if (digit || upper || lower) {
      if (runStart < 0) runStart = i;
      if (!digit) {
        letters++;
        lastLetter = kept;
        if (lower) lowerCase = true;
        // "1,23E+10": a spreadsheet turned the document into a float.
        if ((c === 69 || c === 101) && raw.charCodeAt(i + 1) === 43) return SCIENTIFIC;
      }
      if (c !== 48) nonZero = true;
      kept++;
    } else if (runStart >= 0) {
      value = value === "" ? raw.slice(runStart, i) : value + raw.slice(runStart, i);
      runStart = -1;
    }
  }
  if (runStart >= 0) {
    value = runStart === 0 && value === "" ? raw : value + raw.slice(runStart);
  }

  if (kept === 0) return EMPTY;
  if (kept > 14) return tooLong(kept);
  if (!nonZero) return ALL_ZEROS;
  if (lowerCase) value = value.toUpperCase();

  if (kept <= 11) {
    if (letters > 0) return CPF_WITH_LETTERS;
    if (kept < 11) value = ZEROS[11 - kept] + value;
    if (sanitize) {
      if (allSame(value)) return CPF_REPEATED;
      if (!isValidCpf(value)) return CPF_CHECK;
    }
    return { ok: true, value, kind: "cpf" };
  }

  if (letters > 0 && lastLetter >= kept - 2) return CNPJ_LETTER_IN_CHECK;
  if (kept < 14) value = ZEROS[14 - kept] + value;
  if (sanitize) {
    if (allSame(value)) return CNPJ_REPEATED;
    if (!isValidCnpj(value)) return CNPJ_CHECK;
  }
  return { ok: true, value, kind: "cnpj" };
}
