import { isValidDdd } from "./ddd.js";
import type { PhoneKind } from "./types.js";

/**
 * Brazilian phone normalization (SPEC §5). Called from the mailing reader's hot
 * loop, so it scans the string once by char code into a reused buffer and
 * allocates only the result: the input itself when it already is the bare
 * national number, else one String.fromCharCode over the buffer (several times
 * faster than formatting a number or concatenating).
 * Rejections are shared constant objects: treat every result as read-only.
 */

export type PhoneResult =
  /** `ninthDigit`: sanitisation turned an 8-digit mobile into a 9-digit one (counted in reports). */
  | { ok: true; value: string; kind: PhoneKind; ninthDigit?: true }
  | { ok: false; code: "TELEFONE_INVALIDO" | "DDD_INVALIDO"; message: string };

type PhoneError = Extract<PhoneResult, { ok: false }>;

/** Longer inputs are rejected by length; their extra digits are counted, not kept. */
const KEPT_DIGITS = 16;
/** Char codes of the digits of the phone being normalized (single-threaded, never re-entered). */
const buffer = new Uint16Array(KEPT_DIGITS);

const EXPECTED = "informe DDD + número (10 ou 11 dígitos)";

const invalid = (message: string): PhoneError => ({
  ok: false,
  code: "TELEFONE_INVALIDO",
  message,
});

const EMPTY = invalid(`Telefone vazio: ${EXPECTED}`);
const NO_DIGITS = invalid(`Telefone sem dígitos: ${EXPECTED}`);
const TEXT_INSIDE = invalid(`Telefone com texto no meio dos dígitos: ${EXPECTED}`);
const SCIENTIFIC = invalid(
  "Telefone em notação científica (ex.: 1,19E+10), com dígitos perdidos: formate a coluna como texto na planilha",
);
const FOREIGN = invalid(
  "Telefone com código de país diferente de +55: só são aceitos números do Brasil",
);
const INTERNATIONAL = invalid(
  "Telefone começando com 00 (discagem internacional): informe só DDD + número de um telefone do Brasil",
);
const PLUS55_NO_DDD = invalid(`Telefone com +55 mas sem DDD: ${EXPECTED}`);
const ZERO_DDD = invalid(
  "Telefone começa com 0 mas não segue 0 + DDD + número nem 0 + operadora + DDD + número",
);

const lengthErrors = new Map<number, PhoneError>();
function lengthError(digits: number): PhoneError {
  let error = lengthErrors.get(digits);
  if (error === undefined) {
    const count = digits === 1 ? "1 dígito" : `${digits} dígitos`;
    const advice =
      digits === 8 || digits === 9
        ? `falta o DDD; ${EXPECTED}`
        : digits >= 20
          ? `informe um telefone por campo, com DDD + número (10 ou 11 dígitos)`
          : EXPECTED;
    error = invalid(`Telefone com ${count}: ${advice}`);
    // Digit counts are bounded only by the input, so keep the cache small.
    if (digits <= 64) lengthErrors.set(digits, error);
  }
  return error;
}

const dddErrors: PhoneError[] = [];
function dddError(ddd: number): PhoneError {
  let error = dddErrors[ddd];
  if (error === undefined) {
    error = { ok: false, code: "DDD_INVALIDO", message: `DDD ${ddd} não existe no Brasil` };
    dddErrors[ddd] = error;
  }
  return error;
}

const leadingDigitErrors: PhoneError[] = [];
function leadingDigitError(subscriberLength: number, first: number): PhoneError {
  const slot = subscriberLength * 10 + first;
  let error = leadingDigitErrors[slot];
  if (error === undefined) {
    error = invalid(
      subscriberLength === 9
        ? `Número de 9 dígitos começando com ${first}: celulares começam com 9`
        : `Número de 8 dígitos começando com ${first}: fixos começam com 2 a 5 e celulares com 9`,
    );
    leadingDigitErrors[slot] = error;
  }
  return error;
}

const isLetterOrHash = (c: number): boolean =>
  (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 35 || (c >= 0xc0 && c <= 0x24f);

/** After the number proper: distinguishes "9876 ramal 12" (extension) from "9876abc5432". */
function explainCut(raw: string, stop: number): PhoneError | null {
  const c = raw.charCodeAt(stop);
  if ((c === 69 || c === 101) && raw.charCodeAt(stop + 1) === 43) return SCIENTIFIC;
  for (let i = stop + 1; i < raw.length; i++) {
    const d = raw.charCodeAt(i);
    if (d >= 48 && d <= 57) return TEXT_INSIDE;
  }
  return null;
}

/**
 * Reduces a phone to DDD + number (digits only) and classifies it.
 *
 * Decisions beyond SPEC §5:
 * - "0xx" (the usual written form of "0 + any carrier") counts as the trunk 0.
 * - Text before the first digit ("Tel: ", "cel ") is ignored; a letter or `#`
 *   after the digits ends the number, so "3456-7890 ramal 12" drops the
 *   extension instead of gluing its digits on.
 * - A `+` before the digits makes the country code explicit: anything but +55
 *   is rejected, and +55 is removed whatever the length (so "+55 98765-4321"
 *   is a number without DDD, while "55 98765-4321" is DDD 55).
 * - "00" starts an international call, never a trunk 0 + carrier.
 * - A DDD starting with 0 is never valid, even without sanitizing.
 * - With `sanitize`, numbers the numbering plan cannot hold (9 digits not
 *   starting with 9, 8 digits starting with 0 or 1) are rejected instead of
 *   being kept as "unknown".
 */
export function normalizePhone(raw: string, sanitize: boolean): PhoneResult {
  const length = raw.length;
  const digitsOf = buffer;
  let digits = 0;
  let plus = false;
  let separators = false; // whether anything but digits was part of the number
  let stop = -1;
  for (let i = 0; i < length; i++) {
    const c = raw.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits < KEPT_DIGITS) digitsOf[digits] = c;
      digits++;
      continue;
    }
    separators = true;
    if (digits === 0) {
      if (c === 43) plus = true;
    } else if (
      digits === 1 &&
      digitsOf[0] === 48 &&
      (c === 120 || c === 88) &&
      (raw.charCodeAt(i + 1) | 32) === 120
    ) {
      // "(0xx11) 3456-7890": "xx" stands for the carrier code, so this is 0 + DDD.
      i++;
    } else if (isLetterOrHash(c)) {
      stop = i;
      break;
    }
  }

  if (digits === 0) return raw.trim() === "" ? EMPTY : NO_DIGITS;
  // Pad so that the prefix tests below may look at three digits of any input.
  for (let i = digits; i < 3; i++) digitsOf[i] = 0;
  const first = digitsOf[0]!;
  const second = digitsOf[1]!;

  // Prefix removal by length (SPEC §5): each rule only fires at the lengths
  // where the prefix and a national number (10–11 digits) add up exactly.
  let offset = 0;
  if (plus) {
    if (first !== 53 || second !== 53) return FOREIGN;
    offset = 2;
    const rest = digits - 2;
    if (rest < 10) return rest >= 8 ? PLUS55_NO_DDD : lengthError(digits);
    // "+55 (011) 98765-4321": the trunk 0 may follow the country code.
    if ((rest === 11 || rest === 12) && digitsOf[2] === 48) offset = 3;
  } else if (first === 53 && second === 53 && (digits === 12 || digits === 13)) {
    offset = 2;
  } else if (first === 48) {
    // Carrier codes never start with 0: "00" is the international dialing prefix.
    if (second === 48) return INTERNATIONAL;
    if (digits === 11 || digits === 12) offset = 1;
    else if (digits === 13 || digits === 14) offset = 3;
  }

  const nationalLength = digits - offset;
  if (nationalLength !== 10 && nationalLength !== 11) {
    if (stop >= 0) {
      const cut = explainCut(raw, stop);
      if (cut !== null) return cut;
    }
    return lengthError(digits);
  }

  const dddFirst = digitsOf[offset]! - 48;
  if (dddFirst === 0) return ZERO_DDD;
  const ddd = dddFirst * 10 + digitsOf[offset + 1]! - 48;
  const leading = digitsOf[offset + 2]! - 48;

  let kind: PhoneKind;
  if (nationalLength === 11) {
    kind = leading === 9 ? "mobile" : "unknown";
  } else {
    kind = leading >= 2 && leading <= 5 ? "landline" : "unknown";
  }

  if (sanitize) {
    if (!isValidDdd(ddd)) return dddError(ddd);
    if (kind === "unknown") {
      if (nationalLength === 11 || leading < 6)
        return leadingDigitError(nationalLength - 2, leading);
      // Pre-2016 mobiles written with 8 digits get the 9th digit (SPEC §5).
      const o = offset;
      const value = String.fromCharCode(
        digitsOf[o]!,
        digitsOf[o + 1]!,
        57,
        digitsOf[o + 2]!,
        digitsOf[o + 3]!,
        digitsOf[o + 4]!,
        digitsOf[o + 5]!,
        digitsOf[o + 6]!,
        digitsOf[o + 7]!,
        digitsOf[o + 8]!,
        digitsOf[o + 9]!,
      );
      return { ok: true, value, kind: "mobile", ninthDigit: true };
    }
  }

  // The input is already the bare national number: return it without copying.
  if (!separators && offset === 0 && stop < 0) return { ok: true, value: raw, kind };
  const o = offset;
  const value =
    nationalLength === 11
      ? String.fromCharCode(
          digitsOf[o]!,
          digitsOf[o + 1]!,
          digitsOf[o + 2]!,
          digitsOf[o + 3]!,
          digitsOf[o + 4]!,
          digitsOf[o + 5]!,
          digitsOf[o + 6]!,
          digitsOf[o + 7]!,
          digitsOf[o + 8]!,
          digitsOf[o + 9]!,
          digitsOf[o + 10]!,
        )
      : String.fromCharCode(
          digitsOf[o]!,
          digitsOf[o + 1]!,
          digitsOf[o + 2]!,
          digitsOf[o + 3]!,
          digitsOf[o + 4]!,
          digitsOf[o + 5]!,
          digitsOf[o + 6]!,
          digitsOf[o + 7]!,
          digitsOf[o + 8]!,
          digitsOf[o + 9]!,
        );
  return { ok: true, value, kind };
}
