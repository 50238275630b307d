/**
 * normalizeColumnName (src/mailing/header.ts): the same answer whether the
 * name was seen before (its memo) or not, for short and long names, and more
 * names than the memo keeps.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { normalizeColumnName } from "../../src/mailing/header.js";

/** The rule itself, written out: accents off, only letters and digits, upper case. */
function expected(name: string): string {
  return name
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^A-Za-z0-9]+/g, "")
    .toUpperCase();
}

test("known names normalize as documented", () => {
  assert.equal(normalizeColumnName("Nome do Cliente"), "NOMEDOCLIENTE");
  assert.equal(normalizeColumnName("CPF/CNPJ"), "CPFCNPJ");
  assert.equal(normalizeColumnName("E-mail."), "EMAIL");
  assert.equal(normalizeColumnName("Situação_Atual"), "SITUACAOATUAL");
});

test("asked again, before and after the memo is full, the answer is the same", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(fc.string({ maxLength: 20 }), fc.string({ minLength: 129, maxLength: 400 })),
        {
          minLength: 1,
          maxLength: 50,
        },
      ),
      (names) => {
        for (const name of names) assert.equal(normalizeColumnName(name), expected(name));
        for (const name of names) assert.equal(normalizeColumnName(name), expected(name));
      },
    ),
    { numRuns: 200 },
  );
  // More distinct names than the memo keeps (4,096), then the first ones again.
  for (let i = 0; i < 5000; i++) normalizeColumnName(`Coluna ${i} ção`);
  assert.equal(normalizeColumnName("Coluna 1 ção"), "COLUNA1CAO");
  assert.equal(normalizeColumnName("Coluna 4999 ção"), "COLUNA4999CAO");
});
