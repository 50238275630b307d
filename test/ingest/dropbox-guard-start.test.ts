/**
 * First start with the FTP port busy: `serve` exits 1 and leaves no
 * ftp-credentials.json (a hash of a password nobody saw would lock everyone
 * out for good); the next start on a free port prints the password, and it works.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { freePort, newDataDir, startServe } from "./serve-harness.js";

const run = promisify(execFile);
// No configured credentials: serve generates them.
const GENERATED = { REMESSA_FTP_USER: "", REMESSA_FTP_PASSWORD: "" };

test("first start with the FTP port busy writes no credentials; the next start prints a password that works; a restart says how to reset it", async () => {
  const dataDir = newDataDir();
  const busyPort = await freePort();
  const squatter = createServer();
  await new Promise<void>((ok) => squatter.listen(busyPort, "127.0.0.1", () => ok()));
  try {
    const failed = await startServe({ dataDir, ftpPort: busyPort, env: GENERATED, ready: false });
    const running = new Promise<null>((ok) => setTimeout(() => ok(null), 60_000).unref());
    const exit = await Promise.race([failed.exited, running]);
    await failed.stop();
    assert.equal(exit?.code, 1, failed.output());
    assert.match(failed.output(), new RegExp(`porta ${busyPort} da caixa FTPS já está em uso`));
    assert.equal(existsSync(join(dataDir, "ftp-credentials.json")), false);
  } finally {
    await new Promise<void>((ok) => squatter.close(() => ok()));
  }

  const serve = await startServe({ dataDir, env: GENERATED });
  try {
    const password = /senha: (\S+)/.exec(serve.output())?.[1];
    assert.ok(password, serve.output());
    assert.ok(existsSync(join(dataDir, "ftp-credentials.json")));
    const { stdout } = await run(
      "curl",
      [
        "--silent",
        "--show-error",
        "--ssl-reqd",
        "--insecure",
        "--list-only",
        "--user",
        `remessa:${password}`,
        `ftp://127.0.0.1:${serve.ftpPort}/`,
      ],
      { timeout: 30_000 },
    );
    assert.equal(typeof stdout, "string");
  } finally {
    await serve.stop();
  }

  // A restart does not show the password again, but says where it went and how to reset it.
  const again = await startServe({ dataDir, env: GENERATED });
  try {
    const line =
      again
        .output()
        .split("\n")
        .find((l) => l.includes("senha:")) ?? "";
    assert.match(line, /mostrada na primeira execução/);
    assert.match(line, /apague esse arquivo/);
    assert.ok(line.includes(join(dataDir, "ftp-credentials.json")), line);
  } finally {
    await again.stop();
  }
});
