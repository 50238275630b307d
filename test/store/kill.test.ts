/**
 * All-or-nothing across crashes: a child process importing a real generated
 * file is SIGKILLed mid-stream and after every row is written (inside the
 * campaign hook, before commit); nothing of the mailing may remain, and the
 * CLI then imports it exactly once.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { generateMailing } from "../../bench/generate-mailing.js";
import { createWallet } from "../../src/store/wallets.js";
import { DATABASES, type TestStore } from "./harness.js";

const ROOT = join(import.meta.dirname, "..", "..");
const ROWS = 40_000;

/** Generous: the machine may be shared with other test runs and benchmarks. */
const CHILD_DEADLINE_MS = 180_000;

/** Identifies this test's child connections on the server (see `reapBackends`). */
function appName(t: TestStore): string {
  return `remessa-kill-${t.dataDir.slice(-8).replace(/[^A-Za-z0-9]/g, "")}`;
}

function childEnv(t: TestStore): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATABASE_URL: t.url,
    REMESSA_DATA_DIR: t.dataDir,
    PGAPPNAME: appName(t),
  };
}

/**
 * Resolves with the first complete stdout line that matches (a line still
 * being written, e.g. "chunk 2" of "chunk 25", is not taken).
 */
async function waitForLine(child: ChildProcess, pattern: RegExp): Promise<string> {
  let buffer = "";
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no ${pattern} from the child in time: ${buffer}`)),
      CHILD_DEADLINE_MS,
    );
  });
  const read = (async () => {
    for await (const data of child.stdout!) {
      buffer += String(data);
      const lines = buffer.split("\n").slice(0, -1);
      const line = lines.find((l) => pattern.test(l));
      if (line) return line;
    }
    throw new Error(`child ended without printing ${pattern}: ${buffer}`);
  })();
  try {
    return await Promise.race([read, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The server may keep a killed client's backend (and its transaction's
 * locks: the mailing row, the import lock) until it next touches the socket,
 * e.g. at the end of a long statement. Waits for this test's child backends to
 * go, ending any left after a grace period, so the next step never waits on
 * a dead import.
 */
async function reapBackends(t: TestStore): Promise<void> {
  if (t.store.dialect !== "postgres") return;
  const client = new pg.Client({ connectionString: t.url });
  await client.connect();
  try {
    const started = Date.now();
    for (;;) {
      const left = await client.query(
        "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()",
        [appName(t)],
      );
      if (left.rows.length === 0) return;
      if (Date.now() - started > 5_000) {
        await client.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()",
          [appName(t)],
        );
      }
      if (Date.now() - started > CHILD_DEADLINE_MS) {
        throw new Error(`backends of the killed child still alive: ${JSON.stringify(left.rows)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await client.end();
  }
}

async function runCli(t: TestStore, args: string[]): Promise<{ code: number; out: string }> {
  const child = spawn(join(ROOT, "bin", "remessa"), args, { env: childEnv(t), cwd: t.dataDir });
  let out = "";
  child.stdout.on("data", (d) => {
    out += String(d);
  });
  child.stderr.resume();
  const [code] = await once(child, "exit");
  return { code: code as number, out };
}

async function counts(t: TestStore): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of [
    "persons",
    "person_channels",
    "wallet_members",
    "mailing_persons",
    "mailing_rejections",
    "mailings",
    "person_tags",
  ] as const) {
    const row = await t.store.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    out[table] = Number(row.n);
  }
  return out;
}

for (const database of DATABASES) {
  describe(`kill mid-import on ${database.name}`, { skip: database.skip }, () => {
    let t: TestStore;
    let file: string;
    before(async () => {
      t = await database.open();
      await createWallet(t.store.db, 1, { code: "BRAD" });
      file = join(t.dataDir, "mailing_261126_1_cBRAD.csv");
      await generateMailing({ rows: ROWS, out: file, seed: 7, scatterRatio: 0.02 });
    });
    after(async () => {
      await t?.dispose();
    });

    for (const stopAt of ["chunk:3", "chunk:25", "hook"]) {
      test(`SIGKILL at ${stopAt} leaves nothing of the mailing`, async () => {
        const child = spawn(
          process.execPath,
          ["--import", "tsx", join(ROOT, "test/store/import-child.ts"), file, stopAt],
          { env: childEnv(t), cwd: ROOT, stdio: ["pipe", "pipe", "inherit"] },
        );
        const exited = once(child, "exit");
        const line = await waitForLine(child, /^(chunk \d+|hook)$/);
        assert.equal(line, stopAt.replace(":", " "));
        child.kill("SIGKILL");
        const [code, signal] = await exited;
        assert.equal(signal, "SIGKILL", `child exited with ${code}`);
        await reapBackends(t);
        const after = await counts(t);
        assert.deepEqual(
          after,
          Object.fromEntries(Object.keys(after).map((k) => [k, 0])),
          "partial mailing left behind",
        );
      });
    }

    test("after the kills the CLI imports the file exactly once", async () => {
      const first = await runCli(t, ["import", "--json", "--today", "2026-11-26", file]);
      assert.equal(first.code, 0, first.out);
      const result = JSON.parse(first.out);
      assert.equal(result.ok, true);
      assert.ok(result.persons > ROWS / 4, `persons ${result.persons}`);
      assert.equal(result.inserted, result.persons);
      const snapshot = await counts(t);
      assert.equal(snapshot.mailings, 1);
      assert.equal(snapshot.persons, result.persons);
      assert.equal(snapshot.mailing_persons, result.persons);
      const rejected = Object.values(result.rejected as Record<string, number>).reduce(
        (a, b) => a + b,
        0,
      );
      assert.equal(snapshot.mailing_rejections, rejected);

      const second = await runCli(t, ["import", "--json", "--today", "2026-11-26", file]);
      assert.equal(second.code, 1);
      assert.equal(JSON.parse(second.out).errors[0].code, "SEQUENCIA_REPETIDA");
      assert.deepEqual(await counts(t), snapshot);
    });
  });
}
