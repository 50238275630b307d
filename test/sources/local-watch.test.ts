import assert from "node:assert/strict";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { isWatchable, openSource } from "../../src/sources/open.js";
import type { SourceChange, SourceConfig, WatchableSource } from "../../src/sources/types.js";
import { tempDir } from "./servers.js";

describe("local source change events", () => {
  let root: string;
  const config = (dir: string): SourceConfig => ({
    protocol: "local",
    host: "",
    port: null,
    user: "",
    password: "",
    root: dir,
    allowPrivate: false,
    tlsFingerprint: null,
    tlsInsecure: false,
  });
  before(async () => {
    root = await tempDir();
    await mkdir(join(root, "BRAD"));
  });
  after(() => rm(root, { recursive: true, force: true }));

  for (const mode of ["native", "poll"] as const) {
    test(`${mode}: a file dropped in a wallet folder is reported`, async () => {
      const source = await openSource(config(root), { localWatch: mode });
      assert.ok(isWatchable(source));
      const watchable = source as WatchableSource;
      const name = `mailing_${mode}.csv`;
      const seen = new Promise<SourceChange>((resolve) => {
        const stop = watchable.watch((change) => {
          if (change.path === `BRAD/${name}`) {
            stop();
            resolve(change);
          }
        });
      });
      // Polling compares against a first snapshot; keep writing until it is seen.
      let written = 0;
      const writer = setInterval(() => {
        void writeFile(join(root, "BRAD", name), `linha ${written++}\n`);
      }, 200);
      try {
        assert.deepEqual(await seen, { path: `BRAD/${name}` });
      } finally {
        clearInterval(writer);
      }
    });
  }

  test("remote sources are not watchable", async () => {
    const ftp = await openSource({ ...config(root), protocol: "ftp", host: "ftp.example.com" });
    assert.equal(isWatchable(ftp), false);
  });
});
