/**
 * LGPD through the API (src/api/routes/privacy.ts), on both databases: a
 * person's rights over the base the CLI's tests use (test/privacy/fixtures.ts,
 * built through the real pipeline), erasure leaving nothing of the person in
 * any table or file, another tenant's person answering as missing and left
 * untouched, each action audited with the key and the caller's address; the
 * audit trail's pages; legal bases, privacy settings and retention.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { exportSubject, MAX_SUBJECT_RECORDS } from "../../src/privacy/persons.js";
import { getRetention, RETENTION_DEFAULTS } from "../../src/privacy/retention.js";
import { appendAudit, listAudit } from "../../src/store/audit.js";
import { getPrivacySettings, legalBasisMissing } from "../../src/store/privacy.js";
import { getWalletByCode } from "../../src/store/wallets.js";
import { addPerson } from "../campaigns/fixtures.js";
import { buildBase, FILE_NAME, ZULEICA } from "../privacy/fixtures.js";
import { scanFiles, scanTables } from "../privacy/scan.js";
import { DATABASES, type TestStore } from "../store/harness.js";
import { errorBody, type Fixture, NOW, openFixture } from "./helpers.js";
import { seedPerson, storedPhone } from "./seed.js";

/** B's person: nothing in common with Zuleica (the erasure scan looks for her data everywhere). */
const BENEDITA = {
  wallet: "BRAD",
  code: "B1",
  document: "12345678909",
  name: "Benedita Bortolotti",
  phone: "11955550001",
  email: "benedita@empresa-b.com.br",
};

/** The fixture over the privacy base; the data dir is the one the keyed hashes use. */
async function open(database: (typeof DATABASES)[number]): Promise<{
  f: Fixture;
  built: Awaited<ReturnType<typeof buildBase>>;
  restore: () => void;
}> {
  const saved = process.env.REMESSA_DATA_DIR;
  let built: Awaited<ReturnType<typeof buildBase>> | null = null;
  const f = await openFixture(async (): Promise<TestStore> => {
    const t = await database.open();
    process.env.REMESSA_DATA_DIR = t.dataDir;
    built = await buildBase(t);
    return t;
  });
  assert.ok(built);
  return {
    f,
    built,
    restore: () => {
      if (saved === undefined) delete process.env.REMESSA_DATA_DIR;
      else process.env.REMESSA_DATA_DIR = saved;
    },
  };
}

async function eventsOf(f: Fixture, tenantId: number) {
  return listAudit(f.store.db, tenantId);
}

for (const database of DATABASES) {
  describe(`LGPD routes on ${database.name}`, { skip: database.skip }, () => {
    test("a person's rights: show, export, correct and erase through the API, audited with the key; nothing of the person left", async () => {
      const { f, built, restore } = await open(database);
      try {
        const db = f.store.db;
        const key = f.keys.write;
        const prefix = key.slice(0, 12);
        const benedita = await seedPerson(f.store, f.tenantB, BENEDITA);
        assert.ok(scanFiles(f.t.dataDir).length > 0, "the person is in the files before erasure");

        // Show: found by any identifier, with legal bases and restrictions.
        const shown = await f.call({
          key,
          method: "GET",
          url: `/privacy/people?phone=${encodeURIComponent("+55 (11) 98765-1234")}`,
        });
        assert.equal(shown.statusCode, 200, shown.body);
        const [person] = shown.json().items;
        assert.equal(shown.json().items.length, 1);
        assert.equal(person.id, built.personId);
        assert.equal(person.name, ZULEICA.name);
        assert.equal(person.document, ZULEICA.cpf);
        assert.deepEqual(
          person.contacts.map((c: { value: string }) => c.value).sort(),
          [ZULEICA.phone, ZULEICA.email].sort(),
        );
        assert.deepEqual(person.counts, { mailings: 1, messages: 1, inbound: 1 });
        assert.deepEqual(
          person.restrictions.map((r: { value: string; reason: string }) => [r.value, r.reason]),
          [[ZULEICA.phone, "SMS SAIR"]],
        );
        assert.deepEqual(
          person.legalBases.map((b: { wallet: string; basis: string | null }) => [
            b.wallet,
            b.basis,
          ]),
          [["BRAD", null]],
        );
        for (const query of [`code=${ZULEICA.code}`, "email=Zuleica.Q%40EXEMPLO.com.br"]) {
          const res = await f.call({ key, method: "GET", url: `/privacy/people?${query}` });
          assert.equal(res.json().items[0]?.id, built.personId, query);
        }

        // Export: the CLI's document, as a download.
        const exported = await f.call({
          key,
          method: "GET",
          url: "/privacy/people/export?document=529.982.247-25",
        });
        assert.equal(exported.statusCode, 200, exported.body);
        assert.match(String(exported.headers["content-type"]), /^application\/json/);
        assert.match(String(exported.headers["content-disposition"]), /^attachment; filename=/);
        assert.deepEqual(
          exported.json(),
          JSON.parse(
            JSON.stringify(
              await exportSubject(db, f.tenantA, { kind: "cpf", value: ZULEICA.cpf }, NOW),
            ),
          ),
        );

        // Validation: one identifier, well formed; a reason; something to correct (pt-BR, 400).
        for (const [method, url, payload, pattern] of [
          ["GET", "/privacy/people", undefined, /um critério, e só um/],
          ["GET", `/privacy/people?code=Z77&phone=${ZULEICA.phone}`, undefined, /só um/],
          ["GET", "/privacy/people/export?document=123456789012345", undefined, /campo "document"/],
          ["POST", "/privacy/people/correct?code=Z77", { fields: { A: "b" } }, /reason/],
          ["POST", "/privacy/people/correct?code=Z77", { reason: "x" }, /nada a corrigir/],
          ["POST", "/privacy/people/erase?code=Z77", { reason: "  " }, /informe o motivo/],
        ] as const) {
          const res = await f.call({
            key,
            method,
            url,
            ...(payload ? { payload } : {}),
          });
          assert.equal(res.statusCode, 400, `${method} ${url} → ${res.body}`);
          const body = errorBody(res);
          assert.equal(body.code, "DADOS_INVALIDOS");
          assert.match(body.message, /^Dados inválidos|^Informe/, body.message);
          assert.match(body.message, pattern, body.message);
        }
        // A read-only key sees none of it.
        const readOnly = await f.call({
          key: f.keys.read,
          method: "GET",
          url: `/privacy/people?code=${ZULEICA.code}`,
        });
        assert.equal(readOnly.statusCode, 403);

        // Another tenant: each one's person is missing for the other, and stays as it was.
        const crossings: [string, string, Record<string, string>][] = [
          [f.keys.other, `document=${ZULEICA.cpf}`, {}],
          [key, `document=${BENEDITA.document}`, {}],
          [f.keys.other, `id=${built.personId}`, {}],
          [key, `phone=${BENEDITA.phone}`, {}],
        ];
        for (const [k, query] of crossings) {
          for (const [method, path, payload] of [
            ["GET", "/privacy/people", undefined],
            ["GET", "/privacy/people/export", undefined],
            ["POST", "/privacy/people/correct", { reason: "teste", name: "Trocado" }],
            ["POST", "/privacy/people/erase", { reason: "teste" }],
          ] as const) {
            const res = await f.call({
              key: k,
              method,
              url: `${path}?${query}`,
              ...(payload ? { payload } : {}),
            });
            assert.equal(res.statusCode, 404, `${method} ${path}?${query} → ${res.body}`);
            assert.equal(errorBody(res).code, "NAO_ENCONTRADO");
          }
        }
        const stillA = await exportSubject(db, f.tenantA, {
          kind: "id",
          value: `${built.personId}`,
        });
        assert.equal(stillA.persons[0]?.name, ZULEICA.name);
        assert.equal(stillA.persons[0]?.contacts.length, 2);
        const stillB = await exportSubject(db, f.tenantB, {
          kind: "id",
          value: `${benedita.personId}`,
        });
        assert.equal(stillB.persons[0]?.name, BENEDITA.name);
        assert.equal(stillB.persons[0]?.erasedAt, null);

        // Correct: a field and a contact; several records under one CPF are refused (409).
        const corrected = await f.call({
          key,
          method: "POST",
          url: `/privacy/people/correct?code=${ZULEICA.code}`,
          payload: { reason: "pedido do titular, protocolo 9", fields: { CORINGA1: "acordo" } },
        });
        assert.equal(corrected.statusCode, 200, corrected.body);
        assert.deepEqual(corrected.json(), {
          personId: built.personId,
          changed: ["fields.CORINGA1"],
        });
        const ana = await f.call({
          key,
          method: "POST",
          url: "/privacy/people/correct?code=C1",
          payload: {
            reason: "telefone novo",
            contacts: [{ from: "11991110001", to: "(11) 99111-0009" }],
          },
        });
        assert.equal(ana.statusCode, 200, ana.body);
        assert.deepEqual(ana.json().changed, ["contact:phone"]);
        const anaNow = await f.call({ key, method: "GET", url: "/privacy/people?code=C1" });
        assert.deepEqual(
          anaNow.json().items[0].contacts.map((c: { value: string }) => c.value),
          ["11991110009"],
        );
        const notHeld = await f.call({
          key,
          method: "POST",
          url: "/privacy/people/correct?code=C1",
          payload: { reason: "x", contacts: [{ from: "11900000000", to: "11911111111" }] },
        });
        assert.equal(notHeld.statusCode, 422);
        assert.match(errorBody(notHeld).message, /não tem o contato/);
        await db
          .updateTable("persons")
          .set({ document: "11144477735" })
          .where("tenant_id", "=", f.tenantA)
          .where("cod_cliente", "=", "C3")
          .execute();
        const twice = await f.call({
          key,
          method: "POST",
          url: "/privacy/people/correct?document=111.444.777-35",
          payload: { reason: "x", name: "Outro" },
        });
        assert.equal(twice.statusCode, 409, twice.body);
        const tooMany = await f.call({
          key,
          method: "POST",
          url: `/privacy/people/correct?code=C3`,
          payload: {
            reason: "x",
            fields: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`COL${i}`, "v"])),
          },
        });
        assert.equal(tooMany.statusCode, 400, tooMany.body);
        assert.match(errorBody(tooMany).message, /no máximo 50 campos/);
        assert.match(errorBody(twice).message, /2 cadastros.*escolha um com id/);

        // Erase: what was anonymised and which files were rewritten, no server path.
        const erased = await f.call({
          key,
          method: "POST",
          url: `/privacy/people/erase?document=${ZULEICA.cpfFormatted}`,
          payload: { reason: "pedido do titular" },
        });
        assert.equal(erased.statusCode, 200, erased.body);
        const result = erased.json();
        assert.deepEqual(result.erased, [built.personId]);
        assert.deepEqual(result.alreadyErased, []);
        assert.equal(result.anonymised.messages, 1);
        assert.equal(result.anonymised.inbound, 1);
        assert.equal(result.anonymised.rejections, 1);
        assert.equal(result.anonymised.restrictions, 1);
        const outcomes = result.files.map(
          (x: { where: string; file: string | null; outcome: string }) =>
            `${x.where}:${x.file}:${x.outcome}`,
        );
        assert.ok(outcomes.includes("stored:null:rewritten"), outcomes.join("\n"));
        assert.ok(outcomes.includes(`source:${FILE_NAME}:rewritten`), outcomes.join("\n"));
        assert.ok(
          outcomes.includes(`source:${FILE_NAME}.rejeitados.csv:rewritten`),
          outcomes.join("\n"),
        );
        assert.ok(!erased.body.includes(f.t.dataDir), "no path of the server in the answer");
        assert.deepEqual(await scanTables(f.t), []);
        assert.deepEqual(scanFiles(f.t.dataDir), []);

        // Idempotent: again by a contact (known only as a keyed hash now), and by id.
        const byPhone = await f.call({
          key,
          method: "POST",
          url: `/privacy/people/erase?phone=${ZULEICA.phone}`,
          payload: { reason: "pedido repetido" },
        });
        assert.equal(byPhone.statusCode, 200, byPhone.body);
        assert.deepEqual([byPhone.json().erased, byPhone.json().previouslyErased], [[], true]);
        const byId = await f.call({
          key,
          method: "POST",
          url: `/privacy/people/erase?id=${built.personId}`,
          payload: { reason: "pedido repetido" },
        });
        assert.deepEqual(byId.json().alreadyErased, [built.personId]);
        assert.deepEqual(await scanTables(f.t), []);

        // Audited as the CLI does (persons.*), by the key, with its id, name and the address;
        // no generic "METHOD /path" event besides; reasons kept, corrected values not.
        const events = await eventsOf(f, f.tenantA);
        const keyRow = await db
          .selectFrom("api_keys")
          .select(["id"])
          .where("prefix", "=", prefix)
          .executeTakeFirstOrThrow();
        const via = { keyId: keyRow.id, keyName: "w", remoteAddress: "127.0.0.1" };
        const actions = events.map((e) => e.action);
        assert.deepEqual([...new Set(actions)].sort(), [
          "persons.correct",
          "persons.erase",
          "persons.export",
          "persons.show",
        ]);
        for (const e of events) {
          assert.equal(e.actor, `api:${prefix}`);
          assert.deepEqual(e.details?.via, via, e.action);
        }
        const correction = events.find(
          (e) => e.action === "persons.correct" && e.subject === `person:${built.personId}`,
        );
        assert.match(JSON.stringify(correction?.details), /protocolo 9/);
        assert.doesNotMatch(JSON.stringify(events), /acordo|99111-0009|11991110009/);
        // The real one, A's key's two misses on B's person, and the two repeats.
        const erasures = events.filter((e) => e.action === "persons.erase");
        assert.equal(erasures.length, 5);
        assert.deepEqual(
          erasures.filter((e) => e.subject !== null).map((e) => e.subject),
          [`person:${built.personId}`],
        );
        // B's failed attempts are B's own events; none in A's trail.
        assert.ok((await eventsOf(f, f.tenantB)).some((e) => e.action === "persons.erase"));
      } finally {
        restore();
        await f.close();
      }
    });

    test("a value shared by more records than one person has: 409 on show, export and erase, nothing erased; at the bound it answers", async () => {
      const { f, restore } = await open(database);
      try {
        const db = f.store.db;
        const key = f.keys.write;
        const shared = storedPhone("11 94444-0000");
        const ids: number[] = [];
        for (let i = 0; i < MAX_SUBJECT_RECORDS + 1; i++) {
          ids.push(await addPerson(db, f.tenantA, `SW${i}`, [{ kind: "mobile", value: shared }]));
        }
        const phone = encodeURIComponent(shared);
        for (const [method, url, payload] of [
          ["GET", `/privacy/people?phone=${phone}`, undefined],
          ["GET", `/privacy/people/export?phone=${phone}`, undefined],
          ["POST", `/privacy/people/erase?phone=${phone}`, { reason: "pedido do titular" }],
        ] as const) {
          const res = await f.call({ key: key, method, url, payload });
          assert.equal(res.statusCode, 409, `${method} ${url}: ${res.body}`);
          assert.equal(errorBody(res).code, "CONFLITO");
          assert.match(errorBody(res).message, /mais de 50 cadastros/);
        }
        const left = await db
          .selectFrom("persons")
          .select("id")
          .where("id", "in", ids)
          .where("erased_at", "is", null)
          .execute();
        assert.equal(left.length, ids.length, "nobody was erased");

        // One record fewer: within the bound, the lookup answers with every record.
        await db
          .deleteFrom("person_channels")
          .where("person_id", "=", ids[0] as number)
          .execute();
        const res = await f.call({
          key: key,
          method: "GET",
          url: `/privacy/people?phone=${phone}`,
        });
        assert.equal(res.statusCode, 200, res.body);
        assert.equal(res.json().items.length, MAX_SUBJECT_RECORDS);
      } finally {
        await f.close();
        restore();
      }
    });

    test("audit trail: the tenant's events, oldest first, since a date, in pages that neither skip nor repeat", async () => {
      const { f, restore } = await open(database);
      try {
        const db = f.store.db;
        const key = f.keys.read;
        const before = (await listAudit(db, f.tenantA)).length;
        // Recorded out of order (another process's clock): listed by time.
        for (const [at, action] of [
          ["2026-12-05T10:00:00.000Z", "c"],
          ["2026-12-01T10:00:00.000Z", "a"],
          ["2026-12-03T10:00:00.000Z", "b"],
          ["2026-12-05T10:00:00.000Z", "d"],
          ["2026-12-06T10:00:00.000Z", "e"],
        ] as const) {
          await appendAudit(db, { tenantId: f.tenantA, actor: "cli:teste", action, at });
        }
        await appendAudit(db, {
          tenantId: f.tenantB,
          actor: "cli:b",
          action: "de-B",
          at: "2026-12-04T10:00:00.000Z",
        });
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const res = await f.call({
            key,
            method: "GET",
            url: `/audit?since=2026-12-01&limit=2${cursor ? `&cursor=${cursor}` : ""}`,
          });
          assert.equal(res.statusCode, 200, res.body);
          const body = res.json();
          assert.ok(body.items.length <= 2);
          seen.push(...body.items.map((e: { action: string }) => e.action));
          cursor = body.nextCursor;
          pages++;
        } while (cursor !== null && pages < 10);
        assert.deepEqual(seen, ["a", "b", "c", "d", "e"]);
        assert.equal(pages, 3);
        const since = await f.call({
          key,
          method: "GET",
          url: "/audit?since=2026-12-05T10:00:00Z",
        });
        assert.deepEqual(
          since.json().items.map((e: { action: string }) => e.action),
          ["c", "d", "e"],
        );
        const all = await f.call({ key, method: "GET", url: "/audit?limit=1000" });
        assert.equal(all.json().items.length, before + 5);
        assert.doesNotMatch(all.body, /de-B/);
        for (const [url, pattern] of [
          ["/audit?since=ontem", /campo "since".*não é uma data/],
          ["/audit?cursor=abc", /Cursor inválido/],
          ["/audit?limit=0", /campo "limit"/],
        ] as const) {
          const res = await f.call({ key, method: "GET", url });
          assert.equal(res.statusCode, 400, url);
          assert.match(errorBody(res).message, pattern);
        }
      } finally {
        restore();
        await f.close();
      }
    });

    test("legal basis per wallet, the switch that requires it, retention: read, set, audited; another tenant's untouched", async () => {
      const { f, restore } = await open(database);
      try {
        const db = f.store.db;
        const key = f.keys.write;
        const prefix = key.slice(0, 12);
        const catalog = await f.call({
          key: f.keys.read,
          method: "GET",
          url: "/privacy/legal-bases",
        });
        assert.equal(catalog.json().items.length, 18);
        assert.deepEqual(
          catalog.json().items.find((b: { code: string }) => b.code === "protecao-credito"),
          {
            code: "protecao-credito",
            article: "art. 7º, X",
            label: "Proteção do crédito",
            description: "Proteção do crédito (art. 7º, X)",
            sensitive: false,
          },
        );

        const none = await f.call({ key, method: "GET", url: "/wallets/ITAU/legal-basis" });
        assert.equal(none.statusCode, 200);
        assert.equal(none.json().basis, null);
        const bad = await f.call({
          key,
          method: "PUT",
          url: "/wallets/ITAU/legal-basis",
          payload: { basis: "vontade" },
        });
        assert.equal(bad.statusCode, 400);
        assert.match(errorBody(bad).message, /campo "basis"/);
        const set = await f.call({
          key,
          method: "PUT",
          url: "/wallets/ITAU/legal-basis",
          payload: { basis: "protecao-credito", note: "contrato de cessão 42" },
        });
        assert.equal(set.statusCode, 200, set.body);
        assert.equal(set.json().label, "Proteção do crédito");
        assert.equal(set.json().article, "art. 7º, X");
        assert.equal(set.json().note, "contrato de cessão 42");
        assert.equal(typeof set.json().since, "string");
        const read = await f.call({
          key: f.keys.read,
          method: "GET",
          url: "/wallets/ITAU/legal-basis",
        });
        assert.deepEqual(read.json(), set.json());
        // B has no ITAU: missing, and A's stays.
        const cross = await f.call({
          key: f.keys.other,
          method: "PUT",
          url: "/wallets/ITAU/legal-basis",
          payload: { basis: null },
        });
        assert.equal(cross.statusCode, 404);
        assert.equal(
          (await getWalletByCode(db, f.tenantA, "ITAU"))?.legal_basis,
          "protecao-credito",
        );

        // The switch: the same one the import reads (BASE_LEGAL_AUSENTE).
        const settings = await f.call({ key, method: "GET", url: "/privacy/settings" });
        assert.deepEqual(settings.json(), { requireLegalBasis: false, auditRetentionDays: 1825 });
        const on = await f.call({
          key,
          method: "PUT",
          url: "/privacy/settings",
          payload: { requireLegalBasis: true },
        });
        assert.deepEqual(on.json(), { requireLegalBasis: true, auditRetentionDays: 1825 });
        const brad = await getWalletByCode(db, f.tenantA, "BRAD");
        assert.ok(brad);
        assert.equal(await legalBasisMissing(db, f.tenantA, brad.id), true);
        const short = await f.call({
          key,
          method: "PUT",
          url: "/privacy/settings",
          payload: { auditRetentionDays: 30 },
        });
        assert.equal(short.statusCode, 400);
        assert.match(errorBody(short).message, /campo "auditRetentionDays"/);
        assert.equal((await getPrivacySettings(db, f.tenantB))?.requireLegalBasis, false);

        // Retention.
        const retention = await f.call({ key, method: "GET", url: "/privacy/retention" });
        assert.deepEqual(retention.json(), RETENTION_DEFAULTS);
        const changed = await f.call({
          key,
          method: "PUT",
          url: "/privacy/retention",
          payload: { messagesDays: 30 },
        });
        assert.deepEqual(changed.json(), { ...RETENTION_DEFAULTS, messagesDays: 30 });
        assert.equal((await getRetention(db, f.tenantA)).messagesDays, 30);
        assert.deepEqual(await getRetention(db, f.tenantB), RETENTION_DEFAULTS);
        const zero = await f.call({
          key,
          method: "PUT",
          url: "/privacy/retention",
          payload: { originalsDays: 0 },
        });
        assert.equal(zero.statusCode, 400);
        assert.match(errorBody(zero).message, /campo "originalsDays"/);
        // The audit trail is kept at least a year.
        const shortAudit = await f.call({
          key,
          method: "PUT",
          url: "/privacy/retention",
          payload: { auditDays: 364 },
        });
        assert.equal(shortAudit.statusCode, 400);
        assert.match(errorBody(shortAudit).message, /campo "auditDays"/);
        const readOnly = await f.call({
          key: f.keys.read,
          method: "PUT",
          url: "/privacy/retention",
          payload: { originalsDays: 5 },
        });
        assert.equal(readOnly.statusCode, 403);

        // Each change audited once, by the key, with before and after.
        const events = (await listAudit(db, f.tenantA)).filter((e) => e.actor.startsWith("api:"));
        assert.deepEqual(
          events.map((e) => [e.action, e.subject, e.details?.before, e.details?.after]),
          [
            ["wallets.legal-basis", "wallet:ITAU", null, "protecao-credito"],
            [
              "privacy.settings",
              `tenant:${f.tenantA}`,
              { requireLegalBasis: false, auditRetentionDays: 1825 },
              { requireLegalBasis: true, auditRetentionDays: 1825 },
            ],
            [
              "retention.settings",
              `tenant:${f.tenantA}`,
              RETENTION_DEFAULTS,
              { ...RETENTION_DEFAULTS, messagesDays: 30 },
            ],
          ],
        );
        for (const e of events) {
          assert.equal(e.actor, `api:${prefix}`);
          assert.deepEqual(Object.keys(e.details?.via as object).sort(), [
            "keyId",
            "keyName",
            "remoteAddress",
          ]);
        }
      } finally {
        restore();
        await f.close();
      }
    });
  });
}
