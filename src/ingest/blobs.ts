/**
 * The original bytes of every file picked up, kept under the data dir by
 * content (SHA-256): `files/ab/abcdef….bin`. Writing is streamed into a
 * temporary name and renamed into place, so a stored blob is always complete;
 * the same bytes dropped twice are stored once. The bytes are sealed
 * (encrypted, src/privacy/sealed.ts) on the way in: they are full lists of
 * personal data. Read them back with `openStoredFile` (never the raw file).
 */
import { createHash, randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { keyForStoredFile, seal } from "../privacy/sealed.js";

export interface StoredBlob {
  path: string;
  sha256: string;
  bytes: number;
}

export class BlobStore {
  constructor(readonly root: string) {}

  pathFor(sha256: string): string {
    return join(this.root, sha256.slice(0, 2), `${sha256}.bin`);
  }

  /** Streams `input` into the store; returns where the bytes are and their digest. */
  async put(input: Readable): Promise<StoredBlob> {
    const tmpDir = join(this.root, "tmp");
    await mkdir(tmpDir, { recursive: true });
    const tmp = join(tmpDir, `${randomUUID()}.part`);
    const hash = createHash("sha256");
    let bytes = 0;
    // The key of this data dir (the file's final place tells it; see keyForStoredFile).
    const key = keyForStoredFile(this.pathFor("00"));
    try {
      await pipeline(
        input,
        async function* (chunks: AsyncIterable<Buffer>) {
          const counted = (async function* () {
            for await (const chunk of chunks) {
              hash.update(chunk);
              bytes += chunk.length;
              yield chunk;
            }
          })();
          yield* seal(counted, key);
        },
        createWriteStream(tmp),
      );
      const sha256 = hash.digest("hex");
      const path = this.pathFor(sha256);
      await mkdir(join(this.root, sha256.slice(0, 2)), { recursive: true });
      // Same content already stored: rename replaces it with identical bytes.
      await rename(tmp, path);
      return { path, sha256, bytes };
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
  }

  async has(path: string): Promise<boolean> {
    try {
      return (await stat(path)).isFile();
    } catch {
      return false;
    }
  }
}
