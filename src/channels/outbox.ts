/**
 * The embedded default channel (SPEC §8): "sends" by storing each message in
 * the `outbox` table — what would have gone out, to whom and from whom — so
 * every campaign works with no external account and can be inspected
 * (`remessa outbox list`). One INSERT per batch; no provider ids (see write).
 * On SQLite it also records what it sends (Channel.sendAndRecord), in the
 * same transaction as the outbox rows.
 *
 * payload_json: {"text"} for SMS, {"text", "subject", "from"} for e-mail,
 * {"template": {"name", "language", "params"}} for WhatsApp; every payload
 * also names the sender ("from": its address).
 */
import { type Kysely, sql } from "kysely";
import type { Channel, Clock, OutgoingMessage, SendResult } from "../campaigns/channel.js";
import { executeWithRows } from "../store/bulk.js";
import { busyRetry } from "../store/busy.js";
import type { Store } from "../store/db.js";
import type { Database } from "../store/schema.js";

/** payload_json, written as text directly: an object per message only to serialize it costs. */
export function outboxPayloadJson(m: OutgoingMessage): string {
  let json = `{"from":${JSON.stringify(m.from.address)}`;
  if (m.text !== null) json += `,"text":${JSON.stringify(m.text)}`;
  if (m.subject !== null) json += `,"subject":${JSON.stringify(m.subject)}`;
  if (m.template !== null) json += `,"template":${JSON.stringify(m.template)}`;
  return `${json}}`;
}

export class OutboxChannel implements Channel {
  readonly provider = "outbox";
  private closed = false;
  private readonly inFlight = new Set<Promise<unknown>>();

  readonly sendAndRecord?: (
    batch: readonly OutgoingMessage[],
    atMs: number,
  ) => Promise<Set<number>>;

  constructor(
    private readonly store: Pick<Store, "db" | "dialect">,
    private readonly clock: Clock = Date.now,
  ) {
    // SQLite has one writer: sending and recording in one transaction costs
    // nothing there and spares the lease's write per message. PostgreSQL's
    // workers need the claim's lease to split the work between them.
    if (store.dialect === "sqlite") {
      this.sendAndRecord = (batch, atMs) => this.track(this.writeAndRecord(batch, atMs));
    }
  }

  async send(batch: readonly OutgoingMessage[], signal?: AbortSignal): Promise<SendResult[]> {
    if (this.closed) throw new Error("canal outbox já fechado");
    signal?.throwIfAborted();
    if (batch.length === 0) return [];
    await this.track(busyRetry(() => this.write(this.store.db, batch, this.clock())));
    return batch.map(() => ({ outcome: "sent", providerId: null }));
  }

  private async track<T>(work: Promise<T>): Promise<T> {
    if (this.closed) throw new Error("canal outbox já fechado");
    this.inFlight.add(work);
    try {
      return await work;
    } finally {
      this.inFlight.delete(work);
    }
  }

  /**
   * Only what the outbox row needs: the message is linked by message_id, so
   * no provider id is handed back (nothing looks an outbox message up by one),
   * which spares a RETURNING and an entry in messages_provider per message.
   */
  private async write(
    db: Kysely<Database>,
    batch: readonly OutgoingMessage[],
    atMs: number,
  ): Promise<void> {
    const first = batch[0];
    if (!first) return;
    // A dispatcher's batch is one campaign's: one tenant and one channel, bound
    // once per statement instead of per row. A mixed batch is written by group.
    const mixed = batch.some((m) => m.tenantId !== first.tenantId || m.channel !== first.channel);
    if (mixed) {
      const groups = new Map<string, OutgoingMessage[]>();
      for (const m of batch) {
        const key = `${m.tenantId}/${m.channel}`;
        const group = groups.get(key);
        if (group) group.push(m);
        else groups.set(key, [m]);
      }
      for (const group of groups.values()) await this.write(db, group, atMs);
      return;
    }
    const at = new Date(atMs).toISOString();
    await executeWithRows(
      db,
      this.store.dialect,
      [
        { name: "message_id", pgType: "bigint" },
        { name: "address", pgType: "text" },
        { name: "payload_json", pgType: "text" },
      ],
      batch.map((m) => [m.id, m.to, outboxPayloadJson(m)]),
      (table) => sql`
        insert into outbox (tenant_id, message_id, channel, address, payload_json, created_at)
        select ${first.tenantId}, message_id, ${first.channel}, address, payload_json, ${at} from ${table}`,
    );
  }

  /** Channel.sendAndRecord, on SQLite. */
  private async writeAndRecord(
    batch: readonly OutgoingMessage[],
    atMs: number,
  ): Promise<Set<number>> {
    if (batch.length === 0) return new Set();
    const at = new Date(atMs).toISOString();
    return busyRetry(() =>
      this.store.db.transaction().execute(async (trx) => {
        // Only messages still pending: one taken by another dispatcher
        // meanwhile (or by an operator's pause) is not sent twice.
        const { rows } = await executeWithRows<{ id: number }, Database>(
          trx,
          this.store.dialect,
          [{ name: "id", pgType: "bigint" }],
          batch.map((m) => [m.id]),
          (table) => sql`
            update messages
               set state = 'sent', sent_at = ${at}, updated_at = ${at}, sending_at = ${at},
                   attempts = messages.attempts + 1, error = null, provider_id = null,
                   segments = null, lease_owner = null, lease_expires_at = null
              from ${table}
             where messages.id = v.id and messages.state || '' = 'pending'
            returning messages.id`,
        );
        const sent = new Set(rows.map((r) => Number(r.id)));
        const kept = sent.size === batch.length ? batch : batch.filter((m) => sent.has(m.id));
        if (kept.length > 0) await this.write(trx, kept, atMs);
        return sent;
      }),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
  }
}
