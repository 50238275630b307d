/**
 * Streaming CSV splitter over decoded text chunks (RFC 4180 quoting, CRLF or LF).
 *
 * Built for throughput: rows without quotes (the vast majority) are split with `indexOf` on the
 * delimiter, and the positions of the next quote and next delimiter are cached so each character
 * is scanned a bounded number of times even for one-column files. Only rows holding a quote go
 * through the character-level state machine. Fields are `slice`s of the chunk text; the array of
 * fields is reused between rows, so consumers must copy what they keep before returning.
 *
 * Lenient where spreadsheets are sloppy: a quote inside an unquoted field is literal, and text
 * after a closing quote is appended to the field. A quote that is never closed would otherwise
 * swallow the rest of the file; once a row passes `maxRowChars` it is cut at its first line break
 * and reported as broken, so memory stays bounded.
 */

/**
 * One row. `fields[0..count)` are valid only during the call. `text.slice(start, end)` is the row
 * as read, without its line break. `line` is the 1-based physical line where the row starts.
 * `count` is 0 for a broken row (unterminated quote or a row longer than the limit).
 */
export type RowSink = (
  fields: string[],
  count: number,
  text: string,
  start: number,
  end: number,
  line: number,
) => void;

const QUOTE = 34;
const LF = 10;
const CR = 13;
const NEED_MORE = -1;

export class CsvSplitter {
  private rest = "";
  private line = 1;
  private readonly fields: string[] = [];
  private skipToNewline = false;
  private readonly delimiter: string;

  constructor(
    delimiter: string,
    private readonly onRow: RowSink,
    private readonly maxRowChars = 1 << 20,
  ) {
    this.delimiter = delimiter;
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
    if (this.rest.length > 0) s = this.rest + s;
    this.rest = "";
    const p = this.scan(s, false);
    this.rest = p < s.length ? s.slice(p) : "";
  }

  end(): void {
    const s = this.rest;
    this.rest = "";
    if (s.length > 0 && !this.skipToNewline) this.scan(s, true);
    this.skipToNewline = false;
  }

  /** Emits every complete row of `s`; returns where the unfinished remainder starts. */
  private scan(s: string, final: boolean): number {
    const n = s.length;
    const delim = this.delimiter;
    const fields = this.fields;
    let p = 0;
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
          if (nextDelim !== -1 && nextDelim < a) nextDelim = s.indexOf(delim, a);
          if (nextDelim === -1 || nextDelim >= end) {
            fields[count++] = s.slice(a, end);
            break;
          }
          fields[count++] = s.slice(a, nextDelim);
          a = nextDelim + 1;
        }
        this.onRow(fields, count, s, p, end, this.line);
        this.line++;
        p = nl + 1;
        continue;
      }
      const next = this.quotedRow(s, p, nl, final);
      if (next === NEED_MORE) {
        if (n - p <= this.maxRowChars) break;
        // An unterminated quote (or a giant row): cut at the first line break and move on.
        const end = Math.min(nl, n);
        this.onRow(
          fields,
          0,
          s,
          p,
          end > p && s.charCodeAt(end - 1) === CR ? end - 1 : end,
          this.line,
        );
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
    const fields = this.fields;
    let count = 0;
    let i = p;
    let newlines = 0;
    let lineEnd = nl; // the line break that ends the row unless a quoted field spans it
    let nextDelim = -2;
    for (;;) {
      let value: string;
      let t: number; // where the field ends: a delimiter, the line break, or n
      if (i < n && s.charCodeAt(i) === QUOTE) {
        let j = i + 1;
        let seg = j;
        value = "";
        for (;;) {
          const k = s.indexOf('"', j);
          if (k < 0) {
            if (!final) return NEED_MORE;
            value += s.slice(seg, n); // unterminated at end of file: take the rest
            newlines += countNewlines(s, i, n);
            i = n;
            lineEnd = n;
            break;
          }
          if (k + 1 >= n && !final) return NEED_MORE; // cannot tell `"` from `""` yet
          if (s.charCodeAt(k + 1) === QUOTE) {
            value = value === "" ? s.slice(seg, k + 1) : value + s.slice(seg, k + 1);
            j = k + 2;
            seg = j;
            continue;
          }
          value = value === "" ? s.slice(seg, k) : value + s.slice(seg, k);
          if (k > lineEnd) {
            newlines += countNewlines(s, i, k);
            lineEnd = s.indexOf("\n", k);
            if (lineEnd < 0) lineEnd = n;
          }
          i = k + 1;
          break;
        }
        // Text between the closing quote and the next delimiter / line break is kept.
        if (nextDelim !== -1 && nextDelim < i) nextDelim = s.indexOf(delim, i);
        t = nextDelim === -1 || nextDelim > lineEnd ? lineEnd : nextDelim;
        if (t >= n && !final) return NEED_MORE;
        let tailEnd = t;
        if (tailEnd > i && s.charCodeAt(tailEnd - 1) === CR && t === lineEnd) tailEnd--;
        if (tailEnd > i) value += s.slice(i, tailEnd);
      } else {
        if (nextDelim !== -1 && nextDelim < i) nextDelim = s.indexOf(delim, i);
        t = nextDelim === -1 || nextDelim > lineEnd ? lineEnd : nextDelim;
        if (t >= n && !final) return NEED_MORE;
        let vEnd = t;
        if (vEnd > i && s.charCodeAt(vEnd - 1) === CR && t === lineEnd) vEnd--;
        value = s.slice(i, vEnd);
      }
      fields[count++] = value;
      if (t < lineEnd) {
        i = t + 1; // a delimiter
        continue;
      }
      // Line break or end of text: the row is complete.
      let end = t;
      if (end > p && s.charCodeAt(end - 1) === CR) end--;
      this.onRow(fields, count, s, p, end, this.line);
      this.line += 1 + newlines;
      return t < n ? t + 1 : n;
    }
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
