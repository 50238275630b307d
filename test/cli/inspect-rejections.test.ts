/**
 * Issue 16 item 12: `inspect` lists the lines it would reject (the first 20, every one with
 * --all), and its counts say what they count: rows rejected, contacts dropped from kept rows,
 * fields blanked.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, test } from "node:test";
import { buildZip, LONG_HEADER, longRow, tempFile } from "../mailing/helpers.js";

const BIN = join(import.meta.dirname, "..", "..", "bin", "remessa");

function inspect(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, "inspect", ...args], { encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("remessa inspect: rejected lines and consistent counts", () => {
  test("one row per person: a bad phone beside a good e-mail is a contact dropped, not a row rejected", () => {
    const file = tempFile(
      ["NOME_CLIENTE;TELEFONE;EMAIL", "Ana;12;ana@exemplo.com.br", "Bia;11987654321;"].join("\n"),
    );
    const r = inspect(file);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Linhas aceitas: 2\n/);
    assert.match(r.stdout, /Linhas rejeitadas: 0/);
    assert.match(r.stdout, /Contatos descartados de linhas aceitas: 1 /);
    assert.match(
      r.stdout,
      /Linhas e contatos rejeitados, por motivo:\n {2}TELEFONE_INVALIDO[^\n]*: 1\n/,
    );
    assert.match(r.stdout, /cada contato inválido conta uma vez/);
    assert.match(
      r.stdout,
      /Linha 2: \[TELEFONE_INVALIDO\] TELEFONE: [^\n]+\n {4}conteúdo: Ana;12;ana@exemplo\.com\.br\n/,
    );
    const json = JSON.parse(inspect("--json", file).stdout);
    assert.equal(json.rejectedRows, 0);
    assert.equal(json.droppedContacts, 1);
    assert.deepEqual(json.rejected, { TELEFONE_INVALIDO: 1 });
    assert.deepEqual(
      json.rejections.map((x: { line: number; code: string }) => [x.line, x.code]),
      [[2, "TELEFONE_INVALIDO"]],
    );
  });

  test("the first 20 rejections by default, every one with --all; long rows cut", () => {
    const bad = Array.from({ length: 25 }, (_, i) =>
      longRow({ type: "FAX", value: "1", name: `${"x".repeat(300)}${i}` }),
    );
    const good = Array.from({ length: 30 }, (_, i) =>
      longRow({ value: `119876543${String(i).padStart(2, "0")}` }),
    );
    const file = tempFile([LONG_HEADER, ...good, ...bad].join("\n"));
    const r = inspect(file);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Linhas rejeitadas: 25 /);
    assert.match(r.stdout, /as 20 primeiras de 25 \(use --all para ver todas\)/);
    const listed = r.stdout.match(/^ {2}Linha \d+: \[TIPO_INVALIDO\]/gm) ?? [];
    assert.equal(listed.length, 20);
    assert.match(r.stdout, /^ {2}Linha 32: \[TIPO_INVALIDO\] TIPO_DE_REGISTRO "FAX" desconhecido/m);
    // The original row is shown cut, not its 300-character name whole.
    const content = r.stdout.match(/^ {4}conteúdo: (.*)$/m)?.[1] ?? "";
    assert.ok(content.length <= 160 && content.endsWith("..."), content);
    const all = inspect("--all", file);
    assert.equal((all.stdout.match(/^ {2}Linha \d+: /gm) ?? []).length, 25);
    assert.match(all.stdout, /\(25 ocorrências\)/);
    assert.match(all.stdout, /^ {2}Linha 56: /m);
  });

  test("a zip names the entry each rejected line comes from", async () => {
    const zip = await buildZip([
      { name: "a.csv", data: [LONG_HEADER, longRow({ value: "11987654321" })].join("\n") },
      {
        name: "b.csv",
        data: [LONG_HEADER, longRow({ value: "11987654322" }), longRow({ value: "12" })].join("\n"),
      },
    ]);
    const r = inspect(tempFile(zip, "zip"));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Linha 3 do arquivo "b\.csv": \[TELEFONE_INVALIDO\]/);
  });

  test("--sanitize says what sanitisation changed, by kind, 9th digits counted once per kept contact", () => {
    const file = tempFile(
      [
        "CODCLIENTE;TELEFONE;TELEFONE2;EMAIL",
        "A;1187650001;(11) 8765-0001;a@exemplo.com.br",
        "B;2087650002;2187650003;",
        "C;11987650004;;",
      ].join("\n"),
    );
    const r = inspect("--sanitize", file);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Higienização \(_h\): aplicada/);
    assert.match(r.stdout, /Celulares de 8 dígitos que ganharam o 9º dígito: 2\n/);
    assert.match(r.stdout, /Contatos repetidos retirados \(DUPLICADO\): 1\n/);
    assert.match(r.stdout, /Telefones com DDD inexistente \(DDD_INVALIDO\): 1\n/);
    assert.doesNotMatch(inspect(file).stdout, /Higienização/);
  });
});
