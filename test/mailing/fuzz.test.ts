import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { LONG_HEADER, readAll, tempFile } from "./helpers.js";

const FILE_CODES = new Set([
  "ARQUIVO_VAZIO",
  "ARQUIVO_ILEGIVEL",
  "COLUNAS_OBRIGATORIAS",
  "SEM_LINHAS_VALIDAS",
  "REJEICAO_EXCESSIVA",
  "ARQUIVO_GRANDE",
  "ZIP_INVALIDO",
  "ZIP_PERIGOSO",
  "ZIP_SEM_MAILING",
  "LINHA_LONGA",
  "COLUNAS_DEMAIS",
]);

/** Every outcome is either accepted rows or a known file-level error; counts are consistent. */
async function checkOutcome(bytes: Uint8Array, ext: "csv" | "zip", sanitize: boolean) {
  const { summary, persons, rejected } = await readAll(tempFile(Buffer.from(bytes), ext), {
    sanitize,
  });
  if (summary.ok) {
    assert.ok(summary.persons > 0);
    assert.equal(summary.errors.length, 0);
  } else {
    assert.ok(summary.errors.length > 0);
    for (const e of summary.errors) {
      assert.ok(FILE_CODES.has(e.code), e.code);
      assert.ok(e.message.length > 20);
    }
  }
  assert.equal(persons.length, summary.persons);
  assert.ok(summary.rejectedRows <= summary.rows);
  assert.ok(rejected.length >= summary.rejectedRows);
}

describe("readMailing never crashes or hangs on arbitrary input", () => {
  test("arbitrary bytes as .csv", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2000 }), fc.boolean(), (bytes, sanitize) =>
        checkOutcome(bytes, "csv", sanitize),
      ),
      { numRuns: 200 },
    );
  });

  test("arbitrary bytes after a valid header", async () => {
    const header = Buffer.from(`${LONG_HEADER}\r\n`);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 3000 }), fc.boolean(), (bytes, sanitize) =>
        checkOutcome(Buffer.concat([header, bytes]), "csv", sanitize),
      ),
      { numRuns: 200 },
    );
  });

  test("CSV-like text made of the characters that matter", async () => {
    const unit = fc.constantFrom(
      ";",
      ",",
      '"',
      "\n",
      "\r",
      "TELEFONE",
      "EMAIL",
      "11987654321",
      "a@b.c",
      "ç",
      " ",
      "x",
    );
    await fc.assert(
      fc.asyncProperty(fc.string({ unit, maxLength: 300 }), fc.boolean(), (text, sanitize) =>
        checkOutcome(
          Buffer.from(`TIPO_DE_REGISTRO;VALOR_DO_REGISTRO;CODCLIENTE\n${text}`),
          "csv",
          sanitize,
        ),
      ),
      { numRuns: 300 },
    );
  });

  test("arbitrary bytes as .zip", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 1000 }), (bytes) =>
        checkOutcome(bytes, "zip", false),
      ),
      { numRuns: 100 },
    );
  });
});
