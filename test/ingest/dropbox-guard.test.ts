/**
 * End to end against a real `remessa serve` child: password guessing is
 * slowed, cut off and locked out; weak configured passwords are refused;
 * connections are capped per address and in total; a connection that does not
 * log in is closed. Raw sockets (FtpProbe) from several loopback addresses
 * (127.0.0.x, all on Linux's lo) so each test has its own address.
 * Limits are shrunk through serve's environment so the test stays short.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { FtpProbe } from "./dropbox-guard-client.js";
import { FTP_PASSWORD, FTP_USER, type ServeProcess, startServe } from "./serve-harness.js";

const LIMITS = {
  REMESSA_FTP_FAILURE_DELAY_MS: "50",
  REMESSA_FTP_LOCKOUT_FAILURES: "5",
  REMESSA_FTP_LOCKOUT_MS: "3000",
  REMESSA_FTP_LOGIN_TIMEOUT_MS: "2000",
  REMESSA_FTP_MAX_CONNECTIONS_PER_IP: "4",
  REMESSA_FTP_MAX_CONNECTIONS: "10",
};

/** `closed` within `ms`, else a clear failure (not a hung test). */
async function closedWithin(probe: FtpProbe, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`${what} still open after ${ms} ms`)), ms);
  });
  try {
    await Promise.race([probe.closed, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe("drop box guard (serve child, raw sockets)", () => {
  let serve: ServeProcess;
  const open: FtpProbe[] = [];

  before(async () => {
    serve = await startServe({ env: LIMITS });
  });

  after(async () => {
    for (const probe of open) probe.destroy();
    await serve.stop();
  });

  async function connect(from: string): Promise<{ probe: FtpProbe; greeting: string | null }> {
    const probe = await FtpProbe.open(serve.ftpPort, from);
    open.push(probe);
    return { probe, greeting: await probe.reply() };
  }

  async function secured(from: string): Promise<FtpProbe> {
    const { probe, greeting } = await connect(from);
    assert.match(greeting ?? "", /^220 /);
    await probe.secure();
    return probe;
  }

  test("wrong passwords: each refusal waits longer, the 3rd closes the connection with 421", async () => {
    const probe = await secured("127.0.0.2");
    const times: number[] = [];
    const replies: (string | null)[] = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      replies.push(await probe.login(FTP_USER, `errada-${i}`));
      times.push(performance.now() - started);
    }
    assert.match(replies[0] ?? "", /^530 Usuário ou senha incorretos/);
    assert.match(replies[1] ?? "", /^530 /);
    assert.match(replies[2] ?? "", /^421 .*conexão encerrada/);
    await probe.closed;
    // 50 ms, then 100 ms, then 200 ms of delay (plus the scrypt check).
    assert.ok((times[0] ?? 0) >= 45, `first refusal after ${times[0]} ms`);
    assert.ok((times[1] ?? 0) >= 95, `second refusal after ${times[1]} ms`);
    assert.ok((times[2] ?? 0) >= 195, `third refusal after ${times[2]} ms`);
    assert.equal(await probe.send("NOOP"), null, "the connection stays open");
    assert.doesNotMatch(serve.output(), /errada-/, "a password reached the log");
    assert.match(serve.output(), /drop box login refused/);
  });

  test("an address with too many failures is locked out: even the right password is refused until it expires", async () => {
    const from = "127.0.0.3";
    let early: FtpProbe | null = null;
    // One try per connection, as a client working around the per-connection limit would.
    for (let i = 0; i < 5; i++) {
      // Opened before the lockout: its login will be refused with a 530.
      if (i === 4) early = await secured(from);
      const probe = await secured(from);
      assert.match((await probe.login(FTP_USER, `chute-${i}`)) ?? "", /^530 /);
      probe.destroy();
    }
    const reply = await early?.login(FTP_USER, FTP_PASSWORD);
    assert.match(reply ?? "", /^530 Endereço 127\.0\.0\.3 bloqueado temporariamente/);
    assert.match(reply ?? "", /Tente de novo em \d+ s/);
    // A new connection is refused at once, before TLS.
    const { probe: late, greeting } = await connect(from);
    assert.match(greeting ?? "", /^421 Endereço 127\.0\.0\.3 bloqueado temporariamente/);
    await closedWithin(late, 5000, "a new connection from the locked-out address");
    assert.match(serve.output(), /drop box address locked out/);
    // Another address is not affected.
    const other = await secured("127.0.0.9");
    assert.match((await other.login(FTP_USER, FTP_PASSWORD)) ?? "", /^230/);
    other.destroy();

    await new Promise((ok) => setTimeout(ok, 3100));
    const after = await secured(from);
    assert.match((await after.login(FTP_USER, FTP_PASSWORD)) ?? "", /^230/);
    after.destroy();
  });

  test("connections per address are capped: the extra ones get 421 and are closed", async () => {
    const kept: FtpProbe[] = [];
    for (let i = 0; i < 4; i++) {
      const { probe, greeting } = await connect("127.0.0.4");
      assert.match(greeting ?? "", /^220 /);
      kept.push(probe);
    }
    for (let i = 0; i < 5; i++) {
      const { probe, greeting } = await connect("127.0.0.4");
      assert.match(greeting ?? "", /^421 Conexões demais a partir do endereço 127\.0\.0\.4/);
      await probe.closed;
    }
    // Commands sent at once, before reading the refusal, are not run.
    const eager = await FtpProbe.open(serve.ftpPort, "127.0.0.4");
    open.push(eager);
    eager.sendRaw("USER ansioso\r\nPASS y\r\nFEAT\r\nNOOP\r\n");
    assert.match((await eager.reply()) ?? "", /^421 Conexões demais/);
    assert.equal(await eager.reply(), null, "a refused connection answered a command");
    await new Promise((ok) => setTimeout(ok, 500));
    assert.doesNotMatch(serve.output(), /ansioso/, "a refused connection's login was checked");
    // Another address still gets in.
    const { probe, greeting } = await connect("127.0.0.5");
    assert.match(greeting ?? "", /^220 /);
    for (const p of [...kept, probe]) p.destroy();
    await Promise.all([...kept, probe].map((p) => p.closed));
  });

  test("connections in total are capped", async () => {
    // Let the server see the previous test's sockets closed.
    await new Promise((ok) => setTimeout(ok, 200));
    const kept: FtpProbe[] = [];
    for (const from of ["127.0.0.6", "127.0.0.7", "127.0.0.8"]) {
      for (let i = 0; i < 4 && kept.length < 10; i++) {
        const { probe, greeting } = await connect(from);
        assert.match(greeting ?? "", /^220 /);
        kept.push(probe);
      }
    }
    assert.equal(kept.length, 10);
    const { probe, greeting } = await connect("127.0.0.10");
    assert.match(greeting ?? "", /^421 Servidor cheio/);
    await probe.closed;
    for (const p of kept) p.destroy();
    await Promise.all(kept.map((p) => p.closed));
  });

  test("a connection that does not log in (silent, after AUTH TLS, mid-handshake) is closed after the login timeout; a logged-in one stays", async () => {
    await new Promise((ok) => setTimeout(ok, 200));
    const { probe: silent } = await connect("127.0.0.11");
    const idle = await secured("127.0.0.11");
    // AUTH TLS answered, then no handshake at all.
    const { probe: stalled } = await connect("127.0.0.11");
    assert.match((await stalled.send("AUTH TLS")) ?? "", /^234/);
    const user = await secured("127.0.0.11");
    assert.match((await user.login(FTP_USER, FTP_PASSWORD)) ?? "", /^230/);
    const started = performance.now();
    assert.match((await silent.reply(10_000)) ?? "", /^421 Tempo esgotado/);
    await closedWithin(silent, 5000, "the silent connection");
    assert.match((await idle.reply(10_000)) ?? "", /^421 Tempo esgotado/);
    await closedWithin(idle, 5000, "the connection idle after AUTH TLS");
    await closedWithin(stalled, 5000, "the connection that never did its TLS handshake");
    const waited = performance.now() - started;
    assert.ok(waited < 6000, `closed after ${waited} ms`);
    assert.match((await user.send("NOOP")) ?? "", /^200/);
    user.destroy();
  });
});

test("serve refuses a weak REMESSA_FTP_PASSWORD and says why", async () => {
  for (const [password, why] of [
    ["1", /tem 1 caracteres \(mínimo 12\)/],
    ["abcdefghijklmnop", /um só tipo de caractere/],
  ] as const) {
    const serve = await startServe({ env: { REMESSA_FTP_PASSWORD: password }, ready: false });
    const running = new Promise<null>((ok) => setTimeout(() => ok(null), 30_000).unref());
    const exit = await Promise.race([serve.exited, running]);
    await serve.stop();
    assert.equal(exit?.code, 1, serve.output());
    assert.match(serve.output(), /REMESSA_FTP_PASSWORD é fraca demais/);
    assert.match(serve.output(), why);
    assert.match(serve.output(), /pelo menos 12 caracteres/);
  }
});
