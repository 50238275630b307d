/**
 * The reader's shortcut for another contact of the person being built (person fields written
 * exactly as in the row merged last) must give what the full path gives. The full path is forced
 * by a header that puts a person column before the value column, which disables the shortcut.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { readText } from "./helpers.js";

/** Column order of the shortcut (person fields last) and one that interleaves them. */
const SHORTCUT = [
  "TIPO",
  "VALOR",
  "MENSAGEM",
  "NOME",
  "CPFCNPJ",
  "CODCLIENTE",
  "TAG",
  "CORINGA1",
  "PRIORIDADE",
  "EXTRA",
];
const FULL = [
  "TIPO",
  "NOME",
  "VALOR",
  "MENSAGEM",
  "CPFCNPJ",
  "CODCLIENTE",
  "TAG",
  "CORINGA1",
  "PRIORIDADE",
  "EXTRA",
];
const NAMES: Record<string, string> = {
  TIPO: "TIPO_DE_REGISTRO",
  VALOR: "VALOR_DO_REGISTRO",
  NOME: "NOME_CLIENTE",
};

type Row = Record<string, string>;

function render(rows: Row[], order: string[]): string {
  const lines = [order.map((c) => NAMES[c] ?? c).join(";")];
  for (const r of rows) lines.push(order.map((c) => r[c] ?? "").join(";"));
  return `${lines.join("\r\n")}\r\n`;
}

async function outcome(rows: Row[], order: string[], sanitize: boolean) {
  const r = await readText(render(rows, order), {
    sanitize,
    batchSize: 2,
    isRestricted: (_kind, value) => value.endsWith("0000"),
  });
  return {
    persons: r.persons,
    rejected: r.rejected.map((x) => [x.line, x.code, x.message]),
    counts: [
      r.summary.rows,
      r.summary.persons,
      r.summary.rejectedRows,
      r.summary.channels,
      r.summary.rejected,
    ],
  };
}

const row = fc.record({
  TIPO: fc.constantFrom("CELULAR", "EMAIL", "TELEFONE", "FAX"),
  VALOR: fc.constantFrom(
    "11987654321",
    "(11) 98765-4321",
    "21987650000",
    "ana@x.com.br",
    "",
    "119876543",
  ),
  MENSAGEM: fc.constantFrom("", "", "oi [NOME_CLIENTE]", '"diz ""oi"""'),
  NOME: fc.constantFrom("Ana", " Ana", "Bia", "", '"Ana"'),
  CPFCNPJ: fc.constantFrom("52998224725", "", "11144477735", "123"),
  CODCLIENTE: fc.constantFrom("C1", "C2", "", " C1"),
  TAG: fc.constantFrom("vip", "", "novo"),
  CORINGA1: fc.constantFrom("a", "", "b"),
  PRIORIDADE: fc.constantFrom("ALTA", "", "2", "urgente"),
  EXTRA: fc.constantFrom("e", "", "f"),
});

describe("reader: another contact of the person being built", () => {
  test("rows repeating the person fields add contacts, duplicates and restrictions as usual", async () => {
    const person = {
      NOME: "Ana",
      CPFCNPJ: "52998224725",
      CODCLIENTE: "C1",
      TAG: "vip",
      CORINGA1: "a",
      PRIORIDADE: "1",
    };
    const rows: Row[] = [
      { TIPO: "CELULAR", VALOR: "11987654321", MENSAGEM: "", ...person },
      { TIPO: "EMAIL", VALOR: "ana@x.com.br", MENSAGEM: '"oi ""Ana"""', ...person },
      { TIPO: "CELULAR", VALOR: "(11) 98765-4321", MENSAGEM: "", ...person }, // duplicate
      { TIPO: "TELEFONE", VALOR: "1132540000", MENSAGEM: "", ...person }, // restricted
      { TIPO: "TELEFONE", VALOR: "1132541111", MENSAGEM: "", ...person, TAG: "novo" },
      { TIPO: "EMAIL", VALOR: "ana2@x.com.br", MENSAGEM: "", ...person, TAG: "novo" },
    ];
    const got = await outcome(rows, SHORTCUT, true);
    assert.deepEqual(got, await outcome(rows, FULL, true));
    assert.equal(got.persons.length, 1);
    assert.deepEqual(
      got.persons[0]?.channels.map((c) => c.value),
      ["11987654321", "ana@x.com.br", "1132541111", "ana2@x.com.br"],
    );
    assert.deepEqual(got.persons[0]?.tags, ["vip", "novo"]);
    assert.equal(got.persons[0]?.message, 'oi "Ana"');
    assert.deepEqual(
      got.rejected.map(([line, code]) => [line, code]),
      [
        [4, "DUPLICADO"],
        [5, "RESTRITO"],
      ],
    );
  });

  test("property: same result as the full path, with or without sanitizing", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(row, { maxLength: 12 }),
        fc.array(fc.boolean(), { maxLength: 12 }),
        fc.boolean(),
        async (drawn, repeat, sanitize) => {
          // Most rows repeat the previous row's person fields, as a long-layout export does.
          const rows: Row[] = [];
          drawn.forEach((r, i) => {
            const prev = rows[i - 1];
            rows.push(
              prev && repeat[i] !== false
                ? { ...prev, TIPO: r.TIPO, VALOR: r.VALOR, MENSAGEM: r.MENSAGEM }
                : r,
            );
          });
          assert.deepEqual(
            await outcome(rows, SHORTCUT, sanitize),
            await outcome(rows, FULL, sanitize),
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
