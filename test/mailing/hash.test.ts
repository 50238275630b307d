import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { describe, test } from "node:test";
import fc from "fast-check";
import { createChunkHasher, HASH_WORKER_MIN_BYTES } from "../../src/mailing/hash.js";
import { readAll, tempFile } from "./helpers.js";

const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");

async function hashWith(onWorker: boolean, chunks: Uint8Array[]): Promise<string> {
  const hasher = createChunkHasher(onWorker);
  try {
    for (const chunk of chunks) await hasher.update(chunk);
    return await hasher.digest();
  } finally {
    hasher.close();
  }
}

describe("chunk hasher", () => {
  test("property: local and worker digests equal one SHA-256 over the bytes", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 12 }),
        async (chunks) => {
          const expected = sha256(Buffer.concat(chunks));
          assert.equal(await hashWith(false, chunks), expected);
          assert.equal(await hashWith(true, chunks), expected);
        },
      ),
      { numRuns: 25 },
    );
  });

  test("worker: many big chunks (buffers reused, bounded in flight), views into bigger buffers", async () => {
    const big = Buffer.alloc(1 << 20);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < 40; i++) chunks.push(big.subarray(i * 1000, i * 1000 + (1 << 18) + i));
    chunks.push(big); // bigger than the pooled buffers
    chunks.push(new Uint8Array(0));
    assert.equal(await hashWith(true, chunks), sha256(Buffer.concat(chunks)));
  });

  test("worker: closing without a digest stops it", async () => {
    const hasher = createChunkHasher(true);
    await hasher.update(Buffer.from("abc"));
    hasher.close();
    await assert.rejects(hasher.digest());
  });

  test("reader: a file past the worker threshold gets the SHA-256 of its bytes", async () => {
    // Header, then rows with a long MENSAGEM (each under the line limit): big, yet quick to parse.
    const head = Buffer.from("TIPO_DE_REGISTRO;VALOR_DO_REGISTRO;MENSAGEM\r\n");
    const message = "a".repeat(1_000_000);
    const rows: Buffer[] = [head];
    const count = Math.ceil(HASH_WORKER_MIN_BYTES / message.length) + 1;
    for (let i = 0; i < count; i++)
      rows.push(Buffer.from(`TELEFONE;119${10_000_000 + i};${message}\r\n`));
    const data = Buffer.concat(rows);
    assert.ok(data.length > HASH_WORKER_MIN_BYTES);
    const path = tempFile("");
    writeFileSync(path, data);
    const { summary } = await readAll(path);
    assert.equal(summary.sha256, sha256(data));
    assert.equal(summary.rows, count);
  });
});
