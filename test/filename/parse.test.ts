import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type NameErrorCode, type ParseContext, parse } from "../../src/filename/index.js";

const TODAY = "2026-11-26";
const ctx: ParseContext = { folder: null, today: TODAY, now: "2026-11-26T10:00" };
const codes = (name: string, context: ParseContext = ctx): NameErrorCode[] =>
  parse(name, context).errors.map((e) => e.code as NameErrorCode);

/** The seed document's examples, dated 10/11/17 there, with today's date. */
describe("seed examples (carga-ftp.pt-BR.txt)", () => {
  const seed = (name: string) => name.replace("101117", "261126");

  test("only import, wallet from the folder", () => {
    const name = seed("mailing_101117_1.csv");
    const r = parse(name, { ...ctx, folder: "123" });
    assert.equal(r.ok, true);
    assert.equal(r.mailing?.wallet, "123");
    assert.equal(r.mailing?.walletFrom, "folder");
    assert.equal(r.mailing?.description, name);
    assert.equal(r.mailing?.sequence, 1);
    assert.equal(r.mailing?.date, TODAY);
    assert.equal(r.mailing?.extension, "csv");
    assert.equal(r.mailing?.sms, null);
  });

  test("wallet 123 with a description", () => {
    const r = parse(seed("mailing_101117_1_c123_dRégua 60 dias.csv"), ctx);
    assert.equal(r.ok, true);
    assert.equal(r.mailing?.wallet, "123");
    assert.equal(r.mailing?.walletFrom, "name");
    assert.equal(r.mailing?.description, "Régua 60 dias");
  });

  test("wallet 123, sanitized", () => {
    const r = parse(seed("mailing_101117_1_c123_h.csv"), ctx);
    assert.equal(r.ok, true);
    assert.equal(r.mailing?.sanitize, true);
  });

  test("ALTORISCO3, SMS long code starting 01/02/18 08:20 (in the past: starts now)", () => {
    const r = parse(seed("mailing_101117_1_cALTORISCO3_smslong_i0102180820.csv"), ctx);
    assert.equal(r.ok, true, JSON.stringify(r.errors));
    assert.equal(r.mailing?.wallet, "ALTORISCO3");
    assert.equal(r.mailing?.sms, "long");
    assert.equal(r.mailing?.start, "2018-02-01T08:20");
  });

  test("BRAD, SMS short code, 15% every 20 minutes", () => {
    const r = parse(seed("mailing_101117_1_cBRAD_smsshort_q15020.csv"), ctx);
    assert.equal(r.ok, true);
    assert.equal(r.mailing?.sms, "short");
    assert.deepEqual(r.mailing?.split, { percent: 15, everyMinutes: 20 });
    assert.equal(r.mailing?.start, null);
  });

  test("MAIOR30, WhatsApp exclusive number, template, skip contacts of the last 36 h", () => {
    const r = parse(
      seed(
        "mailing_101117_1_cMAIOR30_whatsappexclusivo_nw11998877665_ntTEMPLATE HOMOLOGADO ITAU_x36.csv",
      ),
      ctx,
    );
    assert.equal(r.ok, true);
    assert.deepEqual(r.mailing?.whatsapp, {
      mode: "exclusivo",
      number: "11998877665",
      template: "TEMPLATE HOMOLOGADO ITAU",
    });
    assert.equal(r.mailing?.excludeRecentHours, 36);
  });

  test("123, e-mail with subject before the account", () => {
    const r = parse(
      seed("mailing_101117_1_c123_email_teAportunidade!!!_ceAVISO@COMUNICADO.COM.BR.csv"),
      ctx,
    );
    assert.equal(r.ok, true);
    assert.deepEqual(r.mailing?.email, {
      account: "AVISO@COMUNICADO.COM.BR",
      subject: "Aportunidade!!!",
    });
    assert.equal(r.mailing?.wallet, "123");
  });
});

describe("grammar", () => {
  test("prefix, extension and keys are case-insensitive; values keep their case", () => {
    const r = parse("MAILING_261126_7_CBrad_SMSLONG_H_DMinha Régua.TXT", ctx);
    assert.equal(r.ok, true, JSON.stringify(r.errors));
    assert.equal(r.mailing?.extension, "txt");
    assert.equal(r.mailing?.wallet, "Brad");
    assert.equal(r.mailing?.description, "Minha Régua");
    assert.equal(r.mailing?.sms, "long");
    assert.equal(r.mailing?.sanitize, true);
  });

  test("sequence compared as a number: 001 is 1", () => {
    assert.equal(parse("mailing_261126_001_cA.csv", ctx).mailing?.sequence, 1);
    assert.deepEqual(codes("mailing_261126_1234_cA.csv"), ["SEQUENCIA_INVALIDA"]);
    assert.deepEqual(codes("mailing_261126_1a_cA.csv"), ["SEQUENCIA_INVALIDA"]);
  });

  test("cEXPRESSO is a wallet; ce with @ is the e-mail account", () => {
    assert.equal(parse("mailing_261126_1_cEXPRESSO.csv", ctx).mailing?.wallet, "EXPRESSO");
    const r = parse("mailing_261126_1_cX_email_ceconta@empresa.com.br.csv", ctx);
    assert.equal(r.mailing?.email?.account, "conta@empresa.com.br");
    assert.equal(r.mailing?.wallet, "X");
  });

  test("parameters in any order give the same mailing", () => {
    const a = parse("mailing_261126_2_cA_smslong_q10005_x12_h.csv", ctx).mailing;
    const b = parse("mailing_261126_2_h_x12_q10005_smslong_cA.csv", ctx).mailing;
    assert.deepEqual({ ...a, description: "" }, { ...b, description: "" });
  });

  test("LE deadline, upper or lower case", () => {
    const r = parse("mailing_261126_2_cA_smslong_i2611261100_le2611261800.csv", ctx);
    assert.equal(r.ok, true, JSON.stringify(r.errors));
    assert.equal(r.mailing?.deadline, "2026-11-26T18:00");
    assert.equal(r.mailing?.start, "2026-11-26T11:00");
  });

  test("name in NFD (as macOS writes it) reads like NFC", () => {
    const r = parse("mailing_261126_1_cA_dRégua.csv".normalize("NFD"), ctx);
    assert.equal(r.mailing?.description, "Régua");
  });

  const cases: [string, NameErrorCode[]][] = [
    ["relatorio.pdf", ["EXTENSAO", "PREFIXO"]],
    ["mailing_261126_1_cA.xlsx", ["EXTENSAO"]],
    ["mailing_261126_1_cA", ["EXTENSAO"]],
    ["mailings_261126_1_cA.csv", ["PREFIXO"]],
    ["mailing_311126_1_cA.csv", ["DATA_INVALIDA"]],
    ["mailing_290226_1_cA.csv", ["DATA_INVALIDA"]],
    ["mailing_2611_1_cA.csv", ["DATA_INVALIDA"]],
    ["mailing_261126_1_cA_zzz.csv", ["PARAMETRO_DESCONHECIDO"]],
    ["mailing_261126_1_cA_iamanha.csv", ["PARAMETRO_DESCONHECIDO"]],
    ["mailing_261126_1_cA_cB.csv", ["PARAMETRO_REPETIDO"]],
    ["mailing_261126_1_cA_h_H.csv", ["PARAMETRO_REPETIDO"]],
    ["mailing_261126_1_cA__h.csv", ["PARAMETRO_VAZIO"]],
    ["mailing_261126_1_cA_h_.csv", ["PARAMETRO_VAZIO"]],
    ["mailing_261126_1_cA_d.csv", ["PARAMETRO_VAZIO"]],
    ["mailing_261126_1_c.csv", ["PARAMETRO_VAZIO"]],
    ["mailing_261126_1_cA_smslong_q1502.csv", ["VALOR_INVALIDO"]],
    ["mailing_261126_1_cA_smslong_q00020.csv", ["VALOR_INVALIDO"]],
    ["mailing_261126_1_cA_smslong_q15000.csv", ["VALOR_INVALIDO"]],
    ["mailing_261126_1_cA_smslong_x0.csv", ["VALOR_INVALIDO"]],
    ["mailing_261126_1_cA_smslong_x1000.csv", ["VALOR_INVALIDO"]],
    ["mailing_261126_1_cA_smslong_i3202261000.csv", ["VALOR_INVALIDO"]],
    ["mailing_261126_1_cA_smslong_i2611262460.csv", ["VALOR_INVALIDO"]],
    ["mailing_261126_1_cA_whatsappexclusivo_nw12345.csv", ["VALOR_INVALIDO"]],
    ["mailing_261126_1_cA_email_ce@x.com.csv", ["VALOR_INVALIDO"]],
    ["mailing_251126_1_cA.csv", ["DATA_NAO_E_HOJE"]],
    ["mailing_261126_1.csv", ["CARTEIRA_AUSENTE"]],
    ["mailing_261126_1_smslong_smsshort_cA.csv", ["CANAL_CONFLITO"]],
    ["mailing_261126_1_whatsappexclusivo_whatsappprospect_ntT_cA.csv", ["CANAL_CONFLITO"]],
    ["mailing_261126_1_cA_nw11998877665.csv", ["PARAMETRO_SEM_CANAL"]],
    ["mailing_261126_1_cA_whatsappcompartilhado_nw11998877665.csv", ["PARAMETRO_SEM_CANAL"]],
    ["mailing_261126_1_cA_ntMODELO.csv", ["PARAMETRO_SEM_CANAL"]],
    ["mailing_261126_1_cA_teAssunto.csv", ["PARAMETRO_SEM_CANAL"]],
    ["mailing_261126_1_cA_cea@b.com.csv", ["PARAMETRO_SEM_CANAL"]],
    ["mailing_261126_1_cA_q15020.csv", ["PARAMETRO_SEM_CANAL"]],
    ["mailing_261126_1_cA_x36.csv", ["PARAMETRO_SEM_CANAL"]],
    ["mailing_261126_1_cA_whatsappprospect.csv", ["TEMPLATE_OBRIGATORIO"]],
    ["mailing_261126_1_cA_smslong_i2611261500_LE2611261400.csv", ["PRAZO_ANTES_DO_INICIO"]],
    ["mailing_261126_1_cA_smslong_LE2611260959.csv", ["PRAZO_EXPIRADO"]],
    ["mailing_261126_1_cA_smslong_LE2611261000.csv", ["PRAZO_EXPIRADO"]],
  ];
  for (const [name, expected] of cases) {
    test(`${name} → ${expected.join(", ")}`, () => {
      assert.deepEqual(codes(name), expected);
    });
  }

  test("wallet in the name conflicting with the folder", () => {
    assert.deepEqual(codes("mailing_261126_1_cA.csv", { ...ctx, folder: "B" }), [
      "CARTEIRA_CONFLITO",
    ]);
    assert.deepEqual(codes("mailing_261126_1_cA.csv", { ...ctx, folder: "A" }), []);
    // Folder match is exact.
    assert.deepEqual(codes("mailing_261126_1_ca.csv", { ...ctx, folder: "A" }), [
      "CARTEIRA_CONFLITO",
    ]);
  });

  test("all problems are listed together, each with a pt-BR message", () => {
    const r = parse("mailing_251126_1_smslong_smsshort_LE2511260900_zz.csv", ctx);
    assert.deepEqual(
      r.errors.map((e) => e.code),
      [
        "PARAMETRO_DESCONHECIDO",
        "CANAL_CONFLITO",
        "CARTEIRA_AUSENTE",
        "DATA_NAO_E_HOJE",
        "PRAZO_EXPIRADO",
      ],
    );
    for (const e of r.errors) assert.match(e.message, /[a-zà-ú]{3,}/);
    assert.equal(r.mailing, null, "an unknown parameter leaves the name unreadable");
  });

  test("mailing is filled when only semantic rules fail", () => {
    const r = parse("mailing_251126_4_cA_smslong.csv", { ...ctx, folder: "B" });
    assert.equal(r.ok, false);
    assert.equal(r.mailing?.sequence, 4);
    assert.equal(r.mailing?.wallet, "A");
  });

  test("a typo in an exact token gets a suggestion", () => {
    const [error] = parse("mailing_261126_1_cA_smslonge.csv", ctx).errors;
    assert.match(error?.message ?? "", /_smslong/);
  });

  test("error params name the parameter", () => {
    const r = parse("mailing_261126_1_cA_smslong_q1.csv", ctx);
    assert.deepEqual(
      r.errors.map((e) => [e.code, e.param]),
      [["VALOR_INVALIDO", "q"]],
    );
  });
});
