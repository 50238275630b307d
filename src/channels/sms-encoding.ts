/**
 * SMS text encoding and segmentation (3GPP TS 23.038 / 23.040), pure: no I/O.
 *
 * A message goes as GSM-7 when every character is in the default alphabet or
 * its extension table (an extension character costs two septets: ESC + code),
 * otherwise as UCS-2 (UTF-16 code units). One part holds 160 septets or 70
 * code units; a longer text is split into parts carrying a concatenation UDH
 * (IEI 0x00, 8-bit reference), which takes 6 octets and leaves 153 septets or
 * 67 code units per part. A split never separates ESC from its character nor
 * the two halves of a surrogate pair: the handset would show garbage.
 *
 * GSM-7 bytes here are unpacked (one septet per octet), as SMPP carries
 * data_coding 0: the SMSC packs them for the air interface.
 */

export type SmsEncoding = "gsm7" | "ucs2";

/** SMPP data_coding: 0 = SMSC default alphabet (GSM-7), 8 = UCS-2. */
export const DATA_CODING: Readonly<Record<SmsEncoding, number>> = { gsm7: 0, ucs2: 8 };

export const SINGLE_LIMIT: Readonly<Record<SmsEncoding, number>> = { gsm7: 160, ucs2: 70 };
export const PART_LIMIT: Readonly<Record<SmsEncoding, number>> = { gsm7: 153, ucs2: 67 };
/** An 8-bit concatenation header counts parts in one octet. */
export const MAX_PARTS = 255;

const ESC = 0x1b;

// The default alphabet, by septet value 0x00–0x7F. 0x1B is the escape to the
// extension table and has no character of its own (left as an unused slot).
const BASIC =
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u0000ÆæßÉ" +
  " !\"#¤%&'()*+,-./0123456789:;<=>?" +
  "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§" +
  "¿abcdefghijklmnopqrstuvwxyzäöñüà";

// The extension table: character → septet after ESC.
const EXTENSION: ReadonlyArray<[string, number]> = [
  ["\f", 0x0a],
  ["^", 0x14],
  ["{", 0x28],
  ["}", 0x29],
  ["\\", 0x2f],
  ["[", 0x3c],
  ["~", 0x3d],
  ["]", 0x3e],
  ["|", 0x40],
  ["€", 0x65],
];

const basicCode = new Map<string, number>();
const basicChar: string[] = [];
for (let code = 0; code < BASIC.length; code++) {
  const char = BASIC[code] as string;
  if (code === ESC) continue;
  basicChar[code] = char;
  basicCode.set(char, code);
}
const extensionCode = new Map<string, number>(EXTENSION);
const extensionChar = new Map<number, string>(EXTENSION.map(([c, n]) => [n, c]));

/** Septets a character takes in GSM-7: 1, 2 (extension table) or null (not encodable). */
function gsmWeight(char: string): 1 | 2 | null {
  if (basicCode.has(char)) return 1;
  if (extensionCode.has(char)) return 2;
  return null;
}

/** GSM-7 when every character fits it (with the extension table), else UCS-2. */
export function chooseEncoding(text: string): SmsEncoding {
  for (const char of text) if (gsmWeight(char) === null) return "ucs2";
  return "gsm7";
}

/**
 * The text's units of length, each one indivisible: GSM-7 characters with
 * their weight in septets, or UCS-2 characters (a surrogate pair weighs 2).
 */
function units(text: string, encoding: SmsEncoding): { text: string; weight: number }[] {
  const out: { text: string; weight: number }[] = [];
  for (const char of text) {
    // for…of walks code points, so a pair stays whole; a lone surrogate is one unit of 1.
    out.push({ text: char, weight: encoding === "gsm7" ? (gsmWeight(char) ?? 1) : char.length });
  }
  return out;
}

/** The text cut into the parts it is sent in (before encoding), never inside a unit. */
export function splitText(text: string, encoding: SmsEncoding = chooseEncoding(text)): string[] {
  const all = units(text, encoding);
  const total = all.reduce((sum, u) => sum + u.weight, 0);
  if (total <= SINGLE_LIMIT[encoding]) return [text];
  const limit = PART_LIMIT[encoding];
  const parts: string[] = [];
  let current = "";
  let used = 0;
  for (const u of all) {
    if (used + u.weight > limit) {
      parts.push(current);
      current = "";
      used = 0;
    }
    current += u.text;
    used += u.weight;
  }
  if (current !== "") parts.push(current);
  return parts;
}

/** How many parts (billed segments) the text takes. */
export function segmentCount(text: string): number {
  return splitText(text).length;
}

/** GSM-7 septets, one per octet; throws on a character outside the alphabet. */
export function encodeGsm7(text: string): Buffer {
  const bytes: number[] = [];
  for (const char of text) {
    const basic = basicCode.get(char);
    if (basic !== undefined) {
      bytes.push(basic);
      continue;
    }
    const extension = extensionCode.get(char);
    if (extension === undefined) throw new RangeError(`character U+${hex(char)} not in GSM-7`);
    bytes.push(ESC, extension);
  }
  return Buffer.from(bytes);
}

/** Unpacked GSM-7 back to text. An unknown extension code reads as its basic character, as 23.038 says. */
export function decodeGsm7(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i++) {
    const code = (bytes[i] as number) & 0x7f;
    if (code === ESC && i + 1 < bytes.length) {
      const next = (bytes[++i] as number) & 0x7f;
      text += extensionChar.get(next) ?? basicChar[next] ?? "";
      continue;
    }
    if (code !== ESC) text += basicChar[code] ?? "";
  }
  return text;
}

/** UTF-16 big-endian, code unit by code unit (UCS-2 as SMSCs take it). */
export function encodeUcs2(text: string): Buffer {
  const buffer = Buffer.alloc(text.length * 2);
  for (let i = 0; i < text.length; i++) buffer.writeUInt16BE(text.charCodeAt(i), i * 2);
  return buffer;
}

export function decodeUcs2(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    text += String.fromCharCode(((bytes[i] as number) << 8) | (bytes[i + 1] as number));
  }
  return text;
}

function hex(char: string): string {
  return (char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0");
}

export interface SmsPart {
  /** Concatenation UDH (6 octets), or null for a single-part message. */
  udh: Buffer | null;
  /** The encoded text of this part. */
  payload: Buffer;
  /** UDH followed by payload: the SMPP short_message (esm_class gets UDHI when udh is set). */
  shortMessage: Buffer;
}

export interface EncodedSms {
  encoding: SmsEncoding;
  dataCoding: number;
  parts: SmsPart[];
  /** parts.length: what the route bills. */
  segments: number;
}

/** The concatenation header: IEI 0x00, length 3, reference, total parts, this part (1-based). */
export function concatUdh(reference: number, total: number, sequence: number): Buffer {
  return Buffer.from([0x05, 0x00, 0x03, reference & 0xff, total, sequence]);
}

/** Reads a concatenation IE out of a UDH (with or without its leading length octet). */
export function parseConcatUdh(
  udh: Uint8Array,
  withLength = true,
): { reference: number; total: number; sequence: number } | null {
  let i = withLength ? 1 : 0;
  const end = withLength ? Math.min(udh.length, 1 + (udh[0] ?? 0)) : udh.length;
  while (i + 1 < end) {
    const iei = udh[i] as number;
    const length = udh[i + 1] as number;
    if (iei === 0x00 && length === 3 && i + 4 < end) {
      return {
        reference: udh[i + 2] as number,
        total: udh[i + 3] as number,
        sequence: udh[i + 4] as number,
      };
    }
    i += 2 + length;
  }
  return null;
}

/** Too many parts for an 8-bit concatenation header. */
export class MessageTooLongError extends Error {}

/**
 * The message as the SMPP submit_sm parts that carry it. `reference` (0–255)
 * ties the parts together on the handset; callers vary it per message.
 */
export function encodeSms(text: string, reference: number): EncodedSms {
  const encoding = chooseEncoding(text);
  const texts = splitText(text, encoding);
  if (texts.length > MAX_PARTS) {
    throw new MessageTooLongError(
      `Mensagem longa demais: ${texts.length} partes, o máximo é ${MAX_PARTS}.`,
    );
  }
  const encode = encoding === "gsm7" ? encodeGsm7 : encodeUcs2;
  const parts = texts.map((t, k): SmsPart => {
    const payload = encode(t);
    const udh = texts.length > 1 ? concatUdh(reference, texts.length, k + 1) : null;
    return { udh, payload, shortMessage: udh ? Buffer.concat([udh, payload]) : payload };
  });
  return { encoding, dataCoding: DATA_CODING[encoding], parts, segments: parts.length };
}

/**
 * The inverse of `encodeSms` for one message's short_messages (any order):
 * strips each UDH, orders by sequence and decodes. For tests and inbound
 * multi-part messages.
 */
export function decodeParts(dataCoding: number, shortMessages: readonly Uint8Array[]): string {
  const ordered = shortMessages
    .map((sm) => {
      const concat = shortMessages.length > 1 ? parseConcatUdh(sm) : null;
      const body = concat ? sm.subarray(1 + (sm[0] ?? 0)) : sm;
      return { sequence: concat?.sequence ?? 1, body };
    })
    .sort((a, b) => a.sequence - b.sequence);
  const decode = (dataCoding & 0x0f) === 8 ? decodeUcs2 : decodeGsm7;
  return ordered.map((p) => decode(p.body)).join("");
}
