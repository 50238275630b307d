/**
 * check-name, build-name and inspect apply the server's tenant-data name
 * checks when a database is configured (--data-dir or DATABASE_URL), and say
 * which checks they could not make without one (issue 16 items 2, 6, 13).
 * Runs the real bin/remessa on SQLite always, PostgreSQL in full mode.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { insertSeen } from "../../src/ingest/ledger.js";
import { createSource } from "../../src/store/sources.js";
import { createWallet } from "../../src/store/wallets.js";
import { ddmmyy } from "../ingest/helpers.js";
import { DATABASES, type TestStore } from "../store/harness.js";

const BIN = fileURLToPath(new URL("../../bin/remessa", import.meta.url));
const CLOCK = ["--today", "2026-11-26", "--now", "2026-11-26T10:00"];
const CONTENT = "TIPO_DE_REGISTRO;VALOR_DO_REGISTRO;NOME_CLIENTE\r\nCELULAR;11987654321;Ana\r\n";

/** bin/remessa with only the database settings given here (none inherited). */
function remessa(args: string[], env: Record<string, string>) {
  const { DATABASE_URL: _url, REMESSA_DATA_DIR: _dir, ...rest } = process.env;
  const r = spawnSync(BIN, args, { encoding: "utf8", env: { ...rest, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("name commands without a database", () => {
  const empty = mkdtempSync(join(tmpdir(), "remessa-nodb-"));
  const env = { REMESSA_DATA_DIR: empty };
  after(() => rmSync(empty, { recursive: true, force: true }));

  test("check-name says which checks it could not make", () => {
    const r = remessa(["check-name", ...CLOCK, "mailing_261126_3_cXPTO.csv"], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Nenhum banco de dados encontrado/);
    assert.match(r.stdout, /se a carteira \(pasta ou _c\) está cadastrada/);
    assert.match(r.stdout, /se a sequência já foi usada hoje/);
    const json = JSON.parse(
      remessa(["check-name", "--json", ...CLOCK, "mailing_261126_3_cXPTO.csv"], env).stdout,
    );
    assert.equal(json.ok, true);
    assert.equal(json.notChecked.length, 3);
  });

  test("build-name says so too, on stderr, the name alone on stdout", () => {
    const r = remessa(["build-name", ...CLOCK, "--seq", "3", "--wallet", "XPTO"], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "mailing_261126_3_cXPTO.csv\n");
    assert.match(r.stderr, /não foram feitas/);
  });

  test("a --data-dir without a database is a usage error, not a silent offline check", () => {
    const r = remessa(
      ["check-name", "--data-dir", join(empty, "nada"), ...CLOCK, "mailing_261126_3_cA.csv"],
      {},
    );
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Não há banco de dados do remessa/);
  });

  test("build-name names its own options, not the name's tokens", () => {
    const r = remessa(
      ["build-name", ...CLOCK, "--seq", "3", "--wallet", "A", "--split", "10/20"],
      env,
    );
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /--split só vale com uma campanha: acrescente --sms, --whatsapp ou --email/,
    );
    assert.doesNotMatch(r.stderr, /_q/);
    const date = remessa(
      ["build-name", ...CLOCK, "--seq", "3", "--wallet", "A", "--date", "251126"],
      env,
    );
    assert.match(date.stderr, /--date 25\/11\/2026 não é a data de hoje/);
  });
});

for (const database of DATABASES) {
  describe(`name commands with the ${database.name} database`, { skip: database.skip }, () => {
    let ts: TestStore;
    let env: Record<string, string>;
    /** How to point a command at the store: --data-dir for SQLite, DATABASE_URL for PostgreSQL. */
    let dbArgs: string[];

    before(async () => {
      ts = await database.open();
      await createWallet(ts.store.db, 1, { code: "BRAD" });
      await createWallet(ts.store.db, 1, { code: "ITAU" });
      const source = await createSource(
        ts.store.db,
        1,
        {
          protocol: "local",
          host: "",
          port: null,
          user: "",
          password: "",
          root: ts.dataDir,
          allowPrivate: true,
          tlsFingerprint: null,
          tlsInsecure: false,
          intervalSeconds: 5,
          stabilitySeconds: 0,
        },
        Buffer.alloc(32, 1),
      );
      // Sequence 1 of 26/11/2026 is taken by an accepted file.
      const id = await insertSeen(ts.store.db, {
        tenantId: 1,
        sourceId: source.id,
        folder: null,
        path: "mailing_261126_1_cBRAD.csv",
        fileName: "mailing_261126_1_cBRAD.csv",
        size: 10,
        modifiedAt: null,
        seenDate: "2026-11-26",
        stable: true,
        now: new Date().toISOString(),
      });
      await ts.store.db
        .updateTable("mailings")
        .set({ outcome: "accepted", date: "2026-11-26", sequence: 1 })
        .where("id", "=", id)
        .execute();
      if (database.name === "sqlite") {
        env = {};
        dbArgs = ["--data-dir", ts.dataDir];
      } else {
        env = { DATABASE_URL: ts.url, REMESSA_DATA_DIR: ts.dataDir };
        dbArgs = [];
      }
    });

    after(async () => {
      await ts.dispose();
    });

    const checkName = (...args: string[]) =>
      remessa(["check-name", ...dbArgs, ...CLOCK, ...args], env);

    test("a valid name with registered data goes to LIDOS, with no offline notice", () => {
      const r = checkName("mailing_261126_3_cBRAD.csv");
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /irá para LIDOS/);
      assert.doesNotMatch(r.stdout, /não foram feitas/);
      const json = JSON.parse(checkName("--json", "mailing_261126_3_cBRAD.csv").stdout);
      assert.deepEqual(json.notChecked, []);
    });

    test("what the server discards is discarded: wallet, folder case, sequence, sender", () => {
      const codes = (...args: string[]) => {
        const r = checkName("--json", ...args);
        assert.equal(r.code, 1, r.stdout + r.stderr);
        return JSON.parse(r.stdout).errors.map((e: { code: string }) => e.code);
      };
      assert.deepEqual(codes("mailing_261126_3_cXPTO.csv"), ["CARTEIRA_INEXISTENTE"]);
      assert.deepEqual(codes("mailing_261126_1_cBRAD.csv"), ["SEQUENCIA_REPETIDA"]);
      assert.deepEqual(codes("mailing_261126_3_cBRAD_smsshort.csv"), ["REMETENTE_INEXISTENTE"]);
      assert.deepEqual(codes("--folder", "brad", "mailing_261126_3.csv"), ["CARTEIRA_INEXISTENTE"]);
      const text = checkName("--folder", "itau", "mailing_261126_3.csv").stdout;
      assert.match(
        text,
        /A pasta "itau" difere só em maiúsculas\/minúsculas da carteira "ITAU": renomeie a pasta para "ITAU"/,
      );
      assert.doesNotMatch(text, /LIDOS/);
    });

    test("every error of a name at once: grammar and tenant data together", () => {
      const r = checkName("mailing_261126_3_cXPTO_smslonge.csv");
      assert.equal(r.code, 1);
      assert.match(r.stdout, /\[PARAMETRO_DESCONHECIDO\].*_smslonge/);
      assert.match(r.stdout, /\[CARTEIRA_INEXISTENTE\].*XPTO/);
    });

    test("build-name refuses what the server would discard, in its options' terms", () => {
      const r = remessa(["build-name", ...dbArgs, ...CLOCK, "--seq", "3", "--wallet", "XPTO"], env);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, /\[CARTEIRA_INEXISTENTE\].*--wallet/);
      const ok = remessa(
        ["build-name", ...dbArgs, ...CLOCK, "--seq", "3", "--wallet", "BRAD"],
        env,
      );
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.stdout, "mailing_261126_3_cBRAD.csv\n");
      assert.equal(ok.stderr, "");
    });

    test("inspect does not promise an import for a name the server would discard", () => {
      const dir = mkdtempSync(join(tmpdir(), "remessa-inspect-"));
      try {
        const bad = join(dir, `mailing_${ddmmyy()}_3_cXPTO.csv`);
        writeFileSync(bad, CONTENT);
        const r = remessa(["inspect", ...dbArgs, bad], env);
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.match(r.stdout, /SERIA DESCARTADO/);
        assert.match(r.stdout, /\[CARTEIRA_INEXISTENTE\].*XPTO/);
        const good = join(dir, `mailing_${ddmmyy()}_3_cBRAD.csv`);
        writeFileSync(good, CONTENT);
        const g = remessa(["inspect", ...dbArgs, good], env);
        assert.equal(g.code, 0, g.stdout + g.stderr);
        assert.match(g.stdout, /Situação: SERIA IMPORTADO\n/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
