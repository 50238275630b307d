/**
 * Every "test connection" outcome, each produced by a real server (or a real
 * refused / silent socket), with its pt-BR message checked.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { openSource } from "../../src/sources/open.js";
import { testConnection } from "../../src/sources/test-connection.js";
import type { SourceConfig } from "../../src/sources/types.js";
import { needsFull } from "../helpers/env.js";
import {
  closedPort,
  ftpSrvConfig,
  type RunningFtpSrv,
  type SystemServers,
  selfSignedCertificate,
  startFtpSrv,
  systemConfig,
  systemServers,
  tempDir,
  userFolder,
} from "./servers.js";

describe("testConnection against in-process ftp-srv", () => {
  let root: string;
  let plain: RunningFtpSrv;
  let explicit: RunningFtpSrv;
  let implicit: RunningFtpSrv;
  let tlsOnly: RunningFtpSrv;
  let readOnly: RunningFtpSrv;
  before(async () => {
    root = await tempDir();
    plain = await startFtpSrv("plain", root);
    explicit = await startFtpSrv("explicit", root);
    implicit = await startFtpSrv("implicit", root);
    tlsOnly = await startFtpSrv("explicit", root, { requireTls: true });
    readOnly = await startFtpSrv("plain", root, { readOnly: true });
  });
  after(async () => {
    for (const server of [plain, explicit, implicit, tlsOnly, readOnly]) await server?.close();
    await rm(root, { recursive: true, force: true });
  });

  test("OK: creates LIDOS/DESCARTADOS and counts the candidate files", async () => {
    await mkdir(join(root, "ok", "BRAD"), { recursive: true });
    await writeFile(join(root, "ok", "mailing_261126_1.csv"), "x");
    await writeFile(join(root, "ok", "BRAD", "mailing_261126_2.csv"), "x");
    await writeFile(join(root, "ok", ".oculto"), "x");
    await writeFile(join(root, "ok", "enviando.csv.filepart"), "x");
    const result = await testConnection(ftpSrvConfig(plain, { root: "/ok" }));
    assert.deepEqual(result, {
      ok: true,
      code: "OK",
      message:
        "Conexão OK: login aceito, pasta raiz lida e pastas LIDOS e DESCARTADOS prontas; 2 arquivos aguardando importação.",
      candidates: 2,
    });
    assert.deepEqual((await readdir(join(root, "ok"))).sort(), [
      ".oculto",
      "BRAD",
      "DESCARTADOS",
      "LIDOS",
      "enviando.csv.filepart",
      "mailing_261126_1.csv",
    ]);
  });

  test("OK over explicit and implicit TLS with the certificate pinned", async () => {
    const { fingerprint } = await selfSignedCertificate();
    for (const server of [explicit, implicit]) {
      const pinned = ftpSrvConfig(server, { tlsInsecure: false, tlsFingerprint: fingerprint });
      const result = await testConnection(pinned);
      assert.equal(result.code, "OK", result.message);
    }
  });

  test("CERTIFICADO_NAO_CONFIAVEL: a self-signed certificate, with the fingerprint to pin", async () => {
    const { fingerprint } = await selfSignedCertificate();
    for (const server of [explicit, implicit]) {
      const result = await testConnection(ftpSrvConfig(server, { tlsInsecure: false }));
      assert.equal(result.code, "CERTIFICADO_NAO_CONFIAVEL");
      assert.equal(result.ok, false);
      assert.match(result.message, /autoassinado/);
      assert.ok(result.message.includes(`--tls-fingerprint ${fingerprint}`), result.message);
      assert.equal(result.fingerprint, fingerprint);
    }
  });

  test("CERTIFICADO_NAO_CONFIAVEL: a pinned fingerprint that does not match", async () => {
    const wrong = "00".repeat(32);
    const result = await testConnection(
      ftpSrvConfig(explicit, { tlsInsecure: false, tlsFingerprint: wrong }),
    );
    assert.equal(result.code, "CERTIFICADO_NAO_CONFIAVEL");
    assert.match(result.message, /não é a cadastrada/);
  });

  test("LOGIN_INVALIDO: wrong password", async () => {
    const result = await testConnection(ftpSrvConfig(plain, { password: "errada" }));
    assert.deepEqual(result, {
      ok: false,
      code: "LOGIN_INVALIDO",
      message:
        "O servidor 127.0.0.1 recusou o usuário ou a senha: confira os dois (maiúsculas e minúsculas contam) e se o usuário está ativo no servidor.",
    });
  });

  test("TLS_EXIGIDO: plain FTP to a server that only accepts TLS logins", async () => {
    const result = await testConnection(
      ftpSrvConfig(tlsOnly, { protocol: "ftp", tlsInsecure: false }),
    );
    assert.equal(result.code, "TLS_EXIGIDO");
    assert.match(result.message, /troque o protocolo para ftps-explicit/);
  });

  test("TLS_NAO_SUPORTADO: explicit FTPS to a server without TLS", async () => {
    const result = await testConnection(
      ftpSrvConfig(plain, { protocol: "ftps-explicit", tlsInsecure: true }),
    );
    assert.equal(result.code, "TLS_NAO_SUPORTADO");
    assert.match(result.message, /não aceita FTPS explícito/);
  });

  test("RAIZ_INEXISTENTE: the root folder does not exist", async () => {
    const result = await testConnection(ftpSrvConfig(plain, { root: "/nao-existe" }));
    assert.equal(result.code, "RAIZ_INEXISTENTE");
    assert.match(result.message, /corrija a pasta raiz ou crie a pasta/);
  });

  test("SEM_PERMISSAO: a read-only account cannot create LIDOS", async () => {
    await mkdir(join(root, "somente-leitura"), { recursive: true });
    const result = await testConnection(ftpSrvConfig(readOnly, { root: "/somente-leitura" }));
    assert.equal(result.code, "SEM_PERMISSAO");
    assert.match(result.message, /criar a pasta "LIDOS"/);
  });

  test("the connection is reused across operations and closed when idle", async () => {
    const before = plain.logins;
    const source = await openSource(ftpSrvConfig(plain), { idleMs: 50 });
    const disconnected = new Promise((resolve) => plain.server.once("disconnect", resolve));
    await source.mkdir("reuso");
    await source.write("reuso/a.txt", "a");
    await source.list("reuso");
    await source.stat("reuso/a.txt");
    assert.equal(plain.logins - before, 1);
    await disconnected;
    await source.list("reuso");
    assert.equal(plain.logins - before, 2);
    await source.close();
  });
});

describe("testConnection: network outcomes", () => {
  const base: SourceConfig = {
    protocol: "ftp",
    host: "127.0.0.1",
    port: null,
    user: "u",
    password: "p",
    root: "/",
    allowPrivate: true,
    tlsFingerprint: null,
    tlsInsecure: false,
  };
  let silent: Server;
  const sockets: Socket[] = [];
  before(async () => {
    // Accepts connections and never answers: a firewall that drops, a hung server.
    silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  });
  after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  test("CONEXAO_RECUSADA: nothing listens on the port", async () => {
    for (const protocol of ["ftp", "sftp"] as const) {
      const port = await closedPort();
      const result = await testConnection({ ...base, protocol, port });
      assert.equal(result.code, "CONEXAO_RECUSADA", result.message);
      assert.equal(
        result.message,
        `O servidor 127.0.0.1:${port} recusou a conexão: confira o protocolo e a porta (FTP/FTPS explícito usam 21, FTPS implícito 990, SFTP 22) e se o serviço está no ar.`,
      );
    }
  });

  test("TEMPO_ESGOTADO: the server accepts but never answers", async () => {
    const port = (silent.address() as { port: number }).port;
    for (const protocol of ["ftp", "ftps-implicit", "sftp"] as const) {
      const result = await testConnection(
        { ...base, protocol, port, tlsInsecure: true },
        { timeoutMs: 300 },
      );
      assert.equal(result.code, "TEMPO_ESGOTADO", `${protocol}: ${result.message}`);
      assert.match(result.message, /não respondeu a tempo/);
    }
  });

  test("HOST_NAO_ENCONTRADO: the name does not resolve", async () => {
    const result = await testConnection(
      { ...base, host: "ftp.nao-existe.com.br", allowPrivate: false },
      {
        resolver: async () => {
          throw Object.assign(new Error("getaddrinfo ENOTFOUND"), { code: "ENOTFOUND" });
        },
      },
    );
    assert.equal(result.code, "HOST_NAO_ENCONTRADO");
    assert.match(result.message, /"ftp\.nao-existe\.com\.br" não foi encontrado/);
  });

  test("HOST_PROIBIDO: a private address, and a name resolving to one, without --allow-private", async () => {
    const literal = await testConnection({ ...base, host: "10.0.0.1", allowPrivate: false });
    assert.equal(literal.code, "HOST_PROIBIDO");
    assert.match(literal.message, /rede interna/);
    const resolved = await testConnection(
      { ...base, host: "ftp.cliente.com.br", allowPrivate: false },
      { resolver: async () => [{ address: "192.168.0.10", family: 4 }] },
    );
    assert.equal(resolved.code, "HOST_PROIBIDO");
    assert.match(resolved.message, /192\.168\.0\.10/);
  });

  test("HOST_INVALIDO: a URL instead of a host", async () => {
    const result = await testConnection({ ...base, host: "https://ftp.cliente.com.br" });
    assert.equal(result.code, "HOST_INVALIDO");
  });

  test("local: RAIZ_INEXISTENTE and OK", async () => {
    const dir = await tempDir();
    const local = { ...base, protocol: "local" as const, host: "", root: join(dir, "nao-existe") };
    assert.equal((await testConnection(local)).code, "RAIZ_INEXISTENTE");
    const ok = await testConnection({ ...local, root: dir });
    assert.equal(ok.code, "OK", ok.message);
    await rm(dir, { recursive: true, force: true });
  });
});

describe("testConnection against vsftpd and OpenSSH", {
  skip: needsFull("vsftpd e OpenSSH"),
}, () => {
  let servers: SystemServers;
  let root: string;
  before(async () => {
    servers = await systemServers();
    root = await userFolder(servers);
  });
  after(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  test("vsftpd really requires TLS session reuse (a client without it is refused)", () => {
    const url = `ftp://${servers.host}:${servers.ftpPort}/%2F${root.slice(1)}/`;
    const curl = (extra: string[]) =>
      execFileSync(
        "curl",
        [
          "-s",
          "-S",
          "-k",
          "--ssl-reqd",
          "-u",
          `${servers.user}:${servers.password}`,
          ...extra,
          url,
        ],
        {
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
    assert.throws(() => curl(["--no-sessionid"]), /522|did not report OK/);
    assert.doesNotThrow(() => curl([]));
  });

  for (const protocol of ["ftps-explicit", "ftps-implicit", "sftp"] as const) {
    test(`${protocol}: OK with the pinned fingerprint`, async () => {
      const result = await testConnection(systemConfig(servers, protocol, { root }));
      assert.equal(result.code, "OK", result.message);
    });

    test(`${protocol}: CERTIFICADO_NAO_CONFIAVEL without a pin shows the fingerprint`, async () => {
      const result = await testConnection(
        systemConfig(servers, protocol, { root, tlsFingerprint: null }),
      );
      assert.equal(result.code, "CERTIFICADO_NAO_CONFIAVEL");
      const expected = protocol === "sftp" ? servers.hostKeySha256 : servers.certSha256;
      assert.ok(result.message.includes(`--tls-fingerprint ${expected}`), result.message);
      assert.equal(result.fingerprint, expected);
    });

    test(`${protocol}: LOGIN_INVALIDO with a wrong password`, async () => {
      const result = await testConnection(
        systemConfig(servers, protocol, { root, password: "errada" }),
      );
      assert.equal(result.code, "LOGIN_INVALIDO");
      assert.match(result.message, /recusou o usuário ou a senha/);
    });

    test(`${protocol}: RAIZ_INEXISTENTE`, async () => {
      const result = await testConnection(
        systemConfig(servers, protocol, { root: `${root}/nao-existe` }),
      );
      assert.equal(result.code, "RAIZ_INEXISTENTE");
    });

    test(`${protocol}: SEM_PERMISSAO on a read-only root`, async () => {
      const result = await testConnection(
        systemConfig(servers, protocol, { root: servers.readOnly }),
      );
      assert.equal(result.code, "SEM_PERMISSAO", result.message);
      assert.match(result.message, /LIDOS/);
    });
  }

  test("ftp: TLS_EXIGIDO when vsftpd demands encryption", async () => {
    const result = await testConnection(systemConfig(servers, "ftp", { root }));
    assert.equal(result.code, "TLS_EXIGIDO");
    assert.equal(
      result.message,
      "O servidor 127.0.0.1 exige conexão criptografada: troque o protocolo para ftps-explicit (FTPS explícito, porta 21).",
    );
  });
});
