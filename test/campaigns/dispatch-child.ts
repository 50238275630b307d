/**
 * Child process for the dispatch kill test: a real Dispatcher on
 * DATABASE_URL sending through the outbox (slowed down a little after each
 * write, so a SIGKILL often lands between a send and its record), printing
 * its counters after every cycle, until nothing is left to send.
 * Usage: node --import tsx test/campaigns/dispatch-child.ts LEASE_MS BATCH
 */
import type { Channel } from "../../src/campaigns/channel.js";
import { Dispatcher } from "../../src/campaigns/dispatch.js";
import { KyselyDispatchStore } from "../../src/campaigns/dispatch-store.js";
import { OutboxChannel } from "../../src/channels/outbox.js";
import { databaseUrl } from "../../src/config.js";
import { silentLogger } from "../../src/log.js";
import { openMigrated } from "../../src/store/db.js";

const [leaseArg, batchArg] = process.argv.slice(2);
const store = await openMigrated(databaseUrl());
const outbox = new OutboxChannel(store);
const slow: Channel = {
  provider: "outbox",
  async send(batch, signal) {
    const results = await outbox.send(batch, signal);
    await new Promise((r) => setTimeout(r, Math.random() * 40));
    return results;
  },
  close: () => outbox.close(),
};
const dispatcher = new Dispatcher({
  store: new KyselyDispatchStore(store),
  owner: `child-${process.pid}`,
  channelFor: () => slow,
  log: silentLogger,
  leaseMs: Number(leaseArg ?? 1000),
  batchSize: Number(batchArg ?? 20),
  settleEveryMs: 200,
});
process.stdout.write("ready\n");
for (;;) {
  const n = await dispatcher.runOnce();
  process.stdout.write(`${JSON.stringify(dispatcher.stats)}\n`);
  if (n > 0) continue;
  const left = await store.db
    .selectFrom("messages")
    .select("id")
    .where("state", "in", ["pending", "sending"])
    .limit(1)
    .execute();
  if (left.length === 0) break;
  await new Promise((r) => setTimeout(r, 50));
}
process.stdout.write("done\n");
await store.close();
