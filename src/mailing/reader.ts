/**
 * Streaming mailing reader (SPEC §4–§5): bytes of a .csv/.txt/.zip in, batches of people out,
 * and a summary at the end. Memory stays flat: one buffer of the file, the person being built and
 * one batch are held at a time.
 *
 * Encoding: a first pass checks UTF-8 validity (it stops at the first invalid byte, so a
 * Windows-1252 export costs only a few kilobytes); valid UTF-8 (BOM or not) is read as UTF-8,
 * anything else as Windows-1252. Both passes stream.
 *
 * Zips: entries are read in name order as one mailing. Each entry has its own header (so columns
 * may differ between entries), its own encoding and delimiter, and its own line numbers (a
 * rejection names its entry). The summary's encoding, delimiter, layout and header are those of
 * the first entry (encoding: "windows-1252" if any entry is). Records never span two entries.
 */
import { createHash } from "node:crypto";
import { openStoredFile, storedFileSize } from "../privacy/sealed.js";
import {
  CsvRowSplitter,
  detectDelimiter,
  LineTooLongError,
  MAX_COLUMNS,
  TOO_MANY_COLUMNS,
} from "./csv.js";
import { type ChunkHasher, createChunkHasher, HASH_WORKER_MIN_BYTES } from "./hash.js";
import { mapHeader } from "./header.js";
import { fileErrors } from "./messages.js";
import { newCounters, type ReaderCounters, RecordBuilder } from "./records.js";
import {
  createChunkDecoder,
  sniffNonText,
  type TextEncodingName,
  UTF8_BOM,
  Utf8Validator,
} from "./text.js";
import type { FileError, PersonRecord, RejectedRow, RowRejectCode } from "./types.js";
import {
  DEFAULT_ZIP_LIMITS,
  openMailingZip,
  readZipEntry,
  ZipGuardError,
  type ZipLimits,
} from "./zip.js";

export interface ReadMailingOptions {
  extension: "csv" | "txt" | "zip";
  /** The `_h` flag. */
  sanitize: boolean;
  /** Restriction list lookup (sanitize only, SPEC §5). */
  isRestricted?: (kind: "phone" | "email", value: string) => boolean;
  /** Restricted CPF/CNPJ (normalized): the person's rows are left out as RESTRITO (sanitize only). */
  isDocumentRestricted?: (document: string) => boolean;
  /** Default 1 GiB (ARQUIVO_GRANDE). For a zip, the size of the .zip itself. */
  maxBytes?: number;
  /** Default 0.5 (REJEICAO_EXCESSIVA). */
  maxRejectRatio?: number;
  /**
   * Persons per yielded chunk, default 256. Small on purpose: people waiting for their chunk to
   * fill outlive young-generation collections and are promoted, and the old generation then grows
   * between full collections (2000: 1M-row import on PostgreSQL peaked at ~309 MB of RSS, 256:
   * ~263 MB, with less time in GC; the reader alone ~160 -> ~142 MB, no slower).
   */
  batchSize?: number;
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** Zip only: unpacked limit (default 4 GiB) and inflation ratio limit (default 200). */
  zipLimits?: Partial<ZipLimits>;
}

export interface MailingChunk {
  persons: PersonRecord[];
  rejected: RejectedRow[];
}

export interface MailingSummary {
  ok: boolean;
  errors: FileError[];
  encoding: "utf-8" | "windows-1252" | null;
  delimiter: string | null;
  layout: "long" | "wide" | null;
  /** Column names as read. */
  header: string[];
  rows: number;
  persons: number;
  channels: { mobile: number; landline: number; email: number; unknown: number };
  /** Entries of the rejections report by code (rows, contacts dropped from kept rows, blanked fields). */
  rejected: Partial<Record<RowRejectCode, number>>;
  rejectedRows: number;
  /** One-row-per-person layout: contacts dropped from rows that were kept. */
  droppedContacts: number;
  /** Invalid optional fields left blank in kept rows. */
  blankedFields: number;
  /** `_h`: kept mobiles written with 8 digits that got the 9th digit. */
  ninthDigits: number;
  /** Of the file's raw bytes as stored (the .zip itself for zips). */
  bytes: number;
  sha256: string;
}

const GiB = 1024 ** 3;
/** Read size: few reads (each a trip through libuv's thread pool) and few hash-worker messages. */
export const READ_CHUNK = 1 << 18;
/**
 * Each read is decoded in pieces of this size, each one string. Whole 256 KiB reads made strings
 * that V8 allocates in its large-object space, which only a full collection frees (70-80 MB of
 * it at an import's peak): in 64 KiB pieces peak RSS fell by ~12 MB for a parse, 15-30 MB for a
 * PostgreSQL import and 30-55 MB for a SQLite one.
 */
const DECODE_PIECE = 1 << 16;
const SNIFF_BYTES = 64 * 1024;
/**
 * A chunk is also yielded once the rows read since the last one reach this many characters: the
 * people waiting in a batch hold their fields, and 256 people of 1 MB rows (a MENSAGEM or an extra
 * column has no length limit under MAX_RECORD_CHARS) took the reader to 463 MB of RSS. Ordinary
 * batches hold a few hundred kilobytes and never reach it.
 */
const BATCH_CHARS = 1 << 22;
const MAX_HEADER_CHARS = 1 << 20;

interface ReadContext {
  options: ReadMailingOptions;
  batchSize: number;
  counters: ReaderCounters;
  summary: MailingSummary;
  /** True once a document (file or entry) set the summary's format fields. */
  formatSet: boolean;
}

/**
 * Streams a local file. Never throws on bad input: file-level problems end the generator with
 * ok=false and errors. Consumers must roll back when the returned summary is not ok (e.g.
 * REJEICAO_EXCESSIVA is only known at the end).
 */
export async function* readMailing(
  path: string,
  options: ReadMailingOptions,
): AsyncGenerator<MailingChunk, MailingSummary, void> {
  const counters = newCounters();
  const summary: MailingSummary = {
    ok: false,
    errors: [],
    encoding: null,
    delimiter: null,
    layout: null,
    header: [],
    rows: 0,
    persons: 0,
    channels: counters.channels,
    rejected: counters.rejected,
    rejectedRows: 0,
    droppedContacts: 0,
    blankedFields: 0,
    ninthDigits: 0,
    bytes: 0,
    sha256: "",
  };
  const ctx: ReadContext = {
    options,
    batchSize: Math.max(1, options.batchSize ?? 256),
    counters,
    summary,
    formatSet: false,
  };
  try {
    // A stored original may be sealed (encrypted at rest): its content's size and bytes.
    const info = { size: await storedFileSize(path) };
    summary.bytes = info.size;
    const maxBytes = options.maxBytes ?? GiB;
    if (info.size > maxBytes) {
      summary.errors.push(fileErrors.tooLarge(info.size, maxBytes));
    } else if (info.size === 0) {
      summary.sha256 = createHash("sha256").digest("hex");
      summary.errors.push(fileErrors.empty());
    } else if (options.extension === "zip") {
      summary.sha256 = await hashFile(path);
      yield* readZip(path, ctx);
    } else {
      const hasher = createChunkHasher(info.size >= HASH_WORKER_MIN_BYTES);
      try {
        yield* readDocument(
          () => fileChunks(path, hasher, (read) => options.onProgress?.(read, info.size)),
          () => fileChunks(path, null, null),
          ctx,
          undefined,
        );
        summary.sha256 = await hasher.digest();
      } finally {
        hasher.close();
      }
    }
  } catch (e) {
    summary.errors.push(
      fileErrors.unreadable((e as NodeJS.ErrnoException).code ?? (e as Error).message),
    );
  }
  return finish(ctx);
}

function finish(ctx: ReadContext): MailingSummary {
  const { summary, counters, options } = ctx;
  summary.rows = counters.rows;
  summary.persons = counters.persons;
  summary.rejectedRows = counters.rejectedRows;
  summary.droppedContacts = counters.droppedContacts;
  summary.blankedFields = counters.blankedFields;
  summary.ninthDigits = counters.ninthDigits;
  if (summary.errors.length === 0) {
    const ratio = options.maxRejectRatio ?? 0.5;
    if (!ctx.formatSet) summary.errors.push(fileErrors.empty());
    else if (counters.rows === 0) summary.errors.push(fileErrors.headerOnly());
    else if (counters.persons === 0) summary.errors.push(fileErrors.noValidRows(counters.rows));
    else if (counters.brokenRows / counters.rows > ratio)
      summary.errors.push(fileErrors.tooManyRejected(counters.brokenRows, counters.rows, ratio));
  }
  summary.ok = summary.errors.length === 0;
  return summary;
}

async function* fileChunks(
  path: string,
  hasher: ChunkHasher | null,
  onRead: ((bytesRead: number) => void) | null,
): AsyncGenerator<Buffer, void, void> {
  let read = 0;
  for await (const chunk of openStoredFile(path, { highWaterMark: READ_CHUNK })) {
    const buf = chunk as Buffer;
    read += buf.length;
    const hashed = hasher?.update(buf);
    if (hashed !== undefined) await hashed;
    onRead?.(read);
    if (buf.length <= DECODE_PIECE) yield buf;
    else
      for (let at = 0; at < buf.length; at += DECODE_PIECE)
        yield buf.subarray(at, at + DECODE_PIECE);
  }
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of openStoredFile(path, { highWaterMark: READ_CHUNK }))
    hash.update(chunk as Buffer);
  return hash.digest("hex");
}

async function* readZip(path: string, ctx: ReadContext): AsyncGenerator<MailingChunk, void, void> {
  const limits: ZipLimits = { ...DEFAULT_ZIP_LIMITS, ...ctx.options.zipLimits };
  const opened = await openMailingZip(path, limits);
  if (!opened.ok) {
    ctx.summary.errors.push(...opened.errors);
    return;
  }
  const unpacked = { bytes: 0 };
  const total = Math.max(1, opened.declaredBytes);
  try {
    for (const item of opened.entries) {
      const entryErrors = ctx.summary.errors.length;
      yield* readDocument(
        async function* () {
          for await (const chunk of readZipEntry(opened.zip, item, limits, unpacked)) {
            ctx.options.onProgress?.(unpacked.bytes, total);
            yield chunk;
          }
        },
        // The encoding check needs no more than the ratio guard: a second inflation pass.
        () => readZipEntry(opened.zip, item, limits, { bytes: 0 }),
        ctx,
        item.name,
      );
      // A bomb or corrupt entry ends the whole zip; header problems let the next entries be checked.
      if (ctx.summary.errors.slice(entryErrors).some((e) => e.code.startsWith("ZIP_"))) break;
    }
  } finally {
    opened.zip.close();
  }
}

/** Decides the encoding of one document from a first pass over its bytes. */
async function detectEncoding(
  chunks: AsyncIterable<Buffer>,
  entry: string | undefined,
): Promise<{ encoding: TextEncodingName; bom: boolean } | FileError | null> {
  const validator = new Utf8Validator();
  let first = true;
  let bom = false;
  let any = false;
  for await (const raw of chunks) {
    let chunk = raw;
    if (first) {
      first = false;
      if (chunk.length >= 3 && chunk.subarray(0, 3).equals(UTF8_BOM)) {
        bom = true;
        chunk = chunk.subarray(3);
      }
      const kind = sniffNonText(chunk.subarray(0, SNIFF_BYTES));
      if (kind !== null) return fileErrors.notText(kind, entry);
    }
    if (chunk.length > 0) any = true;
    if (!validator.push(chunk)) return { encoding: "windows-1252", bom };
  }
  if (!any) return null;
  return { encoding: validator.end() ? "utf-8" : "windows-1252", bom };
}

/**
 * Reads one text document (the file, or one zip entry). `open` streams its bytes for the real
 * pass; `openForDetection` for the encoding check.
 */
async function* readDocument(
  open: () => AsyncIterable<Buffer>,
  openForDetection: () => AsyncIterable<Buffer>,
  ctx: ReadContext,
  entry: string | undefined,
): AsyncGenerator<MailingChunk, void, void> {
  const { summary } = ctx;
  /** Blank lines before the header: the splitter counts lines from the header on. */
  let skippedLines = 0;
  try {
    const detected = await detectEncoding(openForDetection(), entry);
    if (detected === null) {
      if (entry === undefined) summary.errors.push(fileErrors.empty());
      return; // an empty entry in a zip adds nothing
    }
    if (!("encoding" in detected)) {
      summary.errors.push(detected);
      return;
    }
    const decoder = createChunkDecoder(detected.encoding);
    // Held in an object: the header callback sets them, which flow analysis cannot follow.
    const doc: {
      splitter: CsvRowSplitter | null;
      builder: RecordBuilder | null;
      /** Characters of the rows read since the last chunk was yielded (see BATCH_CHARS). */
      heldChars: number;
    } = {
      splitter: null,
      builder: null,
      heldChars: 0,
    };
    let headerError = false;
    let pending = "";
    let bomToSkip = detected.bom;

    const startDocument = (text: string): string | null => {
      // Blank lines before the header are skipped.
      let p = 0;
      for (;;) {
        const nl = text.indexOf("\n", p);
        if (nl < 0) return null;
        if (text.slice(p, nl).trim() !== "") break;
        p = nl + 1;
      }
      const body = text.slice(p);
      const nl = body.indexOf("\n");
      const headerLine = body.slice(0, nl).replace(/\r$/, "");
      const delimiter = detectDelimiter(headerLine);
      skippedLines = countLines(text, p);
      let headerSeen = false;
      doc.splitter = new CsvRowSplitter(delimiter, (row, start, end, line) => {
        if (!headerSeen) {
          headerSeen = true;
          if (row.count === TOO_MANY_COLUMNS) {
            headerError = true;
            summary.errors.push(fileErrors.tooManyColumns(MAX_COLUMNS, entry));
            return;
          }
          const header: string[] = [];
          for (let i = 0; i < row.count; i++) header.push(row.get(i).trim());
          const mapped = mapHeader(header);
          if (!ctx.formatSet) {
            ctx.formatSet = true;
            summary.encoding = detected.encoding;
            summary.delimiter = delimiter;
            summary.header = header;
            summary.layout = mapped.ok ? mapped.map.layout : null;
          } else if (detected.encoding === "windows-1252") {
            summary.encoding = "windows-1252";
          }
          if (!mapped.ok) {
            headerError = true;
            summary.errors.push(fileErrors.missingColumns(mapped.missing, mapped.found, entry));
            return;
          }
          const recordOptions: ConstructorParameters<typeof RecordBuilder>[1] = {
            sanitize: ctx.options.sanitize,
          };
          if (ctx.options.isRestricted) recordOptions.isRestricted = ctx.options.isRestricted;
          if (ctx.options.isDocumentRestricted)
            recordOptions.isDocumentRestricted = ctx.options.isDocumentRestricted;
          if (entry !== undefined) recordOptions.entry = entry;
          doc.builder = new RecordBuilder(mapped.map, recordOptions, ctx.counters);
          return;
        }
        if (doc.builder !== null) {
          doc.heldChars += end - start;
          doc.builder.row(row, start, end, line + skippedLines);
        }
      });
      return body;
    };

    const drain = function* (final: boolean): Generator<MailingChunk, void, void> {
      const b = doc.builder;
      if (b === null) return;
      while (
        b.persons.length >= ctx.batchSize ||
        b.rejected.length >= ctx.batchSize ||
        // Rejections too: each keeps up to 4,000 characters of its row, a slice that holds the
        // whole decoded row in memory (256 rejected 1 MB rows held ~500 MB of RSS).
        (doc.heldChars >= BATCH_CHARS && (b.persons.length > 0 || b.rejected.length > 0)) ||
        final
      ) {
        doc.heldChars = 0;
        const persons =
          b.persons.length > ctx.batchSize ? b.persons.splice(0, ctx.batchSize) : b.persons;
        if (persons === b.persons) b.persons = [];
        const rejected = b.rejected;
        b.rejected = [];
        if (persons.length > 0 || rejected.length > 0) yield { persons, rejected };
        if (final && b.persons.length === 0) return;
      }
    };

    let offset = detected.bom ? 3 : 0;
    for await (const raw of open()) {
      let chunk = raw;
      if (bomToSkip) {
        bomToSkip = false;
        chunk = chunk.subarray(3);
      }
      // Text never holds NUL (the first 64 KiB were sniffed for it; this is
      // the rest). Checked natively per chunk; the databases could not store
      // it either (PostgreSQL refuses it in text).
      const nul = chunk.indexOf(0);
      if (nul >= 0) {
        summary.errors.push(fileErrors.nulByte(offset + nul, entry));
        return;
      }
      offset += chunk.length;
      const text = decoder.write(chunk);
      if (doc.splitter === null) {
        pending += text;
        const body = startDocument(pending);
        if (body === null) {
          if (pending.length > MAX_HEADER_CHARS) {
            summary.errors.push(fileErrors.headerTooLong());
            return;
          }
          continue;
        }
        pending = "";
        splitterOf(doc).push(body);
      } else {
        splitterOf(doc).push(text);
      }
      if (headerError) return;
      yield* drain(false);
    }
    const tail = decoder.end();
    if (doc.splitter === null) {
      pending += tail;
      if (pending.trim() === "") {
        if (entry === undefined) summary.errors.push(fileErrors.empty());
        return;
      }
      const body = startDocument(`${pending}\n`);
      if (body === null) return;
      splitterOf(doc).push(body);
    } else if (tail !== "") {
      splitterOf(doc).push(tail);
    }
    splitterOf(doc).end();
    if (headerError) return;
    doc.builder?.flush();
    yield* drain(true);
  } catch (e) {
    if (e instanceof ZipGuardError) summary.errors.push(e.fileError);
    else if (e instanceof LineTooLongError)
      summary.errors.push(fileErrors.lineTooLong(e.line + skippedLines, e.limit, entry));
    else throw e;
  }
}

function splitterOf(doc: { splitter: CsvRowSplitter | null }): CsvRowSplitter {
  return doc.splitter as CsvRowSplitter;
}

function countLines(text: string, upTo: number): number {
  let n = 0;
  for (let i = text.indexOf("\n"); i >= 0 && i < upTo; i = text.indexOf("\n", i + 1)) n++;
  return n;
}
