/**
 * The SMPP channel against an in-process SMSC (the `smpp` package's server,
 * test/channels/smpp-server.ts), on both databases: bind authentication, a
 * throttling SMSC, a connection dropped mid-campaign, a long UCS-2 message
 * reassembled by the peer, delivery receipts, and MO replies (PARE → the
 * restriction list, the next message skipped). Then the Channel contract.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { afterEach, describe, test } from "node:test";
import smpp from "smpp";
import type { OutgoingMessage } from "../../src/campaigns/channel.js";
import { Dispatcher } from "../../src/campaigns/dispatch.js";
import { KyselyDispatchStore } from "../../src/campaigns/dispatch-store.js";
import { isOptOutReply, parseReceiptText, SmppChannel } from "../../src/channels/smpp.js";
import { silentLogger } from "../../src/log.js";
import type { Store } from "../../src/store/db.js";
import { addSmsRoute } from "../../src/store/sms-routes.js";
import { messagesOf, seedCampaign, T0 } from "../campaigns/dispatch-fixtures.js";
import { DATABASES, type TestStore } from "../store/harness.js";
import { channelContract, message } from "./contract.js";
import { type SmscOptions, TestSmsc } from "./smpp-server.js";

// Route passwords are stored encrypted: a key of this test process.
process.env.REMESSA_SECRET_KEY ??= randomBytes(32).toString("base64");

const FAST = {
  bind: {
    reconnectBaseMs: 50,
    reconnectMaxMs: 500,
    bindTimeoutMs: 3_000,
    responseTimeoutMs: 5_000,
  },
  bindWaitMs: 3_000,
  throttleMs: 50,
  receiptRetries: 20,
  receiptRetryMs: 50,
};

async function addRoute(
  store: Store,
  smsc: TestSmsc,
  options: { password?: string; window?: number; wallet?: string | null } = {},
): Promise<number> {
  const route = await addSmsRoute(store.db, 1, {
    mode: "long",
    route: `rota-${randomBytes(3).toString("hex")}`,
    provider: "smpp",
    host: "127.0.0.1",
    port: smsc.port,
    systemId: "remessa",
    sourceAddr: "5511999990000",
    window: options.window ?? 10,
    wallet: options.wallet ?? null,
    password: options.password ?? "s3nha",
  });
  return route.id;
}

async function until(check: () => Promise<boolean> | boolean, ms = 8_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

function dispatcherFor(store: Store, channel: SmppChannel, clock: { now: number }) {
  return new Dispatcher({
    store: new KyselyDispatchStore(store),
    owner: "w1",
    channelFor: (sender) => (sender.provider === "smpp" ? channel : null),
    clock: () => clock.now,
    sleep: async (ms) => {
      clock.now += ms;
    },
    random: () => 0.5,
    log: silentLogger,
    retryBaseMs: 1_000,
    settleEveryMs: 0,
  });
}

/** Runs the dispatcher, moving its clock past retries, until no message of the campaign is open. */
async function runCampaign(
  store: Store,
  dispatcher: Dispatcher,
  clock: { now: number },
  campaignId: number,
) {
  for (let i = 0; i < 200; i++) {
    await dispatcher.runOnce();
    const open = (await messagesOf(store, campaignId)).filter(
      (m) => m.state === "pending" || m.state === "sending",
    );
    if (open.length === 0) return;
    clock.now += 60_000;
  }
  throw new Error("campaign did not finish");
}

/** A new campaign like `campaignId` (same wallet, route and persons), starting at `startAt`. */
async function repeatCampaign(store: Store, campaignId: number, startAt: number): Promise<number> {
  const { id: _, ...campaign } = await store.db
    .selectFrom("campaigns")
    .selectAll()
    .where("id", "=", campaignId)
    .executeTakeFirstOrThrow();
  const created = await store.db
    .insertInto("campaigns")
    .values({
      ...campaign,
      state: "scheduled",
      start_at: new Date(startAt).toISOString(),
      ended_at: null,
      return_written_at: null,
      return_path: null,
    } as never)
    .returning("id")
    .executeTakeFirstOrThrow();
  const newId = Number(created.id);
  for (const m of await messagesOf(store, campaignId)) {
    await store.db
      .insertInto("messages")
      .values({
        tenant_id: m.tenant_id,
        campaign_id: newId,
        wave_id: null,
        person_id: m.person_id,
        channel_kind: m.channel_kind,
        address: m.address,
        body: m.body,
        state: "pending",
        next_attempt_at: new Date(startAt).toISOString(),
        created_at: m.created_at,
        updated_at: m.updated_at,
      })
      .execute();
  }
  return newId;
}

test("receipt text and opt-out words", () => {
  assert.deepEqual(
    parseReceiptText(
      "id:1a2b sub:001 dlvrd:001 submit date:2612071200 done date:2612071201 stat:DELIVRD err:000 text:Ola",
    ),
    { id: "1a2b", stat: "DELIVRD", err: "000" },
  );
  assert.equal(parseReceiptText("oi, tudo bem?"), null);
  for (const yes of ["SAIR", " sair ", "Páre", "PARE.", "stop", "Stop!", "\tSaír\n"]) {
    assert.equal(isOptOutReply(yes), true, yes);
  }
  for (const no of ["pare de me mandar isso", "parei", "STOPS", "", "ok"]) {
    assert.equal(isOptOutReply(no), false, no);
  }
});

for (const database of DATABASES) {
  describe(`SMPP channel (${database.name})`, { skip: database.skip }, () => {
    let t: TestStore;
    let smsc: TestSmsc;
    let channel: SmppChannel;
    const clock = { now: T0 };

    // A fresh database per test: each seeds its own persons.
    afterEach(async () => {
      await channel?.close();
      await smsc?.close();
      await t?.dispose();
    });

    async function start(options: SmscOptions = {}) {
      t = await database.open();
      smsc = await new TestSmsc({ systemId: "remessa", password: "s3nha", ...options }).listen();
      channel = new SmppChannel(t.store, { ...FAST, clock: () => clock.now });
    }

    test("bind: a wrong password is a retry that says so; the right one sends", async () => {
      await start();
      const bad = await addRoute(t.store, smsc, { password: "errada" });
      const good = await addRoute(t.store, smsc);
      const to = (key: number): OutgoingMessage =>
        message("sms", "smpp", {
          from: {
            key: `sender:${key}`,
            kind: "sms",
            mode: "long",
            address: "r",
            name: null,
            provider: "smpp",
          },
        });
      const [refused] = await channel.send([to(bad)]);
      assert.equal(refused?.outcome, "retry");
      assert.match(refused && "reason" in refused ? refused.reason : "", /senha SMPP/);
      const [sent] = await channel.send([to(good)]);
      assert.equal(sent?.outcome, "sent");
      assert.ok(smsc.binds.some((b) => !b.ok) && smsc.binds.some((b) => b.ok));
    });

    test("a throttling SMSC: ESME_RTHROTTLED, then every message goes out once", async () => {
      await start({
        submitStatus: (n) => (n < 4 ? (smpp.errors.ESME_RTHROTTLED as number) : 0),
      });
      const senderId = await addRoute(t.store, smsc);
      const seeded = await seedCampaign(t.store, {
        persons: 6,
        provider: "smpp",
        senderId,
        walletCode: "THR",
      });
      const dispatcher = dispatcherFor(t.store, channel, clock);
      await runCampaign(t.store, dispatcher, clock, seeded.campaignId);
      const rows = await messagesOf(t.store, seeded.campaignId);
      assert.deepEqual(
        rows.map((m) => m.state),
        rows.map(() => "sent"),
      );
      assert.ok(dispatcher.stats.throttled >= 1, "some message was throttled");
      assert.equal(smsc.messages().length, 6);
      assert.equal(new Set(smsc.messages().map((m) => m.to)).size, 6);
      for (const m of rows) {
        assert.match(m.provider_id ?? "", new RegExp(`^sender:${senderId}:[0-9a-f]+$`));
        assert.equal(m.segments, 1);
      }
    });

    test("a connection dropped mid-campaign: it reconnects and no message is lost", async () => {
      await start({ responseDelayMs: 5 });
      const senderId = await addRoute(t.store, smsc, { window: 5 });
      const seeded = await seedCampaign(t.store, {
        persons: 30,
        provider: "smpp",
        senderId,
        walletCode: "DROP",
      });
      smsc.cutAtSubmit(9);
      const dispatcher = dispatcherFor(t.store, channel, clock);
      await runCampaign(t.store, dispatcher, clock, seeded.campaignId);
      const rows = await messagesOf(t.store, seeded.campaignId);
      assert.deepEqual(
        rows.map((m) => m.state),
        rows.map(() => "sent"),
      );
      const reached = new Set(smsc.messages().map((m) => m.to));
      for (const m of rows) assert.ok(reached.has(`55${m.address}`), `${m.address} never reached`);
      assert.ok(smsc.binds.filter((b) => b.ok).length >= 2, "bound again after the drop");
      assert.ok(
        rows.some((m) => m.attempts > 1),
        "the messages cut off were retried",
      );
    });

    test("a long UCS-2 message is reassembled by the peer from its UDH parts", async () => {
      await start();
      const senderId = await addRoute(t.store, smsc);
      const text =
        "Olá, Conceição! Sua fatura de dezembro vence amanhã 👍🏽. Evite juros e multa: pague até as 18h pelo app ou na lotérica. Dúvidas? Responda esta mensagem. Para não receber mais, responda SAIR. 🇧🇷";
      const m = message("sms", "smpp", {
        text,
        from: {
          key: `sender:${senderId}`,
          kind: "sms",
          mode: "long",
          address: "r",
          name: null,
          provider: "smpp",
        },
      });
      const [result] = await channel.send([m]);
      assert.equal(result?.outcome, "sent");
      const got = smsc.messages();
      assert.equal(got.length, 1);
      assert.equal(got[0]?.text, text);
      assert.equal(got[0]?.dataCoding, 8);
      assert.ok((got[0]?.parts.length ?? 0) >= 3);
      assert.equal(result?.outcome === "sent" ? result.segments : 0, got[0]?.parts.length);
      for (const p of got[0]?.parts ?? []) assert.equal(p.esmClass & 0x40, 0x40);
      // Only the last part asks for a receipt, and its id is the message's.
      assert.equal(
        result?.outcome === "sent" ? result.providerId : "",
        `sender:${senderId}:${got[0]?.receiptId}`,
      );
      assert.deepEqual(
        got[0]?.parts.map((p) => p.registeredDelivery),
        got[0]?.parts.map((_, k, all) => (k === all.length - 1 ? 1 : 0)),
      );
    });

    test("SMSC errors: a refused number fails in pt-BR, a full queue throttles, a later part is retried in place", async () => {
      const { errors } = smpp;
      let throttledOnce = false;
      await start({
        submitStatus: (_n, pdu) => {
          if (pdu.destination_addr?.endsWith("13")) return errors.ESME_RINVDSTADR as number;
          if (pdu.destination_addr?.endsWith("14")) return errors.ESME_RMSGQFUL as number;
          // The second part of the long message is throttled once, then accepted.
          const sm = pdu.short_message as { udh?: Buffer[] };
          if (sm.udh?.[0]?.[4] === 2 && !throttledOnce) {
            throttledOnce = true;
            return errors.ESME_RTHROTTLED as number;
          }
          return 0;
        },
      });
      const senderId = await addRoute(t.store, smsc);
      const from = {
        key: `sender:${senderId}`,
        kind: "sms" as const,
        mode: "long",
        address: "r",
        name: null,
        provider: "smpp",
      };
      const long = "Sua fatura vence amanhã. ".repeat(8);
      const results = await channel.send([
        message("sms", "smpp", { from, to: "5511900000013" }),
        message("sms", "smpp", { from, to: "5511900000014" }),
        message("sms", "smpp", { from, to: "5511900000015", text: long }),
      ]);
      assert.deepEqual(
        results.map((r) => r.outcome),
        ["failed", "throttled", "sent"],
      );
      assert.equal(
        results[0]?.outcome === "failed" ? results[0].reason : "",
        "SMS recusado: número de destino inválido (ESME_RINVDSTADR).",
      );
      assert.match(results[1]?.outcome === "throttled" ? results[1].reason : "", /ESME_RMSGQFUL/);
      assert.ok(throttledOnce);
      const got = smsc.messages().find((m) => m.to === "5511900000015");
      assert.equal(got?.text, long);
      assert.equal(results[2]?.outcome === "sent" ? results[2].segments : 0, got?.parts.length);
    });

    test("delivery receipts: DELIVRD → delivered, UNDELIV → failed; a receipt ahead of its 'sent' waits", async () => {
      await start();
      const senderId = await addRoute(t.store, smsc);
      const seeded = await seedCampaign(t.store, {
        persons: 3,
        provider: "smpp",
        senderId,
        walletCode: "DLR",
      });
      const dispatcher = dispatcherFor(t.store, channel, clock);
      await runCampaign(t.store, dispatcher, clock, seeded.campaignId);
      const byTo = new Map(smsc.messages().map((m) => [m.to, m.receiptId]));
      const [a, b, c] = await messagesOf(t.store, seeded.campaignId);
      const resp = await smsc.receipt(byTo.get(`55${a?.address}`) ?? "", "DELIVRD");
      assert.equal(resp.command, "deliver_sm_resp");
      assert.equal(resp.command_status, 0);
      await smsc.receipt(byTo.get(`55${b?.address}`) ?? "", "UNDELIV", { err: "001" });
      // c's receipt writes the SMSC's hexadecimal id in decimal, as many SMSCs do.
      const cId = byTo.get(`55${c?.address}`) ?? "0";
      await smsc.receipt(BigInt(`0x${cId}`).toString(10), "DELIVRD");
      await until(async () => {
        const rows = await messagesOf(t.store, seeded.campaignId);
        return rows.every((m) => m.state !== "sent");
      });
      const rows = await messagesOf(t.store, seeded.campaignId);
      assert.deepEqual(
        rows.map((m) => m.state),
        ["delivered", "failed", "delivered"],
      );
      // The receipted_message_id TLV wins over the text (here, a text with another id).
      const more = await seedCampaign(t.store, {
        persons: 1,
        personOffset: 40,
        provider: "smpp",
        senderId,
        walletCode: "DLR",
      });
      await runCampaign(t.store, dispatcher, clock, more.campaignId);
      const last = smsc.messages().at(-1);
      const session = last?.parts[0]?.session;
      await new Promise((resolve) =>
        session?.deliver_sm(
          {
            source_addr: last?.to ?? "",
            destination_addr: "5511999990000",
            esm_class: 0x04,
            short_message: "id:ffffff stat:UNDELIV err:001",
            receipted_message_id: last?.receiptId ?? "",
            message_state: 2,
          },
          resolve,
        ),
      );
      await until(
        async () => (await messagesOf(t.store, more.campaignId))[0]?.state === "delivered",
      );
      assert.match(rows[1]?.error ?? "", /não conseguiu entregar/);

      // A receipt that arrives before the dispatcher recorded "sent" is applied once it has.
      const late = await seedCampaign(t.store, {
        persons: 1,
        personOffset: 50,
        provider: "smpp",
        senderId,
        walletCode: "DLR",
      });
      const [row] = await messagesOf(t.store, late.campaignId);
      const out = message("sms", "smpp", {
        id: row?.id ?? 0,
        to: `55${row?.address}`,
        from: {
          key: `sender:${senderId}`,
          kind: "sms",
          mode: "long",
          address: "r",
          name: null,
          provider: "smpp",
        },
      });
      const [sent] = await channel.send([out]);
      const providerId = sent?.outcome === "sent" ? (sent.providerId ?? "") : "";
      await smsc.receipt(providerId.split(":")[2] ?? "", "DELIVRD");
      await new Promise((r) => setTimeout(r, 150));
      await t.store.db
        .updateTable("messages")
        .set({ state: "sent", provider_id: providerId, sent_at: new Date().toISOString() })
        .where("id", "=", row?.id ?? 0)
        .execute();
      await until(
        async () => (await messagesOf(t.store, late.campaignId))[0]?.state === "delivered",
      );
    });

    test("MO: recorded as a receptive contact; PARE restricts the number and its next message is skipped", async () => {
      await start();
      const senderId = await addRoute(t.store, smsc);
      const first = await seedCampaign(t.store, {
        persons: 2,
        provider: "smpp",
        senderId,
        walletCode: "MO",
      });
      const dispatcher = dispatcherFor(t.store, channel, clock);
      await runCampaign(t.store, dispatcher, clock, first.campaignId);
      const [p0, p1] = await messagesOf(t.store, first.campaignId);
      const session = smsc.messages()[0]?.parts[0]?.session;
      const resp = await smsc.mobileOriginated(
        `55${p0?.address}`,
        "5511999990000",
        "  Páre. ",
        session,
      );
      assert.equal(resp.command_status, 0);
      await smsc.mobileOriginated(
        `55${p1?.address}`,
        "5511999990000",
        "Já paguei, obrigado",
        session,
      );
      await until(async () => {
        const n = await t.store.db.selectFrom("inbound_interactions").select("id").execute();
        const r = await t.store.db.selectFrom("restrictions").select("id").execute();
        return n.length >= 2 && r.length >= 1;
      });
      const inbound = await t.store.db
        .selectFrom("inbound_interactions")
        .selectAll()
        .orderBy("id")
        .execute();
      assert.deepEqual(
        inbound.map((i) => [i.channel, i.address, i.sender_id, i.person_id !== null]),
        [
          ["sms", p0?.address, senderId, true],
          ["sms", p1?.address, senderId, true],
        ],
      );
      assert.equal(inbound[0]?.body, "  Páre. ");
      const restrictions = await t.store.db.selectFrom("restrictions").selectAll().execute();
      assert.equal(restrictions.length, 1);
      assert.equal(restrictions[0]?.value, p0?.address);
      assert.equal(restrictions[0]?.wallet_id, first.walletId);
      assert.match(restrictions[0]?.reason ?? "", /respondendo "Páre\." por SMS/);

      // The next campaign of the wallet to both: p0 is skipped (restricted), p1 goes out.
      const next = await repeatCampaign(t.store, first.campaignId, clock.now);
      await runCampaign(t.store, dispatcher, clock, next);
      const rows = await messagesOf(t.store, next);
      assert.deepEqual(
        rows.map((m) => [m.address, m.state, m.skip_reason]),
        [
          [p0?.address, "skipped", "RESTRITO"],
          [p1?.address, "sent", null],
        ],
      );
    });
  });

  // The shared Channel contract, against the in-process SMSC.
  channelContract(
    `smpp (${database.name})`,
    async () => {
      const t = await database.open();
      const smsc = await new TestSmsc({ systemId: "remessa", password: "s3nha" }).listen();
      const senderId = await addRoute(t.store, smsc);
      assert.equal(senderId, 1, "the contract's messages come from sender:1");
      const open = () => new SmppChannel(t.store, FAST);
      const channel = open();
      const others: SmppChannel[] = [];
      const ids = new Map<string, number>();
      return {
        channel,
        async prepare(batch) {
          for (const m of batch) ids.set(m.to.replace(/\D/g, ""), m.id);
        },
        expected: (m) => (m.channel === "sms" ? "sent" : "failed"),
        async delivered() {
          return smsc.messages().map((m) => ({
            messageId: ids.get(m.to) ?? -1,
            to: m.to,
            providerId: `sender:${senderId}:${m.receiptId}`,
          }));
        },
        async another() {
          const other = open();
          others.push(other);
          return other;
        },
        async cleanup() {
          await channel.close();
          for (const o of others) await o.close();
          await smsc.close();
          await t.dispose();
        },
      };
    },
    { skip: database.skip },
  );
}
