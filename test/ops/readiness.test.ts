/**
 * serve's /readyz verdicts, each state on both databases: ready, stopping,
 * database unreachable, migrations pending, drop box not listening, a file
 * stuck in one step; and /healthz stays 200 through all of them.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { FastifyInstance } from "fastify";
import { buildApi } from "../../src/api/app.js";
import { insertSeen } from "../../src/ingest/ledger.js";
import { serveReadiness } from "../../src/ops/readiness.js";
import { openMigrated, type Store } from "../../src/store/db.js";
import { createSource } from "../../src/store/sources.js";
import { DATABASES, type TestStore } from "../store/harness.js";

for (const database of DATABASES) {
  describe(`/readyz on ${database.name}`, { skip: database.skip }, () => {
    let ts: TestStore;
    const state = { stopping: false, box: { listening: true } as { listening: boolean } | null };

    function api(store: Store): FastifyInstance {
      return buildApi({
        store,
        readiness: serveReadiness({
          store,
          dropBox: () => state.box,
          stopping: () => state.stopping,
          stuckSeconds: 120,
        }),
      });
    }

    async function check(app: FastifyInstance) {
      const health = await app.inject({ method: "GET", url: "/healthz" });
      assert.equal(health.statusCode, 200, "the process is up whatever readiness says");
      const res = await app.inject({ method: "GET", url: "/readyz" });
      return { status: res.statusCode, body: res.json() as Record<string, unknown> };
    }

    before(async () => {
      ts = await database.open();
    });
    after(async () => {
      await ts.dispose();
    });

    test("ready, then stopping, then the drop box down", async () => {
      const app = api(ts.store);
      try {
        assert.deepEqual(await check(app), { status: 200, body: { status: "ready" } });
        state.stopping = true;
        assert.deepEqual(await check(app), { status: 503, body: { status: "stopping" } });
        state.stopping = false;
        state.box = { listening: false };
        assert.deepEqual(await check(app), {
          status: 503,
          body: { status: "drop box not listening" },
        });
        state.box = null;
        assert.deepEqual(await check(app), { status: 200, body: { status: "ready" } });
      } finally {
        state.box = { listening: true };
        await app.close();
      }
    });

    test("a database that does not answer", async () => {
      const other = await openMigrated(ts.url);
      const app = api(other);
      try {
        await other.close();
        assert.deepEqual(await check(app), {
          status: 503,
          body: { status: "database unavailable" },
        });
      } finally {
        await app.close();
      }
    });

    test("a file stuck in one step, then moving on", async () => {
      const app = api(ts.store);
      try {
        const source = await createSource(
          ts.store.db,
          1,
          {
            name: "pasta",
            protocol: "local",
            host: "",
            port: null,
            user: "",
            password: "",
            root: ts.dataDir,
            allowPrivate: true,
            tlsFingerprint: null,
            tlsInsecure: false,
          },
          Buffer.alloc(32, 1),
        );
        const id = await insertSeen(ts.store.db, {
          tenantId: 1,
          sourceId: source.id,
          folder: null,
          path: "preso.csv",
          fileName: "preso.csv",
          size: 1,
          modifiedAt: null,
          seenDate: "2026-12-07",
          stable: true,
          now: new Date().toISOString(),
        });
        const since = new Date(Date.now() - 10 * 60_000).toISOString();
        await ts.store.db
          .updateTable("mailings")
          .set({ state: "downloaded", updated_at: since, last_error: "tempo esgotado" })
          .where("id", "=", id)
          .execute();
        const stuck = await check(app);
        assert.equal(stuck.status, 503);
        assert.deepEqual(stuck.body, {
          status: "stuck",
          thresholdSeconds: 120,
          files: [
            { id, file: "preso.csv", state: "downloaded", since, lastError: "tempo esgotado" },
          ],
        });
        await ts.store.db
          .updateTable("mailings")
          .set({ state: "reported", updated_at: new Date().toISOString() })
          .where("id", "=", id)
          .execute();
        assert.equal((await check(app)).status, 200);
      } finally {
        await app.close();
      }
    });

    test("a migration not applied", async () => {
      const app = api(ts.store);
      try {
        const last = await ts.store.db
          .selectFrom("kysely_migration" as never)
          .select("name" as never)
          .orderBy("name" as never, "desc")
          .executeTakeFirstOrThrow();
        const name = (last as { name: string }).name;
        await ts.store.db
          .deleteFrom("kysely_migration" as never)
          .where("name" as never, "=", name as never)
          .execute();
        assert.deepEqual(await check(app), {
          status: 503,
          body: { status: "migrations pending", pending: [name] },
        });
      } finally {
        await app.close();
      }
    });
  });
}
