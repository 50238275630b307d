/**
 * One dispatch worker process for bench:dispatch (b): a Dispatcher on
 * DATABASE_URL whose senders' provider is a capped test channel ("test",
 * `CAP` msg/s per sender, as a provider enforces it). Runs until nothing is
 * pending or sending, then prints one JSON line: what the channel received
 * ([sender, time ms, outcome]) and the dispatcher's counters.
 * Usage: tsx bench/dispatch-worker.ts CAP
 */
import { Dispatcher } from "../src/campaigns/dispatch.js";
import { KyselyDispatchStore } from "../src/campaigns/dispatch-store.js";
import { ChannelRegistry } from "../src/channels/index.js";
import { databaseUrl } from "../src/config.js";
import { silentLogger } from "../src/log.js";
import { openMigrated } from "../src/store/db.js";
import { TestChannel } from "../test/channels/test-channel.js";

const cap = Number(process.argv[2] ?? 80);
const store = await openMigrated(databaseUrl());
const channel = new TestChannel({ provider: "test", ratePerSecond: cap });
const registry = new ChannelRegistry(store, Date.now, [channel]);
const dispatcher = new Dispatcher({
  store: new KyselyDispatchStore(store),
  channelFor: registry.channelFor,
  log: silentLogger,
  idleMs: 50,
});
if (process.env.BENCH_TRACE) dispatcher.limiter.trace = [];
process.stdout.write("ready\n");
// Start together with the other workers: the parent says when.
await new Promise<void>((resolve) => process.stdin.once("data", () => resolve()));
process.stdin.destroy();
dispatcher.start();
for (;;) {
  await new Promise((r) => setTimeout(r, 200));
  const left = await store.db
    .selectFrom("messages")
    .select("id")
    .where("state", "in", ["pending", "sending"])
    .limit(1)
    .execute();
  if (left.length === 0) break;
}
await dispatcher.stop();
// Written in full before exiting: on a pipe, stdout is asynchronous and
// process.exit would cut a long line short.
const line = `${JSON.stringify({
  received: channel.received.map((r) => [r.sender, r.at, r.outcome]),
  stats: dispatcher.stats,
  forfeited: dispatcher.limiter.forfeited,
  trace: dispatcher.limiter.trace,
})}\n`;
await new Promise<void>((resolve) => process.stdout.write(line, () => resolve()));
await registry.close();
await store.close();
process.exit(0);
