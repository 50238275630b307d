/**
 * Senders, templates, e-mail accounts, campaigns, messages and people through
 * the API, on both databases: what each route answers, its pt-BR refusals,
 * the secrets never shown, the audit trail, and the searches bound to the
 * key's tenant. (Keys and tenants for every route: auth.test.ts.)
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { showCampaign } from "../../src/campaigns/overview.js";
import { erasePerson } from "../../src/privacy/erase.js";
import { decryptSecret } from "../../src/store/secrets.js";
import { DATABASES } from "../store/harness.js";
import { errorBody, type Fixture, openFixture } from "./helpers.js";
import { type SeededPerson, seedPerson } from "./seed.js";

const SECRET_KEY = Buffer.alloc(32, 7);
const TOKEN = "EAAG-token-muito-secreto-123";
const PASSWORD = "senha-smtp-muito-secreta";

async function withFixture(
  open: (typeof DATABASES)[number]["open"],
  work: (f: Fixture) => Promise<void>,
): Promise<void> {
  // A standing clock never refills the key's bucket: room for a long test.
  const f = await openFixture(open, { rateLimit: { perSecond: 10, burst: 10_000 } });
  try {
    await work(f);
  } finally {
    await f.close();
  }
}

function refused(
  res: { statusCode: number; json(): unknown; body: string },
  status: number,
  code: string,
  text: RegExp,
) {
  assert.equal(res.statusCode, status, res.body);
  const body = errorBody(res as never);
  assert.equal(body.code, code);
  assert.match(body.message, text);
}

async function seedBoth(f: Fixture): Promise<{ a: SeededPerson; b: SeededPerson }> {
  const a = await seedPerson(f.store, f.tenantA, {
    wallet: f.a.wallet,
    code: "CLI-A",
    document: "11144477735",
    name: "Maria de A",
    phone: "11987650001",
    email: "maria@pessoa-a.com.br",
  });
  const b = await seedPerson(f.store, f.tenantB, {
    wallet: f.b.wallet,
    code: "CLI-A",
    document: "11144477735",
    name: "Maria de B",
    phone: "11987650001",
    email: "maria@pessoa-a.com.br",
  });
  return { a, b };
}

for (const database of DATABASES) {
  describe(`API resources on ${database.name}`, { skip: database.skip }, () => {
    test("senders: the WhatsApp Business Account id (senders add --business-account) is created, read, changed and cleared", async () => {
      await withFixture(database.open, async (f) => {
        const w = { key: f.keys.write };
        const created = await f.call({
          ...w,
          method: "POST",
          url: "/senders",
          payload: {
            kind: "whatsapp",
            mode: "exclusivo",
            number: "11987654321",
            phoneNumberId: "106540352242922",
            businessAccountId: " 102290129340398 ",
            settings: { apiVersion: "v21.0" },
          },
        });
        assert.equal(created.statusCode, 201, created.body);
        const id = created.json().id;
        assert.equal(created.json().businessAccountId, "102290129340398");
        assert.deepEqual(created.json().settings, {
          apiVersion: "v21.0",
          businessAccountId: "102290129340398",
        });
        // Stored where the CLI keeps it, so `templates test` finds it.
        const row = await f.store.db
          .selectFrom("senders")
          .select("settings_json")
          .where("id", "=", id)
          .executeTakeFirstOrThrow();
        assert.equal(JSON.parse(row.settings_json ?? "{}").businessAccountId, "102290129340398");
        const read = await f.call({ ...w, method: "GET", url: `/senders/${id}` });
        assert.equal(read.json().businessAccountId, "102290129340398");

        const changed = await f.call({
          ...w,
          method: "PATCH",
          url: `/senders/${id}`,
          payload: { businessAccountId: "987654321012" },
        });
        assert.equal(changed.statusCode, 200, changed.body);
        assert.equal(changed.json().businessAccountId, "987654321012");
        assert.deepEqual(changed.json().settings, {
          apiVersion: "v21.0",
          businessAccountId: "987654321012",
        });
        const list = await f.call({ ...w, method: "GET", url: "/senders" });
        assert.equal(list.json().items[0].businessAccountId, "987654321012");

        const bad = await f.call({
          ...w,
          method: "PATCH",
          url: `/senders/${id}`,
          payload: { businessAccountId: "conta-1" },
        });
        refused(bad, 422, "VALOR_RECUSADO", /Conta do WhatsApp Business "conta-1" inválida/);
        const sms = await f.call({
          ...w,
          method: "POST",
          url: "/senders",
          payload: { kind: "sms", mode: "long", number: "rota1", businessAccountId: "12345678" },
        });
        refused(sms, 422, "VALOR_RECUSADO", /só vale para números WhatsApp/);
        const routes = await f.call({ ...w, method: "GET", url: "/senders" });
        assert.equal(routes.json().items.length, 1, "the refused SMS route was not half-made");

        const cleared = await f.call({
          ...w,
          method: "PATCH",
          url: `/senders/${id}`,
          payload: { businessAccountId: null },
        });
        assert.equal(cleared.json().businessAccountId, null);
        assert.deepEqual(cleared.json().settings, { apiVersion: "v21.0" });
      });
    });

    test("senders: create, list, read, change, remove; the token is kept encrypted and never shown", async () => {
      await withFixture(database.open, async (f) => {
        const w = { key: f.keys.write };
        const created = await f.call({
          ...w,
          method: "POST",
          url: "/senders",
          payload: {
            kind: "whatsapp",
            mode: "exclusivo",
            number: "(11) 98765-4321",
            wallet: "ITAU",
            ratePerSecond: 80,
            provider: "outbox",
            phoneNumberId: "1234567890",
            token: TOKEN,
            settings: { apiVersion: "v21.0" },
          },
        });
        assert.equal(created.statusCode, 201, created.body);
        const sender = created.json();
        assert.equal(sender.number, "11987654321");
        assert.equal(sender.wallet, "ITAU");
        assert.equal(sender.hasToken, true);
        assert.deepEqual(sender.settings, { apiVersion: "v21.0" });
        assert.doesNotMatch(created.body, new RegExp(TOKEN));
        const row = await f.store.db
          .selectFrom("senders")
          .select("token_enc")
          .where("id", "=", sender.id)
          .executeTakeFirstOrThrow();
        assert.notEqual(row.token_enc, TOKEN);
        assert.equal(decryptSecret(row.token_enc ?? "", SECRET_KEY), TOKEN);

        const list = await f.call({ ...w, method: "GET", url: "/senders?wallet=ITAU" });
        assert.deepEqual(
          list.json().items.map((s: { id: number }) => s.id),
          [sender.id],
        );
        assert.doesNotMatch(list.body, new RegExp(TOKEN));
        const unknownWallet = await f.call({ ...w, method: "GET", url: "/senders?wallet=NADA" });
        refused(unknownWallet, 422, "VALOR_RECUSADO", /A carteira "NADA" não existe/);

        const changed = await f.call({
          ...w,
          method: "PATCH",
          url: `/senders/${sender.id}`,
          payload: { mode: "compartilhado", wallet: null, token: null, enabled: false },
        });
        assert.equal(changed.statusCode, 200, changed.body);
        assert.equal(changed.json().mode, "compartilhado");
        assert.equal(changed.json().wallet, null);
        assert.equal(changed.json().hasToken, false);
        assert.equal(changed.json().enabled, false);
        assert.equal(changed.json().number, "11987654321", "what was not sent stays");

        // The CLI's rules, in pt-BR.
        const bad = async (payload: object, status: number, code: string, text: RegExp) =>
          refused(
            await f.call({ ...w, method: "POST", url: "/senders", payload }),
            status,
            code,
            text,
          );
        await bad(
          { kind: "whatsapp", mode: "exclusivo", number: "123" },
          422,
          "VALOR_RECUSADO",
          /Número WhatsApp "123" inválido: informe de 10 a 13 dígitos/,
        );
        await bad(
          { kind: "sms", mode: "exclusivo", number: "rota" },
          422,
          "VALOR_RECUSADO",
          /Modo "exclusivo" inválido para SMS: use long ou short/,
        );
        await bad(
          { kind: "whatsapp", mode: "compartilhado", number: "11987654321" },
          422,
          "VALOR_RECUSADO",
          /já está cadastrado/,
        );
        await bad(
          { kind: "sms", mode: "long", number: "r1", settings: { password: "x" } },
          422,
          "VALOR_RECUSADO",
          /parece um segredo: envie-o no campo token/,
        );
        // The dispatcher connects where the settings say, with the sender's secret: never inside.
        await bad(
          {
            kind: "sms",
            mode: "long",
            number: "r2",
            settings: { host: "10.0.0.5", systemId: "x" },
          },
          422,
          "VALOR_RECUSADO",
          /10\.0\.0\.5/,
        );
        await bad(
          {
            kind: "whatsapp",
            mode: "compartilhado",
            number: "11987650000",
            settings: { baseUrl: "https://169.254.169.254/latest" },
          },
          422,
          "VALOR_RECUSADO",
          /169\.254\.169\.254/,
        );
        await bad(
          {
            kind: "whatsapp",
            mode: "compartilhado",
            number: "11987650000",
            settings: { baseUrl: "http://graph.exemplo.com.br" },
          },
          422,
          "VALOR_RECUSADO",
          /precisa ser https/,
        );
        await bad(
          { kind: "fax", mode: "long", number: "r1" },
          400,
          "DADOS_INVALIDOS",
          /campo "kind"/,
        );
        await bad({ kind: "sms", mode: "long" }, 400, "DADOS_INVALIDOS", /campo "number"/);
        await bad(
          { kind: "sms", mode: "long", number: "r1", segredo: 1 },
          400,
          "DADOS_INVALIDOS",
          /Dados inválidos no corpo/,
        );
        // Nothing half-made by the refusals.
        const after = await f.call({ ...w, method: "GET", url: "/senders" });
        assert.equal(after.json().items.length, 1);

        const removed = await f.call({ ...w, method: "DELETE", url: `/senders/${sender.id}` });
        assert.deepEqual(removed.json(), { removed: true, id: sender.id });
        const gone = await f.call({ ...w, method: "GET", url: `/senders/${sender.id}` });
        refused(gone, 404, "NAO_ENCONTRADO", new RegExp(`O remetente ${sender.id} não existe`));

        // Each change in the audit trail, never with the body (the token).
        const audit = await f.store.db
          .selectFrom("audit_events")
          .select(["action", "subject", "details_json"])
          .where("tenant_id", "=", f.tenantA)
          .orderBy("id")
          .execute();
        assert.deepEqual(
          audit.map((a) => `${a.action} ${a.subject ?? ""}`.trim()),
          [
            "POST /senders",
            `PATCH /senders/:id {"id":${sender.id}}`,
            `DELETE /senders/:id {"id":${sender.id}}`,
          ],
        );
        assert.doesNotMatch(JSON.stringify(audit), new RegExp(TOKEN));
      });
    });

    test("a sender, template or account in use by a live campaign is not removed (409)", async () => {
      await withFixture(database.open, async (f) => {
        const w = { key: f.keys.write };
        const { a } = await seedBoth(f);
        const sender = (
          await f.call({
            ...w,
            method: "POST",
            url: "/senders",
            payload: { kind: "sms", mode: "long", number: "rota-1" },
          })
        ).json();
        await f.store.db
          .updateTable("campaigns")
          .set({ sender_id: sender.id })
          .where("id", "=", a.campaignId)
          .execute();
        const res = await f.call({ ...w, method: "DELETE", url: `/senders/${sender.id}` });
        refused(res, 409, "CONFLITO", new RegExp(`campanha em andamento \\(${a.campaignId}\\)`));
        assert.equal(
          (await f.call({ ...w, method: "GET", url: `/senders/${sender.id}` })).statusCode,
          200,
        );
      });
    });

    test("templates: parameters and columns checked as the CLI does; one default per wallet", async () => {
      await withFixture(database.open, async (f) => {
        const w = { key: f.keys.write };
        const post = (payload: object) =>
          f.call({ ...w, method: "POST", url: "/templates", payload });
        const first = await post({
          name: "Boleto",
          body: "Olá {{1}}, seu boleto vence em {{2}}",
          params: ["NOME_CLIENTE", "CORINGA1"],
          wallet: "ITAU",
          default: true,
        });
        assert.equal(first.statusCode, 201, first.body);
        assert.deepEqual(first.json().template.params, ["NOME_CLIENTE", "CORINGA1"]);
        assert.equal(first.json().template.language, "pt_BR");
        assert.equal(first.json().replacedDefault, null);
        const second = await post({ name: "Lembrete", body: "Oi", wallet: "ITAU", default: true });
        assert.equal(second.json().replacedDefault, "Boleto");
        const one = await f.call({
          ...w,
          method: "GET",
          url: `/templates/${first.json().template.id}`,
        });
        assert.equal(one.json().default, false);

        refused(
          await post({ name: "X", body: "Olá {{1}} {{3}}", params: ["A", "B"] }),
          422,
          "VALOR_RECUSADO",
          /O texto usa \{\{3\}\} mas não \{\{2\}\}/,
        );
        refused(
          await post({ name: "X", body: "Olá {{1}}" }),
          422,
          "VALOR_RECUSADO",
          /nenhuma coluna foi informada/,
        );
        refused(
          await post({ name: "X", body: "Oi", default: true }),
          422,
          "VALOR_RECUSADO",
          /O template padrão é de uma carteira/,
        );
        refused(
          await post({ name: "Boleto", body: "Oi", wallet: "ITAU" }),
          422,
          "VALOR_RECUSADO",
          /Já existe o template "Boleto" na carteira ITAU/,
        );
        refused(await post({ name: "X" }), 400, "DADOS_INVALIDOS", /campo "body"/);

        // A new body without params keeps the stored columns, and must fit them.
        const id = first.json().template.id;
        const patch = (payload: object) =>
          f.call({ ...w, method: "PATCH", url: `/templates/${id}`, payload });
        refused(
          await patch({ body: "Olá {{1}}" }),
          422,
          "VALOR_RECUSADO",
          /O texto usa 1 parâmetro/,
        );
        const changed = await patch({ body: "Olá {{1}}", params: ["NOME_CLIENTE"], default: true });
        assert.equal(changed.statusCode, 200, changed.body);
        assert.equal(changed.json().replacedDefault, "Lembrete");
        assert.equal(changed.json().template.body, "Olá {{1}}");
        refused(
          await patch({ name: "Lembrete" }),
          422,
          "VALOR_RECUSADO",
          /Já existe o template "Lembrete"/,
        );
        const list = await f.call({ ...w, method: "GET", url: "/templates" });
        assert.deepEqual(
          list.json().items.map((t: { name: string; default: boolean }) => [t.name, t.default]),
          [
            ["Boleto", true],
            ["Lembrete", false],
          ],
        );
        assert.equal(
          (await f.call({ ...w, method: "DELETE", url: `/templates/${id}` })).statusCode,
          200,
        );
        assert.equal(
          (await f.call({ ...w, method: "GET", url: `/templates/${id}` })).statusCode,
          404,
        );
      });
    });

    test("e-mail accounts: the SMTP password is kept encrypted and never shown; one active per wallet", async () => {
      await withFixture(database.open, async (f) => {
        const w = { key: f.keys.write };
        const post = (payload: object) =>
          f.call({ ...w, method: "POST", url: "/email-accounts", payload });
        const first = await post({
          address: "Cobranca@Empresa.COM.BR",
          displayName: "Cobrança",
          wallet: "ITAU",
          active: true,
          host: "smtp.exemplo.com.br",
          port: 587,
          security: "starttls",
          username: "cobranca",
          password: PASSWORD,
        });
        assert.equal(first.statusCode, 201, first.body);
        const account = first.json().account;
        assert.equal(account.address, "Cobranca@empresa.com.br");
        assert.equal(account.hasPassword, true);
        assert.equal(account.host, "smtp.exemplo.com.br");
        assert.equal(account.port, 587);
        assert.doesNotMatch(first.body, new RegExp(PASSWORD));
        const row = await f.store.db
          .selectFrom("email_accounts")
          .select("password_enc")
          .where("id", "=", account.id)
          .executeTakeFirstOrThrow();
        assert.equal(decryptSecret(row.password_enc ?? "", SECRET_KEY), PASSWORD);

        const second = await post({
          address: "avisos@empresa.com.br",
          wallet: "ITAU",
          active: true,
        });
        assert.equal(second.json().replacedActive, "Cobranca@empresa.com.br");
        assert.equal(second.json().account.hasPassword, false);
        assert.equal(second.json().account.host, null);

        refused(
          await post({ address: "sem-arroba" }),
          422,
          "VALOR_RECUSADO",
          /Endereço "sem-arroba" inválido/,
        );
        refused(
          await post({ address: "COBRANCA@empresa.com.br" }),
          422,
          "VALOR_RECUSADO",
          /já está cadastrada/,
        );
        refused(
          await post({ address: "x@empresa.com.br", active: true }),
          422,
          "VALOR_RECUSADO",
          /A conta ativa é de uma carteira/,
        );
        // The server would connect to it: no private networks through the API.
        refused(
          await post({ address: "y@empresa.com.br", host: "127.0.0.1" }),
          422,
          "VALOR_RECUSADO",
          /127\.0\.0\.1/,
        );
        refused(
          await post({ address: "y@empresa.com.br", security: "ssl" }),
          400,
          "DADOS_INVALIDOS",
          /campo "security"/,
        );
        const all = await f.call({ ...w, method: "GET", url: "/email-accounts" });
        assert.equal(all.json().items.length, 2, "refusals leave nothing behind");

        const changed = await f.call({
          ...w,
          method: "PATCH",
          url: `/email-accounts/${account.id}`,
          payload: { active: true, platformDefault: true, password: null, ratePerSecond: 5 },
        });
        assert.equal(changed.statusCode, 200, changed.body);
        assert.equal(changed.json().replacedActive, "avisos@empresa.com.br");
        assert.equal(changed.json().account.platformDefault, true);
        assert.equal(changed.json().account.hasPassword, false);
        assert.equal(changed.json().account.ratePerSecond, 5);
        refused(
          await f.call({
            ...w,
            method: "PATCH",
            url: `/email-accounts/${account.id}`,
            payload: { address: "avisos@empresa.com.br" },
          }),
          422,
          "VALOR_RECUSADO",
          /já está cadastrada/,
        );
        const removed = await f.call({
          ...w,
          method: "DELETE",
          url: `/email-accounts/${account.id}`,
        });
        assert.equal(removed.statusCode, 200);
      });
    });

    test("the name check sees senders, templates and accounts registered through the API", async () => {
      await withFixture(database.open, async (f) => {
        const w = { key: f.keys.write };
        const check = async (name: string) =>
          (
            await f.call({ ...w, method: "POST", url: "/filename/check", payload: { name } })
          ).json() as { ok: boolean; errors: { code: string }[] };
        const names = {
          exclusive: "mailing_071226_1_cITAU_whatsappexclusivo_nw11987654321_ntBoleto.csv",
          email: "mailing_071226_2_cITAU_email_cecobranca@empresa.com.br.csv",
        };
        assert.deepEqual((await check(names.exclusive)).errors.map((e) => e.code).sort(), [
          "REMETENTE_INEXISTENTE",
          "TEMPLATE_INEXISTENTE",
        ]);
        assert.deepEqual(
          (await check(names.email)).errors.map((e) => e.code),
          ["CONTA_EMAIL_INEXISTENTE"],
        );
        const posts: [string, object][] = [
          ["/senders", { kind: "whatsapp", mode: "exclusivo", number: "11987654321" }],
          ["/templates", { name: "Boleto", body: "Olá", wallet: "ITAU" }],
          ["/email-accounts", { address: "cobranca@empresa.com.br" }],
        ];
        for (const [url, payload] of posts) {
          const res = await f.call({ ...w, method: "POST", url, payload });
          assert.equal(res.statusCode, 201, res.body);
        }
        for (const name of [names.exclusive, names.email]) {
          const after = await check(name);
          assert.deepEqual(after.errors, [], name);
          assert.equal(after.ok, true);
        }
      });
    });

    test("campaigns: list with filters and cursor, detail as campaigns show --json, pause, resume, cancel", async () => {
      await withFixture(database.open, async (f) => {
        const r = { key: f.keys.read };
        const w = { key: f.keys.write };
        const { a } = await seedBoth(f);
        const other = await seedPerson(f.store, f.tenantA, {
          wallet: f.a.wallet,
          code: "CLI-A2",
          document: "52998224725",
          name: "João",
          phone: "11987650002",
          email: "joao@a.com.br",
        });
        await f.store.db
          .updateTable("campaigns")
          .set({ state: "finished", wallet_id: null })
          .where("id", "=", other.campaignId)
          .execute();

        const all = await f.call({ ...r, method: "GET", url: "/campaigns" });
        assert.deepEqual(
          all.json().items.map((c: { id: number }) => c.id),
          [other.campaignId, a.campaignId],
          "newest first, only A's",
        );
        const first = all.json().items[1];
        assert.deepEqual(first.counts, {
          pending: 2,
          sending: 0,
          sent: 2,
          delivered: 0,
          read: 0,
          failed: 0,
          skipped: 0,
          expired: 0,
        });
        const page1 = await f.call({ ...r, method: "GET", url: "/campaigns?limit=1" });
        assert.equal(page1.json().items.length, 1);
        const page2 = await f.call({
          ...r,
          method: "GET",
          url: `/campaigns?limit=1&cursor=${page1.json().nextCursor}`,
        });
        assert.deepEqual(
          page2.json().items.map((c: { id: number }) => c.id),
          [a.campaignId],
        );
        assert.equal(page2.json().nextCursor, null);
        const filtered = async (query: string) =>
          (await f.call({ ...r, method: "GET", url: `/campaigns?${query}` }))
            .json()
            .items.map((c: { id: number }) => c.id);
        assert.deepEqual(await filtered("status=running"), [a.campaignId]);
        assert.deepEqual(await filtered("status=finished"), [other.campaignId]);
        assert.deepEqual(await filtered("wallet=ITAU"), [a.campaignId]);
        assert.deepEqual(await filtered("wallet=BRAD"), []);
        assert.deepEqual(await filtered("mailing=999"), []);
        refused(
          await f.call({ ...r, method: "GET", url: "/campaigns?status=rodando" }),
          400,
          "DADOS_INVALIDOS",
          /campo "status"/,
        );
        refused(
          await f.call({ ...r, method: "GET", url: "/campaigns?cursor=abc" }),
          400,
          "DADOS_INVALIDOS",
          /Cursor inválido/,
        );

        const detail = await f.call({ ...r, method: "GET", url: `/campaigns/${a.campaignId}` });
        const shown = await showCampaign(f.store.db, f.tenantA, a.campaignId);
        assert.deepEqual(detail.json(), JSON.parse(JSON.stringify(shown?.detail)));
        assert.equal(detail.json().waves.length, 1);

        const control = (action: string) =>
          f.call({ ...w, method: "POST", url: `/campaigns/${a.campaignId}/${action}` });
        assert.deepEqual((await control("pause")).json(), {
          id: a.campaignId,
          from: "running",
          to: "paused",
        });
        refused(await control("pause"), 409, "CONFLITO", /já está pausada/);
        assert.deepEqual((await control("resume")).json(), {
          id: a.campaignId,
          from: "paused",
          to: "running",
        });
        refused(await control("resume"), 409, "CONFLITO", /não está pausada/);
        const cancelled = await control("cancel");
        assert.deepEqual(cancelled.json(), {
          id: a.campaignId,
          from: "running",
          to: "cancelled",
          skipped: 2,
          inFlight: 0,
        });
        refused(await control("cancel"), 409, "CONFLITO", /já terminou \(cancelada\)/);
        // A read-only key reads but does not control.
        refused(
          await f.call({ ...r, method: "POST", url: `/campaigns/${a.campaignId}/pause` }),
          403,
          "SEM_PERMISSAO",
          /só de leitura/,
        );
        const audit = await f.store.db
          .selectFrom("audit_events")
          .select("action")
          .where("tenant_id", "=", f.tenantA)
          .orderBy("id")
          .execute();
        assert.deepEqual(
          audit.map((x) => x.action),
          ["POST /campaigns/:id/pause", "POST /campaigns/:id/resume", "POST /campaigns/:id/cancel"],
          "only the changes made",
        );
      });
    });

    test("messages: by destination, status, campaign and period, paginated, only the key's tenant", async () => {
      await withFixture(database.open, async (f) => {
        const r = { key: f.keys.read };
        const { a, b } = await seedBoth(f);
        const ids = async (query: string) => {
          const res = await f.call({ ...r, method: "GET", url: `/messages?${query}` });
          assert.equal(res.statusCode, 200, res.body);
          return res.json().items.map((m: { id: number }) => m.id);
        };
        // Written as a person would: separators, +55.
        assert.deepEqual(await ids("destination=%2B55%20(11)%2098765-0001"), [a.messageIds[0]]);
        assert.deepEqual(await ids("destination=maria@PESSOA-A.com.br"), [a.messageIds[1]]);
        // The campaign's sent ones: A's person's and the fixtures' (older, created first).
        const sent = await ids(`campaign=${a.campaignId}&status=sent`);
        assert.equal(sent.length, 2);
        assert.equal(sent[0], a.messageIds[0]);
        assert.ok(sent[1] < a.messageIds[0]);
        assert.deepEqual(await ids(`campaign=${b.campaignId}`), [], "B's campaign: nothing");
        assert.deepEqual(await ids("destination=11987650001&status=pending"), []);
        // Period: the day the message was created, in São Paulo.
        assert.deepEqual(await ids("destination=11987650001&from=2026-12-06&to=2026-12-06"), [
          a.messageIds[0],
        ]);
        assert.deepEqual(await ids("destination=11987650001&from=2026-12-07"), []);
        const full = await f.call({
          ...r,
          method: "GET",
          url: "/messages?destination=11987650001",
        });
        const message = full.json().items[0];
        assert.equal(message.destination, a.phone);
        assert.equal(message.status, "sent");
        assert.equal(message.personId, a.personId);
        assert.match(message.body, /Maria de A/);

        // Pages of one, newest first, until the end.
        const seen: number[] = [];
        let cursor: string | null = null;
        do {
          const res = await f.call({
            ...r,
            method: "GET",
            url: `/messages?limit=1&campaign=${a.campaignId}${cursor ? `&cursor=${cursor}` : ""}`,
          });
          seen.push(...res.json().items.map((m: { id: number }) => m.id));
          cursor = res.json().nextCursor;
        } while (cursor !== null);
        assert.equal(seen.length, 4);
        assert.deepEqual(
          seen,
          [...seen].sort((x, y) => y - x),
        );
        assert.deepEqual(seen.slice(0, 2), [a.messageIds[1], a.messageIds[0]]);

        refused(
          await f.call({ ...r, method: "GET", url: "/messages?destination=12345" }),
          400,
          "DADOS_INVALIDOS",
          /campo "destination"/,
        );
        refused(
          await f.call({ ...r, method: "GET", url: "/messages?from=07/12/2026" }),
          400,
          "DADOS_INVALIDOS",
          /AAAA-MM-DD/,
        );
        refused(
          await f.call({ ...r, method: "GET", url: "/messages?status=entregue" }),
          400,
          "DADOS_INVALIDOS",
          /campo "status"/,
        );
      });
    });

    test("people: search by CPF/CNPJ, CODCLIENTE, phone or e-mail; contacts, wallets, tags and messages", async () => {
      await withFixture(database.open, async (f) => {
        const r = { key: f.keys.read };
        const { a, b } = await seedBoth(f);
        const search = async (query: string) => {
          const res = await f.call({ ...r, method: "GET", url: `/people?${query}` });
          assert.equal(res.statusCode, 200, res.body);
          return res.json().items.map((p: { id: number }) => p.id);
        };
        for (const query of [
          "document=111.444.777-35",
          "code=CLI-A",
          "phone=(11)%2098765-0001",
          "email=maria@pessoa-a.com.br",
        ]) {
          assert.deepEqual(await search(query), [a.personId], query);
        }
        assert.deepEqual(await search("code=CLI-X"), []);
        refused(
          await f.call({ ...r, method: "GET", url: "/people" }),
          400,
          "DADOS_INVALIDOS",
          /Informe um critério de busca, e só um/,
        );
        refused(
          await f.call({ ...r, method: "GET", url: "/people?code=1&phone=11987650001" }),
          400,
          "DADOS_INVALIDOS",
          /e só um/,
        );
        refused(
          await f.call({ ...r, method: "GET", url: "/people?email=sem-arroba" }),
          400,
          "DADOS_INVALIDOS",
          /campo "email"/,
        );

        const person = await f.call({ ...r, method: "GET", url: `/people/${a.personId}` });
        assert.equal(person.statusCode, 200, person.body);
        const p = person.json();
        assert.equal(p.name, "Maria de A");
        assert.equal(p.codCliente, "CLI-A");
        assert.equal(p.document, "11144477735");
        assert.deepEqual(p.fields, { CORINGA1: "x" });
        assert.deepEqual(
          p.contacts.map((c: { kind: string; value: string }) => [c.kind, c.value]).sort(),
          [
            ["email", "maria@pessoa-a.com.br"],
            ["mobile", a.phone],
          ],
        );
        assert.deepEqual(
          p.wallets.map((x: { code: string }) => x.code),
          ["ITAU"],
        );
        assert.deepEqual(
          p.tags.map((t: { tag: string }) => t.tag),
          ["ATRASO", "VIP"],
        );

        const messages = await f.call({
          ...r,
          method: "GET",
          url: `/people/${a.personId}/messages?limit=1`,
        });
        assert.deepEqual(
          messages.json().items.map((m: { id: number }) => m.id),
          [a.messageIds[1]],
        );
        const rest = await f.call({
          ...r,
          method: "GET",
          url: `/people/${a.personId}/messages?cursor=${messages.json().nextCursor}`,
        });
        assert.deepEqual(
          rest.json().items.map((m: { id: number }) => m.id),
          [a.messageIds[0]],
        );
        assert.equal(rest.json().nextCursor, null);

        // B's person, the same keys and contacts: another tenant's, so missing for A.
        for (const url of [`/people/${b.personId}`, `/people/${b.personId}/messages`]) {
          refused(
            await f.call({ ...r, method: "GET", url }),
            404,
            "NAO_ENCONTRADO",
            new RegExp(`A pessoa ${b.personId} não existe`),
          );
        }

        // Erased (LGPD): the record stays for the totals, but no search finds it and
        // reading it says it was erased.
        const erased = await erasePerson(
          f.store,
          f.tenantA,
          { kind: "id", value: String(a.personId) },
          "api:teste",
          "pedido 1",
        );
        assert.deepEqual(erased.persons, [a.personId]);
        const record = await f.store.db
          .selectFrom("persons")
          .select(["key", "key_kind", "erased_at"])
          .where("id", "=", a.personId)
          .executeTakeFirstOrThrow();
        assert.notEqual(record.erased_at, null);
        for (const query of [
          `code=${encodeURIComponent(record.key)}`,
          "document=111.444.777-35",
          "code=CLI-A",
          "phone=11987650001",
          "email=maria@pessoa-a.com.br",
        ]) {
          assert.deepEqual(await search(query), [], query);
        }
        for (const url of [`/people/${a.personId}`, `/people/${a.personId}/messages`]) {
          refused(
            await f.call({ ...r, method: "GET", url }),
            404,
            "NAO_ENCONTRADO",
            new RegExp(`A pessoa ${a.personId} foi apagada a pedido do titular`),
          );
        }
      });
    });
  });
}

test("the document shows no secret in any answer: hasToken and hasPassword instead", async () => {
  const { openSqliteTestStore } = await import("../store/harness.js");
  const f = await openFixture(openSqliteTestStore);
  try {
    const doc = (await f.call({ method: "GET", url: "/openapi.json" })).json();
    const { Sender, EmailAccount } = doc.components.schemas;
    assert.ok(Sender.properties.hasToken);
    assert.ok(EmailAccount.properties.hasPassword);
    for (const [name, schema] of Object.entries(doc.components.schemas)) {
      const properties = Object.keys((schema as { properties?: object }).properties ?? {});
      assert.ok(
        !properties.some((p) => /^(token|password|senha|secret)$/i.test(p)),
        `${name}: ${properties.join(",")}`,
      );
    }
    // Written, though: the request bodies take them.
    const body = (path: string) =>
      doc.paths[path].post.requestBody.content["application/json"].schema.properties;
    assert.ok(body("/senders").token);
    assert.ok(body("/email-accounts").password);
  } finally {
    await f.close();
  }
});
