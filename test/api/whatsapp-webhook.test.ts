/**
 * The WhatsApp webhook end to end: a campaign sent by the dispatcher through
 * the Cloud API channel to the fake Cloud API, then Meta's notifications
 * (built and signed as Meta does) POSTed to serve's API.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import type { FastifyInstance } from "fastify";
import { buildApi } from "../../src/api/app.js";
import { Dispatcher } from "../../src/campaigns/dispatch.js";
import { KyselyDispatchStore } from "../../src/campaigns/dispatch-store.js";
import { CloudApiChannel } from "../../src/channels/cloud-api.js";
import { ChannelRegistry } from "../../src/channels/index.js";
import { silentLogger } from "../../src/log.js";
import type { Store } from "../../src/store/db.js";
import { encryptSecret } from "../../src/store/secrets.js";
import { messagesOf, seedCampaign, T0 } from "../campaigns/dispatch-fixtures.js";
import {
  FakeCloudApi,
  type FakeNumber,
  hubSignature,
  type InboundEvent,
  type StatusEvent,
  webhookPayload,
} from "../channels/fake-cloud-api.js";
import { DATABASES, type TestStore } from "../store/harness.js";

process.env.REMESSA_SECRET_KEY ??= randomBytes(32).toString("base64");
const APP_SECRET = randomBytes(16).toString("hex");
const VERIFY = "verifica-remessa";
process.env.REMESSA_WHATSAPP_APP_SECRET = APP_SECRET;
process.env.REMESSA_WHATSAPP_VERIFY_TOKEN = VERIFY;

const NUMBER: FakeNumber = {
  phoneNumberId: "109876543210",
  token: `EAAG${randomBytes(16).toString("hex")}`,
  displayPhoneNumber: "5511999990000",
};

/** Turns a seeded outbox sender into a Cloud API number on the fake server. */
export async function useCloudApi(store: Store, senderId: number, fake: FakeCloudApi, n = NUMBER) {
  await store.db
    .updateTable("senders")
    .set({
      provider: "cloudapi",
      phone_number_id: n.phoneNumberId,
      token_enc: encryptSecret(n.token),
      settings_json: JSON.stringify({ baseUrl: fake.baseUrl }),
    })
    .where("id", "=", senderId)
    .execute();
}

for (const database of DATABASES) {
  describe(`WhatsApp webhook (${database.name})`, { skip: database.skip }, () => {
    let t: TestStore;
    let fake: FakeCloudApi;
    let app: FastifyInstance;
    let dispatcher: Dispatcher;
    let registry: ChannelRegistry;
    const clock = { now: T0 };
    let campaignId: number;
    let senderId: number;

    async function runDispatch(): Promise<void> {
      for (let i = 0; i < 20; i++) if ((await dispatcher.runOnce()) === 0) break;
    }

    async function post(payload: unknown, signature?: string | null) {
      const raw = JSON.stringify(payload);
      return app.inject({
        method: "POST",
        url: "/webhooks/whatsapp",
        headers: {
          "content-type": "application/json",
          ...(signature === null
            ? {}
            : { "x-hub-signature-256": signature ?? hubSignature(raw, APP_SECRET) }),
        },
        payload: raw,
      });
    }

    const statuses = (list: StatusEvent[]) => webhookPayload(NUMBER, { statuses: list });
    const inbound = (list: InboundEvent[]) => webhookPayload(NUMBER, { messages: list });

    before(async () => {
      t = await database.open();
      fake = await new FakeCloudApi({ numbers: [NUMBER] }).start();
      const seeded = await seedCampaign(t.store, {
        channel: "whatsapp",
        persons: 4,
        provider: "cloudapi",
        template: { name: "cobranca", params: ["NOME_CLIENTE"], body: null },
      });
      campaignId = seeded.campaignId;
      senderId = seeded.senderId;
      await useCloudApi(t.store, senderId, fake);
      registry = new ChannelRegistry(t.store, () => clock.now, [
        new CloudApiChannel({ db: t.store.db, clock: () => clock.now }),
      ]);
      dispatcher = new Dispatcher({
        store: new KyselyDispatchStore(t.store),
        owner: "w1",
        channelFor: registry.channelFor,
        clock: () => clock.now,
        sleep: async (ms) => {
          clock.now += ms;
        },
        random: () => 0.5,
        log: silentLogger,
        settleEveryMs: 0,
      });
      await runDispatch();
      app = buildApi({ store: t.store, clock: () => new Date(clock.now) });
    });
    after(async () => {
      await app?.close();
      await registry?.close();
      await fake?.stop();
      await t?.dispose();
    });

    test("the campaign went through the fake Cloud API with the person's values", async () => {
      const sent = fake.sent();
      assert.equal(sent.length, 4);
      const rows = await messagesOf(t.store, campaignId);
      assert.deepEqual(
        rows.map((r) => r.state),
        ["sent", "sent", "sent", "sent"],
      );
      assert.deepEqual(rows.map((r) => r.provider_id).sort(), sent.map((s) => s.wamid).sort());
      const first = sent.find((s) => s.to === `55${rows[0]?.address}`);
      assert.ok(first);
      assert.deepEqual((first.body.template as { components: unknown }).components, [
        { type: "body", parameters: [{ type: "text", text: "Pessoa 0" }] },
      ]);
    });

    test("GET handshake: the challenge with the right verify token, 403 otherwise", async () => {
      const ok = await app.inject({
        method: "GET",
        url: `/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${VERIFY}&hub.challenge=1158201444`,
      });
      assert.equal(ok.statusCode, 200);
      assert.equal(ok.body, "1158201444");
      assert.match(String(ok.headers["content-type"]), /^text\/plain/);
      const bad = await app.inject({
        method: "GET",
        url: "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=outro&hub.challenge=1",
      });
      assert.equal(bad.statusCode, 403);
      assert.equal(bad.json().code, "SEM_PERMISSAO");
    });

    test("a bad or missing signature is refused and nothing is applied", async () => {
      const rows = await messagesOf(t.store, campaignId);
      const payload = statuses([
        { wamid: rows[0]!.provider_id!, status: "delivered", timestamp: T0 / 1000, recipient: "x" },
      ]);
      const forged = await post(payload, hubSignature(JSON.stringify(payload), "outro-segredo"));
      assert.equal(forged.statusCode, 403);
      assert.match(forged.json().message, /X-Hub-Signature-256/);
      assert.equal((await post(payload, null)).statusCode, 403);
      // Signed, but the body changed after signing.
      const raw = JSON.stringify(payload);
      const tampered = await app.inject({
        method: "POST",
        url: "/webhooks/whatsapp",
        headers: {
          "content-type": "application/json",
          "x-hub-signature-256": hubSignature(raw, APP_SECRET),
        },
        payload: raw.replace("delivered", "read"),
      });
      assert.equal(tampered.statusCode, 403);
      const after = await messagesOf(t.store, campaignId);
      assert.equal(after[0]?.state, "sent");
    });

    test("a delivery notified twice is applied once", async () => {
      const rows = await messagesOf(t.store, campaignId);
      const payload = statuses([
        {
          wamid: rows[0]!.provider_id!,
          status: "delivered",
          timestamp: T0 / 1000 + 5,
          recipient: `55${rows[0]!.address}`,
        },
      ]);
      const first = await post(payload);
      assert.equal(first.statusCode, 200);
      assert.equal(first.json().statuses.applied, 1);
      const second = await post(payload);
      assert.equal(second.statusCode, 200);
      assert.equal(second.json().statuses.duplicate, 1);
      const after = (await messagesOf(t.store, campaignId))[0];
      assert.equal(after?.state, "delivered");
      assert.equal(after?.delivered_at, new Date(T0 + 5000).toISOString());
    });

    test("read before delivered ends as read; the late delivered does not move it back", async () => {
      const rows = await messagesOf(t.store, campaignId);
      const wamid = rows[1]!.provider_id!;
      const read = await post(
        statuses([{ wamid, status: "read", timestamp: T0 / 1000 + 20, recipient: "x" }]),
      );
      assert.equal(read.json().statuses.applied, 1);
      const late = await post(
        statuses([{ wamid, status: "delivered", timestamp: T0 / 1000 + 10, recipient: "x" }]),
      );
      assert.equal(late.json().statuses.stale, 1);
      const after = (await messagesOf(t.store, campaignId))[1];
      assert.equal(after?.state, "read");
      assert.equal(after?.read_at, new Date(T0 + 20_000).toISOString());
    });

    test("a failed status stores the pt-BR reason of its code", async () => {
      const rows = await messagesOf(t.store, campaignId);
      const res = await post(
        statuses([
          {
            wamid: rows[2]!.provider_id!,
            status: "failed",
            timestamp: T0 / 1000 + 30,
            recipient: "x",
            errors: [
              { code: 131026, title: "Message undeliverable", details: "Message Undeliverable." },
            ],
          },
        ]),
      );
      assert.equal(res.json().statuses.applied, 1);
      const after = (await messagesOf(t.store, campaignId))[2];
      assert.equal(after?.state, "failed");
      assert.match(after?.error ?? "", /^WhatsApp 131026: .*não tem WhatsApp/);
    });

    test("an unknown phone-number id is ignored, a status of an unknown wamid counted", async () => {
      const other = webhookPayload(
        { ...NUMBER, phoneNumberId: "555" },
        { statuses: [{ wamid: "wamid.x", status: "read", timestamp: 1, recipient: "x" }] },
      );
      const res = await post(other);
      assert.equal(res.statusCode, 200);
      assert.equal(res.json().ignored, 1);
      const unknown = await post(
        statuses([
          { wamid: "wamid.nao-existe", status: "delivered", timestamp: 1, recipient: "x" },
        ]),
      );
      assert.equal(unknown.json().statuses.unknown, 1);
    });

    test("an inbound message is recorded once, and `_x` then skips that person; SAIR restricts", async () => {
      // A second campaign with `_x 24`, to new people, not sent yet.
      const second = await seedCampaign(t.store, {
        channel: "whatsapp",
        persons: 3,
        personOffset: 100,
        senderId,
        excludeRecentHours: 24,
        startAt: clock.now + 60_000,
        template: { name: "lembrete", params: [], body: null },
      });
      const rows = await messagesOf(t.store, second.campaignId);
      const answer = inbound([
        {
          from: `55${rows[0]!.address}`,
          id: "wamid.inbound-1",
          timestamp: Math.floor(clock.now / 1000) - 60,
          text: "Já paguei, obrigado",
        },
      ]);
      const first = await post(answer);
      assert.equal(first.json().inbound.recorded, 1);
      const again = await post(answer);
      assert.equal(again.json().inbound.duplicate, 1);
      const interactions = await t.store.db
        .selectFrom("inbound_interactions")
        .selectAll()
        .where("provider_id", "=", "wamid.inbound-1")
        .execute();
      assert.equal(interactions.length, 1);
      assert.equal(interactions[0]?.address, rows[0]!.address);
      assert.equal(interactions[0]?.person_id, rows[0]!.person_id);
      assert.equal(Number(interactions[0]?.sender_id), senderId);

      const optOut = await post(
        inbound([
          {
            from: `55${rows[1]!.address}`,
            id: "wamid.inbound-2",
            timestamp: Math.floor(clock.now / 1000) - 30,
            button: { text: "Sair", payload: "SAIR" },
          },
        ]),
      );
      assert.equal(optOut.json().optOuts, 1);

      clock.now += 120_000;
      await runDispatch();
      const after = await messagesOf(t.store, second.campaignId);
      assert.deepEqual(
        after.map((r) => [r.state, r.skip_reason]),
        [
          ["skipped", "CONTATO_RECENTE"],
          // The opt-out is an inbound contact too: `_x` is checked first.
          ["skipped", "CONTATO_RECENTE"],
          ["sent", null],
        ],
      );
      const restricted = await t.store.db
        .selectFrom("restrictions")
        .select(["value", "wallet_id"])
        .where("value", "=", rows[1]!.address)
        .execute();
      assert.deepEqual(
        restricted.map((r) => Number(r.wallet_id)),
        [second.walletId],
      );
    });

    test("a quick-reply tap (button) and an interactive reply button are inbound interactions like any reply", async () => {
      const rows = await messagesOf(t.store, campaignId);
      const tapped = rows[2]!;
      const answer = await post(
        inbound([
          {
            from: `55${tapped.address}`,
            id: "wamid.quick-reply-1",
            timestamp: Math.floor(clock.now / 1000),
            context: { id: tapped.provider_id! },
            button: { text: "Já paguei", payload: "acordo-7781" },
          },
          {
            from: `55${rows[3]!.address}`,
            id: "wamid.button-reply-1",
            timestamp: Math.floor(clock.now / 1000),
            buttonReply: { id: "pagar", title: "Quero pagar" },
          },
        ]),
      );
      assert.equal(answer.statusCode, 200);
      assert.deepEqual(answer.json().inbound, { recorded: 2, duplicate: 0 });
      assert.equal(answer.json().optOuts, 0);
      const got = await t.store.db
        .selectFrom("inbound_interactions")
        .select(["provider_id", "address", "person_id", "sender_id", "body", "channel"])
        .where("provider_id", "in", ["wamid.quick-reply-1", "wamid.button-reply-1"])
        .orderBy("provider_id")
        .execute();
      assert.deepEqual(
        got.map((r) => ({ ...r, person_id: Number(r.person_id), sender_id: Number(r.sender_id) })),
        [
          {
            provider_id: "wamid.button-reply-1",
            address: rows[3]!.address,
            person_id: Number(rows[3]!.person_id),
            sender_id: senderId,
            body: "Quero pagar",
            channel: "whatsapp",
          },
          {
            provider_id: "wamid.quick-reply-1",
            address: tapped.address,
            person_id: Number(tapped.person_id),
            sender_id: senderId,
            body: "Já paguei",
            channel: "whatsapp",
          },
        ],
      );
    });
  });
}
