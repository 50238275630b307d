/**
 * The pipeline driven by hand over a real local folder (issue 17): a
 * permanent error ends the record instead of a retry forever, a file replaced
 * while processed keeps its report, an over-limit file is never copied.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { BlobStore } from "../../src/ingest/blobs.js";
import { claimNextFile } from "../../src/ingest/ledger.js";
import { type PipelineContext, processFile, tenantDate } from "../../src/ingest/pipeline.js";
import { scanSource } from "../../src/ingest/scanner.js";
import { silentLogger } from "../../src/log.js";
import { SourceError } from "../../src/sources/errors.js";
import { LocalSource } from "../../src/sources/local.js";
import type { Source } from "../../src/sources/types.js";
import type { MailingRow, Tenant } from "../../src/store/schema.js";
import { createSource } from "../../src/store/sources.js";
import { getTenant } from "../../src/store/tenants.js";
import { createWallet } from "../../src/store/wallets.js";
import { DATABASES, type TestStore } from "../store/harness.js";
import { ddmmyy, mailingCsv, namesIn, waitFor } from "./helpers.js";

for (const database of DATABASES) {
  describe(`pipeline hardening on ${database.name}`, { skip: database.skip }, () => {
    let ts: TestStore;
    let drop: string;
    let sourceId: number;
    let tenant: Tenant;
    const today = ddmmyy();

    function dropSource(): LocalSource {
      return new LocalSource({
        protocol: "local",
        host: "",
        port: null,
        user: "",
        password: "",
        root: drop,
        allowPrivate: true,
        tlsFingerprint: null,
        tlsInsecure: false,
      });
    }

    before(async () => {
      ts = await database.open();
      drop = join(ts.dataDir, "drop");
      mkdirSync(drop, { recursive: true });
      await createWallet(ts.store.db, 1, { code: "BRAD" });
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
      const t = await getTenant(ts.store.db, 1);
      assert.ok(t);
      tenant = t;
    });

    after(async () => {
      await ts.dispose();
    });

    function ctx(overrides: Partial<PipelineContext> = {}): PipelineContext {
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

    /** Two listings of the drop folder: the files in it are recorded with their real size and time, then stable. */
    async function scan() {
      const target = { sourceId, tenantId: 1, timeZone: tenant.time_zone, stabilitySeconds: 0 };
      const seenDate = (at: Date) => tenantDate(tenant.time_zone, at);
      const first = await scanSource(ts.store, dropSource(), target, seenDate, null);
      await scanSource(ts.store, dropSource(), target, seenDate, null);
      return first;
    }

    /** Claims and processes the next file until it ends or `limit` runs are done. */
    async function run(source: Source, limit = 1, overrides: Partial<PipelineContext> = {}) {
      const outcomes: string[] = [];
      let id = 0;
      for (let i = 0; i < limit; i++) {
        const claimed = await waitFor("a claimable file", () =>
          claimNextFile(ts.store, 1, "test-owner", 30_000),
        );
        id = claimed.id;
        const outcome = await processFile(ctx(overrides), claimed, tenant, source);
        outcomes.push(outcome);
        if (outcome !== "retry-later") break;
      }
      return { outcomes, id };
    }

    /** The drop folder as a source that runs `first` before it moves `name` (to fail, or to meddle). */
    function beforeMoving(name: string, first: () => unknown): Source {
      const local = dropSource();
      return Object.assign(Object.create(local) as Source, {
        move: async (from: string, to: string, newName?: string) => {
          if (from === name) await first();
          return local.move(from, to, newName);
        },
      });
    }

    /** A move refused by the system as an invalid argument: a permanent error. */
    function invalidArgument(): never {
      const cause = Object.assign(new Error("invalid argument, rename"), { code: "EINVAL" });
      throw new SourceError("ERRO_SERVIDOR", "Erro ao mover (teste).", { cause });
    }

    async function record(id: number): Promise<MailingRow> {
      return ts.store.db
        .selectFrom("mailings")
        .selectAll()
        .where("id", "=", id)
        .executeTakeFirstOrThrow();
    }

    test("a name whose report would pass 255 bytes is discarded (NOME_LONGO) at once, under a name its report fits beside", async () => {
      const name = `mailing_${today}_41_cBRAD_d${"a".repeat(220)}.csv`;
      assert.ok(Buffer.byteLength(name) <= 255 && Buffer.byteLength(`${name}.erro.txt`) > 255);
      writeFileSync(join(drop, name), mailingCsv(2, 0, 41));
      await scan();
      const { id } = await run(dropSource(), 3);
      const row = await record(id);
      assert.equal(row.state, "reported");
      assert.equal(row.attempts, 1);
      assert.ok(row.moved_to?.startsWith("DESCARTADOS/"), String(row.moved_to));
      const reports = JSON.parse(row.reports_json ?? "[]") as string[];
      assert.deepEqual(reports, [`${row.moved_to}.erro.txt`]);
      assert.ok(Buffer.byteLength(reports[0]?.split("/").at(-1) ?? "") <= 255);
      assert.match(readFileSync(join(drop, reports[0] ?? ""), "utf8"), /NOME_LONGO/);
      assert.equal(existsSync(join(drop, name)), false);
      assert.equal(await claimNextFile(ts.store, 1, "test-owner", 30_000), null);
    });

    test("a report name the server refuses as too long ends the record as failed at once, with a short report", async () => {
      // A name over 234 bytes is now NOME_LONGO and moved under a fitted name (see
      // unsafe-names.test.ts): the server's refusal is injected instead, as a server whose
      // limit is below 255 bytes would answer.
      const name = `mailing_${today}_41_cBRAD_d${"a".repeat(150)}.csv`;
      writeFileSync(join(drop, name), mailingCsv(2, 0, 41));
      await scan();
      const local = dropSource();
      const shortNames: Source = Object.assign(Object.create(local) as Source, {
        move: async (from: string, to: string, newName?: string) => {
          if (newName?.endsWith(".resultado.txt")) {
            const cause = Object.assign(new Error("ENAMETOOLONG: name too long, rename"), {
              code: "ENAMETOOLONG",
            });
            // As LocalSource words it: the system's text after its own.
            throw new SourceError(
              "ERRO_SERVIDOR",
              `Erro ao acessar "${newName}": ${cause.message}`,
              {
                cause,
              },
            );
          }
          return local.move(from, to, newName);
        },
      });
      const { outcomes, id } = await run(shortNames, 3);
      assert.deepEqual(outcomes, ["failed"]);
      const row = await record(id);
      assert.equal(row.state, "failed");
      assert.equal(row.attempts, 1);
      assert.match(row.last_error ?? "", /Erro permanente/);
      const reports = JSON.parse(row.reports_json ?? "[]") as string[];
      assert.equal(reports.length, 1);
      const report = readFileSync(join(drop, reports[0] ?? ""), "utf8");
      assert.match(report, /FALHA NO PROCESSAMENTO/);
      assert.match(report, /nome do arquivo é longo demais/);
      assert.ok(report.includes(name));
      assert.equal(await claimNextFile(ts.store, 1, "test-owner", 30_000), null);
    });

    test("an injected permanent error (EINVAL) ends the record; the file is left alone until it changes", async () => {
      const name = `mailing_${today}_42_cBRAD.csv`;
      writeFileSync(join(drop, name), mailingCsv(3, 0, 42));
      await scan();
      const broken = beforeMoving(name, invalidArgument);
      const { outcomes, id } = await run(broken, 3);
      assert.deepEqual(outcomes, ["failed"]);
      const row = await record(id);
      assert.equal(row.state, "failed");
      assert.equal(row.outcome, "accepted", "imported before the move failed");
      assert.match(row.last_error ?? "", /Erro permanente na etapa "imported"/);
      assert.ok(existsSync(join(drop, name)), "the file stays where it is");
      const reports = JSON.parse(row.reports_json ?? "[]") as string[];
      assert.match(reports[0] ?? "", /^LIDOS\/mailing_.*-falha-\d+\.erro\.txt$/);
      assert.match(readFileSync(join(drop, reports[0] ?? ""), "utf8"), /foi importado/);
      // Listed again, unchanged: not recorded a second time (it would fail again, forever).
      assert.equal((await scan()).added, 0);
      // A new file sent under its name is a new file.
      writeFileSync(join(drop, name), mailingCsv(4, 0, 43));
      assert.equal((await scan()).added, 1);
    });

    test("a step failing again and again ends as failed after maxAttempts, with the last error", async () => {
      // The previous test's replacement is still there: take it out of the way first.
      await run(dropSource(), 1);
      const name = `mailing_${today}_44_cBRAD.csv`;
      writeFileSync(join(drop, name), mailingCsv(2, 0, 44));
      await scan();
      const flaky = beforeMoving(name, () => {
        throw new SourceError("TEMPO_ESGOTADO", "Tempo esgotado (teste).");
      });
      const { outcomes, id } = await run(flaky, 5, { maxAttempts: 3 });
      assert.deepEqual(outcomes, ["retry-later", "retry-later", "failed"]);
      const row = await record(id);
      assert.equal(row.state, "failed");
      assert.match(row.last_error ?? "", /desistiu após 3 tentativas.*Tempo esgotado/);
      assert.ok(namesIn(join(drop, "LIDOS")).some((n) => n.endsWith(`-falha-${id}.erro.txt`)));
    });

    test("a file whose processing keeps ending the process is failed when claimed again past maxAttempts", async () => {
      const name = `mailing_${today}_61_cBRAD.csv`;
      writeFileSync(join(drop, name), mailingCsv(2, 0, 61));
      await scan();
      // Three claims that never finished (the process died each time): each
      // next one comes after the lease expired.
      let claimed: MailingRow | null = null;
      for (let i = 0; i < 4; i++) {
        claimed = await claimNextFile(
          ts.store,
          1,
          "test-owner",
          30_000,
          new Date(Date.now() + i * 60_000),
        );
        assert.ok(claimed, `claim ${i + 1}`);
      }
      assert.ok(claimed);
      assert.equal(claimed.attempts, 4);
      const outcome = await processFile(ctx({ maxAttempts: 3 }), claimed, tenant, dropSource());
      assert.equal(outcome, "failed");
      const row = await record(claimed.id);
      assert.equal(row.state, "failed");
      assert.match(row.last_error ?? "", /interrompido 3 vezes/);
      assert.ok(existsSync(join(drop, name)), "the file stays, with its failure report beside it");
    });

    /** The stored copies under files/ (not the temporary folder). */
    function copies(): string[] {
      const root = join(ts.dataDir, "files");
      return namesIn(root)
        .filter((n) => n !== "tmp")
        .flatMap((n) => namesIn(join(root, n)).map((f) => join(root, n, f)));
    }

    test("a 2 GiB (sparse) file is refused as ARQUIVO_GRANDE from its size, never copied", async () => {
      const name = `mailing_${today}_45_cBRAD.csv`;
      writeFileSync(join(drop, name), "");
      truncateSync(join(drop, name), 2 * 1024 ** 3);
      await scan();
      const before = copies();
      const { outcomes, id } = await run(dropSource());
      assert.deepEqual(outcomes, ["finished"]);
      assert.deepEqual(copies(), before, "nothing copied into files/");
      assert.deepEqual(namesIn(join(ts.dataDir, "files", "tmp")), []);
      const row = await record(id);
      assert.equal(row.outcome, "discarded");
      assert.equal(row.stored_path, null);
      assert.equal(row.moved_to, `DESCARTADOS/${name}`);
      const report = readFileSync(join(drop, "DESCARTADOS", `${name}.erro.txt`), "utf8");
      assert.match(report, /ARQUIVO_GRANDE/);
    });

    test("the limit is configurable; a refused file's copy is deleted after its report, an imported one's kept", async () => {
      // Listed small, grown past the limit by the download: refused all the same, no copy left.
      const growing = `mailing_${today}_50_cBRAD.csv`;
      writeFileSync(join(drop, growing), mailingCsv(100, 0, 50));
      await scan();
      const local = dropSource();
      let staleStats = 1;
      const stale: Source = Object.assign(Object.create(local) as Source, {
        // The stat before the download still sees it small; later ones see its real size.
        stat: async (path: string) => {
          const real = await local.stat(path);
          return real && path === growing && staleStats-- > 0 ? { ...real, size: 100 } : real;
        },
      });
      const copiesBefore = copies();
      const grown = await record((await run(stale, 1, { maxFileBytes: 1024 })).id);
      assert.equal(grown.outcome, "discarded");
      assert.equal(grown.moved_to, `DESCARTADOS/${growing}`);
      assert.match(grown.errors_json ?? "", /ARQUIVO_GRANDE/);
      assert.deepEqual(copies(), copiesBefore);
      assert.deepEqual(namesIn(join(ts.dataDir, "files", "tmp")), []);

      // Over a 1 KiB limit: refused from its size.
      const big = `mailing_${today}_46_cBRAD.csv`;
      writeFileSync(join(drop, big), mailingCsv(100, 0, 46));
      await scan();
      const limited = await run(dropSource(), 1, { maxFileBytes: 1024 });
      assert.match((await record(limited.id)).errors_json ?? "", /ARQUIVO_GRANDE/);

      const good = `mailing_${today}_47_cBRAD.csv`;
      const content = mailingCsv(3, 0, 47);
      writeFileSync(join(drop, good), content);
      await scan();
      const imported = await record((await run(dropSource())).id);
      assert.equal(imported.outcome, "accepted");
      assert.ok(imported.stored_path && existsSync(imported.stored_path), "imported copy kept");

      // The same bytes again under a taken sequence: refused, but the copy is the imported one's.
      const again = `mailing_${today}_47_cBRAD_dde novo.csv`;
      writeFileSync(join(drop, again), content);
      await scan();
      const repeated = await record((await run(dropSource())).id);
      assert.equal(repeated.outcome, "discarded");
      assert.match(repeated.errors_json ?? "", /SEQUENCIA_REPETIDA/);
      assert.ok(existsSync(imported.stored_path), "a shared copy stays");

      // Refused for its content, bytes of its own: the copy goes once the report is written.
      const bad = `mailing_${today}_48_cBRAD.csv`;
      writeFileSync(join(drop, bad), "isto não é um mailing\n");
      await scan();
      const refusedId = (await run(dropSource())).id;
      const refused = await record(refusedId);
      assert.equal(refused.outcome, "discarded");
      assert.equal(refused.state, "reported");
      assert.equal(refused.stored_path, null);
      assert.ok(refused.sha256);
      assert.ok(
        !copies().some((p) => p.endsWith(`${refused.sha256}.bin`)),
        "the refused file's copy is gone",
      );
      assert.ok(namesIn(join(drop, "DESCARTADOS")).includes(`${bad}.erro.txt`));
    });

    test("a discarded file that vanished before its move keeps its stored copy (the only trace of it)", async () => {
      const name = `mailing_${today}_62_cBRAD.csv`;
      writeFileSync(join(drop, name), "isto não é um mailing\n");
      await scan();
      // Someone deletes the file on the server just before remessa moves it.
      const vanishing = beforeMoving(name, () => rmSync(join(drop, name)));
      const row = await record((await run(vanishing)).id);
      assert.equal(row.outcome, "discarded");
      assert.equal(row.state, "reported");
      assert.equal(row.moved_to, null);
      assert.ok(row.stored_path && existsSync(row.stored_path), "the copy was deleted");
    });

    test("a file replaced mid-import: its report in LIDOS under the clash name, naming the replacement; no duplicate on retry", async () => {
      const name = `mailing_${today}_49_cBRAD.csv`;
      const first = mailingCsv(2, 0, 49);
      const corrected = mailingCsv(6, 0, 50);
      // LIDOS already has a file of that name: the restored one takes the clash name.
      mkdirSync(join(drop, "LIDOS"), { recursive: true });
      writeFileSync(join(drop, "LIDOS", name), "um arquivo antigo\n");
      writeFileSync(join(drop, name), first);
      await scan();
      const local = dropSource();
      let lostReplies = 1;
      // The restore's move goes through, its reply is lost: the retry must find it, not restore twice.
      const flaky: Source = Object.assign(Object.create(local) as Source, {
        move: async (from: string, to: string, newName?: string) => {
          const moved = await local.move(from, to, newName);
          if (from.includes(".remessa-relatorios") && !newName?.includes(".resultado")) {
            if (lostReplies-- > 0) {
              throw new SourceError("CONEXAO_PERDIDA", "Conexão perdida (teste).");
            }
          }
          return moved;
        },
      });
      const { outcomes, id } = await run(flaky, 3, {
        afterImport: async () => writeFileSync(join(drop, name), corrected),
      });
      assert.deepEqual(outcomes, ["retry-later", "finished"]);
      const clash = name.replace(".csv", "-2.csv");
      const row = await record(id);
      assert.equal(row.state, "reported");
      assert.equal(row.outcome, "accepted");
      assert.equal(row.moved_to, `LIDOS/${clash}`);
      assert.equal(readFileSync(join(drop, "LIDOS", clash), "utf8"), first);
      assert.ok(!namesIn(join(drop, "LIDOS")).includes(name.replace(".csv", "-3.csv")));
      assert.equal(readFileSync(join(drop, name), "utf8"), corrected, "the replacement stays");
      const report = readFileSync(join(drop, "LIDOS", `${clash}.resultado.txt`), "utf8");
      assert.match(report, /Pessoas importadas: 2/);
      assert.match(report, /chegou outro arquivo, diferente, com o mesmo nome/);
      assert.match(report, /será processado separadamente/);
      assert.deepEqual(JSON.parse(row.reports_json ?? "[]"), [`LIDOS/${clash}.resultado.txt`]);

      // The replacement is then a file of its own, with its own report (its sequence is taken).
      assert.equal((await scan()).added, 1);
      const next = await record((await run(dropSource())).id);
      assert.equal(next.outcome, "discarded");
      assert.match(next.errors_json ?? "", /SEQUENCIA_REPETIDA/);
      assert.equal(next.moved_to, `DESCARTADOS/${name}`);
      assert.ok(namesIn(join(drop, "DESCARTADOS")).includes(`${name}.erro.txt`));
    });

    test("a discarded name with a line break, replaced while processed: the note in its .erro.txt forges no line", async () => {
      const name = `mailing_${today}_52_cBRAD\nSituação: IMPORTADO.csv`;
      writeFileSync(join(drop, name), mailingCsv(2, 0, 52));
      await scan();
      const local = dropSource();
      let replaced = false;
      // The move's look at the file (record "checked") finds another one under its name.
      const replacing: Source = Object.assign(Object.create(local) as Source, {
        stat: async (path: string) => {
          const current = await ts.store.db
            .selectFrom("mailings")
            .select("state")
            .where("path", "=", name)
            .executeTakeFirst();
          if (path === name && current?.state === "checked" && !replaced) {
            replaced = true;
            writeFileSync(join(drop, name), mailingCsv(5, 0, 52));
          }
          return local.stat(path);
        },
      });
      const row = await record((await run(replacing)).id);
      assert.equal(row.state, "reported");
      assert.equal(row.outcome, "discarded");
      assert.match(row.errors_json ?? "", /NOME_INVALIDO/);
      const report = readFileSync(join(drop, `${row.moved_to}.erro.txt`), "utf8");
      assert.match(report, /chegou outro arquivo/);
      assert.ok(!report.split("\n").some((line) => line.startsWith("Situação: IMPORTADO")), report);
    });

    test("a passing error whose message holds a name saying 'nome muito longo' is retried, not failed", async () => {
      // The previous test's replacement is still there: take it out of the way first.
      await scan();
      await run(dropSource(), 1);
      const name = `mailing_${today}_53_cBRAD_dnome muito longo.csv`;
      writeFileSync(join(drop, name), mailingCsv(2, 0, 53));
      await scan();
      const local = dropSource();
      let timeouts = 1;
      const slow: Source = Object.assign(Object.create(local) as Source, {
        move: async (from: string, to: string, newName?: string) => {
          if (from === name && timeouts-- > 0) {
            throw new SourceError("TEMPO_ESGOTADO", `Tempo esgotado ao mover "${from}".`);
          }
          return local.move(from, to, newName);
        },
      });
      const { outcomes, id } = await run(slow, 3);
      assert.deepEqual(outcomes, ["retry-later", "finished"]);
      assert.equal((await record(id)).moved_to, `LIDOS/${name}`);
    });

    test("a worker that lost its lease writes no failure report for a file another worker now holds", async () => {
      await scan();
      const name = `mailing_${today}_54_cBRAD.csv`;
      writeFileSync(join(drop, name), mailingCsv(2, 0, 54));
      await scan();
      const local = dropSource();
      const claimed = await waitFor("a claimable file", () =>
        claimNextFile(ts.store, 1, "test-owner", 30_000),
      );
      assert.equal(claimed.file_name, name);
      const stalled: Source = Object.assign(Object.create(local) as Source, {
        move: async (from: string, to: string, newName?: string) => {
          if (from === name) {
            // Meanwhile another worker took the file over (this one stalled past its lease).
            await ts.store.db
              .updateTable("mailings")
              .set({ lease_owner: "other-worker" })
              .where("id", "=", claimed.id)
              .execute();
            await new Promise((resolve) => setTimeout(resolve, 400));
            const cause = Object.assign(new Error("invalid argument"), { code: "EINVAL" });
            throw new SourceError("ERRO_SERVIDOR", "Erro ao mover (teste).", { cause });
          }
          return local.move(from, to, newName);
        },
      });
      const outcome = await processFile(ctx({ leaseMs: 300 }), claimed, tenant, stalled);
      assert.equal(outcome, "lease-lost");
      assert.ok(
        !namesIn(join(drop, "LIDOS")).some((n) => n.endsWith(`-falha-${claimed.id}.erro.txt`)),
        "a failure report for a file another worker is processing",
      );
      // The "other worker" lets go of it: the next test takes it out of the way.
      await ts.store.db
        .updateTable("mailings")
        .set({ lease_owner: null, lease_expires_at: null })
        .where("id", "=", claimed.id)
        .execute();
    });

    test("a failure report's name holds no control character of the file's name", async () => {
      await run(dropSource(), 1);
      const name = `mailing_${today}_55_cBRAD\u0007.csv`;
      writeFileSync(join(drop, name), mailingCsv(2, 0, 55));
      await scan();
      const broken = beforeMoving(name, invalidArgument);
      const { outcomes, id } = await run(broken, 1);
      assert.deepEqual(outcomes, ["failed"]);
      const reports = JSON.parse((await record(id)).reports_json ?? "[]") as string[];
      assert.equal(reports.length, 1);
      assert.doesNotMatch(reports[0] ?? "", /\p{Cc}/u);
    });
  });
}
