/**
 * The original bytes of every file picked up, kept under the data dir by
 * content (SHA-256): `files/ab/abcdef….bin`. Writing is streamed into a
 * temporary name and renamed into place, so a stored blob is always complete;
 * the same bytes dropped twice are stored once.
 */
import { createHash, randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

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
    try {
      await pipeline(
        input,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            hash.update(chunk);
            bytes += chunk.length;
            yield chunk;
          }
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
