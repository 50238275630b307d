import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { loadCredentials } from "../../src/ingest/dropbox.js";
import { weakPasswordReason } from "../../src/ingest/ftp-guard.js";

const dir = mkdtempSync(join(tmpdir(), "remessa-cred-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("generated drop box credentials: shown once, kept only as a hash (0600)", async () => {
  const first = loadCredentials(dir, {});
  assert.equal(first.user, "remessa");
  assert.ok(first.generatedPassword && first.generatedPassword.length >= 20);
  const file = join(dir, "ftp-credentials.json");
  // Written only when the caller says the drop box is up (then prints the password).
  assert.equal(existsSync(file), false, "credentials written before persist()");
  first.persist();
  const stored = readFileSync(file, "utf8");
  assert.ok(!stored.includes(first.generatedPassword), "the password is stored in clear");
  assert.match(stored, /"passwordHash":"scrypt:/);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(await first.verify(first.generatedPassword), true);
  assert.equal(await first.verify(`${first.generatedPassword}x`), false);

  const again = loadCredentials(dir, {});
  assert.equal(again.generatedPassword, null, "printed only on the first start");
  assert.equal(await again.verify(first.generatedPassword), true);
  assert.equal(await again.verify(""), false);
});

test("credentials from the environment win and are not written", async () => {
  const envDir = mkdtempSync(join(dir, "env-"));
  const creds = loadCredentials(envDir, {
    REMESSA_FTP_USER: "operador",
    REMESSA_FTP_PASSWORD: "Segredo-1234",
  });
  assert.equal(creds.user, "operador");
  assert.equal(creds.file, null);
  assert.equal(await creds.verify("Segredo-1234"), true);
  assert.equal(await creds.verify("segredo-1234"), false);
});

test("weak configured passwords are refused with the reason", () => {
  for (const weak of [
    "1",
    "Abc-1234567",
    "abcdefghijklmnop",
    "1234567890123",
    "SENHASENHASENHA",
    "senhasenha123",
    "aaaaaaaaaaaaa1",
  ]) {
    assert.throws(
      () =>
        loadCredentials(mkdtempSync(join(dir, "weak-")), {
          REMESSA_FTP_USER: "u",
          REMESSA_FTP_PASSWORD: weak,
        }),
      /REMESSA_FTP_PASSWORD é fraca demais/,
      weak,
    );
  }
  assert.match(weakPasswordReason("1") ?? "", /tem 1 caracteres \(mínimo 12\)/);
  assert.match(weakPasswordReason("abcdefghijklmnop") ?? "", /um só tipo/);
  assert.match(weakPasswordReason("senhasenha123") ?? "", /óbvia/);
  for (const good of ["Segredo-1234", "correct horse battery 9", "Senha-da-caixa-1"]) {
    assert.equal(weakPasswordReason(good), null, good);
  }
});
