/**
 * Child process for the kill test: imports FILE into DATABASE_URL with the
 * real reader and writer, announcing on stdout where it is ("chunk N",
 * "hook"), and stops to wait for stdin at the requested point so the parent
 * can SIGKILL it there.
 * Usage: node --import tsx test/store/import-child.ts FILE (chunk:N | hook)
 */
import { once } from "node:events";
import { basename } from "node:path";
import { databaseUrl } from "../../src/config.js";
import { readMailing } from "../../src/mailing/reader.js";
import { openMigrated } from "../../src/store/db.js";
import { importMailing, splitReader } from "../../src/store/import.js";
import { mailingName } from "./fixtures.js";

const [file, stopAt] = process.argv.slice(2);
if (!file || !stopAt) throw new Error("usage: import-child.ts FILE (chunk:N | hook)");
const stopChunk = stopAt.startsWith("chunk:") ? Number(stopAt.slice(6)) : -1;

async function waitForParent(message: string): Promise<void> {
  process.stdout.write(`${message}\n`);
  await once(process.stdin, "data");
}

const store = await openMigrated(databaseUrl());
const reader = splitReader(
  readMailing(file, { extension: "csv", sanitize: false, batchSize: 500 }),
);
let chunk = 0;
async function* paced() {
  for await (const c of reader.content) {
    yield c;
    chunk++;
    if (chunk === stopChunk) await waitForParent(`chunk ${chunk}`);
  }
}
const result = await importMailing(store, {
  tenantId: 1,
  mailing: mailingName(),
  fileName: basename(file),
  path: file,
  folder: null,
  content: paced(),
  summary: reader.summary,
  afterImport: async () => {
    if (stopAt === "hook") await waitForParent("hook");
  },
});
process.stdout.write(`${JSON.stringify({ done: result.ok })}\n`);
await store.close();
