/**
 * Receiving one upload over a real TLS connection on loopback: only an end
 * announced by close_notify completes it; a bare FIN, a reset, a stall or an
 * excess size leave no file. And the placement rules of the drop box.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer, connect as netConnect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  createSecureContext,
  type SecureContext,
  TLSSocket,
  connect as tlsConnect,
} from "node:tls";
import { DropBox, ensureCertificate } from "../../src/ingest/dropbox.js";
import {
  changePlacement,
  folderPlacement,
  nameProblem,
  uploadPlacement,
} from "../../src/ingest/dropbox-rules.js";
import {
  EofWatch,
  failureReply,
  receiveUpload,
  type UploadOutcome,
  type WatchedSocket,
} from "../../src/ingest/dropbox-upload.js";
import type { Logger } from "../../src/log.js";
import { RawFtps } from "./ftps-raw-client.js";
import { freePort } from "./serve-harness.js";

describe("receiveUpload over TLS", () => {
  const dir = mkdtempSync(join(tmpdir(), "remessa-upload-unit-"));
  let context: SecureContext;

  before(() => {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=test",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ],
      { stdio: "ignore" },
    );
    context = createSecureContext({
      key: readFileSync(join(dir, "key.pem")),
      cert: readFileSync(join(dir, "cert.pem")),
    });
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  type Ending = "close_notify" | "fin" | "reset" | "stall";

  /**
   * One upload of `data` from a TLS client that ends as told after `cutAt`
   * bytes; the server side receives it with receiveUpload into `name`.
   */
  async function upload(
    name: string,
    data: Buffer,
    ending: Ending,
    options: {
      cutAt?: number;
      maxBytes?: number;
      idleMs?: number;
      slowReader?: boolean;
      tls12?: boolean;
    } = {},
  ): Promise<UploadOutcome> {
    const finalPath = join(dir, name);
    const outcome = new Promise<UploadOutcome>((resolve, reject) => {
      const server = createServer({ pauseOnConnect: true }, (raw) => {
        const watch = new EofWatch(raw);
        const secure = new TLSSocket(watch as unknown as Socket, {
          isServer: true,
          secureContext: context,
        });
        watch.upper = secure;
        const socket = secure as unknown as WatchedSocket;
        socket.eofWatch = watch;
        secure.on("error", () => {});
        secure.pause();
        if (options.slowReader) {
          // A disk slower than the network: the socket is paused often.
          secure.on("data", () => {
            secure.pause();
            setTimeout(() => secure.resume(), 2);
          });
        }
        receiveUpload(
          socket,
          {
            finalPath,
            maxBytes: options.maxBytes ?? 1 << 30,
            idleMs: options.idleMs ?? 10_000,
            requireCloseNotify: true,
          },
          async () => {},
        )
          .then((result) => {
            secure.destroy();
            server.close();
            resolve(result);
          })
          .catch(reject);
      });
      server.listen(0, "127.0.0.1", () => {
        const address = server.address();
        if (!address || typeof address === "string") return reject(new Error("no port"));
        const raw = netConnect(address.port, "127.0.0.1");
        raw.on("error", () => {});
        const secure = tlsConnect({
          socket: raw,
          rejectUnauthorized: false,
          maxVersion: options.tls12 ? "TLSv1.2" : "TLSv1.3",
        });
        secure.on("error", () => {});
        secure.once("secureConnect", () => {
          const body =
            ending === "close_notify" ? data : data.subarray(0, options.cutAt ?? data.length);
          secure.write(body, () => {
            if (ending === "close_notify") secure.end();
            else if (ending === "fin") setTimeout(() => raw.end(), 50);
            else if (ending === "reset") setTimeout(() => raw.resetAndDestroy(), 50);
            // "stall": nothing more is sent; the connection stays open.
            else setTimeout(() => raw.destroy(), 2_000);
          });
        });
      });
    });
    return outcome;
  }

  const data = Buffer.alloc(5_000_000);
  for (let i = 0; i < data.length; i++) data[i] = i % 251;

  function leftovers(): string[] {
    return readdirSync(dir).filter((n) => n.startsWith(".remessa-envio-"));
  }

  for (const tls12 of [false, true]) {
    const version = tls12 ? "TLS 1.2" : "TLS 1.3";
    test(`${version}: an end with close_notify completes the upload, every byte in place`, async () => {
      const outcome = await upload(`ok-${tls12}.csv`, data, "close_notify", { tls12 });
      assert.deepEqual(outcome, { kind: "complete", bytes: data.length });
      assert.ok(readFileSync(join(dir, `ok-${tls12}.csv`)).equals(data));
      assert.deepEqual(leftovers(), []);
    });

    test(`${version}: a TCP end without close_notify is a truncated upload and leaves nothing`, async () => {
      const outcome = await upload(`fin-${tls12}.csv`, data, "fin", { cutAt: 1_700_000, tls12 });
      assert.equal(outcome.kind, "truncated");
      assert.equal(existsSync(join(dir, `fin-${tls12}.csv`)), false);
      assert.deepEqual(leftovers(), []);
    });
  }

  test("even all the bytes, ended by a bare FIN, are refused (the FIN could be forged)", async () => {
    const outcome = await upload("fin-all.csv", data, "fin", { cutAt: data.length });
    assert.equal(outcome.kind, "truncated");
    assert.equal(existsSync(join(dir, "fin-all.csv")), false);
  });

  test("a slow reader still gets every byte and the close_notify", async () => {
    const outcome = await upload("slow.csv", data.subarray(0, 1_500_000), "close_notify", {
      slowReader: true,
    });
    assert.deepEqual(outcome, { kind: "complete", bytes: 1_500_000 });
    assert.ok(readFileSync(join(dir, "slow.csv")).equals(data.subarray(0, 1_500_000)));
  });

  test("a reset mid-upload leaves nothing", async () => {
    const outcome = await upload("reset.csv", data, "reset", { cutAt: 2_000_000 });
    assert.ok(["broken", "truncated"].includes(outcome.kind), outcome.kind);
    assert.equal(existsSync(join(dir, "reset.csv")), false);
    assert.deepEqual(leftovers(), []);
  });

  test("an upload past the size limit stops at the limit and leaves nothing", async () => {
    const outcome = await upload("big.csv", data, "close_notify", { maxBytes: 1_000_000 });
    assert.equal(outcome.kind, "too-big");
    assert.ok(outcome.bytes <= 1_000_000 + 64 * 1024, `read ${outcome.bytes} bytes`);
    assert.equal(existsSync(join(dir, "big.csv")), false);
    assert.deepEqual(leftovers(), []);
  });

  test("an upload with no byte for the idle time is dropped", async () => {
    const outcome = await upload("stall.csv", data, "stall", { cutAt: 100_000, idleMs: 300 });
    assert.equal(outcome.kind, "stalled");
    assert.equal(existsSync(join(dir, "stall.csv")), false);
    assert.deepEqual(leftovers(), []);
  });
});

describe("drop box placement rules", () => {
  test("uploads go to the root or a wallet folder, nowhere the pipeline never reads", () => {
    for (const ok of ["mailing.csv", "BRAD/mailing.csv", "x.filepart", "BRAD/x.part"]) {
      assert.deepEqual(uploadPlacement(ok), { ok: true }, ok);
    }
    for (const bad of [
      "",
      ".oculto.csv",
      "~x.csv",
      "BRAD/.x.csv",
      "BRAD/sub/x.csv",
      ".pasta/x.csv",
      "LIDOS/x.csv",
      "lidos/x.csv",
      "BRAD/DESCARTADOS/x.csv",
      "LIDOS",
      "Descartados",
    ]) {
      assert.equal(uploadPlacement(bad).ok, false, bad);
    }
  });

  test("folders: only wallet folders in the root, never LIDOS/DESCARTADOS", () => {
    assert.deepEqual(folderPlacement("BRAD"), { ok: true });
    for (const bad of ["", "LIDOS", "descartados", "BRAD/sub", "BRAD/LIDOS", ".x"]) {
      assert.equal(folderPlacement(bad).ok, false, bad);
    }
  });

  test("nothing in LIDOS/DESCARTADOS may change, nor an upload in progress", () => {
    assert.deepEqual(changePlacement("mailing.csv"), { ok: true });
    assert.deepEqual(changePlacement("BRAD/mailing.csv"), { ok: true });
    for (const bad of [
      "",
      "/",
      "LIDOS",
      "LIDOS/x.csv",
      "BRAD/DESCARTADOS/x.erro.txt",
      ".remessa-envio-ab12",
    ]) {
      assert.equal(changePlacement(bad).ok, false, bad);
    }
  });

  test("names: quotes, control characters (shown escaped) and over 255 bytes", () => {
    assert.equal(nameProblem("mailing_011226_1.csv"), null);
    assert.match(nameProblem('a"b.csv') ?? "", /aspas/);
    const newline = nameProblem("a\nb.csv") ?? "";
    assert.match(newline, /\\n/);
    assert.ok(!newline.includes("\n"), "the message must stay on one line");
    assert.match(nameProblem("a\u0007b") ?? "", /U\+0007/);
    assert.match(nameProblem("a\u0085b") ?? "", /U\+0085/);
    assert.equal(nameProblem("é".repeat(127)), null);
    assert.match(nameProblem("é".repeat(128)) ?? "", /256 bytes/);
  });
});

describe("drop box root", () => {
  test("DELE / is refused and the empty drop folder stays (uploads would fail until a restart)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "remessa-dele-root-"));
    const root = join(dir, "drop");
    const noop = () => {};
    const log = { info: noop, warn: noop, error: noop, debug: noop } as unknown as Logger;
    (log as unknown as { child: () => Logger }).child = () => log;
    const port = await freePort();
    const pasv = await freePort();
    const box = new DropBox({
      root,
      host: "127.0.0.1",
      port,
      pasvMin: pasv,
      pasvMax: pasv,
      credentials: { user: "u", verify: async (p: string) => p === "senha-de-teste-longa" },
      tls: await ensureCertificate(dir, "127.0.0.1"),
      log,
      onComplete: noop,
    });
    await box.start();
    try {
      const { client } = await RawFtps.open(port);
      assert.equal((await client.login("u", "senha-de-teste-longa")).code, 230);
      for (const command of ["DELE /", "DELE .", "RNFR /"]) {
        const reply = await client.send(command);
        assert.equal(reply.code, 550, `${command}: ${reply.text}`);
      }
      client.close();
      assert.ok(existsSync(root), "the FTP user deleted the drop folder");
    } finally {
      await box.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("failureReply", () => {
  test("a write failure says 'disco cheio' from the error's code, never the server's path", () => {
    const full = Object.assign(new Error("ENOSPC: no space left on device, write '/srv/x'"), {
      code: "ENOSPC",
    });
    const full451 = failureReply({ kind: "write-failed", bytes: 10, error: full }, "/a.csv", 1);
    assert.equal(full451.code, 451);
    assert.match(full451.message, /disco cheio/);
    assert.ok(!full451.message.includes("/srv"));
    const other = failureReply(
      { kind: "write-failed", bytes: 10, error: new Error("EIO: i/o error, write '/srv/x'") },
      "/a.csv",
      1,
    );
    assert.match(other.message, /erro de gravação/);
    assert.ok(!other.message.includes("/srv"));
  });
});
