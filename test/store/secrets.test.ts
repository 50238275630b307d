import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import {
  decryptSecret,
  encryptSecret,
  KEY_FILE_NAME,
  loadOrCreateKeyFile,
  parseSecretKey,
  SecretError,
} from "../../src/store/secrets.js";

test("encrypt then decrypt gives back any text, and the envelope never contains it", () => {
  const key = randomBytes(32);
  fc.assert(
    fc.property(fc.string({ minLength: 4 }), (plain) => {
      const envelope = encryptSecret(plain, key);
      assert.equal(decryptSecret(envelope, key), plain);
      assert.ok(!envelope.includes(plain));
    }),
  );
});

test("the same secret encrypts differently each time (random IV)", () => {
  const key = randomBytes(32);
  assert.notEqual(encryptSecret("senha", key), encryptSecret("senha", key));
});

test("a wrong key or a tampered envelope is refused with a pt-BR explanation", () => {
  const envelope = encryptSecret("senha-secreta", randomBytes(32));
  assert.throws(() => decryptSecret(envelope, randomBytes(32)), SecretError);
  const key = randomBytes(32);
  const good = encryptSecret("senha-secreta", key);
  const raw = Buffer.from(good.slice(3), "base64");
  raw[raw.length - 1] = (raw[raw.length - 1] ?? 0) ^ 1;
  assert.throws(() => decryptSecret(`v1:${raw.toString("base64")}`, key), /chave|corrompido/);
  assert.throws(() => decryptSecret("texto-claro", key), SecretError);
});

test("REMESSA_SECRET_KEY accepts hex or base64 of exactly 32 bytes", () => {
  const key = randomBytes(32);
  assert.deepEqual(parseSecretKey(key.toString("hex")), key);
  assert.deepEqual(parseSecretKey(key.toString("base64")), key);
  assert.throws(() => parseSecretKey(randomBytes(16).toString("base64")), /32 bytes/);
});

test("the data-dir key is created once with mode 0600 and reused", () => {
  const dir = mkdtempSync(join(tmpdir(), "remessa-key-"));
  try {
    const first = loadOrCreateKeyFile(dir);
    const second = loadOrCreateKeyFile(dir);
    assert.deepEqual(first, second);
    assert.equal(first.length, 32);
    assert.equal(statSync(join(dir, KEY_FILE_NAME)).mode & 0o777, 0o600);
    assert.ok(readFileSync(join(dir, KEY_FILE_NAME), "utf8").trim().length > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
