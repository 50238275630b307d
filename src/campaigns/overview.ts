/**
 * Read models for the operator: campaigns with their message counts by state
 * (and waves), and the outbox's stored messages. The JSON shapes of
 * `remessa campaigns list|show --json` and `remessa outbox list --json` are
 * built here and are a stable contract (issue 11).
 */
import type { Kysely } from "kysely";
import type { Database, MessageState } from "../store/schema.js";

export const MESSAGE_STATES: readonly MessageState[] = [
  "pending",
  "sending",
  "sent",
  "delivered",
  "read",
  "failed",
  "skipped",
  "expired",
];

export type StateCounts = Record<MessageState, number>;

export interface CampaignSummary {
  id: number;
  mailingId: number | null;
  channel: string;
  status: string;
  audience: number;
  counts: StateCounts;
}

export interface WaveSummary {
  index: number;
  plannedAt: string;
  startedAt: string | null;
  size: number;
  counts: StateCounts;
}

export interface CampaignDetail extends CampaignSummary {
  waves: WaveSummary[];
  forecastEnd: string | null;
}

/** What the human output shows beyond the JSON shapes. */
export interface CampaignExtras {
  mode: string | null;
  name: string;
  mailingFile: string | null;
  wallet: string | null;
  startAt: string;
  deadlineAt: string | null;
  endedAt: string | null;
  excluded: Record<string, number>;
  forecastLate: number;
  skipReasons: Record<string, number>;
}

export function emptyCounts(): StateCounts {
  return Object.fromEntries(MESSAGE_STATES.map((s) => [s, 0])) as StateCounts;
}

function addCount(counts: StateCounts, state: string, n: number): void {
  if (state in counts) counts[state as MessageState] += n;
}

function campaignsQuery(db: Kysely<Database>, tenantId: number) {
  return db
    .selectFrom("campaigns as c")
    .leftJoin("mailings as m", "m.id", "c.mailing_id")
    .leftJoin("wallets as w", "w.id", "c.wallet_id")
    .selectAll("c")
    .select(["m.file_name as mailing_file", "w.code as wallet_code"])
    .where("c.tenant_id", "=", tenantId);
}

type CampaignJoined = Awaited<ReturnType<ReturnType<typeof campaignsQuery>["execute"]>>[number];

function summary(row: CampaignJoined, counts: StateCounts): CampaignSummary {
  return {
    id: row.id,
    mailingId: row.mailing_id,
    channel: row.channel,
    status: row.state,
    audience: Number(row.audience),
    counts,
  };
}

function parseCounts(json: string | null): Record<string, number> {
  if (!json) return {};
  try {
    const value = JSON.parse(json) as unknown;
    if (value && typeof value === "object" && !Array.isArray(value)) {
      return Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, Number(v)]),
      );
    }
  } catch {
    // A malformed value shows as no exclusions.
  }
  return {};
}

function extras(row: CampaignJoined): CampaignExtras {
  return {
    mode: row.mode,
    name: row.name,
    mailingFile: row.mailing_file,
    wallet: row.wallet_code,
    startAt: row.start_at,
    deadlineAt: row.deadline_at,
    endedAt: row.ended_at,
    excluded: parseCounts(row.excluded_json),
    forecastLate: Number(row.forecast_late ?? 0),
    skipReasons: {},
  };
}

/** Message counts by campaign and state, for the given campaigns. */
async function countsByCampaign(
  db: Kysely<Database>,
  tenantId: number,
  ids: number[],
): Promise<Map<number, StateCounts>> {
  const result = new Map<number, StateCounts>(ids.map((id) => [id, emptyCounts()]));
  if (ids.length === 0) return result;
  const rows = await db
    .selectFrom("messages")
    .select(["campaign_id", "state", (eb) => eb.fn.countAll<number>().as("n")])
    .where("tenant_id", "=", tenantId)
    .where("campaign_id", "in", ids)
    .groupBy(["campaign_id", "state"])
    .execute();
  for (const r of rows) {
    const counts = result.get(r.campaign_id);
    if (counts) addCount(counts, r.state, Number(r.n));
  }
  return result;
}

export interface ListedCampaign {
  summary: CampaignSummary;
  extras: CampaignExtras;
}

export async function listCampaigns(
  db: Kysely<Database>,
  tenantId: number,
  filter: { mailingId?: number } = {},
): Promise<ListedCampaign[]> {
  let query = campaignsQuery(db, tenantId);
  if (filter.mailingId !== undefined) query = query.where("c.mailing_id", "=", filter.mailingId);
  const rows = await query.orderBy("c.id").execute();
  const counts = await countsByCampaign(
    db,
    tenantId,
    rows.map((r) => r.id),
  );
  return rows.map((row) => ({
    summary: summary(row, counts.get(row.id) ?? emptyCounts()),
    extras: extras(row),
  }));
}

/** A page of campaigns, newest first (the API's list): filters and a cursor on the id. */
export async function pageCampaigns(
  db: Kysely<Database>,
  tenantId: number,
  filter: {
    state?: string;
    walletId?: number;
    mailingId?: number;
    /** Only campaigns with a smaller id (the previous page's last). */
    beforeId?: number;
    limit: number;
  },
): Promise<ListedCampaign[]> {
  let query = campaignsQuery(db, tenantId);
  if (filter.state !== undefined) query = query.where("c.state", "=", filter.state);
  if (filter.walletId !== undefined) query = query.where("c.wallet_id", "=", filter.walletId);
  if (filter.mailingId !== undefined) query = query.where("c.mailing_id", "=", filter.mailingId);
  if (filter.beforeId !== undefined) query = query.where("c.id", "<", filter.beforeId);
  const rows = await query.orderBy("c.id", "desc").limit(filter.limit).execute();
  const counts = await countsByCampaign(
    db,
    tenantId,
    rows.map((r) => r.id),
  );
  return rows.map((row) => ({
    summary: summary(row, counts.get(row.id) ?? emptyCounts()),
    extras: extras(row),
  }));
}

export interface ShownCampaign {
  detail: CampaignDetail;
  extras: CampaignExtras;
}

export async function showCampaign(
  db: Kysely<Database>,
  tenantId: number,
  id: number,
): Promise<ShownCampaign | null> {
  const row = await campaignsQuery(db, tenantId).where("c.id", "=", id).executeTakeFirst();
  if (!row) return null;
  const counts = (await countsByCampaign(db, tenantId, [id])).get(id) ?? emptyCounts();
  const waves = await db
    .selectFrom("waves")
    .select(["id", "number", "start_at", "started_at", "size"])
    .where("tenant_id", "=", tenantId)
    .where("campaign_id", "=", id)
    .orderBy("number")
    .execute();
  const byWave = await db
    .selectFrom("messages")
    .select(["wave_id", "state", (eb) => eb.fn.countAll<number>().as("n")])
    .where("tenant_id", "=", tenantId)
    .where("campaign_id", "=", id)
    .groupBy(["wave_id", "state"])
    .execute();
  const waveCounts = new Map<number, StateCounts>(waves.map((w) => [w.id, emptyCounts()]));
  for (const r of byWave) {
    const c = r.wave_id === null ? undefined : waveCounts.get(r.wave_id);
    if (c) addCount(c, r.state, Number(r.n));
  }
  const reasons = await db
    .selectFrom("messages")
    .select(["skip_reason", (eb) => eb.fn.countAll<number>().as("n")])
    .where("tenant_id", "=", tenantId)
    .where("campaign_id", "=", id)
    .where("state", "=", "skipped")
    .groupBy("skip_reason")
    .execute();
  const more = extras(row);
  more.skipReasons = Object.fromEntries(
    reasons.map((r) => [r.skip_reason ?? "(sem motivo)", Number(r.n)]),
  );
  return {
    detail: {
      ...summary(row, counts),
      waves: waves.map((w) => ({
        index: w.number,
        plannedAt: w.start_at,
        startedAt: w.started_at,
        size: Number(w.size),
        counts: waveCounts.get(w.id) ?? emptyCounts(),
      })),
      forecastEnd: row.forecast_end,
    },
    extras: more,
  };
}

export interface OutboxEntry {
  id: number;
  channel: string;
  to: string;
  /** Rendered text (SMS, e-mail body); null for a WhatsApp template message. */
  text: string | null;
  subject: string | null;
  template: { name: string; language: string | null; params: string[] } | null;
  campaignId: number | null;
  messageId: number | null;
  at: string;
}

function asString(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

/**
 * What the outbox stored for a message. The outbox writes the rendered
 * OutgoingMessage (src/campaigns/channel.ts) as payload_json; read
 * defensively, so an older or partial payload still lists.
 */
export function outboxPayload(json: string): Pick<OutboxEntry, "text" | "subject" | "template"> & {
  campaignId: number | null;
} {
  let payload: Record<string, unknown> = {};
  try {
    const value = JSON.parse(json) as unknown;
    if (value && typeof value === "object") payload = value as Record<string, unknown>;
  } catch {
    // Unreadable: listed with no text.
  }
  const t = payload.template as Record<string, unknown> | null | undefined;
  const template =
    t && typeof t === "object" && typeof t.name === "string"
      ? {
          name: t.name,
          language: asString(t.language),
          params: Array.isArray(t.params) ? t.params.map(String) : [],
        }
      : null;
  return {
    text: asString(payload.text),
    subject: asString(payload.subject),
    template,
    campaignId: typeof payload.campaignId === "number" ? payload.campaignId : null,
  };
}

/** The latest `limit` outbox messages (optionally of one campaign), oldest first. */
export async function listOutbox(
  db: Kysely<Database>,
  tenantId: number,
  filter: { campaignId?: number; limit: number },
): Promise<OutboxEntry[]> {
  let query = db
    .selectFrom("outbox as o")
    .leftJoin("messages as msg", "msg.id", "o.message_id")
    .select([
      "o.id",
      "o.channel",
      "o.address",
      "o.payload_json",
      "o.message_id",
      "o.created_at",
      "msg.campaign_id",
    ])
    .where("o.tenant_id", "=", tenantId);
  if (filter.campaignId !== undefined) {
    query = query.where("msg.campaign_id", "=", filter.campaignId);
  }
  const rows = await query.orderBy("o.id", "desc").limit(filter.limit).execute();
  return rows.reverse().map((r) => {
    const payload = outboxPayload(r.payload_json);
    return {
      id: r.id,
      channel: r.channel,
      to: r.address,
      text: payload.text,
      subject: payload.subject,
      template: payload.template,
      campaignId: r.campaign_id ?? payload.campaignId,
      messageId: r.message_id,
      at: r.created_at,
    };
  });
}
