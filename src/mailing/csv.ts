/**
 * Streaming CSV splitter over decoded text chunks (RFC 4180 quoting, CRLF or LF).
 *
 * Built for throughput: rows without quotes (the vast majority) are split with `indexOf` on the
 * delimiter, and the positions of the next quote and next delimiter are cached so each character
 * is scanned a bounded number of times even for one-column files. Rows holding a quote find their
 * unquoted fields the same way; only quoted fields look for their closing quote.
 *
 * Fields are not copied out of the chunk text: `CsvRowSplitter` hands over a reused `CsvRow` of
 * field offsets, and the consumer materializes (slices) only the fields it keeps. `CsvSplitter`
 * is the convenience form that hands over an array of field strings.
 *
 * Lenient where spreadsheets are sloppy: a quote inside an unquoted field is literal, and text
 * after a closing quote is appended to the field. A quote that is never closed would otherwise
 * swallow the rest of the file; once a row passes `maxRowChars` it is cut at its first line break
 * and reported as broken, so memory stays bounded.
 *
 * Memory is bounded whatever the input: a physical line longer than `maxRowChars` throws
 * `LineTooLongError` as soon as that many characters of it are buffered (never more), and a row
 * with more than `maxColumns` fields is handed over with `count === TOO_MANY_COLUMNS` after its
 * field offsets stopped growing at the cap.
 */

/**
 * Longest physical line (and longest unclosed quoted record) the reader buffers, in characters of
 * decoded text (each at least one byte of the file, at most two bytes of memory). The longest
 * legitimate row is a few kilobytes (CORINGA5 holds 3000 characters, a MENSAGEM with an HTML
 * e-mail body some tens of kilobytes); 1 Mi characters leaves a wide margin while a row, its
 * field offsets and its copy in a rejection stay within a few MB. A longer line is a corrupt
 * export or an attack (one 500 MB line without a line break took the process to 2.9 GB).
 */
export const MAX_RECORD_CHARS = 1 << 20;

/**
 * Most fields in one row: Excel's own column limit (XFD = 16,384), so no spreadsheet export,
 * even one with thousands of trailing empty columns, reaches it; the field offsets of a row then
 * take at most 16,384 × 13 bytes (213 kB). A 20 MB line of 10M empty fields grew them to
 * hundreds of MB.
 */
export const MAX_COLUMNS = 16_384;

/** `CsvRow.count` of a row that has more than `maxColumns` fields (its fields are not kept). */
export const TOO_MANY_COLUMNS = -1;

/** Thrown by `push`/`end` when a physical line passes `maxRowChars`: the reader stops there. */
export class LineTooLongError extends Error {
  constructor(
    /** 1-based physical line where the long line starts. */
    readonly line: number,
    readonly limit: number,
  ) {
    super(`line ${line} is longer than ${limit} characters`);
  }
}

/**
 * One row. `fields[0..count)` are valid only during the call. `text.slice(start, end)` is the row
 * as read, without its line break. `line` is the 1-based physical line where the row starts.
 * `count` is 0 for a broken row (unterminated quote or a row longer than the limit), and
 * `TOO_MANY_COLUMNS` for a row with more fields than the limit.
 */
export type RowSink = (
  fields: string[],
  count: number,
  text: string,
  start: number,
  end: number,
  line: number,
) => void;

/** Like `RowSink`, with the fields as offsets into `row.text` (valid only during the call). */
export type RowViewSink = (row: CsvRow, start: number, end: number, line: number) => void;

const QUOTE = 34;
const CR = 13;
const NEED_MORE = -1;

/** Field value is `text.slice(start, end)`. */
const PLAIN = 0;
/** `CsvRow.kinds` value of a field that is exactly `text.slice(start, end)`. */
export const FIELD_PLAIN = PLAIN;
/** Field value is `text.slice(start, end)` with every `""` read as `"` (a quoted field). */
const ESCAPED = 1;
/** Field value is held in `values` (a quoted field followed by text). */
const HELD = 2;

/**
 * The fields of the current row as offsets into `text`. Reused between rows: read what is needed
 * during the sink call, and copy (`get`) what is kept.
 */
export class CsvRow {
  text = "";
  count = 0;
  starts = new Int32Array(32);
  ends = new Int32Array(32);
  /** Where field `i` begins in `text` as written (its opening quote, if quoted). */
  rawStarts = new Int32Array(32);
  kinds = new Uint8Array(32);
  readonly values: string[] = [];
  /** The last escaped field read, as written and unescaped (see `get`). */
  private escapedRaw = "";
  private escapedValue = "";

  /** The value of field `i` as a string. */
  get(i: number): string {
    const kind = this.kinds[i];
    if (kind === PLAIN) return this.text.slice(this.starts[i], this.ends[i]);
    if (kind === ESCAPED) {
      // Quoted fields with `""` are mostly a message template repeated row after row: comparing
      // with the last one read costs a fifth of unescaping it again (and the records share it).
      const raw = this.text.slice(this.starts[i], this.ends[i]);
      if (raw !== this.escapedRaw) {
        this.escapedRaw = raw;
        this.escapedValue = raw.replace(/""/g, '"');
      }
      return this.escapedValue;
    }
    return this.values[i] as string;
  }

  /** Length of the value of field `i`. */
  length(i: number): number {
    return this.kinds[i] === PLAIN
      ? (this.ends[i] as number) - (this.starts[i] as number)
      : this.get(i).length;
  }

  /** Whether field `i` reads exactly `value`. */
  equals(i: number, value: string): boolean {
    if (this.kinds[i] !== PLAIN) return this.get(i) === value;
    const start = this.starts[i] as number;
    const end = this.ends[i] as number;
    return end - start === value.length && this.text.slice(start, end) === value;
  }

  /** Makes room for `count` fields, doubling, but never past `limit` (when it is at least `count`). */
  grow(count: number, limit = Number.POSITIVE_INFINITY): void {
    if (count <= this.starts.length) return;
    let size = this.starts.length;
    while (size < count) size *= 2;
    this.resize(Math.min(size, Math.max(count, limit)));
  }

  /** Sets room for exactly `size` fields, keeping the first ones. */
  resize(size: number): void {
    const keep = Math.min(size, this.starts.length);
    const starts = new Int32Array(size);
    starts.set(this.starts.subarray(0, keep));
    const ends = new Int32Array(size);
    ends.set(this.ends.subarray(0, keep));
    const rawStarts = new Int32Array(size);
    rawStarts.set(this.rawStarts.subarray(0, keep));
    const kinds = new Uint8Array(size);
    kinds.set(this.kinds.subarray(0, keep));
    this.starts = starts;
    this.ends = ends;
    this.rawStarts = rawStarts;
    this.kinds = kinds;
  }
}

export class CsvRowSplitter {
  private rest = "";
  private line = 1;
  private readonly row = new CsvRow();
  private skipToNewline = false;
  private readonly delimiter: string;
  /**
   * The delimiter's char code when it is one character (always, for a mailing), else -1. An empty
   * field (a delimiter right where the field starts) is found by comparing it, without an indexOf
   * call: mailings have many (";;;;"), and the call costs several times the comparison.
   */
  private readonly delimiterCode: number;
  /** Set when the row being split has more than `maxColumns` fields. */
  private overflow = false;

  constructor(
    delimiter: string,
    private readonly onRow: RowViewSink,
    private readonly maxRowChars = MAX_RECORD_CHARS,
    private readonly maxColumns = MAX_COLUMNS,
  ) {
    this.delimiter = delimiter;
    this.delimiterCode = delimiter.length === 1 ? delimiter.charCodeAt(0) : -1;
    // `put` checks the limit only when the row's arrays are full: they never outgrow it.
    if (maxColumns < this.row.starts.length) this.row.resize(Math.max(1, maxColumns));
  }

  /** The 1-based line number where the next row will start. */
  get nextLine(): number {
    return this.line;
  }

  push(chunk: string): void {
    let s = chunk;
    if (this.skipToNewline) {
      const nl = s.indexOf("\n");
      if (nl < 0) return;
      s = s.slice(nl + 1);
      this.line++;
      this.skipToNewline = false;
    }
    let from = 0;
    const rest = this.rest;
    this.rest = "";
    if (rest.length > 0) {
      // Finish the row left over from the previous chunk with this chunk's first line, so that
      // the chunk text itself is scanned as is, not copied into a concatenation.
      const nl = s.indexOf("\n");
      if (nl < 0) {
        s = rest + s;
      } else {
        const head = rest + s.slice(0, nl + 1);
        // No cut for a long row here: the rest of the chunk may still close its quote.
        const p = this.scan(head, 0, false, false);
        if (p === head.length) from = nl + 1;
        else s = head.slice(p) + s.slice(nl + 1); // a quoted field goes on past that line
      }
    }
    const p = this.scan(s, from, false, true);
    this.rest = p < s.length ? s.slice(p) : "";
    // What is left is one unfinished row. Without a line break in it, it is one physical line
    // still going: past the limit, stop before buffering more of it. (With a line break, it is a
    // quoted field spanning lines, which `scan` cuts once it passes the limit.)
    if (this.rest.length > this.maxRowChars && this.rest.indexOf("\n") < 0)
      throw new LineTooLongError(this.line, this.maxRowChars);
  }

  end(): void {
    const s = this.rest;
    this.rest = "";
    if (s.length > 0 && !this.skipToNewline) this.scan(s, 0, true, true);
    this.skipToNewline = false;
  }

  /** Sets field `i` of the row (growing it when needed, up to `maxColumns`). */
  private put(i: number, rawStart: number, start: number, end: number, kind: number): void {
    const row = this.row;
    if (i >= row.starts.length) {
      if (i >= this.maxColumns) {
        this.overflow = true;
        return;
      }
      row.grow(i + 1, this.maxColumns);
    }
    row.rawStarts[i] = rawStart;
    row.starts[i] = start;
    row.ends[i] = end;
    row.kinds[i] = kind;
  }

  /** The `count` to hand over for a row of `count` fields (and the overflow flag reset). */
  private countOf(count: number): number {
    if (!this.overflow) return count;
    this.overflow = false;
    return TOO_MANY_COLUMNS;
  }

  /**
   * Emits every complete row of `s` from `from` on; returns where the unfinished remainder starts.
   * `mayCut`: whether an unfinished row longer than `maxRowChars` is cut (see the class comment).
   */
  private scan(s: string, from: number, final: boolean, mayCut: boolean): number {
    const n = s.length;
    const delim = this.delimiter;
    const delimCode = this.delimiterCode;
    const row = this.row;
    row.text = s;
    let p = from;
    let nextQuote = -2; // -2 = not looked up yet, -1 = none left in s
    let nextDelim = -2;
    while (p < n) {
      let nl = s.indexOf("\n", p);
      if (nl < 0) {
        if (!final) break;
        nl = n;
      }
      if (nextQuote !== -1 && nextQuote < p) nextQuote = s.indexOf('"', p);
      if (nextQuote === -1 || nextQuote > nl) {
        // Fast path: no quote in this row.
        const end = nl > p && s.charCodeAt(nl - 1) === CR ? nl - 1 : nl;
        let count = 0;
        let a = p;
        for (;;) {
          if (nextDelim !== -1 && nextDelim < a)
            nextDelim = s.charCodeAt(a) === delimCode ? a : s.indexOf(delim, a);
          if (nextDelim === -1 || nextDelim >= end) {
            this.put(count++, a, a, end, PLAIN);
            break;
          }
          this.put(count++, a, a, nextDelim, PLAIN);
          a = nextDelim + 1;
        }
        if (end - p > this.maxRowChars) throw new LineTooLongError(this.line, this.maxRowChars);
        row.count = this.countOf(count);
        this.onRow(row, p, end, this.line);
        this.line++;
        p = nl + 1;
        continue;
      }
      const next = this.quotedRow(s, p, nl, final);
      if (next === NEED_MORE) {
        if (!mayCut || n - p <= this.maxRowChars) break;
        // An unterminated quote (or a giant row): cut at the first line break and move on.
        const end = Math.min(nl, n);
        this.overflow = false;
        row.count = 0;
        this.onRow(row, p, end > p && s.charCodeAt(end - 1) === CR ? end - 1 : end, this.line);
        if (nl < n) {
          this.line++;
          p = nl + 1;
          nextQuote = -2;
          nextDelim = -2;
          continue;
        }
        this.skipToNewline = true;
        return n;
      }
      p = next;
      nextQuote = -2;
      nextDelim = -2;
    }
    return p;
  }

  /**
   * Parses one row that holds a quote; returns the index after its line break, or NEED_MORE.
   * `nl` is the row's first line break (`s.length` when there is none and `final`). Unquoted
   * fields are found with `indexOf` like in the fast path; only quoted fields look for quotes.
   */
  private quotedRow(s: string, p: number, nl: number, final: boolean): number {
    const n = s.length;
    const delim = this.delimiter;
    const delimCode = this.delimiterCode;
    const row = this.row;
    let count = 0;
    let i = p;
    let newlines = 0;
    let lineEnd = nl; // the line break that ends the row unless a quoted field spans it
    let nextDelim = -2;
    for (;;) {
      let t: number; // where the field ends: a delimiter, the line break, or n
      if (i < n && s.charCodeAt(i) === QUOTE) {
        const open = i + 1;
        let close: number; // the closing quote, or n when unterminated at the end of the file
        let escaped = false;
        let j = open;
        for (;;) {
          const k = s.indexOf('"', j);
          if (k < 0) {
            if (!final) return NEED_MORE;
            close = n; // unterminated at end of file: take the rest
            newlines += countNewlines(s, i, n);
            i = n;
            lineEnd = n;
            break;
          }
          if (k + 1 >= n && !final) return NEED_MORE; // cannot tell `"` from `""` yet
          if (s.charCodeAt(k + 1) === QUOTE) {
            escaped = true;
            j = k + 2;
            continue;
          }
          close = k;
          if (k > lineEnd) {
            newlines += countNewlines(s, i, k);
            lineEnd = s.indexOf("\n", k);
            if (lineEnd < 0) lineEnd = n;
          }
          i = k + 1;
          break;
        }
        // Text between the closing quote and the next delimiter / line break is kept.
        if (nextDelim !== -1 && nextDelim < i)
          nextDelim = s.charCodeAt(i) === delimCode ? i : s.indexOf(delim, i);
        t = nextDelim === -1 || nextDelim > lineEnd ? lineEnd : nextDelim;
        if (t >= n && !final) return NEED_MORE;
        let tailEnd = t;
        if (tailEnd > i && s.charCodeAt(tailEnd - 1) === CR && t === lineEnd) tailEnd--;
        if (tailEnd > i) {
          const inner = s.slice(open, close);
          this.put(count, open - 1, open, close, HELD);
          if (count < this.maxColumns)
            row.values[count] = (escaped ? inner.replace(/""/g, '"') : inner) + s.slice(i, tailEnd);
          count++;
        } else {
          this.put(count++, open - 1, open, close, escaped ? ESCAPED : PLAIN);
        }
      } else {
        if (nextDelim !== -1 && nextDelim < i)
          nextDelim = s.charCodeAt(i) === delimCode ? i : s.indexOf(delim, i);
        t = nextDelim === -1 || nextDelim > lineEnd ? lineEnd : nextDelim;
        if (t >= n && !final) return NEED_MORE;
        let vEnd = t;
        if (vEnd > i && s.charCodeAt(vEnd - 1) === CR && t === lineEnd) vEnd--;
        this.put(count++, i, i, vEnd, PLAIN);
      }
      if (t < lineEnd) {
        i = t + 1; // a delimiter
        continue;
      }
      // Line break or end of text: the row is complete.
      let end = t;
      if (end > p && s.charCodeAt(end - 1) === CR) end--;
      if (newlines === 0 && end - p > this.maxRowChars)
        throw new LineTooLongError(this.line, this.maxRowChars);
      row.count = this.countOf(count);
      this.onRow(row, p, end, this.line);
      this.line += 1 + newlines;
      if (row.values.length > 0) row.values.length = 0; // held values are not kept alive
      return t < n ? t + 1 : n;
    }
  }
}

/** `CsvRowSplitter` handing over the fields as strings (an array reused between rows). */
export class CsvSplitter {
  private readonly inner: CsvRowSplitter;
  private readonly fields: string[] = [];

  constructor(delimiter: string, onRow: RowSink, maxRowChars = MAX_RECORD_CHARS) {
    const fields = this.fields;
    this.inner = new CsvRowSplitter(
      delimiter,
      (row, start, end, line) => {
        const count = row.count;
        for (let i = 0; i < count; i++) fields[i] = row.get(i);
        onRow(fields, count, row.text, start, end, line);
      },
      maxRowChars,
    );
  }

  /** The 1-based line number where the next row will start. */
  get nextLine(): number {
    return this.inner.nextLine;
  }

  push(chunk: string): void {
    this.inner.push(chunk);
  }

  end(): void {
    this.inner.end();
  }
}

function countNewlines(s: string, from: number, to: number): number {
  let c = 0;
  let i = s.indexOf("\n", from);
  while (i >= 0 && i < to) {
    c++;
    i = s.indexOf("\n", i + 1);
  }
  return c;
}

/**
 * Picks the delimiter from the header line: the most frequent of `;` `,` TAB `|` outside quotes;
 * ties go to that order; `;` when none appears (a one-column header).
 */
export function detectDelimiter(headerLine: string): string {
  const candidates = [";", ",", "\t", "|"];
  const counts = [0, 0, 0, 0];
  let quoted = false;
  for (let i = 0; i < headerLine.length; i++) {
    const c = headerLine[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted) {
      const k = candidates.indexOf(c as string);
      if (k >= 0) counts[k] = (counts[k] as number) + 1;
    }
  }
  let best = 0;
  for (let k = 1; k < 4; k++) if ((counts[k] as number) > (counts[best] as number)) best = k;
  return (counts[best] as number) > 0 ? (candidates[best] as string) : ";";
}
