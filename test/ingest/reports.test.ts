/**
 * Issue 16, the reports the pipeline writes beside a file (in-process service over a local
 * folder; SQLite always, PostgreSQL in full mode):
 * - item 1: a name that asks for a campaign is never reported as asking for none;
 * - item 3: a discard for its rejected rows writes the `.rejeitados.csv` its `.erro.txt` points to;
 * - item 7: an invalid optional field is blanked, the contact imported and the field reported;
 * - item 15: a `_h` report says what sanitisation did; `arquivo` names the zip entry.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { BlobStore } from "../../src/ingest/blobs.js";
import { claimNextFile, insertSeen } from "../../src/ingest/ledger.js";
import { processFile, tenantDate } from "../../src/ingest/pipeline.js";
import { IngestService } from "../../src/ingest/service.js";
import { silentLogger } from "../../src/log.js";
import { SourceError } from "../../src/sources/errors.js";
import { LocalSource } from "../../src/sources/local.js";
import type { Source } from "../../src/sources/types.js";
import { createSource } from "../../src/store/sources.js";
import { getTenant } from "../../src/store/tenants.js";
import { createWallet } from "../../src/store/wallets.js";
import { buildZip, LONG_HEADER, longRow } from "../mailing/helpers.js";
import { DATABASES, type TestStore } from "../store/harness.js";
import { ddmmyy, mailingCsv, namesIn, waitFor, waitReported, whereDone } from "./helpers.js";

for (const database of DATABASES) {
  describe(`pipeline reports on ${database.name}`, { skip: database.skip }, () => {
    let ts: TestStore;
    let drop: string;
    let service: IngestService;
    let sourceId: number;
    const today = ddmmyy();

    function dropConfig() {
      return {
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
    }

    before(async () => {
      ts = await database.open();
      drop = join(ts.dataDir, "drop");
      mkdirSync(drop, { recursive: true });
      await createWallet(ts.store.db, 1, { code: "BRAD" });
      const now = new Date().toISOString();
      await ts.store.db
        .insertInto("senders")
        .values({
          tenant_id: 1,
          kind: "sms",
          mode: "short",
          name: "Rota curta",
          number: "ROTA1",
          phone_number_id: null,
          token_enc: null,
          wallet_id: null,
          settings_json: null,
          rate_per_second: null,
          created_at: now,
          updated_at: now,
        })
        .execute();
      const source = await createSource(
        ts.store.db,
        1,
        { ...dropConfig(), intervalSeconds: 5, stabilitySeconds: 0 },
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

    async function dropAndWait(name: string, content: string | Buffer) {
      writeFileSync(join(drop, name), content);
      service.notifyUploadComplete(sourceId, name);
      const where = await waitFor(`${name} to be moved and reported`, () => whereDone(drop, name));
      await waitReported(ts.store.db, [name]);
      return where;
    }

    const read = (folder: string, name: string) => readFileSync(join(drop, folder, name), "utf8");

    async function reportsOf(name: string): Promise<string[]> {
      const row = await ts.store.db
        .selectFrom("mailings")
        .select("reports_json")
        .where("file_name", "=", name)
        .executeTakeFirstOrThrow();
      return (JSON.parse(row.reports_json ?? "[]") as string[]).map((p) => p.split("/").pop() ?? p);
    }

    test("a name asking for SMS gets its campaign, and the report says channel, sender, audience, exclusions, waves and deadline", async () => {
      const name = `mailing_${today}_2_cBRAD_smsshort_q15020.csv`;
      const csv = [
        "TIPO_DE_REGISTRO;VALOR_DO_REGISTRO;MENSAGEM;NOME_CLIENTE;CODCLIENTE",
        "TELEFONE;11991110001;Oi [NOME_CLIENTE];Ana;C1",
        "TELEFONE;11991110002;Oi [NOME_CLIENTE];Bia;C2",
        "TELEFONE;11991110003;;Caio;C3",
        "TELEFONE;11991110004;Oi [NOME_CLIENTE];Davi;C4",
        "",
      ].join("\r\n");
      assert.equal(await dropAndWait(name, csv), "LIDOS");
      const report = read("LIDOS", `${name}.resultado.txt`);
      assert.doesNotMatch(report, /não pede SMS/);
      assert.doesNotMatch(report, /ainda não está ativo/);
      assert.match(
        report,
        /Campanhas criadas:\n {2}- SMS short code, rota "Rota curta" \(ROTA1\)\n {4}Público: 3 pessoas \(uma mensagem para cada uma, ao primeiro celular dela no arquivo\)\n {4}Fora do público: 1 pessoa \(importadas normalmente, mas não recebem esta campanha\):\n {6}SEM_MENSAGEM \(sem texto na coluna MENSAGEM\): 1\n {4}Início: \d\d\/\d\d\/\d{4} \d\d:\d\d, em 3 ondas:\n {6}onda 1: [^\n]+, 1 pessoa\n {6}onda 2: [^\n]+, 1 pessoa\n {6}onda 3: [^\n]+, 1 pessoa\n {4}Prazo limite: nenhum\n {4}Previsão de término: /,
      );
      const mailing = await ts.store.db
        .selectFrom("mailings")
        .select("id")
        .where("file_name", "=", name)
        .executeTakeFirstOrThrow();
      const campaign = await ts.store.db
        .selectFrom("campaigns")
        .selectAll()
        .where("mailing_id", "=", mailing.id)
        .executeTakeFirstOrThrow();
      assert.equal(campaign.channel, "sms");
      assert.equal(Number(campaign.audience), 3);
      const waves = await ts.store.db
        .selectFrom("waves")
        .select(["number", "start_at"])
        .where("campaign_id", "=", campaign.id)
        .orderBy("number")
        .execute();
      assert.deepEqual(
        waves.map((w) => Date.parse(w.start_at) - Date.parse(campaign.start_at)),
        [0, 20 * 60_000, 40 * 60_000],
      );
      // A name that asks for nothing still says so.
      const plain = `mailing_${today}_3_cBRAD.csv`;
      assert.equal(await dropAndWait(plain, mailingCsv(1, 0, 3)), "LIDOS");
      assert.match(
        read("LIDOS", `${plain}.resultado.txt`),
        /Campanhas: nenhuma \(o nome do arquivo não pede SMS, WhatsApp nem e-mail\)/,
      );
    });

    test("REJEICAO_EXCESSIVA writes the .rejeitados.csv its .erro.txt points to, listed in the reports", async () => {
      const name = `mailing_${today}_4_cBRAD.csv`;
      assert.equal(await dropAndWait(name, mailingCsv(2, 3, 4)), "DESCARTADOS");
      const error = read("DESCARTADOS", `${name}.erro.txt`);
      assert.match(error, /\[REJEICAO_EXCESSIVA\]/);
      assert.ok(error.includes(`estão em ${name}.rejeitados.csv`), error);
      const csv = read("DESCARTADOS", `${name}.rejeitados.csv`);
      const lines = csv.trimEnd().split("\r\n");
      assert.equal(lines[0], "\uFEFFlinha;arquivo;codigo;motivo;conteudo_original");
      assert.deepEqual(
        lines.slice(1).map((l) => l.split(";").slice(0, 3).join(";")),
        ["4;;TELEFONE_INVALIDO", "5;;TELEFONE_INVALIDO", "6;;TELEFONE_INVALIDO"],
      );
      assert.deepEqual((await reportsOf(name)).sort(), [
        `${name}.erro.txt`,
        `${name}.rejeitados.csv`,
      ]);
      // No staging leftovers beside it.
      assert.deepEqual(
        namesIn(join(drop, "DESCARTADOS")).filter((n) => n.startsWith(name)),
        [name, `${name}.erro.txt`, `${name}.rejeitados.csv`],
      );
    });

    test("SEM_LINHAS_VALIDAS with a refused name too: the rejected rows are written", async () => {
      const name = `mailing_${ddmmyy(-1)}_5_cBRAD.csv`;
      assert.equal(await dropAndWait(name, mailingCsv(0, 2, 5)), "DESCARTADOS");
      const error = read("DESCARTADOS", `${name}.erro.txt`);
      assert.match(error, /\[DATA_NAO_E_HOJE\]/);
      assert.match(error, /\[SEM_LINHAS_VALIDAS\]/);
      assert.ok(error.includes(`${name}.rejeitados.csv`));
      assert.equal(
        read("DESCARTADOS", `${name}.rejeitados.csv`).match(/TELEFONE_INVALIDO/g)?.length,
        2,
      );
    });

    test("PRIORIDADE=URGENTE: the phone is imported, the field reported with its line", async () => {
      const name = `mailing_${today}_6_cBRAD.csv`;
      const content = [
        LONG_HEADER,
        longRow({ value: "11987650001", code: "P1", priority: "URGENTE" }),
        longRow({ value: "11987650002", code: "P2", priority: "ALTA" }),
      ].join("\r\n");
      assert.equal(await dropAndWait(name, content), "LIDOS");
      const report = read("LIDOS", `${name}.resultado.txt`);
      assert.match(report, /Linhas rejeitadas: 0/);
      assert.match(report, /Pessoas importadas: 2 \(2 novas, 0 atualizadas\)/);
      assert.match(report, /PRIORIDADE_INVALIDA \(prioridade inválida\): 1/);
      const csv = read("LIDOS", `${name}.rejeitados.csv`);
      assert.match(
        csv,
        /\r\n2;;PRIORIDADE_INVALIDA;"PRIORIDADE ""URGENTE"" inválida[^\r\n]*contato foi mantido/,
      );
      const channel = await ts.store.db
        .selectFrom("person_channels")
        .select("value")
        .where("value", "=", "11987650001")
        .executeTakeFirst();
      assert.ok(channel, "the contact with the invalid priority is imported");
    });

    test("a _h report says sanitisation was applied and what it removed", async () => {
      const name = `mailing_${today}_7_cBRAD_h.csv`;
      const content = [
        LONG_HEADER,
        longRow({ value: "11987650011", code: "H1" }),
        longRow({ value: "11987650011", code: "H1" }),
        longRow({ value: "20987650012", code: "H2" }),
        longRow({ value: "11987650013", code: "H3" }),
        longRow({ value: "(11) 8765-0014", code: "H4" }),
      ].join("\r\n");
      assert.equal(await dropAndWait(name, content), "LIDOS");
      const report = read("LIDOS", `${name}.resultado.txt`);
      assert.match(report, /Higienização \(_h\): aplicada/);
      assert.match(report, /Contatos repetidos retirados \(DUPLICADO\): 1\n/);
      assert.match(report, /Celulares de 8 dígitos que ganharam o 9º dígito: 1\n/);
      assert.match(report, /Telefones com DDD inexistente \(DDD_INVALIDO\): 1\n/);
      const plain = read("LIDOS", `mailing_${today}_3_cBRAD.csv.resultado.txt`);
      assert.doesNotMatch(plain, /Higienização/);
    });

    test("the arquivo column of .rejeitados.csv names the zip entry", async () => {
      const name = `mailing_${today}_8_cBRAD.zip`;
      const zip = await buildZip([
        { name: "parte1.csv", data: mailingCsv(3, 0, 81) },
        { name: "parte2.csv", data: mailingCsv(3, 1, 82) },
      ]);
      assert.equal(await dropAndWait(name, zip), "LIDOS");
      const csv = read("LIDOS", `${name}.rejeitados.csv`);
      assert.match(csv, /\r\n5;parte2\.csv;TELEFONE_INVALIDO;/);
    });

    test("one row per person: the result report counts the contact dropped from a kept row", async () => {
      const name = `mailing_${today}_10_cBRAD.csv`;
      const content = [
        "CODCLIENTE;TELEFONE;EMAIL",
        "W1;12;w1@exemplo.com.br",
        "W2;11987650021;",
      ].join("\r\n");
      assert.equal(await dropAndWait(name, content), "LIDOS");
      const report = read("LIDOS", `${name}.resultado.txt`);
      assert.match(report, /Linhas rejeitadas: 0 /);
      assert.match(report, /Contatos descartados de linhas aceitas: 1 /);
      assert.match(
        report,
        /Linhas e contatos rejeitados, por motivo:\n {2}TELEFONE_INVALIDO[^\n]*: 1\n/,
      );
      assert.match(read("LIDOS", `${name}.rejeitados.csv`), /\r\n2;;TELEFONE_INVALIDO;TELEFONE: /);
    });

    // Last: it stops the service to drive the file by hand.
    test("a report step cut after the .rejeitados.csv and before the .erro.txt ends with both, once", async () => {
      await service.stop();
      const name = `mailing_${today}_9_cBRAD.csv`;
      writeFileSync(join(drop, name), mailingCsv(1, 3, 9));
      const tenant = await getTenant(ts.store.db, 1);
      assert.ok(tenant);
      const id = await insertSeen(ts.store.db, {
        tenantId: 1,
        sourceId,
        folder: null,
        path: name,
        fileName: name,
        size: 10,
        modifiedAt: null,
        seenDate: tenantDate(tenant.time_zone, new Date()),
        stable: true,
        now: new Date().toISOString(),
      });
      const local = new LocalSource(dropConfig());
      let cut = true;
      // The move of the .erro.txt fails once, as a crash right after the .rejeitados.csv would.
      const cutting: Source = Object.assign(Object.create(local) as Source, {
        move: async (from: string, to: string, newName?: string) => {
          if (cut && newName?.endsWith(".erro.txt")) {
            cut = false;
            throw new SourceError("SEM_PERMISSAO", "Corte no meio dos relatórios (teste).");
          }
          return local.move(from, to, newName);
        },
      });
      const ctx = {
        store: ts.store,
        blobs: new BlobStore(join(ts.dataDir, "files")),
        owner: "test-owner",
        leaseMs: 30_000,
        log: silentLogger,
        retryBaseMs: 1,
      };
      const first = await claimNextFile(ts.store, 1, "test-owner", 30_000);
      assert.equal(first?.id, id);
      assert.equal(await processFile(ctx, first, tenant, cutting), "retry-later");
      const discarded = join(drop, "DESCARTADOS");
      const csv = readFileSync(join(discarded, `${name}.rejeitados.csv`), "utf8");
      assert.equal(csv.match(/TELEFONE_INVALIDO/g)?.length, 3);
      assert.ok(!existsSync(join(discarded, `${name}.erro.txt`)));
      const again = await waitFor("retry due", () =>
        claimNextFile(ts.store, 1, "test-owner", 30_000),
      );
      assert.equal(again.id, id);
      assert.equal(await processFile(ctx, again, tenant, cutting), "finished");
      assert.deepEqual(
        namesIn(discarded).filter((n) => n.startsWith(name)),
        [name, `${name}.erro.txt`, `${name}.rejeitados.csv`],
      );
      assert.equal(readFileSync(join(discarded, `${name}.rejeitados.csv`), "utf8"), csv);
      assert.ok(read("DESCARTADOS", `${name}.erro.txt`).includes(`${name}.rejeitados.csv`));
      const row = await ts.store.db
        .selectFrom("mailings")
        .selectAll()
        .where("id", "=", id)
        .executeTakeFirstOrThrow();
      assert.equal(row.state, "reported");
      assert.equal(row.stored_path, null, "the discarded copy is dropped after its reports");
      assert.deepEqual((await reportsOf(name)).sort(), [
        `${name}.erro.txt`,
        `${name}.rejeitados.csv`,
      ]);
    });
  });
}
