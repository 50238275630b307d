/**
 * Restriction lists with their scopes (issue 15), on both databases: at
 * import with _h (through `remessa import`), at planning and at send time; a
 * tenant-wide entry, a wallet's, a channel's and a CPF's; the bulk CSV load.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { campaignPlanner } from "../../src/campaigns/create.js";
import { Dispatcher } from "../../src/campaigns/dispatch.js";
import { KyselyDispatchStore } from "../../src/campaigns/dispatch-store.js";
import { ChannelRegistry } from "../../src/channels/index.js";
import { silentLogger } from "../../src/log.js";
import { contactHash, erasedAmong } from "../../src/privacy/erased.js";
import { importRestrictionLines, textLines } from "../../src/privacy/restriction-import.js";
import { importMailing } from "../../src/store/import.js";
import {
  addRestriction,
  listRestrictions,
  parseRestrictionValue,
} from "../../src/store/restrictions.js";
import { createWallet } from "../../src/store/wallets.js";
import { messagesOf, phoneOf, seedCampaign, T0 } from "../campaigns/dispatch-fixtures.js";
import { addSender } from "../campaigns/plan-fixtures.js";
import { TestChannel } from "../channels/test-channel.js";
import { runCli } from "../cli/run-cli.js";
import { mailingName, person, request } from "../store/fixtures.js";
import { DATABASES } from "../store/harness.js";

const work = mkdtempSync(join(tmpdir(), "remessa-restr-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** A valid CPF (check digits hold). */
const CPF = "52998224725";

function mailingFile(name: string, rows: string[][]): string {
  const path = join(work, name);
  const header = "TIPO_DE_REGISTRO;VALOR_DO_REGISTRO;NOME_CLIENTE;CPFCNPJ;CODCLIENTE;MENSAGEM";
  writeFileSync(path, `${[header, ...rows.map((r) => r.join(";"))].join("\n")}\n`);
  return path;
}

describe("parseRestrictionValue", () => {
  test("detects phones, e-mails and documents; refuses the ambiguous and the invalid", () => {
    assert.deepEqual(parseRestrictionValue("(11) 98765-4321"), {
      ok: true,
      kind: "phone",
      value: "11987654321",
    });
    assert.deepEqual(parseRestrictionValue("Fulano@Exemplo.COM.BR"), {
      ok: true,
      kind: "email",
      value: "Fulano@exemplo.com.br",
    });
    assert.deepEqual(parseRestrictionValue("529.982.247-25"), {
      ok: true,
      kind: "document",
      value: CPF,
    });
    // 11 digits, not a valid mobile (DDD 52 does not exist), valid CPF: a document.
    assert.deepEqual(parseRestrictionValue(CPF), { ok: true, kind: "document", value: CPF });
    assert.deepEqual(parseRestrictionValue("11.222.333/0001-81"), {
      ok: true,
      kind: "document",
      value: "11222333000181",
    });
    // A valid mobile that is also a valid CPF: refused unless the kind is given.
    const ambiguousCpf = [...Array(100).keys()]
      .map((k) => `119876543${String(k).padStart(2, "0")}`)
      .find((v) => parseRestrictionValue(v, "document").ok);
    assert.ok(ambiguousCpf, "some 11 9xxxx mobile is also a valid CPF");
    const r = parseRestrictionValue(ambiguousCpf);
    assert.equal(r.ok, false);
    assert.match((r as { message: string }).message, /ao mesmo tempo um telefone e um CPF/);
    assert.deepEqual(parseRestrictionValue(ambiguousCpf, "phone"), {
      ok: true,
      kind: "phone",
      value: ambiguousCpf,
    });
    assert.equal(parseRestrictionValue("11987654300", "email").ok, false);
    assert.equal(parseRestrictionValue("abc").ok, false);
    assert.equal(parseRestrictionValue("123").ok, false);
  });
});

for (const database of DATABASES) {
  describe(`restriction scopes on ${database.name}`, { skip: database.skip }, () => {
    test("import with _h: the tenant's and the wallet's entries and a CPF leave people out; another wallet's and a channel's (for a file with no campaign) do not", async () => {
      const t = await database.open();
      try {
        const cli = (...args: string[]) => runCli(t.url, args);
        assert.equal((await cli("wallets", "add", "BRAD")).code, 0);
        assert.equal((await cli("wallets", "add", "ITAU")).code, 0);
        for (const args of [
          ["11987650001"], // whole tenant, every channel
          ["11987650002", "--wallet", "BRAD"],
          ["11987650003", "--wallet", "ITAU"],
          ["529.982.247-25"],
          ["11987650006", "--channel", "sms"],
        ]) {
          const r = await cli("restrictions", "add", ...args, "--actor", "maria");
          assert.equal(r.code, 0, r.stderr);
        }
        const file = mailingFile("mailing_261126_1_cBRAD_h.csv", [
          ["CELULAR", "11987650001", "Um", "", "P1", ""],
          ["CELULAR", "11987650002", "Dois", "", "P2", ""],
          ["CELULAR", "11987650003", "Três", "", "P3", ""],
          ["CELULAR", "11987650004", "Quatro", CPF, "P4", ""],
          ["CELULAR", "11987650005", "Cinco", "", "P5", ""],
          ["CELULAR", "11987650006", "Seis", "", "P6", ""],
        ]);
        const r = await cli("import", "--json", "--today", "2026-11-26", file);
        assert.equal(r.code, 0, r.stderr + r.stdout);
        const persons = await t.store.db
          .selectFrom("persons")
          .select("key")
          .orderBy("key")
          .execute();
        assert.deepEqual(
          persons.map((p) => p.key),
          ["P3", "P5", "P6"],
        );
        const rejected = await t.store.db
          .selectFrom("mailing_rejections")
          .select(["line", "code", "message"])
          .orderBy("line")
          .execute();
        assert.deepEqual(
          rejected.map((x) => [x.line, x.code]),
          [
            [2, "RESTRITO"],
            [3, "RESTRITO"],
            [5, "RESTRITO"],
          ],
        );
        assert.match(rejected[2]?.message ?? "", /CPF\/CNPJ na lista de restrição/);
      } finally {
        await t.dispose();
      }
    });

    test("planning: an SMS campaign leaves out the tenant's, the SMS-only and the CPF entries, not a WhatsApp-only one", async () => {
      const t = await database.open();
      try {
        const db = t.store.db;
        const walletId = (await createWallet(db, 1, { code: "BRAD" })).id;
        await addSender(db, { kind: "sms", mode: "long", number: "R" });
        // The original signature, as the channels' opt-outs call it: one wallet, every channel.
        await addRestriction(db, 1, walletId, "phone", "11911110005", "SAIR");
        await addRestriction(db, 1, null, "phone", "11911110001", null, { origin: "api" });
        await addRestriction(db, 1, null, "phone", "11911110002", null, { channel: "whatsapp" });
        await addRestriction(db, 1, walletId, "phone", "11911110003", null, { channel: "sms" });
        await addRestriction(db, 1, null, "document", CPF, null, { origin: "sms_reply" });
        const mobile = (value: string) => [{ kind: "mobile" as const, value, line: 2 }];
        const list = [
          person("A", { firstLine: 2, message: "m", channels: mobile("11911110001") }),
          person("B", { firstLine: 3, message: "m", channels: mobile("11911110002") }),
          person("C", { firstLine: 4, message: "m", channels: mobile("11911110003") }),
          person("D", {
            firstLine: 5,
            message: "m",
            document: CPF,
            channels: mobile("11911110004"),
          }),
          person("E", { firstLine: 6, message: "m", channels: mobile("11911110005") }),
          person("F", { firstLine: 7, message: "m", channels: mobile("11911110006") }),
        ];
        const result = await importMailing(
          t.store,
          request([{ persons: list, rejected: [] }], {
            mailing: mailingName({ sms: "long" }),
            afterImport: campaignPlanner({
              clock: () => Date.parse("2026-11-26T12:00:00Z"),
              env: {},
            }),
          }),
        );
        assert.ok(result.ok, JSON.stringify(result.errors));
        const campaign = await db
          .selectFrom("campaigns")
          .selectAll()
          .where("mailing_id", "=", result.mailingId!)
          .executeTakeFirstOrThrow();
        const messages = await db
          .selectFrom("messages")
          .innerJoin("persons", "persons.id", "messages.person_id")
          .select(["persons.key", "messages.address"])
          .where("campaign_id", "=", campaign.id)
          .orderBy("persons.key")
          .execute();
        assert.deepEqual(
          messages.map((m) => m.key),
          ["B", "F"],
        );
        assert.deepEqual(JSON.parse(campaign.excluded_json ?? "null"), { RESTRITO: 4 });
      } finally {
        await t.dispose();
      }
    });

    test("send time: entries added after planning, for the tenant, one channel or a CPF, are honoured from the next message", async () => {
      const t = await database.open();
      try {
        const store = t.store;
        const s = await seedCampaign(store, { persons: 6 });
        const p3 = s.personIds[3];
        await store.db
          .updateTable("persons")
          .set({ document: CPF })
          .where("id", "=", p3!)
          .execute();
        await addRestriction(store.db, 1, null, "phone", phoneOf(0), "PARE", {
          origin: "sms_reply",
          at: new Date(T0 - 1000).toISOString(),
        });
        await addRestriction(store.db, 1, null, "phone", phoneOf(1), null, { channel: "whatsapp" });
        await addRestriction(store.db, 1, s.walletId, "phone", phoneOf(2), null, {
          channel: "sms",
        });
        await addRestriction(store.db, 1, null, "document", CPF, null, { channel: "sms" });
        // The fifth phone belonged to a person erased since (kept only as its keyed hash).
        await store.db
          .insertInto("erased_contacts")
          .values({
            tenant_id: 1,
            kind: "phone",
            hash: contactHash("phone", phoneOf(4)),
            erased_at: new Date(T0 - 1000).toISOString(),
          })
          .execute();
        const clock = { now: T0 };
        const channel = new TestChannel({ clock: () => clock.now, behaviour: () => "sent" });
        const registry = new ChannelRegistry(store, () => clock.now, [channel]);
        const dispatcher = new Dispatcher({
          store: new KyselyDispatchStore(store),
          owner: "w1",
          channelFor: registry.channelFor,
          clock: () => clock.now,
          sleep: async (ms) => {
            clock.now += ms;
          },
          random: () => 0.5,
          log: silentLogger,
          retryBaseMs: 60_000,
          settleEveryMs: 0,
        });
        for (let i = 0; i < 20 && (await dispatcher.runOnce()) > 0; i++);
        const msgs = await messagesOf(store, s.campaignId);
        assert.deepEqual(
          msgs.map((m) => [m.state, m.skip_reason]),
          [
            ["skipped", "RESTRITO"], // whole tenant
            ["sent", null], // WhatsApp only: this is SMS
            ["skipped", "RESTRITO"], // the wallet's, SMS
            ["skipped", "RESTRITO"], // the person's CPF
            ["skipped", "RESTRITO"], // an erased person's contact
            ["sent", null],
          ],
        );
      } finally {
        await t.dispose();
      }
    });

    test("an erased e-mail is found in every case it comes back in, among many values", async () => {
      const t = await database.open();
      try {
        const db = t.store.db;
        await db
          .insertInto("erased_contacts")
          .values({
            tenant_id: 1,
            kind: "email",
            hash: contactHash("email", "ana@x.com"),
            erased_at: new Date(T0).toISOString(),
          })
          .execute();
        // More values than one lookup statement takes, the erased ones at both ends.
        const others = Array.from({ length: 2500 }, (_, i) => `p${i}@x.com`);
        const values = ["Ana@X.com", ...others, "ana@x.com", "joana@x.com"];
        assert.deepEqual([...(await erasedAmong(db, 1, "email", values))].sort(), [
          "Ana@X.com",
          "ana@x.com",
        ]);
        assert.deepEqual([...(await erasedAmong(db, 2, "email", values))], [], "another tenant");
      } finally {
        await t.dispose();
      }
    });

    test("scopes are distinct entries; a repeat is no error; remove takes exactly one scope", async () => {
      const t = await database.open();
      try {
        const db = t.store.db;
        const w = (await createWallet(db, 1, { code: "BRAD" })).id;
        assert.equal(await addRestriction(db, 1, null, "phone", "11911110001"), true);
        assert.equal(await addRestriction(db, 1, null, "phone", "11911110001"), false);
        assert.equal(await addRestriction(db, 1, w, "phone", "11911110001"), true);
        assert.equal(
          await addRestriction(db, 1, null, "phone", "11911110001", null, { channel: "sms" }),
          true,
        );
        await assert.rejects(
          addRestriction(db, 1, null, "email", "a@b.com", null, { channel: "sms" }),
          /não recebe mensagens pelo canal sms/,
        );
        const all = await listRestrictions(db, 1, { value: "11911110001" });
        assert.deepEqual(
          all.map((r) => [r.wallet, r.channel, r.origin]),
          [
            [null, null, "operator"],
            ["BRAD", null, "operator"],
            [null, "sms", "operator"],
          ],
        );
        const cli = (...args: string[]) => runCli(t.url, args);
        const removed = await cli("restrictions", "remove", "11911110001", "--wallet", "BRAD");
        assert.equal(removed.code, 0, removed.stderr);
        const again = await cli("restrictions", "remove", "11911110001", "--wallet", "BRAD");
        assert.equal(again.code, 1);
        assert.match(again.stderr, /não está na lista de restrição com esse escopo/);
        const listed = JSON.parse(
          (await cli("restrictions", "list", "--whole-tenant", "--json")).stdout,
        ) as { channel: string | null }[];
        assert.deepEqual(
          listed.map((r) => r.channel),
          [null, "sms"],
        );
      } finally {
        await t.dispose();
      }
    });

    test("bulk CSV: header skipped, kinds detected per line, bad lines with their numbers, repeats counted, scope applied", async () => {
      const t = await database.open();
      try {
        const db = t.store.db;
        const csv = [
          "valor",
          "(11) 98765-4321",
          "fulano@exemplo.com.br",
          "529.982.247-25;observação",
          "não é nada",
          "",
          "11987654321",
          '"21 3456-7890"',
        ].join("\r\n");
        const result = await importRestrictionLines(db, t.store.dialect, 1, textLines(csv), {
          walletId: null,
          channel: "sms",
          origin: "import",
          actor: "cli:maria",
          reason: "Não Me Perturbe",
        });
        assert.equal(result.lines, 8);
        assert.equal(result.added, 3);
        assert.equal(result.existing, 1);
        assert.deepEqual(result.byKind, { phone: 3, email: 0, document: 1 });
        // The e-mail cannot be restricted on SMS; the text is no value.
        assert.deepEqual(
          result.rejected.map((r) => r.line),
          [3, 5],
        );
        assert.equal(result.rejectedCount, 2);
        const rows = await listRestrictions(db, 1);
        assert.deepEqual(
          rows.map((r) => [r.kind, r.value, r.channel, r.origin, r.actor]),
          [
            ["phone", "11987654321", "sms", "import", "cli:maria"],
            ["document", CPF, "sms", "import", "cli:maria"],
            ["phone", "2134567890", "sms", "import", "cli:maria"],
          ],
        );
        // Through the CLI, from a file, into one wallet.
        await createWallet(db, 1, { code: "BRAD" });
        const path = join(work, `lista-${database.name}.csv`);
        writeFileSync(
          path,
          `${Array.from({ length: 2500 }, (_, i) => `119${String(70000000 + i)}`).join("\n")}\nxyz\n`,
        );
        const r = await runCli(t.url, [
          "restrictions",
          "import",
          path,
          "--wallet",
          "BRAD",
          "--json",
        ]);
        assert.equal(r.code, 0, r.stderr);
        const out = JSON.parse(r.stdout) as {
          added: number;
          ambiguous: number;
          rejected: { line: number }[];
        };
        assert.equal(out.added, 2500, r.stdout);
        // About 1 in 100 of these mobiles is also a valid CPF: taken as phones, counted.
        assert.ok(out.ambiguous > 0 && out.ambiguous < 100, String(out.ambiguous));
        assert.deepEqual(
          out.rejected.map((x) => x.line),
          [2501],
        );
        const inWallet = await listRestrictions(db, 1, { kind: "phone", limit: 5000 });
        assert.equal(inWallet.filter((x) => x.wallet === "BRAD").length, 2500);
      } finally {
        await t.dispose();
      }
    });
  });
}
