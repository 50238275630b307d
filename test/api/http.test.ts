/**
 * The API's HTTP behaviour: one error shape, body cap, rate limit per key,
 * 5xx without internals, and an OpenAPI document that matches the routes.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { openApiPath } from "../../src/api/openapi.js";
import { openSqliteTestStore } from "../store/harness.js";
import { errorBody, openFixture } from "./helpers.js";

describe("API errors and limits", () => {
  test("invalid input: 400 DADOS_INVALIDOS in pt-BR with the fields in details", async () => {
    const f = await openFixture(openSqliteTestStore);
    try {
      const res = await f.call({
        method: "POST",
        url: "/wallets",
        key: f.keys.write,
        payload: { code: 12, extra: true },
      });
      assert.equal(res.statusCode, 400);
      const body = errorBody(res);
      assert.equal(body.code, "DADOS_INVALIDOS");
      assert.match(body.message, /corpo da requisição/);
      const paths = (body.details as { path: string }[]).map((d) => d.path).sort();
      assert.deepEqual(paths, ["", "code"]);
      assert.match(JSON.stringify(body.details), /esperava|inválid/i, "zod's messages in pt-BR");

      const query = await f.call({ method: "GET", url: "/mailings?limit=0", key: f.keys.read });
      assert.equal(query.statusCode, 400);
      assert.equal(errorBody(query).code, "DADOS_INVALIDOS");
      const param = await f.call({ method: "GET", url: "/sources/abc", key: f.keys.read });
      assert.equal(param.statusCode, 400);
      assert.equal(errorBody(param).code, "DADOS_INVALIDOS");
      const cursor = await f.call({ method: "GET", url: "/mailings?cursor=xyz", key: f.keys.read });
      assert.equal(cursor.statusCode, 400);
      assert.match(errorBody(cursor).message, /Cursor inválido/);
    } finally {
      await f.close();
    }
  });

  test("broken JSON, another content type, an unknown route: the same shape", async () => {
    const f = await openFixture(openSqliteTestStore);
    try {
      const broken = await f.call({
        method: "POST",
        url: "/wallets",
        key: f.keys.write,
        headers: { "content-type": "application/json" },
        payload: "{nope",
      });
      assert.equal(broken.statusCode, 400);
      assert.equal(errorBody(broken).code, "JSON_INVALIDO");
      const xml = await f.call({
        method: "POST",
        url: "/wallets",
        key: f.keys.write,
        headers: { "content-type": "application/xml" },
        payload: "<a/>",
      });
      assert.equal(xml.statusCode, 415);
      assert.equal(errorBody(xml).code, "TIPO_NAO_SUPORTADO");
      // The header with no body is no body: fine where none is needed.
      const empty = await f.call({
        method: "DELETE",
        url: "/wallets/ITAU",
        key: f.keys.write,
        headers: { "content-type": "application/json" },
      });
      assert.equal(empty.statusCode, 200, empty.body);
      const proto = await f.call({
        method: "POST",
        url: "/wallets",
        key: f.keys.write,
        headers: { "content-type": "application/json" },
        payload: '{"code":"P","__proto__":{"x":1}}',
      });
      assert.equal(proto.statusCode, 400);
      assert.equal(errorBody(proto).code, "JSON_INVALIDO");
      const badUrl = await f.call({ method: "GET", url: "/wallets/%E0%A4%A", key: f.keys.write });
      assert.equal(badUrl.statusCode, 400);
      assert.equal(errorBody(badUrl).code, "DADOS_INVALIDOS");
      const route = await f.call({ method: "GET", url: "/nada", key: f.keys.write });
      assert.equal(route.statusCode, 404);
      assert.equal(errorBody(route).code, "ROTA_INEXISTENTE");
      const refused = await f.call({
        method: "POST",
        url: "/wallets",
        key: f.keys.write,
        payload: { code: "COM_TRACO" },
      });
      assert.equal(refused.statusCode, 422);
      assert.equal(errorBody(refused).code, "VALOR_RECUSADO");
      assert.match(errorBody(refused).message, /não use "_"/);
    } finally {
      await f.close();
    }
  });

  test("a body over the cap is refused with 413, before anything is done", async () => {
    const f = await openFixture(openSqliteTestStore, { bodyLimit: 1024 });
    try {
      const res = await f.call({
        method: "POST",
        url: "/wallets",
        key: f.keys.write,
        payload: { code: "GRANDE", name: "x".repeat(2000) },
      });
      assert.equal(res.statusCode, 413);
      assert.equal(errorBody(res).code, "CORPO_GRANDE_DEMAIS");
      const wallets = await f.call({ method: "GET", url: "/wallets", key: f.keys.write });
      assert.equal(wallets.json().items.length, 1);
      // Without a key the body is not even read: 401 first.
      const anonymous = await f.call({
        method: "POST",
        url: "/wallets",
        payload: { code: "GRANDE", name: "x".repeat(2000) },
      });
      assert.equal(anonymous.statusCode, 401);
    } finally {
      await f.close();
    }
  });

  test("rate limit per key: 429 with Retry-After when the bucket is empty, refilled by the clock", async () => {
    const f = await openFixture(openSqliteTestStore, { rateLimit: { burst: 3, perSecond: 1 } });
    try {
      const get = (key: string) => f.call({ method: "GET", url: "/wallets", key });
      for (let i = 0; i < 3; i++) assert.equal((await get(f.keys.write)).statusCode, 200);
      const limited = await get(f.keys.write);
      assert.equal(limited.statusCode, 429);
      assert.equal(errorBody(limited).code, "LIMITE_DE_REQUISICOES");
      assert.equal(limited.headers["retry-after"], "1");
      // Another key has its own bucket.
      assert.equal((await get(f.keys.read)).statusCode, 200);
      // One second later, one more token.
      f.clock.now = new Date(f.clock.now.getTime() + 1000);
      assert.equal((await get(f.keys.write)).statusCode, 200);
      assert.equal((await get(f.keys.write)).statusCode, 429);
      // Health is not limited.
      for (let i = 0; i < 5; i++) {
        assert.equal((await f.call({ method: "GET", url: "/healthz" })).statusCode, 200);
      }
    } finally {
      await f.close();
    }
  });

  test("a failure inside answers 500 ERRO_INTERNO with a request id and no internals", async () => {
    const f = await openFixture(openSqliteTestStore);
    try {
      // The database goes away under the API (the key was checked before: only the query fails).
      let calls = 0;
      const original = f.store.db.selectFrom.bind(f.store.db);
      (f.store.db as { selectFrom: unknown }).selectFrom = ((table: string) => {
        if (table === "wallets") {
          calls++;
          throw new Error("SQLITE_IOERR: disk I/O error at /secret/path/remessa.db");
        }
        return original(table as never);
      }) as never;
      const res = await f.call({ method: "GET", url: "/wallets", key: f.keys.write });
      assert.equal(calls, 1);
      assert.equal(res.statusCode, 500);
      const body = errorBody(res);
      assert.equal(body.code, "ERRO_INTERNO");
      assert.match(body.message, /id r[0-9a-f]{12}\b/);
      assert.ok(
        body.message.includes(String(res.headers["x-request-id"])),
        "the id is the header's",
      );
      assert.doesNotMatch(res.body, /SQLITE|secret|remessa\.db|Error:/);
    } finally {
      await f.close();
    }
  });
});

describe("OpenAPI document and /docs", () => {
  test("every registered route is documented and every documented one answers", async () => {
    const registered: { method: string; url: string }[] = [];
    const f = await openFixture(openSqliteTestStore, { onRoute: (r) => registered.push(r) });
    try {
      const res = await f.call({ method: "GET", url: "/openapi.json" });
      assert.equal(res.statusCode, 200);
      const doc = res.json() as {
        openapi: string;
        paths: Record<string, Record<string, Record<string, unknown>>>;
        components: { schemas: Record<string, unknown> };
      };
      assert.equal(doc.openapi, "3.1.0");
      const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
      );
      // HEAD answers are fastify's automatic twins of the GETs.
      const routes = registered
        .filter((r) => r.method !== "HEAD")
        .map((r) => `${r.method} ${openApiPath(r.url)}`);
      assert.deepEqual([...new Set(routes)].sort(), [...documented].sort());

      const ids = new Set<string>();
      for (const [path, ops] of Object.entries(doc.paths)) {
        const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
        for (const [method, op] of Object.entries(ops)) {
          const where = `${method.toUpperCase()} ${path}`;
          assert.ok(typeof op.summary === "string" && op.summary, `${where}: summary`);
          assert.ok(!ids.has(op.operationId as string), `${where}: unique operationId`);
          ids.add(op.operationId as string);
          const params = (op.parameters ?? []) as { name: string; in: string }[];
          assert.deepEqual(
            params
              .filter((p) => p.in === "path")
              .map((p) => p.name)
              .sort(),
            [...templated].sort(),
            `${where}: path parameters`,
          );
          assert.ok(
            Object.keys(op.responses as object).some((s) => s.startsWith("2")),
            where,
          );
          // The documented route exists: it never answers "no such route".
          const url = path.replace(/\{(\w+)\}/g, (_m, name: string) =>
            name === "kind" ? "resultado" : name === "code" ? "X" : "1",
          );
          const answer = await f.app.inject({
            method: method.toUpperCase() as "GET",
            url,
            headers: { authorization: `Bearer ${f.keys.write}` },
          });
          assert.notEqual(
            answer.statusCode === 404 && answer.json().code === "ROTA_INEXISTENTE",
            true,
            `${where} is documented but not served`,
          );
        }
      }
      // Every $ref points at a component that exists.
      for (const [, ref] of JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)) {
        const name = ref?.replace("#/components/schemas/", "") ?? "";
        assert.ok(ref?.startsWith("#/components/schemas/") && doc.components.schemas[name], ref);
      }
      assert.ok(doc.components.schemas.Error, "the error shape is a component");
    } finally {
      await f.close();
    }
  });

  test("the request schemas in the document are the ones that validate", async () => {
    const f = await openFixture(openSqliteTestStore);
    try {
      const doc = (await f.call({ method: "GET", url: "/openapi.json" })).json();
      const body = doc.paths["/sources"].post.requestBody.content["application/json"].schema;
      assert.deepEqual([...body.required].sort(), ["host", "password", "protocol", "user"]);
      assert.equal(body.additionalProperties, false);
      assert.deepEqual(body.properties.protocol.enum, [
        "ftp",
        "ftps-explicit",
        "ftps-implicit",
        "sftp",
      ]);
      // The answer's schema has no password field.
      const source = doc.components.schemas.Source;
      assert.ok(source.properties.hasPassword);
      assert.equal(source.properties.password, undefined);
      const limit = doc.paths["/mailings"].get.parameters.find(
        (p: { name: string }) => p.name === "limit",
      );
      assert.equal(limit.schema.maximum, 200);
    } finally {
      await f.close();
    }
  });

  test("/docs is a self-contained page that reads /openapi.json", async () => {
    const f = await openFixture(openSqliteTestStore);
    try {
      const res = await f.call({ method: "GET", url: "/docs" });
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers["content-type"]), /text\/html/);
      assert.match(res.body, /fetch\("openapi\.json"\)/);
      assert.doesNotMatch(
        res.body,
        /(src|href)="(https?:)?\/\//,
        "nothing loaded from the network",
      );
    } finally {
      await f.close();
    }
  });

  test("health and readiness need no key", async () => {
    const f = await openFixture(openSqliteTestStore);
    try {
      for (const url of ["/healthz", "/health"]) {
        const res = await f.call({ method: "GET", url });
        assert.deepEqual([res.statusCode, res.json()], [200, { status: "ok" }]);
      }
      for (const url of ["/readyz", "/ready"]) {
        const res = await f.call({ method: "GET", url });
        assert.deepEqual([res.statusCode, res.json()], [200, { status: "ready" }]);
      }
    } finally {
      await f.close();
    }
  });

  test("readiness says 503 with the reason when migrations are pending", async () => {
    const f = await openFixture(openSqliteTestStore);
    try {
      await f.store.db
        .deleteFrom("kysely_migration" as never)
        .where("name" as never, "=", "0007_api" as never)
        .execute();
      const res = await f.call({ method: "GET", url: "/readyz" });
      assert.equal(res.statusCode, 503);
      assert.deepEqual(res.json(), { status: "migrations pending", pending: ["0007_api"] });
    } finally {
      await f.close();
    }
  });
});

describe("SQLite write lock held by an import", () => {
  test("a change waits for the lock without blocking, and says 503 BANCO_OCUPADO when it lasts", async () => {
    const { openSqliteConnection } = await import("../../src/store/db.js");
    for (const release of [true, false]) {
      const f = await openFixture(openSqliteTestStore, release ? {} : { busyTimeoutMs: 50 });
      const importer = openSqliteConnection(f.store.sqlitePath as string);
      try {
        // As serve does: its connection never waits synchronously for the lock.
        f.store.sqlite?.pragma("busy_timeout = 0");
        importer.exec("BEGIN IMMEDIATE");
        const pending = f.call({
          method: "POST",
          url: "/wallets",
          key: f.keys.write,
          payload: { code: "NOVA" },
        });
        if (release) setTimeout(() => importer.exec("COMMIT"), 300);
        const res = await pending;
        if (release) {
          assert.equal(res.statusCode, 201, res.body);
        } else {
          assert.equal(res.statusCode, 503);
          assert.equal(errorBody(res).code, "BANCO_OCUPADO");
          assert.equal(res.headers["retry-after"], "5");
          importer.exec("ROLLBACK");
        }
        // Reads never wait for the writer (WAL).
        const list = await f.call({ method: "GET", url: "/wallets", key: f.keys.read });
        assert.equal(list.json().items.length, release ? 2 : 1);
      } finally {
        importer.close();
        await f.close();
      }
    }
  });
});
