/**
 * `remessa sms-routes`: add (password from stdin, stored encrypted), list
 * (never the password), test (a real bind against the in-process SMSC, and
 * what failed in pt-BR: wrong password, unknown system_id, refused, timeout),
 * remove. `add` runs the binary as a child process (the password comes on
 * its stdin); the rest runs the same CLI in this process, as the SMSC does.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { TestSmsc } from "../channels/smpp-server.js";
import { runCli } from "./run-cli.js";

const BIN = fileURLToPath(new URL("../../bin/remessa", import.meta.url));
const PASSWORD = "Pw9-xq7";

describe("remessa sms-routes", () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let smsc: TestSmsc;
  // A server that accepts TCP and never answers: the bind times out.
  let silent: Server;
  const sockets: Socket[] = [];

  function remessa(args: string[], input = "") {
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(BIN, ["sms-routes", ...args], { env });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => {
        stdout += d;
      });
      child.stderr.on("data", (d) => {
        stderr += d;
      });
      child.on("close", (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(input);
    });
  }

  /** In-process: commands that read no stdin (much faster than a child on a loaded machine). */
  const cli = (args: string[]) => runCli(env.DATABASE_URL ?? "", ["sms-routes", ...args]);

  const add = (route: string, port: number, systemId = "remessa", extra: string[] = []) => [
    "add",
    "--mode",
    "long",
    "--route",
    route,
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--system-id",
    systemId,
    "--source",
    "5511999990000",
    "--password-stdin",
    "--json",
    ...extra,
  ];

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "remessa-smsroutes-"));
    env = {
      ...process.env,
      REMESSA_DATA_DIR: dataDir,
      DATABASE_URL: `sqlite:${join(dataDir, "remessa.db")}`,
      REMESSA_SECRET_KEY: randomBytes(32).toString("base64"),
      REMESSA_LOG_LEVEL: "silent",
    };
    // The in-process commands read the same data dir and key as the children.
    process.env.REMESSA_DATA_DIR = env.REMESSA_DATA_DIR;
    process.env.REMESSA_SECRET_KEY = env.REMESSA_SECRET_KEY;
    smsc = await new TestSmsc({ systemId: "remessa", password: PASSWORD }).listen();
    silent = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
  });
  after(async () => {
    await smsc?.close();
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent?.close(r));
    await rm(dataDir, { recursive: true, force: true });
  });

  test("add, list without the password, test ok, remove", async () => {
    const added = await remessa(
      add("principal", smsc.port, "remessa", ["--window", "20"]),
      `${PASSWORD}\n`,
    );
    assert.equal(added.code, 0, added.stderr);
    const route = JSON.parse(added.stdout) as Record<string, unknown>;
    assert.equal(route.provider, "smpp");
    assert.equal(route.window, 20);
    assert.equal(route.sourceTon, 1);
    assert.equal(route.hasPassword, true);
    assert.ok(!added.stdout.includes(PASSWORD));

    const listed = await cli(["list"]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /rota principal \(long code\) — SMPP remessa@127\.0\.0\.1/);
    assert.ok(!listed.stdout.includes(PASSWORD));
    const json = await cli(["list", "--json"]);
    assert.ok(!json.stdout.includes(PASSWORD));
    assert.equal((JSON.parse(json.stdout) as unknown[]).length, 1);
    // Stored encrypted: the clear password is nowhere in the database file.
    const db = await readFile(join(dataDir, "remessa.db"));
    assert.equal(db.includes(Buffer.from(PASSWORD)), false);

    const ok = await cli(["test", String(route.id), "--json"]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(JSON.parse(ok.stdout).ok, true);
    assert.ok(smsc.binds.some((b) => b.ok && b.systemId === "remessa"));

    const removed = await cli(["remove", String(route.id)]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stdout, /Rota de SMS \d+ removida/);
    assert.equal((await cli(["test", String(route.id)])).code, 1);
  });

  test("test says in pt-BR what failed: password, system_id, refused, timeout", async () => {
    const cases: [string, number, string, string, RegExp][] = [
      ["senha-errada", smsc.port, "remessa", "errada", /SENHA_INCORRETA.*senha SMPP/],
      ["usuario-errado", smsc.port, "outro", PASSWORD, /USUARIO_INVALIDO.*system_id/],
      ["recusada", await closedPort(), "remessa", PASSWORD, /CONEXAO_RECUSADA.*Conexão recusada/],
    ];
    for (const [name, port, systemId, password, expected] of cases) {
      const added = await remessa(add(name, port, systemId), password);
      assert.equal(added.code, 0, added.stderr);
      const id = (JSON.parse(added.stdout) as { id: number }).id;
      const result = await cli(["test", String(id)]);
      assert.equal(result.code, 1, name);
      assert.match(result.stderr, expected);
      assert.ok(!result.stderr.includes(password) || password === PASSWORD);
    }
  });

  test("a bind that never answers times out", { timeout: 30_000 }, async () => {
    const port = (silent.address() as { port: number }).port;
    const added = await remessa(add("muda", port), PASSWORD);
    const id = (JSON.parse(added.stdout) as { id: number }).id;
    const result = await cli(["test", String(id), "--timeout", "2", "--json"]);
    assert.equal(result.code, 1);
    const body = JSON.parse(result.stdout) as { ok: boolean; code: string; message: string };
    assert.equal(body.code, "TEMPO_ESGOTADO");
    assert.match(body.message, /Tempo esgotado/);
  });

  test("usage and refusals: no password on stdin flag, bad mode, outbox route", async () => {
    const noFlag = await cli(add("x", smsc.port).filter((a) => a !== "--password-stdin"));
    assert.equal(noFlag.code, 2);
    assert.match(noFlag.stderr, /--password-stdin/);
    const badMode = await cli(["add", "--mode", "medio", "--route", "y", "--provider", "outbox"]);
    assert.equal(badMode.code, 1);
    assert.match(badMode.stderr, /Modo "medio" inválido para SMS/);
    const outbox = await cli([
      "add",
      "--mode",
      "short",
      "--route",
      "z",
      "--provider",
      "outbox",
      "--json",
    ]);
    assert.equal(outbox.code, 0, outbox.stderr);
    assert.equal((JSON.parse(outbox.stdout) as { provider: string }).provider, "outbox");
    const noHost = await remessa(
      ["add", "--mode", "long", "--route", "w", "--provider", "smpp", "--password-stdin"],
      "x",
    );
    assert.equal(noHost.code, 1);
    assert.match(noHost.stderr, /servidor SMPP/);
  });
});

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}
