/**
 * Campaign creation at import (SPEC §7), inside the import's transaction: one
 * campaign per channel flag of the file name, its waves, and one pending
 * message per person of the audience. If anything here throws, the import
 * rolls back with it: a file is accepted with its campaigns or not at all.
 *
 * Set-based: the messages of a campaign are written by one
 * `INSERT … SELECT` from the mailing's people (`mailing_persons`), inside the
 * database. Each person's contacts are the JSON array `channels_json`, in
 * file order; the first usable one (a mobile for SMS/WhatsApp, an address
 * for e-mail) not on the wallet's restriction list is the destination. The
 * import stores each person's first mobile and first e-mail beside the array
 * (`first_mobile`, `first_email`): that is the destination unless it is
 * restricted, and only then is the array walked.
 *
 * One pass before the INSERT counts the audience and the people left out,
 * and sorts the audience's first lines (file order) to find where each wave
 * starts; the INSERT then gives each message its wave by comparing its
 * person's first line with those starts. The wave rows are created
 * beforehand for every wave the split can produce, the unused ones deleted
 * after.
 *
 * People left out are counted by reason (`excluded_json`): SEM_CONTATO (no
 * usable contact), RESTRITO (every usable contact restricted), SEM_MENSAGEM
 * (SMS / e-mail without MENSAGEM and without a template body).
 *
 * An erased person's contacts (kept only as keyed hashes, src/privacy/erased.ts)
 * that a later file brings back are restricted too, under RESTRITO as the
 * reader reports them with `_h`: the contacts of the mailing that match a
 * hash are found in JS first (only when the tenant has erased contacts of
 * the kind), and the statement leaves those values out.
 */
import { type Kysely, type RawBuilder, sql } from "kysely";
import {
  type EmailAccountChoice,
  findDefaultTemplate,
  findEmailAccount,
  findExclusiveSenders,
  findSender,
  findTemplate,
  type SenderChoice,
  type TemplateChoice,
} from "../ingest/tenant-checks.js";
import { erasedContactsInMailing } from "../privacy/erased.js";
import { inValues } from "../store/bulk.js";
import type { Dialect } from "../store/db.js";
import type { AfterImportHook, ImportedMailing } from "../store/import.js";
import { restrictedCondition, restrictionKindsInScope } from "../store/restrictions.js";
import type { Database } from "../store/schema.js";
import { type Clock, systemClock } from "./channel.js";
import type { PlanningExclusion } from "./codes.js";
import { forecast } from "./forecast.js";
import { scheduleOf, waveSize, waveSizes } from "./plan.js";
import { effectiveRate } from "./rates.js";
import { parseSendWindow, type SendWindow } from "./window.js";

export type CampaignChannel = "sms" | "whatsapp" | "email";

/** Address of the platform default e-mail account created when none exists. */
export const DEFAULT_EMAIL_FROM = "nao-responda@remessa.local";

export interface PlanningOptions {
  /** The import's instant (default: the system clock). */
  clock?: Clock;
  /** Where REMESSA_DEFAULT_EMAIL_FROM is read (default: process.env). */
  env?: Readonly<Record<string, string | undefined>>;
}

/** What was created for one channel flag. */
export interface CreatedCampaign {
  id: number;
  channel: CampaignChannel;
  audience: number;
  excluded: Partial<Record<PlanningExclusion, number>>;
  waves: { number: number; startAt: string; size: number }[];
  forecastEnd: string;
  forecastLate: number;
}

/** Thrown when a registration the name needs vanished after the name checks (the import rolls back). */
export class PlanningError extends Error {}

/** The default hook of the ingest pipeline and `remessa import`. */
export function campaignPlanner(options: PlanningOptions = {}): AfterImportHook {
  return async (imported) => {
    await createCampaigns(imported, options);
  };
}

interface Resolved {
  channel: CampaignChannel;
  mode: string | null;
  sender: SenderChoice | null;
  account: EmailAccountChoice | null;
  template: TemplateChoice | null;
  subject: string | null;
  /** Destination kind in person_channels / messages. */
  contactKind: "mobile" | "email";
  restrictionKind: "phone" | "email";
  /** SMS and e-mail need a text: the person's MENSAGEM or the template's body. */
  needsMessage: boolean;
  rate: number;
  /** WhatsApp: the number's messaging tier and its recipients of the last 24 h. */
  tier: { limit: number; used: number } | null;
}

export async function createCampaigns(
  imported: ImportedMailing,
  options: PlanningOptions = {},
): Promise<CreatedCampaign[]> {
  const { mailing, db, tenantId, walletId } = imported;
  const channels: CampaignChannel[] = [];
  if (mailing.sms) channels.push("sms");
  if (mailing.whatsapp) channels.push("whatsapp");
  if (mailing.email) channels.push("email");
  if (channels.length === 0) return [];

  const nowMs = (options.clock ?? systemClock)();
  const now = new Date(nowMs).toISOString();
  const tenant = await db
    .selectFrom("tenants")
    .select("time_zone")
    .where("id", "=", tenantId)
    .executeTakeFirstOrThrow();
  const wallet = await db
    .selectFrom("wallets")
    .select("send_window_json")
    .where("id", "=", walletId)
    .executeTakeFirstOrThrow();
  // The window only shapes the forecast here (dispatch enforces it): one the
  // wallet holds in a shape not understood must not block the file's import.
  let window: SendWindow | null = null;
  try {
    window = parseSendWindow(wallet.send_window_json);
  } catch {
    window = null;
  }
  const schedule = scheduleOf(mailing, tenant.time_zone, nowMs);
  const created: CreatedCampaign[] = [];
  // SMS and WhatsApp share the mobiles: the erased ones are looked for once.
  const erasedOfKind = new Map<"mobile" | "email", string[]>();
  for (const channel of channels) {
    const r = await resolve(db, imported, channel, now, options.env ?? process.env, nowMs);
    const kinds = await restrictionKindsInScope(db, tenantId, walletId, channel);
    let erased = erasedOfKind.get(r.contactKind);
    if (erased === undefined) {
      // A `_h` file's reader already dropped erased contacts (RESTRITO): no second pass.
      erased = mailing.sanitize
        ? []
        : await erasedContactsInMailing(db, tenantId, imported.mailingId, r.contactKind);
      erasedOfKind.set(r.contactKind, erased);
    }
    const checks: RestrictionChecks = {
      contact: kinds.has(r.restrictionKind),
      document: kinds.has("document"),
      erased,
    };
    const campaign = await db
      .insertInto("campaigns")
      .values({
        tenant_id: tenantId,
        mailing_id: imported.mailingId,
        wallet_id: walletId,
        channel,
        mode: r.mode,
        sender_id: r.sender?.id ?? null,
        template_id: r.template?.id ?? null,
        email_account_id: r.account?.id ?? null,
        subject: r.subject,
        name: `${mailing.description} (${channel})`,
        start_at: new Date(schedule.startMs).toISOString(),
        deadline_at:
          schedule.deadlineMs === null ? null : new Date(schedule.deadlineMs).toISOString(),
        split_percent: mailing.split?.percent ?? null,
        split_every_minutes: mailing.split?.everyMinutes ?? null,
        exclude_recent_hours: mailing.excludeRecentHours,
        state: "scheduled",
        created_at: now,
        updated_at: now,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    const campaignId = Number(campaign.id);

    // Every wave the split can produce; the ones left empty are dropped below.
    const waveRows = await db
      .insertInto("waves")
      .values(
        schedule.waveStartsMs.map((startMs, number) => ({
          tenant_id: tenantId,
          campaign_id: campaignId,
          number,
          start_at: new Date(startMs).toISOString(),
          size: 0,
          state: "scheduled",
          created_at: now,
        })),
      )
      .returning(["id", "number", "start_at"])
      .execute();
    waveRows.sort((a, b) => a.number - b.number);

    const plan: InsertPlan = {
      dialect: imported.dialect,
      tenantId,
      walletId,
      mailingId: imported.mailingId,
      campaignId,
      now,
      resolved: r,
      checkRestrictions: checks,
      splitPercent: mailing.split?.percent ?? null,
      waves: waveRows.map((w) => ({ id: Number(w.id), startAt: w.start_at })),
    };
    // PostgreSQL: the audience's first lines are sorted for the waves; with
    // the default work_mem (4 MB) that sort spills to disk.
    if (imported.dialect === "postgres") await sql`SET LOCAL work_mem = '64MB'`.execute(db);
    const tally = await tallyAudience(db, plan);
    if (imported.dialect === "postgres") await sql`SET LOCAL work_mem TO DEFAULT`.execute(db);
    const { excluded } = tally;
    const inserted = await sql`${insertMessages(plan, tally.boundaries)}`.execute(db);
    const audience = Number(inserted.numAffectedRows ?? 0n);
    if (audience !== tally.audience) {
      throw new Error(`messages written ${audience}, audience counted ${tally.audience}`);
    }

    const sizes = waveSizes(audience, mailing.split);
    if (sizes.length < waveRows.length) {
      await db
        .deleteFrom("waves")
        .where("campaign_id", "=", campaignId)
        .where("number", ">=", sizes.length)
        .execute();
    }
    // Every wave's size in one UPDATE (a 1% split has 100 waves).
    const filled = [...sizes.entries()].filter(([, size]) => size > 0);
    if (filled.length > 0) {
      await db
        .updateTable("waves")
        .set({
          size: sql<number>`CASE number ${sql.join(
            filled.map(([number, size]) => sql`WHEN ${sql.lit(number)} THEN ${int(size)}`),
            sql` `,
          )} END`,
        })
        .where("campaign_id", "=", campaignId)
        .where(
          "number",
          "in",
          filled.map(([number]) => number),
        )
        .execute();
    }
    const waves = sizes.map((size, number) => ({
      number,
      startAt: waveRows[number]!.start_at,
      size,
    }));

    const expected = forecast({
      waves: waves.map((w, k) => ({ startMs: schedule.waveStartsMs[k]!, size: w.size })),
      rate: r.rate,
      window,
      timeZone: tenant.time_zone,
      deadlineMs: schedule.deadlineMs,
      tier: r.tier,
    });
    const forecastEnd = new Date(Math.round(expected.endMs)).toISOString();
    await db
      .updateTable("campaigns")
      .set({
        audience,
        excluded_json: JSON.stringify(excluded),
        forecast_end: forecastEnd,
        forecast_late: expected.late,
        updated_at: now,
      })
      .where("id", "=", campaignId)
      .execute();
    created.push({
      id: campaignId,
      channel,
      audience,
      excluded,
      waves,
      forecastEnd,
      forecastLate: expected.late,
    });
  }
  return created;
}

/** Which restriction lists have entries for this campaign (no per-contact check for the others). */
interface RestrictionChecks {
  /** Entries of the destination's kind (phone or e-mail). */
  contact: boolean;
  /** CPF/CNPJ entries: the person's document. */
  document: boolean;
  /** Contacts of the mailing that were an erased person's (plain values; nearly always none). */
  erased: readonly string[];
}

const anyCheck = (c: RestrictionChecks) => c.contact || c.document || c.erased.length > 0;

/**
 * The sender, template and e-mail account of one channel, as SPEC §3 says;
 * the name checks (src/ingest/tenant-checks.ts) discarded the file already
 * when one of them is missing, with the same queries.
 */
async function resolve(
  db: Kysely<Database>,
  imported: ImportedMailing,
  channel: CampaignChannel,
  now: string,
  env: Readonly<Record<string, string | undefined>>,
  nowMs: number,
): Promise<Resolved> {
  const { mailing, tenantId, walletId } = imported;
  const missing = (what: string) =>
    new PlanningError(
      `${what}: o cadastro foi removido depois da conferência do nome do arquivo. Cadastre de novo e reenvie o arquivo.`,
    );
  if (channel === "sms") {
    const mode = mailing.sms as string;
    const sender = await findSender(db, tenantId, "sms", mode, null, walletId);
    if (!sender) throw missing(`Rota de SMS ${mode}`);
    return {
      channel,
      mode,
      sender,
      account: null,
      template: null,
      subject: null,
      contactKind: "mobile",
      restrictionKind: "phone",
      needsMessage: true,
      rate: effectiveRate("sms", sender.rate_per_second),
      tier: null,
    };
  }
  if (channel === "whatsapp") {
    const w = mailing.whatsapp!;
    let sender: SenderChoice | null;
    if (w.mode === "exclusivo") {
      if (w.number !== null) {
        sender = await findSender(db, tenantId, "whatsapp", "exclusivo", w.number, walletId);
      } else {
        const own = await findExclusiveSenders(db, tenantId, walletId);
        sender = own.length === 1 ? own[0]! : null;
      }
    } else if (w.mode === "prospect") {
      sender = await pickFromProspectPool(db, tenantId, walletId, nowMs);
    } else {
      sender = await findSender(db, tenantId, "whatsapp", w.mode, null, walletId);
    }
    if (!sender) throw missing(`Número WhatsApp ${w.mode}`);
    const template =
      w.template !== null
        ? await findTemplate(db, tenantId, w.template, walletId)
        : await findDefaultTemplate(db, tenantId, walletId);
    if (!template)
      throw missing(
        `Template WhatsApp${w.template !== null ? ` ${w.template}` : " padrão da carteira"}`,
      );
    return {
      channel,
      mode: w.mode,
      sender,
      account: null,
      template,
      subject: null,
      contactKind: "mobile",
      restrictionKind: "phone",
      needsMessage: false,
      rate: effectiveRate("whatsapp", sender.rate_per_second),
      tier:
        sender.messaging_tier === null
          ? null
          : {
              limit: sender.messaging_tier,
              used: await recipientsInLastDay(db, sender.id, nowMs),
            },
    };
  }
  const e = mailing.email!;
  let account: EmailAccountChoice | null;
  if (e.account !== null) {
    account = await findEmailAccount(db, tenantId, e.account);
    if (!account) throw missing(`Conta de e-mail ${e.account}`);
  } else {
    account = await walletOrPlatformAccount(db, tenantId, walletId, now, env);
  }
  return {
    channel,
    mode: null,
    sender: null,
    account,
    template: null,
    subject: e.subject ?? mailing.description,
    contactKind: "email",
    restrictionKind: "email",
    needsMessage: true,
    rate: effectiveRate("email", account.rate_per_second),
    tier: null,
  };
}

/** Unique recipients a tiered number wrote to in the 24 h before `nowMs` (sender_recipients). */
async function recipientsInLastDay(
  db: Kysely<Database>,
  senderId: number,
  nowMs: number,
): Promise<number> {
  const row = await db
    .selectFrom("sender_recipients")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("sender_id", "=", senderId)
    .where("last_at", ">=", new Date(nowMs - 24 * 3_600_000).toISOString())
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/**
 * The prospect pool's number for a new campaign (`_whatsappprospect`): among
 * the enabled prospect numbers the wallet may use (its own first, as
 * findSender ranks them), the one with the most room left in its messaging
 * tier today, then the one with the fewest live campaigns, then the oldest.
 * Successive campaigns so rotate over the pool, and a number near its tier
 * is spared. The choice is per campaign: a campaign keeps its number (the
 * rate limit, the tier count and the replies all follow one number).
 */
async function pickFromProspectPool(
  db: Kysely<Database>,
  tenantId: number,
  walletId: number,
  nowMs: number,
): Promise<SenderChoice | null> {
  const best = await findSender(db, tenantId, "whatsapp", "prospect", null, walletId);
  if (!best) return null;
  const pool = (
    await db
      .selectFrom("senders")
      .select([
        "id",
        "name",
        "number",
        "mode",
        "wallet_id",
        "rate_per_second",
        "provider",
        "messaging_tier",
      ])
      .where("tenant_id", "=", tenantId)
      .where("kind", "=", "whatsapp")
      .where("mode", "=", "prospect")
      .where("enabled", "=", 1)
      .orderBy("id")
      .execute()
  ).filter((s) => s.wallet_id === best.wallet_id);
  if (pool.length <= 1) return best;
  const live = await db
    .selectFrom("campaigns")
    .select((eb) => ["sender_id", eb.fn.countAll<number>().as("n")])
    .where("tenant_id", "=", tenantId)
    .where(
      "sender_id",
      "in",
      pool.map((s) => s.id),
    )
    .where("state", "in", ["scheduled", "running", "paused"])
    .groupBy("sender_id")
    .execute();
  const liveOf = new Map(live.map((r) => [Number(r.sender_id), Number(r.n)]));
  const scored = [];
  for (const s of pool) {
    const room =
      s.messaging_tier === null
        ? Number.POSITIVE_INFINITY
        : s.messaging_tier - (await recipientsInLastDay(db, s.id, nowMs));
    scored.push({ s, room, live: liveOf.get(s.id) ?? 0 });
  }
  scored.sort((a, b) => b.room - a.room || a.live - b.live || a.s.id - b.s.id);
  return scored[0]?.s ?? best;
}

/** The wallet's active account, else the platform default one (created, as an outbox, if missing). */
async function walletOrPlatformAccount(
  db: Kysely<Database>,
  tenantId: number,
  walletId: number,
  now: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<EmailAccountChoice> {
  const columns = ["id", "address", "rate_per_second", "provider"] as const;
  const active = await db
    .selectFrom("email_accounts")
    .select([...columns])
    .where("tenant_id", "=", tenantId)
    .where("wallet_id", "=", walletId)
    .where("active", "=", 1)
    .orderBy("id")
    .executeTakeFirst();
  if (active) return active;
  const platform = await db
    .selectFrom("email_accounts")
    .select([...columns])
    .where("tenant_id", "=", tenantId)
    .where("is_platform_default", "=", 1)
    .orderBy("id")
    .executeTakeFirst();
  if (platform) return platform;
  const address = env.REMESSA_DEFAULT_EMAIL_FROM?.trim() || DEFAULT_EMAIL_FROM;
  // An account with that address but not marked default becomes the default.
  const same = await findEmailAccount(db, tenantId, address);
  if (same) {
    await db
      .updateTable("email_accounts")
      .set({ is_platform_default: 1, updated_at: now })
      .where("id", "=", same.id)
      .execute();
    return same;
  }
  return db
    .insertInto("email_accounts")
    .values({
      tenant_id: tenantId,
      address,
      display_name: null,
      host: "outbox",
      port: 0,
      security: "none",
      username: null,
      password_enc: null,
      wallet_id: null,
      active: 0,
      is_platform_default: 1,
      rate_per_second: null,
      provider: "outbox",
      created_at: now,
      updated_at: now,
    })
    .returning([...columns])
    .executeTakeFirstOrThrow();
}

interface InsertPlan {
  dialect: Dialect;
  tenantId: number;
  walletId: number;
  mailingId: number;
  campaignId: number;
  now: string;
  resolved: Resolved;
  checkRestrictions: RestrictionChecks;
  splitPercent: number | null;
  waves: { id: number; startAt: string }[];
}

const int = (n: number) => sql`CAST(${n} AS bigint)`;
const text = (s: string) => sql`CAST(${s} AS text)`;

/** The person's first contact of the campaign's kind in file order, stored at import. */
function firstOfKind(p: InsertPlan): RawBuilder<unknown> {
  return p.resolved.contactKind === "mobile" ? sql`mp.first_mobile` : sql`mp.first_email`;
}

/**
 * Whether `value` (a contact of the person `mp`) may not be sent to: on the
 * wallet's or the tenant's list for this channel or all (src/store/restrictions.ts),
 * the person's document on it, or an erased person's contact. Null: no check applies.
 */
function restrictedValue(p: InsertPlan, value: RawBuilder<unknown>): RawBuilder<unknown> | null {
  const { resolved } = p;
  const checks = p.checkRestrictions;
  const conditions: RawBuilder<unknown>[] = [];
  if (checks.contact) {
    conditions.push(
      restrictedCondition(
        p.tenantId,
        p.walletId,
        resolved.channel,
        resolved.restrictionKind,
        value,
      ),
    );
  }
  if (checks.document) {
    conditions.push(
      restrictedCondition(
        p.tenantId,
        p.walletId,
        resolved.channel,
        "document",
        sql`(SELECT pe.document FROM persons pe WHERE pe.id = mp.person_id)`,
      ),
    );
  }
  if (checks.erased.length > 0) conditions.push(inValues(p.dialect, value, checks.erased, "text"));
  return conditions.length === 0 ? null : sql`(${sql.join(conditions, sql` OR `)})`;
}

/**
 * The destination of one person: the first contact of the kind in file order
 * that is not restricted, or null. Nearly always the first one, stored at
 * import (`first_mobile`, `first_email`); only when that one is restricted
 * are the person's contacts (`channels_json`, in file order) walked for the
 * next one.
 */
function destination(p: InsertPlan): RawBuilder<unknown> {
  const first = firstOfKind(p);
  const restricted = restrictedValue(p, first);
  if (restricted === null) return first;
  const pg = p.dialect === "postgres";
  const value = pg ? sql`e.c->>'value'` : sql`json_extract(e.value, '$.value')`;
  const kind = pg ? sql`e.c->>'kind'` : sql`json_extract(e.value, '$.kind')`;
  const source = pg
    ? sql`json_array_elements(mp.channels_json::json) WITH ORDINALITY AS e(c, o)`
    : sql`json_each(mp.channels_json) AS e`;
  // json_each walks the array in order, and LIMIT 1 stops at the first match:
  // an ORDER BY would make SQLite sort every person's contacts.
  const order = pg ? sql`ORDER BY e.o` : sql``;
  const walk = sql`(SELECT ${value} FROM ${source}
    WHERE ${kind} = ${text(p.resolved.contactKind)} AND NOT ${restrictedValue(p, value)}
    ${order} LIMIT 1)`;
  return sql`CASE WHEN ${first} IS NULL THEN NULL WHEN NOT ${restricted} THEN ${first}
    ELSE ${walk} END`;
}

function needsMessage(r: Resolved): boolean {
  return r.needsMessage && (r.template?.body ?? null) === null;
}

/**
 * Why a person of the mailing is left out of the campaign, checked in this
 * order: SEM_CONTATO (no contact of the kind), RESTRITO (every one
 * restricted), SEM_MENSAGEM (SMS / e-mail without MENSAGEM nor a template
 * body); null: in the audience.
 */
function exclusionReason(p: InsertPlan, address: RawBuilder<unknown>): RawBuilder<unknown> {
  const restricted = anyCheck(p.checkRestrictions)
    ? sql`WHEN ${address} IS NULL THEN 'RESTRITO'`
    : sql``;
  const noMessage = needsMessage(p.resolved)
    ? sql`WHEN mp.message IS NULL THEN 'SEM_MENSAGEM'`
    : sql``;
  return sql`CASE WHEN ${firstOfKind(p)} IS NULL THEN 'SEM_CONTATO' ${restricted} ${noMessage}
    ELSE NULL END`;
}

/**
 * The mailing's people with their destination. PostgreSQL computes it once
 * per person in a LATERAL subquery that OFFSET 0 keeps from being pulled up
 * (a pulled-up expression ran twice per person, in the filter and in the
 * output); SQLite in a subquery that `LIMIT -1` (no limit) keeps from being
 * flattened into the filter on its result, for the same reason. Without a
 * restriction check the destination is a plain column.
 */
function withDestination(p: InsertPlan, where: RawBuilder<unknown>): RawBuilder<unknown> {
  const mailing = sql`mp.mailing_id = ${int(p.mailingId)}`;
  if (!anyCheck(p.checkRestrictions)) {
    return sql`SELECT mp.person_id, mp.first_line, mp.message, ${firstOfKind(p)} AS address,
        ${exclusionReason(p, firstOfKind(p))} AS reason
      FROM mailing_persons mp WHERE ${mailing} AND ${where}`;
  }
  if (p.dialect === "postgres") {
    return sql`SELECT mp.person_id, mp.first_line, mp.message, c.address,
        ${exclusionReason(p, sql`c.address`)} AS reason
      FROM mailing_persons mp
      CROSS JOIN LATERAL (SELECT ${destination(p)} AS address OFFSET 0) c
      WHERE ${mailing} AND ${where}`;
  }
  return sql`SELECT mp.person_id, mp.first_line, mp.message, mp.address,
      ${exclusionReason(p, sql`mp.address`)} AS reason
    FROM (
      SELECT mp.person_id, mp.first_line, mp.message, mp.first_mobile, mp.first_email,
        ${destination(p)} AS address
      FROM mailing_persons mp WHERE ${mailing} AND ${where}
      LIMIT -1
    ) mp`;
}

/** The campaign's audience: people of the mailing with a destination (and a text, when needed). */
function audienceRows(p: InsertPlan): RawBuilder<unknown> {
  const messageFilter = needsMessage(p.resolved) ? sql`mp.message IS NOT NULL` : sql`1 = 1`;
  const rows = withDestination(p, sql`${firstOfKind(p)} IS NOT NULL AND ${messageFilter}`);
  return sql`SELECT a.person_id, a.first_line, a.message, a.address FROM (${rows}) a
    WHERE a.address IS NOT NULL`;
}

/** Where a wave starts in file order: its first person's line (and id, when lines repeat). */
interface WaveBoundary {
  line: number;
  /** Null: no one else of the audience has this line. */
  personId: number | null;
}

/** The audience's size, the people left out by reason, and where each wave after the first starts. */
interface Tally {
  audience: number;
  excluded: Partial<Record<PlanningExclusion, number>>;
  boundaries: WaveBoundary[];
}

/**
 * One pass over the mailing's people before the messages are written: the
 * audience's size and the exclusions by reason, and, for a split, each
 * wave's first person in file order (first line, then person id), so that
 * the INSERT gives each message its wave by comparing its person's first
 * line with those (`waveOf`) instead of numbering and counting the audience
 * in a window over the whole rows (which sorted the rows with their texts).
 *
 * Only the audience's first lines are sorted (one column, into an array),
 * and the boundaries picked from it: wave k ≥ 1 starts at position
 * k·size + 1. A line shared by two people across a boundary (never from a
 * file, where each person's first line is their own) is settled by a second
 * query on (first line, person id).
 */
async function tallyAudience(db: Kysely<Database>, p: InsertPlan): Promise<Tally> {
  const pg = p.dialect === "postgres";
  const percent = p.splitPercent;
  const sorted =
    percent === null
      ? sql``
      : pg
        ? sql`, array_agg(t.first_line ORDER BY t.first_line) FILTER (WHERE t.reason IS NULL) AS sorted`
        : sql`, json_group_array(t.first_line ORDER BY t.first_line) FILTER (WHERE t.reason IS NULL) AS sorted`;
  // The line at 1-based position `i` of the sorted array.
  const at = (i: RawBuilder<unknown>) =>
    pg ? sql`z.sorted[${i}]` : sql`json_extract(z.sorted, '$[' || (${i} - 1) || ']')`;
  const size = sql`z.size`;
  const start = sql`ks.k * ${size} + 1`;
  const picked =
    percent === null
      ? sql`SELECT z.*, NULL AS k, NULL AS line, NULL AS tie FROM z`
      : sql`SELECT z.audience, z.sem_contato, z.restrito, z.sem_mensagem, ks.k,
          ${at(start)} AS line, ${at(sql`ks.k * ${size}`)} = ${at(start)} AS tie
        FROM z LEFT JOIN ks ON 1 = 1 ORDER BY ks.k`;
  const { rows } = await sql<{
    audience: number | string;
    sem_contato: number | string;
    restrito: number | string;
    sem_mensagem: number | string;
    line: number | string | null;
    tie: boolean | number | null;
  }>`WITH RECURSIVE z AS MATERIALIZED (
      SELECT count(*) FILTER (WHERE t.reason IS NULL) AS audience,
        count(*) FILTER (WHERE t.reason = 'SEM_CONTATO') AS sem_contato,
        count(*) FILTER (WHERE t.reason = 'RESTRITO') AS restrito,
        count(*) FILTER (WHERE t.reason = 'SEM_MENSAGEM') AS sem_mensagem,
        (count(*) FILTER (WHERE t.reason IS NULL) * ${int(percent ?? 100)} + 99) / 100 AS size
        ${sorted}
      FROM (${withDestination(p, sql`1 = 1`)}) t),
    ks(k) AS (
      SELECT 1 FROM z WHERE z.audience > z.size
      UNION ALL
      SELECT ks.k + 1 FROM ks, z WHERE (ks.k + 1) * z.size < z.audience)
    ${picked}`.execute(db);
  const head = rows[0]!;
  const audience = Number(head.audience);
  const excluded: Partial<Record<PlanningExclusion, number>> = {};
  const put = (reason: PlanningExclusion, n: number | string) => {
    if (Number(n) > 0) excluded[reason] = Number(n);
  };
  put("SEM_CONTATO", head.sem_contato);
  put("RESTRITO", head.restrito);
  put("SEM_MENSAGEM", head.sem_mensagem);
  const starts = rows.filter((r) => r.line !== null);
  const boundaries = starts.some((r) => r.tie === true || Number(r.tie) === 1)
    ? await boundariesByPerson(db, p, waveSize(audience, percent!))
    : starts.map((r) => ({ line: Number(r.line), personId: null }));
  return { audience, excluded, boundaries };
}

/** The first person (line, id) of every wave after the first, numbering the audience in file order. */
async function boundariesByPerson(
  db: Kysely<Database>,
  p: InsertPlan,
  size: number,
): Promise<WaveBoundary[]> {
  const { rows } = await sql<{ first_line: number | string; person_id: number | string }>`
    SELECT b.first_line, b.person_id FROM (
      SELECT a.first_line, a.person_id,
        ROW_NUMBER() OVER (ORDER BY a.first_line, a.person_id) AS n
      FROM (${audienceRows(p)}) a) b
    WHERE b.n > 1 AND (b.n - 1) % ${int(size)} = 0
    ORDER BY b.n`.execute(db);
  return rows.map((r) => ({ line: Number(r.first_line), personId: Number(r.person_id) }));
}

/**
 * A value per wave for the person `a`: `pick(k)` of the wave whose range of
 * file order holds it, found by halving the boundaries (a few comparisons
 * per message, however many waves).
 */
function waveOf(
  boundaries: readonly WaveBoundary[],
  pick: (wave: number) => RawBuilder<unknown>,
): RawBuilder<unknown> {
  const branch = (lo: number, hi: number): RawBuilder<unknown> => {
    if (lo === hi) return pick(lo);
    const mid = (lo + hi + 1) >> 1;
    const b = boundaries[mid - 1]!;
    const before =
      b.personId === null
        ? sql`a.first_line < ${sql.lit(b.line)}`
        : sql`(a.first_line, a.person_id) < (${sql.lit(b.line)}, ${sql.lit(b.personId)})`;
    return sql`CASE WHEN ${before} THEN ${branch(lo, mid - 1)} ELSE ${branch(mid, hi)} END`;
  };
  return branch(0, boundaries.length);
}

/** One INSERT … SELECT writing the campaign's messages, each in its wave. */
function insertMessages(p: InsertPlan, boundaries: readonly WaveBoundary[]): RawBuilder<unknown> {
  const { resolved } = p;
  return sql`INSERT INTO messages (tenant_id, campaign_id, wave_id, person_id, channel_kind,
      address, body, state, next_attempt_at, created_at, updated_at)
    SELECT ${int(p.tenantId)}, ${int(p.campaignId)}, ${waveOf(boundaries, (k) => int(p.waves[k]!.id))},
      a.person_id, ${text(resolved.contactKind)}, a.address, a.message, 'pending',
      ${waveOf(boundaries, (k) => text(p.waves[k]!.startAt))}, ${text(p.now)}, ${text(p.now)}
    FROM (${audienceRows(p)}) a`;
}
