/**
 * `DispatchStore` (dispatch.ts) on Kysely, for SQLite and PostgreSQL. Every
 * statement that hands work to a dispatcher is atomic on its own: on
 * PostgreSQL the claim's subquery locks its rows with `FOR UPDATE SKIP
 * LOCKED` (as the file pipeline's claims do), so concurrent dispatchers take
 * disjoint batches without waiting for each other; SQLite has one writer at
 * a time and each UPDATE … RETURNING is a single step. Results are written
 * back only while the lease is still this dispatcher's.
 */

import { type RawBuilder, sql } from "kysely";
import { notifyCampaignsEnded } from "../notifications/events.js";
import { erasedAmong } from "../privacy/erased.js";
import { executeWithRows, inValues, type PgType } from "../store/bulk.js";
import { busyRetry } from "../store/busy.js";
import type { Store } from "../store/db.js";
import type { ChannelKind, SenderRef } from "./channel.js";
import type {
  CampaignPlan,
  ClaimedMessage,
  DispatchStore,
  MessageOutcome,
  PersonView,
} from "./dispatch.js";
import type { CampaignsEndedHook } from "./lifecycle.js";
import { DEFAULT_RATE_PER_SECOND } from "./rates.js";
import { parseSendWindow } from "./window.js";

const ACTIVE = sql`('scheduled', 'running')`;
/**
 * SQLite: `messages` looked up through messages_due whatever the statistics
 * say. After an ANALYZE taken while a campaign's rows were all pending,
 * SQLite believes `state` picks nothing out and scans the whole table
 * instead — in dueCampaigns once per batch, and in the lifecycle's statements
 * every second — so dispatch slowed down as the table grew. PostgreSQL keeps
 * its planner's choice.
 */
function byDue(pg: boolean): RawBuilder<unknown> {
  return pg ? sql`` : sql`indexed by messages_due`;
}

/** The last instant written: a batch's outcomes mostly share one or a few. */
let lastIso = { ms: Number.NaN, text: "" };

function iso(ms: number): string {
  if (ms !== lastIso.ms) lastIso = { ms, text: new Date(ms).toISOString() };
  return lastIso.text;
}

interface ClaimRow {
  id: number;
  wave_id: number | null;
  person_id: number;
  address: string;
  body: string | null;
  attempts: number;
  p_name?: string | null;
  p_document?: string | null;
  p_cod_cliente?: string | null;
  p_fields_json?: string | null;
}

/** A person's stored columns (fields_json), {} when unreadable. */
function parseFields(json: string): Record<string, string> {
  try {
    return JSON.parse(json) as Record<string, string>;
  } catch {
    return {};
  }
}

/**
 * The person's values that came with a claimed row. fields_json is never
 * null: null means no such person of this tenant. The fields are parsed when
 * first read: most texts name only the name or the code.
 */
function personOf(r: ClaimRow): PersonView | null {
  const json = r.p_fields_json;
  if (json === null || json === undefined) return null;
  return new ClaimedPerson(r.p_name ?? null, r.p_document ?? null, r.p_cod_cliente ?? null, json);
}

/** A row of claim or peek as the dispatcher takes it. */
function claimedMessage(r: ClaimRow, reclaimed: boolean, withPersons: boolean): ClaimedMessage {
  const m: ClaimedMessage = {
    id: Number(r.id),
    waveId: r.wave_id === null ? null : Number(r.wave_id),
    personId: Number(r.person_id),
    address: r.address,
    body: r.body,
    attempts: Number(r.attempts),
    reclaimed,
  };
  if (withPersons) m.person = personOf(r);
  return m;
}

class ClaimedPerson implements PersonView {
  readonly tags: string[] = [];
  private parsed: Record<string, string> | null = null;

  constructor(
    readonly name: string | null,
    readonly document: string | null,
    readonly codCliente: string | null,
    private readonly fieldsJson: string,
  ) {}

  get fields(): Record<string, string> {
    this.parsed ??= parseFields(this.fieldsJson);
    return this.parsed;
  }
}

/**
 * Adds `value` to a memo of what needs no statement again. A long-running
 * `serve` sees campaigns, waves and senders come and go, so the memo is
 * emptied when it reaches `max`: forgetting only costs a statement that
 * changes nothing.
 */
function remember<T>(memo: Set<T>, value: T, max: number): void {
  if (memo.size >= max) memo.clear();
  memo.add(value);
}

export class KyselyDispatchStore implements DispatchStore {
  private readonly buckets = new Set<string>();
  /** Waves this process already saw started: no UPDATE for them per batch. */
  private readonly startedWaves = new Set<number>();
  private readonly startedCampaigns = new Set<number>();

  constructor(
    private readonly store: Store,
    /** Most entries of each memo above. */
    private readonly maxRemembered = 10_000,
    /** Told of the campaigns endCompleted ends (default: notifications; null: none). */
    private readonly onEnded: CampaignsEndedHook | null = notifyCampaignsEnded,
  ) {}

  private get db() {
    return this.store.db;
  }

  private get pg(): boolean {
    return this.store.dialect === "postgres";
  }

  async dueCampaigns(nowIso: string): Promise<number[]> {
    const { rows } = await sql<{ id: number }>`
      select c.id from campaigns c
       where c.state in ${ACTIVE}
         and (exists (select 1 from messages m ${byDue(this.pg)}
                       where m.campaign_id = c.id and m.state = 'pending'
                         and m.next_attempt_at <= ${nowIso})
              or exists (select 1 from messages m ${byDue(this.pg)}
                          where m.campaign_id = c.id and m.state = 'sending'
                            and m.lease_expires_at < ${nowIso}))
       order by c.id`.execute(this.db);
    return rows.map((r) => Number(r.id));
  }

  async nextDueAt(_nowIso: string): Promise<string | null> {
    const { rows } = await sql<{ next: string | null }>`
      select min(t) as next from (
        select (select min(m.next_attempt_at) from messages m ${byDue(this.pg)}
                 where m.campaign_id = c.id and m.state = 'pending') as t
          from campaigns c where c.state in ${ACTIVE}
        union all
        select (select min(m.lease_expires_at) from messages m ${byDue(this.pg)}
                 where m.campaign_id = c.id and m.state = 'sending') as t
          from campaigns c where c.state in ${ACTIVE}
        union all
        select c.deadline_at as t from campaigns c
         where c.state in ('scheduled', 'running', 'paused') and c.deadline_at is not null
      ) x`.execute(this.db);
    return rows[0]?.next ?? null;
  }

  async loadCampaign(id: number): Promise<CampaignPlan | null> {
    const c = await this.db
      .selectFrom("campaigns as c")
      .innerJoin("tenants as t", "t.id", "c.tenant_id")
      .leftJoin("wallets as w", "w.id", "c.wallet_id")
      .leftJoin("templates as tp", "tp.id", "c.template_id")
      .select([
        "c.id",
        "c.tenant_id",
        "c.channel",
        "c.wallet_id",
        "c.deadline_at",
        "c.exclude_recent_hours",
        "c.subject",
        "c.sender_id",
        "c.email_account_id",
        "t.time_zone",
        "w.send_window_json",
        "tp.name as template_name",
        "tp.language as template_language",
        "tp.params_json as template_params",
        "tp.body as template_body",
      ])
      .where("c.id", "=", id)
      .executeTakeFirst();
    if (!c) return null;
    const channel = c.channel as ChannelKind;
    let sender: SenderRef | null = null;
    let rate: number | null = null;
    let tier: number | null = null;
    if (channel === "email") {
      if (c.email_account_id !== null) {
        const a = await this.db
          .selectFrom("email_accounts")
          .select(["id", "address", "display_name", "provider", "rate_per_second"])
          .where("id", "=", c.email_account_id)
          .executeTakeFirst();
        if (a) {
          sender = {
            key: `email:${a.id}`,
            kind: "email",
            mode: null,
            address: a.address,
            name: a.display_name,
            provider: a.provider,
          };
          rate = a.rate_per_second;
        }
      }
    } else if (c.sender_id !== null) {
      const s = await this.db
        .selectFrom("senders")
        .select([
          "id",
          "kind",
          "mode",
          "name",
          "number",
          "provider",
          "rate_per_second",
          "messaging_tier",
        ])
        .where("id", "=", c.sender_id)
        .executeTakeFirst();
      if (s) {
        sender = {
          key: `sender:${s.id}`,
          kind: channel,
          mode: s.mode,
          address: s.number,
          name: s.name,
          provider: s.provider,
        };
        rate = s.rate_per_second;
        tier = channel === "whatsapp" ? s.messaging_tier : null;
      }
    }
    let params: string[] = [];
    try {
      const parsed = JSON.parse(c.template_params ?? "[]");
      if (Array.isArray(parsed)) params = parsed.map(String);
    } catch {
      params = [];
    }
    return {
      id: Number(c.id),
      tenantId: Number(c.tenant_id),
      channel,
      walletId: c.wallet_id === null ? null : Number(c.wallet_id),
      deadlineMs: c.deadline_at ? Date.parse(c.deadline_at) : null,
      excludeRecentHours: c.exclude_recent_hours,
      subject: c.subject,
      sender,
      ratePerSecond: rate && rate > 0 ? rate : DEFAULT_RATE_PER_SECOND[channel],
      messagingTier: tier,
      template:
        c.template_name !== null
          ? {
              name: c.template_name,
              language: c.template_language ?? "pt_BR",
              params,
              body: c.template_body,
            }
          : null,
      window: parseSendWindow(c.send_window_json),
      timeZone: c.time_zone,
    };
  }

  async claim(
    campaignId: number,
    owner: string,
    nowIso: string,
    leaseUntilIso: string,
    limit: number,
    withPersons = false,
    onlyExpired = false,
  ): Promise<ClaimedMessage[]> {
    const lock = this.pg ? sql`for update skip locked` : sql``;
    // PostgreSQL: `id = any(array(subquery))` runs the locking subquery once and
    // updates its rows by primary key; as `id in (subquery)` the planner may
    // hash-join it against a full scan of messages on every batch.
    const columns = sql`id, wave_id, person_id, address, body, attempts`;
    const update = (which: RawBuilder<unknown>, n: number, returning: RawBuilder<unknown>) => sql`
          update messages
             set state = 'sending', lease_owner = ${owner}, lease_expires_at = ${leaseUntilIso},
                 sending_at = ${nowIso}, updated_at = ${nowIso}, attempts = attempts + 1
           where ${this.pg ? sql`id = any(array(` : sql`id in (`}
                   select id from messages ${byDue(this.pg)}
                    where campaign_id = ${campaignId} and ${which}
                      and exists (select 1 from campaigns c
                                   where c.id = ${campaignId} and c.state in ${ACTIVE})
                    order by next_attempt_at
                    limit ${n}
                    ${lock})${this.pg ? sql`)` : sql``}
          returning ${returning}`;
    // The person's current values come in the same statement instead of a
    // second round trip per batch. PostgreSQL looks them up for the updated rows;
    // SQLite has no UPDATE inside WITH, and its RETURNING may not name a
    // joined table, so each is an indexed lookup by the row's person_id there.
    const person = (column: string) =>
      sql`(select p.${sql.raw(column)} from persons p
            where p.id = messages.person_id and p.tenant_id = messages.tenant_id)`;
    const statement = (which: RawBuilder<unknown>, n: number) =>
      !withPersons
        ? update(which, n, columns)
        : this.pg
          ? sql`with c as (${update(which, n, sql`${columns}, tenant_id`)})
                select c.id, c.wave_id, c.person_id, c.address, c.body, c.attempts,
                       p.name as p_name, p.document as p_document,
                       p.cod_cliente as p_cod_cliente, p.fields_json as p_fields_json
                  from c
                  -- LIMIT keeps it a lookup by primary key per row: as a plain
                  -- join the planner hashes the whole persons table per batch.
                  left join lateral (select name, document, cod_cliente, fields_json from persons p
                                      where p.id = c.person_id and p.tenant_id = c.tenant_id
                                      limit 1) p on true`
          : update(
              which,
              n,
              sql`${columns}, ${person("name")} as p_name, ${person("document")} as p_document,
                  ${person("cod_cliente")} as p_cod_cliente,
                  ${person("fields_json")} as p_fields_json`,
            );
    const take = (which: RawBuilder<unknown>, n: number) =>
      busyRetry(() => sql<ClaimRow>`${statement(which, n)}`.execute(this.db));
    const stale = await take(sql`state = 'sending' and lease_expires_at < ${nowIso}`, limit);
    const fresh =
      stale.rows.length < limit && !onlyExpired
        ? await take(
            sql`state = 'pending' and next_attempt_at <= ${nowIso}`,
            limit - stale.rows.length,
          )
        : { rows: [] as ClaimRow[] };
    return [
      ...stale.rows.map((r) => claimedMessage(r, true, withPersons)),
      ...fresh.rows.map((r) => claimedMessage(r, false, withPersons)).sort((a, b) => a.id - b.id),
    ];
  }

  async peek(
    campaignId: number,
    nowIso: string,
    limit: number,
    withPersons = false,
  ): Promise<ClaimedMessage[]> {
    // A plain read: a SELECT may join persons (claim's RETURNING may not).
    const person = withPersons
      ? sql`, p.name as p_name, p.document as p_document, p.cod_cliente as p_cod_cliente,
            p.fields_json as p_fields_json`
      : sql``;
    const join = withPersons
      ? sql`left join persons p on p.id = m.person_id and p.tenant_id = m.tenant_id`
      : sql``;
    const { rows } = await busyRetry(() =>
      sql<ClaimRow>`
        select m.id, m.wave_id, m.person_id, m.address, m.body, m.attempts + 1 as attempts ${person}
          from messages m ${byDue(this.pg)} ${join}
         where m.campaign_id = ${campaignId} and m.state = 'pending'
           and m.next_attempt_at <= ${nowIso}
           and exists (select 1 from campaigns c where c.id = ${campaignId} and c.state in ${ACTIVE})
         order by m.next_attempt_at
         limit ${limit}`.execute(this.db),
    );
    return rows.map((r) => claimedMessage(r, false, withPersons)).sort((a, b) => a.id - b.id);
  }

  async deferPending(
    campaignId: number,
    nowIso: string,
    untilIso: string,
  ): Promise<{ deferred: number; stale: number }> {
    const deferred = await busyRetry(() =>
      this.db
        .updateTable("messages")
        .set({ next_attempt_at: untilIso, updated_at: nowIso })
        .where("campaign_id", "=", campaignId)
        .where("state", "=", "pending")
        .where("next_attempt_at", "<=", nowIso)
        .executeTakeFirst(),
    );
    const stale = await busyRetry(() =>
      this.db
        .updateTable("messages")
        .set({
          state: "pending",
          next_attempt_at: untilIso,
          lease_owner: null,
          lease_expires_at: null,
          updated_at: nowIso,
        })
        .where("campaign_id", "=", campaignId)
        .where("state", "=", "sending")
        .where("lease_expires_at", "<", nowIso)
        .executeTakeFirst(),
    );
    return { deferred: Number(deferred.numUpdatedRows), stale: Number(stale.numUpdatedRows) };
  }

  async persons(
    tenantId: number,
    ids: readonly number[],
    withTags: boolean,
  ): Promise<Map<number, PersonView>> {
    const out = new Map<number, PersonView>();
    if (ids.length === 0) return out;
    const d = this.store.dialect;
    // By id only: with the tenant in the WHERE, SQLite walks the tenant's
    // whole key index instead of looking the ids up. The tenant is checked here.
    const { rows } = await sql<{
      id: number;
      tenant_id: number;
      name: string | null;
      document: string | null;
      cod_cliente: string | null;
      fields_json: string;
    }>`select id, tenant_id, name, document, cod_cliente, fields_json from persons
        where ${inValues(d, sql`id`, ids, "bigint")}`.execute(this.db);
    for (const r of rows) {
      if (Number(r.tenant_id) !== tenantId) continue;
      out.set(Number(r.id), {
        name: r.name,
        document: r.document,
        codCliente: r.cod_cliente,
        fields: parseFields(r.fields_json),
        tags: [],
      });
    }
    if (!withTags) return out;
    const { rows: tags } = await sql<{ person_id: number; tag: string }>`
      select person_id, tag from person_tags
       where tenant_id = ${tenantId} and ${inValues(d, sql`person_id`, ids, "bigint")}
       order by person_id, created_at, tag`.execute(this.db);
    for (const t of tags) out.get(Number(t.person_id))?.tags.push(t.tag);
    return out;
  }

  async recentInbound(
    tenantId: number,
    sinceIso: string,
    addresses: readonly string[],
    personIds: readonly number[],
  ): Promise<{ addresses: Set<string>; persons: Set<number> }> {
    const found = { addresses: new Set<string>(), persons: new Set<number>() };
    if (addresses.length > 0) {
      const { rows } = await sql<{ address: string }>`
        select distinct address from inbound_interactions
         where tenant_id = ${tenantId} and received_at >= ${sinceIso}
           and ${inValues(this.store.dialect, sql`address`, addresses, "text")}`.execute(this.db);
      for (const r of rows) found.addresses.add(r.address);
    }
    if (personIds.length > 0) {
      const { rows } = await sql<{ person_id: number | null }>`
        select distinct person_id from inbound_interactions
         where tenant_id = ${tenantId} and received_at >= ${sinceIso}
           and ${inValues(this.store.dialect, sql`person_id`, personIds, "bigint")}`.execute(
        this.db,
      );
      for (const r of rows) if (r.person_id !== null) found.persons.add(Number(r.person_id));
    }
    return found;
  }

  async restricted(
    tenantId: number,
    walletId: number | null,
    channel: ChannelKind,
    kind: "phone" | "email",
    values: readonly string[],
    personIds: readonly number[],
  ): Promise<{ values: Set<string>; persons: Set<number> }> {
    const found = { values: new Set<string>(), persons: new Set<number>() };
    if (values.length === 0 && personIds.length === 0) return found;
    const d = this.store.dialect;
    // Scope as planning reads it (src/store/restrictions.ts): the wallet's or the tenant's
    // entries, of this channel or of all.
    const scope =
      walletId === null
        ? sql`wallet_id is null`
        : sql`(wallet_id is null or wallet_id = ${walletId})`;
    // One statement: the restricted destinations ('v'), the persons restricted
    // by their CPF/CNPJ ('p'), and whether the tenant has erased contacts of
    // this kind at all ('e'; nearly always not, and then nothing is hashed).
    const parts: RawBuilder<unknown>[] = [];
    if (values.length > 0) {
      parts.push(sql`
        select 'v' as k, value as v from restrictions
         where tenant_id = ${tenantId} and channel_kind = ${kind}
           and ${inValues(d, sql`value`, values, "text")}
           and ${scope} and channel in ('all', ${channel})`);
      parts.push(sql`
        select 'e' as k, '' as v
         where exists (select 1 from erased_contacts
                        where tenant_id = ${tenantId} and kind = ${kind})`);
    }
    if (personIds.length > 0) {
      parts.push(sql`
        select 'p' as k, cast(p.id as text) as v from persons p
         where p.tenant_id = ${tenantId} and p.document is not null
           and ${inValues(d, sql`p.id`, personIds, "bigint")}
           and exists (select 1 from restrictions
                        where tenant_id = ${tenantId} and channel_kind = 'document'
                          and value = p.document and ${scope}
                          and channel in ('all', ${channel}))`);
    }
    const { rows } = await sql<{
      k: string;
      v: string;
    }>`${sql.join(parts, sql` union all `)}`.execute(this.db);
    let erased = false;
    for (const r of rows) {
      if (r.k === "v") found.values.add(r.v);
      else if (r.k === "p") found.persons.add(Number(r.v));
      else erased = true;
    }
    if (erased) {
      // An erased person's contacts are kept only as keyed hashes (src/privacy/erased.ts);
      // a later file without _h may bring one back: it is restricted all the same.
      for (const value of await erasedAmong(this.db, tenantId, kind, values)) {
        found.values.add(value);
      }
    }
    return found;
  }

  async reserveRecipients(
    tenantId: number,
    senderKey: string,
    tier: number,
    addresses: readonly string[],
    nowIso: string,
  ): Promise<{ allowed: Set<string>; retryAt: string | null }> {
    const senderId = Number(/^sender:(\d+)$/.exec(senderKey)?.[1]);
    if (!Number.isSafeInteger(senderId) || addresses.length === 0) {
      return { allowed: new Set(addresses), retryAt: null };
    }
    const since = iso(Date.parse(nowIso) - 24 * 3_600_000);
    return busyRetry(() =>
      this.db.transaction().execute(async (trx) => {
        // First a write: on SQLite it takes the write lock, on PostgreSQL the
        // sender's row is locked, so workers count and reserve one at a time.
        await trx
          .deleteFrom("sender_recipients")
          .where("sender_id", "=", senderId)
          .where("last_at", "<", since)
          .execute();
        if (this.pg) {
          await sql`select id from senders where id = ${senderId} for update`.execute(trx);
        }
        const { rows: known } = await sql<{ address: string }>`
          select address from sender_recipients
           where sender_id = ${senderId} and last_at >= ${since}
             and ${inValues(this.store.dialect, sql`address`, addresses, "text")}`.execute(trx);
        const free = new Set(known.map((r) => r.address));
        const used = await trx
          .selectFrom("sender_recipients")
          .select((eb) => [eb.fn.countAll<number>().as("n"), eb.fn.min("last_at").as("oldest")])
          .where("sender_id", "=", senderId)
          .where("last_at", ">=", since)
          .executeTakeFirst();
        let room = Math.max(0, tier - Number(used?.n ?? 0));
        const allowed = new Set<string>();
        let left = false;
        for (const a of addresses) {
          if (free.has(a)) allowed.add(a);
          else if (room > 0) {
            allowed.add(a);
            room--;
          } else left = true;
        }
        const rows = [...allowed].map((address) => ({
          sender_id: senderId,
          tenant_id: tenantId,
          address,
          last_at: nowIso,
        }));
        for (let i = 0; i < rows.length; i += 500) {
          await trx
            .insertInto("sender_recipients")
            .values(rows.slice(i, i + 500))
            .onConflict((oc) =>
              oc.columns(["sender_id", "address"]).doUpdateSet((eb) => ({
                last_at: eb.ref("excluded.last_at"),
              })),
            )
            .execute();
        }
        const oldest = used?.oldest ? String(used.oldest) : nowIso;
        return {
          allowed,
          retryAt: left ? iso(Date.parse(oldest) + 24 * 3_600_000) : null,
        };
      }),
    );
  }

  async record(owner: string | null, outcomes: readonly MessageOutcome[]): Promise<number> {
    const by = <S extends MessageOutcome["state"]>(state: S) =>
      outcomes.filter((o): o is Extract<MessageOutcome, { state: S }> => o.state === state);
    let applied = 0;
    // Leased: only while the lease is still this owner's. Unleased (read by
    // peek): only while still pending, and the attempt is counted here, as
    // claim counts it for a leased message.
    const whose =
      owner === null
        ? sql`messages.state || '' = 'pending'`
        : sql`messages.state || '' = 'sending' and messages.lease_owner || '' = ${owner}`;
    const held =
      owner === null ? sql`, attempts = messages.attempts + 1, sending_at = v.at` : sql``;
    // One UPDATE … FROM per outcome kind, its rows passed as one parameter per column.
    const run = async (
      columns: { name: string; pgType: PgType }[],
      rows: unknown[][],
      set: RawBuilder<unknown>,
    ): Promise<void> => {
      if (rows.length === 0) return;
      const result = await busyRetry(() =>
        executeWithRows(
          this.db,
          this.store.dialect,
          [{ name: "id", pgType: "bigint" }, ...columns],
          rows,
          (table) => sql`
          update messages
             set ${set}, lease_owner = null, lease_expires_at = null${held}
            from ${table}
           where messages.id = v.id
             -- Not indexable on purpose: found by id. The planner, thinking few
             -- rows are 'sending', would scan messages_due (and its dead
             -- entries, which pile up during a campaign) instead.
             and ${whose}`,
        ),
      );
      applied += Number(result.numAffectedRows ?? 0);
    };
    const at = { name: "at", pgType: "text" } as const;
    await run(
      [{ name: "provider_id", pgType: "text" }, { name: "segments", pgType: "integer" }, at],
      by("sent").map((o) => [o.id, o.providerId, o.segments, iso(o.at)]),
      sql`state = 'sent', provider_id = v.provider_id, segments = v.segments, sent_at = v.at, updated_at = v.at, error = null`,
    );
    await run(
      [{ name: "next_at", pgType: "text" }, { name: "error", pgType: "text" }, at],
      by("pending").map((o) => [o.id, iso(o.nextAttemptAt), o.error, iso(o.at)]),
      sql`state = 'pending', next_attempt_at = v.next_at, error = coalesce(v.error, messages.error), updated_at = v.at`,
    );
    await run(
      [{ name: "error", pgType: "text" }, at],
      by("failed").map((o) => [o.id, o.error, iso(o.at)]),
      sql`state = 'failed', error = v.error, failed_at = v.at, updated_at = v.at`,
    );
    await run(
      [{ name: "reason", pgType: "text" }, at],
      by("skipped").map((o) => [o.id, o.reason, iso(o.at)]),
      sql`state = 'skipped', skip_reason = v.reason, skipped_at = v.at, updated_at = v.at`,
    );
    await run(
      [at],
      by("expired").map((o) => [o.id, iso(o.at)]),
      sql`state = 'expired', expired_at = v.at, updated_at = v.at`,
    );
    return applied;
  }

  // --- rate buckets (rate-limit.ts) ---

  private async ensureBucket(tenantId: number, key: string): Promise<void> {
    if (this.buckets.has(key)) return;
    await busyRetry(() =>
      this.db
        .insertInto("rate_buckets")
        .values({ tenant_id: tenantId, key, tat_ms: 0 })
        .onConflict((oc) => oc.column("key").doNothing())
        .execute(),
    );
    remember(this.buckets, key, this.maxRemembered);
  }

  async reserve(tenantId: number, key: string, spanMs: number, nowMs: number): Promise<number> {
    await this.ensureBucket(tenantId, key);
    const greatest = this.pg ? sql`greatest` : sql`max`;
    const { rows } = await busyRetry(() =>
      sql<{ tat_ms: number }>`
        update rate_buckets set tat_ms = ${greatest}(tat_ms, ${Math.floor(nowMs)}) + ${Math.ceil(spanMs)}
         where key = ${key}
        returning tat_ms`.execute(this.db),
    );
    return Number(rows[0]?.tat_ms ?? nowMs + spanMs);
  }

  async pushBack(tenantId: number, key: string, untilMs: number): Promise<void> {
    await this.ensureBucket(tenantId, key);
    const greatest = this.pg ? sql`greatest` : sql`max`;
    await busyRetry(() =>
      sql`update rate_buckets set tat_ms = ${greatest}(tat_ms, ${Math.ceil(untilMs)})
           where key = ${key}`.execute(this.db),
    );
  }

  async shift(tenantId: number, key: string, fromMs: number, toMs: number): Promise<boolean> {
    await this.ensureBucket(tenantId, key);
    const result = await busyRetry(() =>
      sql`update rate_buckets set tat_ms = ${Math.ceil(toMs)}
           where key = ${key} and tat_ms = ${Math.floor(fromMs)}`.execute(this.db),
    );
    return Number(result.numAffectedRows ?? 0) === 1;
  }

  // --- lifecycle (lifecycle.ts) ---

  async markStarted(campaignId: number, waveIds: readonly number[], nowIso: string): Promise<void> {
    const fresh = waveIds.filter((w) => !this.startedWaves.has(w));
    if (fresh.length > 0) {
      await busyRetry(() =>
        this.db
          .updateTable("waves")
          .set({ state: "running", started_at: nowIso })
          .where("id", "in", fresh)
          .where("started_at", "is", null)
          .where("state", "=", "scheduled")
          .execute(),
      );
      for (const w of fresh) remember(this.startedWaves, w, this.maxRemembered);
    }
    if (!this.startedCampaigns.has(campaignId)) {
      await busyRetry(() =>
        this.db
          .updateTable("campaigns")
          .set({ state: "running", updated_at: nowIso })
          .where("id", "=", campaignId)
          .where("state", "=", "scheduled")
          .execute(),
      );
      remember(this.startedCampaigns, campaignId, this.maxRemembered);
    }
  }

  async expireAtDeadline(nowIso: string): Promise<number> {
    const result = await busyRetry(() =>
      sql`
        update messages ${byDue(this.pg)}
           set state = 'expired', expired_at = ${nowIso}, updated_at = ${nowIso},
               lease_owner = null, lease_expires_at = null
         where campaign_id in (select id from campaigns
                                where state in ('scheduled', 'running', 'paused')
                                  and deadline_at is not null and deadline_at <= ${nowIso})
           and (state = 'pending' or (state = 'sending' and lease_expires_at < ${nowIso}))`.execute(
        this.db,
      ),
    );
    return Number(result.numAffectedRows ?? 0);
  }

  async endCompleted(nowIso: string): Promise<{ finished: number; expired: number }> {
    // The campaigns end, their waves close and the hook hears of it in one
    // transaction: an ended campaign is never left without its notification.
    const hook = this.onEnded;
    const rows = await busyRetry(() =>
      this.db.transaction().execute(async (trx) => {
        const { rows } = await sql<{ id: number; tenant_id: number; state: string }>`
          update campaigns
             set state = case when exists (select 1 from messages m ${byDue(this.pg)}
                                            where m.campaign_id = campaigns.id and m.state = 'expired')
                              then 'expired' else 'finished' end,
                 ended_at = ${nowIso}, updated_at = ${nowIso}
           where (state in ${ACTIVE}
                  or (state = 'paused' and deadline_at is not null and deadline_at <= ${nowIso}))
             and start_at <= ${nowIso}
             and not exists (select 1 from messages m ${byDue(this.pg)}
                              where m.campaign_id = campaigns.id and m.state in ('pending', 'sending'))
          returning id, tenant_id, state`.execute(trx);
        if (rows.length > 0) {
          await trx
            .updateTable("waves")
            .set({ state: "done" })
            .where(
              "campaign_id",
              "in",
              rows.map((r) => Number(r.id)),
            )
            .where("state", "in", ["scheduled", "running"])
            .execute();
          await hook?.(
            trx,
            rows.map((r) => ({
              id: Number(r.id),
              tenantId: Number(r.tenant_id),
              state: r.state === "expired" ? "expired" : "finished",
              endedAt: nowIso,
            })),
          );
        }
        return rows;
      }),
    );
    return {
      finished: rows.filter((r) => r.state === "finished").length,
      expired: rows.filter((r) => r.state === "expired").length,
    };
  }

  async closeWaves(_nowIso: string): Promise<number> {
    const result = await busyRetry(() =>
      sql`
        update waves set state = 'done'
         where state = 'running'
           and not exists (select 1 from messages m ${byDue(this.pg)}
                            where m.campaign_id = waves.campaign_id and m.wave_id = waves.id
                              and m.state in ('pending', 'sending'))`.execute(this.db),
    );
    return Number(result.numAffectedRows ?? 0);
  }
}
