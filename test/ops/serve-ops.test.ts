/**
 * A real `serve` child: a file dropped in its drop folder moves /metrics, its
 * log is JSON lines (one per event, nothing personal), and a long import
 * writes progress lines while it runs.
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ImportProgressLog } from "../../src/ingest/progress.js";
import { IngestService } from "../../src/ingest/service.js";
import { createLogger } from "../../src/log.js";
import { createSource } from "../../src/store/sources.js";
import { createWallet } from "../../src/store/wallets.js";
import { ddmmyy, mailingCsv, waitFor, whereDone } from "../ingest/helpers.js";
import { curlUpload, openServeStore, startServe } from "../ingest/serve-harness.js";
import { openSqliteTestStore } from "../store/harness.js";

const METRICS_KEY = "metrics-key-for-the-serve-test-0123456789";

function series(text: string, line: string): number {
  const found = text.split("\n").find((l) => l.startsWith(`${line} `));
  return found ? Number(found.slice(line.length + 1)) : 0;
}

describe("serve's operations", () => {
  test("a dropped file moves /metrics; the log is JSON lines with no personal data", async () => {
    const serve = await startServe({
      http: true,
      env: {
        REMESSA_METRICS_KEY: METRICS_KEY,
        REMESSA_LOG_LEVEL: "info",
        REMESSA_LOG_FORMAT: "json",
        REMESSA_LOG_PROGRESS_SECONDS: "1",
      },
    });
    try {
      const store = await openServeStore(serve.dataDir);
      try {
        await createWallet(store.db, 1, { code: "BRAD" });
      } finally {
        await store.close();
      }
      const base = `http://127.0.0.1:${serve.httpPort}`;
      const scrape = async () => {
        const res = await fetch(`${base}/metrics`, {
          headers: { authorization: `Bearer ${METRICS_KEY}` },
        });
        assert.equal(res.status, 200);
        return res.text();
      };
      assert.equal(series(await scrape(), 'remessa_files_total{outcome="accepted"}'), 0);
      assert.equal((await fetch(`${base}/metrics`)).status, 401);

      const name = `mailing_${ddmmyy()}_1.csv`;
      const local = join(serve.dataDir, name);
      writeFileSync(local, mailingCsv(20));
      await curlUpload(serve.ftpPort, local, `BRAD/${name}`);
      await waitFor("the file to be done", () => whereDone(join(serve.drop, "BRAD"), name), 90_000);
      const text = await waitFor("the counters", async () => {
        const t = await scrape();
        return series(t, 'remessa_files_total{outcome="accepted"}') === 1 ? t : null;
      });
      assert.equal(series(text, 'remessa_import_rows_total{result="accepted"}'), 20);
      assert.equal(series(text, "remessa_import_seconds_count"), 1);
      assert.match(text, /^process_cpu_user_seconds_total /m, "process metrics too");

      const lines = serve
        .output()
        .split("\n")
        .filter((l) => l.startsWith("{"));
      const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      const finished = events.find((e) => e.msg === "file finished");
      assert.ok(finished, serve.output());
      assert.equal(finished.level, "info");
      assert.equal(finished.outcome, "accepted");
      assert.equal(finished.file, `BRAD/${name}`);
      // mailingCsv's people have phones 1191000xxxx and names "Pessoa n": none in the log.
      assert.doesNotMatch(serve.output(), /119100000\d\d|Pessoa \d/);
    } finally {
      await serve.stop();
    }
  });
});

describe("import progress lines", () => {
  test("every interval while an import runs, with the share read and an estimate; none after", async () => {
    const lines: string[] = [];
    const log = createLogger({ file: "BRAD/grande.csv" }, (line) => lines.push(line));
    const progress = new ImportProgressLog(log, 40);
    progress.bytes(250, 1000);
    progress.rows(100, 3);
    await waitFor("a progress line", () => lines.length >= 1, 5000, 5);
    const first = JSON.parse(lines[0] as string) as Record<string, unknown>;
    assert.equal(first.msg, "import progress: 25% read, 100 of about 400 people written");
    assert.deepEqual(
      [first.file, first.percent, first.persons, first.estimatedPersons, first.rejectedRows],
      ["BRAD/grande.csv", 25, 100, 400, 3],
    );
    progress.bytes(1000, 1000);
    progress.rows(400, 3);
    await waitFor("the finishing line", () =>
      lines.some((l) => l.includes("file read, 400 people written; finishing")),
    );
    progress.stop();
    const count = lines.length;
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(lines.length, count, "no line after stop");
  });

  test("the ingest pipeline writes them during a real import, with the file's name", async () => {
    const ts = await openSqliteTestStore();
    const lines: string[] = [];
    const log = createLogger({}, (line) => lines.push(line));
    const drop = join(ts.dataDir, "drop");
    mkdirSync(join(drop, "BRAD"), { recursive: true });
    await createWallet(ts.store.db, 1, { code: "BRAD" });
    await createSource(
      ts.store.db,
      1,
      {
        name: "pasta",
        protocol: "local",
        host: "",
        port: null,
        user: "",
        password: "",
        root: drop,
        allowPrivate: true,
        tlsFingerprint: null,
        tlsInsecure: false,
        intervalSeconds: 5,
        stabilitySeconds: 0,
      },
      Buffer.alloc(32, 1),
    );
    const name = `mailing_${ddmmyy()}_1.csv`;
    writeFileSync(join(drop, "BRAD", name), mailingCsv(20_000));
    const service = new IngestService({
      store: ts.store,
      filesDir: join(ts.dataDir, "files"),
      log,
      tickMs: 100,
      progressEveryMs: 20,
    });
    service.start();
    try {
      await waitFor("the file done", () => whereDone(join(drop, "BRAD"), name), 120_000);
    } finally {
      await service.stop();
      await ts.dispose();
    }
    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const progress = events.filter((e) => String(e.msg).startsWith("import progress"));
    assert.ok(progress.length >= 1, "at least one progress line");
    assert.equal(progress[0]?.file, `BRAD/${name}`);
    const done = events.findIndex((e) => e.msg === "file imported");
    assert.ok(done > events.indexOf(progress[0] as Record<string, unknown>), "before the end");
    assert.ok(progress.length < 2000, "not one line per row");
  });
});
