/**
 * Notification delivery against real peers, on both databases: the webhook's
 * signature and timestamp checked by a receiver that computes the HMAC itself,
 * retries with back-off after a 500, giving up, hosts refused (private,
 * loopback, link-local; http without the setting; a name that resolves to a
 * private address at delivery), e-mail through an in-process SMTP server and
 * the embedded outbox, and the campaign-end and failing-source events.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { cancelCampaign } from "../../src/campaigns/control.js";
import { KyselyDispatchStore } from "../../src/campaigns/dispatch-store.js";
import { silentLogger } from "../../src/log.js";
import { enqueue, sweepFailingSources } from "../../src/notifications/events.js";
import {
  checkWebhookUrl,
  getNotificationSettings,
  type NotifyPolicy,
  saveNotificationSettings,
} from "../../src/notifications/settings.js";
import { NotificationWorker } from "../../src/notifications/worker.js";
import { addEmailAccount } from "../../src/store/email-accounts.js";
import { createSource, recordSourceError, recordSourceSuccess } from "../../src/store/sources.js";
import { ValidationError } from "../../src/store/tenants.js";
import { seedCampaign } from "../campaigns/fixtures.js";
import { waitFor } from "../ingest/helpers.js";
import { DATABASES, type TestStore } from "../store/harness.js";
import { type MailPeer, type Receiver, startReceiver, startSmtpPeer } from "./peers.js";

const KEY = Buffer.alloc(32, 9);
/** Tests reach their peers on 127.0.0.1 over http: both explicitly allowed. */
const TEST_POLICY: NotifyPolicy = {
  allowHttp: true,
  allowPrivate: true,
  smtpUrl: null,
  from: "remessa <avisos@remessa.test>",
};
const STRICT: NotifyPolicy = { ...TEST_POLICY, allowHttp: false, allowPrivate: false };

function worker(ts: TestStore, clock: { now: Date }, overrides: Partial<NotifyPolicy> = {}) {
  return new NotificationWorker({
    store: ts.store,
    log: silentLogger,
    policy: { ...TEST_POLICY, ...overrides },
    clock: () => clock.now,
    secretKey: KEY,
    retryBaseMs: 60_000,
    maxAttempts: 3,
    sweepEveryMs: 0,
    timeoutMs: 5000,
  });
}

async function event(ts: TestStore, key: string, tenantId = 1, at = new Date()) {
  return enqueue(
    ts.store.db,
    tenantId,
    {
      event: "file.accepted",
      dedupKey: key,
      occurredAt: at.toISOString(),
      data: { fileName: `${key}.csv`, movedTo: `LIDOS/${key}.csv`, rows: 3 },
    },
    at.toISOString(),
  );
}

async function rows(ts: TestStore) {
  return ts.store.db.selectFrom("notifications").selectAll().orderBy("id").execute();
}

async function log(ts: TestStore) {
  return ts.store.db.selectFrom("notification_deliveries").selectAll().orderBy("id").execute();
}

for (const database of DATABASES) {
  describe(`notifications on ${database.name}`, { skip: database.skip }, () => {
    let receiver: Receiver;
    let smtp: MailPeer;
    before(async () => {
      receiver = await startReceiver();
      smtp = await startSmtpPeer();
    });
    after(async () => {
      await receiver.close();
      await smtp.close();
    });

    async function withStore(fn: (ts: TestStore) => Promise<void>) {
      const ts = await database.open();
      receiver.received.length = 0;
      receiver.answers.length = 0;
      smtp.messages.length = 0;
      try {
        await fn(ts);
      } finally {
        await ts.dispose();
      }
    }

    test("the webhook body is signed over the timestamp; the receiver verifies both", async () => {
      await withStore(async (ts) => {
        const saved = await saveNotificationSettings(
          ts.store.db,
          1,
          { webhookUrl: receiver.url },
          TEST_POLICY,
          { key: KEY },
        );
        const secret = saved.webhookSecret ?? "";
        assert.ok(secret.startsWith("whsec_"), "a secret is generated and shown once");
        // Never shown again, stored encrypted.
        const again = await saveNotificationSettings(
          ts.store.db,
          1,
          { sourceFailureMinutes: 45 },
          TEST_POLICY,
          { key: KEY },
        );
        assert.equal(again.webhookSecret, null);
        const stored = await ts.store.db
          .selectFrom("notification_settings")
          .select("webhook_secret_enc")
          .executeTakeFirstOrThrow();
        assert.ok(stored.webhook_secret_enc && !stored.webhook_secret_enc.includes(secret));

        const clock = { now: new Date() };
        assert.deepEqual(await event(ts, "mailing:1", 1, clock.now), ["webhook"]);
        assert.equal(await worker(ts, clock).tick(), 1);
        assert.equal(receiver.received.length, 1);
        const got = receiver.received[0]!;
        assert.equal(got.method, "POST");
        assert.equal(got.url, "/eventos");
        const timestamp = String(got.headers["x-remessa-timestamp"]);
        // The receiver's own check: HMAC-SHA256 of "<timestamp>.<body>", compared in hex.
        const expected = createHmac("sha256", secret)
          .update(`${timestamp}.${got.body}`)
          .digest("hex");
        assert.equal(got.headers["x-remessa-signature"], `v1=${expected}`);
        assert.ok(Math.abs(Number(timestamp) - clock.now.getTime() / 1000) < 5, "fresh timestamp");
        // A replay with an old timestamp fails the signature once the timestamp is changed.
        const forged = createHmac("sha256", secret)
          .update(`${Number(timestamp) - 3600}.${got.body}`)
          .digest("hex");
        assert.notEqual(forged, expected);
        const body = JSON.parse(got.body) as Record<string, unknown>;
        assert.equal(body.event, "file.accepted");
        assert.equal(body.tenantId, 1);
        assert.equal(got.headers["x-remessa-event-id"], body.id);
        assert.equal((body.data as { fileName: string }).fileName, "mailing:1.csv");
        const [row] = await rows(ts);
        assert.equal(row?.status, "delivered");
        const [entry] = await log(ts);
        assert.equal(Number(entry?.ok), 1);
        assert.equal(Number(entry?.status_code), 200);
        // The same event again is a no-op (dedup key).
        assert.deepEqual(await event(ts, "mailing:1"), ["webhook"]);
        assert.equal((await rows(ts)).length, 1);
      });
    });

    test("a 500 is retried after the back-off, then delivered; every attempt is logged", async () => {
      await withStore(async (ts) => {
        await saveNotificationSettings(ts.store.db, 1, { webhookUrl: receiver.url }, TEST_POLICY, {
          key: KEY,
        });
        const clock = { now: new Date() };
        const w = worker(ts, clock);
        receiver.answers.push(500);
        await event(ts, "mailing:2", 1, clock.now);
        assert.equal(await w.tick(), 1);
        let [row] = await rows(ts);
        assert.equal(row?.status, "pending");
        assert.equal(Number(row?.attempts), 1);
        assert.equal(row?.next_attempt_at, new Date(clock.now.getTime() + 60_000).toISOString());
        // Not due yet: nothing is sent.
        clock.now = new Date(clock.now.getTime() + 30_000);
        assert.equal(await w.tick(), 0);
        assert.equal(receiver.received.length, 1);
        clock.now = new Date(clock.now.getTime() + 31_000);
        assert.equal(await w.tick(), 1);
        assert.equal(receiver.received.length, 2);
        [row] = await rows(ts);
        assert.equal(row?.status, "delivered");
        const attempts = await log(ts);
        assert.deepEqual(
          attempts.map((a) => [Number(a.attempt), Number(a.ok), Number(a.status_code)]),
          [
            [1, 0, 500],
            [2, 1, 200],
          ],
        );
        assert.match(attempts[0]?.error ?? "", /respondeu 500/);
        // The same event id on both attempts: the receiver can drop a repeat.
        const ids = receiver.received.map((r) => JSON.parse(r.body).id);
        assert.equal(ids[0], ids[1]);
      });
    });

    test("after the last attempt the notification ends failed, with growing waits", async () => {
      await withStore(async (ts) => {
        await saveNotificationSettings(ts.store.db, 1, { webhookUrl: receiver.url }, TEST_POLICY, {
          key: KEY,
        });
        const clock = { now: new Date() };
        const w = worker(ts, clock);
        receiver.answers.push(503, 503, 503, 503);
        await event(ts, "mailing:3", 1, clock.now);
        const waits: number[] = [];
        for (let i = 0; i < 3; i++) {
          assert.equal(await w.tick(), 1);
          const [row] = await rows(ts);
          if (row?.status === "pending") {
            waits.push(Date.parse(row.next_attempt_at) - clock.now.getTime());
            clock.now = new Date(row.next_attempt_at);
          }
        }
        assert.deepEqual(waits, [60_000, 120_000]);
        const [row] = await rows(ts);
        assert.equal(row?.status, "failed");
        assert.ok(row?.finished_at);
        assert.equal(await w.tick(), 0, "a failed notification is not tried again");
        assert.equal((await log(ts)).length, 3);
      });
    });

    test("private, loopback and link-local hosts and plain http are refused", async () => {
      await withStore(async (ts) => {
        for (const url of [
          "https://127.0.0.1/x",
          "https://localhost:8443/x",
          "https://10.1.2.3/x",
          "https://169.254.169.254/latest/meta-data",
          "https://[::1]/x",
          "https://[fe80::1]/x",
          "http://hooks.example.com/x",
          "ftp://hooks.example.com/x",
          "https://user:pass@hooks.example.com/x",
          "não é url",
        ]) {
          assert.throws(
            () => checkWebhookUrl(url, STRICT),
            ValidationError,
            `${url} should be refused`,
          );
        }
        assert.equal(
          checkWebhookUrl("https://hooks.example.com/a?b=1", STRICT),
          "https://hooks.example.com/a?b=1",
        );
        await assert.rejects(
          saveNotificationSettings(ts.store.db, 1, { webhookUrl: "https://192.168.0.10/" }, STRICT),
          /rede interna/,
        );
        assert.equal((await getNotificationSettings(ts.store.db, 1)).webhookUrl, null);

        // A public name saved earlier that now resolves to a private address: refused at delivery.
        await saveNotificationSettings(
          ts.store.db,
          1,
          { webhookUrl: "https://hooks.example.com/x" },
          STRICT,
          { key: KEY },
        );
        await event(ts, "mailing:4");
        const rebinding = new NotificationWorker({
          store: ts.store,
          log: silentLogger,
          policy: STRICT,
          secretKey: KEY,
          resolver: async () => [{ address: "127.0.0.1", family: 4 }],
        });
        assert.equal(await rebinding.tick(), 1);
        const [entry] = await log(ts);
        assert.equal(Number(entry?.ok), 0);
        assert.equal(entry?.status_code, null);
        assert.match(entry?.error ?? "", /rede interna/);
        assert.equal(receiver.received.length, 0);
      });
    });

    test("e-mail goes through the SMTP URL setting, in pt-BR", async () => {
      await withStore(async (ts) => {
        await saveNotificationSettings(
          ts.store.db,
          1,
          { emails: ["ops@empresa.com.br", "ti@empresa.com.br"] },
          TEST_POLICY,
        );
        const clock = { now: new Date() };
        await enqueue(
          ts.store.db,
          1,
          {
            event: "file.discarded",
            dedupKey: "mailing:5",
            occurredAt: clock.now.toISOString(),
            data: {
              fileName: "mailing_071226_1_cXX.csv",
              movedTo: "DESCARTADOS/mailing_071226_1_cXX.csv",
              reasons: [{ code: "CARTEIRA_INEXISTENTE", message: "A carteira XX não existe." }],
            },
          },
          clock.now.toISOString(),
        );
        assert.equal(await worker(ts, clock, { smtpUrl: smtp.url }).tick(), 1);
        assert.equal(smtp.messages.length, 1);
        const { mail, envelopeTo } = smtp.messages[0]!;
        assert.deepEqual(envelopeTo.sort(), ["ops@empresa.com.br", "ti@empresa.com.br"]);
        assert.equal(mail.subject, "[remessa] Arquivo descartado: mailing_071226_1_cXX.csv");
        assert.match(mail.text ?? "", /foi descartado/);
        assert.match(mail.text ?? "", /CARTEIRA_INEXISTENTE: A carteira XX não existe\./);
        assert.equal(mail.from?.value[0]?.address, "avisos@remessa.test");
        assert.equal((await rows(ts))[0]?.status, "delivered");
      });
    });

    test("e-mail goes through the platform default account: SMTP, or the embedded outbox", async () => {
      await withStore(async (ts) => {
        await saveNotificationSettings(
          ts.store.db,
          1,
          { emails: ["ops@empresa.com.br"] },
          TEST_POLICY,
        );
        const clock = { now: new Date() };
        const w = worker(ts, clock);
        // No account and no SMTP URL: a failure that says what to do.
        await event(ts, "mailing:6", 1, clock.now);
        await w.tick();
        assert.match((await log(ts))[0]?.error ?? "", /conta padrão da plataforma/);

        const { account } = await addEmailAccount(ts.store.db, 1, {
          address: "avisos@empresa.com.br",
          displayName: "Avisos",
          platformDefault: true,
        });
        // The embedded default: stored in the outbox, as its campaigns' messages are.
        await event(ts, "mailing:7", 1, clock.now);
        await w.tick();
        const stored = await ts.store.db.selectFrom("outbox").selectAll().execute();
        assert.equal(stored.length, 1);
        assert.equal(stored[0]?.address, "ops@empresa.com.br");
        assert.match(JSON.parse(stored[0]?.payload_json ?? "{}").subject, /Arquivo aceito/);

        // An SMTP account: the real server gets it.
        await ts.store.db
          .updateTable("email_accounts")
          .set({ provider: "smtp", host: "127.0.0.1", port: smtp.port, security: "none" })
          .where("id", "=", account.id)
          .execute();
        await event(ts, "mailing:8", 1, clock.now);
        await w.tick();
        assert.equal(smtp.messages.length, 1);
        assert.equal(smtp.messages[0]?.mail.from?.value[0]?.address, "avisos@empresa.com.br");
        assert.match(smtp.messages[0]?.mail.subject ?? "", /Arquivo aceito: mailing:8\.csv/);
        // The same account host is refused without the private-host setting.
        await event(ts, "mailing:9", 1, clock.now);
        await worker(ts, clock, { allowPrivate: false }).tick();
        assert.match((await log(ts)).at(-1)?.error ?? "", /recusado/);
        assert.equal(smtp.messages.length, 1);
      });
    });

    test("a campaign's end is notified in the transaction that ends it, once", async () => {
      await withStore(async (ts) => {
        await saveNotificationSettings(ts.store.db, 1, { webhookUrl: receiver.url }, TEST_POLICY, {
          key: KEY,
        });
        const done = await seedCampaign(ts.store.db, {
          state: "running",
          waves: [{ states: ["sent", "delivered"], started: true }],
        });
        const late = await seedCampaign(ts.store.db, {
          state: "running",
          waves: [{ states: ["sent", "expired"], started: true }],
        });
        const ds = new KyselyDispatchStore(ts.store);
        // After the fixtures' start (T0).
        const now = "2026-12-08T00:00:00.000Z";
        assert.deepEqual(await ds.endCompleted(now), { finished: 1, expired: 1 });
        assert.deepEqual(await ds.endCompleted(now), { finished: 0, expired: 0 });
        const written = await rows(ts);
        assert.deepEqual(
          written.map((r) => [r.event, r.dedup_key]).sort(),
          [
            ["campaign.expired", `campaign:${late.campaignId}`],
            ["campaign.finished", `campaign:${done.campaignId}`],
          ].sort(),
        );
        const body = JSON.parse(
          written.find((r) => r.event === "campaign.finished")?.payload_json ?? "{}",
        );
        assert.deepEqual(body.data.messages, { delivered: 1, sent: 1 });
        // Without settings nothing is written; with the hook off, neither.
        const silent = new KyselyDispatchStore(ts.store, 10_000, null);
        await seedCampaign(ts.store.db, {
          state: "running",
          waves: [{ states: ["sent"], started: true }],
        });
        assert.deepEqual(await silent.endCompleted(now), { finished: 1, expired: 0 });
        assert.equal((await rows(ts)).length, 2);
        // An operator's cancel ends a campaign too: notified in the cancel's transaction.
        const live = await seedCampaign(ts.store.db, {
          state: "running",
          waves: [{ states: ["sent", "pending"], started: true }],
        });
        await cancelCampaign(ts.store.db, 1, live.campaignId, () => Date.parse(now));
        const cancelled = (await rows(ts)).at(-1);
        assert.equal(cancelled?.event, "campaign.cancelled");
        assert.deepEqual(JSON.parse(cancelled?.payload_json ?? "{}").data.messages, {
          sent: 1,
          skipped: 1,
        });
      });
    });

    test("a source failing past the threshold is notified once per run of failures", async () => {
      await withStore(async (ts) => {
        await saveNotificationSettings(
          ts.store.db,
          1,
          { webhookUrl: receiver.url, sourceFailureMinutes: 30 },
          TEST_POLICY,
          { key: KEY },
        );
        const source = await createSource(
          ts.store.db,
          1,
          {
            name: "ftp-cliente",
            protocol: "sftp",
            host: "sftp.exemplo.com.br",
            port: null,
            user: "u",
            password: "senha-secreta-1",
            root: "/",
            allowPrivate: false,
            tlsFingerprint: null,
            tlsInsecure: false,
          },
          KEY,
        );
        const t0 = Date.parse("2026-12-07T10:00:00Z");
        const at = (minutes: number) => new Date(t0 + minutes * 60_000);
        const fail = (m: number) =>
          recordSourceError(ts.store.db, 1, source.id, "Login recusado pelo servidor.", at(m));
        await fail(0);
        await fail(10);
        assert.equal(await sweepFailingSources(ts.store, at(20)), 0, "below the threshold");
        await fail(25);
        assert.equal(await sweepFailingSources(ts.store, at(31)), 1);
        await fail(40);
        assert.equal(await sweepFailingSources(ts.store, at(41)), 0, "once per run, not per poll");
        assert.equal(await sweepFailingSources(ts.store, at(90)), 0);
        // Recovered, then failing again: a new run, notified again past the threshold.
        await recordSourceSuccess(ts.store.db, 1, source.id, at(100));
        assert.equal(await sweepFailingSources(ts.store, at(200)), 0);
        await fail(210);
        assert.equal(await sweepFailingSources(ts.store, at(230)), 0);
        assert.equal(await sweepFailingSources(ts.store, at(241)), 1);
        const written = await rows(ts);
        assert.deepEqual(
          written.map((r) => r.event),
          ["source.failing", "source.failing"],
        );
        const first = JSON.parse(written[0]?.payload_json ?? "{}");
        assert.equal(first.data.failingSince, at(0).toISOString());
        assert.equal(first.data.minutes, 31);
        assert.equal(first.data.failures, 3);
        assert.equal(first.data.lastError, "Login recusado pelo servidor.");
        // The worker's sweep runs it too, and delivers.
        const clock = { now: at(242) };
        await worker(ts, clock).tick();
        assert.equal(receiver.received.length, 2);
      });
    });

    test("the running worker delivers on its own; stop() frees a delivery cut short", async () => {
      await withStore(async (ts) => {
        await saveNotificationSettings(ts.store.db, 1, { webhookUrl: receiver.url }, TEST_POLICY, {
          key: KEY,
        });
        const running = new NotificationWorker({
          store: ts.store,
          log: silentLogger,
          policy: TEST_POLICY,
          secretKey: KEY,
          tickMs: 20,
        });
        running.start();
        try {
          await event(ts, "mailing:10");
          await waitFor("the first delivery", () => receiver.received.length === 1);
          receiver.hang = true;
          await event(ts, "mailing:11");
          await waitFor("the second request", () => receiver.received.length === 2);
        } finally {
          await running.stop();
          receiver.hang = false;
        }
        const byKey = Object.fromEntries((await rows(ts)).map((r) => [r.dedup_key, r]));
        assert.equal(byKey["mailing:10"]?.status, "delivered");
        const cut = byKey["mailing:11"];
        assert.equal(cut?.status, "pending");
        assert.equal(cut?.lease_owner, null, "free for the next process");
        assert.equal((await log(ts)).length, 1, "a stop is not the receiver's failure");
      });
    });

    test("a test send reaches every target once, with its verdict, and is logged", async () => {
      await withStore(async (ts) => {
        await saveNotificationSettings(
          ts.store.db,
          1,
          { webhookUrl: receiver.url, emails: ["ops@empresa.com.br"] },
          TEST_POLICY,
          { key: KEY },
        );
        receiver.answers.push(404);
        const clock = { now: new Date() };
        const outcomes = await worker(ts, clock, { smtpUrl: smtp.url }).sendTest(1);
        const byTarget = Object.fromEntries(outcomes.map((o) => [o.target, o]));
        assert.equal(byTarget.webhook?.ok, false);
        assert.equal(byTarget.webhook?.statusCode, 404);
        assert.equal(byTarget.webhook?.status, "failed", "a test is tried once");
        assert.equal(byTarget.email?.ok, true);
        assert.equal(smtp.messages[0]?.mail.subject, "[remessa] Teste de notificação");
        assert.equal((await log(ts)).length, 2);
        // Another tenant has no settings: nothing sent.
        assert.deepEqual(await worker(ts, clock).sendTest(999), []);
      });
    });
  });
}
