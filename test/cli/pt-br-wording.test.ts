/**
 * pt-BR wording of what people read (issue 16 item 13): counts agree in
 * number ("1 fixo", "0 novas, 1 atualizada"), and "remova _q" says what to add.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { describeMailing, parse } from "../../src/filename/index.js";
import { resultReport } from "../../src/mailing/reports.js";
import { plural } from "../../src/plural.js";

const BIN = fileURLToPath(new URL("../../bin/remessa", import.meta.url));
const clock = { today: "2026-11-26", now: "2026-11-26T10:00" };

describe("pt-BR plural agreement", () => {
  test("plural: one is singular, zero and many are plural, numbers in pt-BR", () => {
    assert.equal(plural(1, "fixo", "fixos"), "1 fixo");
    assert.equal(plural(0, "fixo", "fixos"), "0 fixos");
    assert.equal(plural(1234, "pessoa", "pessoas"), "1.234 pessoas");
  });

  test("the result report agrees with its counts", () => {
    const text = resultReport({
      fileName: "mailing_261126_1_cBRAD.csv",
      status: "IMPORTADO",
      rows: 1,
      persons: 1,
      rejectedRows: 0,
      rejected: {},
      imported: { inserted: 0, updated: 1 },
      content: {
        encoding: "utf-8",
        delimiter: ";",
        layout: "long",
        channels: { mobile: 1, landline: 1, email: 0, unknown: 1 },
        errors: [],
      },
      campaigns: [
        {
          channel: "SMS",
          mode: null,
          startAt: "26/11/2026 10:00",
          deadlineAt: null,
          audience: 1,
          waves: [{ startAt: "26/11/2026 10:00", size: 1 }],
        },
      ],
    });
    assert.match(text, /\(0 novas, 1 atualizada\)/);
    assert.match(text, /Contatos: 1 celular, 1 fixo, 0 e-mails, 1 telefone de tipo desconhecido/);
    assert.match(text, /Público: 1 pessoa \(/);
  });

  test("check-name's explanation says 1 minuto and na última hora", () => {
    const parsed = parse("mailing_261126_2_cBRAD_smsshort_q10001_x1.csv", {
      folder: null,
      ...clock,
    });
    assert.ok(parsed.mailing, JSON.stringify(parsed.errors));
    const lines = describeMailing(parsed.mailing).join("\n");
    assert.match(lines, /10% do público a cada minuto\./);
    assert.match(lines, /contato receptivo na última hora/);
  });

  test("remessa import agrees with its counts", () => {
    const dir = mkdtempSync(join(tmpdir(), "remessa-plural-"));
    try {
      const { DATABASE_URL: _url, ...inherited } = process.env;
      const env = { ...inherited, REMESSA_DATA_DIR: dir };
      const run = (args: string[]) => spawnSync(BIN, args, { encoding: "utf8", env });
      assert.equal(run(["wallets", "add", "BRAD"]).status, 0);
      const file = join(dir, "mailing_261126_1_cBRAD.csv");
      writeFileSync(
        file,
        "TIPO_DE_REGISTRO;VALOR_DO_REGISTRO;NOME_CLIENTE\r\nCELULAR;11987654321;Ana\r\n",
      );
      const r = run(["import", "--today", "2026-11-26", file]);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /Pessoas: 1 \(1 nova, 0 atualizadas\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("what to add for a parameter without a campaign", () => {
  test("_q without a campaign says to add a campaign, naming them, or remove _q", () => {
    const { errors } = parse("mailing_261126_2_cBRAD_q15020.csv", { folder: null, ...clock });
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.code, "PARAMETRO_SEM_CANAL");
    assert.match(
      errors[0]!.message,
      /Acrescente uma campanha \(_smsshort, .*_email\) ou remova _q\./,
    );
    assert.doesNotMatch(errors[0]!.message, /esse parâmetro/);
  });

  test("_ce without _email says to add _email", () => {
    const { errors } = parse("mailing_261126_2_cBRAD_cea@b.com.csv", { folder: null, ...clock });
    assert.match(errors[0]!.message, /Acrescente _email ou remova _ce\./);
  });
});
