/** Stored originals sealed at rest: round trip, byte ranges, tampering, old plain files, zips. */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, describe, test } from "node:test";
import yazl from "yazl";
import { BlobStore } from "../../src/ingest/blobs.js";
import { readMailing } from "../../src/mailing/reader.js";
import {
  isSealed,
  openStoredFile,
  SEALED_MAGIC,
  SealedFileError,
  seal,
  storedFileSize,
} from "../../src/privacy/sealed.js";

const dataDir = mkdtempSync(join(tmpdir(), "remessa-sealed-"));
after(() => rmSync(dataDir, { recursive: true, force: true }));
const blobs = new BlobStore(join(dataDir, "files"));

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/** `bytes` in pieces of uneven sizes, as a network read gives them. */
function pieces(bytes: Buffer): Readable {
  const out: Buffer[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const n = [1, 1000, 70_000, 65_536, 3][i % 5] as number;
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  return Readable.from(out);
}

describe("sealed stored files", () => {
  test("every size round-trips, on disk nothing of the plaintext shows", async () => {
    const chunk = 64 * 1024;
    for (const size of [0, 1, chunk - 1, chunk, chunk + 1, 3 * chunk, 3 * chunk + 17]) {
      const plain = randomBytes(size);
      const stored = await blobs.put(pieces(plain));
      assert.equal(stored.bytes, size);
      assert.ok(await isSealed(stored.path));
      assert.equal(await storedFileSize(stored.path), size);
      assert.ok(readFileSync(stored.path).subarray(0, 8).equals(SEALED_MAGIC));
      assert.ok((await readAll(openStoredFile(stored.path))).equals(plain), `size ${size}`);
      assert.ok(
        (await readAll(openStoredFile(stored.path, { highWaterMark: 1 << 18 }))).equals(plain),
      );
    }
    const text = Buffer.from("NOME;CPF\nMaria Sigilosa;52998224725\n".repeat(5000));
    const stored = await blobs.put(Readable.from([text]));
    const raw = readFileSync(stored.path);
    assert.equal(raw.includes("Maria Sigilosa"), false);
    assert.equal(raw.includes("52998224725"), false);
  });

  test("any byte range reads as the plaintext's", async () => {
    const plain = randomBytes(200_000);
    const stored = await blobs.put(Readable.from([plain]));
    for (const [start, end] of [
      [0, 0],
      [5, 65_535],
      [65_535, 65_536],
      [65_536, 131_071],
      [100, 199_999],
      [199_999, 199_999],
      [150_000, 400_000],
    ] as const) {
      const got = await readAll(openStoredFile(stored.path, { start, end }));
      assert.ok(got.equals(plain.subarray(start, end + 1)), `${start}-${end}`);
    }
  });

  test("an altered, truncated or extended file is refused, not read wrong", async () => {
    const plain = randomBytes(150_000);
    const stored = await blobs.put(Readable.from([plain]));
    const good = readFileSync(stored.path);
    const variants: [string, Buffer][] = [
      ["one bit flipped", Buffer.from(good).fill((good[1000] as number) ^ 1, 1000, 1001)],
      ["last chunk dropped", good.subarray(0, 28 + 2 * (65_536 + 16))],
      ["bytes appended", Buffer.concat([good, Buffer.alloc(16)])],
    ];
    mkdirSync(join(dataDir, "files", "zz"), { recursive: true });
    for (const [what, bytes] of variants) {
      const path = join(dataDir, "files", "zz", `${what}.bin`);
      rmSync(path, { force: true });
      writeFileSync(path, bytes, { flag: "w" });
      await assert.rejects(readAll(openStoredFile(path)), SealedFileError, what);
    }
    // Another data dir's key cannot open it.
    const otherDir = mkdtempSync(join(tmpdir(), "remessa-sealed-other-"));
    try {
      const path = join(otherDir, "files", "ab", "x.bin");

      mkdirSync(join(otherDir, "files", "ab"), { recursive: true });
      writeFileSync(path, good);
      await assert.rejects(readAll(openStoredFile(path)), SealedFileError);
    } finally {
      rmSync(otherDir, { recursive: true, force: true });
    }
  });

  test("files stored before sealing are read as they are", async () => {
    const path = join(dataDir, "plain.csv");
    writeFileSync(path, "TIPO_DE_REGISTRO;VALOR_DO_REGISTRO\nTELEFONE;11987654321\n");
    assert.equal(await isSealed(path), false);
    assert.equal(await storedFileSize(path), 56);
    assert.equal(
      (await readAll(openStoredFile(path, { start: 35 }))).toString(),
      "TELEFONE;11987654321\n",
    );
  });

  test("the mailing reader reads sealed CSVs and zips like plain ones", async () => {
    const csv = [
      "TIPO_DE_REGISTRO;VALOR_DO_REGISTRO;NOME_CLIENTE;CODCLIENTE",
      ...Array.from(
        { length: 3000 },
        (_, i) => `TELEFONE;119${String(87_000_000 + i)};P${i};C${i}`,
      ),
      "",
    ].join("\n");
    const zip = new yazl.ZipFile();
    zip.addBuffer(Buffer.from(csv), "dentro/lista.csv");
    zip.end();
    const zipped = await readAll(zip.outputStream as unknown as Readable);
    for (const [extension, bytes] of [
      ["csv", Buffer.from(csv)],
      ["zip", zipped],
    ] as const) {
      const stored = await blobs.put(Readable.from([bytes]));
      assert.ok(await isSealed(stored.path));
      const reader = readMailing(stored.path, { extension, sanitize: false });
      let persons = 0;
      for (;;) {
        const step = await reader.next();
        if (step.done) {
          assert.equal(step.value.ok, true, JSON.stringify(step.value.errors));
          assert.equal(step.value.sha256, stored.sha256);
          assert.equal(step.value.bytes, bytes.length);
          break;
        }
        persons += step.value.persons.length;
      }
      assert.equal(persons, 3000, extension);
    }
  });

  test("seal alone: chunks are the configured size", async () => {
    const out = await readAll(
      Readable.from(seal(Readable.from([Buffer.alloc(10)]), Buffer.alloc(32, 7), 4)),
    );
    // header 28 + chunks of 4, 4, 2 bytes each with a 16-byte tag.
    assert.equal(out.length, 28 + 3 * 16 + 10);
  });
});
