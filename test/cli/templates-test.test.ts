/**
 * `remessa templates add` with header and button parameters, and
 * `templates test`: on the Cloud API (the fake's message_templates edge of
 * the sender's WABA) or, without a Cloud API number, a local render with a
 * sample row; pt-BR verdicts and the exit code, on both databases.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { addSender } from "../../src/store/senders.js";
import { FakeCloudApi, type FakeNumber } from "../channels/fake-cloud-api.js";
import { DATABASES } from "../store/harness.js";
import { cliJson, runCli } from "./run-cli.js";

process.env.REMESSA_SECRET_KEY ??= randomBytes(32).toString("base64");

const WABA = "2233445566";
const NUMBER: FakeNumber = {
  phoneNumberId: "1234567890123",
  token: `EAAG${randomBytes(20).toString("hex")}`,
  displayPhoneNumber: "+55 11 98765-4321",
  businessAccountId: WABA,
};

/** A second number of the same account (a phone-number id is registered once). */
const SECOND: FakeNumber = { ...NUMBER, phoneNumberId: "1234567890999" };

describe("remessa templates test", () => {
  let fake: FakeCloudApi;
  before(async () => {
    fake = await new FakeCloudApi({
      numbers: [NUMBER, SECOND],
      templates: {
        [WABA]: [
          {
            name: "boleto",
            language: "pt_BR",
            status: "APPROVED",
            components: [
              { type: "HEADER", format: "IMAGE", example: { header_handle: ["4::x"] } },
              { type: "BODY", text: "Olá {{1}}, vence em {{2}}." },
              {
                type: "BUTTONS",
                buttons: [{ type: "URL", text: "Pagar", url: "https://p.example.com/{{1}}" }],
              },
            ],
          },
        ],
      },
    }).start();
  });
  after(() => fake.stop());

  for (const database of DATABASES) {
    test(`templates with header/button parameters; test on the Cloud API and locally (${database.name})`, {
      skip: database.skip,
    }, async () => {
      const t = await database.open();
      try {
        const cli = (...args: string[]) => runCli(t.url, args);
        const added = (await cliJson(t.url, [
          "templates",
          "add",
          "--name",
          "boleto",
          "--body",
          "Olá {{1}}, vence em {{2}}.",
          "--param",
          "NOME_CLIENTE",
          "--param",
          "button:0=CODIGO",
          "--param",
          "CORINGA2",
          "--param",
          "header:image=[LINK_BOLETO]",
          "--json",
        ])) as { id: number; params: string[] };
        assert.deepEqual(added.params, [
          "NOME_CLIENTE",
          "CORINGA2",
          "header:image=LINK_BOLETO",
          "button:0=CODIGO",
        ]);
        const listed = await cli("templates", "list");
        assert.match(
          listed.stdout,
          /\{\{1\}\}=NOME_CLIENTE, \{\{2\}\}=CORINGA2, cabeçalho image=LINK_BOLETO, botão 0=CODIGO/,
        );
        const wrong = await cli(
          "templates",
          "add",
          "--name",
          "x",
          "--body",
          "Oi {{1}}",
          "--param",
          "A",
          "--param",
          "header:3=B",
        );
        assert.equal(wrong.code, 1);
        assert.match(wrong.stderr, /um só parâmetro, \{\{1\}\}/);

        // No Cloud API number: a local render with a sample row.
        const local = await cli("templates", "test", String(added.id));
        assert.equal(local.code, 1, "LINK_BOLETO and CODIGO are no standard columns");
        assert.match(
          local.stderr,
          /Com uma linha de exemplo: Olá Maria da Silva, vence em 10\/12\/2026\./,
        );
        assert.match(local.stderr, /A coluna LINK_BOLETO do mapeamento não é uma coluna padrão/);
        assert.match(local.stderr, /A coluna CODIGO do mapeamento não é uma coluna padrão/);
        const sms = (await cliJson(t.url, [
          "templates",
          "add",
          "--name",
          "aviso",
          "--body",
          "[NOME_CLIENTE], sua fatura de [CORINGA1] vence em [VENCIMENTO].",
          "--json",
        ])) as { id: number };
        const smsTest = await cli("templates", "test", String(sms.id), "--json");
        assert.equal(smsTest.code, 1);
        assert.deepEqual(JSON.parse(smsTest.stdout), {
          id: sms.id,
          ok: false,
          provider: "local",
          sender: null,
          message: 'Template "aviso": 1 marcador sem coluna.',
          problems: [
            "O marcador [VENCIMENTO] não é coluna do mailing: fica escrito assim na mensagem, a não ser que o arquivo tenha uma coluna VENCIMENTO.",
          ],
          preview: "Maria da Silva, sua fatura de R$ 150,00 vence em [VENCIMENTO].",
        });
        const clean = (await cliJson(t.url, [
          "templates",
          "add",
          "--name",
          "limpo",
          "--body",
          "[NOME_CLIENTE], {{1}}",
          "--param",
          "CORINGA1",
          "--json",
        ])) as { id: number };
        const cleanTest = await cli("templates", "test", String(clean.id));
        assert.equal(cleanTest.code, 0, cleanTest.stderr);
        assert.match(cleanTest.stdout, /todos os marcadores e parâmetros têm coluna/);

        // A Cloud API number without its WABA: said in pt-BR; --business-account supplies it.
        const sender = await addSender(t.store.db, 1, {
          kind: "whatsapp",
          mode: "compartilhado",
          number: "5511987654321",
          provider: "cloudapi",
          phoneNumberId: NUMBER.phoneNumberId,
          token: NUMBER.token,
          baseUrl: fake.baseUrl,
        });
        const noWaba = await cli("templates", "test", String(added.id));
        assert.equal(noWaba.code, 1);
        assert.match(noWaba.stderr, /Cloud API, remetente \d+\): O remetente \d+ não tem a conta/);
        const ok = await cli(
          "templates",
          "test",
          String(added.id),
          "--business-account",
          WABA,
          "--json",
        );
        assert.equal(ok.code, 0, ok.stdout + ok.stderr);
        assert.deepEqual(JSON.parse(ok.stdout), {
          id: added.id,
          ok: true,
          provider: "cloudapi",
          sender: Number(sender.id),
          message:
            'Template "boleto" (pt_BR) aprovado na Meta, com os parâmetros que o mapeamento preenche.',
          problems: [],
        });
        assert.doesNotMatch(ok.stdout, new RegExp(NUMBER.token));

        // Registered with its WABA: the mismatch of the mapping, one line each.
        const withWaba = await addSender(t.store.db, 1, {
          kind: "whatsapp",
          mode: "prospect",
          number: "5511912345678",
          provider: "cloudapi",
          phoneNumberId: SECOND.phoneNumberId,
          token: NUMBER.token,
          baseUrl: fake.baseUrl,
          businessAccountId: WABA,
        });
        // Same name in a wallet, with only one body parameter mapped.
        assert.equal((await cli("wallets", "add", "BRAD")).code, 0);
        const bodyOnly = (await cliJson(t.url, [
          "templates",
          "add",
          "--name",
          "boleto",
          "--wallet",
          "BRAD",
          "--body",
          "Olá {{1}}",
          "--param",
          "NOME_CLIENTE",
          "--json",
        ])) as { id: number };
        const bad = await cli(
          "templates",
          "test",
          String(bodyOnly.id),
          "--sender",
          String(withWaba.id),
        );
        assert.equal(bad.code, 1);
        assert.equal(
          bad.stderr,
          [
            `Template ${bodyOnly.id} (Cloud API, remetente ${withWaba.id}): Template "boleto" (pt_BR): 3 problemas na Meta.`,
            "  - O cabeçalho na Meta é imagem: o mapeamento precisa de --param header:image=COLUNA (a coluna com o link do arquivo).",
            "  - O texto na Meta tem 2 parâmetros, mas o mapeamento preenche 1.",
            '  - O botão 0 ("Pagar") na Meta tem URL com parâmetro, mas o mapeamento não o preenche (use --param button:0=COLUNA).',
            "",
          ].join("\n"),
        );
        const unknownSender = await cli("templates", "test", String(added.id), "--sender", "999");
        assert.equal(unknownSender.code, 1);
        assert.match(unknownSender.stderr, /O remetente 999 não existe/);
      } finally {
        await t.dispose();
      }
    });
  }
});
