/**
 * End to end against a `remessa serve` child: what an attacker or a broken
 * client does to the drop box (issue 17). Uploads cut without TLS
 * close_notify, reset or killed mid-way are never imported and never block
 * the complete re-send; the FTP user cannot change permissions, touch
 * LIDOS/DESCARTADOS, leave files the pipeline never reads, see server paths,
 * or send a password before TLS.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { promisify } from "node:util";
import type { Store } from "../../src/store/db.js";
import { createWallet } from "../../src/store/wallets.js";
import { RawFtps } from "./ftps-raw-client.js";
import { ddmmyy, mailingCsv, namesIn, waitFor, whereDone } from "./helpers.js";
import {
  curlUpload,
  FTP_PASSWORD,
  FTP_USER,
  openServeStore,
  type ServeProcess,
  startServe,
} from "./serve-harness.js";

const run = promisify(execFile);
const TEMP_PREFIX = ".remessa-envio-";
/** The drop box's upload limit in these tests (the pipeline's REMESSA_MAX_FILE_BYTES). */
const LIMIT = 4_000_000;
/** The control connection's idle timeout in these tests (10 minutes by default). */
const IDLE_MS = 3_000;

function tempFiles(drop: string): string[] {
  const found: string[] = [];
  for (const folder of [drop, ...namesIn(drop).map((n) => join(drop, n))]) {
    try {
      for (const name of readdirSync(folder)) if (name.startsWith(TEMP_PREFIX)) found.push(name);
    } catch {
      // not a folder
    }
  }
  return found;
}

/** Files the serve process holds open under the drop folder. */
function openDropFiles(pid: number, drop: string): string[] {
  const dir = `/proc/${pid}/fd`;
  return readdirSync(dir)
    .map((fd) => {
      try {
        return readlinkSync(join(dir, fd));
      } catch {
        return "";
      }
    })
    .filter((target) => target.startsWith(drop));
}

describe("drop box hardening (serve child)", () => {
  let serve: ServeProcess;
  let store: Store;
  const work = mkdtempSync(join(tmpdir(), "remessa-harden-"));
  const today = ddmmyy();

  before(async () => {
    serve = await startServe({
      env: { REMESSA_MAX_FILE_BYTES: String(LIMIT), REMESSA_FTP_IDLE_TIMEOUT_MS: String(IDLE_MS) },
    });
    store = await openServeStore(serve.dataDir);
    await createWallet(store.db, 1, { code: "BRAD" });
  });

  after(async () => {
    await serve.stop();
    await store.close();
  });

  async function client(): Promise<RawFtps> {
    const { client } = await RawFtps.open(serve.ftpPort);
    const reply = await client.login(FTP_USER, FTP_PASSWORD);
    assert.equal(reply.code, 230, reply.text);
    return client;
  }

  async function persons(name: string): Promise<number | null> {
    const row = await store.db
      .selectFrom("mailings")
      .select("persons")
      .where("file_name", "=", name)
      .executeTakeFirst();
    return row ? Number(row.persons) : null;
  }

  test("an upload whose TLS data connection ends without close_notify is refused; the re-send is imported", async () => {
    const name = `mailing_${today}_1_cBRAD.csv`;
    const data = Buffer.from(mailingCsv(60_000, 0, 1));
    const ftp = await client();
    const cut = await ftp.store(name, data, "fin", Math.floor(data.length / 3));
    assert.equal(cut.start.code, 150, cut.start.text);
    assert.equal(cut.end?.code, 426, cut.end?.text);
    assert.match(cut.end?.text ?? "", /close_notify/);
    assert.deepEqual(
      namesIn(serve.drop).filter((n) => n.startsWith("mailing_")),
      [],
    );
    assert.deepEqual(tempFiles(serve.drop), []);

    const whole = await ftp.store(name, data);
    assert.equal(whole.end?.code, 226, whole.end?.text);
    ftp.close();
    assert.equal(await waitFor(name, () => whereDone(serve.drop, name)), "LIDOS");
    assert.equal(await persons(name), 60_000);
  });

  test("a data connection reset mid-upload leaves no file and no open descriptor; a re-upload is processed", async () => {
    const name = `mailing_${today}_2_cBRAD.csv`;
    const data = Buffer.from(mailingCsv(20_000, 0, 2));
    const ftp = await client();
    const cut = await ftp.store(name, data, "reset", Math.floor(data.length / 2));
    assert.equal(cut.end?.code, 426, cut.end?.text);
    ftp.close();
    const pid = serve.child.pid as number;
    await waitFor(
      "the upload's descriptor to close",
      () => openDropFiles(pid, serve.drop).length === 0,
      10_000,
    );
    assert.deepEqual(tempFiles(serve.drop), []);

    const file = join(work, name);
    writeFileSync(file, data);
    await curlUpload(serve.ftpPort, file, name);
    assert.equal(await waitFor(name, () => whereDone(serve.drop, name)), "LIDOS");
    assert.equal(await persons(name), 20_000);
  });

  test("an upload lasting longer than the control connection's idle timeout completes", async () => {
    const name = `mailing_${today}_4_cBRAD.csv`;
    const file = join(work, name);
    writeFileSync(file, mailingCsv(30_000, 0, 4));
    // ~1.3 MB at 200 KB/s: over twice the idle timeout with a silent control connection.
    await curlUpload(serve.ftpPort, file, name, ["--limit-rate", "200K"]);
    assert.equal(await waitFor(name, () => whereDone(serve.drop, name)), "LIDOS");
    assert.equal(await persons(name), 30_000);
  });

  test("an upload over the size limit is refused while it arrives (552) and nothing is kept", async () => {
    const name = `mailing_${today}_3_cBRAD.csv`;
    const ftp = await client();
    const big = await ftp.store(name, Buffer.alloc(LIMIT + 1_000_000, "a"));
    ftp.close();
    assert.equal(big.end?.code, 552, big.end?.text);
    assert.match(big.end?.text ?? "", /limite/);
    assert.deepEqual(
      namesIn(serve.drop).filter((n) => n.startsWith("mailing_")),
      [],
    );
    assert.deepEqual(tempFiles(serve.drop), []);
    assert.equal(await persons(name), null);
  });

  test("SITE is refused; uploads are 0600 and folders 0700", async () => {
    const ftp = await client();
    for (const command of ["SITE CHMOD 777 /", "SITE CHMOD 4755 x", "SITE HELP"]) {
      const reply = await ftp.send(command);
      assert.equal(reply.code, 502, `${command}: ${reply.text}`);
    }
    assert.equal((statSync(serve.drop).mode & 0o777).toString(8), "700");
    assert.equal((await ftp.send("MKD ITAU")).code, 257);
    assert.equal((statSync(join(serve.drop, "ITAU")).mode & 0o777).toString(8), "700");
    // Not a mailing name: discarded, but received first; its mode is the upload's.
    const stored = await ftp.store("ITAU/leia.txt", Buffer.from("#!/bin/sh\nid\n"));
    assert.equal(stored.end?.code, 226, stored.end?.text);
    ftp.close();
    const where = await waitFor("leia.txt", () => whereDone(join(serve.drop, "ITAU"), "leia.txt"));
    const mode = statSync(join(serve.drop, "ITAU", where, "leia.txt")).mode & 0o777;
    assert.equal(mode.toString(8), "600");
  });

  test("LIDOS and DESCARTADOS can be listed and downloaded, not changed", async () => {
    const name = `mailing_${today}_1_cBRAD.csv`;
    await waitFor(name, () => whereDone(serve.drop, name));
    const ftp = await client();
    const refused: Array<[string, number]> = [
      ["RNFR LIDOS", 550],
      [`RNFR LIDOS/${name}`, 550],
      [`DELE LIDOS/${name}.resultado.txt`, 550],
      ["RMD LIDOS", 550],
      ["MKD LIDOS/outra", 550],
      ["MKD lidos", 550],
    ];
    for (const [command, code] of refused) {
      const reply = await ftp.send(command);
      assert.equal(reply.code, code, `${command}: ${reply.text}`);
      assert.match(reply.text, /só para consulta/);
    }
    const upload = await ftp.store("LIDOS/novo.csv", Buffer.from("x\n"));
    assert.equal(upload.start.code, 553, upload.start.text);
    const intoRenamed = await ftp.send("RNFR BRAD");
    assert.equal(intoRenamed.code, 550, "a folder cannot be renamed (e.g. into LIDOS)");
    ftp.close();
    assert.ok(namesIn(join(serve.drop, "LIDOS")).includes(`${name}.resultado.txt`));
    const { stdout } = await run("curl", [
      "--silent",
      "--show-error",
      "--ssl-reqd",
      "--insecure",
      "--user",
      `${FTP_USER}:${FTP_PASSWORD}`,
      `ftp://127.0.0.1:${serve.ftpPort}/LIDOS/${name}.resultado.txt`,
    ]);
    assert.match(stdout, /IMPORTADO|importad/i);
    // The internal staging folder of reports exists, but is not shown.
    assert.ok(namesIn(join(serve.drop, "LIDOS")).includes(".remessa-relatorios"));
    const listing = await run("curl", [
      "--silent",
      "--show-error",
      "--ssl-reqd",
      "--insecure",
      "--user",
      `${FTP_USER}:${FTP_PASSWORD}`,
      `ftp://127.0.0.1:${serve.ftpPort}/LIDOS/`,
    ]);
    assert.ok(listing.stdout.includes(`${name}.resultado.txt`), listing.stdout);
    assert.ok(!listing.stdout.includes(".remessa-relatorios"), listing.stdout);
  });

  test("uploads the pipeline never reads are refused, saying where files go", async () => {
    const ftp = await client();
    for (const path of [".oculto.csv", "~temp.csv", "BRAD/sub/mailing.csv", ".pasta/mailing.csv"]) {
      const reply = await ftp.store(path, Buffer.from("x\n"));
      assert.equal(reply.start.code, 553, `${path}: ${reply.start.text}`);
      assert.match(reply.start.text, /raiz/);
    }
    assert.equal((await ftp.send("MKD BRAD/sub")).code, 550);
    ftp.close();
    assert.deepEqual(
      namesIn(serve.drop).filter((n) => n.startsWith(".") || n.startsWith("~")),
      [],
    );
  });

  test("names with control characters, quotes or over 255 bytes get a clear refusal", async () => {
    const ftp = await client();
    const forged = await ftp.send(
      `STOR mailing_${today}_9_cBRAD_dLinha1\nSituação: DESCARTADO.csv`,
    );
    assert.equal(forged.code, 553, forged.text);
    assert.match(forged.text, /controle \(\\n\)/);
    assert.ok(!forged.text.includes("\nSituação"), "the reply was split by the name");
    const quoted = await ftp.send(`STOR mailing_${today}_9_cBRAD_d"x".csv`);
    assert.equal(quoted.code, 553, quoted.text);
    assert.match(quoted.text, /aspas/);
    const long = await ftp.send(`STOR mailing_${today}_9_cBRAD_d${"x".repeat(300)}.csv`);
    assert.equal(long.code, 553, long.text);
    assert.match(long.text, /longo demais/);
    // The connection is still usable after each refusal.
    assert.equal((await ftp.send("NOOP")).code, 200);
    ftp.close();
  });

  test("a 250-byte name is discarded with NOME_LONGO under a name its report fits beside", async () => {
    const name = `mailing_${today}_8_cBRAD_d${"x".repeat(250 - 28)}.csv`;
    assert.equal(Buffer.byteLength(name), 250);
    const ftp = await client();
    const stored = await ftp.store(name, Buffer.from(mailingCsv(3, 0, 8)));
    ftp.close();
    assert.equal(stored.end?.code, 226, stored.end?.text);
    const discarded = join(serve.drop, "DESCARTADOS");
    const report = await waitFor("the NOME_LONGO report", () =>
      namesIn(discarded).find(
        (n) =>
          n.endsWith(".erro.txt") &&
          readFileSync(join(discarded, n), "utf8").includes("NOME_LONGO"),
      ),
    );
    assert.ok(Buffer.byteLength(report) <= 255);
    assert.ok(
      namesIn(discarded).includes(report.slice(0, -".erro.txt".length)),
      "the file is beside its report",
    );
    assert.equal(namesIn(serve.drop).includes(name), false);
  });

  test("error replies name paths as the client sees them, never the server's", async () => {
    const ftp = await client();
    for (const command of [
      "CWD nada",
      "RNFR nada.csv",
      "RETR remessa.db",
      "SIZE nada.csv",
      "DELE nada.csv",
    ]) {
      const reply = await ftp.send(command);
      assert.ok(reply.code >= 500, `${command}: ${reply.text}`);
      assert.ok(!reply.text.includes(serve.dataDir), `${command} leaked a path: ${reply.text}`);
      assert.ok(!reply.text.includes(tmpdir()), `${command} leaked a path: ${reply.text}`);
    }
    // A missing folder is a permanent 550 (ftp-srv's 451 made lftp retry forever).
    const { raw } = await ftp.openData();
    const listing = await ftp.send("LIST DESCARTADOS/nada");
    raw.destroy();
    assert.equal(listing.code, 550, listing.text);
    assert.match(listing.text, /não encontrado/);
    ftp.close();
  });

  test("USER and PASS before AUTH TLS are refused with 530 (no 331 inviting a clear password)", async () => {
    const { client: plain, greeting } = await RawFtps.open(serve.ftpPort);
    assert.equal(greeting.code, 220);
    const user = await plain.send(`USER ${FTP_USER}`);
    assert.equal(user.code, 530, user.text);
    assert.match(user.text, /AUTH TLS/);
    const pass = await plain.send(`PASS ${FTP_PASSWORD}`);
    assert.equal(pass.code, 530, pass.text);
    plain.close();
  });
});

describe("drop box: serve killed mid-upload", () => {
  test("kill -9 during a STOR, restart: the partial upload is never imported, the re-send is", async () => {
    const first = await startServe();
    const store = await openServeStore(first.dataDir);
    await createWallet(store.db, 1, { code: "BRAD" });
    const today = ddmmyy();
    const name = `mailing_${today}_1_cBRAD.csv`;
    const file = join(mkdtempSync(join(tmpdir(), "remessa-kill-")), name);
    writeFileSync(file, mailingCsv(50_000, 0, 7));
    const upload = curlUpload(first.ftpPort, file, name, ["--limit-rate", "400K"]).catch(
      (e: Error) => e,
    );
    await waitFor("bytes of the upload on the server", () =>
      tempFiles(first.drop).some((n) => statSync(join(first.drop, n)).size > 100_000),
    );
    first.child.kill("SIGKILL");
    await first.exited;
    assert.ok((await upload) instanceof Error, "curl saw the upload fail");
    assert.equal(namesIn(first.drop).includes(name), false, "the partial upload took its name");

    // A report staged by a crashed step long ago, and one being staged right now.
    const staging = join(first.drop, "LIDOS", ".remessa-relatorios");
    mkdirSync(staging, { recursive: true });
    writeFileSync(join(staging, "antigo.tmp"), "x");
    const hoursAgo = new Date(Date.now() - 2 * 3600_000);
    utimesSync(join(staging, "antigo.tmp"), hoursAgo, hoursAgo);
    writeFileSync(join(staging, "recente.tmp"), "x");
    const partial = tempFiles(first.drop);
    // Uploads in progress of other servers sharing the folder: one on this host
    // (this test process stands in for it, alive), one from another host, fresh;
    // and another host's abandoned long ago.
    const live = `.remessa-envio-${hostname()}.${process.pid}.00112233445566aa`;
    const otherHost = ".remessa-envio-outro-servidor.4242.00112233445566bb";
    const abandoned = ".remessa-envio-outro-servidor.4243.00112233445566cc";
    for (const n of [live, otherHost, abandoned]) writeFileSync(join(first.drop, n), "x");
    utimesSync(join(first.drop, abandoned), hoursAgo, hoursAgo);

    const second = await startServe({ dataDir: first.dataDir });
    try {
      const left = tempFiles(second.drop);
      for (const n of partial) assert.ok(!left.includes(n), "the partial upload was left behind");
      assert.deepEqual(left.sort(), [live, otherHost].sort(), "live uploads are kept");
      assert.deepEqual(namesIn(staging), ["recente.tmp"]);
      await delay(1500);
      assert.equal(whereDone(second.drop, name), null);
      const rows = await store.db.selectFrom("mailings").select("file_name").execute();
      assert.deepEqual(rows, [], "something was recorded from the partial upload");
      await curlUpload(second.ftpPort, file, name);
      assert.equal(await waitFor(name, () => whereDone(second.drop, name)), "LIDOS");
      const row = await store.db
        .selectFrom("mailings")
        .select("persons")
        .where("file_name", "=", name)
        .executeTakeFirstOrThrow();
      assert.equal(Number(row.persons), 50_000);
    } finally {
      await second.stop();
      await store.close();
    }
  });
});
