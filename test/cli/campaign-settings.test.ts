/** `remessa senders|templates|email-accounts`: success, pt-BR refusals and JSON shapes, on both databases. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DATABASES } from "../store/harness.js";
import { cliJson, runCli } from "./run-cli.js";

for (const database of DATABASES) {
  describe(`settings commands on ${database.name}`, { skip: database.skip }, () => {
    test("senders add, list, remove", async () => {
      const t = await database.open();
      try {
        const cli = (...args: string[]) => runCli(t.url, args);
        assert.equal((await cli("wallets", "add", "BRAD")).code, 0);
        const wa = (await cliJson(t.url, [
          "senders",
          "add",
          "--kind",
          "whatsapp",
          "--mode",
          "exclusivo",
          "--number",
          "+55 (11) 98765-4321",
          "--wallet",
          "BRAD",
          "--json",
        ])) as Record<string, unknown>;
        assert.deepEqual(Object.keys(wa), [
          "id",
          "kind",
          "mode",
          "name",
          "number",
          "wallet",
          "ratePerSecond",
          "provider",
          "messagingTier",
          "phoneNumberId",
          "enabled",
          "createdAt",
        ]);
        assert.equal(wa.number, "5511987654321");
        assert.equal(wa.wallet, "BRAD");
        assert.equal(wa.provider, "outbox");
        assert.equal(wa.enabled, true);

        const sms = await cli(
          "senders",
          "add",
          "--kind",
          "sms",
          "--mode",
          "short",
          "--route",
          "curta",
          "--rate",
          "50",
        );
        assert.equal(sms.code, 0, sms.stderr);
        assert.match(
          sms.stdout,
          /Remetente \d+ cadastrado: SMS short code: rota curta — todas as carteiras, 50 msg\/s, provedor outbox\./,
        );

        const human = await cli("senders", "list");
        assert.match(
          human.stdout,
          /WhatsApp exclusivo: 5511987654321 — carteira BRAD, 80 msg\/s \(padrão\)/,
        );
        const onlyBrad = (await cliJson(t.url, [
          "senders",
          "list",
          "--wallet",
          "BRAD",
          "--json",
        ])) as {
          number: string;
        }[];
        assert.deepEqual(
          onlyBrad.map((s) => s.number),
          ["5511987654321"],
        );

        // Refusals: usage (2) before the database, rules (1) in pt-BR.
        const noRoute = await cli(
          "senders",
          "add",
          "--kind",
          "sms",
          "--mode",
          "long",
          "--number",
          "1",
        );
        assert.equal(noRoute.code, 2);
        assert.match(noRoute.stderr, /Para SMS, informe a rota com --route/);
        const badNumber = await cli(
          "senders",
          "add",
          "--kind",
          "whatsapp",
          "--mode",
          "prospect",
          "--number",
          "123",
        );
        assert.equal(badNumber.code, 1);
        assert.match(badNumber.stderr, /de 10 a 13 dígitos/);
        const badRate = await cli(
          "senders",
          "add",
          "--kind",
          "sms",
          "--mode",
          "long",
          "--route",
          "r",
          "--rate",
          "rápido",
        );
        assert.equal(badRate.code, 2);
        assert.match(badRate.stderr, /--rate deve ser um número/);
        const noWallet = await cli(
          "senders",
          "add",
          "--kind",
          "sms",
          "--mode",
          "long",
          "--route",
          "r",
          "--wallet",
          "XX",
        );
        assert.equal(noWallet.code, 1);
        assert.match(noWallet.stderr, /A carteira "XX" não existe/);
        const unknownAction = await cli("senders", "edit");
        assert.equal(unknownAction.code, 2);
        assert.match(unknownAction.stderr, /Ação desconhecida: "edit"/);

        const removed = await cli("senders", "remove", String(wa.id));
        assert.equal(removed.code, 0, removed.stderr);
        assert.match(removed.stdout, /Remetente \d+ removido/);
        const again = await cli("senders", "remove", String(wa.id));
        assert.equal(again.code, 1);
        assert.match(again.stderr, /não existe/);
        assert.equal((await cli("senders", "remove", "abc")).code, 2);
      } finally {
        await t.dispose();
      }
    });

    test("templates add with parameters, default per wallet, list, remove", async () => {
      const t = await database.open();
      try {
        const cli = (...args: string[]) => runCli(t.url, args);
        assert.equal((await cli("wallets", "add", "BRAD")).code, 0);
        const added = (await cliJson(t.url, [
          "templates",
          "add",
          "--name",
          "cobranca",
          "--body",
          "Olá {{1}}, sua fatura de {{2}} está disponível.",
          "--param",
          "NOME_CLIENTE",
          "--param",
          "CORINGA1",
          "--wallet",
          "BRAD",
          "--default",
          "--json",
        ])) as Record<string, unknown>;
        assert.deepEqual(added, {
          id: added.id,
          name: "cobranca",
          language: "pt_BR",
          wallet: "BRAD",
          default: true,
          body: "Olá {{1}}, sua fatura de {{2}} está disponível.",
          params: ["NOME_CLIENTE", "CORINGA1"],
          createdAt: added.createdAt,
        });
        const second = await cli(
          "templates",
          "add",
          "--name",
          "novo",
          "--body",
          "Oi",
          "--wallet",
          "BRAD",
          "--default",
        );
        assert.equal(second.code, 0, second.stderr);
        assert.match(
          second.stdout,
          /O template "cobranca" deixou de ser o padrão da carteira BRAD\./,
        );

        const mismatch = await cli(
          "templates",
          "add",
          "--name",
          "x",
          "--body",
          "Olá {{1}} e {{2}}",
          "--param",
          "NOME_CLIENTE",
        );
        assert.equal(mismatch.code, 1);
        assert.match(mismatch.stderr, /O texto usa 2 parâmetros/);
        const noBody = await cli("templates", "add", "--name", "x");
        assert.equal(noBody.code, 2);
        assert.match(noBody.stderr, /Informe o nome e o texto/);

        const list = await cli("templates", "list");
        assert.match(
          list.stdout,
          /"cobranca" \(pt_BR\) — carteira BRAD; \{\{1\}\}=NOME_CLIENTE, \{\{2\}\}=CORINGA1/,
        );
        assert.match(list.stdout, /"novo" \(pt_BR\) — carteira BRAD \(padrão\); sem parâmetros/);
        assert.equal((await cli("templates", "remove", String(added.id))).code, 0);
        const listed = (await cliJson(t.url, ["templates", "list", "--json"])) as {
          name: string;
        }[];
        assert.deepEqual(
          listed.map((x) => x.name),
          ["novo"],
        );
      } finally {
        await t.dispose();
      }
    });

    test("email-accounts add, active per wallet, platform default, list, remove", async () => {
      const t = await database.open();
      try {
        const cli = (...args: string[]) => runCli(t.url, args);
        assert.equal((await cli("wallets", "add", "BRAD")).code, 0);
        const first = (await cliJson(t.url, [
          "email-accounts",
          "add",
          "--address",
          "cobranca@exemplo.com.br",
          "--display-name",
          "Cobrança",
          "--wallet",
          "BRAD",
          "--active",
          "--json",
        ])) as Record<string, unknown>;
        assert.deepEqual(first, {
          id: first.id,
          address: "cobranca@exemplo.com.br",
          displayName: "Cobrança",
          wallet: "BRAD",
          active: true,
          platformDefault: false,
          ratePerSecond: null,
          provider: "outbox",
          smtp: null,
          createdAt: first.createdAt,
        });
        const second = await cli(
          "email-accounts",
          "add",
          "--address",
          "nova@exemplo.com.br",
          "--wallet",
          "BRAD",
          "--active",
          "--platform-default",
        );
        assert.equal(second.code, 0, second.stderr);
        assert.match(
          second.stdout,
          /cobranca@exemplo.com.br deixou de ser a conta ativa da carteira BRAD/,
        );
        const dup = await cli("email-accounts", "add", "--address", "NOVA@exemplo.com.br");
        assert.equal(dup.code, 1);
        assert.match(dup.stderr, /já está cadastrada/);
        const bad = await cli("email-accounts", "add", "--address", "x@");
        assert.equal(bad.code, 1);
        assert.match(bad.stderr, /inválido/);
        const activeWithoutWallet = await cli(
          "email-accounts",
          "add",
          "--address",
          "y@exemplo.com.br",
          "--active",
        );
        assert.equal(activeWithoutWallet.code, 1);
        assert.match(activeWithoutWallet.stderr, /informe a carteira com --wallet/);
        const list = await cli("email-accounts", "list");
        assert.match(
          list.stdout,
          /nova@exemplo.com.br — ativa da carteira BRAD, padrão da plataforma, 20 msg\/s \(padrão\)/,
        );
        assert.equal((await cli("email-accounts", "remove", String(first.id))).code, 0);
        assert.equal(
          ((await cliJson(t.url, ["email-accounts", "list", "--json"])) as unknown[]).length,
          1,
        );
      } finally {
        await t.dispose();
      }
    });

    test("another tenant's settings are apart; an unknown tenant is refused", async () => {
      const t = await database.open();
      try {
        const cli = (...args: string[]) => runCli(t.url, args);
        assert.equal((await cli("tenants", "add", "Loja")).code, 0);
        assert.equal(
          (
            await cli(
              "senders",
              "add",
              "--kind",
              "sms",
              "--mode",
              "long",
              "--route",
              "r",
              "--tenant",
              "2",
            )
          ).code,
          0,
        );
        assert.deepEqual(await cliJson(t.url, ["senders", "list", "--json"]), []);
        const listed = (await cliJson(t.url, ["senders", "list", "--json", "--tenant", "2"])) as {
          id: number;
        }[];
        assert.equal(listed.length, 1);
        const notHere = await cli("senders", "remove", String(listed[0]?.id));
        assert.equal(notHere.code, 1);
        const unknown = await cli("templates", "list", "--tenant", "9");
        assert.equal(unknown.code, 1);
        assert.match(unknown.stderr, /A empresa 9 não existe/);
      } finally {
        await t.dispose();
      }
    });
  });
}
