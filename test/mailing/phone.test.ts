import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { parsePhoneNumberFromString } from "libphonenumber-js/max";
import { BRAZIL_DDDS, isValidDdd } from "../../src/mailing/ddd.js";
import { normalizePhone, type PhoneResult } from "../../src/mailing/phone.js";

const ok = (value: string, kind: "mobile" | "landline" | "unknown"): PhoneResult => ({
  ok: true,
  value,
  kind,
});

/** An 8-digit mobile that sanitisation gave the 9th digit (marked so reports can count it). */
const ninth = (value: string): PhoneResult => ({
  ok: true,
  value,
  kind: "mobile",
  ninthDigit: true,
});

function assertRejected(result: PhoneResult, code: string, messagePart: string): void {
  assert.equal(result.ok, false, `expected a rejection, got ${JSON.stringify(result)}`);
  if (result.ok) return;
  assert.equal(result.code, code);
  assert.ok(
    result.message.includes(messagePart),
    `message "${result.message}" should include "${messagePart}"`,
  );
}

describe("isValidDdd", () => {
  test("accepts exactly Brazil's 67 area codes", () => {
    const valid = [];
    for (let ddd = -5; ddd < 120; ddd++) if (isValidDdd(ddd)) valid.push(ddd);
    assert.equal(valid.length, 67);
    assert.deepEqual(valid, [...BRAZIL_DDDS]);
  });

  test("rejects the codes never assigned", () => {
    for (const ddd of [
      10, 20, 23, 25, 26, 29, 30, 36, 39, 40, 50, 52, 56, 57, 58, 59, 60, 70, 72,
    ]) {
      assert.equal(isValidDdd(ddd), false, `DDD ${ddd}`);
    }
    for (const ddd of [76, 78, 80, 90, 0, 1, 100, 11.5, Number.NaN]) {
      assert.equal(isValidDdd(ddd), false, `DDD ${ddd}`);
    }
  });

  test("accepts one code from every state", () => {
    for (const ddd of [11, 21, 27, 31, 41, 48, 51, 55, 61, 62, 63, 65, 67, 68, 69, 71, 79]) {
      assert.equal(isValidDdd(ddd), true, `DDD ${ddd}`);
    }
    for (const ddd of [81, 82, 83, 84, 85, 86, 91, 92, 95, 96, 98]) {
      assert.equal(isValidDdd(ddd), true, `DDD ${ddd}`);
    }
  });
});

describe("normalizePhone: prefixes removed by length", () => {
  const cases: [string, string, PhoneResult][] = [
    ["formatted mobile", "(11) 98765-4321", ok("11987654321", "mobile")],
    ["bare mobile, returned as is", "11987654321", ok("11987654321", "mobile")],
    ["bare landline", "1134567890", ok("1134567890", "landline")],
    ["+55 with spaces", "+55 11 98765 4321", ok("11987654321", "mobile")],
    ["55 without + (13 digits)", "5511987654321", ok("11987654321", "mobile")],
    ["55 + landline (12 digits)", "551134567890", ok("1134567890", "landline")],
    ["trunk 0 + DDD + mobile (12 digits)", "011987654321", ok("11987654321", "mobile")],
    ["trunk 0 + DDD + landline (11 digits)", "0 11 3456-7890", ok("1134567890", "landline")],
    ["0 + carrier 21 + mobile (14 digits)", "0 21 11 987654321", ok("11987654321", "mobile")],
    ["0 + carrier 15 + landline (13 digits)", "0 15 21 3456-7890", ok("2134567890", "landline")],
    ["0xx written for the carrier", "(0xx11) 3456-7890", ok("1134567890", "landline")],
    ["0XX written for the carrier", "0XX21 98765-4321", ok("21987654321", "mobile")],
    ["DDD 55 mobile keeps its 55 (11 digits)", "55 99876-5432", ok("55998765432", "mobile")],
    ["DDD 55 landline keeps its 55 (10 digits)", "(55) 3222-1234", ok("5532221234", "landline")],
    ["+55 then DDD 55", "+55 55 99876-5432", ok("55998765432", "mobile")],
    ["55 then DDD 55 (13 digits)", "5555998765432", ok("55998765432", "mobile")],
    ["+55 then trunk 0", "+55 (011) 98765-4321", ok("11987654321", "mobile")],
    ["dots as separators", "11.98765.4321", ok("11987654321", "mobile")],
    ["label before the number", "Cel: (21) 99999-8888", ok("21999998888", "mobile")],
    ["surrounding blanks", "  11987654321\t", ok("11987654321", "mobile")],
    [
      "extension after the number is dropped",
      "11 3456-7890 ramal 12",
      ok("1134567890", "landline"),
    ],
    ["extension with x", "(11) 3456-7890 x123", ok("1134567890", "landline")],
    ["extension with #", "1134567890#5", ok("1134567890", "landline")],
  ];
  for (const [name, raw, expected] of cases) {
    test(`${name}: ${JSON.stringify(raw)}`, () => {
      assert.deepEqual(normalizePhone(raw, false), expected);
    });
  }

  test("12 digits starting with 55 is country code + landline, not DDD 55 + 10 digits", () => {
    assert.deepEqual(normalizePhone("551187654321", false), ok("1187654321", "unknown"));
    // With sanitize the 8-digit number starting with 8 is an old mobile.
    assert.deepEqual(normalizePhone("551187654321", true), ninth("11987654321"));
  });

  test("an 11-digit number starting with 0 loses only the 0", () => {
    assert.deepEqual(normalizePhone("01187654321", false), ok("1187654321", "unknown"));
  });
});

describe("normalizePhone: kind", () => {
  test("9 digits starting with 9 is mobile", () => {
    assert.equal(normalizePhone("31 91234-5678", false).ok && "mobile", "mobile");
    assert.deepEqual(normalizePhone("31912345678", false), ok("31912345678", "mobile"));
  });

  test("8 digits starting with 2 to 5 is landline", () => {
    for (const first of ["2", "3", "4", "5"]) {
      const raw = `61${first}1234567`;
      assert.deepEqual(normalizePhone(raw, false), ok(raw, "landline"));
      assert.deepEqual(normalizePhone(raw, true), ok(raw, "landline"));
    }
  });

  test("without sanitize, other shapes are kept with unknown kind", () => {
    assert.deepEqual(normalizePhone("1187654321", false), ok("1187654321", "unknown"));
    assert.deepEqual(normalizePhone("1167654321", false), ok("1167654321", "unknown"));
    assert.deepEqual(normalizePhone("1112345678", false), ok("1112345678", "unknown"));
    assert.deepEqual(normalizePhone("11887654321", false), ok("11887654321", "unknown"));
  });

  test("without sanitize an unassigned DDD is kept", () => {
    assert.deepEqual(normalizePhone("(20) 98765-4321", false), ok("20987654321", "mobile"));
  });
});

describe("normalizePhone: sanitize", () => {
  test("an 8-digit number starting with 6 to 9 gets the 9th digit", () => {
    assert.deepEqual(normalizePhone("11 8765-4321", true), ninth("11987654321"));
    assert.deepEqual(normalizePhone("(21) 6123-4567", true), ninth("21961234567"));
    assert.deepEqual(normalizePhone("0 85 7123 4567", true), ninth("85971234567"));
    assert.deepEqual(normalizePhone("+55 47 9988-7766", true), ninth("47999887766"));
  });

  test("an unassigned DDD is DDD_INVALIDO, naming the DDD", () => {
    assertRejected(normalizePhone("(20) 98765-4321", true), "DDD_INVALIDO", "DDD 20");
    assertRejected(normalizePhone("2334567890", true), "DDD_INVALIDO", "DDD 23");
    assertRejected(normalizePhone("90 98765-4321", true), "DDD_INVALIDO", "DDD 90");
  });

  test("numbers the numbering plan cannot hold are rejected", () => {
    assertRejected(
      normalizePhone("11 88765-4321", true),
      "TELEFONE_INVALIDO",
      "9 dígitos começando com 8",
    );
    assertRejected(
      normalizePhone("11 1234-5678", true),
      "TELEFONE_INVALIDO",
      "8 dígitos começando com 1",
    );
    assertRejected(
      normalizePhone("11 0234-5678", true),
      "TELEFONE_INVALIDO",
      "8 dígitos começando com 0",
    );
  });

  test("mobiles and landlines pass unchanged", () => {
    assert.deepEqual(normalizePhone("(11) 98765-4321", true), ok("11987654321", "mobile"));
    assert.deepEqual(normalizePhone("(11) 3456-7890", true), ok("1134567890", "landline"));
  });
});

describe("normalizePhone: rejections say the specific problem", () => {
  test("too few digits", () => {
    assertRejected(
      normalizePhone("876-4321", false),
      "TELEFONE_INVALIDO",
      "Telefone com 7 dígitos: informe DDD + número (10 ou 11 dígitos)",
    );
    assertRejected(normalizePhone("5", false), "TELEFONE_INVALIDO", "com 1 dígito:");
  });

  test("a number without DDD says the DDD is missing", () => {
    assertRejected(normalizePhone("98765-4321", false), "TELEFONE_INVALIDO", "falta o DDD");
    assertRejected(normalizePhone("3456-7890", true), "TELEFONE_INVALIDO", "falta o DDD");
    assertRejected(normalizePhone("+55 98765-4321", false), "TELEFONE_INVALIDO", "+55 mas sem DDD");
  });

  test("too many digits", () => {
    assertRejected(normalizePhone("119876543210", false), "TELEFONE_INVALIDO", "com 12 dígitos");
    assertRejected(normalizePhone("0119876543210000", false), "TELEFONE_INVALIDO", "16 dígitos");
    assertRejected(
      normalizePhone("11 98765-4321 / 11 3456-7890", false),
      "TELEFONE_INVALIDO",
      "um telefone por campo",
    );
  });

  test("prefixes are not removed at lengths where they do not fit", () => {
    // 11 digits starting with 55 are too short for the country-code rule: DDD 55 + 9 digits.
    assert.deepEqual(normalizePhone("55113456789", false), ok("55113456789", "unknown"));
    assertRejected(normalizePhone("55113456789", true), "TELEFONE_INVALIDO", "começando com 1");
    // 14 digits starting with 55 are not country code + 12 digits.
    assertRejected(normalizePhone("55119876543210", false), "TELEFONE_INVALIDO", "14 dígitos");
    // 15 digits starting with 0.
    assertRejected(normalizePhone("021119876543210", false), "TELEFONE_INVALIDO", "15 dígitos");
  });

  test("a spreadsheet that dropped the trunk 0 before a carrier code is not guessed", () => {
    // "0 21 11 98765-4321" saved as a number: 21 11 987654321. Could be anything.
    assertRejected(normalizePhone("2111987654321", false), "TELEFONE_INVALIDO", "13 dígitos");
  });

  test("a spreadsheet that dropped the trunk 0 before the DDD is simply the national number", () => {
    assert.deepEqual(normalizePhone("11987654321", true), ok("11987654321", "mobile"));
  });

  test("a leading 0 that forms no prefix", () => {
    assertRejected(normalizePhone("0187654321", false), "TELEFONE_INVALIDO", "começa com 0");
    assertRejected(normalizePhone("0 98765-4321", true), "TELEFONE_INVALIDO", "começa com 0");
  });

  test("00 is international dialing, not trunk 0 + carrier", () => {
    assertRejected(
      normalizePhone("00 14 49 2010 0000", false),
      "TELEFONE_INVALIDO",
      "discagem internacional",
    );
    assertRejected(
      normalizePhone("0055 11 98765-4321", true),
      "TELEFONE_INVALIDO",
      "discagem internacional",
    );
    assertRejected(
      normalizePhone("00 11 98765-4321", false),
      "TELEFONE_INVALIDO",
      "discagem internacional",
    );
  });

  test("scientific notation from a spreadsheet", () => {
    assertRejected(normalizePhone("1,19877E+10", false), "TELEFONE_INVALIDO", "notação científica");
    assertRejected(normalizePhone("5.51199E+12", true), "TELEFONE_INVALIDO", "notação científica");
  });

  test("letters in the middle of the digits", () => {
    assertRejected(
      normalizePhone("11 98765 ramal 4321", false),
      "TELEFONE_INVALIDO",
      "texto no meio",
    );
    assertRejected(normalizePhone("1198O654321", false), "TELEFONE_INVALIDO", "texto no meio");
  });

  test("a foreign country code", () => {
    assertRejected(
      normalizePhone("+1 212 555 1234", false),
      "TELEFONE_INVALIDO",
      "diferente de +55",
    );
    assertRejected(
      normalizePhone("+351 912 345 678", true),
      "TELEFONE_INVALIDO",
      "diferente de +55",
    );
  });

  test("empty and digitless input", () => {
    assertRejected(normalizePhone("", false), "TELEFONE_INVALIDO", "Telefone vazio");
    assertRejected(normalizePhone("   ", true), "TELEFONE_INVALIDO", "Telefone vazio");
    assertRejected(normalizePhone("não tem", false), "TELEFONE_INVALIDO", "sem dígitos");
    assertRejected(normalizePhone("(  ) -", false), "TELEFONE_INVALIDO", "sem dígitos");
  });
});

// ---- properties ----

const ddd = fc.constantFrom(...BRAZIL_DDDS).map(String);
const digitString = (length: number) =>
  fc
    .array(fc.integer({ min: 0, max: 9 }), { minLength: length, maxLength: length })
    .map((d) => d.join(""));
const mobile = digitString(8).map((rest) => `9${rest}`);
const landline = fc
  .tuple(fc.integer({ min: 2, max: 5 }), digitString(7))
  .map(([f, r]) => `${f}${r}`);
/** Carrier codes libphonenumber's BR metadata strips after a trunk 0, plus any two digits. */
const carrier = fc.oneof(
  fc.constantFrom("12", "14", "15", "21", "22", "23", "25", "31", "41", "43", "55", "65", "99"),
  // Carrier codes never start with 0 ("00" is the international dialing prefix).
  fc
    .tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 9 }))
    .map(([a, b]) => `${a}${b}`),
);
const separator = fc.constantFrom("", " ", "-", ".", "  ");
const prefix = fc.oneof(
  fc.constant(""),
  fc.constant("+55 "),
  fc.constant("+55"),
  fc.constant("55"),
  fc.constant("55 "),
  fc.constant("0"),
  fc.constant("0 "),
  carrier.map((c) => `0${c}`),
  carrier.map((c) => `0 ${c} `),
);

/** A Brazilian number written the many ways people write it. */
function formatted(subscriber: fc.Arbitrary<string>) {
  return fc
    .record({
      prefix,
      ddd,
      subscriber,
      parens: fc.boolean(),
      sep1: separator,
      sep2: separator,
      split: fc.boolean(),
    })
    .map((p) => {
      const area = p.parens ? `(${p.ddd})` : p.ddd;
      const cut = p.subscriber.length - 4;
      const number = p.split
        ? `${p.subscriber.slice(0, cut)}${p.sep2}${p.subscriber.slice(cut)}`
        : p.subscriber;
      return { text: `${p.prefix}${area}${p.sep1}${number}`, national: `${p.ddd}${p.subscriber}` };
    });
}

const libKind = { MOBILE: "mobile", FIXED_LINE: "landline" } as const;

describe("normalizePhone agrees with libphonenumber-js (max metadata)", () => {
  test("on generated mobiles and landlines with every kind of formatting", () => {
    let compared = 0;
    let runs = 0;
    fc.assert(
      fc.property(formatted(fc.oneof(mobile, landline)), fc.boolean(), ({ text }, sanitize) => {
        runs++;
        const lib = parsePhoneNumberFromString(text, "BR");
        const type = lib?.getType();
        if (!lib?.isValid() || (type !== "MOBILE" && type !== "FIXED_LINE")) return;
        compared++;
        const ours = normalizePhone(text, sanitize);
        assert.deepEqual(ours, { ok: true, value: lib.nationalNumber, kind: libKind[type] }, text);
      }),
      { numRuns: 3000 },
    );
    // Guard against a vacuous property: libphonenumber must accept most generated numbers
    // (it rejects only some unassigned ranges and carrier codes it does not know).
    assert.ok(compared > runs * 0.6, `only ${compared} of ${runs} numbers were compared`);
  });

  test("our result is the generated national number whenever the prefix is well formed", () => {
    fc.assert(
      fc.property(
        formatted(fc.oneof(mobile, landline)),
        fc.boolean(),
        ({ text, national }, sanitize) => {
          const ours = normalizePhone(text, sanitize);
          assert.equal(ours.ok && ours.value, national, text);
        },
      ),
      { numRuns: 2000 },
    );
  });

  test("on arbitrary 8- and 9-digit subscribers, except the documented differences", () => {
    const anySubscriber = fc.oneof(digitString(8), digitString(9));
    fc.assert(
      fc.property(formatted(anySubscriber), fc.boolean(), ({ text, national }, sanitize) => {
        const lib = parsePhoneNumberFromString(text, "BR");
        const type = lib?.getType();
        if (!lib?.isValid() || (type !== "MOBILE" && type !== "FIXED_LINE")) return;
        // Intentional difference: libphonenumber still classifies 8-digit numbers starting
        // with 7 (the old Nextel radio range) as MOBILE. SPEC §5 calls them unknown, and with
        // sanitize they get the 9th digit like every other 8-digit number starting with 6–9.
        if (national.length === 10 && national[2] === "7") {
          const ours = normalizePhone(text, sanitize);
          const expected = sanitize
            ? ninth(`${national.slice(0, 2)}9${national.slice(2)}`)
            : { ok: true, value: national, kind: "unknown" };
          assert.deepEqual(ours, expected, text);
          return;
        }
        const ours = normalizePhone(text, sanitize);
        assert.deepEqual(ours, { ok: true, value: lib.nationalNumber, kind: libKind[type] }, text);
      }),
      { numRuns: 3000 },
    );
  });
});

describe("normalizePhone: general properties", () => {
  test("never throws, and every success is DDD + 8 or 9 digits with a consistent kind", () => {
    const anyText = fc.oneof(
      fc.string({ unit: "binary", maxLength: 40 }),
      fc.stringMatching(/^[0-9 ()+\-.a-zA-Z#]{0,30}$/),
      fc
        .array(fc.constantFrom("0", "5", "9", "+", " ", "(", ")", "-", "E", "x"), { maxLength: 20 })
        .map((a) => a.join("")),
    );
    fc.assert(
      fc.property(anyText, fc.boolean(), (raw, sanitize) => {
        const result = normalizePhone(raw, sanitize);
        if (!result.ok) {
          assert.ok(result.message.length > 0);
          assert.ok(result.code === "TELEFONE_INVALIDO" || result.code === "DDD_INVALIDO");
          return;
        }
        assert.match(result.value, /^[1-9][0-9]{9,10}$/);
        const subscriber = result.value.slice(2);
        if (result.kind === "mobile") assert.match(subscriber, /^9[0-9]{8}$/);
        if (result.kind === "landline") assert.match(subscriber, /^[2-5][0-9]{7}$/);
        if (sanitize) {
          assert.notEqual(result.kind, "unknown");
          assert.ok(isValidDdd(Number(result.value.slice(0, 2))));
        }
      }),
      { numRuns: 5000 },
    );
  });

  test("sanitize only narrows: what it accepts, the plain mode accepts with the same DDD", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9 ()+-]{8,20}$/), (raw) => {
        const strict = normalizePhone(raw, true);
        if (!strict.ok) return;
        const plain = normalizePhone(raw, false);
        assert.ok(plain.ok, raw);
        if (!plain.ok) return;
        if (plain.value.length === strict.value.length) assert.deepEqual(plain, strict);
        else assert.equal(`${plain.value.slice(0, 2)}9${plain.value.slice(2)}`, strict.value);
      }),
      { numRuns: 3000 },
    );
  });

  test("the result does not depend on separators", () => {
    fc.assert(
      fc.property(
        digitString(11),
        fc.array(separator, { minLength: 12, maxLength: 12 }),
        (digits, seps) => {
          let text = "";
          for (let i = 0; i < digits.length; i++) text += seps[i]! + digits[i]!;
          assert.deepEqual(normalizePhone(text, true), normalizePhone(digits, true));
          assert.deepEqual(normalizePhone(text, false), normalizePhone(digits, false));
        },
      ),
    );
  });
});
