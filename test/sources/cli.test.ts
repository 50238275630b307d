import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  closedPort,
  FTP_PASSWORD,
  FTP_USER,
  type RunningFtpSrv,
  startFtpSrv,
  tempDir,
} from "./servers.js";

const BIN = fileURLToPath(new URL("../../bin/remessa", import.meta.url));

describe("remessa sources", () => {
  let dataDir: string;
  let ftpRoot: string;
  let server: RunningFtpSrv;
  let env: NodeJS.ProcessEnv;

  /** Async on purpose: the FTP server the command talks to runs in this process. */
  function remessa(args: string[], input = "") {
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(BIN, ["sources", ...args], { env });
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

  before(async () => {
    dataDir = await tempDir("remessa-cli-");
    ftpRoot = await tempDir();
    server = await startFtpSrv("plain", ftpRoot);
    env = {
      ...process.env,
      REMESSA_DATA_DIR: dataDir,
      DATABASE_URL: `sqlite:${join(dataDir, "remessa.db")}`,
      REMESSA_SECRET_KEY: randomBytes(32).toString("base64"),
    };
  });
  after(async () => {
    await server?.close();
    await rm(dataDir, { recursive: true, force: true });
    await rm(ftpRoot, { recursive: true, force: true });
  });

  const ftpFlags = () => [
    "--protocol",
    "ftp",
    "--host",
    "127.0.0.1",
    "--port",
    String(server.port),
    "--user",
    FTP_USER,
    "--password-stdin",
    "--allow-private",
  ];

  test("add, list (never the password), test by id, remove", async () => {
    const added = await remessa(
      [...ftpFlags(), "--interval", "15", "add", "--json"],
      `${FTP_PASSWORD}\n`,
    );
    assert.equal(added.code, 0, added.stderr);
    const created = JSON.parse(added.stdout) as { id: number; intervalSeconds: number };
    assert.equal(created.intervalSeconds, 15);

    const listed = await remessa(["list", "--json"]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok(!listed.stdout.includes(FTP_PASSWORD));
    const sources = JSON.parse(listed.stdout) as { id: number; host: string; user: string }[];
    assert.deepEqual(
      sources.map((s) => [s.id, s.host, s.user]),
      [[created.id, "127.0.0.1", FTP_USER]],
    );
    assert.ok(!Object.keys(sources[0] ?? {}).some((key) => /password|senha/i.test(key)));
    // Stored encrypted: the clear password is nowhere in the database file.
    const database = await readFile(join(dataDir, "remessa.db"));
    assert.equal(database.includes(Buffer.from(FTP_PASSWORD)), false);

    const human = await remessa(["list"]);
    assert.match(human.stdout, new RegExp(`ftp://${FTP_USER}@127\\.0\\.0\\.1:${server.port}/`));

    const tested = await remessa(["test", String(created.id), "--json"]);
    assert.equal(tested.code, 0, tested.stderr);
    assert.deepEqual(JSON.parse(tested.stdout), {
      ok: true,
      code: "OK",
      message:
        "Conexão OK: login aceito, pasta raiz lida e pastas LIDOS e DESCARTADOS prontas; nenhum arquivo aguardando importação.",
    });

    const removed = await remessa(["remove", String(created.id), "--yes"]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stdout, /removida/);
    const again = await remessa(["remove", String(created.id)]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /não existe/);
  });

  test("test from flags: a wrong password gives LOGIN_INVALIDO and exit 1", async () => {
    const result = await remessa(["test", ...ftpFlags(), "--json"], "errada\n");
    assert.equal(result.code, 1);
    assert.equal(JSON.parse(result.stdout).code, "LOGIN_INVALIDO");
  });

  test("test from flags: a closed port gives CONEXAO_RECUSADA in pt-BR", async () => {
    const port = await closedPort();
    const flags = ftpFlags();
    flags[flags.indexOf("--port") + 1] = String(port);
    const result = await remessa(["test", ...flags], "x\n");
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /\[CONEXAO_RECUSADA\] O servidor 127\.0\.0\.1:\d+ recusou a conexão/,
    );
  });

  test("refused input: URL as host, private host, short interval, bad fingerprint", async () => {
    const url = await remessa(
      [
        "add",
        "--protocol",
        "ftp",
        "--host",
        "https://ftp.x.com",
        "--user",
        "u",
        "--password-stdin",
      ],
      "p\n",
    );
    assert.equal(url.code, 1);
    assert.match(url.stderr, /sem o protocolo/);
    const internal = await remessa(
      ["add", "--protocol", "sftp", "--host", "10.1.2.3", "--user", "u", "--password-stdin"],
      "p\n",
    );
    assert.equal(internal.code, 1);
    assert.match(internal.stderr, /rede interna/);
    const fast = await remessa([...ftpFlags(), "add", "--interval", "3"], "p\n");
    assert.equal(fast.code, 1);
    assert.match(fast.stderr, /no mínimo 5/);
    const fingerprint = await remessa(
      [
        ...ftpFlags().map((f) => (f === "ftp" ? "ftps-explicit" : f)),
        "add",
        "--tls-fingerprint",
        "abc",
      ],
      "p\n",
    );
    assert.equal(fingerprint.code, 1);
    assert.match(fingerprint.stderr, /Impressão digital "abc" inválida/);
  });

  test("usage errors exit 2", async () => {
    assert.equal((await remessa([])).code, 2);
    assert.equal((await remessa(["remove"])).code, 2);
    assert.equal((await remessa(["add", "--protocol", "gopher"])).code, 2);
    const both = await remessa(
      [
        "add",
        "--protocol",
        "sftp",
        "--host",
        "h.com",
        "--user",
        "u",
        "--password-stdin",
        "--tls-insecure",
        "--tls-fingerprint",
        "00",
      ],
      "p\n",
    );
    assert.equal(both.code, 2);
    assert.match(both.stderr, /não os dois/);
  });
});
