/**
 * CPF / CNPJ normalization (SPEC §5). Keeps digits and letters (upper-cased),
 * left-pads with the zeros spreadsheets drop, and with `sanitize` verifies the
 * check digits, including the alphanumeric CNPJ (Receita Federal, from July
 * 2026): the first 12 characters are [0-9A-Z], the last 2 are numeric check
 * digits, and every character is worth its char code minus 48 ("A" = 17) in
 * the same mod-11 sums as the numeric CNPJ.
 * Rejections are shared constant objects: treat every result as read-only.
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

const CNPJ_WEIGHTS_1 = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2] as const;
const CNPJ_WEIGHTS_2 = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2] as const;

/** Kept characters (upper-cased char codes) of the document being normalized; reused across calls. */
const kept = new Uint16Array(14);
/** The same, right-aligned and zero-padded to 11 (CPF) or 14 (CNPJ) characters. */
const padded = new Uint16Array(14);

/** Mod-11 check digit over `padded[0..weights.length)`, each char worth charCode - 48. */
function cnpjCheckDigit(weights: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < weights.length; i++) sum += (padded[i]! - 48) * weights[i]!;
  const rest = sum % 11;
  return rest < 2 ? 0 : 11 - rest;
}

/** Mod-11 check digit of a CPF over `padded[0..count)` (weights count+1 down to 2). */
function cpfCheckDigit(count: number): number {
  let sum = 0;
  for (let i = 0; i < count; i++) sum += (padded[i]! - 48) * (count + 1 - i);
  const rest = sum % 11;
  return rest < 2 ? 0 : 11 - rest;
}

/** True when the first `length` padded characters are all equal. */
function allSame(length: number): boolean {
  const first = padded[0];
  for (let i = 1; i < length; i++) if (padded[i] !== first) return false;
  return true;
}

/**
 * Reduces a CPF/CNPJ to its canonical form: up to 11 characters is a CPF
 * (padded to 11), 12 to 14 a CNPJ (padded to 14). A document of zeros only is
 * rejected even without sanitizing: it is a "no document" placeholder, and as a
 * person key it would merge unrelated people.
 */
export function normalizeDocument(raw: string, sanitize: boolean): DocumentResult {
  const length = raw.length;
  let count = 0;
  let letters = 0;
  let lastLetter = -1; // index among kept characters of the last letter
  let nonZero = false;
  let changed = false; // whether the value differs from the input (separators, lower case)
  for (let i = 0; i < length; i++) {
    let c = raw.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (c !== 48) nonZero = true;
    } else if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) {
      // "1,23E+10": a spreadsheet turned the document into a float.
      if ((c === 69 || c === 101) && raw.charCodeAt(i + 1) === 43) return SCIENTIFIC;
      if (c >= 97) {
        c -= 32;
        changed = true;
      }
      letters++;
      lastLetter = count;
      nonZero = true;
    } else {
      changed = true;
      continue;
    }
    if (count < 14) kept[count] = c;
    count++;
  }

  if (count === 0) return EMPTY;
  if (count > 14) return tooLong(count);
  if (!nonZero) return ALL_ZEROS;

  const isCpf = count <= 11;
  const size = isCpf ? 11 : 14;
  if (isCpf && letters > 0) return CPF_WITH_LETTERS;
  if (!isCpf && letters > 0 && lastLetter >= count - 2) return CNPJ_LETTER_IN_CHECK;
  const pad = size - count;
  for (let i = 0; i < pad; i++) padded[i] = 48;
  for (let i = 0; i < count; i++) padded[pad + i] = kept[i]!;

  if (sanitize) {
    if (allSame(size)) return isCpf ? CPF_REPEATED : CNPJ_REPEATED;
    const valid = isCpf
      ? cpfCheckDigit(9) === padded[9]! - 48 && cpfCheckDigit(10) === padded[10]! - 48
      : cnpjCheckDigit(CNPJ_WEIGHTS_1) === padded[12]! - 48 &&
        cnpjCheckDigit(CNPJ_WEIGHTS_2) === padded[13]! - 48;
    if (!valid) return isCpf ? CPF_CHECK : CNPJ_CHECK;
  }

  // Already canonical: return the input itself.
  if (!changed && pad === 0) return { ok: true, value: raw, kind: isCpf ? "cpf" : "cnpj" };
  const p = padded;
  if (isCpf) {
    const value = String.fromCharCode(
      p[0]!,
      p[1]!,
      p[2]!,
      p[3]!,
      p[4]!,
      p[5]!,
      p[6]!,
      p[7]!,
      p[8]!,
      p[9]!,
      p[10]!,
    );
    return { ok: true, value, kind: "cpf" };
  }
  const value = String.fromCharCode(
    p[0]!,
    p[1]!,
    p[2]!,
    p[3]!,
    p[4]!,
    p[5]!,
    p[6]!,
    p[7]!,
    p[8]!,
    p[9]!,
    p[10]!,
    p[11]!,
    p[12]!,
    p[13]!,
  );
  return { ok: true, value, kind: "cnpj" };
}
