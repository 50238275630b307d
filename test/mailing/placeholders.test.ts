import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { renderMessage, unknownPlaceholders } from "../../src/mailing/placeholders.js";
import { LONG_HEADER, longRow, readText } from "./helpers.js";

describe("MENSAGEM placeholders", () => {
  test("known columns are replaced with the row's values; unknown ones stay as written", async () => {
    const message = "Olá [nome_cliente], código [CODCLIENTE], [Coringa1] [promoção] [CORINGA2]";
    const { persons } = await readText(
      `${LONG_HEADER}\n${longRow({ value: "11987654321", name: "Ana", code: "77", coringa1: "R$ 10", message: `"${message}"` })}\n`,
    );
    const person = persons[0];
    assert.ok(person);
    assert.equal(person.message, message);
    assert.equal(renderMessage(message, person), "Olá Ana, código 77, R$ 10 [promoção] ");
  });

  test("unknownPlaceholders names the ones that match no header column", () => {
    const header = LONG_HEADER.split(";");
    assert.deepEqual(unknownPlaceholders("[NOME_CLIENTE] [NOME] [Coringa 5] [NOME]", header), [
      "[NOME]",
    ]);
  });
});
