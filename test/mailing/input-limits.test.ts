/**
 * One file must not wedge the reader (issue 17, item 5): a line longer than the record limit ends
 * the file with LINHA_LONGA as soon as the limit is passed, and a row with more columns than the
 * limit is rejected (COLUNAS_DEMAIS) without its field offsets growing past the limit. The two
 * big-file tests run the reader in a child process and check its peak RSS.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { closeSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import {
  CsvRowSplitter,
  LineTooLongError,
  MAX_COLUMNS,
  MAX_RECORD_CHARS,
  TOO_MANY_COLUMNS,
} from "../../src/mailing/csv.js";
import { buildZip, LONG_HEADER, longRow, readAll, readText, tempFile } from "./helpers.js";

const ROOT = join(import.meta.dirname, "..", "..");
const MiB = 1 << 20;

describe("CsvRowSplitter limits", () => {
  test("a line without a line break throws once the limit is passed, never buffering much more", () => {
    const splitter = new CsvRowSplitter(";", () => {}, 1000);
    splitter.push("a;b\n");
    let pushed = 0;
    const piece = "x".repeat(100);
    assert.throws(
      () => {
        for (;;) {
          splitter.push(piece);
          pushed += piece.length;
          assert.ok(pushed <= 1100, "kept buffering past the limit");
        }
      },
      (e: unknown) => e instanceof LineTooLongError && e.line === 2 && e.limit === 1000,
    );
  });

  test("a complete line over the limit throws too, quoted or not; one at the limit passes", () => {
    for (const line of ["y".repeat(1001), `"${"y".repeat(1000)}"`]) {
      const splitter = new CsvRowSplitter(";", () => {}, 1000);
      assert.throws(() => splitter.push(`a\n${line}\nb\n`), LineTooLongError);
    }
    const rows: number[] = [];
    const splitter = new CsvRowSplitter(";", (row) => rows.push(row.count), 1000);
    splitter.push(`a\n${"y;".repeat(500)}\nb\n`);
    splitter.end();
    assert.deepEqual(rows, [1, 501, 1]);
  });

  test("a row with more fields than the limit comes out as TOO_MANY_COLUMNS; the offsets stop growing", () => {
    const seen: { count: number; line: number }[] = [];
    let capacity = 0;
    const splitter = new CsvRowSplitter(
      ";",
      (row, _s, _e, line) => {
        seen.push({ count: row.count, line });
        capacity = Math.max(capacity, row.starts.length);
      },
      MAX_RECORD_CHARS,
      100,
    );
    splitter.push(`a;b\n${";".repeat(100)}\n${";".repeat(99)}\n"q";${"x;".repeat(200)}"z"\nc;d\n`);
    splitter.end();
    assert.deepEqual(seen, [
      { count: 2, line: 1 },
      { count: TOO_MANY_COLUMNS, line: 2 },
      { count: 100, line: 3 },
      { count: TOO_MANY_COLUMNS, line: 4 },
      { count: 2, line: 5 },
    ]);
    assert.ok(capacity <= 100, `offsets grew to ${capacity}`);
  });
});

describe("readMailing limits", () => {
  test("a data line over 1 Mi characters discards the file (LINHA_LONGA) with its line number", async () => {
    const rows = [
      LONG_HEADER,
      longRow({ value: "21987654321" }),
      longRow({ value: "21987654322" }),
    ];
    const long = `TELEFONE;21987654323;${"a".repeat(MAX_RECORD_CHARS)}`;
    for (const tail of ["", "\n", `\n${longRow({ value: "21987654324" })}\n`]) {
      const { summary } = await readText(`\n${rows.join("\n")}\n${long}${tail}`);
      assert.equal(summary.ok, false);
      assert.deepEqual(
        summary.errors.map((e) => e.code),
        ["LINHA_LONGA"],
      );
      // A blank line before the header: the long line is the file's 5th.
      assert.match(
        summary.errors[0]?.message ?? "",
        /^A linha 5 tem mais de 1\.048\.576 caracteres/,
      );
    }
  });

  test("in a zip, LINHA_LONGA names the entry", async () => {
    const zip = await buildZip([
      { name: "a.csv", data: `${LONG_HEADER}\n${longRow({ value: "21987654321" })}\n` },
      {
        name: "b.csv",
        data: `${LONG_HEADER}\n${"b".repeat(MAX_RECORD_CHARS + 1)}`,
        compress: false,
      },
    ]);
    const { summary } = await readAll(tempFile(zip, "zip"));
    assert.deepEqual(
      summary.errors.map((e) => e.code),
      ["LINHA_LONGA"],
    );
    assert.match(summary.errors[0]?.message ?? "", /^No arquivo "b\.csv", a linha 2 tem mais de/);
  });

  test("a row with more than 16,384 columns is rejected (COLUNAS_DEMAIS) with its line", async () => {
    const text = [
      LONG_HEADER,
      longRow({ value: "21987654321" }),
      `TELEFONE;21987654322${";".repeat(MAX_COLUMNS)}`,
      longRow({ value: "21987654323" }),
      longRow({ value: "21987654324" }),
    ].join("\r\n");
    const { summary, rejected } = await readText(text);
    assert.equal(summary.ok, true);
    assert.deepEqual(summary.rejected, { COLUNAS_DEMAIS: 1 });
    assert.equal(rejected[0]?.line, 3);
    assert.match(rejected[0]?.message ?? "", /mais de 16\.384 colunas/);
    assert.ok((rejected[0]?.raw.length ?? 0) <= 4000);
    // Trailing empty columns up to the limit are still Excel's harmless padding.
    const padded = `${LONG_HEADER}\n${longRow({ value: "21987654321" })}${";".repeat(MAX_COLUMNS - 13)}\n`;
    assert.equal((await readText(padded)).summary.rejectedRows, 0);
  });

  test("a header with more than 16,384 columns discards the file (COLUNAS_DEMAIS)", async () => {
    const header = `TIPO_DE_REGISTRO;VALOR_DO_REGISTRO${";X".repeat(MAX_COLUMNS)}`;
    const { summary } = await readText(`${header}\nTELEFONE;21987654321\n`);
    assert.deepEqual(
      summary.errors.map((e) => e.code),
      ["COLUNAS_DEMAIS"],
    );
  });
});

/** Writes a header, ten good rows, then `body` (generated in 1 MiB pieces), then `tail`. */
function bigFile(piece: string, pieces: number, tail: string): string {
  const path = tempFile("");
  const fd = openSync(path, "w");
  try {
    writeSync(fd, `${LONG_HEADER}\n`);
    for (let i = 0; i < 10; i++) writeSync(fd, `${longRow({ value: `2198765432${i}` })}\n`);
    writeSync(fd, "TELEFONE;21987654329;");
    const chunk = piece.repeat(Math.ceil(MiB / piece.length));
    for (let i = 0; i < pieces; i++) writeSync(fd, chunk);
    writeSync(fd, tail);
  } finally {
    closeSync(fd);
  }
  return path;
}

/** `rows` rows of one person each, with a MENSAGEM of `chars` characters (and `extra` at the end). */
function longMessages(rows: number, chars: number, extra = ""): string {
  const path = tempFile("");
  const fd = openSync(path, "w");
  try {
    writeSync(fd, "TIPO_DE_REGISTRO;VALOR_DO_REGISTRO;MENSAGEM;CODCLIENTE\n");
    const message = "m".repeat(chars);
    for (let i = 0; i < rows; i++)
      writeSync(fd, `TELEFONE;119${String(10_000_000 + i)};${message};C${i}${extra}\n`);
  } finally {
    closeSync(fd);
  }
  return path;
}

/** Reads `path` in a child process; its error codes and peak RSS (MB). Time is for benchmarks, not tests. */
function readInChild(path: string): { codes: string[]; rssMb: number } {
  const script = `
    import { readMailing } from "./src/mailing/reader.ts";
    const reader = readMailing(${JSON.stringify(path)}, { extension: "csv", sanitize: false });
    let r = await reader.next();
    while (!r.done) r = await reader.next();
    console.log(JSON.stringify({
      codes: r.value.errors.map((e) => e.code),
      rssMb: process.resourceUsage().maxRSS / 1024,
    }));`;
  const child = spawnSync(
    process.execPath,
    ["--import", "tsx", "--input-type=module", "-e", script],
    {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 60_000,
    },
  );
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout);
}

describe("readMailing: batches of long rows", () => {
  test("a chunk is yielded once its rows reach 4 Mi characters, not only at 256 people", async () => {
    const { summary, chunks } = await readAll(longMessages(40, 1_000_000));
    assert.equal(summary.persons, 40);
    assert.ok(chunks >= 8, `${chunks} chunks`);
  });

  test("rejected rows cut chunks by size too (each keeps a slice holding its whole row)", async () => {
    const { summary, chunks } = await readAll(longMessages(40, 1_000_000, ";sobra"));
    assert.equal(summary.rejectedRows, 40);
    assert.ok(chunks >= 8, `${chunks} chunks`);
  });
});

describe("readMailing memory on hostile lines (child process, peak RSS)", () => {
  test("256 rows of 1 MB each (a long MENSAGEM): peak RSS under 300 MB", () => {
    // Before chunks were cut by size: the 256 people of a batch held 256 MB, ~440 MB of RSS.
    const result = readInChild(longMessages(256, 1_000_000));
    assert.deepEqual(result.codes, []);
    assert.ok(result.rssMb < 300, `peak RSS ${result.rssMb.toFixed(0)} MB`);
  });

  test("256 rejected rows of 1 MB each (one column too many): peak RSS under 300 MB", () => {
    // Before rejections cut chunks by size: ~500 MB of RSS.
    const result = readInChild(longMessages(256, 1_000_000, ";sobra"));
    assert.ok(result.rssMb < 300, `peak RSS ${result.rssMb.toFixed(0)} MB`);
  });

  test("64 MB without a line break: LINHA_LONGA, peak RSS under 300 MB", () => {
    // Before the limit: ~20 s and ~900 MB of RSS for 64 MB (2.9 GB for 500 MB).
    const result = readInChild(bigFile("a", 64, ""));
    assert.deepEqual(result.codes, ["LINHA_LONGA"]);
    assert.ok(result.rssMb < 300, `peak RSS ${result.rssMb.toFixed(0)} MB`);
  });

  test("a 20 MB line of 10M columns: refused, peak RSS under 300 MB", () => {
    // Before the limit: ~560 MB of RSS.
    const result = readInChild(bigFile("a;", 20, `\n${longRow({ value: "21987654320" })}\n`));
    assert.deepEqual(result.codes, ["LINHA_LONGA"]);
    assert.ok(result.rssMb < 300, `peak RSS ${result.rssMb.toFixed(0)} MB`);
  });
});
