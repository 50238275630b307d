import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import iconv from "iconv-lite";
import { decodeWindows1252, hasC1Byte } from "../../src/mailing/text.js";

/** Bytes biased towards the interesting ones: 0x80–0x9F and their neighbours 0x7F, 0xA0, 0xC0. */
const byte = fc.oneof(
  fc.integer({ min: 0, max: 255 }),
  fc.integer({ min: 0x7e, max: 0xa1 }),
  fc.constantFrom(0x20, 0x41, 0xc0, 0xe9, 0xff),
);

describe("Windows-1252", () => {
  test("property: hasC1Byte finds a byte in 0x80-0x9F at any position and alignment", () => {
    fc.assert(
      fc.property(fc.array(byte, { maxLength: 40 }), fc.nat(7), (bytes, offset) => {
        // An offset into a larger buffer, so the word reads start unaligned.
        const backing = Buffer.alloc(offset + bytes.length);
        backing.set(bytes, offset);
        const buf = backing.subarray(offset);
        assert.equal(
          hasC1Byte(buf),
          bytes.some((b) => b >= 0x80 && b <= 0x9f),
        );
      }),
      { numRuns: 5000 },
    );
  });

  test("property: decodes as iconv-lite does", () => {
    fc.assert(
      fc.property(fc.array(byte, { maxLength: 40 }), fc.nat(3), (bytes, offset) => {
        const buf = Buffer.alloc(offset + bytes.length).subarray(offset);
        buf.set(bytes);
        // iconv-lite maps the 5 bytes Windows-1252 leaves undefined to U+FFFD; we keep them as C1.
        const expected = iconv
          .decode(buf, "windows-1252")
          .split("")
          .map((c, i) => (c === "\ufffd" ? String.fromCharCode(buf[i] as number) : c))
          .join("");
        assert.equal(decodeWindows1252(buf), expected);
      }),
      { numRuns: 2000 },
    );
  });

  test("every byte of 0x80-0x9F is found in a long buffer, at every offset", () => {
    const buf = Buffer.alloc(64, 0x41);
    for (let at = 0; at < 64; at++) {
      for (const b of [0x80, 0x93, 0x9f]) {
        buf[at] = b;
        assert.equal(hasC1Byte(buf), true, `byte ${b} at ${at}`);
        assert.equal(hasC1Byte(buf.subarray(1)), at >= 1, `byte ${b} at ${at}, offset 1`);
      }
      for (const b of [0x7f, 0xa0, 0xc0, 0xe0, 0xff]) {
        buf[at] = b;
        assert.equal(hasC1Byte(buf), false, `byte ${b} at ${at}`);
      }
      buf[at] = 0x41;
    }
  });
});
