/**
 * /metrics moves with the work: files processed by the real ingest service
 * over a local folder, a source that cannot be polled, messages sent by the
 * dispatcher through a test channel, the due queue read from the database;
 * on both databases. And /metrics is closed without its key.
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { FastifyInstance } from "fastify";
import { buildApi } from "../../src/api/app.js";
import { Dispatcher } from "../../src/campaigns/dispatch.js";
import { KyselyDispatchStore } from "../../src/campaigns/dispatch-store.js";
import { ChannelRegistry } from "../../src/channels/index.js";
import { IngestService } from "../../src/ingest/service.js";
import { silentLogger } from "../../src/log.js";
import { createPrometheus, type Prometheus } from "../../src/ops/prometheus.js";
import { createApiKey } from "../../src/store/api-keys.js";
import { createSource } from "../../src/store/sources.js";
import { createWallet } from "../../src/store/wallets.js";
import { seedCampaign, T0 } from "../campaigns/dispatch-fixtures.js";
import { TestChannel } from "../channels/test-channel.js";
import { ddmmyy, mailingCsv, waitFor, waitReported, whereDone } from "../ingest/helpers.js";
import { DATABASES, openSqliteTestStore, type TestStore } from "../store/harness.js";

const METRICS_KEY = "metrics-key-for-tests-0123456789abcdef";
const ADMIN_KEY = "admin-key-for-tests-0123456789abcdef";

/** The value of one series in Prometheus' text format (0 when absent). */
function value(text: string, name: string, labels: Record<string, string | number> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = (match[3] ?? "").split(",").filter(Boolean);
    if (wanted.every((w) => have.includes(w))) return Number(match[4]);
  }
  return 0;
}

async function scrape(app: FastifyInstance, key = METRICS_KEY): Promise<string> {
  const res = await app.inject({
    method: "GET",
    url: "/metrics",
    headers: { authorization: `Bearer ${key}` },
  });
  assert.equal(res.statusCode, 200, res.body);
  assert.match(String(res.headers["content-type"]), /^text\/plain/);
  return res.body;
}

for (const database of DATABASES) {
  describe(`metrics on ${database.name}`, { skip: database.skip }, () => {
    let ts: TestStore;
    let prom: Prometheus;
    let app: FastifyInstance;

    before(async () => {
      ts = await database.open();
      prom = createPrometheus({ store: ts.store, processMetrics: false });
      app = buildApi({ store: ts.store, metrics: prom, metricsKey: METRICS_KEY });
    });
    after(async () => {
      await app.close();
      await ts.dispose();
    });

    test("files processed by the ingest service move the file and import counters", async () => {
      const drop = join(ts.dataDir, "drop");
      mkdirSync(join(drop, "BRAD"), { recursive: true });
      await createWallet(ts.store.db, 1, { code: "BRAD" });
      const source = await createSource(
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
      const before = await scrape(app);
      assert.equal(value(before, "remessa_files_total", { outcome: "accepted" }), 0);
      assert.equal(value(before, "remessa_import_seconds_count"), 0);

      const good = `mailing_${ddmmyy()}_1.csv`;
      const bad = `mailing_${ddmmyy(-1)}_2.csv`;
      writeFileSync(join(drop, "BRAD", good), mailingCsv(5, 1));
      writeFileSync(join(drop, "BRAD", bad), mailingCsv(2));
      const service = new IngestService({
        store: ts.store,
        filesDir: join(ts.dataDir, "files"),
        log: silentLogger,
        tickMs: 100,
        metrics: prom.metrics,
      });
      service.start();
      try {
        await waitFor("both files done", () =>
          whereDone(join(drop, "BRAD"), good) && whereDone(join(drop, "BRAD"), bad) ? true : null,
        );
        await waitReported(ts.store.db, [good, bad]);
      } finally {
        await service.stop();
      }
      const text = await scrape(app);
      assert.equal(value(text, "remessa_files_total", { outcome: "accepted" }), 1);
      assert.equal(value(text, "remessa_files_total", { outcome: "discarded" }), 1);
      assert.equal(
        value(text, "remessa_file_discard_reasons_total", { reason: "DATA_NAO_E_HOJE" }),
        1,
      );
      assert.equal(value(text, "remessa_import_rows_total", { result: "accepted" }), 5);
      assert.equal(value(text, "remessa_import_rows_total", { result: "rejected" }), 1);
      assert.equal(value(text, "remessa_import_seconds_count"), 1);
      // Polled a moment ago: a lag of seconds, not the time since the epoch.
      const lag = value(text, "remessa_source_poll_lag_seconds", { source_id: source.id });
      assert.ok(lag >= 0 && lag < 120, `lag ${lag}`);
      assert.match(text, /remessa_source_poll_lag_seconds\{[^}]*source="pasta"/);
    });

    test("a source that cannot be read counts poll errors and its failures in a row", async () => {
      const gone = await createSource(
        ts.store.db,
        1,
        {
          name: "sumida",
          protocol: "local",
          host: "",
          port: null,
          user: "",
          password: "",
          root: join(ts.dataDir, "nao-existe"),
          allowPrivate: true,
          tlsFingerprint: null,
          tlsInsecure: false,
          intervalSeconds: 5,
          stabilitySeconds: 0,
        },
        Buffer.alloc(32, 1),
      );
      const service = new IngestService({
        store: ts.store,
        filesDir: join(ts.dataDir, "files"),
        log: silentLogger,
        tickMs: 50,
        metrics: prom.metrics,
      });
      service.start();
      try {
        await waitFor("a failed poll", async () =>
          value(await scrape(app), "remessa_source_poll_errors_total", { source_id: gone.id }) >= 1
            ? true
            : null,
        );
      } finally {
        await service.stop();
      }
      const text = await scrape(app);
      assert.ok(
        value(text, "remessa_source_consecutive_failures", {
          source_id: gone.id,
          source: "sumida",
        }) >= 1,
      );
    });

    test("messages sent by the dispatcher, and the due queue before and after", async () => {
      const seeded = await seedCampaign(ts.store, {
        walletCode: "SMSW",
        persons: 4,
        provider: "test",
        startAt: T0 - 60_000,
      });
      const clock = { now: T0 };
      const local = createPrometheus({
        store: ts.store,
        processMetrics: false,
        clock: () => new Date(clock.now),
      });
      const localApi = buildApi({ store: ts.store, metrics: local, adminKey: ADMIN_KEY });
      try {
        const before = await scrape(localApi, ADMIN_KEY);
        assert.equal(value(before, "remessa_messages_due", { channel: "sms" }), 4);
        const channel = new TestChannel({
          clock: () => clock.now,
          behaviour: (m) => (m.to.endsWith("3") ? "failed" : "sent"),
        });
        const registry = new ChannelRegistry(ts.store, () => clock.now, [channel]);
        const dispatcher = new Dispatcher({
          store: new KyselyDispatchStore(ts.store),
          owner: "w1",
          channelFor: registry.channelFor,
          clock: () => clock.now,
          sleep: async (ms) => {
            clock.now += ms;
          },
          log: silentLogger,
          settleEveryMs: 0,
          metrics: local.metrics,
        });
        for (let i = 0; i < 10 && (await dispatcher.runOnce()) > 0; i++);
        await registry.close();
        const failed = channel.received.filter((r) => r.outcome === "failed").length;
        const text = await scrape(localApi, ADMIN_KEY);
        const labels = { channel: "sms", provider: "test" };
        assert.equal(
          value(text, "remessa_messages_total", { ...labels, status: "sent" }),
          4 - failed,
        );
        assert.equal(
          value(text, "remessa_messages_total", { ...labels, status: "failed" }),
          failed,
        );
        assert.equal(value(text, "remessa_messages_due", { channel: "sms" }), 0);
        assert.ok(seeded.messageIds.length === 4);
      } finally {
        await localApi.close();
      }
    });
  });
}

describe("/metrics access", () => {
  test("only the metrics key or the admin key opens it; without either it stays closed", async () => {
    const ts = await openSqliteTestStore();
    const keyed = buildApi({ store: ts.store, metricsKey: METRICS_KEY, adminKey: ADMIN_KEY });
    const closed = buildApi({ store: ts.store });
    try {
      const tenantKey = (await createApiKey(ts.store.db, 1, { name: "t", scope: "write" })).key;
      const call = (app: FastifyInstance, key: string | null) =>
        app.inject({
          method: "GET",
          url: "/metrics",
          headers: key ? { authorization: `Bearer ${key}` } : {},
        });
      for (const key of [null, "wrong-key", tenantKey]) {
        const res = await call(keyed, key);
        assert.equal(res.statusCode, 401, `key ${key}`);
        assert.equal(res.json().code, "NAO_AUTENTICADO");
      }
      assert.equal((await call(keyed, METRICS_KEY)).statusCode, 200);
      assert.equal((await call(keyed, ADMIN_KEY)).statusCode, 200);
      const off = await call(closed, METRICS_KEY);
      assert.equal(off.statusCode, 401);
      assert.match(off.json().message, /REMESSA_METRICS_KEY/);
    } finally {
      await keyed.close();
      await closed.close();
      await ts.dispose();
    }
  });
});
