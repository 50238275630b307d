import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CsvSplitter } from "../../src/mailing/csv.js";
import {
  csvCell,
  errorReport,
  rejectedCsvHeader,
  rejectedCsvLine,
  resultReport,
} from "../../src/mailing/reports.js";
import type { RejectedRow } from "../../src/mailing/types.js";
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
          waves: [{ startAt: "26/11/2026 10:00", size: 1 }],
        },
      ],
    });
    assert.match(text, /Linhas lidas: 3/);
    assert.match(text, /Linhas rejeitadas: 1 \(33%\)/);
    assert.match(text, /TIPO_INVALIDO \(tipo de registro inválido\): 1/);
    // pt-BR agreement: one is singular, zero and more are plural.
    assert.match(text, /1 celular, 0 fixos, 1 e-mail\n/);
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

  test("CSV cells starting like a formula get a ' inside quotes (OWASP); read back, only the ' is added", () => {
    const dangerous = [
      "=1+1",
      '=HYPERLINK("http://evil.example/","clique")',
      "=cmd|' /C calc'!A0",
      "+5511987654321",
      "-12",
      "@SUM(A1)",
      "\t=1+1",
      "\r=1+1",
    ];
    const safe = ["abc", "1+1", "a=b", "", "11 98765-4321", 'diz "oi"', "a;b", "a\nb"];
    const rows: string[][] = [];
    const splitter = new CsvSplitter(";", (f, n) => rows.push(f.slice(0, n)));
    splitter.push(`${[...dangerous, ...safe].map((v) => csvCell(v)).join(";")}\r\n`);
    splitter.end();
    assert.deepEqual(rows, [[...dangerous.map((v) => `'${v}`), ...safe]]);
    for (const v of dangerous) assert.ok(csvCell(v).startsWith(`"'`), v);
    assert.equal(csvCell("abc"), "abc");
  });

  test("a rejected row is written neutralised in every cell, from the reader to the CSV line", async () => {
    const evil = '=HYPERLINK("http://evil.example/","clique")';
    const { rejected } = await readText(
      [LONG_HEADER, longRow({ value: "11987654321" }), `${evil};1`].join("\n"),
    );
    const line = rejectedCsvLine({ ...(rejected[0] as RejectedRow), entry: "@x.csv" });
    const rows: string[][] = [];
    const splitter = new CsvSplitter(";", (f, n) => rows.push(f.slice(0, n)));
    splitter.push(line);
    splitter.end();
    assert.equal(rows[0]?.[1], "'@x.csv");
    assert.equal(rows[0]?.[4], `'${evil};1`);
    for (const cell of rows[0] ?? []) assert.doesNotMatch(cell, /^[=+\-@\t\r]/);
  });

  test("a line break or other control character from a name or field never starts a report line", () => {
    const fileName = "mailing_261126_1_dLinha1\nSituação: DESCARTADO\u0007.csv";
    const error = errorReport({
      fileName,
      nameErrors: [{ code: "NOME_INVALIDO", message: "caractere\r\nde controle" }],
      fileErrors: [{ code: "ARQUIVO_ILEGIVEL", message: "campo\u0085x" }],
    });
    const result = resultReport({
      fileName,
      status: "IMPORTADO (movido para LIDOS)",
      wallet: "B\nR",
      description: "Linha1\nSituação: DESCARTADO",
      rows: 1,
      persons: 1,
      rejectedRows: 0,
      rejected: {},
    });
    for (const text of [error, result]) {
      assert.doesNotMatch(text.slice(0, -1).replace(/\n/g, ""), /\p{Cc}/u);
      assert.equal(text.match(/^Situação:/gm)?.length, 1);
    }
    assert.match(error, /^Arquivo: mailing_261126_1_dLinha1\\nSituação: DESCARTADOU\+0007\.csv$/m);
    assert.match(error, /caractere\\r\\nde controle/);
    assert.match(error, /campoU\+0085x/);
    assert.match(result, /^Descrição: Linha1\\nSituação: DESCARTADO$/m);
  });
});

describe("campaigns a name asks for, when none was created (planning off)", () => {
  const base = {
    fileName: "m.csv",
    status: "IMPORTADO",
    rows: 1,
    persons: 1,
    rejectedRows: 0,
    rejected: {},
    campaigns: [],
  };
  const noCampaign = {
    sms: null,
    whatsapp: null,
    email: null,
    start: null,
    split: null,
    deadline: null,
    excludeRecentHours: null,
  };

  test("WhatsApp and e-mail with their parameters as parsed; no campaign created is said plainly", () => {
    const text = resultReport({
      ...base,
      requested: {
        ...noCampaign,
        whatsapp: { mode: "exclusivo", number: "11998877665", template: "AVISO COBRANCA" },
        start: "2026-11-26T08:30",
        deadline: "2026-11-26T18:00",
        excludeRecentHours: 1,
      },
    });
    assert.ok(
      text.includes(
        '  - WhatsApp exclusivo (_whatsappexclusivo), número 11998877665, template "AVISO COBRANCA"; início 26/11/2026 08:30, numa onda só, sem quem teve contato receptivo na última hora, prazo limite 26/11/2026 18:00\n',
      ),
      text,
    );
    assert.match(text, /Nenhuma campanha foi criada para este arquivo .*: nada será enviado\./);
    assert.doesNotMatch(text, /não pede/);
    const email = resultReport({
      ...base,
      requested: { ...noCampaign, email: { account: null, subject: null } },
    });
    assert.match(
      email,
      /- e-mail \(_email\), conta de e-mail da carteira, assunto: a descrição do mailing; início logo após a importação/,
    );
  });

  test("a name that asks for no campaign still reads 'nenhuma'", () => {
    const text = resultReport({ ...base, requested: noCampaign });
    assert.match(
      text,
      /Campanhas: nenhuma \(o nome do arquivo não pede SMS, WhatsApp nem e-mail\)\./,
    );
  });
});

describe("campaign lines of .resultado.txt", () => {
  const base = {
    fileName: "m.csv",
    status: "IMPORTADO",
    rows: 10,
    persons: 10,
    rejectedRows: 0,
    rejected: {},
  };

  test("channel, sender, audience, exclusions by reason, waves with times, deadline and forecast", () => {
    const text = resultReport({
      ...base,
      campaigns: [
        {
          channel: "sms",
          mode: "short",
          sender: 'rota "Rota curta" (ROTA1)',
          startAt: "26/11/2026 09:00",
          deadlineAt: "26/11/2026 18:00",
          audience: 7,
          excluded: { SEM_CONTATO: 2, RESTRITO: 1, SEM_MENSAGEM: 0 },
          waves: [
            { startAt: "26/11/2026 09:00", size: 3 },
            { startAt: "26/11/2026 09:20", size: 3 },
            { startAt: "26/11/2026 09:40", size: 1 },
          ],
          forecastEnd: "26/11/2026 09:40:00",
          late: null,
        },
      ],
    });
    assert.ok(
      text.includes(
        [
          "Campanhas criadas:",
          '  - SMS short code, rota "Rota curta" (ROTA1)',
          "    Público: 7 pessoas (uma mensagem para cada uma, ao primeiro celular dela no arquivo)",
          "    Fora do público: 3 pessoas (importadas normalmente, mas não recebem esta campanha):",
          "      SEM_CONTATO (sem celular válido): 2",
          "      RESTRITO (com todos os contatos do canal na lista de restrição): 1",
          "    Início: 26/11/2026 09:00, em 3 ondas:",
          "      onda 1: 26/11/2026 09:00, 3 pessoas",
          "      onda 2: 26/11/2026 09:20, 3 pessoas",
          "      onda 3: 26/11/2026 09:40, 1 pessoa",
          "    Prazo limite: 26/11/2026 18:00",
          "    Previsão de término: 26/11/2026 09:40:00",
        ].join("\n"),
      ),
      text,
    );
    assert.doesNotMatch(text, /ATENÇÃO/);
    assert.doesNotMatch(text, /ainda não está ativo/);
  });

  test("messages predicted to miss the deadline: how many and why, in plain pt-BR", () => {
    const text = resultReport({
      ...base,
      campaigns: [
        {
          channel: "email",
          mode: null,
          sender: "conta avisos@x.com",
          subject: "Aviso",
          startAt: "26/11/2026 09:00",
          deadlineAt: "26/11/2026 10:00",
          audience: 100_000,
          waves: [{ startAt: "26/11/2026 09:00", size: 100_000 }],
          forecastEnd: "27/11/2026 10:23:19",
          late: {
            count: 28_000,
            ratePerSecond: 20,
            sendingSeconds: 5000,
            window: "segunda a sábado, das 08:00 às 20:00",
            windowDelayed: false,
            windowClosedUntilDeadline: false,
            inWavesAfterDeadline: 0,
          },
        },
      ],
    });
    assert.match(text, / {2}- E-mail, conta avisos@x.com, assunto "Aviso"\n/);
    assert.match(text, /Início: 26\/11\/2026 09:00, numa onda só/);
    assert.match(
      text,
      /ATENÇÃO: 28\.000 mensagens não devem sair antes do prazo limite \(26\/11\/2026 10:00\) e vão expirar sem envio\. Motivo: no ritmo do remetente \(20 mensagens por segundo\), enviar tudo leva 1 hora e 24 minutos\./,
    );
    assert.match(text, /aumente o prazo limite \(_LE\)/);
    const windowed = resultReport({
      ...base,
      campaigns: [
        {
          channel: "whatsapp",
          mode: "exclusivo",
          sender: "número 5511900000001",
          template: "cobranca",
          startAt: "26/11/2026 21:00",
          deadlineAt: "26/11/2026 23:00",
          audience: 1,
          waves: [{ startAt: "26/11/2026 21:00", size: 1 }],
          forecastEnd: "27/11/2026 08:00:00",
          late: {
            count: 1,
            ratePerSecond: 80,
            sendingSeconds: 1 / 80,
            window: "segunda a sábado, das 08:00 às 20:00",
            windowDelayed: true,
            windowClosedUntilDeadline: true,
            inWavesAfterDeadline: 0,
          },
        },
      ],
    });
    assert.match(
      windowed,
      /- WhatsApp número exclusivo, número 5511900000001, template "cobranca"/,
    );
    assert.match(
      windowed,
      /ATENÇÃO: 1 mensagem não deve sair antes do prazo limite \(26\/11\/2026 23:00\) e vai expirar sem envio\. Motivo: a janela de envio da carteira \(segunda a sábado, das 08:00 às 20:00\) só abre depois do prazo limite; no ritmo/,
    );
  });
});
