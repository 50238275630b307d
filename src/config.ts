/**
 * Environment settings shared by every command. Read lazily (functions, not
 * constants) so tests and child processes can change the environment first.
 */
import { resolve } from "node:path";

type Env = Record<string, string | undefined>;

/** Where the embedded default keeps its database, secret key and stored files. */
export function dataDir(env: Env = process.env): string {
  const dir = env.REMESSA_DATA_DIR?.trim();
  return resolve(dir ? dir : "./data");
}

/** `sqlite:<path>` (default: `<data dir>/remessa.db`) or `postgres://…`. */
export function databaseUrl(env: Env = process.env): string {
  const url = env.DATABASE_URL?.trim();
  if (url) return url;
  return `sqlite:${resolve(dataDir(env), "remessa.db")}`;
}

/** The 32-byte key for secrets at rest (base64 or hex), or null to use the data-dir key file. */
export function secretKeySetting(env: Env = process.env): string | null {
  const key = env.REMESSA_SECRET_KEY?.trim();
  return key ? key : null;
}
