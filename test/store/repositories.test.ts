import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { sql } from "kysely";
import {
  createSource,
  getSource,
  getSourceWithSecret,
  listSources,
  recordSourceError,
  recordSourceSuccess,
  removeSource,
  updateSource,
} from "../../src/store/sources.js";
import { createTenant, getTenant, updateTenant } from "../../src/store/tenants.js";
import {
  createWallet,
  getWalletByCode,
  listWallets,
  removeWallet,
  renameWallet,
} from "../../src/store/wallets.js";
import { DATABASES } from "./harness.js";

const key = randomBytes(32);
const PASSWORD = "s3nh@-muito-secreta";

function ftpInput(name: string) {
  return {
    name,
    protocol: "ftps-explicit" as const,
    host: "ftp.exemplo.com.br",
    port: 21,
    user: "carga",
    password: PASSWORD,
    root: "/mailings",
    allowPrivate: false,
    tlsFingerprint: null,
    tlsInsecure: false,
  };
}

for (const database of DATABASES) {
  describe(`repositories on ${database.name}`, { skip: database.skip }, () => {
    test("tenants: create, read, update, with validation", async () => {
      const t = await database.open();
      try {
        const { db } = t.store;
        const acme = await createTenant(db, { name: "ACME", timeZone: "America/Manaus" });
        assert.equal((await getTenant(db, acme.id))?.time_zone, "America/Manaus");
        await assert.rejects(createTenant(db, { name: "X", timeZone: "Lua/Crateras" }), /Fuso/);
        await assert.rejects(updateTenant(db, acme.id, { rejectRatio: 2 }), /fração/);
        assert.equal((await updateTenant(db, acme.id, { rejectRatio: 0.2 }))?.reject_ratio, 0.2);
      } finally {
        await t.dispose();
      }
    });

    test("wallets: codes validated, unique per tenant, isolated between tenants", async () => {
      const t = await database.open();
      try {
        const { db } = t.store;
        const b = await createTenant(db, { name: "B" });
        await createWallet(db, 1, { code: "BRAD", name: "Bradesco" });
        await assert.rejects(createWallet(db, 1, { code: "BRAD" }), /já existe/);
        await assert.rejects(createWallet(db, 1, { code: "A_B" }), /_/);
        await assert.rejects(createWallet(db, 1, { code: "lidos" }), /pasta/);
        // The same code in another tenant is another wallet.
        await createWallet(db, b.id, { code: "BRAD" });
        assert.deepEqual(
          (await listWallets(db, 1)).map((w) => [w.code, w.name]),
          [["BRAD", "Bradesco"]],
        );
        assert.equal((await listWallets(db, b.id))[0]?.name, "BRAD");
        // Tenant B cannot rename or remove tenant 1's wallet.
        await removeWallet(db, b.id, "BRAD");
        assert.ok(await getWalletByCode(db, 1, "BRAD"));
        assert.equal(await getWalletByCode(db, b.id, "BRAD"), null);
        assert.equal(await renameWallet(db, b.id, "BRAD", "x"), false);
        assert.equal(await removeWallet(db, b.id, "BRAD"), false);
        assert.equal((await getWalletByCode(db, 1, "BRAD"))?.name, "Bradesco");
      } finally {
        await t.dispose();
      }
    });

    test("sources: password encrypted at rest, never listed, tenant-scoped", async () => {
      const t = await database.open();
      try {
        const { db } = t.store;
        const b = await createTenant(db, { name: "B" });
        const created = await createSource(db, 1, ftpInput("principal"), key);
        assert.equal(created.hasPassword, true);
        assert.ok(!JSON.stringify(created).includes(PASSWORD));
        const listed = await listSources(db, 1);
        assert.equal(listed.length, 1);
        assert.ok(!JSON.stringify(listed).includes(PASSWORD));
        // Not in clear anywhere in the table.
        const raw = await sql<Record<string, unknown>>`select * from file_sources`.execute(db);
        assert.ok(!JSON.stringify(raw.rows).includes(PASSWORD));
        const full = await getSourceWithSecret(db, 1, created.id, key);
        assert.equal(full?.password, PASSWORD);
        assert.equal(full?.protocol, "ftps-explicit");
        assert.equal(full?.root, "/mailings");
        // Tenant B sees nothing and changes nothing.
        assert.deepEqual(await listSources(db, b.id), []);
        assert.equal(await getSource(db, b.id, created.id), null);
        assert.equal(await getSourceWithSecret(db, b.id, created.id, key), null);
        assert.equal(await updateSource(db, b.id, created.id, { host: "mal.example" }, key), null);
        assert.equal(await recordSourceError(db, b.id, created.id, "x"), null);
        assert.equal(await removeSource(db, b.id, created.id), false);
        assert.equal((await getSource(db, 1, created.id))?.host, "ftp.exemplo.com.br");
        // Same name in the same tenant is refused; a new password is re-encrypted.
        await assert.rejects(createSource(db, 1, ftpInput("principal"), key), /Já existe/);
        await updateSource(db, 1, created.id, { password: "nova" }, key);
        assert.equal((await getSourceWithSecret(db, 1, created.id, key))?.password, "nova");
        await assert.rejects(
          createSource(db, 1, { ...ftpInput("rápido"), intervalSeconds: 2 }, key),
          /mínimo 5/,
        );
        assert.equal(await removeSource(db, 1, created.id), true);
        assert.deepEqual(await listSources(db, 1), []);
      } finally {
        await t.dispose();
      }
    });

    test("sources: errors back off exponentially and success resets", async () => {
      const t = await database.open();
      try {
        const { db } = t.store;
        const s = await createSource(db, 1, { ...ftpInput("x"), intervalSeconds: 30 }, key);
        const now = new Date("2026-11-26T12:00:00.000Z");
        const first = await recordSourceError(db, 1, s.id, "Senha incorreta.", now);
        assert.deepEqual(first, { failureCount: 1, nextPollAt: "2026-11-26T12:00:30.000Z" });
        await recordSourceError(db, 1, s.id, "x", now);
        const third = await recordSourceError(db, 1, s.id, "Senha incorreta.", now);
        assert.deepEqual(third, { failureCount: 3, nextPollAt: "2026-11-26T12:02:00.000Z" });
        for (let i = 0; i < 20; i++) await recordSourceError(db, 1, s.id, "x", now);
        const capped = await getSource(db, 1, s.id);
        assert.equal(capped?.nextPollAt, "2026-11-26T12:15:00.000Z");
        assert.equal(capped?.lastError, "x");
        await recordSourceSuccess(db, 1, s.id, now);
        const ok = await getSource(db, 1, s.id);
        assert.equal(ok?.failureCount, 0);
        assert.equal(ok?.lastError, null);
        assert.equal(ok?.nextPollAt, "2026-11-26T12:00:30.000Z");
      } finally {
        await t.dispose();
      }
    });
  });
}
