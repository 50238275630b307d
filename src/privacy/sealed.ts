/**
 * Stored originals encrypted at rest ("sealed"), streamed in constant memory.
 *
 * AES-256-GCM authenticates a whole message with one tag at its end, so one
 * GCM message over a 1 GiB file could only be verified after reading all of
 * it, and no byte range could be read on its own (zip entries are). The file
 * is therefore cut into fixed-size chunks, each its own GCM message:
 *
 *   header  = MAGIC (8) ‖ salt (16) ‖ chunk size (u32 BE)
 *   chunk i = ciphertext (chunk size bytes; the last one 0…chunk size) ‖ tag (16)
 *
 * - key: HKDF-SHA256 of the secret key with the file's random salt, so each
 *   file has its own key and the nonce can simply be the chunk index (never
 *   reused under one key);
 * - AAD: the header, the chunk index and a "last chunk" flag, so chunks cannot
 *   be reordered, moved between files, dropped from the end (the new last
 *   chunk would not carry the flag) or appended to.
 * There is always a last chunk (an empty file is one empty chunk), and the
 * plaintext size follows from the file size alone.
 *
 * MAGIC starts with a NUL byte, which no mailing (a text file or a zip, "PK")
 * starts with: files stored before encryption are read as they are.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { dirname } from "node:path";
import { Readable } from "node:stream";
import { secretKeySetting } from "../config.js";
import { loadOrCreateKeyFile, parseSecretKey } from "../store/secrets.js";

export const SEALED_MAGIC = Buffer.from("\0RMSSEAL", "latin1");
const SALT_BYTES = 16;
const HEADER_BYTES = SEALED_MAGIC.length + SALT_BYTES + 4;
const TAG_BYTES = 16;
/** 64 KiB: the read size of the mailing reader; the tag adds 0.02 %. */
export const DEFAULT_CHUNK_BYTES = 64 * 1024;
const INFO = Buffer.from("remessa stored file v1");

/** A sealed file that cannot be opened (wrong key, altered or truncated); pt-BR message. */
export class SealedFileError extends Error {}

const keyFiles = new Map<string, Buffer>();

/**
 * The secret key the files under a data dir are sealed with: REMESSA_SECRET_KEY
 * when set, else that data dir's key file (the one secrets.ts uses). Stored
 * files live at `<data dir>/files/ab/<sha256>.bin`, so the key is found from
 * the file's own path: tests and several data dirs in one process never mix.
 */
export function keyForStoredFile(path: string): Buffer {
  const setting = secretKeySetting();
  if (setting) return parseSecretKey(setting);
  const dir = dirname(dirname(dirname(path)));
  let key = keyFiles.get(dir);
  if (!key) {
    key = loadOrCreateKeyFile(dir);
    keyFiles.set(dir, key);
  }
  return key;
}

function fileKey(secret: Buffer, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync("sha256", secret, salt, INFO, 32));
}

function nonce(index: number): Buffer {
  const iv = Buffer.alloc(12);
  iv.writeBigUInt64BE(BigInt(index), 4);
  return iv;
}

function aad(header: Buffer, index: number, last: boolean): Buffer {
  const tail = Buffer.alloc(9);
  tail.writeBigUInt64BE(BigInt(index), 0);
  tail[8] = last ? 1 : 0;
  return Buffer.concat([header, tail]);
}

/**
 * Seals a stream of plaintext chunks. Holds at most one chunk (plus the
 * incoming piece) in memory: a chunk is written once more bytes follow it,
 * so the last one is known when the input ends.
 */
export async function* seal(
  input: AsyncIterable<Buffer>,
  secret: Buffer,
  chunkBytes = DEFAULT_CHUNK_BYTES,
): AsyncGenerator<Buffer, void, void> {
  const salt = randomBytes(SALT_BYTES);
  const header = Buffer.alloc(HEADER_BYTES);
  SEALED_MAGIC.copy(header, 0);
  salt.copy(header, SEALED_MAGIC.length);
  header.writeUInt32BE(chunkBytes, SEALED_MAGIC.length + SALT_BYTES);
  const key = fileKey(secret, salt);
  yield header;
  let index = 0;
  const sealChunk = (plain: Buffer, last: boolean): Buffer => {
    const cipher = createCipheriv("aes-256-gcm", key, nonce(index));
    cipher.setAAD(aad(header, index, last));
    index++;
    return Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  };
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const piece of input) {
    pending.push(piece);
    pendingBytes += piece.length;
    // Strictly more than a chunk: the chunk written is never the last one.
    while (pendingBytes > chunkBytes) {
      const all = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending);
      yield sealChunk(all.subarray(0, chunkBytes), false);
      const rest = all.subarray(chunkBytes);
      pending = [rest];
      pendingBytes = rest.length;
    }
  }
  yield sealChunk(Buffer.concat(pending), true);
}

interface SealedInfo {
  header: Buffer;
  key: Buffer;
  chunkBytes: number;
  chunks: number;
  plainBytes: number;
}

async function readHeader(handle: FileHandle): Promise<Buffer | null> {
  const header = Buffer.alloc(HEADER_BYTES);
  const { bytesRead } = await handle.read(header, 0, HEADER_BYTES, 0);
  if (bytesRead < SEALED_MAGIC.length) return null;
  if (!header.subarray(0, SEALED_MAGIC.length).equals(SEALED_MAGIC)) return null;
  if (bytesRead < HEADER_BYTES) throw corrupt();
  return header;
}

function corrupt(): SealedFileError {
  return new SealedFileError(
    "A cópia guardada do arquivo está corrompida ou foi cifrada com outra chave (REMESSA_SECRET_KEY ou o arquivo secret.key da pasta de dados). Restaure a chave original; sem ela a cópia não pode ser lida.",
  );
}

async function sealedInfo(handle: FileHandle, path: string): Promise<SealedInfo | null> {
  const header = await readHeader(handle);
  if (!header) return null;
  const chunkBytes = header.readUInt32BE(SEALED_MAGIC.length + SALT_BYTES);
  const body = (await handle.stat()).size - HEADER_BYTES;
  const stride = chunkBytes + TAG_BYTES;
  const chunks = Math.ceil(body / stride);
  if (chunkBytes === 0 || chunks === 0 || body - (chunks - 1) * stride < TAG_BYTES) throw corrupt();
  const salt = header.subarray(SEALED_MAGIC.length, SEALED_MAGIC.length + SALT_BYTES);
  return {
    header,
    key: fileKey(keyForStoredFile(path), salt),
    chunkBytes,
    chunks,
    plainBytes: body - chunks * TAG_BYTES,
  };
}

/** True when the file at `path` is sealed (its first bytes are the marker). */
export async function isSealed(path: string): Promise<boolean> {
  const handle = await open(path, "r");
  try {
    return (await readHeader(handle)) !== null;
  } finally {
    await handle.close();
  }
}

/** The size of the file's content: the plaintext's when sealed. */
export async function storedFileSize(path: string): Promise<number> {
  const handle = await open(path, "r");
  try {
    const info = await sealedInfo(handle, path);
    return info ? info.plainBytes : (await handle.stat()).size;
  } finally {
    await handle.close();
  }
}

export interface RangeOptions {
  /** First byte (default 0). */
  start?: number;
  /** Last byte, inclusive, as fs.createReadStream's `end`. */
  end?: number;
  /** Bytes per read (as fs.createReadStream's); default one chunk / 64 KiB. */
  highWaterMark?: number;
}

/**
 * The content of a stored file (or a byte range of it) as a stream: a sealed
 * file is opened chunk by chunk and each chunk verified before any of its bytes
 * is passed on; a plain one (stored before sealing) is read as it is.
 */
export function openStoredFile(path: string, range: RangeOptions = {}): Readable {
  return Readable.from(storedChunks(path, range), { objectMode: false });
}

async function* storedChunks(path: string, range: RangeOptions): AsyncGenerator<Buffer> {
  const handle = await open(path, "r");
  try {
    const info = await sealedInfo(handle, path);
    if (!info) {
      await handle.close();
      yield* createReadStream(path, {
        ...(range.start !== undefined ? { start: range.start } : {}),
        ...(range.end !== undefined ? { end: range.end } : {}),
        ...(range.highWaterMark !== undefined ? { highWaterMark: range.highWaterMark } : {}),
      }) as AsyncIterable<Buffer>;
      return;
    }
    const start = range.start ?? 0;
    const end = Math.min(range.end ?? info.plainBytes - 1, info.plainBytes - 1);
    if (end < start) return;
    const stride = info.chunkBytes + TAG_BYTES;
    const first = Math.floor(start / info.chunkBytes);
    const lastWanted = Math.floor(end / info.chunkBytes);
    // Several chunks per read: fewer trips through the thread pool for large reads.
    const perRead = Math.max(1, Math.floor((range.highWaterMark ?? 0) / info.chunkBytes));
    const buffer = Buffer.alloc(stride * perRead);
    for (let batch = first; batch <= lastWanted; batch += perRead) {
      const upTo = Math.min(lastWanted, batch + perRead - 1);
      const lastOfFile = upTo === info.chunks - 1;
      const span =
        (upTo - batch) * stride +
        (lastOfFile ? info.plainBytes - upTo * info.chunkBytes + TAG_BYTES : stride);
      const { bytesRead } = await handle.read(buffer, 0, span, HEADER_BYTES + batch * stride);
      if (bytesRead !== span) throw corrupt();
      const pieces: Buffer[] = [];
      for (let index = batch; index <= upTo; index++) {
        const at = (index - batch) * stride;
        const size = Math.min(stride, span - at);
        const decipher = createDecipheriv("aes-256-gcm", info.key, nonce(index));
        decipher.setAAD(aad(info.header, index, index === info.chunks - 1));
        decipher.setAuthTag(buffer.subarray(at + size - TAG_BYTES, at + size));
        let plain: Buffer;
        try {
          plain = Buffer.concat([
            decipher.update(buffer.subarray(at, at + size - TAG_BYTES)),
            decipher.final(),
          ]);
        } catch {
          throw corrupt();
        }
        const from = index === first ? start - index * info.chunkBytes : 0;
        const to = index === lastWanted ? end - index * info.chunkBytes + 1 : plain.length;
        pieces.push(plain.subarray(from, to));
      }
      yield pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces);
    }
  } finally {
    await handle.close().catch(() => {});
  }
}
