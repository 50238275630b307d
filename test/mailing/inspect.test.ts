import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, test } from "node:test";
import { LONG_HEADER, longRow, tempFile } from "./helpers.js";

const BIN = join(import.meta.dirname, "..", "..", "bin", "remessa");

function inspect(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, "inspect", ...args], { encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("remessa inspect", () => {
  const file = tempFile(
    [
      LONG_HEADER,
      longRow({ value: "11987654321", code: "A" }),
      longRow({ value: "(11) 98765-4321", code: "A" }),
      longRow({ type: "EMAIL", value: "sair@lista.com", code: "B" }),
      longRow({ type: "EMAIL", value: "fica@lista.com", code: "C" }),
      longRow({ type: "FAX", value: "1", code: "D" }),
    ].join("\r\n"),
  );

  test("--json prints one object with the contract's fields; exit 0 when accepted", () => {
    const r = inspect("--json", file);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(out), [
      "ok",
      "errors",
      "encoding",
      "delimiter",
      "layout",
      "rows",
      "persons",
      "channels",
      "rejected",
      "rejectedRows",
      "droppedContacts",
      "blankedFields",
      "rejectionsTotal",
      "rejections",
    ]);
    assert.equal(out.ok, true);
    assert.equal(out.rows, 5);
    assert.deepEqual(out.channels, { mobile: 1, landline: 0, email: 2 });
    assert.deepEqual(out.rejected, { TIPO_INVALIDO: 1 });
    assert.equal(r.stderr, "");
  });

  test("--sanitize --restricted FILE removes duplicates and restricted contacts", () => {
    const list = tempFile("SAIR@lista.com\n\n+55 21 3333-4444\n", "txt");
    const r = inspect("--json", "--sanitize", "--restricted", list, file);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.rejected, { DUPLICADO: 1, RESTRITO: 1, TIPO_INVALIDO: 1 });
  });

  test("a refused file exits 1 with the errors; text output in pt-BR", () => {
    const bad = tempFile("NOME;CPF\nAna;1\n");
    const r = inspect(bad);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /COLUNAS_OBRIGATORIAS/);
    assert.match(r.stdout, /DESCARTADO/);
    const json = JSON.parse(inspect("--json", bad).stdout);
    assert.equal(json.errors[0].code, "COLUNAS_OBRIGATORIAS");
  });

  test("usage errors exit 2", () => {
    assert.equal(inspect().code, 2);
    assert.equal(inspect("--bogus", file).code, 2);
    assert.equal(inspect(tempFile("x", "xlsx")).code, 2);
    assert.equal(inspect("--restricted", "/nonexistent/list.txt", file).code, 2);
  });

  test("persons are distinct people, as the import counts them, in any row order", () => {
    const rows = [
      longRow({ value: "11987654321", code: "A" }),
      longRow({ value: "11912345678", code: "B" }),
      longRow({ type: "EMAIL", value: "a@lista.com", code: "A" }),
      longRow({ value: "11955554444", code: "C" }),
      longRow({ type: "EMAIL", value: "b@lista.com", code: "B" }),
      longRow({ value: "11911112222", code: "A" }),
    ];
    const apart = inspect("--json", tempFile([LONG_HEADER, ...rows].join("\r\n")));
    assert.equal(JSON.parse(apart.stdout).persons, 3, apart.stderr);
    const together = [0, 2, 5, 1, 4, 3].map((i) => rows[i]!);
    const ordered = inspect("--json", tempFile([LONG_HEADER, ...together].join("\r\n")));
    assert.equal(JSON.parse(ordered.stdout).persons, 3);
    const text = inspect(tempFile([LONG_HEADER, ...rows].join("\r\n")));
    assert.match(text.stdout, /Pessoas: 3\b/);
  });

  test("arbitrary bytes never crash inspect", () => {
    const junk = tempFile(Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256)));
    const r = inspect("--json", junk);
    assert.equal(r.code, 1);
    assert.equal(JSON.parse(r.stdout).ok, false);
  });
});
