import { isValidDdd } from "./ddd.js";
import type { PhoneKind } from "./types.js";

/**
 * Brazilian phone normalization (SPEC §5). Called from the mailing reader's hot
 * loop, so it scans the string once by char code, keeps the digits as a number
 * (a national number has at most 11 digits, far below 2^53) and allocates only
 * the result: the input itself when it already is the national number.
 */

export type PhoneResult =
  | { ok: true; value: string; kind: PhoneKind }
  | { ok: false; code: "TELEFONE_INVALIDO" | "DDD_INVALIDO"; message: string };

type PhoneError = Extract<PhoneResult, { ok: false }>;

const POW10 = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
] as const;

/** Digits beyond this are counted but not accumulated (they would lose precision). */
const MAX_ACCUMULATED = 15;

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
  let digits = 0;
  let accumulated = 0;
  let first3 = 0; // the first three digits, as a number, once seen
  let plus = false;
  let separators = false; // whether anything but digits was part of the number
  let stop = -1;
  for (let i = 0; i < length; i++) {
    const c = raw.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits < MAX_ACCUMULATED) accumulated = accumulated * 10 + (c - 48);
      digits++;
      if (digits === 3) first3 = accumulated;
      continue;
    }
    separators = true;
    if (digits === 0) {
      if (c === 43) plus = true;
    } else if (
      digits === 1 &&
      accumulated === 0 &&
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
  if (digits < 3) first3 = accumulated * POW10[3 - digits]!;

  // Prefix removal by length (SPEC §5): each rule only fires at the lengths
  // where the prefix and a national number (10–11 digits) add up exactly.
  let national = accumulated;
  let nationalLength = digits;
  const firstTwo = (first3 / 10) | 0;
  if (plus) {
    if (firstTwo !== 55) return FOREIGN;
    nationalLength -= 2;
    if (nationalLength < 10) return nationalLength >= 8 ? PLUS55_NO_DDD : lengthError(digits);
    if (nationalLength <= 15) national -= 55 * POW10[nationalLength]!;
    // "+55 (011) 98765-4321": the trunk 0 may follow the country code.
    if ((nationalLength === 11 || nationalLength === 12) && first3 % 10 === 0) nationalLength--;
  } else if (firstTwo === 55 && (digits === 12 || digits === 13)) {
    nationalLength -= 2;
    national -= 55 * POW10[nationalLength]!;
  } else if (first3 < 10) {
    // Carrier codes never start with 0: "00" is the international dialing prefix.
    return INTERNATIONAL;
  } else if (first3 < 100) {
    // Leading 0: the accumulated value already ignores it.
    if (digits === 11 || digits === 12) {
      nationalLength -= 1;
    } else if (digits === 13 || digits === 14) {
      nationalLength -= 3;
      national -= (first3 % 100) * POW10[nationalLength]!;
    }
  }

  if (nationalLength !== 10 && nationalLength !== 11) {
    if (stop >= 0) {
      const cut = explainCut(raw, stop);
      if (cut !== null) return cut;
    }
    return lengthError(digits);
  }

  const subscriberLength = nationalLength - 2;
  const dddFactor = POW10[subscriberLength]!;
  const ddd = Math.floor(national / dddFactor);
  if (ddd < 10) return ZERO_DDD;
  const subscriber = national - ddd * dddFactor;
  const leading = Math.floor(subscriber / POW10[subscriberLength - 1]!);

  let kind: PhoneKind;
  if (subscriberLength === 9) {
    kind = leading === 9 ? "mobile" : "unknown";
  } else {
    kind = leading >= 2 && leading <= 5 ? "landline" : "unknown";
  }

  if (sanitize) {
    if (!isValidDdd(ddd)) return dddError(ddd);
    if (kind === "unknown") {
      if (subscriberLength === 9 || leading < 6)
        return leadingDigitError(subscriberLength, leading);
      // Pre-2016 mobiles written with 8 digits get the 9th digit (SPEC §5).
      return { ok: true, value: String(ddd * 1e9 + 9e8 + subscriber), kind: "mobile" };
    }
  }

  // The input is already the bare national number: return it without copying.
  const value = !separators && digits === nationalLength && stop < 0 ? raw : String(national);
  return { ok: true, value, kind };
}
