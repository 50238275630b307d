/**
 * `remessa email-accounts add|list|test` with an SMTP server, through the
 * real binary (the password goes in on standard input): settings stored and
 * shown without secrets, and `test` making a real round trip to an
 * in-process SMTP server (STARTTLS + AUTH), saying in pt-BR what failed:
 * certificate, login, refused connection, DNS.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  type SelfSigned,
  type SmtpPeer,
  selfSignedCert,
  startSmtpPeer,
} from "../channels/smtp-peer.js";
import { closedPort, tempDir } from "../sources/servers.js";

const BIN = fileURLToPath(new URL("../../bin/remessa", import.meta.url));
const PASSWORD = "S3nha-Muito-Secreta!";

describe("remessa email-accounts with an SMTP server", () => {
  let dir: string;
  let cert: SelfSigned;
  let peer: SmtpPeer;
  let env: NodeJS.ProcessEnv;
  let keyFile: string;
  let pem: string;

  function remessa(args: string[], input = "", extraEnv: NodeJS.ProcessEnv = {}) {
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(BIN, ["email-accounts", ...args], { env: { ...env, ...extraEnv } });
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
  const trusted = () => ({ NODE_EXTRA_CA_CERTS: join(dir, "ca.pem") });
  const server = (port = peer.port, host = peer.host) => [
    "--provider",
    "smtp",
    "--host",
    host,
    "--port",
    String(port),
    "--security",
    "starttls",
    "--user",
    "remessa",
  ];
  const noSecrets = (text: string) => {
    assert.ok(!text.includes(PASSWORD), "password printed");
    assert.ok(!text.includes("PRIVATE KEY"), "DKIM key printed");
    assert.ok(!/\bv1:/.test(text), "an encrypted secret printed");
  };

  before(async () => {
    dir = await tempDir("remessa-email-cli-");
    cert = selfSignedCert();
    await writeFile(join(dir, "ca.pem"), cert.cert);
    pem = generateKeyPairSync("rsa", { modulusLength: 2048 })
      .privateKey.export({ type: "pkcs8", format: "pem" })
      .toString();
    keyFile = join(dir, "dkim.pem");
    await writeFile(keyFile, pem);
    peer = await startSmtpPeer({ auth: { user: "remessa", pass: PASSWORD }, tls: cert });
    env = {
      ...process.env,
      REMESSA_DATA_DIR: dir,
      DATABASE_URL: `sqlite:${join(dir, "remessa.db")}`,
      REMESSA_SECRET_KEY: randomBytes(32).toString("base64"),
      REMESSA_LOG_LEVEL: "silent",
    };
  });
  after(async () => {
    await peer?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test("add (password from stdin, Reply-To, DKIM), list without secrets, test OK over STARTTLS + AUTH", async () => {
    const added = await remessa(
      [
        "add",
        "--address",
        "faturas@empresa.com.br",
        "--display-name",
        "Faturas",
        ...server(),
        "--reply-to",
        "atendimento@empresa.com.br",
        "--dkim-domain",
        "empresa.com.br",
        "--dkim-selector",
        "rem2026",
        "--dkim-key-file",
        keyFile,
        "--json",
      ],
      `${PASSWORD}\n`,
    );
    assert.equal(added.code, 0, added.stderr);
    noSecrets(added.stdout + added.stderr);
    const account = JSON.parse(added.stdout) as { id: number; provider: string; smtp: unknown };
    assert.equal(account.provider, "smtp");
    assert.deepEqual(account.smtp, {
      host: peer.host,
      port: peer.port,
      security: "starttls",
      user: "remessa",
      hasPassword: true,
      replyTo: "atendimento@empresa.com.br",
      dkim: { domain: "empresa.com.br", selector: "rem2026" },
    });

    const list = await remessa(["list"]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(
      list.stdout,
      /"Faturas" <faturas@empresa\.com\.br> — sem carteira, 20 msg\/s \(padrão\), provedor smtp 127\.0\.0\.1:\d+ \(starttls, usuário remessa, responder a atendimento@empresa\.com\.br, DKIM rem2026\._domainkey\.empresa\.com\.br\)/,
    );
    const json = await remessa(["list", "--json"]);
    noSecrets(list.stdout + json.stdout);

    const ok = await remessa(["test", String(account.id)], "", trusted());
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(
      ok.stdout,
      /Conexão com 127\.0\.0\.1:\d+ OK \(STARTTLS, usuário remessa autenticado\)/,
    );
    noSecrets(ok.stdout + ok.stderr);

    // The same server without trusting its self-signed certificate.
    const untrusted = await remessa(["test", String(account.id), "--json"]);
    assert.equal(untrusted.code, 1);
    const result = JSON.parse(untrusted.stdout) as { ok: boolean; code: string; message: string };
    assert.equal(result.ok, false);
    assert.equal(result.code, "SMTP_CERTIFICADO");
    assert.match(result.message, /certificado TLS de 127\.0\.0\.1 não foi aceito/);
  });

  test("test says what failed: the password, a closed port, an unknown name", async () => {
    const add = async (address: string, flags: string[], password: string) => {
      const r = await remessa(["add", "--address", address, ...flags, "--json"], `${password}\n`);
      assert.equal(r.code, 0, r.stderr);
      return String((JSON.parse(r.stdout) as { id: number }).id);
    };
    const wrong = await add("errada@empresa.com.br", server(), "senha-errada");
    const login = await remessa(["test", wrong], "", trusted());
    assert.equal(login.code, 1);
    assert.match(
      login.stderr,
      /^\[SMTP_AUTENTICACAO\] Falha ao testar .*recusou o usuário ou a senha/,
    );
    assert.ok(!login.stderr.includes("senha-errada"));

    const closed = await add("fechada@empresa.com.br", server(await closedPort()), PASSWORD);
    const refused = await remessa(["test", closed], "", trusted());
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^\[SMTP_RECUSADA\] .*recusou a conexão/);

    const nowhere = await add("dns@empresa.com.br", server(25, "nao-existe.invalid"), PASSWORD);
    const dns = await remessa(["test", nowhere]);
    assert.equal(dns.code, 1);
    assert.match(dns.stderr, /^\[SMTP_DNS\] .*nao-existe\.invalid não foi encontrado no DNS/);
  });

  test("refusals: no --host, half the DKIM flags, an empty password, SMTP flags without smtp, test of an outbox account", async () => {
    const noHost = await remessa(["add", "--address", "a@empresa.com.br", "--provider", "smtp"]);
    assert.equal(noHost.code, 2);
    assert.match(noHost.stderr, /Informe o servidor SMTP em --host/);
    const halfDkim = await remessa(
      ["add", "--address", "a@empresa.com.br", ...server(), "--dkim-domain", "empresa.com.br"],
      `${PASSWORD}\n`,
    );
    assert.equal(halfDkim.code, 2);
    assert.match(halfDkim.stderr, /DKIM precisa dos três/);
    const empty = await remessa(["add", "--address", "a@empresa.com.br", ...server()], "");
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /senha lida da entrada padrão está vazia/);
    const stray = await remessa([
      "add",
      "--address",
      "a@empresa.com.br",
      "--reply-to",
      "b@empresa.com.br",
    ]);
    assert.equal(stray.code, 2);
    assert.match(stray.stderr, /--reply-to vale só com --provider smtp/);
    const outbox = await remessa(["add", "--address", "caixa@empresa.com.br", "--json"]);
    const id = String((JSON.parse(outbox.stdout) as { id: number }).id);
    const none = await remessa(["test", id]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /caixa de saída embutida/);
  });
});
