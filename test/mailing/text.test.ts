import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import iconv from "iconv-lite";
import { decodeWindows1252, hasC1Byte, hasC1ByteScalar } from "../../src/mailing/text.js";

/** Bytes biased towards the interesting ones: 0x80–0x9F and their neighbours 0x7F, 0xA0, 0xC0. */
const byte = fc.oneof(
  fc.integer({ min: 0, max: 255 }),
  fc.integer({ min: 0x7e, max: 0xa1 }),
  fc.constantFrom(0x20, 0x41, 0xc0, 0xe9, 0xff),
);

describe("Windows-1252", () => {
  test("the 0x80-0x9F check runs on WebAssembly SIMD (Node >= 16 has it)", () => {
    assert.notEqual(hasC1Byte, hasC1ByteScalar);
  });

  for (const [name, check] of [
    ["hasC1Byte", hasC1Byte],
    ["hasC1ByteScalar", hasC1ByteScalar],
  ] as const) {
    test(`property: ${name} finds a byte in 0x80-0x9F at any position and alignment`, () => {
      fc.assert(
        fc.property(fc.array(byte, { maxLength: 80 }), fc.nat(7), (bytes, offset) => {
          // An offset into a larger buffer, so the word reads start unaligned.
          const backing = Buffer.alloc(offset + bytes.length);
          backing.set(bytes, offset);
          const buf = backing.subarray(offset);
          assert.equal(
            check(buf),
            bytes.some((b) => b >= 0x80 && b <= 0x9f),
          );
        }),
        { numRuns: 5000 },
      );
    });

    test(`${name}: every byte of 0x80-0x9F is found in a long buffer, at every offset`, () => {
      const buf = Buffer.alloc(64, 0x41);
      for (let at = 0; at < 64; at++) {
        for (const b of [0x80, 0x93, 0x9f]) {
          buf[at] = b;
          assert.equal(check(buf), true, `byte ${b} at ${at}`);
          assert.equal(check(buf.subarray(1)), at >= 1, `byte ${b} at ${at}, offset 1`);
        }
        for (const b of [0x7f, 0xa0, 0xc0, 0xe0, 0xff]) {
          buf[at] = b;
          assert.equal(check(buf), false, `byte ${b} at ${at}`);
        }
        buf[at] = 0x41;
      }
    });
  }

  test("hasC1Byte: a buffer larger than any before, then a smaller one (nothing left over)", () => {
    const big = Buffer.alloc(300_000, 0x41);
    big[299_999] = 0x85;
    assert.equal(hasC1Byte(big), true);
    assert.equal(hasC1Byte(big.subarray(0, 299_999)), false);
    assert.equal(hasC1Byte(Buffer.alloc(0)), false);
    assert.equal(hasC1Byte(Buffer.from([0x9f])), true);
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
});
