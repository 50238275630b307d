/**
 * Safe reading of zipped mailings with yauzl. Before any byte is inflated, the central directory
 * is checked: path traversal, absolute paths, symlinks, encrypted entries, nested archives, other
 * file types, unsupported compression, and the declared sizes. While inflating, the bytes that
 * actually come out are counted and the entry is abandoned as soon as they pass the unpacked
 * limit or the ratio limit, so a bomb is never expanded (declared sizes can lie).
 *
 * Names: the UTF-8 flag or the Info-ZIP Unicode path field mean UTF-8; otherwise names valid as
 * UTF-8 are taken as such (some tools omit the flag) and the rest are decoded as CP850, the OEM
 * code page of Windows in Brazil (a superset of CP437 for Portuguese letters).
 *
 * Ignored: folders, and macOS metadata (`__MACOSX/`, `._*`, `.DS_Store`) that Finder adds.
 */
import { isUtf8 } from "node:buffer";
import { pipeline, Readable } from "node:stream";
import { createInflateRaw } from "node:zlib";
import iconv from "iconv-lite";
import yauzl from "yauzl";
import { isSealed, openStoredFile, storedFileSize } from "../privacy/sealed.js";
import { fileErrors } from "./messages.js";
import type { FileError } from "./types.js";

export interface ZipLimits {
  maxUnpackedBytes: number;
  maxRatio: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = { maxUnpackedBytes: 4 * 1024 ** 3, maxRatio: 200 };
/** Below this many inflated bytes an entry is never a bomb, whatever its ratio. */
const RATIO_FLOOR_BYTES = 1024 * 1024;
export const MAX_ENTRIES = 10_000;
const ARCHIVE_EXT = /\.(zip|rar|7z|gz|tgz|tar|bz2|xz|zst|jar|arj|cab|lz|lzh)$/i;
const MAILING_EXT = /\.(csv|txt)$/i;

export interface ZipMailingEntry {
  /** Path of the .zip. */
  path: string;
  name: string;
  compressedSize: number;
  uncompressedSize: number;
  entry: yauzl.Entry;
}

export type ZipOpenResult =
  | { ok: true; zip: yauzl.ZipFile; entries: ZipMailingEntry[]; declaredBytes: number }
  | { ok: false; errors: FileError[] };

export class ZipGuardError extends Error {
  constructor(readonly fileError: FileError) {
    super(fileError.message);
  }
}

function decodeName(entry: yauzl.Entry): string {
  const raw = entry.fileNameRaw as Buffer;
  if ((entry.generalPurposeBitFlag & 0x800) !== 0) return raw.toString("utf8");
  for (const extra of entry.extraFields) {
    if (extra.id === 0x7075 && extra.data.length >= 6 && extra.data[0] === 1) {
      return extra.data.subarray(5).toString("utf8");
    }
  }
  if (isUtf8(raw)) return raw.toString("utf8");
  return iconv.decode(raw, "cp850");
}

/** yauzl's random access to a stored original through its (possibly sealed) content. */
class StoredFileReader extends yauzl.RandomAccessReader {
  constructor(private readonly path: string) {
    super();
  }
  override _readStreamForRange(start: number, end: number): Readable {
    // yauzl's end is exclusive, openStoredFile's inclusive.
    return openStoredFile(this.path, { start, end: end - 1 });
  }
}

async function openZip(path: string): Promise<yauzl.ZipFile> {
  const options = {
    lazyEntries: true,
    decodeStrings: false,
    validateEntrySizes: true,
    autoClose: false,
  };
  if (await isSealed(path)) {
    const size = await storedFileSize(path);
    return new Promise((resolve, reject) => {
      yauzl.fromRandomAccessReader(new StoredFileReader(path), size, options, (err, zip) =>
        err || !zip ? reject(err ?? new Error("no zip")) : resolve(zip),
      );
    });
  }
  return new Promise((resolve, reject) => {
    yauzl.open(path, options, (err, zip) =>
      err || !zip ? reject(err ?? new Error("no zip")) : resolve(zip),
    );
  });
}

/** Lists and vets the entries; on success the zip stays open for `readZipEntry`. */
export async function openMailingZip(path: string, limits: ZipLimits): Promise<ZipOpenResult> {
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(path);
  } catch (e) {
    return {
      ok: false,
      errors: [
        fileErrors.zipInvalid(
          `o arquivo não é um zip válido ou está corrompido (${(e as Error).message}). Compacte o mailing de novo e envie.`,
        ),
      ],
    };
  }
  const errors: FileError[] = [];
  const entries: ZipMailingEntry[] = [];
  let declaredBytes = 0;
  let count = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on("error", reject);
      zip.on("end", () => resolve());
      zip.on("entry", (entry: yauzl.Entry) => {
        count++;
        if (count > MAX_ENTRIES) {
          errors.push(
            fileErrors.zipDangerous(`tem mais de ${MAX_ENTRIES} arquivos. Envie só os mailings.`),
          );
          resolve();
          return;
        }
        const name = decodeName(entry).replace(/\\/g, "/");
        const problem = vetEntry(entry, name, limits);
        if (problem === "skip") {
          zip.readEntry();
          return;
        }
        if (problem !== null) errors.push(problem);
        else {
          entries.push({
            path,
            name,
            compressedSize: entry.compressedSize,
            uncompressedSize: entry.uncompressedSize,
            entry,
          });
          declaredBytes += entry.uncompressedSize;
        }
        zip.readEntry();
      });
      zip.readEntry();
    });
  } catch (e) {
    errors.push(
      fileErrors.zipInvalid(
        `o índice do zip está corrompido (${(e as Error).message}). Compacte o mailing de novo e envie.`,
      ),
    );
  }
  if (errors.length === 0 && declaredBytes > limits.maxUnpackedBytes) {
    errors.push(
      fileErrors.zipDangerous(
        `o conteúdo descompactado somaria ${declaredBytes} bytes, acima do limite de ${limits.maxUnpackedBytes}. Divida o mailing em vários arquivos.`,
      ),
    );
  }
  if (errors.length === 0 && entries.length === 0) errors.push(fileErrors.zipNoMailing());
  if (errors.length > 0) {
    zip.close();
    return { ok: false, errors };
  }
  // Entries are read in name order (plain code-unit comparison), whatever their order in the zip.
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { ok: true, zip, entries, declaredBytes };
}

function vetEntry(entry: yauzl.Entry, name: string, limits: ZipLimits): FileError | "skip" | null {
  const segments = name.split("/");
  if (name.startsWith("/") || /^[a-zA-Z]:/.test(name) || segments.includes("..")) {
    return fileErrors.zipDangerous(
      `o item "${name}" aponta para fora da pasta do zip (caminho absoluto ou com ".."). Compacte só os arquivos do mailing, sem caminhos.`,
    );
  }
  const mode = (entry.externalFileAttributes >>> 16) & 0o170000;
  if (mode === 0o120000) {
    return fileErrors.zipDangerous(
      `o item "${name}" é um link simbólico. Coloque no zip o próprio arquivo CSV.`,
    );
  }
  if (name.endsWith("/")) return "skip";
  const base = segments[segments.length - 1] ?? "";
  if (segments[0] === "__MACOSX" || base.startsWith("._") || base === ".DS_Store") return "skip";
  if ((entry.generalPurposeBitFlag & 0x41) !== 0) {
    return fileErrors.zipDangerous(
      `o arquivo "${name}" está protegido por senha (criptografado). Compacte o mailing sem senha.`,
    );
  }
  if (ARCHIVE_EXT.test(base)) {
    return fileErrors.zipDangerous(
      `o zip contém outro arquivo compactado ("${name}"). Coloque os CSV diretamente no zip, sem compactação dentro de compactação.`,
    );
  }
  if (!MAILING_EXT.test(base)) {
    return fileErrors.zipInvalid(
      `"${name}" não é um mailing (.csv ou .txt). Deixe no zip só os arquivos CSV/TXT do mailing.`,
    );
  }
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
    return fileErrors.zipInvalid(
      `"${name}" usa um método de compressão não suportado (${entry.compressionMethod}). Compacte com o método padrão (Deflate), como faz o "Enviar para > Pasta compactada" do Windows.`,
    );
  }
  if (
    entry.uncompressedSize > RATIO_FLOOR_BYTES &&
    entry.uncompressedSize > limits.maxRatio * Math.max(1, entry.compressedSize)
  ) {
    return fileErrors.zipDangerous(
      `"${name}" se expandiria mais de ${limits.maxRatio} vezes ao descompactar (possível "zip bomb").`,
    );
  }
  return null;
}

/**
 * Output size of each inflate step: 4x zlib's default 16 KiB. Larger steps (256 KiB) were not
 * clearly faster and raised the peak RSS on a 5M-row zip past 200 MB (their decoded text is a
 * large heap object each).
 */
const INFLATE_CHUNK = 1 << 16;

function openYauzlStream(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<NodeJS.ReadableStream> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) =>
      err || !stream ? reject(err ?? new Error("no stream")) : resolve(stream),
    );
  });
}

/**
 * The entry's bytes. A deflated entry is read from the file and inflated here rather than by
 * yauzl, with bigger output chunks: every inflate step goes back through the main thread, which
 * is busy parsing, so 16 KiB steps left the reader waiting on inflation a third of its time. The
 * compressed bytes come from a stream of our own (yauzl's can fail when destroyed with a read
 * pending, which the encoding check does), and `readZipEntry` checks the inflated size against
 * the declared one, as yauzl's `validateEntrySizes` did.
 */
async function openEntryStream(
  zip: yauzl.ZipFile,
  item: ZipMailingEntry,
): Promise<NodeJS.ReadableStream> {
  const entry = item.entry;
  if (entry.compressionMethod !== 8) return openYauzlStream(zip, entry);
  // Also checks the signature and that the data lies inside the file.
  const { fileDataStart } = await zip.readLocalFileHeaderPromise(entry, { minimal: true });
  const compressed =
    entry.compressedSize === 0
      ? Readable.from([])
      : openStoredFile(item.path, {
          start: fileDataStart,
          end: fileDataStart + entry.compressedSize - 1,
        });
  return pipeline(compressed, createInflateRaw({ chunkSize: INFLATE_CHUNK }), () => {
    // Errors reach the consumer through the returned stream.
  });
}

/**
 * Streams an entry's inflated bytes. `unpackedSoFar` is the running total over the whole zip.
 * Throws ZipGuardError when the limits are passed or the data is corrupt.
 */
export async function* readZipEntry(
  zip: yauzl.ZipFile,
  item: ZipMailingEntry,
  limits: ZipLimits,
  unpackedSoFar: { bytes: number },
): AsyncGenerator<Buffer, void, void> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = await openEntryStream(zip, item);
  } catch (e) {
    throw new ZipGuardError(
      fileErrors.zipInvalid(
        `não foi possível ler "${item.name}" (${(e as Error).message}). Compacte o mailing de novo.`,
      ),
    );
  }
  let inflated = 0;
  const ratioLimit = Math.max(
    RATIO_FLOOR_BYTES,
    limits.maxRatio * Math.max(1, item.compressedSize),
  );
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      inflated += chunk.length;
      unpackedSoFar.bytes += chunk.length;
      // Checked first, as yauzl's own size check would (its error came before the chunk).
      if (inflated > item.entry.uncompressedSize) {
        throw new Error(
          `too many bytes in the stream. expected ${item.entry.uncompressedSize}. got at least ${inflated}`,
        );
      }
      if (inflated > ratioLimit) {
        throw new ZipGuardError(
          fileErrors.zipDangerous(
            `"${item.name}" se expande mais de ${limits.maxRatio} vezes ao descompactar (possível "zip bomb"). Envie o CSV compactado normalmente.`,
          ),
        );
      }
      if (unpackedSoFar.bytes > limits.maxUnpackedBytes) {
        throw new ZipGuardError(
          fileErrors.zipDangerous(
            `o conteúdo descompactado passa de ${limits.maxUnpackedBytes} bytes. Divida o mailing em vários arquivos.`,
          ),
        );
      }
      yield chunk;
    }
    if (inflated < item.entry.uncompressedSize) {
      throw new Error(
        `not enough bytes in the stream. expected ${item.entry.uncompressedSize}. got only ${inflated}`,
      );
    }
  } catch (e) {
    (stream as unknown as { destroy?: () => void }).destroy?.();
    if (e instanceof ZipGuardError) throw e;
    const message = (e as Error).message ?? String(e);
    if (/too many bytes|expected|size/i.test(message)) {
      throw new ZipGuardError(
        fileErrors.zipDangerous(
          `o tamanho declarado de "${item.name}" não confere com o conteúdo (zip adulterado ou corrompido).`,
        ),
      );
    }
    throw new ZipGuardError(
      fileErrors.zipInvalid(
        `"${item.name}" está corrompido (${message}). Compacte o mailing de novo.`,
      ),
    );
  }
}
