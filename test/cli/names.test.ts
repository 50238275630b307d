import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../../bin/remessa", import.meta.url));
const CLOCK = ["--today", "2026-11-26", "--now", "2026-11-26T10:00"];

/** No database (an empty data dir): these tests are about the name alone; see name-tenant-checks.test.ts. */
const NO_DATABASE = mkdtempSync(join(tmpdir(), "remessa-names-"));
after(() => rmSync(NO_DATABASE, { recursive: true, force: true }));

function remessa(args: string[], input?: string) {
  const { DATABASE_URL: _url, ...env } = process.env;
  const r = spawnSync(BIN, args, {
    encoding: "utf8",
    input,
    env: { ...env, REMESSA_DATA_DIR: NO_DATABASE },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("check-name", () => {
  test("valid name: exit 0, explanation in pt-BR", () => {
    const r = remessa(["check-name", ...CLOCK, "mailing_261126_3_cBRAD_smsshort_q15020.csv"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Nome válido/);
    assert.match(r.stdout, /Carteira BRAD/);
    assert.match(r.stdout, /15% do público a cada 20 minutos/);
  });

  test("invalid name: exit 1, every problem listed with its code", () => {
    const r = remessa(["check-name", ...CLOCK, "mailing_251126_3_smslong_smsshort.csv"]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /DESCARTADOS/);
    for (const code of ["CANAL_CONFLITO", "CARTEIRA_AUSENTE", "DATA_NAO_E_HOJE"]) {
      assert.match(r.stdout, new RegExp(`\\[${code}\\]`));
    }
  });

  test("--json prints exactly one object with the documented shape", () => {
    const r = remessa([
      "check-name",
      "--json",
      ...CLOCK,
      "--folder",
      "BRAD",
      "dir/mailing_261126_3.csv",
    ]);
    assert.equal(r.code, 0);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(out).sort(), ["errors", "mailing", "notChecked", "ok"]);
    assert.equal(out.ok, true);
    assert.equal(out.mailing.wallet, "BRAD");
    assert.equal(out.mailing.walletFrom, "folder");
    assert.equal(out.mailing.description, "mailing_261126_3.csv");
    assert.deepEqual(Object.keys(out.mailing).sort(), [
      "date",
      "deadline",
      "description",
      "email",
      "excludeRecentHours",
      "extension",
      "removeOtherWallets",
      "replaceTags",
      "sanitize",
      "sequence",
      "sms",
      "split",
      "start",
      "wallet",
      "walletFrom",
      "whatsapp",
    ]);
  });

  test("--json on an invalid name: errors with code, param and message", () => {
    const r = remessa(["check-name", "--json", ...CLOCK, "mailing_261126_3_cA_smslong_q1.csv"]);
    assert.equal(r.code, 1);
    const out = JSON.parse(r.stdout);
    assert.equal(out.ok, false);
    assert.equal(out.errors[0].code, "VALOR_INVALIDO");
    assert.equal(out.errors[0].param, "q");
    assert.equal(typeof out.errors[0].message, "string");
  });

  test("usage errors exit 2", () => {
    assert.equal(remessa(["check-name"]).code, 2);
    assert.equal(remessa(["check-name", "--bogus", "x.csv"]).code, 2);
    assert.equal(remessa(["check-name", "--tz", "Marte/Base", "x.csv"]).code, 2);
    assert.equal(remessa(["check-name", "--today", "26/11/2026", "x.csv"]).code, 2);
    assert.equal(remessa(["nao-existe"]).code, 2);
  });

  test("without --today, today is the real date in --tz", () => {
    const ddmmyyIn = (timeZone: string) => {
      const parts = new Intl.DateTimeFormat("en-GB", {
        timeZone,
        day: "2-digit",
        month: "2-digit",
        year: "2-digit",
      }).formatToParts(new Date());
      const get = (type: string) => parts.find((p) => p.type === type)?.value;
      return `${get("day")}${get("month")}${get("year")}`;
    };
    for (const tz of ["America/Sao_Paulo", "Pacific/Kiritimati", "Pacific/Pago_Pago"]) {
      const r = remessa(["check-name", "--json", "--tz", tz, `mailing_${ddmmyyIn(tz)}_1_cA.csv`]);
      assert.equal(JSON.parse(r.stdout).ok, true, `${tz}: ${r.stdout}`);
    }
  });
});

describe("build-name", () => {
  test("builds the canonical name from options", () => {
    const r = remessa([
      "build-name",
      ...CLOCK,
      "--seq",
      "3",
      "--wallet",
      "BRAD",
      "--sms",
      "short",
      "--split",
      "15/20",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), "mailing_261126_3_cBRAD_smsshort_q15020.csv");
  });

  test("every option lands in the name, in table order", () => {
    const r = remessa([
      "build-name",
      ...CLOCK,
      "--seq",
      "12",
      "--wallet",
      "MAIOR30",
      "--description",
      "Régua 60",
      "--sanitize",
      "--whatsapp",
      "exclusivo",
      "--number",
      "11998877665",
      "--template",
      "AVISO",
      "--email",
      "--account",
      "aviso@empresa.com.br",
      "--subject",
      "Olá",
      "--start",
      "2026-11-26T11:00",
      "--exclude-hours",
      "36",
      "--replace-tags",
      "--remove-other-wallets",
      "--deadline",
      "2026-11-26T18:00",
      "--ext",
      "zip",
      "--sms",
      "long",
      "--split",
      "5/120",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout.trim(),
      "mailing_261126_12_cMAIOR30_dRégua 60_h_smslong_whatsappexclusivo_nw11998877665_ntAVISO_email_ceaviso@empresa.com.br_teOlá_i2611261100_q05120_x36_limpartag_removercarteiras_LE2611261800.zip",
    );
    const check = remessa(["check-name", "--json", ...CLOCK, r.stdout.trim()]);
    assert.equal(JSON.parse(check.stdout).ok, true);
  });

  test("refuses with check-name's codes", () => {
    const r = remessa(["build-name", "--json", ...CLOCK, "--seq", "1", "--date", "251126"]);
    assert.equal(r.code, 1);
    const out = JSON.parse(r.stdout);
    assert.equal(out.ok, false);
    assert.equal(out.name, null);
    assert.deepEqual(
      out.errors.map((e: { code: string }) => e.code),
      ["CARTEIRA_AUSENTE", "DATA_NAO_E_HOJE"],
    );
    const orphan = remessa([
      "build-name",
      "--json",
      ...CLOCK,
      "--seq",
      "1",
      "--wallet",
      "A",
      "--number",
      "11998877665",
    ]);
    assert.equal(JSON.parse(orphan.stdout).errors[0].code, "PARAMETRO_SEM_CANAL");
  });

  test("a wallet folder instead of --wallet gives a name without _c", () => {
    const r = remessa(["build-name", ...CLOCK, "--seq", "1", "--folder", "BRAD"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), "mailing_261126_1.csv");
  });

  test("--from-json round-trips check-name's JSON (object or stdin)", () => {
    const name =
      "mailing_261126_1_cMAIOR30_whatsappexclusivo_nw11998877665_ntTEMPLATE HOMOLOGADO ITAU_x36.csv";
    const checked = remessa(["check-name", "--json", ...CLOCK, name]).stdout;
    const viaStdin = remessa(["build-name", ...CLOCK, "--from-json", "-"], checked);
    assert.equal(viaStdin.code, 0, viaStdin.stderr);
    assert.equal(viaStdin.stdout.trim(), name);
    const mailing = JSON.stringify(JSON.parse(checked).mailing);
    assert.equal(remessa(["build-name", ...CLOCK, "--from-json", mailing]).stdout.trim(), name);
  });

  test("--from-json with a malformed object is refused with the field named", () => {
    const r = remessa(["build-name", "--json", ...CLOCK, "--from-json", '{"date":"x"}']);
    assert.equal(r.code, 1);
    assert.match(JSON.parse(r.stdout).errors[0].message, /date/);
    assert.equal(remessa(["build-name", ...CLOCK, "--from-json", "{nope"]).code, 2);
  });
});
