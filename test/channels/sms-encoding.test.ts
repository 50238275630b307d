/**
 * SMS encoding and segmentation: GSM-7 vs UCS-2, the 160/70 and 153/67
 * limits, and the round trip (reassembling the parts gives the text back),
 * checked on generated texts with fast-check and on known examples.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  chooseEncoding,
  decodeGsm7,
  decodeParts,
  encodeSms,
  MessageTooLongError,
  parseConcatUdh,
  segmentCount,
  splitText,
} from "../../src/channels/sms-encoding.js";

const GSM_BASIC = [
  ..."@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà",
];
const GSM_EXTENSION = [..."\f^{}\\[~]|€"];
const gsmChar = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...GSM_BASIC) },
  { weight: 1, arbitrary: fc.constantFrom(...GSM_EXTENSION) },
);
const gsmText = fc.array(gsmChar, { maxLength: 700 }).map((a) => a.join(""));
// Any Unicode text, emoji (surrogate pairs) and pt-BR accents made frequent.
const anyChar = fc.oneof(
  fc.constantFrom("á", "ã", "ç", "ê", "õ", "😀", "👍🏽", "€", "a", " ", "{"),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 }),
  fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
);
const anyText = fc.array(anyChar, { maxLength: 400 }).map((a) => a.join(""));

function septets(text: string): number {
  return [...text].reduce((n, c) => n + (GSM_EXTENSION.includes(c) ? 2 : 1), 0);
}

describe("SMS encoding", () => {
  test("GSM-7 for the default alphabet and its extension table, UCS-2 otherwise", () => {
    assert.equal(chooseEncoding("Sua fatura vence amanha. Pague em dia! R$ 10,00 {ok} €"), "gsm7");
    assert.equal(chooseEncoding("Olá, sua fatura vence amanhã"), "ucs2");
    assert.equal(chooseEncoding("ok 👍"), "ucs2");
    assert.equal(chooseEncoding(""), "gsm7");
  });

  test("the known limits: 160 / 153 septets, 70 / 67 UCS-2 characters", () => {
    assert.equal(segmentCount("a".repeat(160)), 1);
    assert.equal(segmentCount("a".repeat(161)), 2);
    assert.equal(segmentCount("a".repeat(306)), 2);
    assert.equal(segmentCount("a".repeat(307)), 3);
    // An extension character weighs two septets.
    assert.equal(segmentCount("€".repeat(80)), 1);
    assert.equal(segmentCount(`${"€".repeat(80)}a`), 2);
    assert.equal(segmentCount("ã".repeat(70)), 1);
    assert.equal(segmentCount("ã".repeat(71)), 2);
    assert.equal(segmentCount("ã".repeat(134)), 2);
    assert.equal(segmentCount("ã".repeat(135)), 3);
    assert.equal(segmentCount(""), 1);
  });

  test("a split never separates ESC from its character nor a surrogate pair", () => {
    // 152 septets then "€" (2 septets): the escape would straddle the boundary.
    const gsm = encodeSms(`${"a".repeat(152)}€${"b".repeat(10)}`, 1);
    assert.equal(gsm.parts[0]?.payload.length, 152);
    assert.deepEqual([...(gsm.parts[1]?.payload ?? [])], [0x1b, 0x65, ...Array(10).fill(0x62)]);
    // 66 code units then an emoji (2 code units) on the 67-unit boundary.
    const ucs = encodeSms(`${"ã".repeat(66)}😀${"ã".repeat(10)}`, 2);
    assert.equal(ucs.parts[0]?.payload.length, 132);
    assert.equal(ucs.parts[1]?.payload.readUInt16BE(0), 0xd83d);
  });

  test("the concatenation UDH: 8-bit reference, total and 1-based sequence", () => {
    const sms = encodeSms("x".repeat(400), 300);
    assert.equal(sms.segments, 3);
    sms.parts.forEach((p, k) => {
      assert.deepEqual(parseConcatUdh(p.shortMessage), {
        reference: 300 & 0xff,
        total: 3,
        sequence: k + 1,
      });
    });
    assert.equal(encodeSms("curta", 9).parts[0]?.udh, null);
  });

  test("more than 255 parts is refused", () => {
    assert.throws(() => encodeSms("a".repeat(153 * 255 + 1), 1), MessageTooLongError);
    assert.equal(encodeSms("a".repeat(153 * 255), 1).segments, 255);
  });

  test("property: GSM-7 texts round-trip and count septets", () => {
    fc.assert(
      fc.property(gsmText, fc.integer({ min: 0, max: 255 }), (text, ref) => {
        assert.equal(chooseEncoding(text), "gsm7");
        const sms = encodeSms(text, ref);
        assert.equal(sms.dataCoding, 0);
        assert.equal(
          decodeParts(
            sms.dataCoding,
            sms.parts.map((p) => p.shortMessage),
          ),
          text,
        );
        const total = septets(text);
        const expected = total <= 160 ? 1 : Math.ceil(total / 153);
        // Never more than the naive count plus the parts an escape pushed over.
        assert.ok(sms.segments >= expected && sms.segments <= expected + Math.floor(total / 153));
        for (const p of sms.parts) {
          assert.ok(p.payload.length <= (sms.segments === 1 ? 160 : 153));
          assert.notEqual(p.payload[p.payload.length - 1], 0x1b, "ESC at the end of a part");
          assert.ok(p.shortMessage.length <= 160);
        }
        if (total <= 160) assert.equal(sms.segments, 1);
      }),
      { numRuns: 300 },
    );
  });

  test("property: any text round-trips, whatever its encoding, in parts of the right size", () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: 0, max: 255 }), (text, ref) => {
        const sms = encodeSms(text, ref);
        assert.equal(
          decodeParts(
            sms.dataCoding,
            sms.parts.map((p) => p.shortMessage),
          ),
          text,
        );
        assert.equal(splitText(text).join(""), text);
        assert.equal(segmentCount(text), sms.segments);
        if (sms.encoding === "ucs2") {
          if (text.length <= 70) assert.equal(sms.segments, 1);
          else assert.ok(sms.segments >= Math.ceil(text.length / 67));
          for (const p of sms.parts) {
            assert.ok(p.payload.length <= (sms.segments === 1 ? 140 : 134));
          }
        }
        // Every part fits in an SMS: 140 octets (GSM-7 counted in septets).
        for (const p of sms.parts) {
          const octets =
            sms.encoding === "gsm7"
              ? (p.udh?.length ?? 0) + Math.ceil((p.payload.length * 7) / 8)
              : p.shortMessage.length;
          assert.ok(octets <= 140, `part of ${octets} octets`);
        }
      }),
      { numRuns: 300 },
    );
  });

  test("property: no part of a UCS-2 text splits a surrogate pair", () => {
    const emojiText = fc
      .array(fc.constantFrom("😀", "a", "ã", "👍🏽", "🇧🇷"), { minLength: 60, maxLength: 300 })
      .map((a) => a.join(""));
    fc.assert(
      fc.property(emojiText, (text) => {
        for (const part of splitText(text)) {
          const first = part.charCodeAt(0);
          assert.ok(!(first >= 0xdc00 && first <= 0xdfff), "part starts with a low surrogate");
          const last = part.charCodeAt(part.length - 1);
          assert.ok(!(last >= 0xd800 && last <= 0xdbff), "part ends with a high surrogate");
        }
      }),
    );
  });

  test("decodeGsm7 reads an unknown extension code as its basic character", () => {
    assert.equal(decodeGsm7(Uint8Array.from([0x1b, 0x41, 0x42])), "AB");
  });
});
