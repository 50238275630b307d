import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../../bin/remessa", import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), "remessa-admin-"));
after(() => rmSync(dataDir, { recursive: true, force: true }));

function remessa(...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, REMESSA_DATA_DIR: dataDir };
  delete env.DATABASE_URL;
  const r = spawnSync(BIN, args, { encoding: "utf8", env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("wallets and tenants on the embedded default", () => {
  test("migrate creates the default tenant", () => {
    assert.equal(remessa("migrate").code, 0);
    const tenants = JSON.parse(remessa("tenants", "list", "--json").stdout);
    assert.deepEqual(
      tenants.map((t: { id: number; timeZone: string }) => [t.id, t.timeZone]),
      [[1, "America/Sao_Paulo"]],
    );
  });

  test("a wallet is added once, listed, and removed", () => {
    assert.equal(remessa("wallets", "add", "BRAD", "--name", "Bradesco").code, 0);
    const again = remessa("wallets", "add", "BRAD");
    assert.equal(again.code, 1);
    assert.match(again.stderr, /já existe/);
    const listed = JSON.parse(remessa("wallets", "list", "--json").stdout);
    assert.deepEqual(
      listed.map((w: { code: string; name: string }) => [w.code, w.name]),
      [["BRAD", "Bradesco"]],
    );
    assert.equal(remessa("wallets", "remove", "BRAD", "--yes").code, 0);
    assert.deepEqual(JSON.parse(remessa("wallets", "list", "--json").stdout), []);
    assert.equal(remessa("wallets", "remove", "BRAD").code, 1);
  });

  test("another tenant's wallets are apart; an unknown tenant is refused", () => {
    assert.equal(remessa("tenants", "add", "Loja", "--zone", "America/Manaus").code, 0);
    assert.equal(remessa("wallets", "add", "VIP", "--tenant", "2").code, 0);
    assert.deepEqual(JSON.parse(remessa("wallets", "list", "--json").stdout), []);
    const unknown = remessa("wallets", "list", "--tenant", "9");
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /A empresa 9 não existe/);
    assert.equal(remessa("wallets", "list", "--tenant", "x").code, 2);
  });
});
