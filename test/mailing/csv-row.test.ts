import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { CsvRowSplitter, CsvSplitter } from "../../src/mailing/csv.js";

interface Seen {
  fields: string[];
  lengths: number[];
  raw: string;
  line: number;
}

/** Splits with the offset API, reading every field through `get`, `length` and `equals`. */
function splitRows(chunks: string[], maxRowChars?: number): Seen[] {
  const rows: Seen[] = [];
  const splitter = new CsvRowSplitter(
    ";",
    (row, start, end, line) => {
      const fields: string[] = [];
      const lengths: number[] = [];
      for (let i = 0; i < row.count; i++) {
        const value = row.get(i);
        assert.ok(row.equals(i, value));
        assert.ok(!row.equals(i, `${value}x`));
        fields.push(value);
        lengths.push(row.length(i));
      }
      rows.push({ fields, lengths, raw: row.text.slice(start, end), line });
    },
    maxRowChars,
  );
  for (const c of chunks) splitter.push(c);
  splitter.end();
  return rows;
}

/** The same text in one piece through the string API: the reference. */
function reference(text: string, maxRowChars?: number): Omit<Seen, "lengths">[] {
  const rows: Omit<Seen, "lengths">[] = [];
  const splitter = new CsvSplitter(
    ";",
    (fields, count, t, start, end, line) => {
      rows.push({ fields: fields.slice(0, count), raw: t.slice(start, end), line });
    },
    maxRowChars,
  );
  splitter.push(text);
  splitter.end();
  return rows;
}

describe("CsvRowSplitter (field offsets)", () => {
  test("plain, quoted, escaped and quoted-then-text fields", () => {
    const rows = splitRows(['a;"b;c";"say ""hi""";"x"y; \r\n', '"multi\nline";""\n']);
    assert.deepEqual(
      rows.map((r) => r.fields),
      [
        ["a", "b;c", 'say "hi"', "xy", " "],
        ["multi\nline", ""],
      ],
    );
    assert.deepEqual(rows[0]?.lengths, [1, 3, 8, 2, 1]);
    assert.deepEqual(
      rows.map((r) => r.line),
      [1, 2],
    );
  });

  test("a row left over at a chunk boundary is finished with the next chunk's first line", () => {
    const rows = splitRows(["a;b\r\nc;d", "d;e\r\nf;g\r\n"]);
    assert.deepEqual(
      rows.map((r) => [r.fields, r.raw, r.line]),
      [
        [["a", "b"], "a;b", 1],
        [["c", "dd", "e"], "c;dd;e", 2],
        [["f", "g"], "f;g", 3],
      ],
    );
  });

  test("a quoted field open across a chunk boundary and past the next line break is not cut early", () => {
    // With a small limit, the first line of the second chunk alone looks like a long open quote.
    const text = 'x;"ab\ncd\nef";y\nz\n';
    const rows = splitRows(["x;", text.slice(2)], 5);
    assert.deepEqual(rows, splitRows([text], 5));
    assert.deepEqual(
      rows.map((r) => r.fields),
      [["x", "ab\ncd\nef", "y"], ["z"]],
    );
  });

  test("property: any chunking gives the rows of the whole text", () => {
    const piece = fc.constantFrom('"', '""', ";", "\n", "\r\n", "\r", "a", "bc", " ", "é");
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 60 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (pieces, points) => {
          const text = pieces.join("");
          const sorted = [...new Set(points.map((p) => p % (text.length + 1)))].sort(
            (a, b) => a - b,
          );
          const chunks: string[] = [];
          let last = 0;
          for (const p of sorted) {
            chunks.push(text.slice(last, p));
            last = p;
          }
          chunks.push(text.slice(last));
          const got = splitRows(chunks);
          assert.deepEqual(
            got.map(({ fields, raw, line }) => ({ fields, raw, line })),
            reference(text),
          );
          for (const r of got)
            assert.deepEqual(
              r.lengths,
              r.fields.map((f) => f.length),
            );
        },
      ),
      { numRuns: 2000 },
    );
  });
});
