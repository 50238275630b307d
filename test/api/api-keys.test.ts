/** API keys: the store (both databases) and `remessa api-keys`. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  authenticateApiKey,
  createApiKey,
  hashApiKey,
  listApiKeys,
  revokeApiKey,
  touchApiKey,
} from "../../src/store/api-keys.js";
import { createTenant } from "../../src/store/tenants.js";
import { DATABASES, openSqliteTestStore } from "../store/harness.js";

const BIN = fileURLToPath(new URL("../../bin/remessa", import.meta.url));

for (const database of DATABASES) {
  describe(`API keys on ${database.name}`, { skip: database.skip }, () => {
    test("only the hash is stored; a revoked or unknown key does not authenticate", async () => {
      const t = await database.open();
      try {
        const { db } = t.store;
        const other = (await createTenant(db, { name: "B" })).id;
        const { key, summary } = await createApiKey(db, 1, { name: "ERP", scope: "read" });
        assert.match(key, /^rms_[A-Za-z0-9_-]{43}$/);
        assert.equal(summary.prefix, key.slice(0, 12));
        const row = await db.selectFrom("api_keys").selectAll().executeTakeFirstOrThrow();
        assert.equal(row.key_hash, hashApiKey(key));
        assert.ok(!JSON.stringify(row).includes(key.slice(12)), "the secret part is not stored");
        assert.deepEqual(await authenticateApiKey(db, key), {
          id: summary.id,
          tenantId: 1,
          prefix: summary.prefix,
          scope: "read",
        });
        assert.equal(await authenticateApiKey(db, `${key}x`), null);
        assert.equal(await authenticateApiKey(db, key.replace("rms_", "xyz_")), null);
        // Another tenant cannot revoke it.
        assert.equal(await revokeApiKey(db, other, summary.id), null);
        assert.ok(await authenticateApiKey(db, key));
        const revoked = await revokeApiKey(db, 1, summary.id, new Date("2026-12-07T10:00:00Z"));
        assert.equal(revoked?.revokedAt, "2026-12-07T10:00:00.000Z");
        assert.equal(await authenticateApiKey(db, key), null);
        assert.deepEqual(await listApiKeys(db, other), []);
        assert.equal((await listApiKeys(db, 1)).length, 1);
        await assert.rejects(createApiKey(db, 1, { name: " ", scope: "read" }), /nome/);
      } finally {
        await t.dispose();
      }
    });

    test("the last use is recorded at most once a minute", async () => {
      const t = await database.open();
      try {
        const { db } = t.store;
        const { summary } = await createApiKey(db, 1, { name: "x", scope: "write" });
        const at = (iso: string) => new Date(iso);
        await touchApiKey(db, summary.id, at("2026-12-07T10:00:00Z"));
        await touchApiKey(db, summary.id, at("2026-12-07T10:00:30Z"));
        assert.equal((await listApiKeys(db, 1))[0]?.lastUsedAt, "2026-12-07T10:00:00.000Z");
        await touchApiKey(db, summary.id, at("2026-12-07T10:01:01Z"));
        assert.equal((await listApiKeys(db, 1))[0]?.lastUsedAt, "2026-12-07T10:01:01.000Z");
      } finally {
        await t.dispose();
      }
    });
  });
}

describe("remessa api-keys", () => {
  test("create shows the key once, list never does, revoke ends it", async () => {
    const t = await openSqliteTestStore();
    try {
      const run = (...args: string[]) =>
        spawnSync(process.execPath, [BIN, "api-keys", ...args, "--data-dir", t.dataDir], {
          encoding: "utf8",
          env: { ...process.env, DATABASE_URL: "" },
        });
      const created = run("create", "--name", "ERP", "--scope", "write", "--json");
      assert.equal(created.status, 0, created.stderr);
      const key = JSON.parse(created.stdout) as { id: number; key: string; scope: string };
      assert.equal(key.scope, "write");
      assert.ok(await authenticateApiKey(t.store.db, key.key));
      const text = run("create");
      assert.equal(text.status, 0);
      assert.match(text.stdout, /read: só leitura/);
      assert.match(text.stdout, /não será mostrada de novo/);
      const list = run("list");
      assert.match(list.stdout, /ERP/);
      assert.ok(!list.stdout.includes(key.key.slice(12)), "list never shows the key");
      const revoked = run("revoke", String(key.id));
      assert.equal(revoked.status, 0, revoked.stderr);
      assert.equal(await authenticateApiKey(t.store.db, key.key), null);
      const missing = run("revoke", "99");
      assert.equal(missing.status, 1);
      assert.match(missing.stderr, /não existe nesta empresa/);
      const bad = run("create", "--scope", "admin");
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /read \(só leitura\) ou write/);
      const otherTenant = run("list", "--tenant", "7");
      assert.equal(otherTenant.status, 1);
    } finally {
      await t.dispose();
    }
  });
});
