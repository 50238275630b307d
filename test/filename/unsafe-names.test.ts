/**
 * Names remessa cannot keep or report safely (issue 17, items 4 and 19): a control character
 * (NOME_INVALIDO) and a name too long for its moved copy and reports (NOME_LONGO).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  escapeControls,
  FILE_NAME_MAX_BYTES,
  fitName,
  MAX_NAME_BYTES,
  movedBaseName,
  type ParseContext,
  parse,
} from "../../src/filename/index.js";
import { clashName, MAX_CLASH_ATTEMPTS } from "../../src/sources/paths.js";

const ctx: ParseContext = { folder: null, today: "2026-11-26", now: "2026-11-26T10:00" };
const BIN = fileURLToPath(new URL("../../bin/remessa", import.meta.url));
const bytes = (s: string) => Buffer.byteLength(s);

/** A valid name of exactly `size` UTF-8 bytes, its description padded with `pad`. */
function nameOfBytes(size: number, pad = "a"): string {
  const base = "mailing_261126_1_cBRAD_d.csv";
  let description = "";
  while (bytes(base) + bytes(description) + bytes(pad) <= size) description += pad;
  description += "a".repeat(size - bytes(base) - bytes(description));
  return `mailing_261126_1_cBRAD_d${description}.csv`;
}

describe("NOME_INVALIDO: control characters", () => {
  test("a line break in the description is refused, saying which character and where", () => {
    const r = parse("mailing_261126_1_cBRAD_dLinha1\nSituação: DESCARTADO.csv", ctx);
    assert.equal(r.ok, false);
    assert.equal(r.mailing, null);
    assert.deepEqual(
      r.errors.map((e) => e.code),
      ["NOME_INVALIDO"],
    );
    assert.match(r.errors[0]?.message ?? "", /\(\\n\) na posição 31/);
    assert.doesNotMatch(r.errors[0]?.message ?? "", /\n/);
  });

  test("every C0, DEL and C1 character is refused, shown as U+XXXX (or \\r, \\t)", () => {
    for (const [char, shown] of [
      ["\u0007", "U+0007"],
      ["\r", "\\r"],
      ["\t", "\\t"],
      ["\u0000", "U+0000"],
      ["\u001b", "U+001B"],
      ["\u007f", "U+007F"],
      ["\u0085", "U+0085"],
      ["\u009f", "U+009F"],
    ] as const) {
      const r = parse(`mailing_261126_1_cBRAD_dA${char}B${char}.csv`, ctx);
      assert.deepEqual(
        r.errors.map((e) => e.code),
        ["NOME_INVALIDO"],
        shown,
      );
      assert.ok(r.errors[0]?.message.includes(`(${shown}) na posição 26 e mais 1 outro`), shown);
    }
    // Not control characters: accents, NBSP, emoji.
    assert.equal(parse("mailing_261126_1_cBRAD_dAção\u00a0😀.csv", ctx).ok, true);
  });

  test("escapeControls makes one visible line of any text", () => {
    assert.equal(escapeControls("a\nb\r\n\tc\u0007\u0085"), "a\\nb\\r\\n\\tcU+0007U+0085");
    assert.equal(escapeControls("sem controle"), "sem controle");
  });
});

describe("NOME_LONGO: the name, its clash suffix and its longest report must fit in 255 bytes", () => {
  test("the limit follows from 255 bytes, the longest report suffix and the longest clash suffix", () => {
    assert.equal(MAX_NAME_BYTES, 234);
    const longest = nameOfBytes(MAX_NAME_BYTES);
    assert.ok(bytes(`${clashName(longest, MAX_CLASH_ATTEMPTS)}.rejeitados.csv`) <= 255);
    assert.ok(
      bytes(`${clashName(nameOfBytes(MAX_NAME_BYTES + 1), MAX_CLASH_ATTEMPTS)}.rejeitados.csv`) >
        255,
    );
  });

  test("a name at the limit passes; one byte more is refused with both lengths", () => {
    assert.equal(parse(nameOfBytes(MAX_NAME_BYTES), ctx).ok, true);
    const r = parse(nameOfBytes(MAX_NAME_BYTES + 1), ctx);
    assert.deepEqual(
      r.errors.map((e) => e.code),
      ["NOME_LONGO"],
    );
    assert.match(r.errors[0]?.message ?? "", /O nome tem 235 bytes e o limite é 234/);
  });

  test("counted in UTF-8 bytes: 120 'ç' are 240 bytes", () => {
    const name = nameOfBytes(MAX_NAME_BYTES + 6, "ç");
    assert.ok(name.length < MAX_NAME_BYTES);
    assert.deepEqual(
      parse(name, ctx).errors.map((e) => e.code),
      ["NOME_LONGO"],
    );
  });

  test("a name with both problems gets both codes, and only those", () => {
    const r = parse(`relatorio\n${"x".repeat(300)}.pdf`, ctx);
    assert.deepEqual(
      r.errors.map((e) => e.code),
      ["NOME_INVALIDO", "NOME_LONGO"],
    );
  });

  test("fitName shortens a name for what must still be written, keeping it distinct", () => {
    const a = `mailing_261126_1_d${"é".repeat(200)}a.csv`;
    const b = `mailing_261126_1_d${"é".repeat(200)}b.csv`;
    for (const room of [0, ".erro.txt".length, 6 + ".erro.txt".length]) {
      const fa = fitName(a, room);
      assert.ok(bytes(fa) + room <= FILE_NAME_MAX_BYTES, `${bytes(fa)} + ${room}`);
      assert.ok(fa.endsWith(".csv"));
      assert.notEqual(fa, fitName(b, room));
      assert.equal(fitName(fa, room), fa);
    }
    assert.equal(fitName("mailing_261126_1.csv", 15), "mailing_261126_1.csv");
  });
});

describe("check-name shows the new codes", () => {
  const checkName = (name: string) =>
    spawnSync(BIN, ["check-name", "--today", "2026-11-26", "--now", "2026-11-26T10:00", name], {
      encoding: "utf8",
    });

  test("NOME_INVALIDO, with the name shown on one line", () => {
    const r = checkName("mailing_261126_1_cBRAD_dLinha1\nSituação: DESCARTADO.csv");
    assert.equal(r.status, 1);
    assert.match(r.stdout, /\[NOME_INVALIDO\]/);
    assert.match(
      r.stdout,
      /^Nome inválido: mailing_261126_1_cBRAD_dLinha1\\nSituação: DESCARTADO\.csv$/m,
    );
    assert.doesNotMatch(r.stdout, /^Situação: DESCARTADO/m);
  });

  test("NOME_LONGO", () => {
    const r = checkName(nameOfBytes(300));
    assert.equal(r.status, 1);
    assert.match(r.stdout, /\[NOME_LONGO\] O nome tem 300 bytes e o limite é 234/);
  });
});

describe("movedBaseName: what the pipeline moves a refused name to", () => {
  test("unchanged for every name the grammar accepts (at the limit too)", () => {
    for (const name of ["mailing_261126_1.csv", nameOfBytes(MAX_NAME_BYTES, "ç")])
      assert.equal(movedBaseName(name), name);
  });

  test("a NOME_LONGO or NOME_INVALIDO name: no control character, and reports fit with any clash", () => {
    for (const name of [
      nameOfBytes(255),
      nameOfBytes(250, "é"),
      "mailing_261126_1_dA\nB\u0085.csv",
    ]) {
      const moved = movedBaseName(name);
      assert.doesNotMatch(moved, /\p{Cc}/u);
      assert.ok(bytes(`${clashName(moved, MAX_CLASH_ATTEMPTS)}.rejeitados.csv`) <= 255, name);
      assert.equal(movedBaseName(moved), moved);
    }
    assert.equal(movedBaseName("mailing_261126_1_dA\nB.csv"), "mailing_261126_1_dA-B.csv");
  });
});
