import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { cnpj as cnpjReference, cpf as cpfReference } from "cpf-cnpj-validator";
import fc from "fast-check";
import { type DocumentResult, normalizeDocument } from "../../src/mailing/document.js";

const cpf = (value: string): DocumentResult => ({ ok: true, value, kind: "cpf" });
const cnpj = (value: string): DocumentResult => ({ ok: true, value, kind: "cnpj" });

function assertRejected(result: DocumentResult, messagePart: string): void {
  assert.equal(result.ok, false, `expected a rejection, got ${JSON.stringify(result)}`);
  if (result.ok) return;
  assert.equal(result.code, "DOCUMENTO_INVALIDO");
  assert.ok(
    result.message.includes(messagePart),
    `message "${result.message}" should include "${messagePart}"`,
  );
}

describe("normalizeDocument: shape (always)", () => {
  test("formatted and bare CPFs", () => {
    assert.deepEqual(normalizeDocument("123.456.789-09", false), cpf("12345678909"));
    assert.deepEqual(normalizeDocument("12345678909", false), cpf("12345678909"));
    assert.deepEqual(normalizeDocument(" 123 456 789 09 ", true), cpf("12345678909"));
  });

  test("formatted and bare CNPJs", () => {
    assert.deepEqual(normalizeDocument("11.222.333/0001-81", false), cnpj("11222333000181"));
    assert.deepEqual(normalizeDocument("11222333000181", true), cnpj("11222333000181"));
  });

  test("leading zeros dropped by spreadsheets are put back", () => {
    // CPF 000.000.001-91 saved as the number 191.
    assert.deepEqual(normalizeDocument("191", true), cpf("00000000191"));
    assert.deepEqual(normalizeDocument("1234567890", false), cpf("01234567890"));
    // CNPJ 01.234.567/0001-95 saved as a number: 13 digits, still a CNPJ.
    assert.deepEqual(normalizeDocument("1234567000195", false), cnpj("01234567000195"));
    // 12 characters is already a CNPJ.
    assert.deepEqual(normalizeDocument("123456789012", false), cnpj("00123456789012"));
  });

  test("11 characters is a CPF, 12 a CNPJ", () => {
    assert.equal(normalizeDocument("12345678901", false).ok && "cpf", "cpf");
    const twelve = normalizeDocument("123456789012", false);
    assert.ok(twelve.ok && twelve.kind === "cnpj");
  });

  test("alphanumeric CNPJ is upper-cased", () => {
    assert.deepEqual(normalizeDocument("12.ABC.345/01DE-35", false), cnpj("12ABC34501DE35"));
    assert.deepEqual(normalizeDocument("12.abc.345/01de-35", true), cnpj("12ABC34501DE35"));
  });

  test("more than 14 characters", () => {
    assertRejected(normalizeDocument("123456789012345", false), "15 caracteres");
    assertRejected(normalizeDocument("123.456.789-09 / 987.654.321-00", false), "22 caracteres");
  });

  test("a CPF with letters", () => {
    assertRejected(normalizeDocument("12ABC345678", false), "CPF com letras");
    assertRejected(normalizeDocument("CPF 123", false), "CPF com letras");
  });

  test("a CNPJ with a letter in the check digits", () => {
    assertRejected(normalizeDocument("12ABC34501DE3A", false), "dígitos verificadores");
    assertRejected(normalizeDocument("12ABC34501D3E5", false), "dígitos verificadores");
  });

  test("empty, no characters, zeros only", () => {
    assertRejected(normalizeDocument("", false), "sem dígitos");
    assertRejected(normalizeDocument(" .-/ ", true), "sem dígitos");
    assertRejected(normalizeDocument("000.000.000-00", false), "zerado");
    assertRejected(normalizeDocument("0", false), "zerado");
    assertRejected(normalizeDocument("00.000.000/0000-00", true), "zerado");
  });

  test("scientific notation from a spreadsheet", () => {
    assertRejected(normalizeDocument("1,23457E+10", false), "notação científica");
    assertRejected(normalizeDocument("1.12223E+13", true), "notação científica");
  });

  test("without sanitize check digits are not verified", () => {
    assert.deepEqual(normalizeDocument("12345678900", false), cpf("12345678900"));
    assert.deepEqual(normalizeDocument("11222333000199", false), cnpj("11222333000199"));
    assert.deepEqual(normalizeDocument("11111111111", false), cpf("11111111111"));
  });
});

describe("normalizeDocument: sanitize", () => {
  test("wrong CPF check digits", () => {
    assertRejected(normalizeDocument("123.456.789-00", true), "CPF com dígito verificador errado");
    assertRejected(normalizeDocument("123.456.789-19", true), "CPF com dígito verificador errado");
  });

  test("wrong CNPJ check digits, numeric and alphanumeric", () => {
    assertRejected(
      normalizeDocument("11.222.333/0001-80", true),
      "CNPJ com dígito verificador errado",
    );
    assertRejected(
      normalizeDocument("12.ABC.345/01DE-36", true),
      "CNPJ com dígito verificador errado",
    );
    // The letter's value counts: the same digits with another letter fail.
    assertRejected(
      normalizeDocument("12.ABD.345/01DE-35", true),
      "CNPJ com dígito verificador errado",
    );
  });

  test("the Receita Federal alphanumeric example passes", () => {
    assert.deepEqual(normalizeDocument("12.ABC.345/01DE-35", true), cnpj("12ABC34501DE35"));
  });

  test("all-same-digit documents are rejected even though their check digits add up", () => {
    for (let d = 1; d <= 9; d++) {
      const repeated = String(d).repeat(11);
      assert.ok(cpfReference.isValid(repeated) === false);
      assertRejected(normalizeDocument(repeated, true), "CPF com todos os dígitos iguais");
      assertRejected(
        normalizeDocument(String(d).repeat(14), true),
        "CNPJ com todos os dígitos iguais",
      );
    }
  });
});

// ---- properties ----

const ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const alnumBody = fc
  .array(fc.constantFrom(...ALNUM), { minLength: 12, maxLength: 12 })
  .map((chars) => chars.join(""));
const digitBody = (length: number) =>
  fc
    .array(fc.integer({ min: 0, max: 9 }), { minLength: length, maxLength: length })
    .map((d) => d.join(""));
const notAllSame = (value: string) => !/^(.)\1*$/.test(value);

/** A valid CNPJ built from a random body with the reference library's check digits. */
const validCnpj = alnumBody
  .map((body) => {
    const first = cnpjReference.verifierDigit(body);
    return `${body}${first}${cnpjReference.verifierDigit(`${body}${first}`)}`;
  })
  .filter(notAllSame);
const validCpf = digitBody(9)
  .map((body) => {
    const first = cpfReference.verifierDigit(body);
    return `${body}${first}${cpfReference.verifierDigit(`${body}${first}`)}`;
  })
  .filter(notAllSame);

/** Replaces check digit `position` (0 or 1 from the end) with a different digit. */
function changeCheckDigit(value: string, position: number, delta: number): string {
  const index = value.length - 2 + position;
  const changed = (Number(value[index]) + delta) % 10;
  return `${value.slice(0, index)}${changed}${value.slice(index + 1)}`;
}

describe("normalizeDocument: properties against cpf-cnpj-validator", () => {
  test("generated valid CPFs pass, formatted or not, and a changed check digit fails", () => {
    fc.assert(
      fc.property(
        validCpf,
        fc.integer({ min: 0, max: 1 }),
        fc.integer({ min: 1, max: 9 }),
        (value, position, delta) => {
          assert.deepEqual(normalizeDocument(value, true), cpf(value));
          assert.deepEqual(normalizeDocument(cpfReference.format(value), true), cpf(value));
          const broken = normalizeDocument(changeCheckDigit(value, position, delta), true);
          assert.equal(broken.ok, false, changeCheckDigit(value, position, delta));
        },
      ),
      { numRuns: 2000 },
    );
  });

  test("generated valid CNPJs (alphanumeric) pass, formatted or lower-case, and a changed check digit fails", () => {
    fc.assert(
      fc.property(
        validCnpj,
        fc.integer({ min: 0, max: 1 }),
        fc.integer({ min: 1, max: 9 }),
        (value, position, delta) => {
          assert.deepEqual(normalizeDocument(value, true), cnpj(value));
          assert.deepEqual(normalizeDocument(cnpjReference.format(value), true), cnpj(value));
          assert.deepEqual(normalizeDocument(value.toLowerCase(), true), cnpj(value));
          const broken = normalizeDocument(changeCheckDigit(value, position, delta), true);
          assert.equal(broken.ok, false, changeCheckDigit(value, position, delta));
        },
      ),
      { numRuns: 2000 },
    );
  });

  test("the library's own generators pass", () => {
    for (let i = 0; i < 500; i++) {
      const c = cpfReference.generate();
      assert.deepEqual(normalizeDocument(c, true), cpf(c));
      const j = cnpjReference.generate();
      assert.deepEqual(normalizeDocument(j, true), cnpj(j));
      assert.deepEqual(normalizeDocument(cnpjReference.generate(true), true).ok, true);
    }
  });

  test("on any 14-character CNPJ shape, sanitize accepts exactly what the library accepts", () => {
    const checkDigits = digitBody(2);
    const nearValid = fc
      .tuple(validCnpj, fc.integer({ min: 0, max: 13 }), fc.constantFrom(...ALNUM))
      .map(([v, i, c]) => `${v.slice(0, i)}${c}${v.slice(i + 1)}`)
      .filter((v) => /^[0-9A-Z]{12}[0-9]{2}$/.test(v));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.tuple(alnumBody, checkDigits).map(([b, d]) => b + d),
          nearValid,
        ),
        (value) => {
          const ours = normalizeDocument(value, true);
          assert.equal(ours.ok, cnpjReference.isValid(value), value);
        },
      ),
      { numRuns: 3000 },
    );
  });

  test("on any 11-digit string, sanitize accepts exactly what the library accepts", () => {
    fc.assert(
      fc.property(fc.oneof(digitBody(11), validCpf), (value) => {
        if (/^0+$/.test(value)) return; // zeros only: rejected by us as a placeholder
        assert.equal(normalizeDocument(value, true).ok, cpfReference.isValid(value), value);
      }),
      { numRuns: 3000 },
    );
  });

  test("dropping leading zeros does not change the result", () => {
    fc.assert(
      fc.property(fc.oneof(validCpf, validCnpj), fc.boolean(), (value, sanitize) => {
        const trimmed = value.replace(/^0+/, "");
        // A CNPJ that lost 3 or more zeros would look like a CPF: indistinguishable by design.
        if (value.length === 14 && trimmed.length <= 11) return;
        assert.deepEqual(normalizeDocument(trimmed, sanitize), normalizeDocument(value, sanitize));
      }),
      { numRuns: 2000 },
    );
  });

  test("never throws; every success has the canonical shape", () => {
    const anyText = fc.oneof(
      fc.string({ unit: "binary", maxLength: 30 }),
      fc.stringMatching(/^[0-9A-Za-z .\-/]{0,20}$/),
    );
    fc.assert(
      fc.property(anyText, fc.boolean(), (raw, sanitize) => {
        const result = normalizeDocument(raw, sanitize);
        if (!result.ok) {
          assert.ok(result.message.length > 0);
          return;
        }
        if (result.kind === "cpf") assert.match(result.value, /^[0-9]{11}$/);
        else assert.match(result.value, /^[0-9A-Z]{12}[0-9]{2}$/);
        assert.doesNotMatch(result.value, /^0+$/);
      }),
      { numRuns: 5000 },
    );
  });
});
