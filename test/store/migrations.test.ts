import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sql } from "kysely";
import { openDatabase, type Store } from "../../src/store/db.js";
import { importMailing } from "../../src/store/import.js";
import { migrateTo, migrateToLatest } from "../../src/store/migrations.js";
import { createWallet } from "../../src/store/wallets.js";
import { seedCampaign } from "../campaigns/fixtures.js";
import { person, request } from "./fixtures.js";
import { DATABASES } from "./harness.js";

/**
 * The store's own tables and their columns. On PostgreSQL only its schema:
 * Kysely's introspection lists every schema's tables, and fails when another
 * test file drops its schema meanwhile (3F000).
 */
async function ownTables(store: Store): Promise<Map<string, string[]>> {
  const rows =
    store.dialect === "postgres"
      ? (
          await sql<{ table: string; column: string }>`
            SELECT table_name AS "table", column_name AS "column"
            FROM information_schema.columns
            WHERE table_schema = current_schema()`.execute(store.db)
        ).rows
      : (await store.db.introspection.getTables()).flatMap((t) =>
          t.columns.map((c) => ({ table: t.name, column: c.name })),
        );
  const tables = new Map<string, string[]>();
  for (const { table, column } of rows) tables.set(table, [...(tables.get(table) ?? []), column]);
  return tables;
}

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
        const tables = await ownTables(t.store);
        for (const name of [
          "persons",
          "mailings",
          "messages",
          "file_sources",
          "api_keys",
          "audit_events",
        ]) {
          assert.ok(tables.has(name), `missing table ${name}`);
        }
        for (const [table, columns] of tables) {
          if (table.startsWith("kysely_")) continue;
          const col = table === "tenants" ? "id" : "tenant_id";
          assert.ok(columns.includes(col), `${table} has no ${col}`);
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

for (const database of DATABASES) {
  describe(`0010_messages_lean on ${database.name}`, { skip: database.skip }, () => {
    test("drops messages' unique (campaign, person), keeping rows, indexes and the outbox's links", async () => {
      const t = await database.open();
      try {
        const { db, dialect, pgSchema } = t.store;
        // Down to 0009 whatever came after 0010 (later migrations are undone first).
        const down = await migrateTo(db, dialect, "0009_dispatch", pgSchema ?? undefined);
        assert.equal(down.error, null);
        assert.equal(down.applied.at(-1), "0010_messages_lean");
        const seeded = await seedCampaign(db);
        const first = seeded.messageIds[0]!;
        const message = await db
          .selectFrom("messages")
          .selectAll()
          .where("id", "=", first)
          .executeTakeFirstOrThrow();
        const again = { ...message } as Partial<typeof message>;
        delete again.id;
        // The constraint is back after down: a second message to the same person fails.
        await assert.rejects(
          db
            .insertInto("messages")
            .values(again as never)
            .execute(),
        );
        await db
          .insertInto("outbox")
          .values({
            tenant_id: 1,
            message_id: first,
            channel: "sms",
            address: message.address,
            payload_json: "{}",
            created_at: "x",
          })
          .execute();

        const up = await migrateToLatest(db, dialect, pgSchema ?? undefined);
        assert.equal(up.error, null);
        assert.equal(up.applied[0], "0010_messages_lean");
        const ids = await db.selectFrom("messages").select("id").orderBy("id").execute();
        assert.deepEqual(
          ids.map((r) => Number(r.id)),
          seeded.messageIds,
        );
        const outbox = await db.selectFrom("outbox").select("message_id").execute();
        assert.deepEqual(
          outbox.map((r) => Number(r.message_id)),
          [first],
        );
        await db
          .insertInto("messages")
          .values(again as never)
          .execute();
        const indexes =
          dialect === "postgres"
            ? (
                await sql<{ name: string }>`SELECT indexname AS name FROM pg_indexes
                  WHERE schemaname = current_schema() AND tablename = 'messages'`.execute(db)
              ).rows
            : (
                await sql<{ name: string }>`SELECT name FROM pragma_index_list('messages')`.execute(
                  db,
                )
              ).rows;
        // 0010's own: its indexes back, the unique gone (later migrations may add others).
        const names = indexes.map((r) => r.name);
        for (const kept of ["messages_due", "messages_provider"]) assert.ok(names.includes(kept));
        assert.ok(!names.some((n) => n.includes("campaign_person")), names.join());
        if (dialect === "sqlite") {
          const fk = await sql<{
            v: number;
          }>`SELECT foreign_keys AS v FROM pragma_foreign_keys`.execute(db);
          assert.equal(fk.rows[0]?.v, 1);
        }
      } finally {
        await t.dispose();
      }
    });
  });
}

describe("0010_messages_lean rebuilds SQLite's messages with their rows", () => {
  test("a base at 0009 with messages and an outbox row: both kept, the link intact", async () => {
    const store = await openDatabase("sqlite::memory:");
    try {
      const { db } = store;
      const before = await migrateTo(db, "sqlite", "0009_dispatch");
      assert.equal(before.error, null);
      const seeded = await seedCampaign(db);
      const first = seeded.messageIds[0]!;
      await db
        .insertInto("outbox")
        .values({
          tenant_id: 1,
          message_id: first,
          channel: "sms",
          address: "11987654321",
          payload_json: "{}",
          created_at: "x",
        })
        .execute();
      const up = await migrateToLatest(db, "sqlite");
      assert.equal(up.error, null);
      assert.equal(up.applied[0], "0010_messages_lean");
      const ids = await db.selectFrom("messages").select("id").orderBy("id").execute();
      assert.deepEqual(
        ids.map((r) => Number(r.id)),
        seeded.messageIds,
      );
      const outbox = await db.selectFrom("outbox").select("message_id").execute();
      assert.deepEqual(
        outbox.map((r) => Number(r.message_id)),
        [first],
      );
      const { rows } = await sql<{ n: number }>`SELECT count(*) AS n FROM sqlite_master
        WHERE sql LIKE '%messages_campaign_person%'`.execute(db);
      assert.equal(rows[0]?.n, 0);
    } finally {
      await store.close();
    }
  });
});

for (const database of DATABASES) {
  describe(`0017_api_routes on ${database.name}`, { skip: database.skip }, () => {
    test("adds the search indexes of people and messages, and takes them away on down", async () => {
      const t = await database.open();
      try {
        const { db, dialect, pgSchema } = t.store;
        const indexes = async () =>
          (dialect === "postgres"
            ? (
                await sql<{ name: string }>`SELECT indexname AS name FROM pg_indexes
                  WHERE schemaname = current_schema()`.execute(db)
              ).rows
            : (
                await sql<{
                  name: string;
                }>`SELECT name FROM sqlite_master WHERE type = 'index'`.execute(db)
              ).rows
          ).map((r) => r.name);
        const ours = ["messages_person", "persons_tenant_document"];
        for (const name of ours) assert.ok((await indexes()).includes(name), name);
        const down = await migrateTo(db, dialect, "0010_messages_lean", pgSchema ?? undefined);
        assert.equal(down.error, null);
        // Later or interleaved migrations (0012_whatsapp) go down too.
        assert.ok(down.applied.includes("0017_api_routes"));
        for (const name of ours) assert.ok(!(await indexes()).includes(name), name);
        const up = await migrateToLatest(db, dialect, pgSchema ?? undefined);
        assert.equal(up.error, null);
        assert.ok(up.applied.includes("0017_api_routes"));
        for (const name of ours) assert.ok((await indexes()).includes(name), name);
      } finally {
        await t.dispose();
      }
    });
  });
}

for (const database of DATABASES) {
  describe(`0019_first_contacts on ${database.name}`, { skip: database.skip }, () => {
    test("fills each mailing person's first mobile and e-mail from its contacts in file order", async () => {
      const t = await database.open();
      try {
        const { db, dialect, pgSchema } = t.store;
        await createWallet(db, 1, { code: "BRAD" });
        const c = (kind: "mobile" | "email" | "landline", value: string, line: number) => ({
          kind,
          value,
          line,
        });
        const result = await importMailing(
          t.store,
          request([
            {
              persons: [
                person("A", {
                  channels: [
                    c("landline", "1133330001", 2),
                    c("email", "a1@x.com", 2),
                    c("mobile", "11911110001", 3),
                    c("mobile", "11911110002", 4),
                    c("email", "a2@x.com", 4),
                  ],
                }),
                person("B", { channels: [c("landline", "1133330002", 5)] }),
                person("C", { channels: [] }),
              ],
              rejected: [],
            },
          ]),
        );
        assert.ok(result.ok, JSON.stringify(result.errors));
        const down = await migrateTo(db, dialect, "0018_c2_eraseremote", pgSchema ?? undefined);
        assert.equal(down.error, null);
        assert.ok(down.applied.includes("0019_first_contacts"));
        const up = await migrateToLatest(db, dialect, pgSchema ?? undefined);
        assert.equal(up.error, null);
        assert.ok(up.applied.includes("0019_first_contacts"));
        const rows = await db
          .selectFrom("mailing_persons")
          .innerJoin("persons", "persons.id", "mailing_persons.person_id")
          .select(["persons.key", "first_mobile", "first_email"])
          .orderBy("persons.key")
          .execute();
        assert.deepEqual(
          rows.map((r) => [r.key, r.first_mobile, r.first_email]),
          [
            ["A", "11911110001", "a1@x.com"],
            ["B", null, null],
            ["C", null, null],
          ],
        );
      } finally {
        await t.dispose();
      }
    });
  });
}

for (const database of DATABASES) {
  describe(`0011_email_smtp on ${database.name}`, { skip: database.skip }, () => {
    test("adds the SMTP account's Reply-To and DKIM columns, and takes them away on down", async () => {
      const t = await database.open();
      try {
        const { dialect, pgSchema } = t.store;
        const smtpColumns = ["reply_to", "dkim_domain", "dkim_selector", "dkim_key_enc"];
        const columns = async () => (await ownTables(t.store)).get("email_accounts") ?? [];
        for (const c of smtpColumns) assert.ok((await columns()).includes(c), c);
        const down = await migrateTo(
          t.store.db,
          dialect,
          "0010_messages_lean",
          pgSchema ?? undefined,
        );
        assert.equal(down.error, null);
        assert.equal(down.applied.at(-1), "0011_email_smtp");
        for (const c of smtpColumns) assert.ok(!(await columns()).includes(c), c);
        assert.ok((await columns()).includes("password_enc"));
        const up = await migrateToLatest(t.store.db, dialect, pgSchema ?? undefined);
        assert.equal(up.error, null);
        assert.equal(up.applied[0], "0011_email_smtp");
        for (const c of smtpColumns) assert.ok((await columns()).includes(c), c);
      } finally {
        await t.dispose();
      }
    });
  });
}
