/** A template's column mapping: the stored flat list, header/button prefixes, filling with a person's values. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { templateRequest } from "../../src/channels/cloud-api.js";
import {
  describeTemplateMapping,
  fillTemplate,
  mappingColumns,
  parseTemplateMapping,
  serializeTemplateMapping,
  storedTemplateMapping,
} from "../../src/store/template-mapping.js";
import { ValidationError } from "../../src/store/tenants.js";
import { message } from "./contract.js";

test("a stored flat list (installations before headers and buttons) reads as body parameters", () => {
  assert.deepEqual(storedTemplateMapping(["NOME_CLIENTE", "CORINGA1"]), {
    body: ["NOME_CLIENTE", "CORINGA1"],
    header: null,
    buttons: [],
  });
  assert.deepEqual(serializeTemplateMapping(storedTemplateMapping(["NOME_CLIENTE"])), [
    "NOME_CLIENTE",
  ]);
});

test("prefixed entries target the header (text or media) and URL buttons; body:n is stored plain", () => {
  const mapping = parseTemplateMapping([
    "button:1=CODIGO",
    "body:2=CORINGA1",
    "header:1=[MES]",
    "body:1=NOME_CLIENTE",
  ]);
  assert.deepEqual(mapping, {
    body: ["NOME_CLIENTE", "CORINGA1"],
    header: { kind: "text", columns: ["MES"] },
    buttons: [{ index: 1, column: "CODIGO" }],
  });
  assert.deepEqual(serializeTemplateMapping(mapping), [
    "NOME_CLIENTE",
    "CORINGA1",
    "header:1=MES",
    "button:1=CODIGO",
  ]);
  assert.deepEqual(parseTemplateMapping(["HEADER:Image=LINK_BOLETO"]).header, {
    kind: "image",
    column: "LINK_BOLETO",
  });
  assert.deepEqual(mappingColumns(mapping).sort(), ["CODIGO", "CORINGA1", "MES", "NOME_CLIENTE"]);
});

test("quick-reply buttons: button:N:quick_reply=COL; button:N=COL and button:N:url=COL stay URL buttons, stored as before", () => {
  const mapping = parseTemplateMapping([
    "NOME",
    "button:0:quick_reply=ACORDO",
    "BUTTON:1 : URL = CODIGO",
    "button:2:QUICK_REPLY=[SAIR]",
  ]);
  assert.deepEqual(mapping.buttons, [
    { index: 0, column: "ACORDO", kind: "quick_reply" },
    { index: 1, column: "CODIGO" },
    { index: 2, column: "SAIR", kind: "quick_reply" },
  ]);
  assert.deepEqual(serializeTemplateMapping(mapping), [
    "NOME",
    "button:0:quick_reply=ACORDO",
    "button:1=CODIGO",
    "button:2:quick_reply=SAIR",
  ]);
  assert.deepEqual(parseTemplateMapping(serializeTemplateMapping(mapping)), mapping);
  assert.equal(
    describeTemplateMapping(mapping),
    "{{1}}=NOME, botão 0 (resposta rápida)=ACORDO, botão 1=CODIGO, botão 2 (resposta rápida)=SAIR",
  );
  assert.deepEqual(mappingColumns(mapping).sort(), ["ACORDO", "CODIGO", "NOME", "SAIR"]);
  const values: Record<string, string> = { NOME: "Ana", ACORDO: "ac-1", CODIGO: "x", SAIR: "SAIR" };
  assert.deepEqual(
    fillTemplate(
      { name: "t", language: "pt_BR", params: serializeTemplateMapping(mapping) },
      (c) => values[c] ?? "",
    ),
    {
      name: "t",
      language: "pt_BR",
      params: ["Ana"],
      buttons: [
        { index: 0, param: "ac-1", type: "quick_reply" },
        { index: 1, param: "x" },
        { index: 2, param: "SAIR", type: "quick_reply" },
      ],
    },
  );
  // Meta refuses a quick reply without a payload: the message fails in pt-BR.
  assert.match(
    fillTemplate(
      { name: "t", language: "pt_BR", params: ["button:0:quick_reply=VAZIA"] },
      () => " ",
    ) as string,
    /A coluna VAZIA está vazia: o botão 0 \(resposta rápida\) do template "t" precisa do payload/,
  );
});

test("malformed mappings are refused in pt-BR", () => {
  const refused = (entries: string[], pattern: RegExp) =>
    assert.throws(
      () => parseTemplateMapping(entries),
      (e: unknown) => e instanceof ValidationError && pattern.test(e.message),
    );
  refused(["header:2=X"], /um só parâmetro, \{\{1\}\}/);
  refused(["header:1=X", "header:image=Y"], /um só cabeçalho/);
  refused(["header:image=X", "header:video=Y"], /já tem mídia/);
  refused(["button:10=X"], /de 0 a 9/);
  refused(["button:0=X", "button:0=Y"], /mais de uma vez/);
  refused(["button:0=X", "button:0:quick_reply=Y"], /button:0 foi informado mais de uma vez/);
  refused(["button:0:copy_code=X"], /tipo de botão "copy_code" desconhecido; use button:0=COLUNA/);
  refused(["button:0:=X"], /tipo de botão "" desconhecido/);
  refused(["button:x:quick_reply=X"], /de 0 a 9/);
  refused(["button:1:quick_reply="], /nome de uma coluna/);
  refused(["NOME", "body:1=X"], /não misturados/);
  refused(["body:2=X"], /Falta body:1/);
  refused(["body:0=X"], /começa em 1/);
  refused(["button:0="], /nome de uma coluna/);
  refused(["---"], /Cada --param deve ser o nome de uma coluna/);
});

test("filled with a person's values; an empty or non-http media link fails the message in pt-BR", () => {
  const values: Record<string, string> = {
    NOME: "Maria",
    MES: "dezembro",
    CODIGO: "abc",
    LINK: "https://x.example/b.pdf",
  };
  const columnValue = (c: string) => values[c] ?? "";
  const filled = fillTemplate(
    { name: "t", language: "pt_BR", params: ["NOME", "header:1=MES", "button:0=CODIGO"] },
    columnValue,
  );
  assert.deepEqual(filled, {
    name: "t",
    language: "pt_BR",
    params: ["Maria"],
    header: { type: "text", params: ["dezembro"] },
    buttons: [{ index: 0, param: "abc" }],
  });
  const media = fillTemplate(
    { name: "t", language: "pt_BR", params: ["header:document=LINK"] },
    columnValue,
  );
  assert.deepEqual(media, {
    name: "t",
    language: "pt_BR",
    params: [],
    header: { type: "document", link: "https://x.example/b.pdf" },
  });
  assert.match(
    fillTemplate(
      { name: "t", language: "pt_BR", params: ["header:image=VAZIA"] },
      columnValue,
    ) as string,
    /A coluna VAZIA está vazia: o cabeçalho \(image\) do template "t" precisa do link/,
  );
  assert.match(
    fillTemplate(
      { name: "t", language: "pt_BR", params: ["header:image=NOME"] },
      columnValue,
    ) as string,
    /não tem um link http\(s\)/,
  );
  // The legacy shape still builds the body-only request.
  const legacy = fillTemplate({ name: "t", language: "pt_BR", params: ["NOME"] }, columnValue);
  assert.ok(typeof legacy !== "string");
  const request = templateRequest(message("whatsapp", "cloudapi", { template: legacy }));
  assert.deepEqual((request.template as Record<string, unknown>).components, [
    { type: "body", parameters: [{ type: "text", text: "Maria" }] },
  ]);
});
