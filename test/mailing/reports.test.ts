import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CsvSplitter } from "../../src/mailing/csv.js";
import {
  errorReport,
  rejectedCsvHeader,
  rejectedCsvLine,
  resultReport,
} from "../../src/mailing/reports.js";
import { LONG_HEADER, longRow, readText } from "./helpers.js";

describe("reports", () => {
  test("errorReport lists every name and content problem with its fix", () => {
    const text = errorReport({
      fileName: "mailing_010126_1_cX.csv",
      nameErrors: [
        { code: "DATA_NAO_E_HOJE", message: "A data 01/01/26 não é hoje: use a data de hoje." },
      ],
      fileErrors: [
        { code: "COLUNAS_OBRIGATORIAS", message: "Faltam as colunas obrigatórias X: inclua-as." },
      ],
    });
    assert.match(text, /mailing_010126_1_cX\.csv/);
    assert.match(text, /DESCARTADO/);
    assert.match(text, /2 problemas/);
    assert.match(text, /1\. \[DATA_NAO_E_HOJE\] A data 01\/01\/26/);
    assert.match(text, /2\. \[COLUNAS_OBRIGATORIAS\]/);
  });

  test("resultReport summarises counts and reasons", async () => {
    const { summary } = await readText(
      [
        LONG_HEADER,
        longRow({ value: "11987654321" }),
        longRow({ type: "FAX", value: "1" }),
        longRow({ value: "a@b.com.br", type: "EMAIL" }),
      ].join("\n"),
    );
    const text = resultReport({
      fileName: "m.csv",
      status: "IMPORTADO (movido para LIDOS)",
      rows: summary.rows,
      persons: summary.persons,
      rejectedRows: summary.rejectedRows,
      rejected: summary.rejected,
      content: summary,
      imported: { inserted: 2, updated: 0 },
      campaigns: [
        {
          channel: "SMS",
          mode: "(long code)",
          startAt: "26/11/2026 10:00",
          deadlineAt: null,
          audience: 1,
          waves: 1,
        },
      ],
    });
    assert.match(text, /Linhas lidas: 3/);
    assert.match(text, /Linhas rejeitadas: 1 \(33%\)/);
    assert.match(text, /TIPO_INVALIDO \(tipo de registro inválido\): 1/);
    assert.match(text, /1 celulares, 0 fixos, 1 e-mails/);
    assert.match(text, /SMS \(long code\)/);
  });

  test("rejeitados.csv: BOM, ; separated, quoted when needed, and readable back", () => {
    const header = rejectedCsvHeader();
    assert.ok(header.startsWith("\uFEFFlinha;arquivo;codigo;motivo;conteudo_original"));
    const line = rejectedCsvLine({
      line: 7,
      code: "TIPO_INVALIDO",
      message: 'TIPO_DE_REGISTRO "FAX" desconhecido',
      raw: "FAX;119;;Ana",
    });
    const rows: string[][] = [];
    const splitter = new CsvSplitter(";", (f, n) => rows.push(f.slice(0, n)));
    splitter.push(header.slice(1) + line);
    splitter.end();
    assert.deepEqual(rows[1], [
      "7",
      "",
      "TIPO_INVALIDO",
      'TIPO_DE_REGISTRO "FAX" desconhecido',
      "FAX;119;;Ana",
    ]);
  });
});
