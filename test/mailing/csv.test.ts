import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { CsvSplitter, detectDelimiter } from "../../src/mailing/csv.js";

interface Row {
  fields: string[];
  raw: string;
  line: number;
}

function split(chunks: string[], delimiter = ";", maxRowChars?: number): Row[] {
  const rows: Row[] = [];
  const splitter = new CsvSplitter(
    delimiter,
    (fields, count, text, start, end, line) => {
      rows.push({ fields: fields.slice(0, count), raw: text.slice(start, end), line });
    },
    maxRowChars,
  );
  for (const c of chunks) splitter.push(c);
  splitter.end();
  return rows;
}

/** Cuts a text into chunks at the given positions. */
function cut(text: string, points: number[]): string[] {
  const sorted = [...new Set(points.map((p) => p % (text.length + 1)))].sort((a, b) => a - b);
  const out: string[] = [];
  let last = 0;
  for (const p of sorted) {
    out.push(text.slice(last, p));
    last = p;
  }
  out.push(text.slice(last));
  return out;
}

const quoteField = (f: string) =>
  /[;"\r\n]/.test(f) || f === "" ? `"${f.replace(/"/g, '""')}"` : f;

describe("CsvSplitter", () => {
  test("plain rows, CRLF and LF, last row without newline", () => {
    const rows = split(["a;b;c\r\nd;e;f\ng;h;i"]);
    assert.deepEqual(
      rows.map((r) => [r.fields, r.line]),
      [
        [["a", "b", "c"], 1],
        [["d", "e", "f"], 2],
        [["g", "h", "i"], 3],
      ],
    );
  });

  test("quoted fields with delimiters, doubled quotes and line breaks", () => {
    const rows = split(['a;"b;1";"say ""hi"""\r\n"multi\r\nline";x\r\nlast;row\r\n']);
    assert.deepEqual(rows[0]?.fields, ["a", "b;1", 'say "hi"']);
    assert.deepEqual(rows[1]?.fields, ["multi\r\nline", "x"]);
    assert.equal(rows[1]?.raw, '"multi\r\nline";x');
    assert.equal(rows[2]?.line, 4);
  });

  test("sloppy quotes: a quote inside an unquoted field is literal; text after a closing quote is kept", () => {
    const rows = split(['12" tela;ok\n"abc"def;x\n']);
    assert.deepEqual(rows[0]?.fields, ['12" tela', "ok"]);
    assert.deepEqual(rows[1]?.fields, ["abcdef", "x"]);
  });

  test("an unclosed quote is cut at its line break once the row passes the limit", () => {
    const body = `a;"open\n${"x;y\n".repeat(100)}`;
    const rows = split([body], ";", 50);
    assert.equal(rows[0]?.fields.length, 0);
    assert.equal(rows[0]?.raw, 'a;"open');
    assert.deepEqual(rows[1]?.fields, ["x", "y"]);
    assert.equal(rows[1]?.line, 2);
  });

  test("one-column file: linear, one field per row", () => {
    const rows = split(["a\nb\nc\n"]);
    assert.deepEqual(
      rows.map((r) => r.fields),
      [["a"], ["b"], ["c"]],
    );
  });

  test("property: quoting then splitting gives back the fields, however the text is chunked", () => {
    const field = fc.string({
      unit: fc.constantFrom("a", "b", ";", '"', "\n", "\r\n", " ", "ç", "1"),
    });
    const table = fc.array(fc.array(field, { minLength: 1, maxLength: 5 }), {
      minLength: 1,
      maxLength: 8,
    });
    fc.assert(
      fc.property(table, fc.array(fc.nat(), { maxLength: 6 }), (rows, points) => {
        // A row of one empty field would be written as "" and read back as one empty field.
        const text = `${rows.map((r) => r.map(quoteField).join(";")).join("\r\n")}\r\n`;
        const got = split(cut(text, points));
        assert.deepEqual(
          got.map((r) => r.fields),
          rows,
        );
      }),
      { numRuns: 300 },
    );
  });

  test("property: physical line numbers add up", () => {
    const field = fc.string({ unit: fc.constantFrom("a", "\n", ";") });
    fc.assert(
      fc.property(
        fc.array(fc.array(field, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 6 }),
        (rows) => {
          const lines = rows.map((r) => r.map(quoteField).join(";"));
          const text = `${lines.join("\n")}\n`;
          const got = split([text]);
          let expected = 1;
          got.forEach((r, i) => {
            assert.equal(r.line, expected);
            expected += 1 + ((lines[i] as string).match(/\n/g)?.length ?? 0);
          });
        },
      ),
    );
  });
});

describe("detectDelimiter", () => {
  test("most frequent outside quotes; ; by default", () => {
    assert.equal(detectDelimiter("a;b;c"), ";");
    assert.equal(detectDelimiter("a,b,c"), ",");
    assert.equal(detectDelimiter('"a;b",c,d'), ",");
    assert.equal(detectDelimiter("a\tb"), "\t");
    assert.equal(detectDelimiter("a|b|c"), "|");
    assert.equal(detectDelimiter("abc"), ";");
  });
});
