/**
 * bench:dispatch — the campaign dispatcher.
 *
 *  (a) Outbox dispatch of N messages (default 200,000) on each database, one
 *      worker running as `serve` runs it: messages per second from its start
 *      to the last record. Floor, same run, same rows: the same batches
 *      claimed (the dispatcher's own claim statement) and marked sent by one
 *      plain UPDATE, no rules, no rendering, no channel. Ratio = ours ÷ floor
 *      (target ≥ 0.5). Beside it, the floor that also writes each claimed
 *      row to the outbox as it is: what storing the messages costs by itself.
 *      Peak RSS of this process (target ≤ 300 MB).
 *  (b) PostgreSQL: 20 senders capped at 80 msg/s each by a test channel that
 *      throttles what goes over, three worker processes: achieved share of
 *      the 1,600 msg/s total (target ≥ 0.95), and the most messages any
 *      sender handed the provider in one second window (never above 80).
 *  (s) SMPP channel against the in-process SMSC: messages per second over
 *      one bind, and the share of a route's cap the dispatcher achieves
 *      (target ≥ 0.95); see bench/dispatch-smpp.ts.
 *  (c) Wave start lateness: waves starting at scattered moments over a few
 *      seconds, one `serve`-like dispatch loop; started_at − start_at, p99
 *      (target ≤ 1 s).
 *  (w) WhatsApp Cloud API channel against the fake Cloud API server (real
 *      HTTP, the real wire format, `--wa-latency` ms per answer): numbers
 *      capped at `--wa-cap` msg/s (the server answers 130429 beyond), one
 *      dispatcher: messages per second per number and the share of the cap
 *      achieved (target ≥ 0.95), most accepted in any one-second window.
 *
 *  (d) SMTP (SQLite): the SMTP channel against a local smtp-server peer in
 *      this process (STARTTLS + AUTH with a self-signed certificate unless
 *      --smtp-plain). Messages per second per connection (one pooled
 *      connection, batches of 50 straight into the channel), then a campaign
 *      through the dispatcher with the account capped at --smtp-cap msg/s
 *      (default 20, the default e-mail rate): achieved ÷ cap, from the first
 *      to the last sent_at (target ≥ 0.95). Both ends run in this process:
 *      CPU per message is printed, it bounds what one connection can do.
 *
 * Prints a line per figure and, last, one JSON object with every figure.
 * Usage: npm run bench:dispatch [-- --db sqlite|postgres|both --messages 200000
 *        --capped-seconds 10 --waves 100 --only a,b,c,s,w,d
 *        --smpp-messages 5000 --smpp-window 10 --smpp-cap 100 --smpp-seconds 10
 *        --wa-numbers 3 --wa-cap 80 --wa-seconds 10 --wa-latency 20
 *        --smtp-messages 500 --smtp-cap 20 --smtp-seconds 10 --smtp-plain]
 */

import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { sql } from "kysely";
import { Dispatcher } from "../src/campaigns/dispatch.js";
import { CloudApiChannel } from "../src/channels/cloud-api.js";
import { ChannelRegistry } from "../src/channels/index.js";
import { SmtpChannel } from "../src/channels/smtp.js";
import { silentLogger } from "../src/log.js";
import type { Store } from "../src/store/db.js";
import { addEmailAccount } from "../src/store/email-accounts.js";
import { encryptSecret } from "../src/store/secrets.js";
import { seedCampaign, seedSender, seedWallet } from "../test/campaigns/dispatch-fixtures.js";
import { message } from "../test/channels/contract.js";
import { FakeCloudApi, type FakeNumber } from "../test/channels/fake-cloud-api.js";
import { selfSignedCert, startSmtpPeer } from "../test/channels/smtp-peer.js";
import { maxPerSecond } from "../test/channels/test-channel.js";
import { openPgTestStore, openSqliteTestStore, type TestStore } from "../test/store/harness.js";
import {
  dispatchStore,
  printSlotGaps,
  printStoreCalls,
  profiledChannels,
} from "./dispatch-profile.js";
import { smppPhase } from "./dispatch-smpp.js";

const ROOT = resolve(import.meta.dirname, "..");
const { values } = parseArgs({
  options: {
    db: { type: "string", default: "both" },
    messages: { type: "string", default: "200000" },
    "capped-seconds": { type: "string", default: "10" },
    senders: { type: "string", default: "20" },
    cap: { type: "string", default: "80" },
    waves: { type: "string", default: "100" },
    batch: { type: "string", default: "500" },
    only: { type: "string", default: "a,b,c,s,w,d" },
    "smpp-messages": { type: "string", default: "5000" },
    "smpp-window": { type: "string", default: "10" },
    "smpp-cap": { type: "string", default: "100" },
    "smpp-seconds": { type: "string", default: "10" },
    "smtp-messages": { type: "string", default: "500" },
    "smtp-cap": { type: "string", default: "20" },
    "smtp-seconds": { type: "string", default: "10" },
    "smtp-plain": { type: "boolean", default: false },
    "wa-numbers": { type: "string", default: "3" },
    "wa-cap": { type: "string", default: "80" },
    "wa-seconds": { type: "string", default: "10" },
    "wa-latency": { type: "string", default: "20" },
    /** The fake server's own cap per number (0: none); default the same as --wa-cap. */
    "wa-server-cap": { type: "string" },
  },
});
const databases =
  values.db === "both" ? ["sqlite", "postgres"] : [values.db as "sqlite" | "postgres"];
const N = Number(values.messages);
const BATCH = Number(values.batch);

let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 50);

const open = (db: string): Promise<TestStore> =>
  db === "postgres" ? openPgTestStore() : openSqliteTestStore();

async function countSent(store: Store, campaignId: number): Promise<number> {
  const row = await store.db
    .selectFrom("messages")
    .select((eb) => eb.fn.countAll().as("n"))
    .where("campaign_id", "=", campaignId)
    .where("state", "=", "sent")
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * The rows seedCampaign writes for `count` persons numbered from `offset`
 * (the same persons, contacts and messages, MENSAGEM "Olá [NOME_CLIENTE], sua
 * fatura <i> vence amanhã. Código [CODCLIENTE]."), generated inside the
 * database by INSERT … SELECT over a number sequence: built in JavaScript,
 * 2 × 200,000 of them took this process past what the dispatcher itself uses.
 */
async function seedInDatabase(store: Store, count: number, offset: number, startAt: number) {
  const s = await seedCampaign(store, { persons: 0, personOffset: offset, startAt });
  const db = store.db;
  const now = new Date(Date.now() - 60_000).toISOString();
  const due = new Date(startAt).toISOString();
  const seq = sql`with recursive seq(n) as (
      select cast(${offset} as integer)
      union all select n + 1 from seq where n < ${offset + count - 1})`;
  // phoneOf(i): 119 and i in 8 digits.
  const phone =
    store.dialect === "postgres"
      ? sql`'119' || lpad(cast(seq.n as text), 8, '0')`
      : sql`'119' || substr('00000000' || seq.n, -8)`;
  const person = sql`join persons p on p.tenant_id = ${s.tenantId}
      and p.key_kind = 'codcliente' and p.key = 'P' || seq.n`;
  await sql`${seq}
    insert into persons (tenant_id, key_kind, key, cod_cliente, document, name, fields_json,
                         created_at, updated_at)
    select ${s.tenantId}, 'codcliente', 'P' || seq.n, 'P' || seq.n, null, 'Pessoa ' || seq.n,
           '{"CORINGA1":"c1-' || seq.n || '"}', ${now}, ${now}
      from seq`.execute(db);
  await sql`${seq}
    insert into person_channels (tenant_id, person_id, kind, value, created_at)
    select ${s.tenantId}, p.id, 'mobile', ${phone}, ${now} from seq ${person}`.execute(db);
  await sql`${seq}
    insert into messages (tenant_id, campaign_id, wave_id, person_id, channel_kind, address, body,
                          state, next_attempt_at, created_at, updated_at)
    select ${s.tenantId}, ${s.campaignId}, ${s.waveIds[0] ?? null}, p.id, 'mobile', ${phone},
           'Olá [NOME_CLIENTE], sua fatura ' || seq.n || ' vence amanhã. Código [CODCLIENTE].',
           'pending', ${due}, ${now}, ${now}
      from seq ${person} order by seq.n`.execute(db);
  await db
    .updateTable("campaigns")
    .set({ audience: count })
    .where("id", "=", s.campaignId)
    .execute();
  await db
    .updateTable("waves")
    .set({ size: count })
    .where("campaign_id", "=", s.campaignId)
    .execute();
  return s;
}

/**
 * CPU seconds (user + system) of every local `postgres` process, from /proc:
 * the server's share of a phase's work. 0 where /proc cannot be read.
 */
function postgresCpuSeconds(): number {
  let ticks = 0;
  try {
    for (const pid of readdirSync("/proc")) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        const close = stat.lastIndexOf(")");
        if (!stat.slice(stat.indexOf("(") + 1, close).startsWith("postgres")) continue;
        const fields = stat.slice(close + 2).split(" ");
        // Fields 14 and 15 of stat (utime, stime), counted from the state (field 3).
        ticks += Number(fields[11]) + Number(fields[12]);
      } catch {
        // Ended meanwhile.
      }
    }
  } catch {
    return 0;
  }
  return ticks / 100;
}

/** (a) ours and the floor on one database. */
async function outbox(db: string) {
  const t = await open(db);
  try {
    const seedStart = performance.now();
    // Three identical campaigns in one base, on the same table: the floor
    // sends the first, the floor that also stores each message in the outbox
    // the second, the dispatcher the third.
    const seed = (offset: number) => seedInDatabase(t.store, N, offset, Date.now() - 1000);
    const floorCampaign = await seed(0);
    const storingCampaign = await seed(N);
    const ourCampaign = await seed(2 * N);
    if (t.store.dialect === "postgres") await sql`vacuum analyze messages`.execute(t.store.db);
    else {
      await sql`analyze`.execute(t.store.db);
      // The seed's pages still sit in the WAL: whichever run commits first
      // would pay for copying them back (it made the floor look slower).
      await sql`pragma wal_checkpoint(truncate)`.execute(t.store.db);
    }
    console.log(
      `(a) ${db}: 3 × ${N} mensagens preparadas em ${((performance.now() - seedStart) / 1000).toFixed(1)} s (RSS máximo até aqui ${Math.round(Math.max(peakRss, process.resourceUsage().maxRSS * 1024) / 1024 / 1024)} MB)`,
    );

    // Floor: the same claims, then one plain UPDATE per batch. With
    // `storing`, each batch is also written to the outbox as it is (body
    // unrendered, one INSERT … SELECT from the claimed rows): what storing
    // the messages costs by itself, the part of the outbox channel's work
    // no dispatcher can avoid.
    const ds = dispatchStore(t.store);
    // This process's CPU, plus, on PostgreSQL, the local server's (every
    // `postgres` process: the backends doing the statements' work).
    const cpu = () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1e6;
    };
    const serverCpu = () => (t.store.dialect === "postgres" ? postgresCpuSeconds() : 0);
    const cpuSeconds: Record<string, number> = {};
    const floorRun = async (campaignId: number, storing: boolean): Promise<number> => {
      const start = performance.now();
      const cpuStart = cpu();
      const serverStart = serverCpu();
      for (;;) {
        const now = new Date().toISOString();
        const lease = new Date(Date.now() + 60_000).toISOString();
        const got = await ds.claim(campaignId, "floor", now, lease, BATCH);
        if (got.length === 0) break;
        const ids = sql.join(got.map((m) => m.id));
        if (storing) {
          await sql`insert into outbox (tenant_id, message_id, channel, address, payload_json, created_at)
                    select tenant_id, id, 'sms', address, body, ${now} from messages
                     where id in (${ids})`.execute(t.store.db);
        }
        await sql`update messages set state = 'sent', sent_at = ${now}, updated_at = ${now},
                    lease_owner = null, lease_expires_at = null
                  where id in (${ids})`.execute(t.store.db);
      }
      const seconds = (performance.now() - start) / 1000;
      cpuSeconds[storing ? "floorStoring" : "floor"] = cpu() - cpuStart;
      cpuSeconds[storing ? "floorStoringServer" : "floorServer"] = serverCpu() - serverStart;
      if ((await countSent(t.store, campaignId)) !== N) throw new Error("floor did not send all");
      return seconds;
    };
    const floorSeconds = await floorRun(floorCampaign.campaignId, false);
    printStoreCalls(`(a) ${db} piso`);
    const storingSeconds = await floorRun(storingCampaign.campaignId, true);
    printStoreCalls(`(a) ${db} piso gravando no outbox`);

    // Ours: the dispatcher as `serve` runs it (its loop and lanes: the next
    // batch is claimed, checked and rendered while the current one is sent
    // and recorded), with its rules, rendering, outbox channel and records.
    const registry = new ChannelRegistry(t.store);
    const dispatcher = new Dispatcher({
      store: dispatchStore(t.store),
      channelFor: profiledChannels(registry.channelFor),
      log: silentLogger,
      batchSize: BATCH,
    });
    const start = performance.now();
    const cpuStart = cpu();
    const serverStart = serverCpu();
    dispatcher.start();
    while (dispatcher.stats.sent + dispatcher.stats.failed + dispatcher.stats.skipped < N) {
      await new Promise((r) => setTimeout(r, 5));
    }
    await dispatcher.stop();
    const oursSeconds = (performance.now() - start) / 1000;
    cpuSeconds.ours = cpu() - cpuStart;
    cpuSeconds.oursServer = serverCpu() - serverStart;
    printStoreCalls(`(a) ${db} despachante`);
    const sent = await countSent(t.store, ourCampaign.campaignId);
    if (sent !== N) throw new Error(`dispatcher sent ${sent} of ${N}`);
    await registry.close();
    const ours = N / oursSeconds;
    const floor = N / floorSeconds;
    const storing = N / storingSeconds;
    console.log(
      `(a) ${db}: ${ours.toFixed(0)} msg/s (piso ${floor.toFixed(0)} msg/s, razão ${(ours / floor).toFixed(2)}; ` +
        `piso gravando no outbox ${storing.toFixed(0)} msg/s, ${(storing / floor).toFixed(2)} do piso)`,
    );
    // This process's CPU (on SQLite all the work; on PostgreSQL the server's is apart).
    console.log(
      `(a) ${db}: CPU deste processo: piso ${cpuSeconds.floor?.toFixed(2)} s, piso gravando ${cpuSeconds.floorStoring?.toFixed(2)} s, despachante ${cpuSeconds.ours?.toFixed(2)} s`,
    );
    if (t.store.dialect === "postgres") {
      console.log(
        `(a) ${db}: CPU do servidor PostgreSQL: piso ${cpuSeconds.floorServer?.toFixed(2)} s, piso gravando ${cpuSeconds.floorStoringServer?.toFixed(2)} s, despachante ${cpuSeconds.oursServer?.toFixed(2)} s`,
      );
    }
    return {
      messages: N,
      perSecond: ours,
      floorPerSecond: floor,
      ratio: ours / floor,
      floorStoringPerSecond: storing,
      floorStoringRatio: storing / floor,
    };
  } finally {
    await t.dispose();
  }
}

/** (b) three worker processes, capped test channel, PostgreSQL. */
async function capped() {
  const senders = Number(values.senders);
  const cap = Number(values.cap);
  const seconds = Number(values["capped-seconds"]);
  const perSender = cap * seconds;
  const t = await openPgTestStore();
  try {
    const walletId = await seedWallet(t.store, "BENCH");
    const start = Date.now() - 1000;
    for (let k = 0; k < senders; k++) {
      const senderId = await seedSender(t.store, {
        channel: "whatsapp",
        walletId,
        rate: cap,
        provider: "test",
      });
      await seedCampaign(t.store, {
        channel: "whatsapp",
        senderId,
        walletCode: "BENCH",
        persons: perSender,
        personOffset: k * perSender,
        startAt: start,
        chunk: 2000,
        template: { name: `t${k}`, params: ["NOME_CLIENTE"], body: null },
        body: () => null,
      });
    }
    await sql`vacuum analyze messages`.execute(t.store.db);
    const workers = [0, 1, 2].map(() => {
      const child = spawn(
        process.execPath,
        ["--import", "tsx", join(ROOT, "bench/dispatch-worker.ts"), String(cap)],
        {
          cwd: ROOT,
          env: { ...process.env, DATABASE_URL: t.url, REMESSA_LOG_LEVEL: "error" },
          stdio: ["pipe", "pipe", "inherit"],
        },
      );
      let out = "";
      child.stdout?.on("data", (d: Buffer) => {
        out += d.toString();
      });
      const done = new Promise<string>((ok, fail) =>
        child.once("exit", (code) => (code === 0 ? ok(out) : fail(new Error(`worker ${code}`)))),
      );
      return { child, out: () => out, done };
    });
    while (!workers.every((w) => w.out().includes("ready"))) {
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const w of workers) w.child.stdin?.write("go\n");
    const outputs = await Promise.all(workers.map((w) => w.done));
    const received: [string, number, string][] = [];
    let forfeited = 0;
    let throttled = 0;
    const traces: unknown[][] = [];
    for (const [w, o] of outputs.entries()) {
      const line = o.trim().split("\n").pop() ?? "{}";
      const parsed = JSON.parse(line);
      if (parsed.trace) for (const tr of parsed.trace) traces.push([w, ...tr]);
      received.push(...parsed.received);
      forfeited += parsed.forfeited;
      throttled += parsed.stats.throttled;
    }
    const sent = received.filter((r) => r[2] === "sent");
    // Each sender's pace from its first to its last accepted message, summed:
    // senders finishing a little apart do not count as time below the cap.
    const sentBySender = new Map<string, number[]>();
    for (const r of sent) sentBySender.set(r[0], [...(sentBySender.get(r[0]) ?? []), r[1]]);
    let achieved = 0;
    for (const list of sentBySender.values()) {
      const span = (Math.max(...list) - Math.min(...list)) / 1000;
      // The last slot's messages take its whole spacing too.
      achieved += list.length / (span + 8 / cap);
    }
    const share = achieved / (senders * cap);
    let worst = 0;
    const bySender = new Map<string, number[]>();
    for (const r of received) bySender.set(r[0], [...(bySender.get(r[0]) ?? []), r[1]]);
    for (const list of bySender.values()) worst = Math.max(worst, maxPerSecond(list));
    if (process.env.BENCH_TRACE) {
      const { writeFileSync } = await import("node:fs");
      writeFileSync("/tmp/dispatch-trace.json", JSON.stringify({ traces, received }));
    }
    console.log(
      `(b) postgres, 3 processos, ${senders} remetentes × ${cap} msg/s: ${achieved.toFixed(0)} msg/s = ${(share * 100).toFixed(1)} % do limite; máximo num segundo por remetente ${worst} (limite ${cap}); ${throttled} recusas por limite; ${forfeited} vagas perdidas por atraso`,
    );
    return {
      senders,
      capPerSender: cap,
      messages: sent.length,
      achievedPerSecond: achieved,
      share,
      maxInOneSecond: worst,
      throttled,
      forfeitedSlots: forfeited,
    };
  } finally {
    await t.dispose();
  }
}

/** (c) wave start lateness under a running dispatch loop. */
async function lateness(db: string) {
  const waves = Number(values.waves);
  const t = await open(db);
  try {
    const campaigns = 10;
    const perCampaign = Math.ceil(waves / campaigns);
    const base = Date.now() + 3000;
    for (let c = 0; c < campaigns; c++) {
      const list = Array.from({ length: perCampaign }, (_, k) => ({
        startAt: base + Math.floor(Math.random() * 8000) + k,
        size: 20,
      })).sort((x, y) => x.startAt - y.startAt);
      await seedCampaign(t.store, {
        persons: perCampaign * 20,
        personOffset: c * perCampaign * 20,
        waves: list,
      });
    }
    const registry = new ChannelRegistry(t.store);
    const dispatcher = new Dispatcher({
      store: dispatchStore(t.store),
      channelFor: registry.channelFor,
      log: silentLogger,
    });
    dispatcher.start();
    for (;;) {
      const left = await t.store.db
        .selectFrom("waves")
        .select("id")
        .where("started_at", "is", null)
        .limit(1)
        .execute();
      if (left.length === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await dispatcher.stop();
    await registry.close();
    const rows = await t.store.db.selectFrom("waves").select(["start_at", "started_at"]).execute();
    const late = rows
      .map((r) => Date.parse(r.started_at ?? "") - Date.parse(r.start_at))
      .sort((a, b) => a - b);
    const p = (q: number) => late[Math.min(late.length - 1, Math.ceil(q * late.length) - 1)] ?? 0;
    console.log(
      `(c) ${db}: atraso do início das ondas p50 ${p(0.5)} ms, p99 ${p(0.99)} ms, máx ${late.at(-1)} ms (${late.length} ondas)`,
    );
    return { waves: late.length, p50Ms: p(0.5), p99Ms: p(0.99), maxMs: late.at(-1) ?? 0 };
  } finally {
    await t.dispose();
  }
}

/** (w) the Cloud API channel against the fake Cloud API, `--wa-numbers` numbers at the cap. */
async function cloudApi(db: string) {
  process.env.REMESSA_SECRET_KEY ??= randomBytes(32).toString("base64");
  const numbers = Number(values["wa-numbers"]);
  const cap = Number(values["wa-cap"]);
  const seconds = Number(values["wa-seconds"]);
  const perNumber = cap * seconds;
  const fakeNumbers: FakeNumber[] = Array.from({ length: numbers }, (_, k) => ({
    phoneNumberId: `10000000000${k}`,
    token: randomBytes(16).toString("hex"),
    displayPhoneNumber: `551199000000${k}`,
  }));
  const fake = await new FakeCloudApi({
    numbers: fakeNumbers,
    ...(Number(values["wa-server-cap"] ?? cap) > 0
      ? { ratePerSecond: Number(values["wa-server-cap"] ?? cap) }
      : {}),
    latencyMs: Number(values["wa-latency"]),
  }).start();
  const t = await open(db);
  try {
    const walletId = await seedWallet(t.store, "BRAD");
    for (const [k, n] of fakeNumbers.entries()) {
      const senderId = await seedSender(t.store, {
        channel: "whatsapp",
        walletId,
        rate: cap,
        provider: "cloudapi",
      });
      await t.store.db
        .updateTable("senders")
        .set({
          phone_number_id: n.phoneNumberId,
          token_enc: encryptSecret(n.token),
          settings_json: JSON.stringify({ baseUrl: fake.baseUrl }),
        })
        .where("id", "=", senderId)
        .execute();
      await seedCampaign(t.store, {
        channel: "whatsapp",
        persons: perNumber,
        personOffset: k * perNumber,
        senderId,
        startAt: Date.now() - 1000,
        chunk: 2000,
        template: { name: "cobranca", params: ["NOME_CLIENTE", "CORINGA1"], body: null },
      });
    }
    const registry = new ChannelRegistry(t.store, Date.now, [
      new CloudApiChannel({ db: t.store.db, concurrency: 32 }),
    ]);
    const dispatcher = new Dispatcher({
      store: dispatchStore(t.store),
      channelFor: profiledChannels(registry.channelFor),
      log: silentLogger,
      batchSize: BATCH,
      concurrency: numbers,
      // A message refused with 130429 goes again soon, as a serve would with
      // a short back-off; the default 30 s would measure the back-off, not the channel.
      retryBaseMs: 1000,
      idleMs: 50,
      ...(process.env.BENCH_SENDS_IN_FLIGHT
        ? { sendsInFlight: Number(process.env.BENCH_SENDS_IN_FLIGHT) }
        : {}),
    });
    if (process.env.BENCH_PROFILE) dispatcher.limiter.trace = [];
    // The dispatch loop as `serve` runs it.
    const cpuBefore = process.cpuUsage();
    const start = performance.now();
    dispatcher.start();
    while (fake.sent().length < numbers * perNumber) {
      await new Promise((r) => setTimeout(r, 50));
      if (performance.now() - start > (seconds * 6 + 60) * 1000) break;
    }
    await dispatcher.stop();
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMsPerMessage = (cpu.user + cpu.system) / 1000 / Math.max(1, fake.received.length);
    await registry.close();
    printStoreCalls(`(w) ${db}`);
    printSlotGaps(`(w) ${db}`, dispatcher.limiter.trace);
    let achieved = 0;
    let worst = 0;
    for (const n of fakeNumbers) {
      const times = fake
        .sent()
        .filter((r) => r.phoneNumberId === n.phoneNumberId)
        .map((r) => r.at)
        .sort((a, b) => a - b);
      // Each accepted message stands for 1/cap s of the number's time.
      const span = (times.at(-1)! - times[0]!) / 1000 + 1 / cap;
      achieved += times.length / span;
      let lo = 0;
      for (let hi = 0; hi < times.length; hi++) {
        while (times[hi]! - times[lo]! >= 1000) lo++;
        worst = Math.max(worst, hi - lo + 1);
      }
    }
    const throttled = fake.received.filter((r) => r.answer === 130429).length;
    const share = achieved / (numbers * cap);
    console.log(
      `(w) ${db}, Cloud API (servidor falso, ${values["wa-latency"]} ms por resposta), ${numbers} números × ${cap} msg/s: ${achieved.toFixed(0)} msg/s = ${(share * 100).toFixed(1)} % do limite; ${(achieved / numbers).toFixed(1)} msg/s por número; máximo num segundo por número ${worst}; ${throttled} recusas 130429; ${fake.sent().length} de ${numbers * perNumber} aceitas; ${dispatcher.limiter.forfeited} vagas perdidas por atraso, ${(dispatcher.limiter as { shifted?: number }).shifted ?? 0} adiadas; ${cpuMsPerMessage.toFixed(2)} ms de CPU por mensagem (servidor falso incluído)`,
    );
    return {
      numbers,
      capPerNumber: cap,
      messages: fake.sent().length,
      perSecond: achieved,
      perNumberPerSecond: achieved / numbers,
      share,
      worstSecond: worst,
      throttled,
      forfeitedSlots: dispatcher.limiter.forfeited,
      cpuMsPerMessage,
    };
  } finally {
    await fake.stop();
    await t.dispose();
  }
}

/** (d) the SMTP channel against a local peer: per connection, and the share of a cap. */
async function smtp() {
  const n = Number(values["smtp-messages"]);
  const cap = Number(values["smtp-cap"]);
  const seconds = Number(values["smtp-seconds"]);
  const plain = values["smtp-plain"] === true;
  const key = Buffer.alloc(32, 3);
  const login = { user: "bench", pass: "bench-senha" };
  const cert = plain ? null : selfSignedCert();
  const peer = await startSmtpPeer({
    light: true,
    ...(cert ? { tls: cert, auth: login } : {}),
  });
  const t = await openSqliteTestStore();
  const channels: SmtpChannel[] = [];
  const open = (connections: number) => {
    const c = new SmtpChannel(t.store, {
      secretKey: key,
      publicUrl: "https://remessa.exemplo.com.br",
      maxConnections: connections,
      maxMessages: 1_000_000,
      ...(cert ? { tls: { ca: cert.cert, servername: "localhost" } } : {}),
    });
    channels.push(c);
    return c;
  };
  try {
    const walletId = await seedWallet(t.store, "BENCH");
    const { account } = await addEmailAccount(
      t.store.db,
      1,
      {
        address: "bench@remessa.test",
        displayName: "Bench",
        wallet: "BENCH",
        ratePerSecond: cap,
        smtp: {
          host: peer.host,
          port: peer.port,
          security: plain ? "none" : "starttls",
          username: plain ? null : login.user,
          password: plain ? null : login.pass,
        },
      },
      key,
    );
    const from = {
      key: `email:${account.id}`,
      kind: "email" as const,
      mode: null,
      address: account.address,
      name: account.display_name,
      provider: "smtp",
    };
    const warm = await seedCampaign(t.store, {
      channel: "email",
      persons: 0,
      senderId: account.id,
      walletCode: "BENCH",
    });

    // Per connection: batches of 50 straight into the channel, one connection.
    const direct = open(1);
    await direct.send([message("email", "smtp", { from, campaignId: warm.campaignId })]);
    const before = peer.accepted;
    const cpuBefore = process.cpuUsage();
    let start = performance.now();
    for (let i = 0; i < n; i += 50) {
      const batch = Array.from({ length: Math.min(50, n - i) }, () =>
        message("email", "smtp", {
          from,
          campaignId: warm.campaignId,
          text: "<p>Olá, sua fatura vence amanhã.</p>",
        }),
      );
      const results = await direct.send(batch);
      if (results.some((r) => r.outcome !== "sent")) throw new Error("smtp: not all sent");
    }
    const perConnection = n / ((performance.now() - start) / 1000);
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMsPerMessage = (cpu.user + cpu.system) / 1000 / n;
    if (peer.accepted - before !== n) throw new Error("smtp: peer count differs");
    await direct.close();

    // Capped: a campaign through the dispatcher, the account at `cap` msg/s.
    const total = cap * seconds;
    const s = await seedCampaign(t.store, {
      channel: "email",
      senderId: account.id,
      walletCode: "BENCH",
      persons: total,
      personOffset: 1_000_000,
      startAt: Date.now() - 1000,
      body: (i) => `<p>Olá [NOME_CLIENTE], sua fatura ${i} vence amanhã.</p>`,
    });
    // The pool's default size: enough connections that the cap, not one connection, is the limit.
    const channel = open(2);
    const registry = new ChannelRegistry(t.store, Date.now, [channel]);
    const dispatcher = new Dispatcher({
      store: dispatchStore(t.store),
      channelFor: registry.channelFor,
      log: silentLogger,
    });
    start = performance.now();
    dispatcher.start();
    while ((await countSent(t.store, s.campaignId)) < total) {
      if (performance.now() - start > (seconds * 4 + 30) * 1000) throw new Error("smtp: too slow");
      await new Promise((r) => setTimeout(r, 100));
    }
    await dispatcher.stop();
    printStoreCalls("(d) sqlite");
    await registry.close();
    const times = await t.store.db
      .selectFrom("messages")
      .select("sent_at")
      .where("campaign_id", "=", s.campaignId)
      .execute();
    const ms = times.map((r) => Date.parse(r.sent_at ?? "")).sort((a, b) => a - b);
    const span = ((ms.at(-1) ?? 0) - (ms[0] ?? 0)) / 1000;
    // The last message's slot counts too (1/cap), as in (b).
    const achieved = total / (span + 1 / cap);
    const share = achieved / cap;
    console.log(
      `(d) smtp ${plain ? "sem TLS" : "STARTTLS + AUTH"}, sqlite: ${perConnection.toFixed(0)} msg/s por conexão (${n} mensagens, ${cpuMsPerMessage.toFixed(1)} ms de CPU por mensagem, cliente e servidor neste processo); campanha limitada a ${cap} msg/s: ${achieved.toFixed(1)} msg/s = ${(share * 100).toFixed(1)} % do limite (${total} mensagens, walletId ${walletId})`,
    );
    return {
      tls: !plain,
      perConnection,
      messages: n,
      cap,
      campaignMessages: total,
      achievedPerSecond: achieved,
      share,
    };
  } finally {
    for (const c of channels) await c.close();
    await peer.close();
    await t.dispose();
  }
}

const result: Record<string, unknown> = {};
const parts = new Set(values.only.split(","));
if (parts.has("a")) for (const db of databases) result[`outbox_${db}`] = await outbox(db);
if (parts.has("b") && databases.includes("postgres")) result.capped_postgres = await capped();
if (parts.has("s")) {
  for (const db of databases) {
    result[`smpp_${db}`] = await smppPhase(db, () => open(db), {
      messages: Number(values["smpp-messages"]),
      window: Number(values["smpp-window"]),
      cap: Number(values["smpp-cap"]),
      seconds: Number(values["smpp-seconds"]),
    });
  }
}
if (parts.has("c")) for (const db of databases) result[`waveLateness_${db}`] = await lateness(db);
if (parts.has("w")) for (const db of databases) result[`cloudApi_${db}`] = await cloudApi(db);
if (parts.has("d")) result.smtp_sqlite = await smtp();
clearInterval(sampler);
const maxRss = process.resourceUsage().maxRSS * 1024;
result.peakRssMb = Math.round(Math.max(peakRss, maxRss) / 1024 / 1024);
console.log(`RSS máximo deste processo: ${result.peakRssMb} MB`);
console.log(JSON.stringify(result));
