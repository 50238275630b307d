/** Claims and leases on the real databases: order, one file per tenant, take-over, back-off. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  claimDueSources,
  claimNextFile,
  insertSeen,
  releaseFile,
  releaseSource,
} from "../../src/ingest/ledger.js";
import { createSource } from "../../src/store/sources.js";
import { createTenant } from "../../src/store/tenants.js";
import { DATABASES } from "../store/harness.js";

for (const database of DATABASES) {
  describe(`ingest ledger on ${database.name}`, { skip: database.skip }, () => {
    async function setup() {
      const ts = await database.open();
      const other = await createTenant(ts.store.db, { name: "outra" });
      const source = await createSource(ts.store.db, 1, {
        name: "local",
        protocol: "local",
        host: "",
        port: null,
        user: "",
        password: "",
        root: "/tmp",
        allowPrivate: true,
        tlsFingerprint: null,
        tlsInsecure: false,
      });
      const otherSource = await createSource(ts.store.db, other.id, {
        name: "local",
        protocol: "local",
        host: "",
        port: null,
        user: "",
        password: "",
        root: "/tmp",
        allowPrivate: true,
        tlsFingerprint: null,
        tlsInsecure: false,
      });
      const add = (tenantId: number, sourceId: number, name: string, seenAt: string) =>
        insertSeen(ts.store.db, {
          tenantId,
          sourceId,
          folder: null,
          path: name,
          fileName: name,
          size: 1,
          modifiedAt: null,
          seenDate: "2026-11-26",
          stable: true,
          now: seenAt,
        });
      return { ts, other, source, otherSource, add };
    }

    test("files are taken in first-seen order, then by name, one at a time per tenant", async () => {
      const { ts, other, source, otherSource, add } = await setup();
      try {
        const b = await add(1, source.id, "b.csv", "2026-11-26T10:00:00.000Z");
        const a = await add(1, source.id, "a.csv", "2026-11-26T10:00:00.000Z");
        const early = await add(1, source.id, "z.csv", "2026-11-26T09:00:00.000Z");
        const x = await add(other.id, otherSource.id, "x.csv", "2026-11-26T11:00:00.000Z");

        const first = await claimNextFile(ts.store, 1, "w1", 60_000);
        assert.equal(first?.id, early);
        assert.equal(first?.state, "claimed");
        // Another worker finds the tenant busy, but another tenant is free.
        assert.equal(await claimNextFile(ts.store, 1, "w2", 60_000), null);
        assert.equal((await claimNextFile(ts.store, other.id, "w2", 60_000))?.id, x);

        await ts.store.db
          .updateTable("mailings")
          .set({ state: "reported" })
          .where("id", "=", early)
          .execute();
        await releaseFile(ts.store.db, early, "w1");
        assert.equal((await claimNextFile(ts.store, 1, "w2", 60_000))?.id, a);
        await ts.store.db
          .updateTable("mailings")
          .set({ state: "reported" })
          .where("id", "=", a)
          .execute();
        await releaseFile(ts.store.db, a, "w2");
        assert.equal((await claimNextFile(ts.store, 1, "w1", 60_000))?.id, b);
      } finally {
        await ts.dispose();
      }
    });

    test("an expired lease is taken over and resumed in its state; a back-off is respected", async () => {
      const { ts, source, add } = await setup();
      try {
        const id = await add(1, source.id, "a.csv", "2026-11-26T10:00:00.000Z");
        const now = new Date();
        const claimed = await claimNextFile(ts.store, 1, "dead", 1_000, now);
        assert.equal(claimed?.id, id);
        await ts.store.db
          .updateTable("mailings")
          .set({ state: "checked" })
          .where("id", "=", id)
          .execute();
        // Still leased one second later minus a bit; free after expiry.
        assert.equal(
          await claimNextFile(ts.store, 1, "w2", 60_000, new Date(now.getTime() + 500)),
          null,
        );
        const taken = await claimNextFile(
          ts.store,
          1,
          "w2",
          60_000,
          new Date(now.getTime() + 2_000),
        );
        assert.equal(taken?.id, id);
        assert.equal(taken?.state, "checked");
        assert.equal(taken?.lease_owner, "w2");

        const retryAt = new Date(now.getTime() + 60_000).toISOString();
        await releaseFile(ts.store.db, id, "w2", { retryAt, error: "sem permissão" });
        assert.equal(
          await claimNextFile(ts.store, 1, "w3", 60_000, new Date(now.getTime() + 30_000)),
          null,
        );
        assert.equal(
          (await claimNextFile(ts.store, 1, "w3", 60_000, new Date(now.getTime() + 61_000)))?.id,
          id,
        );
      } finally {
        await ts.dispose();
      }
    });

    test("a due source is polled by one worker at a time", async () => {
      const { ts, source } = await setup();
      try {
        const now = new Date(Date.now() + 1000);
        const mine = await claimDueSources(ts.store, "w1", 10, 60_000, now);
        assert.ok(mine.some((s) => s.id === source.id));
        const theirs = await claimDueSources(ts.store, "w2", 10, 60_000, now);
        assert.ok(!theirs.some((s) => s.id === source.id));
        await releaseSource(ts.store.db, source.id, "w1");
        const again = await claimDueSources(ts.store, "w2", 10, 60_000, now);
        assert.ok(again.some((s) => s.id === source.id));
      } finally {
        await ts.dispose();
      }
    });
  });
}
