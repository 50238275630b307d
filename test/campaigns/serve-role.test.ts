/**
 * `remessa serve --role`: dispatch runs by default and in the dispatch role
 * (with no drop box), not in the ingest role; an unknown role is refused in
 * pt-BR.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { openMigrated } from "../../src/store/db.js";
import { freePort } from "../ingest/serve-harness.js";
import { seedCampaign } from "./dispatch-fixtures.js";

const ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(ROOT, "bin/remessa");

async function waitUntil(what: string, check: () => Promise<boolean>, ms = 60_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function serve(dataDir: string, args: string[]): { child: ChildProcess; out: () => string } {
  const child = spawn(
    process.execPath,
    [BIN, "serve", "--data-dir", dataDir, "--http-port", "0", ...args],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: `sqlite:${join(dataDir, "remessa.db")}`,
        REMESSA_FTP_USER: "caixa",
        REMESSA_FTP_PASSWORD: "Senha-da-caixa-1",
        REMESSA_LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  return { child, out: () => out };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill("SIGTERM");
  await once(child, "exit");
}

async function seeded() {
  const dataDir = mkdtempSync(join(tmpdir(), "remessa-role-"));
  const store = await openMigrated(`sqlite:${join(dataDir, "remessa.db")}`);
  const s = await seedCampaign(store, { persons: 5, startAt: Date.now() - 1000 });
  const outbox = async () =>
    Number(
      (
        await store.db
          .selectFrom("outbox")
          .select((eb) => eb.fn.countAll().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    );
  return {
    dataDir,
    store,
    s,
    outbox,
    async dispose() {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

test("serve dispatches by default", async () => {
  const d = await seeded();
  const ftpPort = await freePort();
  const p = serve(d.dataDir, ["--ftp-port", String(ftpPort)]);
  try {
    await waitUntil("5 messages in the outbox", async () => (await d.outbox()) === 5);
    assert.match(p.out(), /Caixa FTPS/);
  } finally {
    await stop(p.child);
    await d.dispose();
  }
});

test("serve --role dispatch sends without a drop box", async () => {
  const d = await seeded();
  const ftpPort = await freePort();
  const p = serve(d.dataDir, ["--role", "dispatch", "--ftp-port", String(ftpPort)]);
  try {
    await waitUntil("5 messages in the outbox", async () => (await d.outbox()) === 5);
    assert.doesNotMatch(p.out(), /Caixa FTPS/);
    assert.equal(existsSync(join(d.dataDir, "drop")), false);
  } finally {
    await stop(p.child);
    await d.dispose();
  }
});

test("serve --role ingest does not dispatch", async () => {
  const d = await seeded();
  const p = serve(d.dataDir, ["--role", "ingest", "--ftp-port", "0"]);
  try {
    await waitUntil("serve to start", async () => p.out().includes("remessa em execução"));
    // A dispatcher would take the due messages at once; give it the time it would need.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await d.outbox(), 0);
    const states = await d.store.db.selectFrom("messages").select("state").execute();
    assert.ok(states.every((m) => m.state === "pending"));
  } finally {
    await stop(p.child);
    await d.dispose();
  }
});

test("serve --role with an unknown value is refused in pt-BR", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "remessa-role-"));
  const p = serve(dataDir, ["--role", "tudo"]);
  const [code] = await once(p.child, "exit");
  assert.equal(code, 2);
  assert.match(p.out(), /--role inválido: "tudo"\. Use all, ingest ou dispatch\./);
  rmSync(dataDir, { recursive: true, force: true });
});
