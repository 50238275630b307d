/**
 * Every route with no key, a wrong key, a revoked key and another tenant's
 * key; a read-only key on every change; admin and tenant keys kept apart.
 * Nothing of another tenant is readable or writable, and a resource of
 * another tenant answers exactly as a missing one.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import type { HTTPMethods } from "fastify";
import { DATABASES } from "../store/harness.js";
import { ADMIN_KEY, errorBody, type Fixture, insertMailing, openFixture } from "./helpers.js";
import { seedPerson, seedSettings } from "./seed.js";

interface Case {
  method: HTTPMethods;
  /** OpenAPI path, for the coverage check. */
  path: string;
  access: "tenant" | "admin";
  write: boolean;
  /** Names one resource of A (404 for another tenant), or a collection. */
  resource: boolean;
  url(ids: Ids): string;
  body?: (ids: Ids) => unknown;
}

interface Ids {
  sourceId: number;
  mailingId: number;
  wallet: string;
  senderId: number;
  templateId: number;
  accountId: number;
  campaignId: number;
  personId: number;
}

const sourceBody = {
  protocol: "sftp",
  host: "sftp.exemplo.com.br",
  user: "u",
  password: "senha-secreta-1",
};

const CASES: Case[] = [
  {
    method: "GET",
    path: "/wallets",
    access: "tenant",
    write: false,
    resource: false,
    url: () => "/wallets",
  },
  {
    method: "GET",
    path: "/wallets/{code}",
    access: "tenant",
    write: false,
    resource: true,
    url: (i) => `/wallets/${i.wallet}`,
  },
  {
    method: "POST",
    path: "/wallets",
    access: "tenant",
    write: true,
    resource: false,
    url: () => "/wallets",
    body: () => ({ code: "NOVA" }),
  },
  {
    method: "DELETE",
    path: "/wallets/{code}",
    access: "tenant",
    write: true,
    resource: true,
    url: (i) => `/wallets/${i.wallet}`,
  },
  {
    method: "GET",
    path: "/sources",
    access: "tenant",
    write: false,
    resource: false,
    url: () => "/sources",
  },
  {
    method: "GET",
    path: "/sources/{id}",
    access: "tenant",
    write: false,
    resource: true,
    url: (i) => `/sources/${i.sourceId}`,
  },
  {
    method: "POST",
    path: "/sources",
    access: "tenant",
    write: true,
    resource: false,
    url: () => "/sources",
    body: () => sourceBody,
  },
  {
    method: "PATCH",
    path: "/sources/{id}",
    access: "tenant",
    write: true,
    resource: true,
    url: (i) => `/sources/${i.sourceId}`,
    body: () => ({ name: "trocado" }),
  },
  {
    method: "DELETE",
    path: "/sources/{id}",
    access: "tenant",
    write: true,
    resource: true,
    url: (i) => `/sources/${i.sourceId}`,
  },
  {
    method: "POST",
    path: "/sources/{id}/test",
    access: "tenant",
    write: true,
    resource: true,
    url: (i) => `/sources/${i.sourceId}/test`,
  },
  {
    method: "GET",
    path: "/notifications/settings",
    access: "tenant",
    write: false,
    resource: false,
    url: () => "/notifications/settings",
  },
  {
    method: "PUT",
    path: "/notifications/settings",
    access: "tenant",
    write: true,
    resource: false,
    url: () => "/notifications/settings",
    body: () => ({ emails: ["avisos@empresa.com.br"] }),
  },
  {
    method: "POST",
    path: "/notifications/test",
    access: "tenant",
    write: true,
    resource: false,
    url: () => "/notifications/test",
  },
  {
    method: "GET",
    path: "/notifications/deliveries",
    access: "tenant",
    write: false,
    resource: false,
    url: () => "/notifications/deliveries",
  },
  {
    method: "GET",
    path: "/mailings",
    access: "tenant",
    write: false,
    resource: false,
    url: () => "/mailings",
  },
  {
    method: "GET",
    path: "/mailings/next-sequence",
    access: "tenant",
    write: false,
    resource: false,
    url: () => "/mailings/next-sequence",
  },
  {
    method: "GET",
    path: "/mailings/{id}",
    access: "tenant",
    write: false,
    resource: true,
    url: (i) => `/mailings/${i.mailingId}`,
  },
  {
    method: "GET",
    path: "/mailings/{id}/original",
    access: "tenant",
    write: false,
    resource: true,
    url: (i) => `/mailings/${i.mailingId}/original`,
  },
  {
    method: "GET",
    path: "/mailings/{id}/reports/{kind}",
    access: "tenant",
    write: false,
    resource: true,
    url: (i) => `/mailings/${i.mailingId}/reports/resultado`,
  },
  {
    method: "POST",
    path: "/filename/check",
    access: "tenant",
    write: false,
    resource: false,
    url: () => "/filename/check",
    body: () => ({ name: "mailing_071226_1_cITAU.csv" }),
  },
  {
    method: "POST",
    path: "/filename/build",
    access: "tenant",
    write: false,
    resource: false,
    url: () => "/filename/build",
    body: () => ({
      mailing: {
        date: "2026-12-07",
        sequence: 1,
        extension: "csv",
        wallet: "ITAU",
        walletFrom: "name",
        description: "teste",
        sanitize: false,
        sms: null,
        whatsapp: null,
        email: null,
        start: null,
        split: null,
        excludeRecentHours: null,
        replaceTags: false,
        removeOtherWallets: false,
        deadline: null,
      },
    }),
  },
  {
    method: "GET",
    path: "/senders",
    access: "tenant",
    write: false,
    resource: false,
    url: () => "/senders",
  },
  {
    method: "GET",
    path: "/senders/{id}",
    access: "tenant",
    write: false,
    resource: true,
    url: (i) => `/senders/${i.senderId}`,
  },
  {
    method: "POST",
    path: "/senders",
    access: "tenant",
    write: true,
    resource: false,
    url: () => "/senders",
    body: () => ({ kind: "sms", mode: "short", number: "rota-nova", token: "segredo-do-token" }),
  },
  {
    method: "PATCH",
    path: "/senders/{id}",
    access: "tenant",
    write: true,
    resource: true,
    url: (i) => `/senders/${i.senderId}`,
    body: () => ({ name: "trocado", token: "outro-segredo" }),
  },
  {
    method: "DELETE",
    path: "/senders/{id}",
    access: "tenant",
    write: true,
    resource: true,
    url: (i) => `/senders/${i.senderId}`,
  },
  {
    method: "GET",
    path: "/templates",
    access: "tenant",
    write: false,
    resource: false,
    url: () => "/templates",
  },
  {
    method: "GET",
    path: "/templates/{id}",
    access: "tenant",
    write: false,
    resource: true,
    url: (i) => `/templates/${i.templateId}`,
  },
  {
    method: "POST",
    path: "/templates",
    access: "tenant",
    write: true,
    resource: false,
    url: () => "/templates",
    body: () => ({ name: "Novo", body: "Olá {{1}}", params: ["NOME_CLIENTE"] }),
  },
  {
    method: "PATCH",
    path: "/templates/{id}",
    access: "tenant",
    write: true,
    resource: true,
    url: (i) => `/templates/${i.templateId}`,
    body: () => ({ body: "Olá de novo" }),
  },
  {
    method: "DELETE",
    path: "/templates/{id}",
    access: "tenant",
    write: true,
    resource: true,
    url: (i) => `/templates/${i.templateId}`,
  },
  {
    method: "GET",
    path: "/email-accounts",
    access: "tenant",
    write: false,
    resource: false,
    url: () => "/email-accounts",
  },
  {
    method: "GET",
    path: "/email-accounts/{id}",
    access: "tenant",
    write: false,
    resource: true,
    url: (i) => `/email-accounts/${i.accountId}`,
  },
  {
    method: "POST",
    path: "/email-accounts",
    access: "tenant",
    write: true,
    resource: false,
    url: () => "/email-accounts",
    body: () => ({ address: "nova@exemplo.com.br", password: "senha-smtp-1" }),
  },
  {
    method: "PATCH",
    path: "/email-accounts/{id}",
    access: "tenant",
    write: true,
    resource: true,
    url: (i) => `/email-accounts/${i.accountId}`,
    body: () => ({ displayName: "Trocado", password: "outra-senha" }),
  },
  {
    method: "DELETE",
    path: "/email-accounts/{id}",
    access: "tenant",
    write: true,
    resource: true,
    url: (i) => `/email-accounts/${i.accountId}`,
  },
  {
    method: "GET",
    path: "/campaigns",
    access: "tenant",
    write: false,
    resource: false,
    url: () => "/campaigns",
  },
  {
    method: "GET",
    path: "/campaigns/{id}",
    access: "tenant",
    write: false,
    resource: true,
    url: (i) => `/campaigns/${i.campaignId}`,
  },
  {
    method: "GET",
    path: "/campaigns/{id}/timeline",
    access: "tenant",
    write: false,
    resource: true,
    url: (i) => `/campaigns/${i.campaignId}/timeline`,
  },
  {
    method: "GET",
    path: "/dropbox",
    access: "tenant",
    write: false,
    // The default tenant's box: another tenant gets the same 404 as a serve without one.
    resource: true,
    url: () => "/dropbox",
  },
  {
    method: "POST",
    path: "/campaigns/{id}/pause",
    access: "tenant",
    write: true,
    resource: true,
    url: (i) => `/campaigns/${i.campaignId}/pause`,
  },
  {
    method: "POST",
    path: "/campaigns/{id}/resume",
    access: "tenant",
    write: true,
    resource: true,
    url: (i) => `/campaigns/${i.campaignId}/resume`,
  },
  {
    method: "POST",
    path: "/campaigns/{id}/cancel",
    access: "tenant",
    write: true,
    resource: true,
    url: (i) => `/campaigns/${i.campaignId}/cancel`,
  },
  {
    method: "GET",
    path: "/messages",
    access: "tenant",
    write: false,
    resource: false,
    url: () => "/messages?destination=11987650001",
  },
  {
    method: "GET",
    path: "/people",
    access: "tenant",
    write: false,
    resource: false,
    url: () => "/people?phone=11987650001",
  },
  {
    method: "GET",
    path: "/people/{id}",
    access: "tenant",
    write: false,
    resource: true,
    url: (i) => `/people/${i.personId}`,
  },
  {
    method: "GET",
    path: "/people/{id}/messages",
    access: "tenant",
    write: false,
    resource: true,
    url: (i) => `/people/${i.personId}/messages`,
  },
  {
    method: "GET",
    path: "/restrictions",
    access: "tenant",
    write: false,
    resource: false,
    url: () => "/restrictions",
  },
  {
    method: "POST",
    path: "/restrictions",
    access: "tenant",
    write: true,
    resource: false,
    url: () => "/restrictions",
    body: () => ({ value: "11987650001" }),
  },
  {
    method: "DELETE",
    path: "/restrictions",
    access: "tenant",
    write: true,
    resource: true,
    url: (i) => `/restrictions?value=11987650009&wallet=${i.wallet}`,
  },
  {
    method: "POST",
    path: "/restrictions/import",
    access: "tenant",
    write: true,
    resource: false,
    url: () => "/restrictions/import",
    body: () => ({ csv: "11987650002\n" }),
  },
  {
    method: "GET",
    path: "/privacy/people",
    access: "tenant",
    write: true,
    resource: true,
    url: (i) => `/privacy/people?id=${i.personId}`,
  },
  {
    method: "GET",
    path: "/privacy/people/export",
    access: "tenant",
    write: true,
    resource: true,
    url: (i) => `/privacy/people/export?id=${i.personId}`,
  },
  {
    method: "POST",
    path: "/privacy/people/correct",
    access: "tenant",
    write: true,
    resource: true,
    url: (i) => `/privacy/people/correct?id=${i.personId}`,
    body: () => ({ reason: "pedido do titular", fields: { CORINGA2: "corrigido" } }),
  },
  {
    method: "POST",
    path: "/privacy/people/erase",
    access: "tenant",
    write: true,
    resource: true,
    url: (i) => `/privacy/people/erase?id=${i.personId}`,
    body: () => ({ reason: "pedido do titular" }),
  },
  {
    method: "GET",
    path: "/audit",
    access: "tenant",
    write: false,
    resource: false,
    url: () => "/audit",
  },
  {
    method: "GET",
    path: "/privacy/legal-bases",
    access: "tenant",
    write: false,
    resource: false,
    url: () => "/privacy/legal-bases",
  },
  {
    method: "GET",
    path: "/wallets/{code}/legal-basis",
    access: "tenant",
    write: false,
    resource: true,
    url: (i) => `/wallets/${i.wallet}/legal-basis`,
  },
  {
    method: "PUT",
    path: "/wallets/{code}/legal-basis",
    access: "tenant",
    write: true,
    resource: true,
    url: (i) => `/wallets/${i.wallet}/legal-basis`,
    body: () => ({ basis: "protecao-credito", note: "contrato de cessão" }),
  },
  {
    method: "GET",
    path: "/privacy/settings",
    access: "tenant",
    write: false,
    resource: false,
    url: () => "/privacy/settings",
  },
  {
    method: "PUT",
    path: "/privacy/settings",
    access: "tenant",
    write: true,
    resource: false,
    url: () => "/privacy/settings",
    body: () => ({ requireLegalBasis: false }),
  },
  {
    method: "GET",
    path: "/privacy/retention",
    access: "tenant",
    write: false,
    resource: false,
    url: () => "/privacy/retention",
  },
  {
    method: "PUT",
    path: "/privacy/retention",
    access: "tenant",
    write: true,
    resource: false,
    url: () => "/privacy/retention",
    body: () => ({ messagesDays: 180 }),
  },
  {
    method: "GET",
    path: "/tenants",
    access: "admin",
    write: false,
    resource: false,
    url: () => "/tenants",
  },
  {
    method: "GET",
    path: "/tenants/{id}",
    access: "admin",
    write: false,
    resource: false,
    url: () => "/tenants/1",
  },
  {
    method: "POST",
    path: "/tenants",
    access: "admin",
    write: true,
    resource: false,
    url: () => "/tenants",
    body: () => ({ name: "Nova" }),
  },
  {
    method: "GET",
    path: "/tenants/{id}/api-keys",
    access: "admin",
    write: false,
    resource: false,
    url: () => "/tenants/1/api-keys",
  },
  {
    method: "POST",
    path: "/tenants/{id}/api-keys",
    access: "admin",
    write: true,
    resource: false,
    url: () => "/tenants/1/api-keys",
    body: () => ({ name: "nova" }),
  },
  {
    method: "DELETE",
    path: "/tenants/{id}/api-keys/{keyId}",
    access: "admin",
    write: true,
    resource: false,
    url: () => "/tenants/1/api-keys/2",
  },
];

async function setup(open: () => ReturnType<(typeof DATABASES)[number]["open"]>) {
  const f = await openFixture(open, {
    // The clock stands still: the buckets never refill, and the matrix is long.
    rateLimit: { perSecond: 10, burst: 10_000 },
    // No network: the verdict itself is tested in routes.test.ts.
    testConnection: async () => ({
      ok: false,
      code: "TEMPO_ESGOTADO",
      message: "sem rede no teste",
    }),
  });
  const mailingA = await insertMailing(f.store, f.tenantA, {
    source_id: f.a.sourceId,
    reports_json: JSON.stringify(["LIDOS/x.csv.resultado.txt"]),
  });
  const settingsA = await seedSettings(f.store, f.tenantA, "a");
  await seedSettings(f.store, f.tenantB, "b");
  // The same phone in both tenants: B's searches must find B's person only.
  const personA = await seedPerson(f.store, f.tenantA, {
    wallet: f.a.wallet,
    code: "CLI-A",
    document: "11144477735",
    name: "PESSOA-DE-A",
    phone: "11987650001",
    email: "maria@pessoa-a.com.br",
  });
  await seedPerson(f.store, f.tenantB, {
    wallet: f.b.wallet,
    code: "CLI-B",
    document: "52998224725",
    name: "Pessoa de B",
    phone: "11987650001",
    email: "jose@pessoa-b.com.br",
  });
  const ids: Ids = {
    sourceId: f.a.sourceId,
    mailingId: mailingA,
    wallet: f.a.wallet,
    ...settingsA,
    campaignId: personA.campaignId,
    personId: personA.personId,
  };
  return { f, ids };
}

function request(f: Fixture, c: Case, ids: Ids, key: string | null, headers = {}) {
  const body = c.body?.(ids);
  return f.call({
    method: c.method,
    url: c.url(ids),
    key,
    headers,
    ...(body !== undefined ? { payload: body as object } : {}),
  });
}

/** A's resources are all still there and unchanged. */
async function assertUntouched(f: Fixture, ids: Ids): Promise<void> {
  const wallet = await f.call({ method: "GET", url: `/wallets/${ids.wallet}`, key: f.keys.write });
  assert.equal(wallet.statusCode, 200);
  const source = await f.call({
    method: "GET",
    url: `/sources/${ids.sourceId}`,
    key: f.keys.write,
  });
  assert.equal(source.statusCode, 200);
  assert.equal(source.json().name, "ftp-a");
  const wallets = await f.call({ method: "GET", url: "/wallets", key: f.keys.write });
  assert.deepEqual(
    wallets.json().items.map((w: { code: string }) => w.code),
    ["ITAU"],
  );
  const tenants = await f.store.db.selectFrom("tenants").select("id").execute();
  assert.equal(tenants.length, 2);
  for (const url of [
    `/senders/${ids.senderId}`,
    `/templates/${ids.templateId}`,
    `/email-accounts/${ids.accountId}`,
    `/people/${ids.personId}`,
  ]) {
    const res = await f.call({ method: "GET", url, key: f.keys.write });
    assert.equal(res.statusCode, 200, url);
    assert.doesNotMatch(res.body, /trocado|Trocado|de novo/, url);
  }
  const sender = await f.store.db
    .selectFrom("senders")
    .select("token_enc")
    .where("id", "=", ids.senderId)
    .executeTakeFirstOrThrow();
  assert.equal(sender.token_enc, null, "A's sender got no token");
  const campaign = await f.call({
    method: "GET",
    url: `/campaigns/${ids.campaignId}`,
    key: f.keys.write,
  });
  assert.equal(campaign.json().status, "running");
  assert.equal(campaign.json().counts.pending, 2);
}

for (const database of DATABASES) {
  describe(`API access control on ${database.name}`, { skip: database.skip }, () => {
    test("no key, a wrong key, a malformed header and a revoked key: the same 401, nothing done", async () => {
      const { f, ids } = await setup(database.open);
      try {
        const wrong = `rms_${randomBytes(32).toString("base64url")}`;
        const attempts: [string, Record<string, string>, string | null][] = [
          ["no key", {}, null],
          ["wrong key", {}, wrong],
          ["revoked key", {}, f.keys.revoked],
          ["not a bearer", { authorization: `Basic ${f.keys.write}` }, null],
          ["empty bearer", { authorization: "Bearer " }, null],
          ["admin key of another install", {}, `${ADMIN_KEY}x`],
        ];
        let expected: { code: string; message: string; details: unknown } | null = null;
        for (const c of CASES) {
          for (const [what, headers, key] of attempts) {
            const res = await request(f, c, ids, key, headers);
            assert.equal(res.statusCode, 401, `${what}: ${c.method} ${c.path} → ${res.body}`);
            const body = errorBody(res);
            assert.equal(body.code, "NAO_AUTENTICADO");
            expected ??= body;
            assert.deepEqual(body, expected, "the same answer whatever was wrong");
          }
        }
        await assertUntouched(f, ids);
      } finally {
        await f.close();
      }
    });

    test("another tenant's key: A's resources answer as missing ones, lists and writes stay in B", async () => {
      const { f, ids } = await setup(database.open);
      try {
        const missing: Ids = {
          sourceId: 999_999,
          mailingId: 999_999,
          wallet: "NAOEXISTE",
          senderId: 999_999,
          templateId: 999_999,
          accountId: 999_999,
          campaignId: 999_999,
          personId: 999_999,
        };
        // The answers' numbers are the ids asked for: any one reads the same.
        const normalize = (text: string, i: Ids) =>
          text.replace(/\b\d+\b/g, "<ID>").replaceAll(i.wallet, "<ID>");
        for (const c of CASES.filter((x) => x.access === "tenant")) {
          const res = await request(f, c, ids, f.keys.other);
          if (c.resource) {
            const absent = await request(f, c, missing, f.keys.other);
            assert.equal(res.statusCode, 404, `${c.method} ${c.path} → ${res.body}`);
            assert.equal(absent.statusCode, 404);
            assert.equal(errorBody(res).code, "NAO_ENCONTRADO");
            assert.equal(
              normalize(res.body, ids),
              normalize(absent.body, missing),
              `${c.method} ${c.path}: another tenant's resource must look missing`,
            );
          } else {
            assert.ok(res.statusCode < 400, `${c.method} ${c.path} → ${res.body}`);
            // Nothing of A in what B reads (a name check echoes the caller's own name, cITAU).
            const ofA = c.path.startsWith("/filename/")
              ? /ftp-a|PESSOA-DE-A|pessoa-a|CLI-A/
              : /ITAU|ftp-a|PESSOA-DE-A|pessoa-a|CLI-A|rota-a|Aviso a|@a\.com/;
            assert.doesNotMatch(res.body, ofA, `${c.method} ${c.path}`);
          }
        }
        // B's own mailings list holds none of A's; B's writes went to B.
        const list = await f.call({ method: "GET", url: "/mailings", key: f.keys.other });
        assert.deepEqual(list.json().items, []);
        const bWallets = await f.call({ method: "GET", url: "/wallets", key: f.keys.other });
        assert.deepEqual(
          bWallets.json().items.map((w: { code: string }) => w.code),
          ["BRAD", "NOVA"],
        );
        await assertUntouched(f, ids);
        // The check of a name sees B's wallets, not A's.
        const check = await f.call({
          method: "POST",
          url: "/filename/check",
          key: f.keys.other,
          payload: { name: "mailing_071226_1_cITAU.csv" },
        });
        assert.deepEqual(
          check.json().errors.map((e: { code: string }) => e.code),
          ["CARTEIRA_INEXISTENTE"],
        );
        // A phone both tenants have: B finds its own person and messages only.
        for (const url of ["/people?phone=11987650001", "/messages?destination=11987650001"]) {
          const found = await f.call({ method: "GET", url, key: f.keys.other });
          assert.equal(found.json().items.length, 1, url);
          assert.doesNotMatch(found.body, /PESSOA-DE-A/, url);
        }
      } finally {
        await f.close();
      }
    });

    test("a read-only key reads everything and changes nothing", async () => {
      const { f, ids } = await setup(database.open);
      try {
        for (const c of CASES.filter((x) => x.access === "tenant")) {
          const res = await request(f, c, ids, f.keys.read);
          if (c.write) {
            assert.equal(res.statusCode, 403, `${c.method} ${c.path} → ${res.body}`);
            assert.equal(errorBody(res).code, "SEM_PERMISSAO");
          } else {
            assert.notEqual(res.statusCode, 401, `${c.method} ${c.path}`);
            assert.notEqual(res.statusCode, 403, `${c.method} ${c.path}`);
          }
        }
        await assertUntouched(f, ids);
      } finally {
        await f.close();
      }
    });

    test("tenant keys cannot use admin routes, the admin key cannot read a tenant's data", async () => {
      const { f, ids } = await setup(database.open);
      try {
        for (const c of CASES) {
          if (c.access === "admin") {
            for (const key of [f.keys.write, f.keys.other]) {
              const res = await request(f, c, ids, key);
              assert.equal(res.statusCode, 403, `${c.method} ${c.path}`);
              assert.equal(errorBody(res).code, "SEM_PERMISSAO");
            }
            const ok = await request(f, c, ids, ADMIN_KEY);
            assert.ok(ok.statusCode < 300, `${c.method} ${c.path} → ${ok.body}`);
          } else {
            const res = await request(f, c, ids, ADMIN_KEY);
            assert.equal(res.statusCode, 403, `${c.method} ${c.path}`);
            assert.equal(errorBody(res).code, "SEM_PERMISSAO");
          }
        }
      } finally {
        await f.close();
      }
    });

    test("the owner's write key gets through to every route", async () => {
      const { f, ids } = await setup(database.open);
      try {
        // Destructive ones last, so the others still find their resource.
        const ordered = [...CASES].sort(
          (x, y) => Number(x.method === "DELETE") - Number(y.method === "DELETE"),
        );
        for (const c of ordered.filter((x) => x.access === "tenant")) {
          const res = await request(f, c, ids, f.keys.write);
          assert.ok(
            ![401, 403, 429].includes(res.statusCode),
            `${c.method} ${c.path} → ${res.body}`,
          );
        }
      } finally {
        await f.close();
      }
    });
  });
}

test("the matrix above covers every route that needs a key", async () => {
  const { openSqliteTestStore } = await import("../store/harness.js");
  const f = await openFixture(openSqliteTestStore);
  try {
    const doc = (await f.call({ method: "GET", url: "/openapi.json" })).json() as {
      paths: Record<string, Record<string, { security: unknown[] }>>;
    };
    const needKey = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => op.security.length > 0)
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    const covered = CASES.map((c) => `${c.method} ${c.path}`);
    assert.deepEqual([...needKey].sort(), [...covered].sort());
  } finally {
    await f.close();
  }
});
