/**
 * SFTP servers that misbehave under the parallel download, played by an
 * in-process ssh2 server: one that refuses a second outstanding read, and one
 * that answers every read with fewer bytes than asked. Both must still yield
 * the exact file.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import type { AddressInfo } from "node:net";
import { after, describe, test } from "node:test";
import ssh2 from "ssh2";
import { openSource } from "../../src/sources/open.js";
import type { SourceConfig } from "../../src/sources/types.js";
import { readAll } from "./contract.js";

const { Server, utils } = ssh2;
const { STATUS_CODE } = utils.sftp;

const FILE = Buffer.alloc(1_500_000);
for (let i = 0; i < FILE.length; i++) FILE[i] = (i * 31 + (i >> 10)) & 255;

interface Quirks {
  /** Fail a READ while another one is still unanswered. */
  refuseParallel?: boolean;
  /** Never return more than this many bytes per READ. */
  maxRead?: number;
}

async function startServer(quirks: Quirks) {
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "pkcs1", format: "pem" },
  });
  const stats = { parallelRefusals: 0, reads: 0 };
  const server = new Server({ hostKeys: [privateKey] }, (client) => {
    client.on("authentication", (ctx) => {
      if (ctx.method === "password" && ctx.username === "u" && ctx.password === "p") ctx.accept();
      else ctx.reject(["password"]);
    });
    client.on("error", () => undefined);
    client.on("ready", () => {
      client.on("session", (acceptSession) => {
        acceptSession().on("sftp", (acceptSftp) => {
          const sftp = acceptSftp();
          let pending = 0;
          const attrs = {
            mode: 0o100644,
            uid: 0,
            gid: 0,
            size: FILE.length,
            atime: 0,
            mtime: 1_700_000_000,
          };
          sftp.on("LSTAT", (id, path) => {
            if (path === "/dados.csv") sftp.attrs(id, attrs);
            else sftp.status(id, STATUS_CODE.NO_SUCH_FILE);
          });
          sftp.on("STAT", (id) => sftp.attrs(id, attrs));
          sftp.on("FSTAT", (id) => sftp.attrs(id, attrs));
          sftp.on("OPEN", (id) => sftp.handle(id, Buffer.from("h")));
          sftp.on("CLOSE", (id) => sftp.status(id, STATUS_CODE.OK));
          sftp.on("READ", (id, _handle, offset, length) => {
            stats.reads++;
            if (quirks.refuseParallel && pending > 0) {
              stats.parallelRefusals++;
              sftp.status(id, STATUS_CODE.FAILURE, "one read at a time");
              return;
            }
            pending++;
            setImmediate(() => {
              pending--;
              if (offset >= FILE.length) {
                sftp.status(id, STATUS_CODE.EOF);
                return;
              }
              const size = Math.min(length, quirks.maxRead ?? length, FILE.length - offset);
              sftp.data(id, FILE.subarray(offset, offset + size));
            });
          });
        });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, stats, port: (server.address() as AddressInfo).port };
}

function config(port: number): SourceConfig {
  return {
    protocol: "sftp",
    host: "127.0.0.1",
    port,
    user: "u",
    password: "p",
    root: "/",
    allowPrivate: true,
    tlsFingerprint: null,
    tlsInsecure: true,
  };
}

describe("SFTP download on misbehaving servers", () => {
  const servers: { close(): unknown }[] = [];
  after(() => {
    for (const server of servers) server.close();
  });

  test("a server that refuses parallel reads: falls back to the plain stream", async () => {
    const { server, stats, port } = await startServer({ refuseParallel: true });
    servers.push(server);
    const source = await openSource(config(port));
    assert.ok((await readAll(await source.read("dados.csv"))).equals(FILE));
    assert.ok(stats.parallelRefusals > 0, "the parallel download was tried first");
    // From then on this source reads one request at a time: no more refusals.
    const refusals = stats.parallelRefusals;
    assert.ok((await readAll(await source.read("dados.csv"))).equals(FILE));
    assert.equal(stats.parallelRefusals, refusals);
    await source.close();
  });

  test("a server that answers with short reads: the rest is asked again", async () => {
    const { server, port } = await startServer({ maxRead: 10_000 });
    servers.push(server);
    const source = await openSource(config(port));
    assert.ok((await readAll(await source.read("dados.csv"))).equals(FILE));
    await source.close();
  });
});
