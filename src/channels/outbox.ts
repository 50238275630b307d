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
import { sql } from "kysely";
import type { Channel, Clock, OutgoingMessage, SendResult } from "../campaigns/channel.js";
import { rowsTable } from "../store/bulk.js";
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
    const table = rowsTable(
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
    );
    // One parameter per column (PostgreSQL) or one in all (SQLite), whatever the batch size.
    const { rows } = await busyRetry(() =>
      sql<{ id: number; message_id: number }>`
        insert into outbox (tenant_id, message_id, channel, address, payload_json, created_at)
        select tenant_id, message_id, channel, address, payload_json, created_at from ${table}
        returning id, message_id`.execute(this.store.db),
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
