/**
 * The embedded default channel (SPEC §8): "sends" by storing each message in
 * the `outbox` table — what would have gone out, to whom and from whom — so
 * every campaign works with no external account and can be inspected
 * (`remessa outbox list`). One INSERT per batch; no provider ids (see write).
 *
 * payload_json: {"text"} for SMS, {"text", "subject", "from"} for e-mail,
 * {"template": {"name", "language", "params"}} for WhatsApp; every payload
 * also names the sender ("from": its address).
 */
import { sql } from "kysely";
import type { Channel, Clock, OutgoingMessage, SendResult } from "../campaigns/channel.js";
import { executeWithRows } from "../store/bulk.js";
import { busyRetry } from "../store/busy.js";
import type { Store } from "../store/db.js";

export function outboxPayload(m: OutgoingMessage): Record<string, unknown> {
  const payload: Record<string, unknown> = { from: m.from.address };
  if (m.text !== null) payload.text = m.text;
  if (m.subject !== null) payload.subject = m.subject;
  if (m.template !== null) payload.template = m.template;
  return payload;
}

export class OutboxChannel implements Channel {
  readonly provider = "outbox";
  private closed = false;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly store: Pick<Store, "db" | "dialect">,
    private readonly clock: Clock = Date.now,
  ) {}

  async send(batch: readonly OutgoingMessage[], signal?: AbortSignal): Promise<SendResult[]> {
    if (this.closed) throw new Error("canal outbox já fechado");
    signal?.throwIfAborted();
    if (batch.length === 0) return [];
    const work = this.write(batch);
    this.inFlight.add(work);
    try {
      return await work;
    } finally {
      this.inFlight.delete(work);
    }
  }

  private async write(batch: readonly OutgoingMessage[]): Promise<SendResult[]> {
    const at = new Date(this.clock()).toISOString();
    // Only what the outbox row needs: the message is linked by message_id, so
    // no provider id is handed back (nothing looks an outbox message up by one),
    // which spares a RETURNING and an entry in messages_provider per message.
    await busyRetry(() =>
      executeWithRows(
        this.store.db,
        this.store.dialect,
        [
          { name: "tenant_id", pgType: "bigint" },
          { name: "message_id", pgType: "bigint" },
          { name: "channel", pgType: "text" },
          { name: "address", pgType: "text" },
          { name: "payload_json", pgType: "text" },
          { name: "created_at", pgType: "text" },
        ],
        batch.map((m) => [m.tenantId, m.id, m.channel, m.to, JSON.stringify(outboxPayload(m)), at]),
        (table) => sql`
          insert into outbox (tenant_id, message_id, channel, address, payload_json, created_at)
          select tenant_id, message_id, channel, address, payload_json, created_at from ${table}`,
      ),
    );
    return batch.map(() => ({ outcome: "sent", providerId: null }));
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
  }
}
