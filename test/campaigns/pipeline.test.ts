/**
 * Campaign planning through the file pipeline (one file, processed in-process with an injected
 * clock) and through `remessa import`.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { BlobStore } from "../../src/ingest/blobs.js";
import { claimNextFile, insertSeen } from "../../src/ingest/ledger.js";
import { type PipelineContext, processFile, tenantDate } from "../../src/ingest/pipeline.js";
import { silentLogger } from "../../src/log.js";
import { LocalSource } from "../../src/sources/local.js";
import { openMigrated } from "../../src/store/db.js";
import { createSource } from "../../src/store/sources.js";
import { getTenant } from "../../src/store/tenants.js";
import { createWallet } from "../../src/store/wallets.js";
import { DATABASES } from "../store/harness.js";
import { addSender } from "./plan-fixtures.js";

const BIN = fileURLToPath(new URL("../../bin/remessa", import.meta.url));

/** Thursday 26/11/2026 09:00 in São Paulo. */
const NOW = new Date("2026-11-26T12:00:00.000Z");

const CSV = [
  "TIPO_DE_REGISTRO;VALOR_DO_REGISTRO;MENSAGEM;NOME_CLIENTE;CODCLIENTE",
  "TELEFONE;11991110001;Oi [NOME_CLIENTE];Ana;C1",
  "EMAIL;ana@x.com;;Ana;C1",
  "TELEFONE;1133334444;Oi [NOME_CLIENTE];Bia;C2",
  "TELEFONE;11991110003;Oi [NOME_CLIENTE];Caio;C3",
  "TELEFONE;11991110004;Oi [NOME_CLIENTE];Davi;C4",
  "",
].join("\r\n");

for (const database of DATABASES) {
  describe(`campaign planning in the pipeline on ${database.name}`, { skip: database.skip }, () => {
    test("a file with an SMS order ends in LIDOS with its campaign, waves and messages, and the report says so", async () => {
      const ts = await database.open();
      try {
        const drop = join(ts.dataDir, "drop");
        mkdirSync(drop, { recursive: true });
        await createWallet(ts.store.db, 1, { code: "BRAD" });
        await addSender(ts.store.db, { kind: "sms", mode: "short", number: "ROTA1" });
        const config = {
          protocol: "local" as const,
          host: "",
          port: null,
          user: "",
          password: "",
          root: drop,
          allowPrivate: true,
          tlsFingerprint: null,
          tlsInsecure: false,
        };
        const source = await createSource(
          ts.store.db,
          1,
          { ...config, intervalSeconds: 5, stabilitySeconds: 0 },
          Buffer.alloc(32, 1),
        );
        // 10:00 start, waves of 50% ten minutes apart, deadline 10:01.
        const name = "mailing_261126_1_cBRAD_smsshort_q50010_i2611261000_LE2611261001.csv";
        writeFileSync(join(drop, name), CSV);
        const tenant = await getTenant(ts.store.db, 1);
        assert.ok(tenant);
        await insertSeen(ts.store.db, {
          tenantId: 1,
          sourceId: source.id,
          folder: null,
          path: name,
          fileName: name,
          size: CSV.length,
          modifiedAt: null,
          seenDate: tenantDate(tenant.time_zone, NOW),
          stable: true,
          now: NOW.toISOString(),
        });
        const ctx: PipelineContext = {
          store: ts.store,
          blobs: new BlobStore(join(ts.dataDir, "files")),
          owner: "test-owner",
          leaseMs: 30_000,
          log: silentLogger,
          retryBaseMs: 1,
          now: () => NOW,
        };
        const row = await claimNextFile(ts.store, 1, "test-owner", 30_000);
        assert.ok(row);
        assert.equal(await processFile(ctx, row, tenant, new LocalSource(config)), "finished");
        const mailing = await ts.store.db
          .selectFrom("mailings")
          .selectAll()
          .where("id", "=", row.id)
          .executeTakeFirstOrThrow();
        assert.equal(mailing.outcome, "accepted");
        assert.match(mailing.moved_to ?? "", /^LIDOS\//);
        const campaign = await ts.store.db
          .selectFrom("campaigns")
          .selectAll()
          .where("mailing_id", "=", row.id)
          .executeTakeFirstOrThrow();
        assert.equal(campaign.start_at, "2026-11-26T13:00:00.000Z");
        assert.equal(campaign.deadline_at, "2026-11-26T13:01:00.000Z");
        assert.equal(Number(campaign.audience), 3);
        assert.equal(Number(campaign.forecast_late), 1);
        const messages = await ts.store.db
          .selectFrom("messages")
          .select(["address", "next_attempt_at"])
          .where("campaign_id", "=", campaign.id)
          .orderBy("address")
          .execute();
        assert.deepEqual(
          messages.map((m) => [m.address, m.next_attempt_at]),
          [
            ["11991110001", "2026-11-26T13:00:00.000Z"],
            ["11991110003", "2026-11-26T13:00:00.000Z"],
            ["11991110004", "2026-11-26T13:10:00.000Z"],
          ],
        );
        const report = readFileSync(join(drop, "LIDOS", `${name}.resultado.txt`), "utf8");
        assert.ok(
          report.includes(
            [
              "Campanhas criadas:",
              '  - SMS short code, rota "sms short ROTA1" (ROTA1)',
              "    Público: 3 pessoas (uma mensagem para cada uma, ao primeiro celular dela no arquivo)",
              "    Fora do público: 1 pessoa (importadas normalmente, mas não recebem esta campanha):",
              "      SEM_CONTATO (sem celular válido): 1",
              "    Início: 26/11/2026 10:00, em 2 ondas:",
              "      onda 1: 26/11/2026 10:00, 2 pessoas",
              "      onda 2: 26/11/2026 10:10, 1 pessoa",
              "    Prazo limite: 26/11/2026 10:01",
              "    Previsão de término: 26/11/2026 10:10:00",
              "    ATENÇÃO: 1 mensagem não deve sair antes do prazo limite (26/11/2026 10:01) e vai expirar sem envio. Motivo: 1 mensagem está numa onda que começa no prazo limite ou depois dele; no ritmo do remetente (100 mensagens por segundo), enviar tudo leva 1 segundo.",
            ].join("\n"),
          ),
          report,
        );
      } finally {
        await ts.dispose();
      }
    });
  });
}

describe("remessa import plans the campaign", () => {
  test("--json lists the campaigns; a missing SMS route refuses the file before anything is imported", async () => {
    const dir = mkdtempSync(join(tmpdir(), "remessa-plan-cli-"));
    try {
      const { DATABASE_URL: _url, ...inherited } = process.env;
      const env = { ...inherited, REMESSA_DATA_DIR: dir };
      const run = (args: string[]) => spawnSync(BIN, args, { encoding: "utf8", env });
      assert.equal(run(["wallets", "add", "BRAD"]).status, 0);
      const file = join(dir, "mailing_261126_1_cBRAD_smsshort.csv");
      writeFileSync(file, CSV);
      const refused = run(["import", "--json", "--today", "2026-11-26", file]);
      assert.equal(refused.status, 1, refused.stdout + refused.stderr);
      const r1 = JSON.parse(refused.stdout) as { errors: { code: string }[] };
      assert.deepEqual(
        r1.errors.map((e) => e.code),
        ["REMETENTE_INEXISTENTE"],
      );

      const store = await openMigrated(`sqlite:${join(dir, "remessa.db")}`);
      try {
        await addSender(store.db, { kind: "sms", mode: "short", number: "ROTA1" });
      } finally {
        await store.close();
      }
      const ok = run(["import", "--json", "--today", "2026-11-26", file]);
      assert.equal(ok.status, 0, ok.stdout + ok.stderr);
      const r2 = JSON.parse(ok.stdout) as {
        campaigns: { channel: string; audience: number; excluded: Record<string, number> }[];
      };
      assert.deepEqual(
        r2.campaigns.map((c) => [c.channel, c.audience, c.excluded]),
        [["sms", 3, { SEM_CONTATO: 1 }]],
      );
      const human = run([
        "import",
        "--today",
        "2026-11-26",
        join(dir, "mailing_261126_2_cBRAD_smsshort.csv"),
      ]);
      assert.equal(human.status, 1, "a missing file is refused");
      const second = join(dir, "mailing_261126_2_cBRAD_smsshort.csv");
      writeFileSync(second, CSV);
      const printed = run(["import", "--today", "2026-11-26", second]);
      assert.equal(printed.status, 0, printed.stdout + printed.stderr);
      assert.match(
        printed.stdout,
        /Campanhas criadas:\n {4}- SMS short code, rota "sms short ROTA1" \(ROTA1\)\n/,
      );
      assert.match(printed.stdout, /Público: 3 pessoas/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
