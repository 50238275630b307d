import assert from "node:assert/strict";
import { test } from "node:test";
import { openSqliteTestStore } from "../store/harness.js";
import { errorBody, openFixture } from "./helpers.js";

const BOX = { host: "127.0.0.1", port: 2121, user: "caixa", fingerprint: "AB:CD" };

test("GET /dropbox: the default tenant sees the box's address, never a password", async () => {
  const f = await openFixture(openSqliteTestStore, { dropBox: () => BOX });
  try {
    const mine = await f.call({ method: "GET", url: "/dropbox", key: f.keys.read });
    assert.equal(mine.statusCode, 200);
    assert.deepEqual(mine.json(), { ...BOX, protocol: "ftps-explicit" });
    const other = await f.call({ method: "GET", url: "/dropbox", key: f.keys.other });
    assert.equal(other.statusCode, 404);
    assert.equal(errorBody(other).code, "NAO_ENCONTRADO");
    assert.equal((await f.call({ method: "GET", url: "/dropbox" })).statusCode, 401);
  } finally {
    await f.close();
  }
});

test("GET /dropbox without a box (serve --ftp-port 0): 404 with the reason", async () => {
  const f = await openFixture(openSqliteTestStore);
  try {
    const res = await f.call({ method: "GET", url: "/dropbox", key: f.keys.read });
    assert.equal(res.statusCode, 404);
    assert.match(errorBody(res).message, /caixa FTPS/);
  } finally {
    await f.close();
  }
});
