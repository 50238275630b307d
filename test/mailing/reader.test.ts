import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { cp1252, LONG_HEADER, longRow, readAll, readText, tempFile } from "./helpers.js";

const CRLF = "\r\n";

/** Computes the two check digits of a CNPJ base (12 chars, digits or letters). */
function cnpj(base: string): string {
  const value = (c: string) => c.charCodeAt(0) - 48;
  const dv = (s: string, weights: number[]) => {
    let sum = 0;
    for (let i = 0; i < s.length; i++) sum += value(s[i] as string) * (weights[i] as number);
    const r = sum % 11;
    return r < 2 ? 0 : 11 - r;
  };
  const d1 = dv(base, [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]);
  const d2 = dv(base + d1, [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]);
  return `${base}${d1}${d2}`;
}

describe("readMailing: encodings and line ends", () => {
  test("an Excel export in Windows-1252 with ; and CRLF keeps accents", async () => {
    const text =
      [LONG_HEADER, longRow({ value: "(11) 98765-4321", name: "João Conceição" })].join(CRLF) +
      CRLF;
    const { summary, persons } = await readText(cp1252(text));
    assert.equal(summary.ok, true, JSON.stringify(summary.errors));
    assert.equal(summary.encoding, "windows-1252");
    assert.equal(summary.delimiter, ";");
    assert.equal(persons[0]?.name, "João Conceição");
    assert.deepEqual(persons[0]?.channels, [{ kind: "mobile", value: "11987654321", line: 2 }]);
  });

  test("Windows-1252 bytes 0x80-0x9F become their characters (curly quotes, en dash)", async () => {
    const text = `${LONG_HEADER}\n${longRow({ value: "11987654321", name: "Ana \u201cAninha\u201d \u2013 SP" })}\n`;
    const { persons, summary } = await readText(cp1252(text));
    assert.equal(summary.encoding, "windows-1252");
    assert.equal(persons[0]?.name, "Ana \u201cAninha\u201d \u2013 SP");
  });

  test("UTF-8 with BOM: the BOM is not part of the first column name", async () => {
    const text = `\uFEFF${LONG_HEADER}\n${longRow({ value: "21987654321", name: "Conceição" })}\n`;
    const { summary, persons } = await readText(Buffer.from(text, "utf8"));
    assert.equal(summary.ok, true);
    assert.equal(summary.encoding, "utf-8");
    assert.equal(summary.header[0], "TIPO_DE_REGISTRO");
    assert.equal(persons[0]?.name, "Conceição");
  });

  test("UTF-8 without BOM, LF, no newline after the last row", async () => {
    const text = `${LONG_HEADER}\n${longRow({ value: "21987654321", name: "Ângela" })}`;
    const { summary, persons } = await readText(Buffer.from(text, "utf8"));
    assert.equal(summary.encoding, "utf-8");
    assert.equal(summary.rows, 1);
    assert.equal(persons[0]?.name, "Ângela");
  });

  test("an empty last line and blank lines between rows are not rows", async () => {
    const text = `${LONG_HEADER}\r\n${longRow({ value: "21987654321" })}\r\n\r\n;;;;;;;;;;;;\r\n${longRow({ value: "21987654322" })}\r\n\r\n`;
    const { summary } = await readText(text);
    assert.equal(summary.rows, 2);
    assert.equal(summary.rejectedRows, 0);
  });

  test("a multi-byte character split across read buffers is decoded once", async () => {
    // 1 MiB read buffers: put "ç" right across the boundary.
    const filler = "x".repeat((1 << 20) - LONG_HEADER.length - 1 - 20);
    const row = longRow({ value: "21987654321", name: "Gonçalves" });
    const text = `${LONG_HEADER}\n${row.replace("Gonçalves", `${filler.slice(0, 0)}Gonçalves`)}\n`;
    const padded = `${LONG_HEADER}\n${longRow({ value: "21987654329", coringa5: "" })}\n`;
    const body = Buffer.from(`${padded}${text.slice(LONG_HEADER.length + 1)}`, "utf8");
    const { summary, persons } = await readText(body);
    assert.equal(summary.encoding, "utf-8");
    assert.equal(persons.at(-1)?.name, "Gonçalves");
    // Explicit boundary: place the 2-byte "ç" at offset 2^20 - 1.
    const head = `${LONG_HEADER}\n`;
    const before = `TELEFONE;21987654321;;${"a".repeat(1 << 20)}`;
    const big = Buffer.from(`${head}${before}`, "utf8");
    const cut = (1 << 20) - 1;
    const withAccent = Buffer.concat([
      big.subarray(0, cut),
      Buffer.from("ç", "utf8"),
      Buffer.from(";;;;;;;;;;\n"),
    ]);
    const read = await readText(withAccent);
    assert.equal(read.summary.encoding, "utf-8");
  });

  test("a file that is not valid UTF-8 late in the file is still read as Windows-1252", async () => {
    const rows = [LONG_HEADER];
    for (let i = 0; i < 20000; i++)
      rows.push(longRow({ value: `2198765${String(i).padStart(4, "0")}`, name: "Ana" }));
    rows.push(longRow({ value: "21912345678", name: "José" }));
    const bytes = Buffer.concat([
      Buffer.from(`${rows.slice(0, -1).join("\n")}\n`),
      cp1252(`${rows.at(-1)}\n`),
    ]);
    const { summary, persons } = await readText(bytes);
    assert.equal(summary.encoding, "windows-1252");
    assert.equal(persons.at(-1)?.name, "José");
  });
});

describe("readMailing: header", () => {
  test("lowercase header with accents, spaces and any column order", async () => {
    const header =
      "valor do registro;Nome_Cliente;tipo-de-registro;código cliente;cpf/cnpj;prioridade";
    const text = `${header}\nmaria@exemplo.com.br;Maria;e-mail;77;;média\n`;
    const { summary, persons } = await readText(text);
    // "código cliente" is CODIGOCLIENTE, not CODCLIENTE: kept as a custom field.
    assert.equal(summary.ok, true, JSON.stringify(summary.errors));
    assert.equal(summary.layout, "long");
    assert.equal(persons[0]?.channels[0]?.kind, "email");
    assert.equal(persons[0]?.fields.PRIORIDADE, "MEDIA");
    assert.equal(persons[0]?.fields["código cliente"], "77");
  });

  test("header names matched ignoring case/accents/_/-: Tipo De Registro, VALOR-DO-REGISTRO", async () => {
    const { summary } = await readText(
      "Tipo De Registro,VALOR-DO-REGISTRO,Cód\nfone,11987654321,1\n",
    );
    assert.equal(summary.ok, true);
    assert.equal(summary.delimiter, ",");
  });

  test("delimiter detection: TAB and |", async () => {
    const tab = await readText("TIPO_DE_REGISTRO\tVALOR_DO_REGISTRO\nCELULAR\t11987654321\n");
    assert.equal(tab.summary.delimiter, "\t");
    assert.equal(tab.summary.persons, 1);
    const pipe = await readText("TIPO_DE_REGISTRO|VALOR_DO_REGISTRO\nCELULAR|11987654321\n");
    assert.equal(pipe.summary.delimiter, "|");
  });

  test("missing required columns: COLUNAS_OBRIGATORIAS naming them and what was found", async () => {
    const { summary } = await readText("NOME;DOCUMENTO\nAna;123\n");
    assert.equal(summary.ok, false);
    assert.equal(summary.errors[0]?.code, "COLUNAS_OBRIGATORIAS");
    assert.match(summary.errors[0]?.message ?? "", /TIPO_DE_REGISTRO e VALOR_DO_REGISTRO/);
    assert.match(summary.errors[0]?.message ?? "", /NOME, DOCUMENTO/);
  });

  test("extra columns are kept as custom fields under their name as read", async () => {
    const { persons } = await readText(
      `${LONG_HEADER};Valor Dívida\n${longRow({ value: "11987654321" })};1.234,56\n`,
    );
    assert.equal(persons[0]?.fields["Valor Dívida"], "1.234,56");
  });
});

describe("readMailing: rows and validation", () => {
  test("phones in every shape operators send them", async () => {
    const shapes = [
      "(11) 98765-4321",
      "+55 11 98765 4321",
      "0 21 11 987654321",
      "5511987654321",
      "011987654321",
    ];
    const text = [LONG_HEADER, ...shapes.map((v, i) => longRow({ value: v, code: `c${i}` }))].join(
      "\n",
    );
    const { persons, summary } = await readText(text);
    assert.equal(summary.rejectedRows, 0, JSON.stringify(summary.rejected));
    assert.deepEqual(
      persons.map((p) => p.channels[0]?.value),
      shapes.map(() => "11987654321"),
    );
  });

  test("documents that lost their leading zeros are padded; alphanumeric CNPJ accepted", async () => {
    const alpha = cnpj("12ABC34501DE");
    const text = [
      LONG_HEADER,
      longRow({ value: "11987654321", doc: "1234567890" }), // CPF 01234567890
      longRow({ value: "11987654322", doc: "191" }),
      longRow({ value: "11987654323", doc: alpha }),
    ].join("\n");
    const { persons, summary } = await readText(text, { sanitize: true });
    assert.equal(summary.rejectedRows, 0, JSON.stringify(summary.rejected));
    assert.equal(persons[0]?.document, "01234567890");
    assert.equal(persons[1]?.document, "00000000191");
    assert.equal(persons[2]?.document, alpha);
  });

  test("sanitize rejects bad check digits and DDDs; without it they pass", async () => {
    const text = [
      LONG_HEADER,
      longRow({ value: "11987654321", doc: "12345678901" }),
      longRow({ value: "20987654321" }),
      longRow({ value: "11987654329" }),
    ].join("\n");
    const strict = await readText(text, { sanitize: true });
    assert.deepEqual(strict.summary.rejected, { DOCUMENTO_INVALIDO: 1, DDD_INVALIDO: 1 });
    assert.deepEqual(
      strict.rejected.map((r) => [r.line, r.code]),
      [
        [2, "DOCUMENTO_INVALIDO"],
        [3, "DDD_INVALIDO"],
      ],
    );
    const loose = await readText(text, { sanitize: false });
    assert.equal(loose.summary.rejectedRows, 0);
  });

  test("TIPO_INVALIDO, VALOR_VAZIO, TELEFONE_INVALIDO, EMAIL_INVALIDO with line numbers and raw row", async () => {
    const rows = [
      longRow({ type: "FAX", value: "11987654321" }),
      longRow({ type: "CELULAR", value: " " }),
      longRow({ type: "FONE", value: "1234" }),
      longRow({ type: "E-MAIL", value: "semarroba.com" }),
      longRow({ type: "celular", value: "11987654321" }),
    ];
    const { rejected, summary } = await readText([LONG_HEADER, ...rows].join("\n"));
    assert.deepEqual(
      rejected.map((r) => [r.line, r.code]),
      [
        [2, "TIPO_INVALIDO"],
        [3, "VALOR_VAZIO"],
        [4, "TELEFONE_INVALIDO"],
        [5, "EMAIL_INVALIDO"],
      ],
    );
    assert.equal(rejected[0]?.raw, rows[0]);
    assert.ok(rejected.every((r) => r.message.length > 10));
    assert.equal(summary.persons, 1);
  });

  test("CORINGA1-4 up to 300 characters, CORINGA5 up to 3000; a longer one is blanked, the contact kept", async () => {
    const text = [
      LONG_HEADER,
      longRow({ value: "11987654321", coringa1: "a".repeat(300), code: "1" }),
      longRow({ value: "11987654322", coringa1: "a".repeat(301), code: "2" }),
      longRow({ value: "11987654323", coringa5: "b".repeat(3000), code: "3" }),
      longRow({ value: "11987654324", coringa5: "b".repeat(3001), code: "4" }),
    ].join("\n");
    const { rejected, persons, summary } = await readText(text);
    assert.deepEqual(
      rejected.map((r) => [r.line, r.code]),
      [
        [3, "CAMPO_LONGO"],
        [5, "CAMPO_LONGO"],
      ],
    );
    assert.equal(summary.rejectedRows, 0);
    assert.equal(summary.blankedFields, 2);
    assert.deepEqual(
      persons.map((p) => [
        p.key,
        p.channels.length,
        p.fields.CORINGA1?.length ?? 0,
        p.fields.CORINGA5?.length ?? 0,
      ]),
      [
        ["1", 1, 300, 0],
        ["2", 1, 0, 0],
        ["3", 1, 0, 3000],
        ["4", 1, 0, 0],
      ],
    );
    assert.match(rejected[0]?.message ?? "", /CORINGA1 tem 301 caracteres.*contato foi mantido/);
  });

  test("CODCLIENTE up to 100 characters, NOME_CLIENTE up to 300 (longer: blanked, contact kept), an e-mail up to 254 even without _h", async () => {
    const text = [
      LONG_HEADER,
      longRow({ value: "11987654321", code: "c".repeat(100), name: "n".repeat(300) }),
      longRow({ value: "11987654322", code: "c".repeat(101) }),
      longRow({ value: "11987654323", code: "3", name: "n".repeat(301) }),
      longRow({ type: "EMAIL", value: `${"a".repeat(60)}@${"d".repeat(189)}.com`, code: "4" }),
      longRow({ type: "EMAIL", value: `${"a".repeat(60)}@${"d".repeat(190)}.com`, code: "5" }),
    ].join("\n");
    const { rejected, persons } = await readText(text);
    assert.deepEqual(
      rejected.map((r) => [r.line, r.code]),
      [
        [3, "CAMPO_LONGO"],
        [4, "CAMPO_LONGO"],
        [6, "EMAIL_INVALIDO"],
      ],
    );
    assert.match(rejected[0]?.message ?? "", /CODCLIENTE tem 101 caracteres e o limite é 100/);
    assert.match(rejected[1]?.message ?? "", /NOME_CLIENTE tem 301 caracteres/);
    // The long CODCLIENTE is blanked, so the contact is the person's key; the long name is dropped.
    assert.deepEqual(
      persons.map((p) => [p.key.length === 100 ? "c*100" : p.key, p.name?.length ?? 0]),
      [
        ["c*100", 300],
        ["11987654322", 0],
        ["3", 0],
        ["4", 0],
      ],
    );
  });

  test("PRIORIDADE: ALTA/MEDIA/BAIXA in any case and accents, or 1/2/3; anything else blanked, the contact kept", async () => {
    const values = ["alta", "Média", "BAIXA", "1", "2", "3", "", "URGENTE", "4"];
    const text = [
      LONG_HEADER,
      ...values.map((p, i) => longRow({ value: `1198765432${i}`, priority: p })),
    ].join("\n");
    const { persons, rejected, summary } = await readText(text);
    assert.deepEqual(
      persons.map((p) => p.fields.PRIORIDADE ?? null),
      ["ALTA", "MEDIA", "BAIXA", "ALTA", "MEDIA", "BAIXA", null, null, null],
    );
    assert.deepEqual(
      rejected.map((r) => [r.line, r.code]),
      [
        [9, "PRIORIDADE_INVALIDA"],
        [10, "PRIORIDADE_INVALIDA"],
      ],
    );
    assert.match(rejected[0]?.message ?? "", /PRIORIDADE "URGENTE" inválida/);
    assert.equal(summary.rejectedRows, 0);
    assert.equal(summary.blankedFields, 2);
  });

  test("inconsistent columns rejected; trailing empty columns tolerated", async () => {
    const text = [
      LONG_HEADER,
      "TELEFONE;11987654321;só três",
      `${longRow({ value: "11987654322" })};;`,
      `${longRow({ value: "11987654323" })};extra`,
    ].join("\n");
    const { rejected, summary } = await readText(text);
    assert.deepEqual(
      rejected.map((r) => [r.line, r.code]),
      [
        [2, "COLUNAS_INCONSISTENTES"],
        [4, "COLUNAS_INCONSISTENTES"],
      ],
    );
    assert.equal(summary.persons, 1);
  });

  test("quoted fields with delimiters, quotes and line breaks; line numbers count physical lines", async () => {
    const message = 'Olá; "cliente"\nsegunda linha';
    const quoted = `"${message.replace(/"/g, '""')}"`;
    const text = [
      LONG_HEADER,
      `TELEFONE;11987654321;${quoted};"Silva; Ana";;c1;;;;;;;`,
      longRow({ type: "FAX", value: "1" }),
    ].join("\r\n");
    const { persons, rejected } = await readText(text);
    assert.equal(persons[0]?.message, message);
    assert.equal(persons[0]?.name, "Silva; Ana");
    assert.equal(rejected[0]?.line, 4);
  });

  test("an unclosed quote does not swallow the file: rows stay bounded", async () => {
    const text = `${LONG_HEADER}\n${longRow({ value: "11987654321", message: '"aberta' })}\n${longRow({ value: "11987654322" })}\n`;
    const { summary } = await readText(text);
    // The unclosed quote runs to the end of the file: the data becomes one broken row.
    assert.equal(summary.ok, false);
    assert.ok(summary.rows >= 1);
  });
});

describe("readMailing: people", () => {
  test("consecutive rows with the same CODCLIENTE form one person; scattered rows another record", async () => {
    const text = [
      LONG_HEADER,
      longRow({ type: "CELULAR", value: "11987654321", code: "A", name: "Ana", tag: "vip" }),
      longRow({ type: "EMAIL", value: "Ana@Exemplo.COM.BR", code: "A", tag: "cobranca" }),
      longRow({ type: "CELULAR", value: "11987654322", code: "B", name: "Bia" }),
      longRow({ type: "TELEFONE", value: "1134567890", code: "A" }),
    ].join("\n");
    const { persons, summary } = await readText(text);
    assert.deepEqual(
      persons.map((p) => [p.key, p.channels.map((c) => c.value)]),
      [
        ["A", ["11987654321", "Ana@exemplo.com.br"]],
        ["B", ["11987654322"]],
        ["A", ["1134567890"]],
      ],
    );
    assert.deepEqual(persons[0]?.tags, ["vip", "cobranca"]);
    assert.deepEqual(summary.channels, { mobile: 2, landline: 1, email: 1, unknown: 0 });
  });

  test("key falls back to CPFCNPJ, then to the channel value", async () => {
    const text = [
      LONG_HEADER,
      longRow({ value: "11987654321", doc: "529.982.247-25" }),
      longRow({ value: "11987654322", doc: "52998224725" }),
      longRow({ value: "11987654323" }),
    ].join("\n");
    const { persons } = await readText(text);
    assert.deepEqual(
      persons.map((p) => [p.keyKind, p.key]),
      [
        ["cpfcnpj", "52998224725"],
        ["channel", "11987654323"],
      ],
    );
  });

  test("sanitize: duplicates in a person and restricted contacts are removed and counted", async () => {
    const text = [
      LONG_HEADER,
      longRow({ value: "11987654321", code: "A" }),
      longRow({ value: "(11) 98765-4321", code: "A" }),
      longRow({ type: "EMAIL", value: "sair@lista.com", code: "A" }),
      longRow({ value: "11987654322", code: "B" }),
    ].join("\n");
    const isRestricted = (kind: "phone" | "email", v: string) =>
      kind === "email" && v === "sair@lista.com";
    const strict = await readText(text, { sanitize: true, isRestricted });
    assert.deepEqual(strict.summary.rejected, { DUPLICADO: 1, RESTRITO: 1 });
    assert.equal(strict.summary.ok, true);
    assert.deepEqual(
      strict.persons[0]?.channels.map((c) => c.value),
      ["11987654321"],
    );
    // Without _h: the duplicate is merged silently and the restriction list is not applied here.
    const loose = await readText(text, { sanitize: false, isRestricted });
    assert.deepEqual(loose.summary.rejected, {});
    assert.deepEqual(
      loose.persons[0]?.channels.map((c) => c.value),
      ["11987654321", "sair@lista.com"],
    );
  });

  test("wide layout: one row per person with TELEFONE*, CELULAR, EMAIL* columns", async () => {
    const text = [
      "Nome;CPF/CNPJ;Celular;Telefone2;E-mail;EMAIL2",
      "Ana;52998224725;11987654321;1134567890;ana@x.com.br;",
      "Bia;;21987654321;20;;bia@y.com",
      "Caio;;;;;",
    ].join("\n");
    const { persons, rejected, summary } = await readText(text, { sanitize: true });
    assert.equal(summary.layout, "wide");
    assert.deepEqual(
      persons.map((p) => [p.key, p.channels.map((c) => c.kind)]),
      [
        ["52998224725", ["mobile", "landline", "email"]],
        ["21987654321", ["mobile", "email"]],
      ],
    );
    assert.deepEqual(
      rejected.map((r) => [r.line, r.code]),
      [
        [3, "TELEFONE_INVALIDO"],
        [4, "VALOR_VAZIO"],
      ],
    );
    assert.equal(summary.rejectedRows, 1);
  });

  test("batches hold at most batchSize persons and everything arrives", async () => {
    const rows = [LONG_HEADER];
    for (let i = 0; i < 5000; i++)
      rows.push(longRow({ value: `119${String(i).padStart(8, "0")}`, code: `c${i}` }));
    const { persons, chunks, summary } = await readAll(tempFile(rows.join("\n")), {
      batchSize: 700,
    });
    assert.equal(persons.length, 5000);
    assert.equal(summary.persons, 5000);
    assert.ok(chunks >= Math.ceil(5000 / 700));
  });
});

describe("readMailing: file-level errors", () => {
  test("an empty file and a header-only file: ARQUIVO_VAZIO", async () => {
    assert.equal((await readText("")).summary.errors[0]?.code, "ARQUIVO_VAZIO");
    assert.equal((await readText("\r\n\r\n")).summary.errors[0]?.code, "ARQUIVO_VAZIO");
    assert.equal((await readText(`${LONG_HEADER}\r\n`)).summary.errors[0]?.code, "ARQUIVO_VAZIO");
  });

  test("no valid row: SEM_LINHAS_VALIDAS", async () => {
    const { summary } = await readText(`${LONG_HEADER}\n${longRow({ type: "FAX", value: "1" })}\n`);
    assert.deepEqual(
      summary.errors.map((e) => e.code),
      ["SEM_LINHAS_VALIDAS"],
    );
  });

  test("more rejected rows than the ratio: REJEICAO_EXCESSIVA (DUPLICADO/RESTRITO do not count)", async () => {
    const good = longRow({ value: "11987654321" });
    const bad = longRow({ type: "FAX", value: "1" });
    const text = [LONG_HEADER, good, bad, bad].join("\n");
    assert.equal((await readText(text)).summary.errors[0]?.code, "REJEICAO_EXCESSIVA");
    assert.equal((await readText(text, { maxRejectRatio: 0.7 })).summary.ok, true);
    const restricted = [
      LONG_HEADER,
      good,
      longRow({ value: "11987654322" }),
      longRow({ value: "11987654323" }),
    ];
    const r = await readText(restricted.join("\n"), {
      sanitize: true,
      isRestricted: (_k, v) => v !== "11987654321",
    });
    assert.equal(r.summary.ok, true);
    assert.equal(r.summary.rejected.RESTRITO, 2);
  });

  test("above maxBytes: ARQUIVO_GRANDE without reading rows", async () => {
    const { summary } = await readText(`${LONG_HEADER}\n${longRow({ value: "11987654321" })}\n`, {
      maxBytes: 100,
    });
    assert.equal(summary.errors[0]?.code, "ARQUIVO_GRANDE");
    assert.equal(summary.rows, 0);
  });

  test("an Excel workbook renamed to .csv, a PDF, UTF-16: ARQUIVO_ILEGIVEL saying how to export", async () => {
    for (const bytes of [
      Buffer.from("PK\x03\x04\x14\x00\x06\x00", "latin1"),
      Buffer.from("%PDF-1.4\n", "latin1"),
      Buffer.from("\xff\xfeT\x00I\x00", "latin1"),
      Buffer.from([1, 2, 3, 0, 0, 5]),
    ]) {
      const { summary } = await readText(bytes);
      assert.equal(summary.errors[0]?.code, "ARQUIVO_ILEGIVEL");
    }
  });

  test("a NUL byte far into the file (past the sniffed head): ARQUIVO_ILEGIVEL naming its position", async () => {
    const rows = Array.from({ length: 3000 }, (_, i) =>
      longRow({ value: `119${String(87654321 + i).padStart(8, "0")}`, name: "José" }),
    );
    const text = `${LONG_HEADER}\n${rows.join("\n")}\n`;
    const at = text.length - 100;
    for (const bytes of [Buffer.from(text, "utf8"), cp1252(text)]) {
      const broken = Buffer.concat([bytes.subarray(0, at), Buffer.from([0]), bytes.subarray(at)]);
      const { summary } = await readText(broken);
      assert.equal(summary.ok, false);
      assert.equal(summary.errors[0]?.code, "ARQUIVO_ILEGIVEL");
      assert.match(summary.errors[0]?.message ?? "", /byte nulo/);
      assert.match(
        summary.errors[0]?.message ?? "",
        new RegExp(at.toLocaleString("pt-BR").replace(".", "\\.")),
      );
    }
  });

  test("a missing file ends with ARQUIVO_ILEGIVEL, it does not throw", async () => {
    const { summary } = await readAll("/nonexistent/mailing.csv");
    assert.equal(summary.errors[0]?.code, "ARQUIVO_ILEGIVEL");
  });

  test("sha256 and bytes are those of the raw file", async () => {
    const bytes = cp1252(`${LONG_HEADER}\n${longRow({ value: "11987654321", name: "Zé" })}\n`);
    const { summary } = await readText(bytes);
    const { createHash } = await import("node:crypto");
    assert.equal(summary.sha256, createHash("sha256").update(bytes).digest("hex"));
    assert.equal(summary.bytes, bytes.length);
  });
});
