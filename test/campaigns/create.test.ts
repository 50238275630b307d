import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { campaignPlanner, createCampaigns, PlanningError } from "../../src/campaigns/create.js";
import { campaignSummaries } from "../../src/campaigns/summary.js";
import type { Mailing } from "../../src/filename/types.js";
import type { PersonRecord } from "../../src/mailing/types.js";
import { erasePerson } from "../../src/privacy/erase.js";
import { type ImportChunk, importMailing } from "../../src/store/import.js";
import { addRestriction } from "../../src/store/restrictions.js";
import { createWallet } from "../../src/store/wallets.js";
import { mailingName, person, request } from "../store/fixtures.js";
import { DATABASES, type TestStore } from "../store/harness.js";
import { addEmailAccount, addSender, addTemplate } from "./plan-fixtures.js";

/** 09:00 in São Paulo on the name's date. */
const NOW_MS = Date.parse("2026-11-26T12:00:00.000Z");
const clock = () => NOW_MS;

function mobile(value: string, line: number) {
  return { kind: "mobile" as const, value, line };
}
function email(value: string, line: number) {
  return { kind: "email" as const, value, line };
}

/** People 1..n, each with one mobile and a message, in file order. */
function people(n: number, overrides: Partial<PersonRecord> = {}): PersonRecord[] {
  return Array.from({ length: n }, (_, i) =>
    person(String(i + 1), {
      firstLine: i + 2,
      message: `Oi [NOME_CLIENTE] ${i + 1}`,
      channels: [mobile(`1199${String(i + 1).padStart(7, "0")}`, i + 2)],
      ...overrides,
    }),
  );
}

for (const database of DATABASES) {
  describe(`campaign creation on ${database.name}`, { skip: database.skip }, () => {
    let walletId = 0;
    async function setup(): Promise<TestStore> {
      const t = await database.open();
      walletId = (await createWallet(t.store.db, 1, { code: "BRAD" })).id;
      await createWallet(t.store.db, 1, { code: "ITAU" });
      return t;
    }

    async function run(
      t: TestStore,
      mailing: Partial<Mailing>,
      list: ImportChunk[],
      options: { env?: Record<string, string> } = {},
    ) {
      const result = await importMailing(
        t.store,
        request(list, {
          mailing: mailingName(mailing),
          afterImport: campaignPlanner({ clock, env: options.env ?? {} }),
        }),
      );
      assert.ok(result.ok, JSON.stringify(result.errors));
      const campaigns = await t.store.db
        .selectFrom("campaigns")
        .selectAll()
        .where("mailing_id", "=", result.mailingId!)
        .orderBy("id")
        .execute();
      return { result, campaigns };
    }

    async function messagesOf(t: TestStore, campaignId: number) {
      return t.store.db
        .selectFrom("messages")
        .innerJoin("persons", "persons.id", "messages.person_id")
        .innerJoin("waves", "waves.id", "messages.wave_id")
        .select([
          "persons.key",
          "messages.address",
          "messages.body",
          "messages.state",
          "messages.channel_kind",
          "messages.next_attempt_at",
          "waves.number as wave",
          "waves.start_at as waveStart",
        ])
        .where("messages.campaign_id", "=", campaignId)
        .orderBy("persons.key")
        .execute();
    }

    async function wavesOf(t: TestStore, campaignId: number) {
      return t.store.db
        .selectFrom("waves")
        .select(["number", "start_at", "size", "state", "started_at"])
        .where("campaign_id", "=", campaignId)
        .orderBy("number")
        .execute();
    }

    test("SMS: one pending message per person with a mobile and a message; the rest counted by reason", async () => {
      const t = await setup();
      try {
        await addSender(t.store.db, { kind: "sms", mode: "short", number: "OTHER" });
        const own = await addSender(t.store.db, {
          kind: "sms",
          mode: "short",
          number: "ROTA",
          walletId,
        });
        await addSender(t.store.db, { kind: "sms", mode: "long", number: "LONGA", walletId });
        const list = [
          ...people(3),
          person("4", {
            firstLine: 5,
            message: "tem só fixo",
            channels: [{ kind: "landline", value: "1133334444", line: 5 }],
          }),
          person("5", { firstLine: 6, message: null, channels: [mobile("11999990005", 6)] }),
          person("6", { firstLine: 7, message: "só e-mail", channels: [email("a@b.com", 7)] }),
        ];
        const { campaigns } = await run(t, { sms: "short" }, [{ persons: list, rejected: [] }]);
        assert.equal(campaigns.length, 1);
        const c = campaigns[0]!;
        assert.equal(c.channel, "sms");
        assert.equal(c.mode, "short");
        assert.equal(Number(c.sender_id), own, "the wallet's own route is preferred");
        assert.equal(c.state, "scheduled");
        assert.equal(Number(c.audience), 3);
        assert.deepEqual(JSON.parse(c.excluded_json ?? "null"), {
          SEM_CONTATO: 2,
          SEM_MENSAGEM: 1,
        });
        assert.equal(c.start_at, new Date(NOW_MS).toISOString());
        assert.equal(c.deadline_at, null);
        const messages = await messagesOf(t, Number(c.id));
        assert.deepEqual(
          messages.map((m) => [m.key, m.address, m.body, m.state, m.channel_kind, m.wave]),
          [
            ["1", "11990000001", "Oi [NOME_CLIENTE] 1", "pending", "mobile", 0],
            ["2", "11990000002", "Oi [NOME_CLIENTE] 2", "pending", "mobile", 0],
            ["3", "11990000003", "Oi [NOME_CLIENTE] 3", "pending", "mobile", 0],
          ],
        );
        for (const m of messages) assert.equal(m.next_attempt_at, m.waveStart);
        const waves = await wavesOf(t, Number(c.id));
        assert.deepEqual(
          waves.map((w) => [w.number, w.start_at, Number(w.size), w.state, w.started_at]),
          [[0, new Date(NOW_MS).toISOString(), 3, "scheduled", null]],
        );
        // One message per second at the default 100/s: the forecast is the start (+20 ms).
        assert.equal(c.forecast_end, new Date(NOW_MS + 20).toISOString());
        assert.equal(Number(c.forecast_late), 0);
      } finally {
        await t.dispose();
      }
    });

    test("first usable contact in file order, across rows of a person far apart; the restriction list honoured", async () => {
      const t = await setup();
      try {
        await addSender(t.store.db, { kind: "sms", mode: "long", number: "R" });
        await addRestriction(t.store.db, 1, walletId, "phone", "11911110001");
        await addRestriction(t.store.db, 1, walletId, "phone", "11911110003");
        // Another wallet's restriction does not count here.
        const itau = await t.store.db
          .selectFrom("wallets")
          .select("id")
          .where("code", "=", "ITAU")
          .executeTakeFirstOrThrow();
        await addRestriction(t.store.db, 1, itau.id, "phone", "11911110004");
        const first = [
          // A: e-mail first, then two mobiles: the first mobile.
          person("A", {
            firstLine: 2,
            message: "m",
            channels: [email("a@x.com", 2), mobile("11922220001", 3), mobile("11922220002", 4)],
          }),
          // B: only an e-mail here; its mobile comes 1000 lines later.
          person("B", { firstLine: 5, message: "m", channels: [email("b@x.com", 5)] }),
          // C: first mobile restricted; the second one comes later in the file.
          person("C", { firstLine: 6, message: "m", channels: [mobile("11911110001", 6)] }),
          // D: its only mobile is restricted.
          person("D", { firstLine: 7, message: "m", channels: [mobile("11911110003", 7)] }),
          // E: restricted only in another wallet.
          person("E", { firstLine: 8, message: "m", channels: [mobile("11911110004", 8)] }),
        ];
        const later = [
          person("B", { firstLine: 1005, message: "m", channels: [mobile("11933330001", 1005)] }),
          person("C", { firstLine: 1006, message: "m", channels: [mobile("11933330002", 1006)] }),
          person("A", { firstLine: 1007, message: "m", channels: [mobile("11933330003", 1007)] }),
        ];
        const { campaigns } = await run(t, { sms: "long" }, [
          { persons: first, rejected: [] },
          { persons: later, rejected: [] },
        ]);
        const c = campaigns[0]!;
        const messages = await messagesOf(t, Number(c.id));
        assert.deepEqual(
          messages.map((m) => [m.key, m.address]),
          [
            ["A", "11922220001"],
            ["B", "11933330001"],
            ["C", "11933330002"],
            ["E", "11911110004"],
          ],
        );
        assert.deepEqual(JSON.parse(c.excluded_json ?? "null"), { RESTRITO: 1 });
        assert.equal(Number(c.audience), 4);
      } finally {
        await t.dispose();
      }
    });

    test("the stored first mobile is used unless restricted: then the next one of the person's contacts; a restricted document leaves the person out", async () => {
      const t = await setup();
      try {
        await addSender(t.store.db, { kind: "sms", mode: "long", number: "R" });
        await addRestriction(t.store.db, 1, walletId, "phone", "11911110001");
        await addRestriction(t.store.db, 1, walletId, "document", "52998224725");
        const list = [
          // Two mobiles in one row: the first restricted, the second used.
          person("A", {
            firstLine: 2,
            message: "m",
            channels: [email("a@x.com", 2), mobile("11911110001", 2), mobile("11922220001", 2)],
          }),
          // The first mobile not restricted: used as stored, the later one ignored.
          person("B", {
            firstLine: 3,
            message: "m",
            channels: [mobile("11922220002", 3), mobile("11911110001", 3)],
          }),
          // Its document is restricted: every contact is (RESTRITO).
          person("C", {
            firstLine: 4,
            message: "m",
            document: "52998224725",
            channels: [mobile("11922220003", 4)],
          }),
          // Only a restricted mobile: RESTRITO; no mobile at all: SEM_CONTATO.
          person("D", { firstLine: 5, message: "m", channels: [mobile("11911110001", 5)] }),
          person("E", { firstLine: 6, message: "m", channels: [email("e@x.com", 6)] }),
        ];
        const { campaigns } = await run(t, { sms: "long" }, [{ persons: list, rejected: [] }]);
        const c = campaigns[0]!;
        const messages = await messagesOf(t, Number(c.id));
        assert.deepEqual(
          messages.map((m) => [m.key, m.address]),
          [
            ["A", "11922220001"],
            ["B", "11922220002"],
          ],
        );
        assert.deepEqual(JSON.parse(c.excluded_json ?? "null"), { RESTRITO: 2, SEM_CONTATO: 1 });
      } finally {
        await t.dispose();
      }
    });

    test("waves of people sharing a first line follow their ids (file order of a line)", async () => {
      const t = await setup();
      try {
        await addSender(t.store.db, { kind: "sms", mode: "short", number: "R" });
        // Every person on line 2: wave boundaries fall inside one line.
        const list = people(10, { firstLine: 2 });
        const { campaigns } = await run(
          t,
          { sms: "short", split: { percent: 30, everyMinutes: 10 } },
          [{ persons: list, rejected: [] }],
        );
        const c = campaigns[0]!;
        const waves = await wavesOf(t, Number(c.id));
        assert.deepEqual(
          waves.map((w) => Number(w.size)),
          [3, 3, 3, 1],
        );
        const ids = await t.store.db
          .selectFrom("messages")
          .innerJoin("waves", "waves.id", "messages.wave_id")
          .select(["messages.person_id", "waves.number"])
          .where("messages.campaign_id", "=", Number(c.id))
          .orderBy("messages.person_id")
          .execute();
        assert.deepEqual(
          ids.map((m) => Number(m.number)),
          [0, 0, 0, 1, 1, 1, 2, 2, 2, 3],
        );
      } finally {
        await t.dispose();
      }
    });

    test("waves: ceil(N·PP/100) each in file order, the last with the rest, MMM minutes apart; _i in the future", async () => {
      const t = await setup();
      try {
        await addSender(t.store.db, { kind: "sms", mode: "short", number: "R" });
        // Keys in reverse of the file order: waves follow the file, not the key.
        const list = people(10).map((p, i) => ({ ...p, key: `k${String(20 - i)}` }));
        list.push(person("semcel", { firstLine: 50, message: "x", channels: [] }));
        const { campaigns } = await run(
          t,
          { sms: "short", split: { percent: 30, everyMinutes: 10 }, start: "2026-11-27T09:00" },
          [{ persons: list, rejected: [] }],
        );
        const c = campaigns[0]!;
        const start = Date.parse("2026-11-27T12:00:00.000Z"); // 09:00 in São Paulo (UTC−3)
        assert.equal(c.start_at, new Date(start).toISOString());
        assert.equal(c.split_percent, 30);
        assert.equal(c.split_every_minutes, 10);
        const waves = await wavesOf(t, Number(c.id));
        assert.deepEqual(
          waves.map((w) => [w.number, w.start_at, Number(w.size)]),
          [0, 1, 2, 3].map((k) => [
            k,
            new Date(start + k * 10 * 60_000).toISOString(),
            k < 3 ? 3 : 1,
          ]),
        );
        const messages = await messagesOf(t, Number(c.id));
        const byLine = messages
          .map((m) => ({ key: m.key, wave: m.wave, at: m.next_attempt_at }))
          .sort((a, b) => Number(b.key.slice(1)) - Number(a.key.slice(1)));
        assert.deepEqual(
          byLine.map((m) => m.wave),
          [0, 0, 0, 1, 1, 1, 2, 2, 2, 3],
        );
        for (const m of byLine) {
          assert.equal(m.at, new Date(start + m.wave * 10 * 60_000).toISOString());
        }
        assert.deepEqual(JSON.parse(c.excluded_json ?? "null"), { SEM_CONTATO: 1 });
      } finally {
        await t.dispose();
      }
    });

    test("_i in the past starts at the import's instant; the deadline is stored and the forecast counts the late ones", async () => {
      const t = await setup();
      try {
        // One message every 100 s.
        await addSender(t.store.db, { kind: "sms", mode: "short", number: "R", rate: 0.01 });
        const { campaigns } = await run(
          t,
          { sms: "short", start: "2026-11-26T08:00", deadline: "2026-11-26T09:05" },
          [{ persons: people(10), rejected: [] }],
        );
        const c = campaigns[0]!;
        assert.equal(c.start_at, new Date(NOW_MS).toISOString());
        assert.equal(c.deadline_at, "2026-11-26T12:05:00.000Z");
        // Messages at 0, 100, 200 s go before 300 s; 7 do not.
        assert.equal(Number(c.forecast_late), 7);
        assert.equal(c.forecast_end, new Date(NOW_MS + 900_000).toISOString());
      } finally {
        await t.dispose();
      }
    });

    test("the wallet's send window postpones the forecast", async () => {
      const t = await setup();
      try {
        await addSender(t.store.db, { kind: "sms", mode: "short", number: "R" });
        // Thursday 26/11/2026 09:00 local; the window opens only on Fridays.
        await t.store.db
          .updateTable("wallets")
          .set({ send_window_json: '{"days":[5],"from":"10:00","to":"18:00"}' })
          .where("id", "=", walletId)
          .execute();
        const { campaigns } = await run(t, { sms: "short", deadline: "2026-11-27T08:00" }, [
          { persons: people(2), rejected: [] },
        ]);
        const c = campaigns[0]!;
        assert.equal(Number(c.forecast_late), 2);
        assert.equal(c.forecast_end, "2026-11-27T13:00:00.010Z");
      } finally {
        await t.dispose();
      }
    });

    test("a send window the wallet holds in a shape not understood does not block the import", async () => {
      const t = await setup();
      try {
        await addSender(t.store.db, { kind: "sms", mode: "short", number: "R" });
        await t.store.db
          .updateTable("wallets")
          .set({ send_window_json: '{"days":[],"from":"x"}' })
          .where("id", "=", walletId)
          .execute();
        const { campaigns } = await run(t, { sms: "short" }, [
          { persons: people(2), rejected: [] },
        ]);
        assert.equal(Number(campaigns[0]!.audience), 2);
        assert.equal(campaigns[0]!.forecast_end, new Date(NOW_MS + 10).toISOString());
      } finally {
        await t.dispose();
      }
    });

    test("WhatsApp: _nw and _nt, or the wallet's single exclusive number and default template; other modes pick a number of that mode", async () => {
      const t = await setup();
      try {
        const exclusive = await addSender(t.store.db, {
          kind: "whatsapp",
          mode: "exclusivo",
          number: "5511900000001",
          walletId,
        });
        const named = await addSender(t.store.db, {
          kind: "whatsapp",
          mode: "exclusivo",
          number: "5511900000002",
        });
        const shared = await addSender(t.store.db, {
          kind: "whatsapp",
          mode: "compartilhado",
          number: "5511900000003",
        });
        const byName = await addTemplate(t.store.db, { name: "cobranca nov" });
        const fallback = await addTemplate(t.store.db, {
          name: "padrao",
          walletId,
          isDefault: true,
        });
        const list = [
          ...people(2, { message: null }),
          person("9", { firstLine: 9, channels: [email("x@y.com", 9)] }),
        ];
        const a = await run(
          t,
          {
            sequence: 1,
            whatsapp: { mode: "exclusivo", number: "5511900000002", template: "cobranca nov" },
          },
          [{ persons: list, rejected: [] }],
        );
        const ca = a.campaigns[0]!;
        assert.equal(ca.channel, "whatsapp");
        assert.equal(ca.mode, "exclusivo");
        assert.equal(Number(ca.sender_id), named);
        assert.equal(Number(ca.template_id), byName);
        // WhatsApp needs no MENSAGEM (the template is the text).
        assert.equal(Number(ca.audience), 2);
        assert.deepEqual(JSON.parse(ca.excluded_json ?? "null"), { SEM_CONTATO: 1 });

        const b = await run(
          t,
          { sequence: 2, whatsapp: { mode: "exclusivo", number: null, template: null } },
          [{ persons: people(1), rejected: [] }],
        );
        assert.equal(Number(b.campaigns[0]!.sender_id), exclusive);
        assert.equal(Number(b.campaigns[0]!.template_id), fallback);

        const c = await run(
          t,
          { sequence: 3, whatsapp: { mode: "compartilhado", number: null, template: null } },
          [{ persons: people(1), rejected: [] }],
        );
        assert.equal(c.campaigns[0]!.mode, "compartilhado");
        assert.equal(Number(c.campaigns[0]!.sender_id), shared);
      } finally {
        await t.dispose();
      }
    });

    test("e-mail: _ce (any case), else the wallet's active account, else the platform default, created when missing", async () => {
      const t = await setup();
      try {
        const list = [
          person("1", {
            firstLine: 2,
            message: "<p>Olá</p>",
            channels: [mobile("11999990001", 2), email("um@x.com", 3), email("dois@x.com", 4)],
          }),
          person("2", { firstLine: 5, message: "texto", channels: [mobile("11999990002", 5)] }),
        ];
        // No account at all: the platform default is created, as an outbox.
        const a = await run(t, { sequence: 1, email: { account: null, subject: null } }, [
          { persons: list, rejected: [] },
        ]);
        const ca = a.campaigns[0]!;
        const created = await t.store.db
          .selectFrom("email_accounts")
          .selectAll()
          .where("id", "=", Number(ca.email_account_id))
          .executeTakeFirstOrThrow();
        assert.equal(created.address, "nao-responda@remessa.local");
        assert.equal(created.provider, "outbox");
        assert.equal(created.is_platform_default, 1);
        assert.equal(ca.subject, "teste", "the description is the subject without _te");
        assert.equal(Number(ca.audience), 1);
        assert.deepEqual(JSON.parse(ca.excluded_json ?? "null"), { SEM_CONTATO: 1 });
        const [m] = await messagesOf(t, Number(ca.id));
        assert.equal(m?.address, "um@x.com");
        assert.equal(m?.channel_kind, "email");

        // The wallet's active account wins over the platform default.
        const active = await addEmailAccount(t.store.db, {
          address: "cobranca@brad.com",
          walletId,
          active: true,
        });
        const b = await run(t, { sequence: 2, email: { account: null, subject: "Aviso" } }, [
          { persons: list, rejected: [] },
        ]);
        assert.equal(Number(b.campaigns[0]!.email_account_id), active);
        assert.equal(b.campaigns[0]!.subject, "Aviso");

        const named = await addEmailAccount(t.store.db, { address: "Outra@Brad.com" });
        const c = await run(
          t,
          { sequence: 3, email: { account: "outra@brad.com", subject: null } },
          [{ persons: list, rejected: [] }],
        );
        assert.equal(Number(c.campaigns[0]!.email_account_id), named);
        assert.equal(
          (await t.store.db.selectFrom("email_accounts").select("id").execute()).length,
          3,
          "the platform default is created once",
        );
      } finally {
        await t.dispose();
      }
    });

    test("the platform default account takes its address from REMESSA_DEFAULT_EMAIL_FROM", async () => {
      const t = await setup();
      try {
        const { campaigns } = await run(
          t,
          { email: { account: null, subject: null } },
          [{ persons: people(1), rejected: [] }],
          { env: { REMESSA_DEFAULT_EMAIL_FROM: "avisos@empresa.com.br" } },
        );
        const account = await t.store.db
          .selectFrom("email_accounts")
          .select("address")
          .where("id", "=", Number(campaigns[0]!.email_account_id))
          .executeTakeFirstOrThrow();
        assert.equal(account.address, "avisos@empresa.com.br");
      } finally {
        await t.dispose();
      }
    });

    test("one campaign per channel flag; an e-mail restriction counts only for e-mail", async () => {
      const t = await setup();
      try {
        await addSender(t.store.db, { kind: "sms", mode: "long", number: "R" });
        await addSender(t.store.db, { kind: "whatsapp", mode: "prospect", number: "551190" });
        await addTemplate(t.store.db, { name: "prospect" });
        await addRestriction(t.store.db, 1, walletId, "email", "um@x.com");
        const list = [
          person("1", {
            firstLine: 2,
            message: "m",
            channels: [mobile("11999990001", 2), email("um@x.com", 3)],
          }),
        ];
        const { result, campaigns } = await run(
          t,
          {
            sms: "long",
            whatsapp: { mode: "prospect", number: null, template: "prospect" },
            email: { account: null, subject: null },
          },
          [{ persons: list, rejected: [] }],
        );
        assert.deepEqual(
          campaigns.map((c) => [c.channel, Number(c.audience), c.excluded_json]),
          [
            ["sms", 1, "{}"],
            ["whatsapp", 1, "{}"],
            ["email", 0, '{"RESTRITO":1}'],
          ],
        );
        const waves = await wavesOf(t, Number(campaigns[2]!.id));
        assert.deepEqual(
          waves.map((w) => Number(w.size)),
          [0],
        );
        // The report reads every campaign's waves at once: each gets its own.
        const lines = await campaignSummaries(t.store.db, result.mailingId!, "America/Sao_Paulo");
        assert.deepEqual(
          lines.map((l) => [l.channel, l.audience, l.waves.map((w) => w.size)]),
          [
            ["sms", 1, [1]],
            ["whatsapp", 1, [1]],
            ["email", 0, [0]],
          ],
        );
      } finally {
        await t.dispose();
      }
    });

    test("an erased person's contacts brought back by a later file without _h are not planned: RESTRITO, the next contact used", async () => {
      const t = await setup();
      try {
        await addSender(t.store.db, { kind: "sms", mode: "long", number: "R" });
        const flags = { sms: "long", email: { account: null, subject: null } } as const;
        await run(t, { sequence: 1, ...flags }, [
          {
            persons: [
              person("A", {
                firstLine: 2,
                message: "m",
                channels: [mobile("11955550001", 2), email("ana@x.com", 3)],
              }),
            ],
            rejected: [],
          },
        ]);
        const erased = await erasePerson(
          t.store,
          1,
          { kind: "code", value: "A" },
          "cli:dpo",
          "pedido 1",
        );
        assert.equal(erased.persons.length, 1);
        // A later file, without _h (the reader checks nothing): the same phone and e-mail
        // come back under other codes.
        const { campaigns } = await run(t, { sequence: 2, ...flags }, [
          {
            persons: [
              person("B", {
                firstLine: 2,
                message: "m",
                channels: [mobile("11955550001", 2)],
              }),
              person("C", {
                firstLine: 3,
                message: "m",
                channels: [
                  mobile("11955550001", 3),
                  mobile("11955550002", 4),
                  email("ANA@x.com", 5),
                ],
              }),
              person("D", {
                firstLine: 6,
                message: "m",
                channels: [mobile("11955550003", 6), email("ana@x.com", 7)],
              }),
            ],
            rejected: [],
          },
        ]);
        assert.deepEqual(
          campaigns.map((c) => [c.channel, Number(c.audience), JSON.parse(c.excluded_json ?? "")]),
          [
            ["sms", 2, { RESTRITO: 1 }],
            // B has no e-mail; C's and D's are the erased person's (compared without case).
            ["email", 0, { SEM_CONTATO: 1, RESTRITO: 2 }],
          ],
        );
        assert.deepEqual(
          (await messagesOf(t, Number(campaigns[0]!.id))).map((m) => [m.key, m.address]),
          [
            ["C", "11955550002"],
            ["D", "11955550003"],
          ],
        );
      } finally {
        await t.dispose();
      }
    });

    test("a failing campaign creation rolls the whole import back: no mailing, no people, no campaign", async () => {
      const t = await setup();
      try {
        // No SMS route: the name checks would have discarded the file; here the hook throws.
        await assert.rejects(
          importMailing(
            t.store,
            request([{ persons: people(3), rejected: [] }], {
              mailing: mailingName({ sms: "short", email: { account: null, subject: null } }),
              afterImport: campaignPlanner({ clock, env: {} }),
            }),
          ),
          (error: unknown) =>
            error instanceof PlanningError &&
            /^Rota de SMS short: o cadastro foi removido .* Cadastre de novo e reenvie o arquivo\.$/.test(
              error.message,
            ),
        );
        // And a failure after the messages were written.
        await addSender(t.store.db, { kind: "sms", mode: "short", number: "R" });
        await assert.rejects(
          importMailing(
            t.store,
            request([{ persons: people(3), rejected: [] }], {
              mailing: mailingName({ sms: "short" }),
              afterImport: async (imported) => {
                const created = await createCampaigns(imported, { clock, env: {} });
                assert.equal(created[0]?.audience, 3);
                throw new Error("boom");
              },
            }),
          ),
          /boom/,
        );
        for (const table of [
          "mailings",
          "persons",
          "mailing_persons",
          "campaigns",
          "waves",
          "messages",
          "email_accounts",
        ] as const) {
          const row = await t.store.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as("n"))
            .executeTakeFirstOrThrow();
          assert.equal(Number(row.n), 0, table);
        }
      } finally {
        await t.dispose();
      }
    });
  });
}
