import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { consoleDir } from "../../src/api/console.js";
import { openSqliteTestStore } from "../store/harness.js";
import { type Fixture, openFixture } from "./helpers.js";

describe("the web console served at /", () => {
  let dir: string;
  let f: Fixture;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "remessa-console-"));
    mkdirSync(join(dir, "assets"));
    writeFileSync(join(dir, "index.html"), "<!doctype html><title>console de teste</title>");
    writeFileSync(join(dir, "assets", "index-AbC123.js"), "console.log('ok')");
    writeFileSync(join(dir, "secret.txt"), "not an asset");
    f = await openFixture(openSqliteTestStore, { console: dir });
  });
  after(async () => {
    await f.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("/ is the console's page, revalidated on every load, with a strict CSP", async () => {
    const res = await f.call({ method: "GET", url: "/" });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers["content-type"] as string, /^text\/html/);
    assert.equal(res.body, "<!doctype html><title>console de teste</title>");
    assert.equal(res.headers["cache-control"], "no-cache");
    assert.match(res.headers["content-security-policy"] as string, /default-src 'self'/);
  });

  test("hashed assets are cached as immutable; nothing outside assets/ is reachable", async () => {
    const js = await f.call({ method: "GET", url: "/assets/index-AbC123.js" });
    assert.equal(js.statusCode, 200);
    assert.match(js.headers["content-type"] as string, /^text\/javascript/);
    assert.equal(js.headers["cache-control"], "public, max-age=31536000, immutable");
    for (const url of [
      "/assets/..%2fsecret.txt",
      "/assets/..%2F..%2Fpackage.json",
      "/assets/.hidden.js",
      "/assets/missing-123.js",
      "/secret.txt",
      "/index.html",
    ]) {
      const res = await f.call({ method: "GET", url });
      assert.equal(res.statusCode, 404, url);
      assert.doesNotMatch(res.body, /not an asset/, url);
    }
  });

  test("the API keeps its JSON answers beside the console", async () => {
    const unknown = await f.call({ method: "GET", url: "/carteiras" });
    assert.equal(unknown.statusCode, 404);
    assert.equal((unknown.json() as { code: string }).code, "ROTA_INEXISTENTE");
    const wallets = await f.call({ method: "GET", url: "/wallets", key: f.keys.read });
    assert.equal(wallets.statusCode, 200);
  });
});

test("without a built console, / says how to build it and the API still answers", async () => {
  const f = await openFixture(openSqliteTestStore, { console: null });
  try {
    const res = await f.call({ method: "GET", url: "/" });
    assert.equal(res.statusCode, 503);
    assert.match(res.body, /npm run build/);
    assert.equal((await f.call({ method: "GET", url: "/healthz" })).statusCode, 200);
  } finally {
    await f.close();
  }
});

test("consoleDir: REMESSA_CONSOLE_DIR wins; else dist/web only when it holds an index.html", () => {
  assert.equal(consoleDir({ REMESSA_CONSOLE_DIR: "/x/y" }), "/x/y");
  const found = consoleDir({});
  if (found !== null) assert.match(found, /dist[/\\]web$/);
});
