/**
 * Campaign rows written directly (the planner and the dispatcher are other
 * modules): a person per message, a campaign, its waves and messages in the
 * states a test needs, and outbox rows.
 */
import type { Kysely } from "kysely";
import type { Database, MessageState } from "../../src/store/schema.js";

export const T0 = "2026-12-07T13:00:00.000Z";

export async function addPerson(
  db: Kysely<Database>,
  tenantId: number,
  key: string,
  contacts: { kind: string; value: string }[] = [],
): Promise<number> {
  const person = await db
    .insertInto("persons")
    .values({
      tenant_id: tenantId,
      key_kind: "codcliente",
      key,
      cod_cliente: key,
      name: `Pessoa ${key}`,
      created_at: T0,
      updated_at: T0,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  for (const c of contacts) {
    await db
      .insertInto("person_channels")
      .values({
        tenant_id: tenantId,
        person_id: person.id,
        kind: c.kind,
        value: c.value,
        created_at: T0,
      })
      .execute();
  }
  return person.id;
}

export interface SeedOptions {
  tenantId?: number;
  channel?: string;
  mode?: string | null;
  state?: string;
  /** Message states per wave; a wave's `started` sets started_at. */
  waves?: { states: MessageState[]; started?: boolean }[];
  mailingId?: number | null;
  forecastEnd?: string | null;
}

export interface Seeded {
  campaignId: number;
  waveIds: number[];
  messageIds: number[];
}

let people = 0;

export async function seedCampaign(db: Kysely<Database>, o: SeedOptions = {}): Promise<Seeded> {
  const tenantId = o.tenantId ?? 1;
  const waves = o.waves ?? [{ states: ["pending", "pending"] }];
  const audience = waves.reduce((n, w) => n + w.states.length, 0);
  const campaign = await db
    .insertInto("campaigns")
    .values({
      tenant_id: tenantId,
      mailing_id: o.mailingId ?? null,
      channel: o.channel ?? "sms",
      mode: o.mode === undefined ? "long" : o.mode,
      name: "teste",
      start_at: T0,
      state: o.state ?? "scheduled",
      audience,
      forecast_end: o.forecastEnd ?? null,
      created_at: T0,
      updated_at: T0,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  const waveIds: number[] = [];
  const messageIds: number[] = [];
  for (const [number, wave] of waves.entries()) {
    const start = new Date(Date.parse(T0) + number * 60_000).toISOString();
    const w = await db
      .insertInto("waves")
      .values({
        tenant_id: tenantId,
        campaign_id: campaign.id,
        number,
        start_at: start,
        size: wave.states.length,
        state: wave.started ? "running" : "scheduled",
        started_at: wave.started ? start : null,
        created_at: T0,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    waveIds.push(w.id);
    for (const state of wave.states) {
      const n = ++people;
      const personId = await addPerson(db, tenantId, `P${n}`);
      const m = await db
        .insertInto("messages")
        .values({
          tenant_id: tenantId,
          campaign_id: campaign.id,
          wave_id: w.id,
          person_id: personId,
          channel_kind: "mobile",
          address: `119${String(n).padStart(8, "0")}`,
          body: "Olá [NOME_CLIENTE]",
          state,
          next_attempt_at: start,
          created_at: T0,
          updated_at: T0,
          ...(state === "sent" ? { sent_at: T0, sending_at: T0 } : {}),
          ...(state === "sending" ? { sending_at: T0 } : {}),
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      messageIds.push(m.id);
    }
  }
  return { campaignId: campaign.id, waveIds, messageIds };
}
