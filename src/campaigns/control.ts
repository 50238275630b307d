/**
 * Operator control of a campaign: pause, resume, cancel (SPEC §7).
 *
 * State rules (design note of issue 11):
 * - pause: only a scheduled or running campaign. The dispatcher claims
 *   messages of scheduled|running campaigns only, so nothing new goes out;
 *   messages already `sending` finish (they are never re-sent).
 * - resume: only a paused campaign; back to running when a wave already
 *   started (or a message went out), else to scheduled. Messages kept their
 *   state, so nothing is sent twice.
 * - cancel: a scheduled, running or paused campaign. Its pending messages
 *   become skipped with CAMPANHA_CANCELADA, its waves not done become
 *   cancelled, the campaign cancelled with `ended_at`. Messages `sending`
 *   finish as the provider answers.
 * Every change is a conditional UPDATE on the state it starts from, so a
 * concurrent change (another operator, the dispatcher finishing the campaign)
 * is told, not overwritten. Refusals are ValidationErrors in pt-BR.
 */

import type { Kysely } from "kysely";
import { notifyCampaignsEnded } from "../notifications/events.js";
import type { Database } from "../store/schema.js";
import { ValidationError } from "../store/tenants.js";
import { type Clock, systemClock } from "./channel.js";
import type { CampaignsEndedHook } from "./lifecycle.js";

export type CampaignState =
  | "scheduled"
  | "running"
  | "paused"
  | "finished"
  | "cancelled"
  | "expired";

/** Campaign states as the operator reads them. */
export const CAMPAIGN_STATE_LABEL: Record<string, string> = {
  scheduled: "agendada",
  running: "em envio",
  paused: "pausada",
  finished: "concluída",
  cancelled: "cancelada",
  expired: "expirada",
};

/** The skip reason of the messages a cancel leaves unsent. */
export const CANCELLED_REASON = "CAMPANHA_CANCELADA";

const ENDED = new Set(["finished", "cancelled", "expired"]);
const PAUSABLE = ["scheduled", "running"];
const CANCELLABLE = ["scheduled", "running", "paused"];

export interface ControlResult {
  id: number;
  from: string;
  to: CampaignState;
}

export interface CancelResult extends ControlResult {
  /** Pending messages now skipped (CAMPANHA_CANCELADA). */
  skipped: number;
  /** Messages being sent at the moment, left to finish. */
  inFlight: number;
}

function label(state: string): string {
  return CAMPAIGN_STATE_LABEL[state] ?? state;
}

async function currentState(db: Kysely<Database>, tenantId: number, id: number): Promise<string> {
  const row = await db
    .selectFrom("campaigns")
    .select("state")
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .executeTakeFirst();
  if (!row) {
    throw new ValidationError(
      `A campanha ${id} não existe. Veja as campanhas com "remessa campaigns list".`,
    );
  }
  return row.state;
}

function endedMessage(id: number, state: string, what: string): string {
  return `A campanha ${id} já terminou (${label(state)}): ${what}.`;
}

function pauseRefusal(id: number, state: string): string {
  if (state === "paused") {
    return `A campanha ${id} já está pausada. Para retomar o envio: remessa campaigns resume ${id}`;
  }
  if (ENDED.has(state)) return endedMessage(id, state, "não há envio para pausar");
  return `A campanha ${id} está ${label(state)} e não pode ser pausada.`;
}

function resumeRefusal(id: number, state: string): string {
  if (ENDED.has(state)) return endedMessage(id, state, "não pode ser retomada");
  return `A campanha ${id} não está pausada (está ${label(state)}): não há o que retomar.`;
}

function cancelRefusal(id: number, state: string): string {
  if (ENDED.has(state)) return endedMessage(id, state, "não há o que cancelar");
  return `A campanha ${id} está ${label(state)} e não pode ser cancelada.`;
}

const iso = (clock: Clock): string => new Date(clock()).toISOString();

export async function pauseCampaign(
  db: Kysely<Database>,
  tenantId: number,
  id: number,
  clock: Clock = systemClock,
): Promise<ControlResult> {
  const from = await currentState(db, tenantId, id);
  if (!PAUSABLE.includes(from)) throw new ValidationError(pauseRefusal(id, from));
  const result = await db
    .updateTable("campaigns")
    .set({ state: "paused", updated_at: iso(clock) })
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .where("state", "=", from)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) {
    // Changed meanwhile (the dispatcher started or finished it): decide again.
    return pauseCampaign(db, tenantId, id, clock);
  }
  return { id, from, to: "paused" };
}

/** Whether a campaign has started sending: a wave started, or a message left the pending state. */
async function hasStarted(db: Kysely<Database>, tenantId: number, id: number): Promise<boolean> {
  const wave = await db
    .selectFrom("waves")
    .select("id")
    .where("tenant_id", "=", tenantId)
    .where("campaign_id", "=", id)
    .where("started_at", "is not", null)
    .limit(1)
    .executeTakeFirst();
  if (wave) return true;
  const message = await db
    .selectFrom("messages")
    .select("id")
    .where("tenant_id", "=", tenantId)
    .where("campaign_id", "=", id)
    .where("state", "in", ["sending", "sent", "delivered", "read", "failed"])
    .limit(1)
    .executeTakeFirst();
  return message !== undefined;
}

export async function resumeCampaign(
  db: Kysely<Database>,
  tenantId: number,
  id: number,
  clock: Clock = systemClock,
): Promise<ControlResult> {
  const from = await currentState(db, tenantId, id);
  if (from !== "paused") throw new ValidationError(resumeRefusal(id, from));
  const to: CampaignState = (await hasStarted(db, tenantId, id)) ? "running" : "scheduled";
  const result = await db
    .updateTable("campaigns")
    .set({ state: to, updated_at: iso(clock) })
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .where("state", "=", "paused")
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) {
    throw new ValidationError(resumeRefusal(id, await currentState(db, tenantId, id)));
  }
  return { id, from, to };
}

export async function cancelCampaign(
  db: Kysely<Database>,
  tenantId: number,
  id: number,
  clock: Clock = systemClock,
  /** Told in the cancel's transaction (default: the tenant's notifications; null: none). */
  onEnded: CampaignsEndedHook | null = notifyCampaignsEnded,
): Promise<CancelResult> {
  const from = await currentState(db, tenantId, id);
  if (!CANCELLABLE.includes(from)) throw new ValidationError(cancelRefusal(id, from));
  const now = iso(clock);
  const outcome = await db.transaction().execute(async (trx) => {
    // The campaign first: from here on the dispatcher claims none of its messages.
    const campaign = await trx
      .updateTable("campaigns")
      .set({ state: "cancelled", ended_at: now, updated_at: now })
      .where("tenant_id", "=", tenantId)
      .where("id", "=", id)
      .where("state", "in", CANCELLABLE)
      .executeTakeFirst();
    if (Number(campaign.numUpdatedRows) === 0) return null;
    const skipped = await trx
      .updateTable("messages")
      .set({
        state: "skipped",
        skip_reason: CANCELLED_REASON,
        skipped_at: now,
        updated_at: now,
        lease_owner: null,
        lease_expires_at: null,
      })
      .where("tenant_id", "=", tenantId)
      .where("campaign_id", "=", id)
      .where("state", "=", "pending")
      .executeTakeFirst();
    await trx
      .updateTable("waves")
      .set({ state: "cancelled" })
      .where("tenant_id", "=", tenantId)
      .where("campaign_id", "=", id)
      .where("state", "in", ["scheduled", "running"])
      .execute();
    const inFlight = await trx
      .selectFrom("messages")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("tenant_id", "=", tenantId)
      .where("campaign_id", "=", id)
      .where("state", "=", "sending")
      .executeTakeFirst();
    await onEnded?.(trx, [{ id, tenantId, state: "cancelled", endedAt: now }]);
    return { skipped: Number(skipped.numUpdatedRows), inFlight: Number(inFlight?.n ?? 0) };
  });
  if (outcome === null) {
    throw new ValidationError(cancelRefusal(id, await currentState(db, tenantId, id)));
  }
  return { id, from, to: "cancelled", ...outcome };
}
