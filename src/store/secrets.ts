/**
 * Secrets at rest (FTP/SMTP passwords, API tokens): AES-256-GCM under a
 * 32-byte key from REMESSA_SECRET_KEY (base64 or hex), or — for the embedded
 * default — a key generated once into the data dir (mode 0600) and reused.
 * Envelope: "v1:" + base64(iv[12] ‖ tag[16] ‖ ciphertext).
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dataDir, secretKeySetting } from "../config.js";

const PREFIX = "v1:";
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_FILE_NAME = "secret.key";

/** A key or envelope problem; the message is pt-BR and says how to fix it. */
export class SecretError extends Error {}

/** Parses REMESSA_SECRET_KEY: 64 hex digits or base64 of 32 bytes. */
export function parseSecretKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed)
    ? Buffer.from(trimmed, "hex")
    : Buffer.from(trimmed, "base64");
  if (key.length !== 32) {
    throw new SecretError(
      "REMESSA_SECRET_KEY inválida: informe 32 bytes em base64 (44 caracteres) ou hexadecimal (64 caracteres). Gere uma com: openssl rand -base64 32",
    );
  }
  return key;
}

/** Reads the data-dir key, creating it (0600) on first use. Safe against two processes racing. */
export function loadOrCreateKeyFile(dir: string): Buffer {
  const file = join(dir, KEY_FILE_NAME);
  mkdirSync(dir, { recursive: true });
  try {
    writeFileSync(file, `${randomBytes(32).toString("base64")}\n`, { flag: "wx", mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  try {
    return parseSecretKey(readFileSync(file, "utf8"));
  } catch (error) {
    if (error instanceof SecretError) {
      throw new SecretError(
        `O arquivo de chave ${file} está corrompido. Restaure-o do backup; sem ele as senhas guardadas não podem ser lidas.`,
      );
    }
    throw error;
  }
}

const cache = new Map<string, Buffer>();

/** The key in force: REMESSA_SECRET_KEY, else the data dir's key file. */
export function secretKey(): Buffer {
  const setting = secretKeySetting();
  const cacheKey = setting ? `env:${setting}` : `dir:${dataDir()}`;
  let key = cache.get(cacheKey);
  if (!key) {
    key = setting ? parseSecretKey(setting) : loadOrCreateKeyFile(dataDir());
    cache.set(cacheKey, key);
  }
  return key;
}

export function encryptSecret(plain: string, key: Buffer = secretKey()): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64");
}

export function decryptSecret(envelope: string, key: Buffer = secretKey()): string {
  if (!envelope.startsWith(PREFIX)) {
    throw new SecretError("Segredo guardado em formato desconhecido. Cadastre a senha novamente.");
  }
  const raw = Buffer.from(envelope.slice(PREFIX.length), "base64");
  if (raw.length < IV_BYTES + TAG_BYTES) {
    throw new SecretError("Segredo guardado está corrompido. Cadastre a senha novamente.");
  }
  const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, IV_BYTES));
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  try {
    return Buffer.concat([
      decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)),
      decipher.final(),
    ]).toString("utf8");
  } catch {
    throw new SecretError(
      "Não foi possível decifrar um segredo guardado: a chave (REMESSA_SECRET_KEY ou o arquivo secret.key da pasta de dados) não é a mesma usada ao cadastrá-lo. Restaure a chave original ou cadastre a senha novamente.",
    );
  }
}
