/**
 * Every error of a name at once (issue 16 item 6): when the grammar refuses a
 * name, the tenant-data checks still run on the parts that parsed, in the
 * pure checks and in the pipeline's `.erro.txt` (SQLite always, PostgreSQL in
 * full mode). Also: a folder differing only in case from a wallet is told so.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parse } from "../../src/filename/index.js";
import { IngestService } from "../../src/ingest/service.js";
import { checkTenantData, type TenantDirectory } from "../../src/ingest/tenant-checks.js";
import { silentLogger } from "../../src/log.js";
import { createSource } from "../../src/store/sources.js";
import { createWallet } from "../../src/store/wallets.js";
import { DATABASES, type TestStore } from "../store/harness.js";
import { ddmmyy, mailingCsv, waitFor, whereDone } from "./helpers.js";

const today = "2026-11-26";
const clock = { today, now: `${today}T10:00` };

/** BRAD and ITAU registered, one SMS short route, nothing else. */
const directory: TenantDirectory = {
  walletId: async (code) => ({ BRAD: 1, ITAU: 2 })[code] ?? null,
  walletCodeIgnoringCase: async (code) =>
    ["BRAD", "ITAU"].find((c) => c === code.toUpperCase()) ?? null,
  sequenceHolder: async (_date, sequence) => (sequence === 1 ? "mailing_261126_1_cBRAD.csv" : null),
  hasSender: async (kind, mode) => kind === "sms" && mode === "short",
  exclusiveNumbers: async () => [],
  hasTemplate: async () => false,
  hasDefaultTemplate: async () => false,
  hasEmailAccount: async () => false,
};

async function allCodes(name: string, folder: string | null = null): Promise<string[]> {
  const parsed = parse(name, { folder, ...clock });
  const facts = parsed.mailing ?? parsed.facts;
  assert.ok(facts, "a safe name always gives what parsed");
  const tenant = await checkTenantData(facts, folder, null, directory);
  return [...parsed.errors, ...tenant].map((e) => e.code);
}

describe("name errors reported together", () => {
  test("an unknown parameter does not hide the missing wallet", async () => {
    assert.deepEqual(await allCodes("mailing_261126_3_cXPTO_smslonge.csv"), [
      "PARAMETRO_DESCONHECIDO",
      "CARTEIRA_INEXISTENTE",
    ]);
  });

  test("a bad value does not hide a used sequence nor a missing sender", async () => {
    assert.deepEqual(await allCodes("mailing_261126_1_cBRAD_smslong_qABC.csv"), [
      "PARAMETRO_DESCONHECIDO",
      "SEQUENCIA_REPETIDA",
      "REMETENTE_INEXISTENTE",
    ]);
    assert.deepEqual(await allCodes("mailing_261126_1_cBRAD_smslong_q1.csv"), [
      "VALOR_INVALIDO",
      "SEQUENCIA_REPETIDA",
      "REMETENTE_INEXISTENTE",
    ]);
  });

  test("a check on a part that could not be read is left to that part's own error", async () => {
    // _nw with letters: the grammar says so; "the wallet has no exclusive number" would mislead.
    assert.deepEqual(await allCodes("mailing_261126_2_cBRAD_whatsappexclusivo_nw12_ntX.csv"), [
      "VALOR_INVALIDO",
      "TEMPLATE_INEXISTENTE",
    ]);
  });

  test("an unsafe name or a name that is not a mailing gives no facts: nothing else is read", () => {
    const unsafe = parse("mailing_261126_2_cXPTO\n.csv", { folder: null, ...clock });
    assert.equal(unsafe.facts, undefined);
    const other = parse("relatorio_261126_2_cXPTO.csv", { folder: null, ...clock });
    assert.deepEqual(
      other.errors.map((e) => e.code),
      ["PREFIXO"],
    );
    assert.equal(other.facts, undefined);
  });

  test("a folder or _c differing only in case from a wallet is told to be renamed", async () => {
    const folder = await checkTenantData(
      parse("mailing_261126_2.csv", { folder: "itau", ...clock }).mailing!,
      "itau",
      null,
      directory,
    );
    assert.equal(folder.length, 1);
    assert.match(
      folder[0]!.message,
      /"itau" difere só em maiúsculas\/minúsculas da carteira "ITAU"/,
    );
    assert.match(folder[0]!.message, /renomeie a pasta para "ITAU"/);
    const named = await checkTenantData(
      parse("mailing_261126_2_citau.csv", { folder: null, ...clock }).mailing!,
      null,
      null,
      directory,
    );
    assert.match(named[0]!.message, /escreva _cITAU/);
  });
});

for (const database of DATABASES) {
  describe(`every name error in one .erro.txt on ${database.name}`, { skip: database.skip }, () => {
    let ts: TestStore;
    let drop: string;
    let service: IngestService;
    let sourceId: number;

    before(async () => {
      ts = await database.open();
      drop = join(ts.dataDir, "drop");
      mkdirSync(drop, { recursive: true });
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
          root: drop,
          allowPrivate: true,
          tlsFingerprint: null,
          tlsInsecure: false,
          intervalSeconds: 5,
          stabilitySeconds: 0,
        },
        Buffer.alloc(32, 1),
      );
      sourceId = source.id;
      service = new IngestService({
        store: ts.store,
        filesDir: join(ts.dataDir, "files"),
        log: silentLogger,
        tickMs: 100,
      });
      service.start();
    });

    after(async () => {
      await service.stop();
      await ts.dispose();
    });

    async function dropAndRead(folder: string, name: string): Promise<string> {
      const dir = join(drop, folder);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, name), mailingCsv(2));
      service.notifyUploadComplete(sourceId, folder ? `${folder}/${name}` : name);
      const where = await waitFor(`${name} to be moved`, () => whereDone(dir, name));
      assert.equal(where, "DESCARTADOS");
      return readFileSync(join(dir, "DESCARTADOS", `${name}.erro.txt`), "utf8");
    }

    test("a bad parameter and a missing wallet are both in the first report", async () => {
      const text = await dropAndRead("", `mailing_${ddmmyy()}_3_cXPTO_smslonge.csv`);
      assert.match(text, /\[PARAMETRO_DESCONHECIDO\].*_smslonge/);
      assert.match(text, /\[CARTEIRA_INEXISTENTE\].*XPTO/);
    });

    test("a folder named like a wallet in other case is told to be renamed", async () => {
      const text = await dropAndRead("itau", `mailing_${ddmmyy()}_4.csv`);
      assert.match(text, /\[CARTEIRA_INEXISTENTE\]/);
      assert.match(text, /renomeie a pasta para "ITAU"/);
    });
  });
}
