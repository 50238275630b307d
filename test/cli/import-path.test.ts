/**
 * `remessa import` of a relative path records the file's absolute path, so its return file
 * (`<name>.retorno.csv`, written beside a local import) has a place (return-files.ts).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { openMigrated } from "../../src/store/db.js";
import { mailingCsv } from "../ingest/helpers.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = join(ROOT, "bin/remessa");
const work = realpathSync(mkdtempSync(join(tmpdir(), "remessa-import-path-")));
after(() => rmSync(work, { recursive: true, force: true }));

function remessa(args: string[], cwd: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, REMESSA_DATA_DIR: join(work, "data") };
  delete env.DATABASE_URL;
  const r = spawnSync(BIN, args, { encoding: "utf8", env, cwd });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("import of a relative path records the absolute path of the file", async () => {
  const data = join(work, "data");
  assert.equal(remessa(["migrate", "--data-dir", data], ROOT).code, 0);
  assert.equal(remessa(["wallets", "add", "BRAD", "--data-dir", data], ROOT).code, 0);
  const folder = join(work, "arquivos");
  mkdirSync(folder);
  const name = "mailing_261126_1_cBRAD.csv";
  writeFileSync(join(folder, name), mailingCsv(2));
  const r = remessa(
    ["import", "--json", "--today", "2026-11-26", "--data-dir", data, name],
    folder,
  );
  assert.equal(r.code, 0, r.stderr);
  const { mailingId } = JSON.parse(r.stdout) as { mailingId: number };
  const store = await openMigrated(`sqlite:${join(data, "remessa.db")}`);
  try {
    const row = await store.db
      .selectFrom("mailings")
      .select("path")
      .where("id", "=", mailingId)
      .executeTakeFirstOrThrow();
    assert.equal(row.path, join(folder, name));
  } finally {
    await store.close();
  }
});
