/**
 * `templates test` on the Cloud API: the template read from the WhatsApp
 * Business Account's message_templates edge of the fake (real format, Graph
 * paging) and compared with the mapping; each mismatch one pt-BR line.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import type { CloudApiSender } from "../../src/channels/cloud-api.js";
import { checkCloudApiTemplate } from "../../src/channels/cloud-api-templates.js";
import { parseTemplateMapping } from "../../src/store/template-mapping.js";
import { FakeCloudApi, type FakeNumber, type FakeTemplate } from "./fake-cloud-api.js";

const WABA = "102290129340398";
const NUMBER: FakeNumber = {
  phoneNumberId: "106540352242922",
  token: `EAAG${randomBytes(24).toString("hex")}`,
  displayPhoneNumber: "+55 11 99999-0000",
  businessAccountId: WABA,
};

/** Header text with {{1}}, body with {{1}} {{2}}, a quick reply and a URL button with {{1}}. */
const BOLETO: FakeTemplate = {
  name: "boleto",
  language: "pt_BR",
  status: "APPROVED",
  category: "UTILITY",
  components: [
    {
      type: "HEADER",
      format: "TEXT",
      text: "Fatura de {{1}}",
      example: { header_text: ["dezembro"] },
    },
    {
      type: "BODY",
      text: "Olá {{1}}, sua fatura de {{2}} está disponível.",
      example: { body_text: [["Maria", "R$ 10,00"]] },
    },
    { type: "FOOTER", text: "Não responda" },
    {
      type: "BUTTONS",
      buttons: [
        { type: "QUICK_REPLY", text: "Já paguei" },
        {
          type: "URL",
          text: "2ª via",
          url: "https://pague.example.com/{{1}}",
          example: ["https://pague.example.com/abc"],
        },
      ],
    },
  ],
};

const templates: FakeTemplate[] = [
  // Names containing "boleto" come first: the client must page and pick the exact one.
  ...Array.from(
    { length: 120 },
    (_, i): FakeTemplate => ({
      name: `boleto_antigo_${i}`,
      language: "pt_BR",
      status: "APPROVED",
      components: [{ type: "BODY", text: "x" }],
    }),
  ),
  BOLETO,
  { ...BOLETO, language: "en_US" },
  {
    name: "pdf",
    language: "pt_BR",
    status: "PENDING",
    components: [
      { type: "HEADER", format: "DOCUMENT", example: { header_handle: ["4::aW=="] } },
      { type: "BODY", text: "Segue seu boleto, {{1}}." },
    ],
  },
];

describe("Cloud API template check", () => {
  let fake: FakeCloudApi;
  let sender: CloudApiSender;

  before(async () => {
    fake = await new FakeCloudApi({ numbers: [NUMBER], templates: { [WABA]: templates } }).start();
    sender = {
      senderId: 1,
      phoneNumberId: NUMBER.phoneNumberId,
      token: NUMBER.token,
      baseUrl: fake.baseUrl,
      apiVersion: "v21.0",
      businessAccountId: WABA,
    };
  });
  after(() => fake.stop());

  const boletoMapping = () =>
    parseTemplateMapping(["NOME_CLIENTE", "CORINGA1", "header:1=MES", "button:1=CODIGO"]);

  test("ok: exists in the language, APPROVED, the same parameters per component (found past the first page)", async () => {
    const before = fake.templateLookups.length;
    const check = await checkCloudApiTemplate(
      sender,
      { name: "boleto", language: "pt_BR" },
      boletoMapping(),
    );
    assert.deepEqual(check.problems, []);
    assert.equal(check.ok, true);
    assert.match(check.message, /Template "boleto" \(pt_BR\) aprovado na Meta/);
    const lookups = fake.templateLookups.slice(before);
    assert.ok(lookups.length >= 2, "followed paging.next");
    assert.equal(lookups[0]?.account, WABA);
    assert.match(lookups[0]?.query ?? "", /name=boleto/);
  });

  test("each component whose parameter count differs is one pt-BR line", async () => {
    const check = await checkCloudApiTemplate(
      sender,
      { name: "boleto", language: "pt_BR" },
      parseTemplateMapping(["NOME_CLIENTE", "button:0=CODIGO"]),
    );
    assert.equal(check.ok, false);
    assert.deepEqual(check.problems, [
      "O cabeçalho na Meta tem 1 parâmetro, mas o mapeamento preenche 0 (use --param header:1=COLUNA).",
      "O texto na Meta tem 2 parâmetros, mas o mapeamento preenche 1.",
      'O botão 0 ("Já paguei") na Meta não tem URL com parâmetro, mas o mapeamento o preenche (button:0=CODIGO); para o payload da resposta rápida use button:0:quick_reply=CODIGO.',
      'O botão 1 ("2ª via") na Meta tem URL com parâmetro, mas o mapeamento não o preenche (use --param button:1=COLUNA).',
    ]);
    assert.match(check.message, /4 problemas na Meta/);
  });

  test("a button the template does not have, and a header the template does not have", async () => {
    const check = await checkCloudApiTemplate(
      sender,
      { name: "boleto", language: "pt_BR" },
      parseTemplateMapping([
        "NOME_CLIENTE",
        "CORINGA1",
        "header:image=LINK",
        "button:1=CODIGO",
        "button:5=X",
      ]),
    );
    assert.deepEqual(check.problems, [
      "O cabeçalho na Meta é de texto, mas o mapeamento dá a ele imagem (header:image=LINK).",
      "O template na Meta não tem o botão 5, mas o mapeamento o preenche (button:5=X).",
    ]);
  });

  test("a quick-reply payload needs a QUICK_REPLY button at that position", async () => {
    const ok = await checkCloudApiTemplate(
      sender,
      { name: "boleto", language: "pt_BR" },
      parseTemplateMapping([
        "NOME_CLIENTE",
        "CORINGA1",
        "header:1=MES",
        "button:0:quick_reply=ACORDO",
        "button:1=CODIGO",
      ]),
    );
    assert.deepEqual(ok.problems, []);
    const wrong = await checkCloudApiTemplate(
      sender,
      { name: "boleto", language: "pt_BR" },
      parseTemplateMapping([
        "NOME_CLIENTE",
        "CORINGA1",
        "header:1=MES",
        "button:1:quick_reply=ACORDO",
        "button:4:quick_reply=SAIR",
      ]),
    );
    assert.deepEqual(wrong.problems, [
      'O botão 1 ("2ª via") na Meta não é de resposta rápida (QUICK_REPLY, é URL), mas o mapeamento dá a ele um payload (button:1:quick_reply=ACORDO).',
      "O template na Meta não tem o botão 4, mas o mapeamento o preenche (button:4:quick_reply=SAIR).",
    ]);
  });

  test("not APPROVED, and a media header the mapping fills as text", async () => {
    const check = await checkCloudApiTemplate(
      sender,
      { name: "pdf", language: "pt_BR" },
      parseTemplateMapping(["NOME_CLIENTE", "header:1=X"]),
    );
    assert.deepEqual(check.problems, [
      "O template está em análise pela Meta (não APPROVED): a Meta recusa as mensagens até ele ser aprovado.",
      "O cabeçalho na Meta é documento: o mapeamento precisa de --param header:document=COLUNA (a coluna com o link do arquivo), não texto.",
    ]);
    const right = await checkCloudApiTemplate(
      sender,
      { name: "pdf", language: "pt_BR" },
      parseTemplateMapping(["NOME_CLIENTE", "header:document=LINK"]),
    );
    assert.equal(right.problems.length, 1, "only the status is left");
  });

  test("missing: unknown name, or the name in another language only", async () => {
    const missing = await checkCloudApiTemplate(
      sender,
      { name: "boleto_novo", language: "pt_BR" },
      boletoMapping(),
    );
    assert.equal(missing.ok, false);
    assert.match(
      missing.message,
      /O template "boleto_novo" não existe na conta do WhatsApp Business/,
    );
    const language = await checkCloudApiTemplate(
      sender,
      { name: "boleto", language: "es" },
      boletoMapping(),
    );
    assert.match(language.message, /existe na conta .*, mas não no idioma es \(há pt_BR, en_US\)/);
  });

  test("no WABA registered, an unknown WABA, a refused token, an unreachable API: pt-BR, token never shown", async () => {
    const noWaba = await checkCloudApiTemplate(
      { ...sender, businessAccountId: null },
      { name: "boleto", language: "pt_BR" },
      boletoMapping(),
    );
    assert.match(noWaba.message, /não tem a conta do WhatsApp Business \(WABA\) cadastrada/);
    const unknown = await checkCloudApiTemplate(
      { ...sender, businessAccountId: "999999" },
      { name: "boleto", language: "pt_BR" },
      boletoMapping(),
    );
    assert.match(unknown.message, /não conhece a conta do WhatsApp Business 999999/);
    const badToken = await checkCloudApiTemplate(
      { ...sender, token: "errado" },
      { name: "boleto", language: "pt_BR" },
      boletoMapping(),
    );
    assert.match(badToken.message, /recusou o token/);
    assert.doesNotMatch(badToken.message, /errado/);
    const down = await checkCloudApiTemplate(
      { ...sender, baseUrl: "http://127.0.0.1:1" },
      { name: "boleto", language: "pt_BR" },
      boletoMapping(),
    );
    assert.match(down.message, /Não foi possível falar com a Cloud API/);
  });
});
