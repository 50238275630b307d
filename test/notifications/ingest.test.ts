/**
 * A file through the real pipeline (IngestService over a local folder) ends
 * with exactly one notification per target, written with its final state,
 * and the worker delivers it to a receiver: accepted with its counts,
 * discarded with every reason. Both databases.
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { IngestService } from "../../src/ingest/service.js";
import { silentLogger } from "../../src/log.js";
import { type NotifyPolicy, saveNotificationSettings } from "../../src/notifications/settings.js";
import { NotificationWorker } from "../../src/notifications/worker.js";
import { createSource } from "../../src/store/sources.js";
import { createWallet } from "../../src/store/wallets.js";
import { ddmmyy, mailingCsv, waitFor, waitReported, whereDone } from "../ingest/helpers.js";
import { DATABASES, type TestStore } from "../store/harness.js";
import { type Receiver, startReceiver } from "./peers.js";

const KEY = Buffer.alloc(32, 3);
const POLICY: NotifyPolicy = { allowHttp: true, allowPrivate: true, smtpUrl: null, from: "x@y.z" };

for (const database of DATABASES) {
  describe(`file notifications end to end on ${database.name}`, { skip: database.skip }, () => {
    let ts: TestStore;
    let drop: string;
    let service: IngestService;
    let receiver: Receiver;
    let sourceId: number;

    before(async () => {
      ts = await database.open();
      receiver = await startReceiver();
      drop = join(ts.dataDir, "drop");
      mkdirSync(drop, { recursive: true });
      await createWallet(ts.store.db, 1, { code: "BRAD" });
      await saveNotificationSettings(ts.store.db, 1, { webhookUrl: receiver.url }, POLICY, {
        key: KEY,
      });
      sourceId = (
        await createSource(
          ts.store.db,
          1,
          {
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
          KEY,
        )
      ).id;
      service = new IngestService({
        store: ts.store,
        filesDir: join(ts.dataDir, "files"),
        log: silentLogger,
        tickMs: 100,
      });
      service.start();
    });

    after(async () => {
      await service.stop();
      await receiver.close();
      await ts.dispose();
    });

    test("an accepted and a discarded file: one notification each, delivered signed", async () => {
      const good = `mailing_${ddmmyy()}_1_cBRAD.csv`;
      const bad = `mailing_${ddmmyy()}_2_cNAOEXISTE.csv`;
      for (const [name, content] of [
        [good, mailingCsv(4, 1)],
        [bad, mailingCsv(2)],
      ] as const) {
        writeFileSync(join(drop, name), content);
        service.notifyUploadComplete(sourceId, name);
      }
      await waitFor("both files moved", () => whereDone(drop, good) && whereDone(drop, bad));
      await waitReported(ts.store.db, [good, bad]);

      const written = await ts.store.db
        .selectFrom("notifications")
        .select(["event", "target", "dedup_key"])
        .orderBy("id")
        .execute();
      const mailings = await ts.store.db
        .selectFrom("mailings")
        .select(["id", "file_name"])
        .execute();
      const idOf = (name: string) => mailings.find((m) => m.file_name === name)?.id;
      assert.deepEqual(
        written.map((r) => [r.event, r.target, r.dedup_key]).sort(),
        [
          ["file.accepted", "webhook", `mailing:${idOf(good)}`],
          ["file.discarded", "webhook", `mailing:${idOf(bad)}`],
        ].sort(),
      );

      const worker = new NotificationWorker({
        store: ts.store,
        log: silentLogger,
        policy: POLICY,
        secretKey: KEY,
        sweepEveryMs: 0,
      });
      assert.equal(await worker.tick(), 2);
      assert.equal(await worker.tick(), 0, "nothing left to deliver");
      assert.equal(receiver.received.length, 2);
      const bodies = receiver.received.map((r) => JSON.parse(r.body));
      const accepted = bodies.find((b) => b.event === "file.accepted");
      const discarded = bodies.find((b) => b.event === "file.discarded");
      assert.equal(accepted?.data.fileName, good);
      assert.equal(accepted?.data.persons, 4);
      assert.equal(accepted?.data.rejectedRows, 1);
      assert.match(accepted?.data.movedTo, /^LIDOS\//);
      assert.ok(accepted?.data.reports.some((r: string) => r.endsWith(".resultado.txt")));
      assert.equal(discarded?.data.fileName, bad);
      assert.match(discarded?.data.movedTo, /^DESCARTADOS\//);
      assert.ok(
        discarded?.data.reasons.some((r: { code: string }) => r.code === "CARTEIRA_INEXISTENTE"),
        JSON.stringify(discarded?.data.reasons),
      );
      for (const r of receiver.received) {
        assert.match(String(r.headers["x-remessa-signature"]), /^v1=[0-9a-f]{64}$/);
      }
    });
  });
}
