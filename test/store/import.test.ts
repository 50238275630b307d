import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import fc from "fast-check";
import { sql } from "kysely";
import pg from "pg";
import { type ImportChunk, importMailing } from "../../src/store/import.js";
import { setPgImportBatchSize } from "../../src/store/import-pg.js";
import { createTenant } from "../../src/store/tenants.js";
import { createWallet } from "../../src/store/wallets.js";
import { needsFull, POSTGRES_URL } from "../helpers/env.js";
import { mailingName, okSummary, person, rejection, request } from "./fixtures.js";
import { DATABASES, openPgTestStore, type TestStore } from "./harness.js";

async function peopleOf(t: TestStore, tenantId = 1) {
  const { db } = t.store;
  const persons = await db
    .selectFrom("persons")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .orderBy("key")
    .execute();
  const out = [];
  for (const p of persons) {
    const channels = await db
      .selectFrom("person_channels")
      .select(["kind", "value"])
      .where("person_id", "=", p.id)
      .orderBy("value")
      .execute();
    const tags = await db
      .selectFrom("person_tags")
      .select("tag")
      .where("person_id", "=", p.id)
      .orderBy("tag")
      .execute();
    const wallets = await db
      .selectFrom("wallet_members")
      .innerJoin("wallets", "wallets.id", "wallet_members.wallet_id")
      .select("wallets.code")
      .where("wallet_members.person_id", "=", p.id)
      .orderBy("wallets.code")
      .execute();
    out.push({
      key: p.key,
      name: p.name,
      document: p.document,
      fields: JSON.parse(p.fields_json) as Record<string, string>,
      channels: channels.map((c) => `${c.kind}:${c.value}`),
      tags: tags.map((x) => x.tag),
      wallets: wallets.map((w) => w.code),
    });
  }
  return out;
}

async function count(
  t: TestStore,
  table:
    | "persons"
    | "mailings"
    | "person_channels"
    | "mailing_rejections"
    | "wallet_members"
    | "mailing_persons",
) {
  const row = await t.store.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

for (const database of DATABASES) {
  describe(`import on ${database.name}`, { skip: database.skip }, () => {
    async function setup(): Promise<TestStore> {
      const t = await database.open();
      await createWallet(t.store.db, 1, { code: "BRAD" });
      await createWallet(t.store.db, 1, { code: "ITAU" });
      return t;
    }

    test("imports people, channels, membership, rejections and the mailing record", async () => {
      const t = await setup();
      try {
        const chunksIn: ImportChunk[] = [
          {
            persons: [
              person("1", {
                document: "12345678909",
                tags: ["vip"],
                fields: { CORINGA1: "a", CORINGA2: "" },
                message: "Olá [NOME_CLIENTE]",
                channels: [
                  { kind: "mobile", value: "11999990001", line: 2 },
                  { kind: "email", value: "um@exemplo.com.br", line: 3 },
                ],
              }),
              person("2"),
            ],
            rejected: [rejection(4), rejection(5, "EMAIL_INVALIDO")],
          },
        ];
        const result = await importMailing(
          t.store,
          request(chunksIn, {
            summary: () =>
              okSummary({
                rows: 5,
                rejectedRows: 2,
                rejected: { TELEFONE_INVALIDO: 1, EMAIL_INVALIDO: 1 },
              }),
          }),
        );
        assert.equal(result.ok, true, JSON.stringify(result.errors));
        assert.equal(result.persons, 2);
        assert.equal(result.inserted, 2);
        assert.equal(result.updated, 0);
        assert.equal(result.rows, 5);
        assert.deepEqual(result.rejected, { TELEFONE_INVALIDO: 1, EMAIL_INVALIDO: 1 });
        const people = await peopleOf(t);
        assert.deepEqual(people[0], {
          key: "1",
          name: "Pessoa 1",
          document: "12345678909",
          fields: { CORINGA1: "a" },
          channels: ["mobile:11999990001", "email:um@exemplo.com.br"],
          tags: ["vip"],
          wallets: ["BRAD"],
        });
        const row = await t.store.db
          .selectFrom("mailings")
          .selectAll()
          .where("id", "=", result.mailingId!)
          .executeTakeFirstOrThrow();
        assert.equal(row.state, "imported");
        assert.equal(row.outcome, "accepted");
        assert.equal(row.persons, 2);
        assert.equal(row.rows, 5);
        assert.equal(row.rejected, 2);
        assert.equal(row.sha256, "ab".repeat(32));
        assert.equal(row.bytes, 1234);
        assert.equal(row.sequence, 1);
        assert.equal(JSON.parse(row.parsed_json ?? "{}").wallet, "BRAD");
        assert.ok(JSON.parse(row.timings_json ?? "{}").import >= 0);
        assert.equal(await count(t, "mailing_rejections"), 2);
        const mp = await t.store.db
          .selectFrom("mailing_persons")
          .selectAll()
          .where("mailing_id", "=", result.mailingId!)
          .orderBy("first_line")
          .execute();
        assert.equal(mp.length, 2);
        const first = mp.find((m) => m.message !== null);
        assert.equal(first?.message, "Olá [NOME_CLIENTE]");
        assert.deepEqual(
          JSON.parse(first?.channels_json ?? "[]").map((c: { value: string }) => c.value),
          ["11999990001", "um@exemplo.com.br"],
        );
      } finally {
        await t.dispose();
      }
    });

    test("scattered rows of one person become one person; later non-empty values win", async () => {
      const t = await setup();
      try {
        const result = await importMailing(
          t.store,
          request([
            {
              persons: [
                person("7", {
                  name: "Maria",
                  fields: { CORINGA1: "x", CORINGA2: "y" },
                  tags: ["a"],
                }),
                person("8"),
              ],
              rejected: [],
            },
            {
              persons: [
                person("7", {
                  name: null,
                  document: "12345678909",
                  fields: { CORINGA2: "z", CORINGA3: "" },
                  tags: ["b"],
                  message: "depois",
                  channels: [
                    { kind: "email", value: "maria@exemplo.com", line: 90 },
                    { kind: "mobile", value: "11900000007", line: 91 },
                  ],
                  firstLine: 90,
                }),
              ],
              rejected: [],
            },
          ]),
        );
        assert.equal(result.ok, true);
        assert.equal(result.persons, 2);
        assert.equal(result.inserted, 2);
        const people = await peopleOf(t);
        assert.deepEqual(people[0], {
          key: "7",
          name: "Maria",
          document: "12345678909",
          fields: { CORINGA1: "x", CORINGA2: "z" },
          channels: ["mobile:11900000007", "email:maria@exemplo.com"],
          tags: ["a", "b"],
          wallets: ["BRAD"],
        });
        const mp = await t.store.db
          .selectFrom("mailing_persons")
          .innerJoin("persons", "persons.id", "mailing_persons.person_id")
          .select([
            "mailing_persons.channels_json",
            "mailing_persons.first_line",
            "mailing_persons.message",
          ])
          .where("persons.key", "=", "7")
          .executeTakeFirstOrThrow();
        assert.equal(mp.first_line, 2);
        assert.equal(mp.message, "depois");
        assert.deepEqual(
          JSON.parse(mp.channels_json).map((c: { value: string; line: number }) => [
            c.value,
            c.line,
          ]),
          [
            ["11900000007", 2],
            ["maria@exemplo.com", 90],
          ],
        );
      } finally {
        await t.dispose();
      }
    });

    test("a scattered person's first mobile and first e-mail are the first in file order of all their rows", async () => {
      const t = await setup();
      // PostgreSQL: tiny batches, so later rows go through the deferred merge (import_later).
      setPgImportBatchSize(2);
      try {
        const m = (value: string, line: number) => ({ kind: "mobile" as const, value, line });
        const e = (value: string, line: number) => ({ kind: "email" as const, value, line });
        const rows = [
          person("X", { firstLine: 2, channels: [e("x1@x.com", 2)] }),
          person("V", { firstLine: 3, channels: [m("11911110001", 3)] }),
          person("Y", { firstLine: 4 }),
          person("Z", { firstLine: 5 }),
          person("X", { firstLine: 10, channels: [m("11922220001", 10), e("x2@x.com", 10)] }),
          person("V", { firstLine: 11, channels: [e("v@x.com", 11), m("11911110002", 11)] }),
          person("W", { firstLine: 12 }),
          person("X", { firstLine: 20, channels: [m("11922220002", 20), e("x1@x.com", 20)] }),
        ];
        // Into a base without anyone (new people COPYed directly), then again
        // as another file, where everyone is already there (merged).
        for (const sequence of [1, 2]) {
          const result = await importMailing(
            t.store,
            request(
              rows.map((r) => ({ persons: [r], rejected: [] })),
              { mailing: mailingName({ sequence }) },
            ),
          );
          assert.equal(result.ok, true, JSON.stringify(result.errors));
          const listed = await t.store.db
            .selectFrom("mailing_persons")
            .innerJoin("persons", "persons.id", "mailing_persons.person_id")
            .select(["persons.key", "first_mobile", "first_email"])
            .where("mailing_id", "=", result.mailingId!)
            .where("persons.key", "in", ["X", "V"])
            .orderBy("persons.key")
            .execute();
          assert.deepEqual(
            listed.map((r) => [r.key, r.first_mobile, r.first_email]),
            [
              ["V", "11911110001", "v@x.com"],
              ["X", "11922220001", "x1@x.com"],
            ],
          );
        }
      } finally {
        setPgImportBatchSize(25_000);
        await t.dispose();
      }
    });

    test("a person re-sent with nothing new keeps its row and membership; updated_at moves only with a change", async () => {
      const t = await setup();
      try {
        const odd = { CORINGA1: 'São "x"\n\tfim', CORINGA2: "ç" };
        const first = await importMailing(
          t.store,
          request([
            {
              persons: [
                person("1", { name: "Ana", fields: odd }),
                person("2", { name: "Bia" }),
                person("3", { name: "Caio" }),
                person("4", { fields: { CORINGA1: "a" } }),
              ],
              rejected: [],
            },
          ]),
        );
        assert.equal(first.ok, true);
        await t.store.db.updateTable("persons").set({ updated_at: "antes" }).execute();
        const second = await importMailing(
          t.store,
          request(
            [
              {
                persons: [
                  person("1", { name: "Ana", fields: { CORINGA2: "ç" } }),
                  person("2", { name: null }),
                  person("3", { name: "Caio Novo" }),
                  person("4", { fields: { CORINGA2: "b" } }),
                  person("5"),
                ],
                rejected: [],
              },
            ],
            { mailing: mailingName({ sequence: 2 }) },
          ),
        );
        assert.equal(second.ok, true);
        assert.equal(second.inserted, 1);
        const rows = await t.store.db
          .selectFrom("persons")
          .select(["key", "name", "fields_json", "updated_at"])
          .orderBy("key")
          .execute();
        const changed = rows.map((r) => [r.key, r.updated_at !== "antes"]);
        assert.deepEqual(changed, [
          ["1", false],
          ["2", false],
          ["3", true],
          ["4", true],
          ["5", true],
        ]);
        assert.deepEqual(
          rows.map((r) => [r.name, JSON.parse(r.fields_json)]),
          [
            ["Ana", odd],
            ["Bia", {}],
            ["Caio Novo", {}],
            ["Pessoa 4", { CORINGA1: "a", CORINGA2: "b" }],
            ["Pessoa 5", {}],
          ],
        );
        // A membership already there keeps the mailing (and time) it began with.
        const members = await t.store.db
          .selectFrom("wallet_members")
          .innerJoin("persons", "persons.id", "wallet_members.person_id")
          .select(["persons.key", "wallet_members.mailing_id"])
          .orderBy("persons.key")
          .execute();
        assert.deepEqual(
          members.map((m) => [m.key, m.mailing_id]),
          [
            ["1", first.mailingId],
            ["2", first.mailingId],
            ["3", first.mailingId],
            ["4", first.mailingId],
            ["5", second.mailingId],
          ],
        );
      } finally {
        await t.dispose();
      }
    });

    test("updated counts only people whose data changed: an unchanged re-send updates nobody", async () => {
      const t = await setup();
      try {
        const day = () => [
          person("1", { tags: ["a"] }),
          person("2", { tags: ["a"] }),
          person("3", { tags: ["a"] }),
          person("4", { tags: ["a"] }),
          person("5", { tags: ["a"] }),
          person("6", { tags: ["a"] }),
        ];
        const first = await importMailing(t.store, request([{ persons: day(), rejected: [] }]));
        assert.deepEqual([first.persons, first.inserted, first.updated], [6, 6, 0]);
        // The same file again (another sequence): everyone is there as it was.
        const again = await importMailing(
          t.store,
          request([{ persons: day(), rejected: [] }], { mailing: mailingName({ sequence: 2 }) }),
        );
        assert.equal(again.ok, true);
        assert.deepEqual([again.persons, again.inserted, again.updated], [6, 0, 0]);
        // A day's changes: a new name, a new contact, a new tag, another wallet
        // (the same person's records in two chunks); an older message changes
        // no person; a new person.
        const changed = day();
        changed[0] = person("1", { tags: ["a"], name: "Outro Nome" });
        changed[1] = person("2", {
          tags: ["a"],
          channels: [{ kind: "mobile", value: "11977777777", line: 2 }],
        });
        changed[2] = person("3", { tags: ["b"] });
        changed[3] = person("4", { tags: ["a"], message: "Mensagem nova" });
        const next = await importMailing(
          t.store,
          request(
            [
              { persons: changed.slice(0, 3), rejected: [] },
              {
                persons: [...changed.slice(3), person("7"), person("2", { tags: ["a"] })],
                rejected: [],
              },
            ],
            { mailing: mailingName({ sequence: 3 }) },
          ),
        );
        assert.deepEqual([next.persons, next.inserted, next.updated], [7, 1, 3]);
        const other = await importMailing(
          t.store,
          request(
            [
              {
                persons: [person("5", { tags: ["a"] }), person("6", { tags: ["a"] })],
                rejected: [],
              },
            ],
            {
              mailing: mailingName({ sequence: 4, wallet: "ITAU" }),
            },
          ),
        );
        assert.deepEqual([other.persons, other.inserted, other.updated], [2, 0, 2]);
        const stored = await t.store.db
          .selectFrom("mailings")
          .select(["sequence", "persons", "inserted", "updated"])
          .orderBy("sequence")
          .execute();
        assert.deepEqual(
          stored.map((m) => [m.sequence, m.persons, m.inserted, m.updated]),
          [
            [1, 6, 6, 0],
            [2, 6, 0, 0],
            [3, 7, 1, 3],
            [4, 2, 0, 2],
          ],
        );
      } finally {
        await t.dispose();
      }
    });

    test("the same tenant+date+sequence is refused the second time, naming the file", async () => {
      const t = await setup();
      try {
        const first = await importMailing(
          t.store,
          request([{ persons: [person("1")], rejected: [] }]),
        );
        assert.equal(first.ok, true);
        const again = await importMailing(
          t.store,
          request([{ persons: [person("1")], rejected: [] }], {
            mailing: mailingName({ sequence: 1, description: "outro" }),
            fileName: "mailing_261126_001_dOutro.csv",
          }),
        );
        assert.equal(again.ok, false);
        assert.equal(again.errors[0]?.code, "SEQUENCIA_REPETIDA");
        assert.match(again.errors[0]?.message ?? "", /mailing_261126_1\.csv/);
        assert.equal(await count(t, "mailings"), 1);
        // Another sequence is fine and updates the same people.
        const next = await importMailing(
          t.store,
          request([{ persons: [person("1", { name: "Outro" }), person("2")], rejected: [] }], {
            mailing: mailingName({ sequence: 2 }),
          }),
        );
        assert.equal(next.ok, true);
        assert.equal(next.inserted, 1);
        assert.equal(next.updated, 1);
        // Another tenant has its own sequences.
        const other = await createTenant(t.store.db, { name: "Outra" });
        await createWallet(t.store.db, other.id, { code: "BRAD" });
        const theirs = await importMailing(
          t.store,
          request([{ persons: [person("1")], rejected: [] }], { tenantId: other.id }),
        );
        assert.equal(theirs.ok, true);
      } finally {
        await t.dispose();
      }
    });

    test("a content error known at the end rolls everything back and frees the sequence", async () => {
      const t = await setup();
      // Tiny batches: on PostgreSQL some are still being written when the error is known.
      setPgImportBatchSize(2);
      const refusedAtTheEnd = (sequence: number) =>
        importMailing(
          t.store,
          request(
            [
              ...Array.from({ length: 10 }, (_, c) => ({
                persons: Array.from({ length: 3 }, (_, i) => person(String(100 + c * 3 + i))),
                rejected: [],
              })),
              { persons: [person("1"), person("2")], rejected: [rejection(3)] },
            ],
            {
              mailing: mailingName({ sequence }),
              summary: () =>
                okSummary({
                  ok: false,
                  errors: [{ code: "REJEICAO_EXCESSIVA", message: "Linhas demais rejeitadas." }],
                }),
            },
          ),
        );
      const counts = async () => {
        const out: Record<string, number> = {};
        for (const table of [
          "persons",
          "mailings",
          "person_channels",
          "mailing_rejections",
          "wallet_members",
          "mailing_persons",
        ] as const) {
          out[table] = await count(t, table);
        }
        return out;
      };
      try {
        // Into an empty base, then into one with people: nothing of the refused file is kept.
        const bad = await refusedAtTheEnd(1);
        assert.equal(bad.ok, false);
        assert.equal(bad.errors[0]?.code, "REJEICAO_EXCESSIVA");
        const none = await counts();
        assert.deepEqual(Object.values(none), [0, 0, 0, 0, 0, 0], JSON.stringify(none));
        const good = await importMailing(
          t.store,
          request([{ persons: [person("1")], rejected: [] }]),
        );
        assert.equal(good.ok, true);
        const one = await counts();
        const again = await refusedAtTheEnd(2);
        assert.equal(again.ok, false);
        assert.deepEqual(await counts(), one);
      } finally {
        setPgImportBatchSize(25_000);
        await t.dispose();
      }
    });

    test("a failure while streaming leaves nothing behind", async () => {
      const t = await setup();
      try {
        async function* failing(): AsyncGenerator<ImportChunk> {
          yield { persons: [person("1"), person("2")], rejected: [rejection(9)] };
          throw new Error("disk gone");
        }
        await assert.rejects(
          importMailing(t.store, { ...request([]), content: failing() }),
          /disk gone/,
        );
        assert.equal(await count(t, "persons"), 0);
        assert.equal(await count(t, "mailings"), 0);
        assert.equal(await count(t, "mailing_rejections"), 0);
      } finally {
        await t.dispose();
      }
    });

    test("a batch sealed by rejected rows keeps a person's later records after the earlier ones", async () => {
      const t = await setup();
      setPgImportBatchSize(3);
      try {
        const result = await importMailing(
          t.store,
          request([
            { persons: [person("1", { name: "primeiro" })], rejected: [] },
            { persons: [person("1", { name: "segundo" })], rejected: [] },
            { persons: [person("1", { name: "terceiro" })], rejected: [] },
            { persons: [], rejected: [rejection(10), rejection(11), rejection(12)] },
            { persons: [person("1", { name: "último" })], rejected: [] },
          ]),
        );
        assert.equal(result.ok, true);
        assert.deepEqual(
          (await peopleOf(t)).map((p) => p.name),
          ["último"],
        );
      } finally {
        setPgImportBatchSize(25_000);
        await t.dispose();
      }
    });

    test("a hook that opens its own transaction fails the import, and nothing is kept", async () => {
      const t = await setup();
      try {
        await assert.rejects(
          importMailing(t.store, {
            ...request([{ persons: [person("1")], rejected: [] }]),
            afterImport: async (ctx) => {
              await ctx.db.transaction().execute(async (trx) => {
                await trx.selectFrom("persons").select("id").execute();
              });
            },
          }),
          /transação da importação/,
        );
        assert.equal(await count(t, "persons"), 0);
        assert.equal(await count(t, "mailings"), 0);
      } finally {
        await t.dispose();
      }
    });

    test("a statement that failed inside the transaction is never reported as imported", async () => {
      const t = await setup();
      try {
        const attempt = importMailing(t.store, {
          ...request([{ persons: [person("1")], rejected: [] }]),
          afterImport: async (ctx) => {
            // A hook that swallows a failed statement: PostgreSQL then rolls
            // back at COMMIT; SQLite has nothing to roll back and commits.
            try {
              await sql`select 1 from no_such_table`.execute(ctx.db);
            } catch {}
          },
        });
        if (database.name === "postgres") {
          await assert.rejects(attempt, /desfez a transação/);
          assert.equal(await count(t, "persons"), 0);
        } else {
          assert.equal((await attempt).ok, true);
          assert.equal(await count(t, "persons"), 1);
        }
      } finally {
        await t.dispose();
      }
    });

    test("a person bigger than a whole batch buffer is imported, into an empty base and again", async () => {
      const t = await setup();
      try {
        const message = "ç".repeat(9 << 20); // 18 MiB of UTF-8
        for (const sequence of [1, 2]) {
          const result = await importMailing(
            t.store,
            request(
              [{ persons: [person("1"), person("2", { message }), person("3")], rejected: [] }],
              { mailing: mailingName({ sequence }) },
            ),
          );
          assert.equal(result.ok, true, JSON.stringify(result.errors));
          assert.equal(result.persons, 3);
          const stored = await t.store.db
            .selectFrom("mailing_persons")
            .innerJoin("persons", "persons.id", "mailing_persons.person_id")
            .select(["persons.key", "mailing_persons.message"])
            .where("mailing_persons.mailing_id", "=", result.mailingId!)
            .orderBy("persons.key")
            .execute();
          assert.deepEqual(
            stored.map((m) => [m.key, m.message?.length ?? 0]),
            [
              ["1", 0],
              ["2", message.length],
              ["3", 0],
            ],
          );
          assert.equal(stored[1]!.message, message);
        }
      } finally {
        await t.dispose();
      }
    });

    test("a value the database refuses ends in a refusal naming it, not an error to retry", async () => {
      const t = await setup();
      try {
        // A key too long for an index entry on PostgreSQL (the reader caps
        // CODCLIENTE; this comes straight to the writer). SQLite has no such limit.
        const key = randomBytes(3000).toString("base64"); // incompressible

        const result = await importMailing(
          t.store,
          request([{ persons: [person("1"), person(key)], rejected: [] }]),
        );
        if (database.name === "postgres") {
          assert.equal(result.ok, false);
          assert.equal(result.errors[0]?.code, "DADOS_RECUSADOS");
          assert.match(result.errors[0]?.message ?? "", /recusou um valor longo demais/);
          assert.equal(await count(t, "persons"), 0);
          assert.equal(await count(t, "mailings"), 0);
        } else {
          assert.equal(result.ok, true);
          assert.equal(await count(t, "persons"), 2);
        }
      } finally {
        await t.dispose();
      }
    });

    test("unknown wallet is refused with CARTEIRA_INEXISTENTE", async () => {
      const t = await setup();
      try {
        const r = await importMailing(
          t.store,
          request([{ persons: [person("1")], rejected: [] }], {
            mailing: mailingName({ wallet: "NOPE" }),
          }),
        );
        assert.equal(r.ok, false);
        assert.equal(r.errors[0]?.code, "CARTEIRA_INEXISTENTE");
        assert.match(r.errors[0]?.message ?? "", /remessa wallets add NOPE/);
        assert.equal(await count(t, "mailings"), 0);
      } finally {
        await t.dispose();
      }
    });

    test("_limpartag replaces tags; without it tags accumulate; _removercarteiras leaves only this wallet", async () => {
      const t = await setup();
      try {
        await importMailing(
          t.store,
          request(
            [
              {
                persons: [person("1", { tags: ["a", "b"] }), person("2", { tags: ["a"] })],
                rejected: [],
              },
            ],
            {
              mailing: mailingName({ wallet: "ITAU", sequence: 1 }),
            },
          ),
        );
        await importMailing(
          t.store,
          request([{ persons: [person("1", { tags: ["c"] })], rejected: [] }], {
            mailing: mailingName({ sequence: 2 }),
          }),
        );
        let people = await peopleOf(t);
        assert.deepEqual(people[0]?.tags, ["a", "b", "c"]);
        assert.deepEqual(people[0]?.wallets, ["BRAD", "ITAU"]);
        await importMailing(
          t.store,
          request(
            [
              { persons: [person("1", { tags: ["d"] }), person("2", { tags: [] })], rejected: [] },
              { persons: [person("1", { tags: ["e"] })], rejected: [] },
            ],
            { mailing: mailingName({ sequence: 3, replaceTags: true, removeOtherWallets: true }) },
          ),
        );
        people = await peopleOf(t);
        assert.deepEqual(people[0]?.tags, ["d", "e"]);
        assert.deepEqual(people[1]?.tags, []);
        assert.deepEqual(people[0]?.wallets, ["BRAD"]);
        assert.deepEqual(people[1]?.wallets, ["BRAD"]);
      } finally {
        await t.dispose();
      }
    });

    test("the campaign hook runs inside the transaction; if it throws nothing is kept", async () => {
      const t = await setup();
      try {
        let seen: { mailingId: number; persons: number } | null = null;
        const ok = await importMailing(t.store, {
          ...request([{ persons: [person("1"), person("2")], rejected: [] }]),
          afterImport: async (ctx) => {
            const row = await ctx.db
              .selectFrom("mailing_persons")
              .select((eb) => eb.fn.countAll<number>().as("n"))
              .where("mailing_id", "=", ctx.mailingId)
              .executeTakeFirstOrThrow();
            seen = { mailingId: ctx.mailingId, persons: Number(row.n) };
            await ctx.db
              .insertInto("campaigns")
              .values({
                tenant_id: ctx.tenantId,
                mailing_id: ctx.mailingId,
                wallet_id: ctx.walletId,
                channel: "sms",
                name: "c",
                start_at: "2026-11-26T10:00:00.000Z",
                state: "scheduled",
                created_at: "x",
                updated_at: "x",
              })
              .execute();
          },
        });
        assert.equal(ok.ok, true);
        assert.deepEqual(seen, { mailingId: ok.mailingId, persons: 2 });
        await assert.rejects(
          importMailing(t.store, {
            ...request([{ persons: [person("3")], rejected: [] }], {
              mailing: mailingName({ sequence: 2 }),
            }),
            afterImport: async (ctx) => {
              await ctx.db
                .insertInto("campaigns")
                .values({
                  tenant_id: ctx.tenantId,
                  mailing_id: ctx.mailingId,
                  channel: "sms",
                  name: "c",
                  start_at: "x",
                  state: "scheduled",
                  created_at: "x",
                  updated_at: "x",
                })
                .execute();
              throw new Error("sender missing");
            },
          }),
          /sender missing/,
        );
        assert.equal(await count(t, "mailings"), 1);
        assert.equal(await count(t, "persons"), 2);
        const campaigns = await t.store.db.selectFrom("campaigns").selectAll().execute();
        assert.equal(campaigns.length, 1);
      } finally {
        await t.dispose();
      }
    });

    test("tenant isolation: the same keys in two tenants are different people", async () => {
      const t = await setup();
      try {
        const b = await createTenant(t.store.db, { name: "B" });
        await createWallet(t.store.db, b.id, { code: "BRAD" });
        await importMailing(
          t.store,
          request([{ persons: [person("1", { name: "A1" })], rejected: [] }]),
        );
        const rb = await importMailing(
          t.store,
          request([{ persons: [person("1", { name: "B1", tags: ["x"] })], rejected: [] }], {
            tenantId: b.id,
            mailing: mailingName({ replaceTags: true, removeOtherWallets: true }),
          }),
        );
        assert.equal(rb.inserted, 1);
        const a = await peopleOf(t, 1);
        const bb = await peopleOf(t, b.id);
        assert.equal(a.length, 1);
        assert.equal(a[0]?.name, "A1");
        assert.deepEqual(a[0]?.tags, []);
        assert.deepEqual(a[0]?.wallets, ["BRAD"]);
        assert.equal(bb[0]?.name, "B1");
      } finally {
        await t.dispose();
      }
    });

    test("property: any split of records into chunks gives the same people as merging them in memory", async () => {
      const t = await setup();
      // PostgreSQL merges batch by batch: tiny batches put a person's records in different ones.
      setPgImportBatchSize(3);
      let sequence = 0;
      try {
        await fc.assert(
          fc.asyncProperty(
            fc.array(
              fc.record({
                key: fc.constantFrom("1", "2", "3", "4"),
                name: fc.option(fc.constantFrom("Ana", "Bia", "Caio"), { nil: null }),
                phone: fc.option(fc.constantFrom("11911111111", "11922222222", "11933333333"), {
                  nil: null,
                }),
                mail: fc.option(fc.constantFrom("a@x.com", "b@x.com"), { nil: null }),
                mailFirst: fc.boolean(),
                tag: fc.option(fc.constantFrom("t1", "t2"), { nil: null }),
                coringa: fc.constantFrom("", "p", "q"),
              }),
              { minLength: 1, maxLength: 12 },
            ),
            fc.integer({ min: 1, max: 5 }),
            async (rows, size) => {
              sequence++;
              // Every other file goes to a tenant of its own: a base with nobody
              // in it takes the direct path (new people COPYed straight in).
              let tenantId = 1;
              if (sequence % 2 === 1) {
                tenantId = (await createTenant(t.store.db, { name: `P${sequence}` })).id;
                await createWallet(t.store.db, tenantId, { code: "BRAD" });
              }
              const records = rows.map((r, i) => {
                const phone = r.phone === null ? [] : [{ kind: "mobile" as const, value: r.phone }];
                const mail = r.mail === null ? [] : [{ kind: "email" as const, value: r.mail }];
                return person(`${sequence}-${r.key}`, {
                  name: r.name,
                  tags: r.tag ? [r.tag] : [],
                  fields: { CORINGA1: r.coringa },
                  channels: (r.mailFirst ? [...mail, ...phone] : [...phone, ...mail]).map((c) => ({
                    ...c,
                    line: i + 2,
                  })),
                  firstLine: i + 2,
                });
              });
              const list: ImportChunk[] = [];
              for (let i = 0; i < records.length; i += size) {
                list.push({ persons: records.slice(i, i + size), rejected: [] });
              }
              const result = await importMailing(
                t.store,
                request(list, {
                  tenantId,
                  mailing: mailingName({
                    sequence: (sequence % 999) + 1,
                    date: `2026-${String(Math.floor(sequence / 999) + 1).padStart(2, "0")}-01`,
                  }),
                }),
              );
              assert.equal(result.ok, true, JSON.stringify(result.errors));
              const expected = new Map<
                string,
                {
                  name: string | null;
                  /** Contact value -> kind, in file order. */
                  phones: Map<string, string>;
                  tags: Set<string>;
                  coringa: string | undefined;
                  firstLine: number;
                }
              >();
              for (const r of records) {
                const e = expected.get(r.key) ?? {
                  name: null,
                  phones: new Map(),
                  tags: new Set(),
                  coringa: undefined,
                  firstLine: r.firstLine,
                };
                if (r.name) e.name = r.name;
                for (const c of r.channels)
                  if (!e.phones.has(c.value)) e.phones.set(c.value, c.kind);
                for (const tag of r.tags) e.tags.add(tag);
                if (r.fields.CORINGA1) e.coringa = r.fields.CORINGA1;
                expected.set(r.key, e);
              }
              assert.equal(result.persons, expected.size);
              assert.equal(result.inserted, expected.size);
              const people = (await peopleOf(t, tenantId)).filter((p) =>
                p.key.startsWith(`${sequence}-`),
              );
              assert.equal(people.length, expected.size);
              for (const p of people) {
                const e = expected.get(p.key)!;
                assert.equal(p.name, e.name);
                assert.deepEqual(
                  p.channels,
                  [...e.phones].sort(([a], [b]) => (a < b ? -1 : 1)).map(([v, k]) => `${k}:${v}`),
                );
                assert.deepEqual(p.tags, [...e.tags].sort());
                assert.equal(p.fields.CORINGA1, e.coringa);
              }
              // The file's person list: first line and contacts in file order, no
              // repeats, and the first mobile and e-mail among them.
              const listed = await t.store.db
                .selectFrom("mailing_persons")
                .innerJoin("persons", "persons.id", "mailing_persons.person_id")
                .select([
                  "persons.key",
                  "first_line",
                  "channels_json",
                  "first_mobile",
                  "first_email",
                ])
                .where("mailing_id", "=", result.mailingId!)
                .execute();
              assert.equal(listed.length, expected.size);
              for (const m of listed) {
                const e = expected.get(m.key)!;
                assert.equal(Number(m.first_line), e.firstLine);
                const values = (JSON.parse(m.channels_json) as { value: string }[]).map(
                  (c) => c.value,
                );
                assert.deepEqual(values, [...e.phones.keys()]);
                const firstOf = (kind: string) =>
                  [...e.phones].find(([, k]) => k === kind)?.[0] ?? null;
                assert.equal(m.first_mobile, firstOf("mobile"), m.key);
                assert.equal(m.first_email, firstOf("email"), m.key);
              }
            },
          ),
          { numRuns: 25 },
        );
      } finally {
        setPgImportBatchSize(25_000);
        await t.dispose();
      }
    });

    // Keys with the characters COPY escapes, and beyond Latin-1.
    const oddKeys = ["1", "a\tb", "c\\d", "e\nf", "g\rh", "ção", "😀", "\\N", "x\u000by"];
    test("property: files into a base that already has some of their people; counts do not depend on the row order", async () => {
      setPgImportBatchSize(2);
      let sequence = 0;
      try {
        await fc.assert(
          fc.asyncProperty(
            fc.array(
              fc.array(
                fc.record({
                  key: fc.constantFrom(...oddKeys),
                  named: fc.boolean(),
                  phone: fc.constantFrom("11911111111", "11922222222", "11933333333"),
                  tag: fc.option(fc.constantFrom("t1", "t2"), { nil: null }),
                }),
                { minLength: 1, maxLength: 6 },
              ),
              { minLength: 1, maxLength: 3 },
            ),
            fc.integer(),
            async (files, seed) => {
              const t = await database.open();
              try {
                await createWallet(t.store.db, 1, { code: "BRAD" });
                // The same files, each with its rows in another order, into a
                // tenant of their own: the counts must be the same.
                const shuffledTenant = (await createTenant(t.store.db, { name: "Embaralhado" })).id;
                await createWallet(t.store.db, shuffledTenant, { code: "BRAD" });
                const expected = new Map<
                  string,
                  { name: string | null; phones: Set<string>; tags: Set<string> }
                >();
                let fileIndex = 0;
                for (const rows of files) {
                  sequence++;
                  fileIndex++;
                  // A person's name is the same in all its rows of one file
                  // (and new in each file): its outcome does not depend on order.
                  const records = rows.map((r, i) =>
                    person(r.key, {
                      name: r.named ? `${r.key} ${fileIndex}` : null,
                      channels: [{ kind: "mobile", value: r.phone, line: i + 2 }],
                      tags: r.tag ? [r.tag] : [],
                      firstLine: i + 2,
                    }),
                  );
                  const before = expected.size;
                  const known = new Set(expected.keys());
                  const inFile = new Set<string>();
                  const changed = new Set<string>();
                  for (const r of records) {
                    const e = expected.get(r.key) ?? {
                      name: null,
                      phones: new Set<string>(),
                      tags: new Set<string>(),
                    };
                    const phone = r.channels[0]!.value;
                    const news =
                      (r.name !== null && r.name !== e.name) ||
                      !e.phones.has(phone) ||
                      r.tags.some((tag) => !e.tags.has(tag));
                    // Updated: in the base before this file, and given something new by it.
                    if (known.has(r.key) && news) changed.add(r.key);
                    if (r.name) e.name = r.name;
                    e.phones.add(phone);
                    for (const tag of r.tags) e.tags.add(tag);
                    expected.set(r.key, e);
                    inFile.add(r.key);
                  }
                  const counts = (result: Awaited<ReturnType<typeof importMailing>>) => {
                    assert.equal(result.ok, true, JSON.stringify(result.errors));
                    return [result.persons, result.inserted, result.updated];
                  };
                  const result = await importMailing(
                    t.store,
                    request([{ persons: records, rejected: [] }], {
                      mailing: mailingName({ sequence }),
                    }),
                  );
                  assert.deepEqual(counts(result), [
                    inFile.size,
                    expected.size - before,
                    changed.size,
                  ]);
                  const shuffled = shuffle(records, seed + fileIndex);
                  const other = await importMailing(
                    t.store,
                    request(
                      // One chunk per record: on SQLite too, the records of a
                      // person meet in different batches.
                      shuffled.map((r) => ({ persons: [r], rejected: [] })),
                      { tenantId: shuffledTenant, mailing: mailingName({ sequence }) },
                    ),
                  );
                  assert.deepEqual(counts(other), counts(result));
                }
                const people = await peopleOf(t);
                assert.deepEqual(
                  people.map((p) => [p.key, p.name, p.channels, p.tags]),
                  [...expected]
                    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
                    .map(([key, e]) => [
                      key,
                      e.name,
                      [...e.phones].sort().map((v) => `mobile:${v}`),
                      [...e.tags].sort(),
                    ]),
                );
                assert.deepEqual(await peopleOf(t, shuffledTenant), people);
              } finally {
                await t.dispose();
              }
            },
          ),
          { numRuns: 15 },
        );
      } finally {
        setPgImportBatchSize(25_000);
      }
    });
  });
}

/** The list in another order (Fisher-Yates from a seed). */
function shuffle<T>(list: readonly T[], seed: number): T[] {
  const out = list.slice();
  let state = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

test("PostgreSQL: the server ending the import's connection fails the import, not the process", {
  skip: needsFull("PostgreSQL em 127.0.0.1:5432"),
}, async () => {
  const t = await openPgTestStore();
  await createWallet(t.store.db, 1, { code: "BRAD" });
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  try {
    const schema = t.store.pgSchema!;
    async function* content(): AsyncGenerator<ImportChunk> {
      yield { persons: [person("1")], rejected: [] };
      // The import's backend: the one writing this schema's mailings.
      const { rows } = await admin.query(
        `SELECT DISTINCT l.pid FROM pg_locks l
           JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = $1 AND c.relname = 'mailings' AND l.mode = 'RowExclusiveLock'`,
        [schema],
      );
      assert.equal(rows.length, 1);
      await admin.query("SELECT pg_terminate_backend($1)", [rows[0].pid]);
      // Between two statements: the client only hears of it as an 'error' event.
      await new Promise((resolve) => setTimeout(resolve, 300));
      yield { persons: [person("2")], rejected: [] };
    }
    await assert.rejects(importMailing(t.store, { ...request([]), content: content() }));
    assert.equal(await count(t, "persons"), 0);
    assert.equal(await count(t, "mailings"), 0);
    const again = await importMailing(t.store, request([{ persons: [person("1")], rejected: [] }]));
    assert.equal(again.ok, true);
  } finally {
    await admin.end();
    await t.dispose();
  }
});
