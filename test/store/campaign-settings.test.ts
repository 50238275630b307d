/** Senders, templates and e-mail accounts: tenant-scoped repositories, on both databases. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  addEmailAccount,
  getEmailAccount,
  listEmailAccounts,
  removeEmailAccount,
} from "../../src/store/email-accounts.js";
import { nowIso } from "../../src/store/schema.js";
import {
  addSender,
  getSender,
  listSenders,
  removeSender,
  whatsappNumberDigits,
} from "../../src/store/senders.js";
import {
  addTemplate,
  bodyParameters,
  listTemplates,
  removeTemplate,
  templateParams,
} from "../../src/store/templates.js";
import { createTenant, ValidationError } from "../../src/store/tenants.js";
import { createWallet } from "../../src/store/wallets.js";
import { DATABASES } from "./harness.js";

/** Asserts a pt-BR ValidationError whose message matches. */
async function refused(promise: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ValidationError, String(error));
    assert.match(error.message, message);
    return true;
  });
}

test("WhatsApp numbers: 10–13 digits, usual separators allowed", () => {
  assert.equal(whatsappNumberDigits("+55 (11) 98765-4321"), "5511987654321");
  assert.equal(whatsappNumberDigits("1133334444"), "1133334444");
  assert.equal(whatsappNumberDigits("123456789"), null);
  assert.equal(whatsappNumberDigits("55119876543210"), null);
  assert.equal(whatsappNumberDigits("11 9abc 4321"), null);
});

test("template parameters are read from {{n}}", () => {
  assert.deepEqual(bodyParameters("Olá {{1}}, pague {{ 2 }} até {{1}}"), [1, 2]);
  assert.deepEqual(bodyParameters("sem parâmetros"), []);
});

for (const database of DATABASES) {
  describe(`campaign settings on ${database.name}`, { skip: database.skip }, () => {
    test("senders: add, list, get, remove, with pt-BR refusals", async () => {
      const t = await database.open();
      try {
        const { db } = t.store;
        await createWallet(db, 1, { code: "BRAD" });
        const wa = await addSender(db, 1, {
          kind: "whatsapp",
          mode: "exclusivo",
          number: "(11) 98765-4321",
          wallet: "BRAD",
          ratePerSecond: 40,
        });
        assert.equal(wa.number, "11987654321");
        assert.equal(wa.wallet_code, "BRAD");
        assert.equal(wa.provider, "outbox");
        assert.equal(wa.rate_per_second, 40);
        const sms = await addSender(db, 1, { kind: "SMS", mode: "long", number: "rota-a" });
        assert.equal(sms.kind, "sms");
        assert.equal(sms.name, "rota-a");
        assert.equal(sms.wallet_id, null);

        await refused(
          addSender(db, 1, { kind: "whatsapp", mode: "exclusivo", number: "11987654321" }),
          /já está cadastrado/,
        );
        await refused(
          addSender(db, 1, { kind: "sms", mode: "long", number: "rota-a" }),
          /rota de SMS "rota-a" já está cadastrada/,
        );
        await refused(
          addSender(db, 1, { kind: "telegram", mode: "x", number: "1" }),
          /use whatsapp ou sms/,
        );
        await refused(
          addSender(db, 1, { kind: "whatsapp", mode: "long", number: "11987654321" }),
          /exclusivo, compartilhado ou prospect/,
        );
        await refused(
          addSender(db, 1, { kind: "sms", mode: "exclusivo", number: "r" }),
          /use long ou short/,
        );
        await refused(
          addSender(db, 1, { kind: "whatsapp", mode: "prospect", number: "12345" }),
          /de 10 a 13 dígitos/,
        );
        await refused(
          addSender(db, 1, { kind: "sms", mode: "short", number: "r2", wallet: "NADA" }),
          /A carteira "NADA" não existe/,
        );
        await refused(
          addSender(db, 1, { kind: "sms", mode: "short", number: "r2", ratePerSecond: 0 }),
          /maior que zero/,
        );

        assert.deepEqual(
          (await listSenders(db, 1)).map((s) => [s.kind, s.mode, s.number]),
          [
            ["sms", "long", "rota-a"],
            ["whatsapp", "exclusivo", "11987654321"],
          ],
        );
        assert.equal((await getSender(db, 1, wa.id))?.wallet_code, "BRAD");
        assert.equal(await removeSender(db, 1, sms.id), true);
        assert.equal(await removeSender(db, 1, sms.id), false);
        assert.equal(await getSender(db, 1, sms.id), null);
      } finally {
        await t.dispose();
      }
    });

    test("a sender, template or account used by a live campaign is not removed", async () => {
      const t = await database.open();
      try {
        const { db } = t.store;
        const sender = await addSender(db, 1, { kind: "sms", mode: "short", number: "curta" });
        const { template } = await addTemplate(db, 1, { name: "aviso", body: "Olá" });
        const { account } = await addEmailAccount(db, 1, { address: "a@exemplo.com.br" });
        const now = nowIso();
        const campaign = await db
          .insertInto("campaigns")
          .values({
            tenant_id: 1,
            channel: "sms",
            mode: "short",
            sender_id: sender.id,
            template_id: template.id,
            email_account_id: account.id,
            name: "c",
            start_at: now,
            state: "paused",
            created_at: now,
            updated_at: now,
          })
          .returning("id")
          .executeTakeFirstOrThrow();
        await refused(removeSender(db, 1, sender.id), /usado por uma campanha em andamento/);
        await refused(removeTemplate(db, 1, template.id), /usado por uma campanha/);
        await refused(removeEmailAccount(db, 1, account.id), /usada por uma campanha/);
        await db
          .updateTable("campaigns")
          .set({ state: "finished" })
          .where("id", "=", campaign.id)
          .execute();
        assert.equal(await removeSender(db, 1, sender.id), true);
        assert.equal(await removeTemplate(db, 1, template.id), true);
        assert.equal(await removeEmailAccount(db, 1, account.id), true);
      } finally {
        await t.dispose();
      }
    });

    test("templates: parameters match the body; one default per wallet", async () => {
      const t = await database.open();
      try {
        const { db } = t.store;
        await createWallet(db, 1, { code: "BRAD" });
        const first = await addTemplate(db, 1, {
          name: "cobranca",
          body: "Olá {{1}}, sua fatura vence em {{2}}.",
          params: ["NOME_CLIENTE", "[CORINGA1]"],
          wallet: "BRAD",
          isDefault: true,
        });
        assert.equal(first.template.language, "pt_BR");
        assert.deepEqual(templateParams(first.template), ["NOME_CLIENTE", "CORINGA1"]);
        assert.equal(first.template.is_default, 1);
        assert.equal(first.replacedDefault, null);
        const second = await addTemplate(db, 1, {
          name: "lembrete",
          language: "pt-BR",
          body: "Lembrete",
          wallet: "BRAD",
          isDefault: true,
        });
        assert.equal(second.replacedDefault, "cobranca");
        assert.equal(second.template.language, "pt_BR");
        const defaults = (await listTemplates(db, 1)).filter((x) => x.is_default === 1);
        assert.deepEqual(
          defaults.map((x) => x.name),
          ["lembrete"],
        );

        await refused(
          addTemplate(db, 1, { name: "x", body: "Olá {{1}} {{2}}", params: ["NOME_CLIENTE"] }),
          /usa 2 parâmetros .* foi informada 1 coluna/,
        );
        await refused(
          addTemplate(db, 1, { name: "x", body: "Olá {{2}}", params: ["A", "B"] }),
          /não \{\{1\}\}/,
        );
        await refused(
          addTemplate(db, 1, { name: "x", body: "Olá", params: ["A"] }),
          /não tem parâmetros/,
        );
        await refused(addTemplate(db, 1, { name: "x", body: "  " }), /texto do template/);
        await refused(addTemplate(db, 1, { name: "", body: "a" }), /nome do template/);
        await refused(
          addTemplate(db, 1, { name: "x", body: "a", language: "português" }),
          /Idioma/,
        );
        await refused(
          addTemplate(db, 1, { name: "x", body: "a", isDefault: true }),
          /informe a carteira com --wallet/,
        );
        await refused(
          addTemplate(db, 1, { name: "cobranca", body: "a", wallet: "BRAD" }),
          /Já existe o template "cobranca" na carteira BRAD/,
        );
        // The same name for every wallet is another template.
        await addTemplate(db, 1, { name: "cobranca", body: "a" });
      } finally {
        await t.dispose();
      }
    });

    test("e-mail accounts: one active per wallet, one platform default", async () => {
      const t = await database.open();
      try {
        const { db } = t.store;
        await createWallet(db, 1, { code: "BRAD" });
        const a = await addEmailAccount(db, 1, {
          address: "Cobranca@Exemplo.COM.br",
          displayName: "Cobrança",
          wallet: "BRAD",
          active: true,
          platformDefault: true,
        });
        assert.equal(a.account.address, "Cobranca@exemplo.com.br");
        assert.equal(a.account.active, 1);
        assert.equal(a.account.is_platform_default, 1);
        const b = await addEmailAccount(db, 1, {
          address: "outra@exemplo.com.br",
          wallet: "BRAD",
          active: true,
        });
        assert.equal(b.replacedActive, "Cobranca@exemplo.com.br");
        assert.equal(b.replacedPlatformDefault, null);
        const c = await addEmailAccount(db, 1, {
          address: "geral@exemplo.com.br",
          platformDefault: true,
        });
        assert.equal(c.replacedPlatformDefault, "Cobranca@exemplo.com.br");
        const listed = await listEmailAccounts(db, 1);
        assert.deepEqual(
          listed.map((x) => [x.address, x.active, x.is_platform_default]),
          [
            ["Cobranca@exemplo.com.br", 0, 0],
            ["geral@exemplo.com.br", 0, 1],
            ["outra@exemplo.com.br", 1, 0],
          ],
        );
        await refused(
          addEmailAccount(db, 1, { address: "cobranca@exemplo.com.br" }),
          /já está cadastrada/,
        );
        await refused(addEmailAccount(db, 1, { address: "sem-arroba" }), /inválido: e-mail sem @/);
        await refused(
          addEmailAccount(db, 1, { address: "x@exemplo.com.br", active: true }),
          /informe a carteira com --wallet/,
        );
        assert.equal((await getEmailAccount(db, 1, c.account.id))?.provider, "outbox");
      } finally {
        await t.dispose();
      }
    });

    test("each tenant sees and removes only its own", async () => {
      const t = await database.open();
      try {
        const { db } = t.store;
        const other = await createTenant(db, { name: "Loja" });
        await createWallet(db, 1, { code: "BRAD" });
        const s = await addSender(db, 1, { kind: "sms", mode: "long", number: "rota" });
        const tp = await addTemplate(db, 1, { name: "t", body: "a" });
        const ea = await addEmailAccount(db, 1, { address: "a@exemplo.com.br" });
        // The same values are free in another tenant.
        await addSender(db, other.id, { kind: "sms", mode: "long", number: "rota" });
        await addEmailAccount(db, other.id, { address: "a@exemplo.com.br" });
        // Another tenant's wallet is unknown here.
        await refused(
          addTemplate(db, other.id, { name: "t", body: "a", wallet: "BRAD" }),
          /não existe/,
        );
        assert.equal((await listSenders(db, other.id)).length, 1);
        assert.equal((await listTemplates(db, other.id)).length, 0);
        assert.equal(await getSender(db, other.id, s.id), null);
        assert.equal(await removeSender(db, other.id, s.id), false);
        assert.equal(await removeTemplate(db, other.id, tp.template.id), false);
        assert.equal(await removeEmailAccount(db, other.id, ea.account.id), false);
        assert.equal((await listSenders(db, 1)).length, 1);
        assert.equal((await listTemplates(db, 1)).length, 1);
        assert.equal((await listEmailAccounts(db, 1)).length, 1);
      } finally {
        await t.dispose();
      }
    });
  });
}
