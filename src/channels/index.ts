/**
 * Provider → Channel registry. The outbox is always there (the embedded
 * default); real providers (smtp, cloudapi, smpp — next issue) register
 * theirs. A sender whose provider has no channel here gets none: the
 * dispatcher keeps its messages pending (retry) and logs why.
 */
import type { Channel, Clock, SenderRef } from "../campaigns/channel.js";
import type { Store } from "../store/db.js";
import { CloudApiChannel } from "./cloud-api.js";
import { OutboxChannel } from "./outbox.js";
import { SmppChannel } from "./smpp.js";
import { SmtpChannel } from "./smtp.js";

export class ChannelRegistry {
  private readonly channels = new Map<string, Channel>();

  constructor(
    store: Pick<Store, "db" | "dialect">,
    clock: Clock = Date.now,
    extra: readonly Channel[] = [],
  ) {
    // A built-in is made only when `extra` brings no channel of its own for
    // that provider: one replaced in the map would never be closed (serve's
    // SMPP channel used to leave the registry's own behind).
    const given = new Set(extra.map((c) => c.provider));
    const builtIn: [string, () => Channel][] = [
      ["outbox", () => new OutboxChannel(store, clock)],
      ["smpp", () => new SmppChannel(store, { clock })],
      ["cloudapi", () => new CloudApiChannel({ db: store.db, clock })],
      ["smtp", () => new SmtpChannel(store, { clock })],
    ];
    for (const [provider, make] of builtIn) if (!given.has(provider)) this.register(make());
    for (const channel of extra) this.register(channel);
  }

  register(channel: Channel): void {
    this.channels.set(channel.provider, channel);
  }

  /** The channel for a sender, by its provider; null when this process has none for it. */
  channelFor = (sender: SenderRef): Channel | null => this.channels.get(sender.provider) ?? null;

  async close(): Promise<void> {
    await Promise.allSettled([...this.channels.values()].map((c) => c.close()));
  }
}

export { OutboxChannel } from "./outbox.js";
export { SmtpChannel } from "./smtp.js";
