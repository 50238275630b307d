/**
 * Full mode (system servers): a remote vsftpd source polled over explicit
 * FTPS by `serve`, and three `serve` workers on one PostgreSQL racing over
 * 200 files of one source, each imported exactly once.
 */
import assert from "node:assert/strict";
import { chownSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { loadOrCreateKeyFile } from "../../src/store/secrets.js";
import { createSource } from "../../src/store/sources.js";
import { createWallet } from "../../src/store/wallets.js";
import { needsFull } from "../helpers/env.js";
import { systemConfig, systemServers, userFolder } from "../sources/servers.js";
import { openPgTestStore } from "../store/harness.js";
import { ddmmyy, mailingCsv, namesIn, waitFor, waitReported, whereDone } from "./helpers.js";
import { newDataDir, openServeStore, type ServeProcess, startServe } from "./serve-harness.js";

describe("remote and multi-worker ingestion", () => {
  test("a vsftpd source over explicit FTPS is polled: files end in LIDOS/DESCARTADOS beside them", {
    skip: needsFull("vsftpd (scripts/test-servers.sh)"),
  }, async () => {
    const servers = await systemServers();
    const folder = await userFolder(servers);
    const owner = statSync(folder);
    const put = (relative: string, content: string) => {
      const path = join(folder, relative);
      writeFileSync(path, content);
      chownSync(path, owner.uid, owner.gid);
    };
    mkdirSync(join(folder, "BRAD"));
    chownSync(join(folder, "BRAD"), owner.uid, owner.gid);
    const today = ddmmyy();
    put(`mailing_${today}_1_cBRAD.csv`, mailingCsv(6, 0, 1));
    put(`BRAD/mailing_${today}_2.csv`, mailingCsv(3, 0, 2));
    put(`mailing_${today}_3_cITAU.csv`, mailingCsv(3, 0, 3));

    const dataDir = newDataDir();
    const store = await openServeStore(dataDir);
    await createWallet(store.db, 1, { code: "BRAD" });
    await createSource(
      store.db,
      1,
      {
        ...systemConfig(servers, "ftps-explicit", { root: folder }),
        name: "vsftpd",
        intervalSeconds: 5,
        stabilitySeconds: 1,
      },
      loadOrCreateKeyFile(dataDir),
    );
    const serve = await startServe({ dataDir, ftp: false });
    try {
      assert.equal(
        await waitFor("root file", () => whereDone(folder, `mailing_${today}_1_cBRAD.csv`)),
        "LIDOS",
      );
      assert.equal(
        await waitFor("wallet folder file", () =>
          whereDone(join(folder, "BRAD"), `mailing_${today}_2.csv`),
        ),
        "LIDOS",
      );
      assert.equal(
        await waitFor("unknown wallet", () => whereDone(folder, `mailing_${today}_3_cITAU.csv`)),
        "DESCARTADOS",
      );
      const source = await store.db
        .selectFrom("file_sources")
        .select(["last_error", "failure_count", "last_success_at"])
        .where("name", "=", "vsftpd")
        .executeTakeFirstOrThrow();
      assert.equal(source.last_error, null);
      assert.ok(source.last_success_at);
    } finally {
      await serve.stop();
      await store.close();
    }
  });

  test("three workers on PostgreSQL share 200 files of one source; each is imported exactly once", {
    skip: needsFull("PostgreSQL em 127.0.0.1:5432"),
  }, async () => {
    const pgStore = await openPgTestStore();
    const workers: ServeProcess[] = [];
    try {
      const { store, url } = pgStore;
      await createWallet(store.db, 1, { code: "BRAD" });
      const folder = mkdtempSync(join(tmpdir(), "remessa-race-"));
      const today = ddmmyy();
      const names: string[] = [];
      for (let seq = 1; seq <= 200; seq++) {
        const name = `mailing_${today}_${seq}_cBRAD.csv`;
        writeFileSync(join(folder, name), mailingCsv(3, 0, seq));
        names.push(name);
      }
      await createSource(store.db, 1, {
        name: "race",
        protocol: "local",
        host: "",
        port: null,
        user: "",
        password: "",
        root: folder,
        allowPrivate: true,
        tlsFingerprint: null,
        tlsInsecure: false,
        intervalSeconds: 5,
        stabilitySeconds: 0,
      });
      for (let i = 0; i < 3; i++) {
        workers.push(await startServe({ ftp: false, env: { DATABASE_URL: url } }));
      }
      await waitFor(
        "all 200 files done",
        () => names.every((n) => whereDone(folder, n) === "LIDOS"),
        180_000,
        250,
      );
      const lidos = namesIn(join(folder, "LIDOS"));
      assert.equal(lidos.filter((n) => n.endsWith(".csv")).length, 200, "a file was duplicated");
      assert.equal(lidos.filter((n) => n.endsWith(".resultado.txt")).length, 200);
      await waitReported(store.db, names);
      const rows = await store.db
        .selectFrom("mailings")
        .select(["file_name", "state", "outcome", "persons"])
        .execute();
      assert.equal(rows.length, 200);
      assert.ok(rows.every((r) => r.state === "reported" && r.outcome === "accepted"));
      assert.ok(rows.every((r) => r.persons === 3));
      const members = await store.db
        .selectFrom("mailing_persons")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow();
      assert.equal(Number(members.n), 600);
    } finally {
      for (const worker of workers) await worker.stop();
      await pgStore.dispose();
    }
  });
});
