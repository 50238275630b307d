/**
 * What every benchmark that times phases in child processes shares: a phase
 * run as a fresh process of the same script (so one phase's memory and caches
 * never colour another's, and its peak RSS is its own), the median of
 * repeated runs, and rounding for the printed figures.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import type { Store } from "../src/store/db.js";
import { createWallet } from "../src/store/wallets.js";

export const BENCH_PG_URL =
  process.env.REMESSA_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/**
 * An empty base to measure in, thrown away after: a SQLite file in a temporary folder, or a
 * fresh schema of the PostgreSQL server (its URL carries the search_path). `checkpoint`:
 * flush PostgreSQL's dirty pages first, so an earlier run's writes are not paid by this one.
 */
export async function scratchDatabase(
  db: "sqlite" | "postgres",
  options: { prefix?: string; checkpoint?: boolean } = {},
): Promise<{ url: string; dispose: () => Promise<void> }> {
  if (db === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), `${options.prefix ?? "remessa-bench"}-`));
    return {
      url: `sqlite:${join(dir, "bench.db")}`,
      dispose: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const schema = `bench_${randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: BENCH_PG_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  if (options.checkpoint) await admin.query("checkpoint");
  await admin.end();
  const u = new URL(BENCH_PG_URL);
  u.searchParams.set("options", `-c search_path=${schema}`);
  return {
    url: u.toString(),
    dispose: async () => {
      const c = new pg.Client({ connectionString: BENCH_PG_URL });
      await c.connect();
      await c.query(`drop schema ${schema} cascade`);
      await c.end();
    },
  };
}

/** This process's peak resident set, in MB. */
export function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/** Runs the script at `scriptUrl` (import.meta.url) again with `args`; its last stdout line is JSON. */
export function runPhaseChild<T>(scriptUrl: string, args: string[]): T {
  const out = execFileSync(
    process.execPath,
    ["--import", "tsx", fileURLToPath(scriptUrl), ...args],
    {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
      maxBuffer: 1 << 20,
    },
  );
  return JSON.parse(out.trim().split("\n").pop() ?? "{}") as T;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export const round = (n: number, digits = 3) => Number(n.toFixed(digits));

/** Wallet BENCH with an SMS short-code route BENCH: what a `cBENCH_smsshort` mailing needs. */
export async function seedBenchWallet(store: Store): Promise<void> {
  await createWallet(store.db, 1, { code: "BENCH" });
  const now = new Date().toISOString();
  await store.db
    .insertInto("senders")
    .values({
      tenant_id: 1,
      kind: "sms",
      mode: "short",
      name: "bench",
      number: "BENCH",
      phone_number_id: null,
      token_enc: null,
      wallet_id: null,
      settings_json: null,
      rate_per_second: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
}
