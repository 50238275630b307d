/**
 * The notification routes: settings (the signing secret returned once),
 * refusals of private hosts and plain http, a test send to a real receiver,
 * and the delivery log with its cursor; nothing of one tenant seen by another.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, describe, test } from "node:test";
import type { NotifyPolicy } from "../../src/notifications/settings.js";
import { type Receiver, startReceiver } from "../notifications/peers.js";
import { DATABASES } from "../store/harness.js";
import { errorBody, openFixture } from "./helpers.js";

const STRICT: NotifyPolicy = {
  allowHttp: false,
  allowPrivate: false,
  smtpUrl: null,
  from: "x@y.z",
};
const LOCAL: NotifyPolicy = { ...STRICT, allowHttp: true, allowPrivate: true };

for (const database of DATABASES) {
  describe(`notification routes on ${database.name}`, { skip: database.skip }, () => {
    let receiver: Receiver;
    before(async () => {
      receiver = await startReceiver("/hook");
    });
    after(async () => {
      await receiver.close();
    });

    test("settings: empty at first; the secret is returned once; private hosts refused", async () => {
      const f = await openFixture(database.open, { notifyPolicy: STRICT });
      try {
        const empty = await f.call({
          method: "GET",
          url: "/notifications/settings",
          key: f.keys.read,
        });
        assert.equal(empty.statusCode, 200);
        assert.deepEqual(empty.json(), {
          webhookUrl: null,
          hasWebhookSecret: false,
          emails: [],
          sourceFailureMinutes: 30,
          updatedAt: null,
        });
        for (const webhookUrl of [
          "https://127.0.0.1/x",
          "https://169.254.169.254/",
          "https://localhost/x",
          "http://hooks.example.com/x",
        ]) {
          const res = await f.call({
            method: "PUT",
            url: "/notifications/settings",
            key: f.keys.write,
            payload: { webhookUrl },
          });
          assert.equal(res.statusCode, 422, webhookUrl);
          assert.equal(errorBody(res).code, "VALOR_RECUSADO");
        }
        const bad = await f.call({
          method: "PUT",
          url: "/notifications/settings",
          key: f.keys.write,
          payload: { emails: ["não é e-mail"] },
        });
        assert.equal(bad.statusCode, 422);
        assert.match(errorBody(bad).message, /E-mail "não é e-mail" inválido/);

        const put = await f.call({
          method: "PUT",
          url: "/notifications/settings",
          key: f.keys.write,
          payload: {
            webhookUrl: "https://hooks.example.com/remessa",
            emails: ["Ops@Empresa.com.br", "ops@empresa.com.br", "ti@empresa.com.br"],
            sourceFailureMinutes: 15,
          },
        });
        assert.equal(put.statusCode, 200, put.body);
        const saved = put.json();
        assert.match(saved.webhookSecret, /^whsec_/);
        assert.deepEqual(saved.emails, ["Ops@empresa.com.br", "ti@empresa.com.br"]);
        assert.equal(saved.sourceFailureMinutes, 15);
        const shown = await f.call({
          method: "GET",
          url: "/notifications/settings",
          key: f.keys.read,
        });
        assert.equal(shown.json().hasWebhookSecret, true);
        assert.ok(!shown.body.includes(saved.webhookSecret), "never shown again");
        const again = await f.call({
          method: "PUT",
          url: "/notifications/settings",
          key: f.keys.write,
          payload: { sourceFailureMinutes: 20 },
        });
        assert.equal(again.json().webhookSecret, null);
        assert.equal(again.json().webhookUrl, "https://hooks.example.com/remessa");
        const rotated = await f.call({
          method: "PUT",
          url: "/notifications/settings",
          key: f.keys.write,
          payload: { rotateSecret: true },
        });
        assert.match(rotated.json().webhookSecret, /^whsec_/);
        assert.notEqual(rotated.json().webhookSecret, saved.webhookSecret);
        // A read-only key cannot change them; another tenant sees its own (none).
        const readOnly = await f.call({
          method: "PUT",
          url: "/notifications/settings",
          key: f.keys.read,
          payload: { emails: [] },
        });
        assert.equal(readOnly.statusCode, 403);
        const other = await f.call({
          method: "GET",
          url: "/notifications/settings",
          key: f.keys.other,
        });
        assert.equal(other.json().webhookUrl, null);
        const removed = await f.call({
          method: "PUT",
          url: "/notifications/settings",
          key: f.keys.write,
          payload: { webhookUrl: null },
        });
        assert.equal(removed.json().hasWebhookSecret, false);
      } finally {
        await f.close();
      }
    });

    test("a test send reaches the receiver signed; the delivery log pages by cursor", async () => {
      const f = await openFixture(database.open, { notifyPolicy: LOCAL });
      try {
        const put = await f.call({
          method: "PUT",
          url: "/notifications/settings",
          key: f.keys.write,
          payload: { webhookUrl: receiver.url },
        });
        const secret = put.json().webhookSecret as string;
        receiver.received.length = 0;
        receiver.answers.push(500);
        const first = await f.call({
          method: "POST",
          url: "/notifications/test",
          key: f.keys.write,
        });
        assert.equal(first.statusCode, 200);
        assert.deepEqual(
          first
            .json()
            .items.map((i: { target: string; ok: boolean; statusCode: number }) => [
              i.target,
              i.ok,
              i.statusCode,
            ]),
          [["webhook", false, 500]],
        );
        for (let i = 0; i < 2; i++) {
          const res = await f.call({
            method: "POST",
            url: "/notifications/test",
            key: f.keys.write,
          });
          assert.equal(res.json().items[0].ok, true);
        }
        assert.equal(receiver.received.length, 3);
        const got = receiver.received[2]!;
        const ts = String(got.headers["x-remessa-timestamp"]);
        const mac = createHmac("sha256", secret).update(`${ts}.${got.body}`).digest("hex");
        assert.equal(got.headers["x-remessa-signature"], `v1=${mac}`);
        assert.equal(JSON.parse(got.body).event, "test");

        const page1 = await f.call({
          method: "GET",
          url: "/notifications/deliveries?limit=2",
          key: f.keys.read,
        });
        assert.equal(page1.statusCode, 200);
        const body1 = page1.json();
        assert.equal(body1.items.length, 2);
        assert.ok(body1.nextCursor);
        assert.ok(body1.items[0].id > body1.items[1].id, "newest first");
        const page2 = await f.call({
          method: "GET",
          url: `/notifications/deliveries?limit=2&cursor=${body1.nextCursor}`,
          key: f.keys.read,
        });
        const body2 = page2.json();
        assert.equal(body2.items.length, 1);
        assert.equal(body2.nextCursor, null);
        assert.equal(body2.items[0].ok, false);
        assert.equal(body2.items[0].statusCode, 500);
        assert.equal(body2.items[0].notificationStatus, "failed");
        assert.equal(body2.items[0].event, "test");
        const failures = await f.call({
          method: "GET",
          url: "/notifications/deliveries?ok=false",
          key: f.keys.read,
        });
        assert.equal(failures.json().items.length, 1);
        const badCursor = await f.call({
          method: "GET",
          url: "/notifications/deliveries?cursor=xyz",
          key: f.keys.read,
        });
        assert.equal(badCursor.statusCode, 400);
        // Another tenant's log is its own: empty.
        const other = await f.call({
          method: "GET",
          url: "/notifications/deliveries",
          key: f.keys.other,
        });
        assert.deepEqual(other.json(), { items: [], nextCursor: null });
        // Nothing configured: nothing sent, an empty verdict.
        const none = await f.call({
          method: "POST",
          url: "/notifications/test",
          key: f.keys.other,
        });
        assert.deepEqual(none.json(), { items: [] });
      } finally {
        await f.close();
      }
    });
  });
}
