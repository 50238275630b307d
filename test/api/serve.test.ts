/** `remessa serve` answers the API on its real HTTP port. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createApiKey } from "../../src/store/api-keys.js";
import { openServeStore, startServe } from "../ingest/serve-harness.js";

const ADMIN = "admin-key-for-the-serve-test-0123456789";

describe("serve's HTTP port", () => {
  test("answers /healthz, /readyz, the old names, the docs and the API with keys", async () => {
    const serve = await startServe({ http: true, env: { REMESSA_ADMIN_KEY: ADMIN } });
    try {
      const base = `http://127.0.0.1:${serve.httpPort}`;
      for (const path of ["/healthz", "/health"]) {
        const res = await fetch(base + path);
        assert.equal(res.status, 200);
        assert.deepEqual(await res.json(), { status: "ok" });
      }
      for (const path of ["/readyz", "/ready"]) {
        const res = await fetch(base + path);
        assert.equal(res.status, 200, `${path}: ${serve.output()}`);
        assert.deepEqual(await res.json(), { status: "ready" });
      }
      assert.equal((await fetch(`${base}/openapi.json`)).status, 200);
      assert.equal((await fetch(`${base}/docs`)).status, 200);

      const anonymous = await fetch(`${base}/wallets`);
      assert.equal(anonymous.status, 401);
      assert.equal(((await anonymous.json()) as { code: string }).code, "NAO_AUTENTICADO");

      const store = await openServeStore(serve.dataDir);
      let key: string;
      try {
        key = (await createApiKey(store.db, 1, { name: "teste", scope: "read" })).key;
      } finally {
        await store.close();
      }
      const sources = await fetch(`${base}/sources`, {
        headers: { authorization: `Bearer ${key}` },
      });
      assert.equal(sources.status, 200);
      const names = ((await sources.json()) as { items: { name: string }[] }).items.map(
        (s) => s.name,
      );
      assert.deepEqual(names, ["caixa-ftp"], "the drop box's source, listed");
      const tenants = await fetch(`${base}/tenants`, {
        headers: { authorization: `Bearer ${ADMIN}` },
      });
      assert.equal(tenants.status, 200);
    } finally {
      await serve.stop();
    }
  });

  test("a short REMESSA_ADMIN_KEY stops serve before it starts", async () => {
    const serve = await startServe({
      http: true,
      ftp: false,
      ready: false,
      env: { REMESSA_ADMIN_KEY: "curta" },
    });
    const { code } = await serve.exited;
    assert.equal(code, 2);
    assert.match(serve.output(), /REMESSA_ADMIN_KEY curta demais/);
  });
});
