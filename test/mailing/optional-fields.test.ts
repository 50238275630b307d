/**
 * Issue 16 item 7: an invalid optional field (SPEC §4: everything but TIPO_DE_REGISTRO and
 * VALOR_DO_REGISTRO) is reported with its line and field, left blank, and the contact is kept.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { resultReport } from "../../src/mailing/reports.js";
import { LONG_HEADER, longRow, readText } from "./helpers.js";

describe("invalid optional fields are blanked, the contact kept", () => {
  test("PRIORIDADE=URGENTE keeps the phone; the report and the rejections name line and field", async () => {
    const text = [
      LONG_HEADER,
      longRow({ value: "11987654321", code: "A", name: "Ana", priority: "URGENTE" }),
      longRow({ value: "11987654322", code: "B", priority: "ALTA" }),
    ].join("\n");
    const { persons, rejected, summary } = await readText(text);
    assert.equal(summary.ok, true);
    assert.deepEqual(
      persons.map((p) => [p.key, p.name, p.channels.map((c) => c.value), p.fields.PRIORIDADE]),
      [
        ["A", "Ana", ["11987654321"], undefined],
        ["B", null, ["11987654322"], "ALTA"],
      ],
    );
    assert.equal(summary.rejectedRows, 0);
    assert.equal(summary.blankedFields, 1);
    assert.deepEqual(
      rejected.map((r) => [r.line, r.code]),
      [[2, "PRIORIDADE_INVALIDA"]],
    );
    assert.match(
      rejected[0]?.message ?? "",
      /^PRIORIDADE "URGENTE" inválida.*campo ficou em branco/,
    );
    const report = resultReport({
      fileName: "m.csv",
      status: "IMPORTADO",
      rows: summary.rows,
      persons: summary.persons,
      rejectedRows: summary.rejectedRows,
      rejected: summary.rejected,
      content: summary,
      rejectedReport: "m.csv.rejeitados.csv",
    });
    assert.match(report, /Linhas aceitas: 2\n/);
    assert.match(report, /Linhas rejeitadas: 0/);
    assert.match(report, /Campos inválidos deixados em branco: 1 \(o contato foi mantido\)/);
    assert.match(
      report,
      /Campos deixados em branco, por motivo[^\n]*\n {2}PRIORIDADE_INVALIDA \(prioridade inválida\): 1/,
    );
    assert.doesNotMatch(report, /Linhas e contatos rejeitados/);
    assert.match(report, /está em m\.csv\.rejeitados\.csv/);
  });

  test("every line of a person with the invalid field is reported, whatever the grouping", async () => {
    const row = (value: string) =>
      longRow({ value, code: "A", priority: "URGENTE", coringa1: "x" });
    const together = await readText(
      [LONG_HEADER, row("11987654321"), row("11987654322")].join("\n"),
    );
    assert.deepEqual(
      together.rejected.map((r) => [r.line, r.code]),
      [
        [2, "PRIORIDADE_INVALIDA"],
        [3, "PRIORIDADE_INVALIDA"],
      ],
    );
    assert.equal(together.persons.length, 1);
    assert.equal(together.persons[0]?.channels.length, 2);
    assert.equal(together.persons[0]?.fields.CORINGA1, "x");
  });

  test("an invalid CPF with _h is blanked: the person is keyed by CODCLIENTE, the contact kept", async () => {
    const text = [
      LONG_HEADER,
      longRow({ value: "11987654321", doc: "12345678901", code: "A" }),
      longRow({ value: "11987654322", doc: "12345678901" }),
    ].join("\n");
    const { persons, rejected, summary } = await readText(text, { sanitize: true });
    assert.deepEqual(
      persons.map((p) => [p.key, p.keyKind, p.document]),
      [
        ["A", "codcliente", null],
        ["11987654322", "channel", null],
      ],
    );
    assert.deepEqual(
      rejected.map((r) => [r.line, r.code]),
      [
        [2, "DOCUMENTO_INVALIDO"],
        [3, "DOCUMENTO_INVALIDO"],
      ],
    );
    assert.match(rejected[0]?.message ?? "", /^CPFCNPJ: CPF com dígito verificador errado/);
    assert.equal(summary.rejectedRows, 0);
  });

  test("a row rejected for its contact does not also report its fields", async () => {
    const text = [
      LONG_HEADER,
      longRow({ value: "12", code: "A", priority: "URGENTE" }),
      longRow({ value: "11987654322", code: "B" }),
    ].join("\n");
    const { rejected, summary } = await readText(text);
    assert.deepEqual(
      rejected.map((r) => [r.line, r.code]),
      [[2, "TELEFONE_INVALIDO"]],
    );
    assert.equal(summary.rejectedRows, 1);
    assert.equal(summary.blankedFields, 0);
  });

  test("one row per person: a bad field keeps the row's contacts", async () => {
    const text = [
      "TELEFONE;EMAIL;NOME_CLIENTE;PRIORIDADE",
      "11987654321;ana@exemplo.com.br;Ana;URGENTE",
    ].join("\n");
    const { persons, rejected, summary } = await readText(text);
    assert.equal(persons[0]?.channels.length, 2);
    assert.equal(persons[0]?.name, "Ana");
    assert.deepEqual(
      rejected.map((r) => [r.line, r.code]),
      [[2, "PRIORIDADE_INVALIDA"]],
    );
    assert.equal(summary.rejectedRows, 0);
  });

  test("blanked fields never count towards REJEICAO_EXCESSIVA", async () => {
    const rows = Array.from({ length: 10 }, (_, i) =>
      longRow({ value: `1198765432${i}`, code: `C${i}`, priority: "URGENTE" }),
    );
    const { summary } = await readText([LONG_HEADER, ...rows].join("\n"));
    assert.equal(summary.ok, true, JSON.stringify(summary.errors));
    assert.equal(summary.persons, 10);
    assert.equal(summary.blankedFields, 10);
  });
});

describe("file-level messages about rejected rows agree in number", () => {
  test("one line is singular, more are plural, thousands are grouped", async () => {
    const { fileErrors } = await import("../../src/mailing/messages.js");
    assert.match(
      fileErrors.noValidRows(1).message,
      /^A única linha do arquivo não pôde ser importada/,
    );
    assert.match(fileErrors.noValidRows(1200).message, /^Nenhuma das 1\.200 linhas/);
    assert.match(
      fileErrors.tooManyRejected(1, 1, 0.5).message,
      /^1 de 1 linha \(100%\) foi rejeitada,/,
    );
    assert.match(
      fileErrors.tooManyRejected(3, 5, 0.5).message,
      /^3 de 5 linhas \(60%\) foram rejeitadas,/,
    );
  });
});
