/**
 * bench:dispatch, phase (s): the SMPP channel against the in-process SMSC
 * (test/channels/smpp-server.ts) over one transceiver bind.
 *
 *  (s1) Throughput of one bind: N messages handed to the channel in batches
 *       of 500, no pacing: messages per second per bind (window as configured).
 *  (s2) Share of a configured cap: a route capped at CAP msg/s whose SMSC
 *       answers ESME_RTHROTTLED above CAP in any trailing second; the real
 *       dispatcher sends a campaign of CAP × SECONDS messages. Share = the
 *       pace achieved from the first to the last accepted message ÷ CAP
 *       (target ≥ 0.95), with the SMSC's refusals counted.
 */
import { randomBytes } from "node:crypto";
import type { OutgoingMessage } from "../src/campaigns/channel.js";
import { Dispatcher } from "../src/campaigns/dispatch.js";
import { SmppChannel } from "../src/channels/smpp.js";
import { silentLogger } from "../src/log.js";
import { addSmsRoute } from "../src/store/sms-routes.js";
import { seedCampaign } from "../test/campaigns/dispatch-fixtures.js";
import { TestSmsc } from "../test/channels/smpp-server.js";
import type { TestStore } from "../test/store/harness.js";
import { dispatchStore, printStoreCalls } from "./dispatch-profile.js";

process.env.REMESSA_SECRET_KEY ??= randomBytes(32).toString("base64");

export interface SmppBenchOptions {
  messages: number;
  window: number;
  cap: number;
  seconds: number;
}

async function route(t: TestStore, smsc: TestSmsc, window: number, rate: number | null) {
  const r = await addSmsRoute(t.store.db, 1, {
    mode: "long",
    route: `bench-${randomBytes(3).toString("hex")}`,
    provider: "smpp",
    host: "127.0.0.1",
    port: smsc.port,
    systemId: "bench",
    sourceAddr: "5511999990000",
    window,
    ratePerSecond: rate,
    password: "bench",
  });
  return r.id;
}

export async function smppPhase(
  db: string,
  open: () => Promise<TestStore>,
  options: SmppBenchOptions,
) {
  const t = await open();
  try {
    // (s1) one bind, as fast as the window lets it.
    const smsc = await new TestSmsc({ systemId: "bench", password: "bench" }).listen();
    const senderId = await route(t, smsc, options.window, null);
    const channel = new SmppChannel(t.store);
    const from = {
      key: `sender:${senderId}`,
      kind: "sms" as const,
      mode: "long",
      address: "bench",
      name: null,
      provider: "smpp",
    };
    const batch = (start: number, n: number): OutgoingMessage[] =>
      Array.from({ length: n }, (_, k) => ({
        id: start + k,
        tenantId: 1,
        campaignId: 1,
        channel: "sms",
        to: `55119${String(start + k).padStart(8, "0")}`,
        from,
        text: `Olá, sua fatura ${start + k} vence amanhã. Pague pelo app.`,
        subject: null,
        template: null,
      }));
    await channel.send(batch(0, 1)); // bind first: the figure is the sending, not the connect
    let sent = 0;
    const start = performance.now();
    for (let i = 1; i <= options.messages; i += 500) {
      const results = await channel.send(batch(i, Math.min(500, options.messages - i + 1)));
      sent += results.filter((r) => r.outcome === "sent").length;
    }
    const perBind = sent / ((performance.now() - start) / 1000);
    await channel.close();
    await smsc.close();
    console.log(
      `(s1) ${db}: SMPP, 1 bind, janela ${options.window}: ${perBind.toFixed(0)} msg/s (${sent} de ${options.messages} aceitas)`,
    );

    // (s2) the dispatcher against a capped SMSC. The SMSC enforces the cap as
    // SMSCs do, a token bucket: CAP tokens a second, room for 0.2 s of burst
    // (network jitter moves arrivals by a few ms; a per-second count with no
    // burst at all would refuse sends the dispatcher spaced correctly).
    let refused = 0;
    const burst = Math.max(1, options.cap / 5);
    let tokens = burst;
    let last = Date.now();
    const capped = await new TestSmsc({
      systemId: "bench",
      password: "bench",
      submitStatus: () => {
        const now = Date.now();
        tokens = Math.min(burst, tokens + ((now - last) * options.cap) / 1000);
        last = now;
        if (tokens < 1) {
          refused++;
          return 0x58; // ESME_RTHROTTLED
        }
        tokens--;
        return 0;
      },
    }).listen();
    const cappedId = await route(t, capped, options.window, options.cap);
    const total = options.cap * options.seconds;
    const seeded = await seedCampaign(t.store, {
      persons: total,
      provider: "smpp",
      senderId: cappedId,
      walletCode: "BSMS",
      startAt: Date.now() - 1000,
      chunk: 2000,
      body: (i) => `Olá [NOME_CLIENTE], sua fatura ${i} vence amanhã.`,
    });
    const smppChannel = new SmppChannel(t.store);
    const dispatcher = new Dispatcher({
      store: dispatchStore(t.store),
      channelFor: (s) => (s.provider === "smpp" ? smppChannel : null),
      log: silentLogger,
      idleMs: 50,
    });
    dispatcher.start();
    for (;;) {
      await new Promise((r) => setTimeout(r, 200));
      const left = await t.store.db
        .selectFrom("messages")
        .select("id")
        .where("campaign_id", "=", seeded.campaignId)
        .where("state", "in", ["pending", "sending"])
        .limit(1)
        .execute();
      if (left.length === 0) break;
    }
    await dispatcher.stop();
    printStoreCalls(`(s2) ${db}`);
    await smppChannel.close();
    const times = capped.parts.map((p) => p.receivedAt).sort((a, b) => a - b);
    await capped.close();
    const span = ((times.at(-1) ?? 0) - (times[0] ?? 0)) / 1000;
    // The last message takes its whole slot too (1 / cap).
    const achieved = times.length / (span + 1 / options.cap);
    const share = achieved / options.cap;
    console.log(
      `(s2) ${db}: SMPP com limite de ${options.cap} msg/s: ${achieved.toFixed(1)} msg/s = ${(share * 100).toFixed(1)} % do limite (${times.length} mensagens, ${refused} ESME_RTHROTTLED, ${dispatcher.stats.throttled} vezes desacelerado)`,
    );
    return {
      perBindPerSecond: perBind,
      window: options.window,
      cap: options.cap,
      cappedMessages: times.length,
      achievedPerSecond: achieved,
      share,
      smscThrottled: refused,
    };
  } finally {
    await t.dispose();
  }
}
