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
    this.register(new OutboxChannel(store, clock));
    this.register(new SmppChannel(store, { clock }));
    this.register(new CloudApiChannel({ db: store.db, clock }));
    this.register(new SmtpChannel(store, { clock }));
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
