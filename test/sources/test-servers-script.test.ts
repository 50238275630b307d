/**
 * scripts/test-servers.sh picks free ports and counts a server as up only
 * when the process listening on its port is the one it started: another
 * program squatting a port must never be taken for our vsftpd.
 * Runs its own instance (state dir, env file and test user of its own), so
 * the suite's servers are untouched.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, test } from "node:test";
import { promisify } from "node:util";
import { needsFull } from "../helpers/env.js";

const run = promisify(execFile);
const SCRIPT = resolve(import.meta.dirname, "../../scripts/test-servers.sh");
const state = mkdtempSync(join(tmpdir(), "remessa-test-servers-own-"));
const envFile = join(state, "servers.env");
const env = {
  ...process.env,
  REMESSA_TEST_SERVERS_DIR: state,
  REMESSA_TEST_SERVERS_ENV: envFile,
  REMESSA_TEST_SERVERS_USER: "remessa-ftp-own",
};

async function script(action: "start" | "stop"): Promise<string> {
  const { stderr } = await run("bash", [SCRIPT, action], { env, timeout: 60_000 });
  return stderr;
}

function ports(): { ftp: number; implicit: number; sftp: number } {
  const text = readFileSync(envFile, "utf8");
  const get = (key: string) => Number(new RegExp(`^${key}=(\\d+)$`, "m").exec(text)?.[1]);
  return {
    ftp: get("REMESSA_TEST_FTP_PORT"),
    implicit: get("REMESSA_TEST_FTPS_IMPLICIT_PORT"),
    sftp: get("REMESSA_TEST_SFTP_PORT"),
  };
}

/** The first line a TCP server sends on connect. */
async function banner(port: number): Promise<string> {
  return new Promise((ok, fail) => {
    const socket = connect(port, "127.0.0.1");
    socket.setEncoding("utf8");
    socket.once("data", (line: string) => {
      socket.destroy();
      ok(line);
    });
    socket.once("error", fail);
    setTimeout(() => {
      socket.destroy();
      fail(new Error(`no banner on ${port}`));
    }, 10_000).unref();
  });
}

let squatter: Server | null = null;
after(async () => {
  await script("stop").catch(() => {});
  await new Promise<void>((ok) => (squatter ? squatter.close(() => ok()) : ok()));
  rmSync(state, { recursive: true, force: true });
});

test("free ports, and a squatter on a port is never taken for our server", {
  skip: needsFull("vsftpd e OpenSSH (root)"),
}, async () => {
  await script("start");
  const first = ports();
  assert.notEqual(first.ftp, 2221, "a fixed port");
  assert.equal(new Set(Object.values(first)).size, 3);
  assert.match(await banner(first.ftp), /^220/);
  assert.match(await banner(first.sftp), /^SSH-2\.0-OpenSSH/);
  assert.match(await script("start"), /already running/);

  // Our vsftpd dies and another program takes its port.
  const pid = Number(readFileSync(join(state, `vsftpd-${first.ftp}.pid`), "utf8"));
  process.kill(pid, "SIGTERM");
  await new Promise((ok) => setTimeout(ok, 300));
  squatter = createServer((socket) => socket.end("220 not vsftpd at all\r\n"));
  await new Promise<void>((ok) => squatter?.listen(first.ftp, "127.0.0.1", () => ok()));

  const restarted = await script("start");
  assert.doesNotMatch(restarted, /already running/);
  const second = ports();
  assert.notEqual(second.ftp, first.ftp, "the squatted port was kept");
  const greeting = await banner(second.ftp);
  assert.match(greeting, /^220/);
  assert.doesNotMatch(greeting, /not vsftpd/);
});
