/**
 * Byte-level text handling for mailings: UTF-8 validity check in a streaming pass, Windows-1252
 * decoding, and sniffing of files that are not text at all. Pure functions over buffers.
 */
import { isUtf8 } from "node:buffer";
import { StringDecoder } from "node:string_decoder";

export type TextEncodingName = "utf-8" | "windows-1252";

/** Windows-1252 code points for bytes 0x80–0x9F (where it differs from Latin-1). */
const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039,
  0x0152, 0x8d, 0x017d, 0x8f, 0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc,
  0x2122, 0x0161, 0x203a, 0x0153, 0x9d, 0x017e, 0x0178,
];
const CP1252_RANGE_ALL = /[\x80-\x9f]/g;

function cp1252Char(c: string): string {
  return String.fromCharCode(CP1252_HIGH[c.charCodeAt(0) - 0x80] ?? 0xfffd);
}

/** Whether byte `b` is in 0x80–0x9F. */
const isC1 = (b: number): boolean => (b & 0xe0) === 0x80;

/**
 * Whether `buf` holds a byte in 0x80–0x9F, in plain JavaScript. Reads four bytes at a time: a byte
 * is in that range when its bit 7 is set and bits 6 and 5 are clear, and shifting the word left by
 * 1 and by 2 brings each byte's bits 6 and 5 under its own bit 7 (never a neighbour's). The
 * fallback of `hasC1Byte` where WebAssembly SIMD is not available.
 */
export function hasC1ByteScalar(buf: Uint8Array): boolean {
  const n = buf.length;
  const head = (4 - (buf.byteOffset & 3)) & 3; // bytes up to a 4-byte boundary
  let i = 0;
  if (n < head + 4) {
    for (; i < n; i++) if (isC1(buf[i] as number)) return true;
    return false;
  }
  for (; i < head; i++) if (isC1(buf[i] as number)) return true;
  const words = new Int32Array(buf.buffer, buf.byteOffset + head, (n - head) >> 2);
  // No early exit: a branch-free loop is faster, and a hit means a costly fix-up anyway.
  let found = 0;
  for (let k = 0; k < words.length; k++) {
    const w = words[k] as number;
    found |= w & ~(w << 1) & ~(w << 2);
  }
  if ((found & 0x80808080) !== 0) return true;
  for (i = head + words.length * 4; i < n; i++) if (isC1(buf[i] as number)) return true;
  return false;
}

/**
 * The same check with WebAssembly SIMD, 16 bytes per step. Every byte of a Windows-1252 file goes
 * through it: the JavaScript loop cost ~5% of a parse, a regular expression over the decoded text
 * more; this costs about a tenth of the loop (the copy into the module's memory included). The
 * module, hand-assembled below, in text form:
 *
 *   (module
 *     (memory (export "memory") 1)
 *     (func (export "hasC1") (param $n i32) (result i32) (local $i i32) (local $found v128)
 *       (block $done
 *         (loop $next
 *           (br_if $done (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $n)))
 *           (local.set $found (v128.or (local.get $found)
 *             (i8x16.eq (v128.and (v128.load (local.get $i)) (v128.const i8x16 0xe0 ... 0xe0))
 *                       (v128.const i8x16 0x80 ... 0x80))))
 *           (local.set $i (i32.add (local.get $i) (i32.const 16)))
 *           (br $next)))
 *       (v128.any_true (local.get $found))))
 *
 * `$n` is a multiple of 16: the bytes are copied to the start of the memory and zero-padded.
 */
/** The little of the WebAssembly API used here (the project's `lib` declares none of it). */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
};
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

function simdC1Check(): ((buf: Uint8Array) => boolean) | null {
  const splat = (byte: number): number[] => new Array<number>(16).fill(byte);
  const body = [
    ...[0x02, 0x01, 0x7f, 0x01, 0x7b], // locals: 1 i32 ($i), 1 v128 ($found)
    ...[0x02, 0x40, 0x03, 0x40], // block $done, loop $next
    ...[0x20, 0x01, 0x41, 0x10, 0x6a, 0x20, 0x00, 0x4b, 0x0d, 0x01], // br_if $done (i + 16 > n)
    ...[0x20, 0x02, 0x20, 0x01, 0xfd, 0x00, 0x00, 0x00], // $found, v128.load $i
    ...[0xfd, 0x0c, ...splat(0xe0), 0xfd, 0x4e], // v128.and with 0xe0 in every lane
    ...[0xfd, 0x0c, ...splat(0x80), 0xfd, 0x23], // i8x16.eq with 0x80 in every lane
    ...[0xfd, 0x50, 0x21, 0x02], // v128.or into $found
    ...[0x20, 0x01, 0x41, 0x10, 0x6a, 0x21, 0x01], // $i += 16
    ...[0x0c, 0x00, 0x0b, 0x0b], // br $next, end loop, end block
    ...[0x20, 0x02, 0xfd, 0x53, 0x0b], // v128.any_true $found, end
  ];
  // Every section and name is shorter than 128 bytes, so each size is a single LEB128 byte.
  const section = (id: number, bytes: number[]): number[] => [id, bytes.length, ...bytes];
  const name = (text: string): number[] => [text.length, ...Buffer.from(text, "latin1")];
  const bytes = new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // "\0asm", version 1
    ...section(1, [0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f]), // type 0: (i32) -> i32
    ...section(3, [0x01, 0x00]), // function 0 has type 0
    ...section(5, [0x01, 0x00, 0x01]), // one memory, at least 1 page
    ...section(7, [0x02, ...name("memory"), 0x02, 0x00, ...name("hasC1"), 0x00, 0x00]),
    ...section(10, [0x01, body.length, ...body]),
  ]);
  let exports: Record<string, unknown>;
  try {
    exports = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports;
  } catch {
    return null; // no WebAssembly or no SIMD
  }
  const memory = exports.memory as WasmMemory;
  const check = exports.hasC1 as (n: number) => number;
  return (buf) => {
    const padded = (buf.length + 15) & ~15;
    const have = memory.buffer.byteLength;
    if (have < padded) memory.grow(Math.ceil((padded - have) / 65536)); // up to the largest chunk
    const view = new Uint8Array(memory.buffer, 0, padded);
    view.set(buf);
    view.fill(0, buf.length); // zeros are not in 0x80–0x9F
    return check(padded) !== 0;
  };
}

/** Whether `buf` holds a byte in 0x80–0x9F (where Windows-1252 and Latin-1 differ). */
export const hasC1Byte: (buf: Uint8Array) => boolean = simdC1Check() ?? hasC1ByteScalar;

/**
 * Decodes Windows-1252. Latin-1 decoding is native and very fast and differs only in 0x80–0x9F,
 * so those few characters (curly quotes, €, en dash…) are patched afterwards.
 */
export function decodeWindows1252(buf: Buffer): string {
  const text = buf.toString("latin1");
  return hasC1Byte(buf) ? text.replace(CP1252_RANGE_ALL, cp1252Char) : text;
}

export interface ChunkDecoder {
  write(buf: Buffer): string;
  end(): string;
}

export function createChunkDecoder(encoding: TextEncodingName): ChunkDecoder {
  if (encoding === "windows-1252") {
    // Single-byte: no state across chunks.
    return { write: decodeWindows1252, end: () => "" };
  }
  const decoder = new StringDecoder("utf8");
  return { write: (b) => decoder.write(b), end: () => decoder.end() };
}

/**
 * Checks UTF-8 validity across chunk boundaries: an incomplete multi-byte sequence at the end of a
 * chunk is carried to the next one. `push` returns false as soon as the data is known invalid.
 */
export class Utf8Validator {
  private carry: Buffer | null = null;
  valid = true;

  push(chunk: Buffer): boolean {
    if (!this.valid) return false;
    let data = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = null;
    const cut = incompleteTailStart(data);
    if (cut < data.length) {
      this.carry = Buffer.from(data.subarray(cut));
      data = data.subarray(0, cut);
    }
    if (!isUtf8(data)) this.valid = false;
    return this.valid;
  }

  /** True when every byte pushed formed valid UTF-8. */
  end(): boolean {
    if (this.carry && this.carry.length > 0) this.valid = false;
    this.carry = null;
    return this.valid;
  }
}

/** Index where a trailing, possibly incomplete UTF-8 sequence starts (data.length if none). */
function incompleteTailStart(data: Buffer): number {
  const n = data.length;
  for (let back = 1; back <= 3 && back <= n; back++) {
    const b = data[n - back] as number;
    if (b < 0x80) return n; // ASCII: nothing pending
    if (b >= 0xc0) {
      const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
      return need > back ? n - back : n;
    }
  }
  return n;
}

export const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Recognizes files that are certainly not a text mailing, from their first bytes, and says what
 * they look like so the pt-BR message can tell the operator how to export a proper CSV.
 * Returns null for anything that may be text.
 */
export function sniffNonText(
  head: Buffer,
): "xlsx" | "xls" | "pdf" | "utf16" | "gzip" | "binary" | null {
  if (
    head.length >= 4 &&
    head[0] === 0x50 &&
    head[1] === 0x4b &&
    head[2] === 0x03 &&
    head[3] === 0x04
  )
    return "xlsx";
  if (
    head.length >= 4 &&
    head[0] === 0xd0 &&
    head[1] === 0xcf &&
    head[2] === 0x11 &&
    head[3] === 0xe0
  )
    return "xls";
  if (head.length >= 4 && head.toString("latin1", 0, 4) === "%PDF") return "pdf";
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (
    head.length >= 2 &&
    ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff))
  )
    return "utf16";
  // Text never holds NUL; a few other control characters are tolerated (stray form feeds…).
  let control = 0;
  for (let i = 0; i < head.length; i++) {
    const b = head[i] as number;
    if (b === 0) return "binary";
    if (b < 0x09 || (b > 0x0d && b < 0x20)) control++;
  }
  return control > head.length / 20 ? "binary" : null;
}
