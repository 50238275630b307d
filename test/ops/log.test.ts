/** The pino logger behind `Logger`: JSON lines, levels, redaction, and the API's request lines. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createLogger, REDACTED } from "../../src/log.js";
import { ADMIN_KEY, openFixture } from "../api/helpers.js";
import { openSqliteTestStore } from "../store/harness.js";

function capture(base: Record<string, unknown> = {}) {
  const lines: string[] = [];
  const log = createLogger(base, (line) => lines.push(line));
  const entries = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { log, lines, entries };
}

function withLevel<T>(level: string | undefined, run: () => T): T {
  const saved = process.env.REMESSA_LOG_LEVEL;
  if (level === undefined) delete process.env.REMESSA_LOG_LEVEL;
  else process.env.REMESSA_LOG_LEVEL = level;
  try {
    return run();
  } finally {
    if (saved === undefined) delete process.env.REMESSA_LOG_LEVEL;
    else process.env.REMESSA_LOG_LEVEL = saved;
  }
}

describe("log lines", () => {
  test("one JSON object per line with time, level, message, base and fields", () => {
    const { log, lines, entries } = withLevel(undefined, () => capture({ service: "remessa" }));
    log.info("file imported", { rows: 3, seconds: 0.25 });
    log.child({ component: "api" }).warn("slow", { ms: 900 });
    assert.equal(lines.length, 2);
    for (const line of lines) assert.equal(line.trimEnd().split("\n").length, 1);
    const [first, second] = entries();
    assert.equal(first?.level, "info");
    assert.equal(first?.msg, "file imported");
    assert.equal(first?.service, "remessa");
    assert.equal(first?.rows, 3);
    assert.ok(!Number.isNaN(Date.parse(String(first?.time))));
    assert.deepEqual(
      [second?.level, second?.component, second?.service, second?.ms],
      ["warn", "api", "remessa", 900],
    );
  });

  test("REMESSA_LOG_LEVEL sets the threshold; errors keep their stack only at debug", () => {
    const quiet = withLevel("warn", () => capture());
    quiet.log.info("dropped");
    quiet.log.error("kept", { error: new Error("falhou") });
    assert.deepEqual(
      quiet.entries().map((e) => e.msg),
      ["kept"],
    );
    const error = quiet.entries()[0]?.error as Record<string, unknown>;
    assert.deepEqual(error, { name: "Error", message: "falhou" });
    const verbose = withLevel("debug", () => capture());
    verbose.log.debug("shown", { error: Object.assign(new Error("x"), { code: "ECONNRESET" }) });
    const shown = verbose.entries()[0]?.error as Record<string, unknown>;
    assert.equal(shown.code, "ECONNRESET");
    assert.match(String(shown.stack), /log\.test\.ts/);
  });
});

describe("redaction", () => {
  test("fields named for secrets or personal data are replaced, at any depth", () => {
    const { log, lines, entries } = capture();
    log.info("event", {
      password: "hunter2-secret",
      passwordHash: "abc",
      senha: "segredo",
      token: "tok-123",
      headers: { Authorization: "Bearer rms_abcdef", cookie: "sid=1", "x-api-key": "k-9" },
      person: { cpf: "12345678909", CPFCNPJ: "12345678909", phone: "11987654321" },
      contacts: [{ email: "ana@example.com" }, { telefone: "1133334444" }],
      to: "5511987654321",
      address: "ana@example.com",
      nome: "Ana Souza",
      mailingId: 7,
      file: "mailing_071226_1_cBRAD.csv",
      tenantId: 1,
    });
    const e = entries()[0] as Record<string, unknown>;
    for (const key of ["password", "passwordHash", "senha", "token", "to", "address", "nome"]) {
      assert.equal(e[key], REDACTED, key);
    }
    assert.deepEqual(e.headers, {
      Authorization: REDACTED,
      cookie: REDACTED,
      "x-api-key": REDACTED,
    });
    assert.deepEqual(e.person, { cpf: REDACTED, CPFCNPJ: REDACTED, phone: REDACTED });
    assert.deepEqual(e.contacts, [{ email: REDACTED }, { telefone: REDACTED }]);
    // What is no secret stays readable.
    assert.deepEqual([e.mailingId, e.file, e.tenantId], [7, "mailing_071226_1_cBRAD.csv", 1]);
    for (const secret of ["hunter2", "rms_abcdef", "ana@example.com", "11987654321", "Ana Souza"]) {
      assert.ok(!lines[0]?.includes(secret), `${secret} leaked: ${lines[0]}`);
    }
  });

  test("strings are scrubbed of e-mails, CPF/CNPJ, phones and URL passwords, errors included", () => {
    const { log, lines } = capture();
    log.warn("send failed", {
      reason: "recipient ana.souza@empresa.com.br rejected; call (11) 98765-4321 or 11987654321",
      documents: "CPF 123.456.789-09, CNPJ 12.345.678/0001-95",
      database: "postgres://remessa:pg-pass-42@db.internal:5432/remessa",
      error: new Error("SMTP 550 <joao@example.org>: mailbox unavailable"),
    });
    const line = lines[0] ?? "";
    for (const leaked of [
      "ana.souza@empresa.com.br",
      "98765-4321",
      "11987654321",
      "123.456.789-09",
      "12.345.678/0001-95",
      "pg-pass-42",
      "joao@example.org",
    ]) {
      assert.ok(!line.includes(leaked), `${leaked} leaked: ${line}`);
    }
    // The rest of the text stays, so the line still says what happened.
    assert.match(line, /rejected; call/);
    assert.match(line, /postgres:\/\/remessa:\[REDACTED\]@db\.internal:5432\/remessa/);
    assert.match(line, /mailbox unavailable/);
  });

  test("a child's fields are redacted too, and a cycle does not break the line", () => {
    const { log, entries } = capture();
    const loop: Record<string, unknown> = { name: "a" };
    loop.self = loop;
    log.child({ email: "x@y.com.br" }).info("cycle", { loop });
    const e = entries()[0] as Record<string, unknown>;
    assert.equal(e.email, REDACTED);
    assert.deepEqual(e.loop, { name: "a", self: "[circular]" });
  });
});

describe("API request lines", () => {
  test("each request is one line with its request id and route, never the key or the query", async () => {
    const lines: string[] = [];
    const log = withLevel("info", () => createLogger({}, (line) => lines.push(line)));
    const f = await openFixture(openSqliteTestStore, { log });
    try {
      const res = await f.call({
        method: "GET",
        url: "/wallets?cpf=12345678909",
        key: f.keys.read,
      });
      assert.equal(res.statusCode, 200);
      await f.call({ method: "GET", url: "/healthz" });
      const tenants = await f.call({ method: "GET", url: "/tenants", key: ADMIN_KEY });
      assert.equal(tenants.statusCode, 200);
      const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      const requests = entries.filter((e) => e.msg === "api request");
      assert.deepEqual(
        requests.map((e) => [e.method, e.route, e.status]),
        [
          ["GET", "/wallets", 200],
          ["GET", "/tenants", 200],
        ],
        "probes are not logged at info",
      );
      assert.equal(requests[0]?.reqId, res.headers["x-request-id"]);
      assert.equal(requests[0]?.tenantId, 1);
      const all = lines.join("");
      assert.ok(!all.includes("12345678909"), "the query string is not logged");
      assert.ok(!all.includes(f.keys.read) && !all.includes(ADMIN_KEY), "no key in the log");
    } finally {
      await f.close();
    }
  });
});
