/**
 * Password checks run in one worker thread, not on libuv's thread pool: a
 * burst of checks must not delay file I/O (which shares that pool), and checks
 * beyond the queue bound are refused at once as "servidor ocupado", while one
 * address's checks wait their turn instead of filling that queue.
 */
import assert from "node:assert/strict";
import { stat } from "node:fs/promises";
import { test } from "node:test";
import { loadCredentials } from "../../src/ingest/dropbox.js";
import {
  FtpGuard,
  hashPassword,
  ScryptWorker,
  ServerBusyError,
  verifierOf,
} from "../../src/ingest/ftp-guard.js";
import { createLogger } from "../../src/log.js";

test("a burst of password checks leaves libuv's thread pool to file I/O", async () => {
  const creds = loadCredentials("/nonexistent", {
    REMESSA_FTP_USER: "u",
    REMESSA_FTP_PASSWORD: "Segredo-da-caixa-9",
  });
  await creds.verify("aquecimento"); // the worker starts once
  // 16 checks at once: with crypto.scrypt they would fill the pool's 4
  // threads for 4 rounds, and a stat queued behind them would wait for all.
  const checks = Array.from({ length: 16 }, (_, i) => creds.verify(`chute-${i}`));
  const started = performance.now();
  await stat(import.meta.filename);
  const statMs = performance.now() - started;
  const results = await Promise.all(checks);
  const checksMs = performance.now() - started;
  assert.deepEqual(new Set(results), new Set([false]));
  assert.ok(
    statMs < checksMs / 4,
    `a stat took ${statMs.toFixed(1)} ms while 16 checks took ${checksMs.toFixed(1)} ms`,
  );
});

test("checks beyond the queue bound are refused at once as busy", async () => {
  const worker = new ScryptWorker(3);
  try {
    const verify = verifierOf(hashPassword("Segredo-da-caixa-9"), worker);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => verify(i === 0 ? "Segredo-da-caixa-9" : `x${i}`)),
    );
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ["fulfilled", "fulfilled", "fulfilled", "rejected", "rejected", "rejected"],
    );
    assert.equal((outcomes[0] as PromiseFulfilledResult<boolean>).value, true);
    const refused = outcomes[3] as PromiseRejectedResult;
    assert.ok(refused.reason instanceof ServerBusyError);
    assert.match(refused.reason.message, /Servidor ocupado/);
    // The queue drains: a later check runs.
    assert.equal(await verify("Segredo-da-caixa-9"), true);
  } finally {
    await worker.close();
  }
});

test("one address guessing on many connections cannot fill the queue and lock others out as busy", async () => {
  const worker = new ScryptWorker(4);
  const lines: string[] = [];
  const guard = new FtpGuard(
    createLogger({}, (line) => lines.push(line)),
    { verifyPerAddress: 2, failureDelayMs: 0, lockoutFailures: 1000 },
  );
  const fake = (ip: string) => ({
    ip,
    commandSocket: { writable: true, end: () => {}, destroy: () => {} },
    close: async () => {},
  });
  try {
    const verify = verifierOf(hashPassword("Segredo-da-caixa-9"), worker);
    const guesses = Array.from({ length: 12 }, (_, i) =>
      guard.login(
        fake("10.0.0.1"),
        "u",
        () => verify(`chute-${i}`),
        () => {},
      ),
    );
    const refusals: string[] = [];
    const legit = await guard.login(
      fake("10.0.0.2"),
      "u",
      () => verify("Segredo-da-caixa-9"),
      (message) => refusals.push(message),
    );
    assert.equal(legit, "accepted", refusals.join("; "));
    assert.deepEqual(new Set(await Promise.all(guesses)), new Set(["refused"]));
    assert.ok(!lines.some((l) => l.includes("queue full")), lines.join(""));
  } finally {
    await worker.close();
  }
});
