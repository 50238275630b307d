/**
 * Delivery receipts: what a provider says happened to a message after it
 * accepted it (SMPP deliver_sm receipts, WhatsApp Cloud API status webhooks).
 * Every real channel feeds them through `applyDeliveryReceipt`, the one place
 * that decides how a message's state moves after "sent".
 *
 * Receipts repeat (webhooks are delivered at least once) and arrive out of
 * order (a "read" may come before its "delivered"), so the state only moves
 * forward: sent → delivered → read, or sent → failed. A receipt that would move
 * it back is "stale" and changes nothing; one already applied is a "duplicate"
 * (delivery_events keeps (tenant, provider id, status) once).
 */
import type { Kysely } from "kysely";
import { type Database, type MessageState, nowIso } from "../store/schema.js";

export type ReceiptStatus = "delivered" | "read" | "failed";

export interface DeliveryReceipt {
  tenantId: number;
  /**
   * The id the channel returned as `providerId` when the message was sent.
   * Unique per tenant: a channel whose peer's ids are not (SMPP message ids
   * restart per SMSC) prefixes them, e.g. with the sender's key.
   */
  providerId: string;
  status: ReceiptStatus;
  /** When the peer says it happened (ISO 8601); the receipt's own time if it gives none. */
  at: string;
  /** Why it failed, pt-BR (failed only). */
  reason?: string | null;
}

/**
 * applied: the message moved. duplicate: this status was applied before.
 * stale: the message is already past it (or final). unknown: no message has
 * this provider id (yet: a receipt may beat the record of its "sent"; the
 * caller may try again shortly).
 */
export type ReceiptOutcome = "applied" | "duplicate" | "stale" | "unknown";

/** The state a message takes on a receipt, or null when the receipt must not move it. */
export function stateAfterReceipt(
  current: MessageState,
  status: ReceiptStatus,
): MessageState | null {
  switch (status) {
    case "delivered":
      return current === "sending" || current === "sent" ? "delivered" : null;
    case "read":
      return current === "sending" || current === "sent" || current === "delivered" ? "read" : null;
    case "failed":
      // A failure after a delivery receipt is a provider's contradiction: the delivery stands.
      return current === "sending" || current === "sent" ? "failed" : null;
  }
}

export async function applyDeliveryReceipt(
  db: Kysely<Database>,
  receipt: DeliveryReceipt,
): Promise<ReceiptOutcome> {
  return db.transaction().execute(async (trx) => {
    const message = await trx
      .selectFrom("messages")
      .select(["id", "state", "delivered_at"])
      .where("tenant_id", "=", receipt.tenantId)
      .where("provider_id", "=", receipt.providerId)
      .executeTakeFirst();
    if (message === undefined) return "unknown";
    const event = await trx
      .insertInto("delivery_events")
      .values({
        tenant_id: receipt.tenantId,
        provider_id: receipt.providerId,
        status: receipt.status,
        message_id: Number(message.id),
        received_at: nowIso(),
      })
      .onConflict((oc) => oc.columns(["tenant_id", "provider_id", "status"]).doNothing())
      .executeTakeFirst();
    if (Number(event.numInsertedOrUpdatedRows ?? 0n) === 0) return "duplicate";
    const next = stateAfterReceipt(message.state, receipt.status);
    if (next === null) return "stale";
    const at = receipt.at;
    await trx
      .updateTable("messages")
      .set({
        state: next,
        updated_at: nowIso(),
        ...(next === "delivered" ? { delivered_at: at } : {}),
        // A read without its delivered receipt was delivered too, at the latest when read.
        ...(next === "read" ? { read_at: at, delivered_at: message.delivered_at ?? at } : {}),
        ...(next === "failed" ? { failed_at: at, error: receipt.reason ?? null } : {}),
      })
      .where("id", "=", message.id)
      .where("state", "=", message.state)
      .execute();
    return "applied";
  });
}
