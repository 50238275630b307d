/**
 * End to end against `remessa serve` children (issue 17): the data dir is
 * owner-only, /ready tells about a wedged file, and two drop boxes on one
 * PostgreSQL each keep their own source.
 */
import assert from "node:assert/strict";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { insertSeen } from "../../src/ingest/ledger.js";
import { openMigrated, type Store } from "../../src/store/db.js";
import { createWallet } from "../../src/store/wallets.js";
import { needsFull } from "../helpers/env.js";
import { openPgTestStore } from "../store/harness.js";
import { ddmmyy, mailingCsv, waitFor, whereDone } from "./helpers.js";
import { curlUpload, newDataDir, openServeStore, startServe } from "./serve-harness.js";

const work = mkdtempSync(join(tmpdir(), "remessa-hardening-"));

function local(name: string, content: string): string {
  const path = join(work, name);
  writeFileSync(path, content);
  return path;
}

function modeOf(path: string): number {
  return statSync(path).mode & 0o777;
}

describe("serve: the data dir is owner-only", () => {
  test("an old 0755/0644 layout is fixed at start; new files, copies and reports are 0600/0700", async () => {
    const dataDir = newDataDir();
    chmodSync(dataDir, 0o755);
    // A layout as an older version left it: database, a stored copy, the drop folder and a report.
    const old = await openMigrated(`sqlite:${join(dataDir, "remessa.db")}`);
    await old.close();
    chmodSync(join(dataDir, "remessa.db"), 0o644);
    mkdirSync(join(dataDir, "files", "ab"), { recursive: true, mode: 0o755 });
    writeFileSync(join(dataDir, "files", "ab", "ab00.bin"), "old copy", { mode: 0o644 });
    mkdirSync(join(dataDir, "drop", "LIDOS"), { recursive: true, mode: 0o755 });
    writeFileSync(join(dataDir, "drop", "LIDOS", "velho.csv.resultado.txt"), "old", {
      mode: 0o644,
    });
    for (const p of ["files", "files/ab", "drop", "drop/LIDOS"]) chmodSync(join(dataDir, p), 0o755);
    // The operator's own script in the data dir keeps its execute bit; an upload loses it.
    writeFileSync(join(dataDir, "backup.sh"), "#!/bin/sh\n", { mode: 0o755 });
    chmodSync(join(dataDir, "backup.sh"), 0o4755);
    writeFileSync(join(dataDir, "drop", "LIDOS", "id"), "#!/bin/sh\nid\n", { mode: 0o755 });
    chmodSync(join(dataDir, "drop", "LIDOS", "id"), 0o4755);
    // A link in the drop folder to a file elsewhere: neither followed nor changed.
    const outside = join(work, "outside.txt");
    writeFileSync(outside, "not remessa's", { mode: 0o644 });
    chmodSync(outside, 0o644);
    symlinkSync(outside, join(dataDir, "drop", "link.txt"));

    const serve = await startServe({ dataDir });
    const store = await openServeStore(dataDir);
    try {
      for (const p of ["", "files", "files/ab", "drop", "drop/LIDOS"]) {
        assert.equal(modeOf(join(dataDir, p)), 0o700, `${p || "data dir"} is 0700`);
      }
      for (const p of ["remessa.db", "files/ab/ab00.bin", "drop/LIDOS/velho.csv.resultado.txt"]) {
        assert.equal(modeOf(join(dataDir, p)), 0o600, `${p} is 0600`);
      }
      assert.equal(modeOf(outside), 0o644, "a symlink's target is left alone");
      assert.equal(statSync(join(dataDir, "backup.sh")).mode & 0o7777, 0o700, "owner bits kept");
      assert.equal(
        statSync(join(dataDir, "drop", "LIDOS", "id")).mode & 0o7777,
        0o600,
        "an upload is no program",
      );

      await createWallet(store.db, 1, { code: "BRAD" });
      const name = `mailing_${ddmmyy()}_1_cBRAD.csv`;
      await curlUpload(serve.ftpPort, local(name, mailingCsv(3, 1, 1)), name);
      assert.equal(
        await waitFor("the upload to be processed", () => whereDone(serve.drop, name)),
        "LIDOS",
      );
      const owned = (folder: string) =>
        readdirSync(join(dataDir, folder)).map((n) => join(folder, n));
      const db = owned("").filter((p) => p.startsWith("remessa.db"));
      assert.ok(db.includes("remessa.db-wal"), `WAL file present: ${db.join(", ")}`);
      const copies = readdirSync(join(dataDir, "files"))
        .filter((n) => n !== "tmp")
        .flatMap((n) => owned(join("files", n)));
      assert.ok(copies.length >= 2, "the upload's copy is kept");
      const reports = owned("drop/LIDOS").filter((p) => statSync(join(dataDir, p)).isFile());
      assert.ok(reports.some((p) => p.endsWith(".resultado.txt")));
      for (const p of [...db, ...copies, ...reports]) {
        assert.equal(modeOf(join(dataDir, p)), 0o600, `${p} is 0600`);
      }
      for (const p of ["", "drop", "drop/LIDOS", "files"]) {
        assert.equal(modeOf(join(dataDir, p)), 0o700, `${p || "data dir"} is 0700`);
      }
    } finally {
      await serve.stop();
      await store.close();
    }
  });
});

describe("serve: /ready", () => {
  test("answers 503 naming a file stuck in one step past the threshold, 200 otherwise", async () => {
    const serve = await startServe({ http: true, env: { REMESSA_READY_STUCK_SECONDS: "120" } });
    const store = await openServeStore(serve.dataDir);
    const ready = async () => {
      const res = await fetch(`http://127.0.0.1:${serve.httpPort}/ready`);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    try {
      assert.deepEqual(await ready(), { status: 200, body: { status: "ready" } });
      const source = await store.db
        .selectFrom("file_sources")
        .select("id")
        .executeTakeFirstOrThrow();
      const name = `mailing_${ddmmyy()}_9_cBRAD.csv`;
      const id = await insertSeen(store.db, {
        tenantId: 1,
        sourceId: source.id,
        folder: null,
        path: name,
        fileName: name,
        size: 10,
        modifiedAt: null,
        seenDate: "2026-01-01",
        stable: true,
        now: new Date().toISOString(),
      });
      // Wedged in "checked" for 5 minutes under another worker's live lease (nobody takes it over).
      const since = new Date(Date.now() - 5 * 60_000).toISOString();
      await store.db
        .updateTable("mailings")
        .set({
          state: "checked",
          lease_owner: "wedged-worker",
          lease_expires_at: new Date(Date.now() + 3_600_000).toISOString(),
          updated_at: since,
        })
        .where("id", "=", id)
        .execute();
      const answer = await ready();
      assert.equal(answer.status, 503);
      assert.equal(answer.body.status, "stuck");
      assert.equal(answer.body.thresholdSeconds, 120);
      assert.deepEqual(answer.body.files, [
        { id, file: name, state: "checked", since, lastError: null },
      ]);
      // Moving on (a new step) clears it.
      await store.db
        .updateTable("mailings")
        .set({ state: "moved", updated_at: new Date().toISOString() })
        .where("id", "=", id)
        .execute();
      assert.equal((await ready()).status, 200);
    } finally {
      await serve.stop();
      await store.close();
    }
  });
});

describe("serve: each data dir's drop box is its own source", () => {
  const sourcesOf = async (store: Store) =>
    store.db.selectFrom("file_sources").select(["id", "name", "root"]).orderBy("id").execute();

  test("two serve on one PostgreSQL with two drop boxes: an upload to each is processed", {
    skip: needsFull("PostgreSQL em 127.0.0.1:5432"),
  }, async () => {
    const ts = await openPgTestStore();
    const env = { DATABASE_URL: ts.url };
    await createWallet(ts.store.db, 1, { code: "BRAD" });
    const a = await startServe({ env });
    const b = await startServe({ env });
    let shared: Awaited<ReturnType<typeof startServe>> | null = null;
    try {
      assert.deepEqual(
        (await sourcesOf(ts.store)).map((s) => [s.name, s.root]),
        [
          ["caixa-ftp", a.drop],
          ["caixa-ftp-2", b.drop],
        ],
      );
      const toA = `mailing_${ddmmyy()}_61_cBRAD.csv`;
      const toB = `mailing_${ddmmyy()}_62_cBRAD.csv`;
      await curlUpload(a.ftpPort, local(toA, mailingCsv(3, 0, 61)), toA);
      await curlUpload(b.ftpPort, local(toB, mailingCsv(4, 0, 62)), toB);
      assert.equal(await waitFor(`${toA} in A`, () => whereDone(a.drop, toA)), "LIDOS");
      assert.equal(await waitFor(`${toB} in B`, () => whereDone(b.drop, toB)), "LIDOS");

      // A second worker on A's data dir shares A's source; B's stays B's.
      shared = await startServe({ dataDir: a.dataDir, env });
      const after = await sourcesOf(ts.store);
      assert.deepEqual(
        after.map((s) => [s.name, s.root]),
        [
          ["caixa-ftp", a.drop],
          ["caixa-ftp-2", b.drop],
        ],
      );
      const toShared = `mailing_${ddmmyy()}_63_cBRAD.csv`;
      await curlUpload(shared.ftpPort, local(toShared, mailingCsv(2, 0, 63)), toShared);
      assert.equal(await waitFor(`${toShared} in A`, () => whereDone(a.drop, toShared)), "LIDOS");
    } finally {
      await Promise.all([a.stop(), b.stop(), shared?.stop()]);
      await ts.dispose();
    }
  });

  test("an install from before (caixa-ftp, no identity file) keeps its source and records", async () => {
    const serve = await startServe();
    const store = await openServeStore(serve.dataDir);
    try {
      await serve.stop();
      const before = await sourcesOf(store);
      assert.deepEqual(
        before.map((s) => s.name),
        ["caixa-ftp"],
      );
      const identity = join(serve.dataDir, "drop-source-name");
      assert.equal(readFileSync(identity, "utf8"), "caixa-ftp\n");
      // As an older version left it: no identity file.
      rmSync(identity);
      const again = await startServe({ dataDir: serve.dataDir });
      await again.stop();
      assert.deepEqual(await sourcesOf(store), before);
      assert.equal(readFileSync(identity, "utf8"), "caixa-ftp\n");
    } finally {
      await store.close();
    }
  });

  test("an install from before whose data dir was moved keeps its caixa-ftp source, pointed at the new place", async () => {
    const serve = await startServe();
    await serve.stop();
    rmSync(join(serve.dataDir, "drop-source-name"));
    const moved = `${serve.dataDir}-movida`;
    renameSync(serve.dataDir, moved);
    const again = await startServe({ dataDir: moved });
    await again.stop();
    const store = await openServeStore(moved);
    try {
      assert.deepEqual(
        (await sourcesOf(store)).map((s) => [s.name, s.root]),
        [["caixa-ftp", join(moved, "drop")]],
      );
    } finally {
      await store.close();
    }
  });
});
