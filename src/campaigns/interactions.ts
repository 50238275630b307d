/**
 * Inbound interactions (a WhatsApp reply, an SMS MO, an e-mail answer): what
 * `_x N` looks at before a message goes. Every channel records them through
 * `recordInbound`, the one entry point, so the address is always stored the
 * way person_channels stores contacts (phones as DDD + number digits, e-mails
 * with the domain lower-cased) and the dispatcher's check compares like with like.
 */
import type { Kysely } from "kysely";
import { normalizeEmail } from "../mailing/email.js";
import { normalizePhone } from "../mailing/phone.js";
import type { Database } from "../store/schema.js";
import { ValidationError } from "../store/tenants.js";
import { type ChannelKind, type Clock, systemClock } from "./channel.js";

export const INBOUND_CHANNELS: readonly ChannelKind[] = ["sms", "whatsapp", "email"];

export interface InboundInput {
  tenantId: number;
  channel: ChannelKind;
  /** Phone in any usual writing ("+55 (11) 98765-4321", WhatsApp's "5511987654321") or e-mail. */
  address: string;
  /** When it was received (ISO-8601 with zone, or a Date); default: the clock's now. */
  at?: string | Date;
  /** The person, when the channel knows it; otherwise looked up by the address. */
  personId?: number | null;
  /** The sender (number or route) that received it. */
  senderId?: number | null;
  /** The provider's id of the inbound message: a second delivery of it is recorded once. */
  providerId?: string | null;
  body?: string | null;
}

export interface InboundRecorded {
  id: number;
  /** False when the provider's id had already been recorded (nothing was written). */
  created: boolean;
  address: string;
  personId: number | null;
  receivedAt: string;
}

/**
 * The address as person_channels stores it. Phones are normalized as a
 * sanitized import does (so an old 8-digit mobile, as WhatsApp still reports
 * some, gets its 9th digit and matches the mobile messages go to), falling
 * back to the plain normalization for numbers sanitizing refuses.
 */
export function normalizeInboundAddress(channel: ChannelKind, raw: string): string {
  if (channel === "email") {
    const email = normalizeEmail(raw, false);
    if (!email.ok) throw new ValidationError(`E-mail "${raw}" inválido: ${lower(email.message)}.`);
    return email.value;
  }
  const sanitized = normalizePhone(raw, true);
  if (sanitized.ok) return sanitized.value;
  const plain = normalizePhone(raw, false);
  if (plain.ok) return plain.value;
  throw new ValidationError(`Telefone "${raw}" inválido: ${lower(sanitized.message)}.`);
}

function lower(message: string): string {
  return `${message.charAt(0).toLowerCase()}${message.slice(1)}`;
}

function receivedAt(at: string | Date | undefined, clock: Clock): string {
  if (at === undefined) return new Date(clock()).toISOString();
  const date = at instanceof Date ? at : new Date(at);
  if (Number.isNaN(date.getTime())) {
    throw new ValidationError(
      `Data "${String(at)}" inválida: use o formato ISO, por exemplo 2026-12-07T14:30:00-03:00.`,
    );
  }
  return date.toISOString();
}

/**
 * The person an address belongs to: the only person of the tenant with this
 * contact, or null when none or several have it (the address itself is still
 * recorded, and `_x` matches messages to it whoever they are for).
 */
async function personOf(
  db: Kysely<Database>,
  tenantId: number,
  address: string,
): Promise<number | null> {
  const rows = await db
    .selectFrom("person_channels")
    .select("person_id")
    .where("tenant_id", "=", tenantId)
    .where("value", "=", address)
    .limit(2)
    .execute();
  return rows.length === 1 ? (rows[0]?.person_id ?? null) : null;
}

/**
 * Records one inbound interaction. Idempotent on (tenant, channel, provider
 * id): a webhook delivered twice is stored once (`created: false`). A bad
 * address or date throws a ValidationError (pt-BR).
 */
export async function recordInbound(
  db: Kysely<Database>,
  input: InboundInput,
  clock: Clock = systemClock,
): Promise<InboundRecorded> {
  if (!INBOUND_CHANNELS.includes(input.channel)) {
    throw new ValidationError(`Canal "${input.channel}" desconhecido: use sms, whatsapp ou email.`);
  }
  const address = normalizeInboundAddress(input.channel, input.address);
  const at = receivedAt(input.at, clock);
  const providerId = input.providerId?.trim() || null;
  const personId = input.personId ?? (await personOf(db, input.tenantId, address));
  const existing = async () =>
    providerId === null
      ? undefined
      : db
          .selectFrom("inbound_interactions")
          .select(["id", "address", "person_id", "received_at"])
          .where("tenant_id", "=", input.tenantId)
          .where("channel", "=", input.channel)
          .where("provider_id", "=", providerId)
          .executeTakeFirst();
  const inserted = await db
    .insertInto("inbound_interactions")
    .values({
      tenant_id: input.tenantId,
      channel: input.channel,
      address,
      person_id: personId,
      sender_id: input.senderId ?? null,
      provider_id: providerId,
      body: input.body ?? null,
      received_at: at,
    })
    .onConflict((oc) => oc.columns(["tenant_id", "channel", "provider_id"]).doNothing())
    .returning("id")
    .executeTakeFirst();
  if (inserted) return { id: inserted.id, created: true, address, personId, receivedAt: at };
  const row = await existing();
  if (!row) throw new Error("inbound interaction neither inserted nor found");
  return {
    id: row.id,
    created: false,
    address: row.address,
    personId: row.person_id,
    receivedAt: row.received_at,
  };
}
