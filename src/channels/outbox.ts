/**
 * The embedded default channel (SPEC §8): "sends" by storing each message in
 * the `outbox` table — what would have gone out, to whom and from whom — so
 * every campaign works with no external account and can be inspected
 * (`remessa outbox list`). One INSERT per batch.
 *
 * payload_json: {"text"} for SMS, {"text", "subject", "from"} for e-mail,
 * {"template": {"name", "language", "params"}} for WhatsApp; every payload
 * also names the sender ("from": its address).
 */
import type { Kysely } from "kysely";
import type { Channel, Clock, OutgoingMessage, SendResult } from "../campaigns/channel.js";
import { busyRetry } from "../store/busy.js";
import type { Database } from "../store/schema.js";

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
    private readonly db: Kysely<Database>,
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
    const rows = await busyRetry(() =>
      this.db
        .insertInto("outbox")
        .values(
          batch.map((m) => ({
            tenant_id: m.tenantId,
            message_id: m.id,
            channel: m.channel,
            address: m.to,
            payload_json: JSON.stringify(outboxPayload(m)),
            created_at: at,
          })),
        )
        .returning(["id", "message_id"])
        .execute(),
    );
    const ids = new Map(rows.map((r) => [Number(r.message_id), Number(r.id)]));
    return batch.map((m) => {
      const id = ids.get(m.id);
      return { outcome: "sent", providerId: id === undefined ? null : `outbox:${id}` };
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
  }
}
