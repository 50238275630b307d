/**
 * Opens a migrated store for a test on either database. PostgreSQL tests get
 * their own schema (dropped afterwards) so test files can run in parallel.
 * Other areas' tests may import this too.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { openMigrated, type Store } from "../../src/store/db.js";
import { FULL, needsFull, POSTGRES_URL } from "../helpers/env.js";

export interface TestStore {
  store: Store;
  /** The DATABASE_URL of this store (for child processes). */
  url: string;
  /** Data dir for the store (secret key file, stored files). */
  dataDir: string;
  dispose(): Promise<void>;
}

/** A URL whose connections work inside `schema`. */
export function pgUrlWithSchema(base: string, schema: string): string {
  const u = new URL(base);
  u.searchParams.set("options", `-c search_path=${schema}`);
  return u.toString();
}

export async function openSqliteTestStore(): Promise<TestStore> {
  const dataDir = mkdtempSync(join(tmpdir(), "remessa-store-"));
  const url = `sqlite:${join(dataDir, "remessa.db")}`;
  const store = await openMigrated(url);
  return {
    store,
    url,
    dataDir,
    async dispose() {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function openPgTestStore(): Promise<TestStore> {
  const schema = `t_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const url = pgUrlWithSchema(POSTGRES_URL, schema);
  const dataDir = mkdtempSync(join(tmpdir(), "remessa-store-"));
  const store = await openMigrated(url);
  return {
    store,
    url,
    dataDir,
    async dispose() {
      await store.close();
      const c = new pg.Client({ connectionString: POSTGRES_URL });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The databases to run a suite on, with node:test's `skip` for PostgreSQL outside full mode. */
export const DATABASES = [
  { name: "sqlite", open: openSqliteTestStore, skip: false as false | string },
  { name: "postgres", open: openPgTestStore, skip: needsFull("PostgreSQL em 127.0.0.1:5432") },
] as const;

export { FULL };
