/**
 * The pipeline in-process over a real local folder and a real database
 * (SQLite always, PostgreSQL in full mode): where files end, what the
 * reports say, what is imported, retries of a refused move.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { BlobStore } from "../../src/ingest/blobs.js";
import { claimNextFile, insertSeen } from "../../src/ingest/ledger.js";
import { type PipelineContext, processFile, tenantDate } from "../../src/ingest/pipeline.js";
import { scanSource } from "../../src/ingest/scanner.js";
import { IngestService } from "../../src/ingest/service.js";
import { silentLogger } from "../../src/log.js";
import { openStoredFile } from "../../src/privacy/sealed.js";
import { SourceError } from "../../src/sources/errors.js";
import { LocalSource } from "../../src/sources/local.js";
import type { Source } from "../../src/sources/types.js";
import type { Tenant } from "../../src/store/schema.js";
import { createSource } from "../../src/store/sources.js";
import { getTenant } from "../../src/store/tenants.js";
import { createWallet } from "../../src/store/wallets.js";
import { DATABASES, type TestStore } from "../store/harness.js";
import {
  ddmmyy,
  mailingCsv,
  namesIn,
  waitFor,
  waitReported,
  whereDone,
  whereIs,
} from "./helpers.js";

for (const database of DATABASES) {
  describe(`ingest pipeline on ${database.name}`, { skip: database.skip }, () => {
    let ts: TestStore;
    let drop: string;
    let service: IngestService;
    let sourceId: number;

    /** The drop folder's connection settings (a local folder). */
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
      await createWallet(ts.store.db, 1, { code: "ITAU" });
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

    const today = ddmmyy();

    /** A file recorded as seen and stable, for a claim driven by hand (the service stopped). */
    async function seenByHand(name: string): Promise<{ id: number; tenant: Tenant }> {
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
        // The name check compares the name's date with the tenant's today.
        seenDate: tenantDate(tenant.time_zone, new Date()),
        stable: true,
        now: new Date().toISOString(),
      });
      return { id, tenant };
    }

    /** The drop folder as a source. */
    function dropSource(): LocalSource {
      return new LocalSource(dropConfig());
    }

    /** A pipeline context for processing a file by hand. */
    function byHand(overrides: Partial<PipelineContext> = {}): PipelineContext {
      return {
        store: ts.store,
        blobs: new BlobStore(join(ts.dataDir, "files")),
        owner: "test-owner",
        leaseMs: 30_000,
        log: silentLogger,
        retryBaseMs: 1,
        ...overrides,
      };
    }

    async function dropAndWait(folder: string, name: string, content: string) {
      const dir = join(drop, folder);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, name), content);
      service.notifyUploadComplete(sourceId, folder ? `${folder}/${name}` : name);
      return waitFor(`${name} to be moved and reported`, () => whereDone(dir, name));
    }

    test("a good file goes to LIDOS with its result report, and people are imported", async () => {
      const name = `mailing_${today}_1_cBRAD.csv`;
      const where = await dropAndWait("", name, mailingCsv(5, 1));
      assert.equal(where, "LIDOS");
      const report = readFileSync(join(drop, "LIDOS", `${name}.resultado.txt`), "utf8");
      assert.match(report, /IMPORTADO/);
      assert.match(report, /Pessoas importadas: 5/);
      const rejected = readFileSync(join(drop, "LIDOS", `${name}.rejeitados.csv`), "utf8");
      assert.match(rejected, /TELEFONE_INVALIDO/);
      await waitReported(ts.store.db, [name]);
      const row = await ts.store.db
        .selectFrom("mailings")
        .selectAll()
        .where("file_name", "=", name)
        .executeTakeFirstOrThrow();
      assert.equal(row.state, "reported");
      assert.equal(row.outcome, "accepted");
      assert.equal(row.persons, 5);
      assert.ok(row.stored_path);
      // Sealed at rest: read back through the stored-file module.
      const copy = Buffer.concat(await openStoredFile(row.stored_path).toArray()).toString("utf8");
      assert.equal(copy, mailingCsv(5, 1));
      assert.deepEqual(JSON.parse(row.reports_json ?? "[]").length, 2);
    });

    const discards: [string, string, string, string][] = [
      ["yesterday's date", "", `mailing_${ddmmyy(-1)}_2_cBRAD.csv`, "DATA_NAO_E_HOJE"],
      ["unknown wallet", "", `mailing_${today}_3_cNAOEXISTE.csv`, "CARTEIRA_INEXISTENTE"],
      ["folder that is not a wallet", "OUTRA", `mailing_${today}_4.csv`, "CARTEIRA_INEXISTENTE"],
      ["_c against the folder", "ITAU", `mailing_${today}_5_cBRAD.csv`, "CARTEIRA_CONFLITO"],
      ["a non-mailing file", "", "foto das férias.jpg", "PREFIXO"],
    ];
    for (const [what, folder, name, code] of discards) {
      test(`${what} → DESCARTADOS with ${code}`, async () => {
        const where = await dropAndWait(folder, name, mailingCsv(2));
        assert.equal(where, "DESCARTADOS");
        const text = readFileSync(join(drop, folder, "DESCARTADOS", `${name}.erro.txt`), "utf8");
        assert.match(text, new RegExp(`\\[${code}\\]`));
      });
    }

    test("a used sequence is discarded naming the file that holds it; discards do not consume it", async () => {
      const first = `mailing_${today}_7_cBRAD.csv`;
      assert.equal(await dropAndWait("", first, mailingCsv(2, 0, 7)), "LIDOS");
      const second = `mailing_${today}_007_cBRAD_dOutro.csv`;
      assert.equal(await dropAndWait("", second, mailingCsv(2, 0, 8)), "DESCARTADOS");
      const text = readFileSync(join(drop, "DESCARTADOS", `${second}.erro.txt`), "utf8");
      assert.match(text, /\[SEQUENCIA_REPETIDA\]/);
      assert.ok(text.includes(first));
      // Sequence 4 was only used by a discarded file: still free.
      assert.equal(
        await dropAndWait("BRAD", `mailing_${today}_4.csv`, mailingCsv(1, 0, 9)),
        "LIDOS",
      );
    });

    test("bad content is discarded with the content's reason", async () => {
      const name = `mailing_${today}_8_cBRAD.csv`;
      assert.equal(await dropAndWait("", name, "NOME;IDADE\r\nJoão;30\r\n"), "DESCARTADOS");
      const text = readFileSync(join(drop, "DESCARTADOS", `${name}.erro.txt`), "utf8");
      assert.match(text, /\[COLUNAS_OBRIGATORIAS\]/);
    });

    test("a wrong name with bad content lists the name and the content problems together", async () => {
      const name = `mailing_${ddmmyy(-1)}_15_cBRAD.csv`;
      assert.equal(await dropAndWait("", name, "NOME;IDADE\r\nJoão;30\r\n"), "DESCARTADOS");
      const text = readFileSync(join(drop, "DESCARTADOS", `${name}.erro.txt`), "utf8");
      assert.match(text, /\[DATA_NAO_E_HOJE\]/);
      assert.match(text, /\[COLUNAS_OBRIGATORIAS\]/);
    });

    test("temporary names and files inside LIDOS or deeper folders are never touched", async () => {
      writeFileSync(join(drop, `mailing_${today}_9_cBRAD.csv.filepart`), mailingCsv(1));
      writeFileSync(join(drop, `.oculto.csv`), mailingCsv(1));
      mkdirSync(join(drop, "BRAD", "fundo"), { recursive: true });
      writeFileSync(join(drop, "BRAD", "fundo", `mailing_${today}_10.csv`), mailingCsv(1));
      writeFileSync(join(drop, "LIDOS", `mailing_${today}_11_cBRAD.csv`), mailingCsv(1));
      // A sentinel processed after them proves the scans ran.
      const sentinel = `mailing_${today}_12_cBRAD.csv`;
      assert.equal(await dropAndWait("", sentinel, mailingCsv(1, 0, 12)), "LIDOS");
      assert.ok(namesIn(drop).includes(`mailing_${today}_9_cBRAD.csv.filepart`));
      assert.ok(namesIn(drop).includes(".oculto.csv"));
      assert.ok(namesIn(join(drop, "BRAD", "fundo")).includes(`mailing_${today}_10.csv`));
      const rows = await ts.store.db
        .selectFrom("mailings")
        .select("path")
        .where("path", "like", "%filepart")
        .execute();
      assert.equal(rows.length, 0);
    });

    test("a file renamed from .filepart is picked up under its final name", async () => {
      const name = `mailing_${today}_13_cBRAD.csv`;
      writeFileSync(join(drop, `${name}.filepart`), mailingCsv(3, 0, 13));
      const { renameSync } = await import("node:fs");
      renameSync(join(drop, `${name}.filepart`), join(drop, name));
      service.notifyUploadComplete(sourceId, name);
      assert.equal(await waitFor("moved", () => whereDone(drop, name)), "LIDOS");
    });

    test("a move the server refuses is retried later, and the file is imported once", async () => {
      await service.stop();
      const name = `mailing_${today}_14_cBRAD.csv`;
      writeFileSync(join(drop, name), mailingCsv(3, 0, 14));
      const { id, tenant } = await seenByHand(name);
      const local = dropSource();
      let refusals = 1;
      const refusing: Source = Object.assign(Object.create(local) as Source, {
        move: async (from: string, to: string, newName?: string) => {
          if (refusals-- > 0) {
            throw new SourceError("SEM_PERMISSAO", "Sem permissão para mover (teste).");
          }
          return local.move(from, to, newName);
        },
      });
      const ctx = byHand();
      const first = await claimNextFile(ts.store, 1, "test-owner", 30_000);
      assert.equal(first?.id, id);
      assert.equal(await processFile(ctx, first, tenant, refusing), "retry-later");
      const waiting = await ts.store.db
        .selectFrom("mailings")
        .selectAll()
        .where("id", "=", id)
        .executeTakeFirstOrThrow();
      assert.equal(waiting.state, "imported");
      assert.match(waiting.last_error ?? "", /Sem permissão/);
      assert.ok(whereIs(drop, name) === null);
      const again = await waitFor("retry due", () =>
        claimNextFile(ts.store, 1, "test-owner", 30_000),
      );
      assert.equal(again.id, id);
      assert.equal(await processFile(ctx, again, tenant, refusing), "finished");
      assert.equal(whereIs(drop, name), "LIDOS");
      assert.ok(namesIn(join(drop, "LIDOS")).includes(`${name}.resultado.txt`));
      const memberships = await ts.store.db
        .selectFrom("mailing_persons")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("mailing_id", "=", id)
        .executeTakeFirstOrThrow();
      assert.equal(Number(memberships.n), 3);
      await waitFor("the record to be reported", async () => {
        const r = await ts.store.db
          .selectFrom("mailings")
          .select("state")
          .where("id", "=", id)
          .executeTakeFirst();
        return r?.state === "reported";
      });
      const done = await ts.store.db
        .selectFrom("mailings")
        .selectAll()
        .where("id", "=", id)
        .executeTakeFirstOrThrow();
      assert.equal(done.state, "reported");
      assert.equal(done.last_error, null);
    });

    test("a long import: lease renewals wait one at a time, not one more per tick", async () => {
      const name = `mailing_${today}_16_cBRAD.csv`;
      writeFileSync(join(drop, name), mailingCsv(5));
      const { id, tenant } = await seenByHand(name);
      const local = dropSource();
      // PostgreSQL: renewals wait for the row the import holds. SQLite: they
      // retry (asynchronously) until the import's write lock is gone.
      const pool = ts.store.pgPool;
      let mostCheckedOut = 0;
      const ctx = byHand({
        // A renewal every 250 ms; the import below holds the file's row for 2 s.
        leaseMs: 300,
        afterImport: async () => {
          for (let i = 0; i < 20; i++) {
            await new Promise((resolve) => setTimeout(resolve, 100));
            if (pool) mostCheckedOut = Math.max(mostCheckedOut, pool.totalCount - pool.idleCount);
          }
        },
      });
      const claimed = await claimNextFile(ts.store, 1, "test-owner", 300);
      assert.equal(claimed?.id, id);
      assert.equal(await processFile(ctx, claimed, tenant, local), "finished");
      assert.equal(whereIs(drop, name), "LIDOS");
      if (database.name === "postgres") {
        // The import's own connection and one renewal waiting for its row.
        assert.equal(mostCheckedOut, 2);
      }
    });

    test("a file replaced under the same name while processed stays, and is taken as a new file; the processed one is restored to LIDOS", async () => {
      const name = `mailing_${today}_17_cBRAD.csv`;
      const first = mailingCsv(2, 0, 17);
      const corrected = mailingCsv(7, 0, 18);
      writeFileSync(join(drop, name), first);
      const { id, tenant } = await seenByHand(name);
      // The customer sends the corrected file while the first is being imported.
      const ctx = byHand({
        afterImport: async () => writeFileSync(join(drop, name), corrected),
      });
      const claimed = await claimNextFile(ts.store, 1, "test-owner", 30_000);
      assert.equal(claimed?.id, id);
      assert.equal(await processFile(ctx, claimed, tenant, dropSource()), "finished");
      assert.equal(readFileSync(join(drop, name), "utf8"), corrected);
      // The imported one is where it would have gone (restored from its copy), with its report.
      assert.equal(readFileSync(join(drop, "LIDOS", name), "utf8"), first);
      assert.ok(namesIn(join(drop, "LIDOS")).includes(`${name}.resultado.txt`));
      const old = await ts.store.db
        .selectFrom("mailings")
        .select(["state", "moved_to", "persons"])
        .where("id", "=", id)
        .executeTakeFirstOrThrow();
      assert.deepEqual(old, { state: "reported", moved_to: `LIDOS/${name}`, persons: 2 });
      const scan = await scanSource(
        ts.store,
        dropSource(),
        { sourceId, tenantId: 1, timeZone: tenant.time_zone, stabilitySeconds: 0 },
        (at) => tenantDate(tenant.time_zone, at),
        null,
      );
      assert.equal(scan.added, 1);
      const records = await ts.store.db
        .selectFrom("mailings")
        .select("id")
        .where("path", "=", name)
        .execute();
      assert.equal(records.length, 2);
    });

    test("a move whose reply was lost, then a listing that times out: found later, report kept", async () => {
      const name = `mailing_${today}_18_cBRAD.csv`;
      writeFileSync(join(drop, name), mailingCsv(3, 0, 19));
      const { id, tenant } = await seenByHand(name);
      const local = dropSource();
      let lostReplies = 1;
      let listFailures = 1;
      const flaky: Source = Object.assign(Object.create(local) as Source, {
        // The rename went through; its reply did not come back.
        move: async (from: string, to: string, newName?: string) => {
          const moved = await local.move(from, to, newName);
          if (lostReplies-- > 0)
            throw new SourceError("CONEXAO_PERDIDA", "Conexão perdida (teste).");
          return moved;
        },
        list: async (folder: string) => {
          if (listFailures-- > 0)
            throw new SourceError("TEMPO_ESGOTADO", "Tempo esgotado (teste).");
          return local.list(folder);
        },
      });
      const outcomes: string[] = [];
      for (let i = 0; i < 3; i++) {
        const claimed = await waitFor("the file to be claimable", () =>
          claimNextFile(ts.store, 1, "test-owner", 30_000),
        );
        assert.equal(claimed.id, id);
        outcomes.push(await processFile(byHand(), claimed, tenant, flaky));
        if (outcomes.at(-1) === "finished") break;
      }
      assert.deepEqual(outcomes, ["retry-later", "retry-later", "finished"]);
      const row = await ts.store.db
        .selectFrom("mailings")
        .select(["state", "moved_to"])
        .where("id", "=", id)
        .executeTakeFirstOrThrow();
      assert.deepEqual(row, { state: "reported", moved_to: `LIDOS/${name}` });
      assert.ok(namesIn(join(drop, "LIDOS")).includes(`${name}.resultado.txt`));
    });

    test("a file that vanishes before the download is recorded as vanished, not discarded", async () => {
      // The service was stopped by the previous test: drive one claim by hand.
      const name = `mailing_${today}_15_cBRAD.csv`;
      const { id, tenant } = await seenByHand(name);
      const local = dropSource();
      const ctx = byHand();
      const claimed = await claimNextFile(ts.store, 1, "test-owner", 30_000);
      assert.equal(claimed?.id, id);
      await processFile(ctx, claimed, tenant, local);
      const row = await ts.store.db
        .selectFrom("mailings")
        .selectAll()
        .where("id", "=", id)
        .executeTakeFirstOrThrow();
      assert.equal(row.state, "vanished");
      assert.equal(row.moved_to, null);
      assert.equal(whereIs(drop, name), null);
      assert.ok(!namesIn(join(drop, "DESCARTADOS")).some((n) => n.startsWith(name)));
      assert.equal(await claimNextFile(ts.store, 1, "test-owner", 30_000), null);
    });
  });
}
