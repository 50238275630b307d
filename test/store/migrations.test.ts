import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { migrateToLatest } from "../../src/store/migrations.js";
import { DATABASES } from "./harness.js";

for (const database of DATABASES) {
  describe(`migrations on ${database.name}`, { skip: database.skip }, () => {
    test("create every table, the default tenant, and are idempotent", async () => {
      const t = await database.open();
      try {
        const { db, dialect, pgSchema } = t.store;
        const tenant = await db
          .selectFrom("tenants")
          .selectAll()
          .where("id", "=", 1)
          .executeTakeFirst();
        assert.equal(tenant?.name, "padrão");
        assert.equal(tenant?.time_zone, "America/Sao_Paulo");
        assert.equal(tenant?.reject_ratio, 0.5);
        const again = await migrateToLatest(db, dialect, pgSchema ?? undefined);
        assert.equal(again.error, null);
        assert.deepEqual(again.applied, []);
        const tables = (await db.introspection.getTables()).map((x) => x.name);
        for (const name of [
          "persons",
          "mailings",
          "messages",
          "file_sources",
          "api_keys",
          "audit_events",
        ]) {
          assert.ok(tables.includes(name), `missing table ${name}`);
        }
        for (const table of await db.introspection.getTables()) {
          if (table.name.startsWith("kysely_")) continue;
          const col = table.name === "tenants" ? "id" : "tenant_id";
          assert.ok(
            table.columns.some((c) => c.name === col),
            `${table.name} has no ${col}`,
          );
        }
        // A second tenant gets a fresh id (the sequence moved past the seeded 1).
        const second = await db
          .insertInto("tenants")
          .values({
            name: "outra",
            time_zone: "America/Manaus",
            reject_ratio: 0.5,
            locale: "pt-BR",
            created_at: "x",
          })
          .returning("id")
          .executeTakeFirstOrThrow();
        assert.equal(second.id, 2);
      } finally {
        await t.dispose();
      }
    });

    test("keys, contact values and tags sort byte by byte (the same order on both databases)", async () => {
      const t = await database.open();
      try {
        const { db, dialect } = t.store;
        const keys = ["é", "a", "Z", "B", "ab", "A"];
        await db
          .insertInto("persons")
          .values(
            keys.map((key) => ({
              tenant_id: 1,
              key_kind: "codcliente",
              key,
              fields_json: "{}",
              created_at: "x",
              updated_at: "x",
            })),
          )
          .execute();
        const sorted = await db.selectFrom("persons").select("key").orderBy("key").execute();
        assert.deepEqual(
          sorted.map((r) => r.key),
          ["A", "B", "Z", "a", "ab", "é"],
        );
        if (dialect === "postgres") {
          const { rows } = await t.store.pgPool!.query(
            `SELECT table_name || '.' || column_name AS col FROM information_schema.columns
             WHERE table_schema = current_schema() AND collation_name = 'C' ORDER BY 1`,
          );
          assert.deepEqual(
            rows.map((r: { col: string }) => r.col),
            ["person_channels.value", "person_tags.tag", "persons.key", "persons.key_kind"],
          );
        }
      } finally {
        await t.dispose();
      }
    });

    test("one accepted mailing per tenant, date and sequence; discarded ones don't count", async () => {
      const t = await database.open();
      try {
        const { db } = t.store;
        const base = {
          tenant_id: 1,
          file_name: "mailing_261126_1.csv",
          path: "mailing_261126_1.csv",
          first_seen_at: "2026-11-26T10:00:00.000Z",
          seen_date: "2026-11-26",
          date: "2026-11-26",
          sequence: 1,
          state: "checked" as const,
          created_at: "2026-11-26T10:00:00.000Z",
          updated_at: "2026-11-26T10:00:00.000Z",
        };
        await db
          .insertInto("mailings")
          .values({ ...base, outcome: "discarded" })
          .execute();
        await db
          .insertInto("mailings")
          .values({ ...base, outcome: "discarded" })
          .execute();
        await db
          .insertInto("mailings")
          .values({ ...base, outcome: "accepted" })
          .execute();
        await assert.rejects(
          db
            .insertInto("mailings")
            .values({ ...base, outcome: "accepted" })
            .execute(),
        );
        await db
          .insertInto("mailings")
          .values({ ...base, sequence: 2, outcome: "accepted" })
          .execute();
      } finally {
        await t.dispose();
      }
    });
  });
}
