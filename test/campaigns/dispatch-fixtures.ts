/**
 * Campaign rows written directly, exactly as the planner writes them (design
 * note "Data contract"): a wallet, persons with their contacts and tags, a
 * sender (or e-mail account), a template, a campaign, its waves and one
 * pending message per person with `next_attempt_at` = its wave's start.
 * Dispatch tests and the dispatch benchmark build on it.
 */
import type { Store } from "../../src/store/db.js";

export const T0 = Date.parse("2026-12-07T12:00:00.000Z");
export const iso = (ms: number) => new Date(ms).toISOString();

export interface SeedOptions {
  tenantId?: number;
  walletCode?: string;
  sendWindow?: { days: number[]; from: string; to: string } | null;
  channel?: "sms" | "whatsapp" | "email";
  /** Persons (and messages); the i-th person is "P<i>" with phone 119xxxxxxxx / email pN@ex.com. */
  persons?: number;
  /** Person number offset (several campaigns in one base). */
  personOffset?: number;
  /** MENSAGEM per person (placeholders unresolved); default "Olá [NOME_CLIENTE], código [CODCLIENTE]". */
  body?: (i: number) => string | null;
  /** Wave starts (epoch ms) and sizes; default one wave at `startAt` with everyone. */
  waves?: { startAt: number; size: number }[];
  startAt?: number;
  deadlineAt?: number | null;
  excludeRecentHours?: number | null;
  ratePerSecond?: number | null;
  provider?: string;
  /** An existing sender or e-mail account to reuse. */
  senderId?: number;
  template?: { name: string; params: string[]; body: string | null } | null;
  subject?: string | null;
  state?: string;
  /** Rows per INSERT (benchmarks). */
  chunk?: number;
}

export interface Seeded {
  tenantId: number;
  walletId: number;
  senderId: number;
  campaignId: number;
  waveIds: number[];
  personIds: number[];
  messageIds: number[];
  templateId: number | null;
}

export async function seedWallet(
  store: Store,
  code: string,
  sendWindow: SeedOptions["sendWindow"] = null,
  tenantId = 1,
): Promise<number> {
  const existing = await store.db
    .selectFrom("wallets")
    .select("id")
    .where("tenant_id", "=", tenantId)
    .where("code", "=", code)
    .executeTakeFirst();
  if (existing) return Number(existing.id);
  const row = await store.db
    .insertInto("wallets")
    .values({
      tenant_id: tenantId,
      code,
      name: code,
      send_window_json: sendWindow ? JSON.stringify(sendWindow) : null,
      created_at: iso(T0),
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function seedSender(
  store: Store,
  options: {
    channel: "sms" | "whatsapp" | "email";
    walletId: number | null;
    rate?: number | null;
    provider?: string;
    name?: string;
    tenantId?: number;
  },
): Promise<number> {
  const tenantId = options.tenantId ?? 1;
  const now = iso(T0);
  const name = options.name ?? `s${Math.random().toString(36).slice(2, 8)}`;
  if (options.channel === "email") {
    const row = await store.db
      .insertInto("email_accounts")
      .values({
        tenant_id: tenantId,
        address: `${name}@remessa.test`,
        display_name: "Remessa Teste",
        host: "localhost",
        port: 25,
        wallet_id: options.walletId,
        rate_per_second: options.rate ?? null,
        provider: options.provider ?? "outbox",
        created_at: now,
        updated_at: now,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    return Number(row.id);
  }
  const row = await store.db
    .insertInto("senders")
    .values({
      tenant_id: tenantId,
      kind: options.channel,
      mode: options.channel === "sms" ? "long" : "exclusivo",
      name,
      number:
        options.channel === "sms"
          ? name
          : `5511${String(Math.floor(Math.random() * 1e9)).padStart(9, "0")}`,
      wallet_id: options.walletId,
      rate_per_second: options.rate ?? null,
      provider: options.provider ?? "outbox",
      created_at: now,
      updated_at: now,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

export function phoneOf(i: number): string {
  return `119${String(i).padStart(8, "0")}`;
}

export function emailOf(i: number): string {
  return `p${i}@ex.com`;
}

async function insertChunked<T>(
  rows: T[],
  size: number,
  insert: (part: T[]) => Promise<{ id: number }[]>,
): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < rows.length; i += size) {
    const got = await insert(rows.slice(i, i + size));
    for (const r of got) ids.push(Number(r.id));
  }
  return ids;
}

export async function seedCampaign(store: Store, options: SeedOptions = {}): Promise<Seeded> {
  const tenantId = options.tenantId ?? 1;
  const channel = options.channel ?? "sms";
  const count = options.persons ?? 5;
  const offset = options.personOffset ?? 0;
  const startAt = options.startAt ?? T0;
  const chunk = options.chunk ?? 500;
  const now = iso(T0 - 60_000);
  const walletId = await seedWallet(
    store,
    options.walletCode ?? "BRAD",
    options.sendWindow ?? null,
    tenantId,
  );
  const senderId =
    options.senderId ??
    (await seedSender(store, {
      channel,
      walletId,
      rate: options.ratePerSecond === undefined ? 1_000_000 : options.ratePerSecond,
      provider: options.provider ?? "outbox",
      tenantId,
    }));
  let templateId: number | null = null;
  if (options.template) {
    const row = await store.db
      .insertInto("templates")
      .values({
        tenant_id: tenantId,
        name: options.template.name,
        language: "pt_BR",
        wallet_id: walletId,
        params_json: JSON.stringify(options.template.params),
        body: options.template.body,
        created_at: now,
        updated_at: now,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    templateId = Number(row.id);
  }

  const personIds = await insertChunked(
    Array.from({ length: count }, (_, k) => k + offset),
    chunk,
    (part) =>
      store.db
        .insertInto("persons")
        .values(
          part.map((i) => ({
            tenant_id: tenantId,
            key_kind: "codcliente" as const,
            key: `P${i}`,
            cod_cliente: `P${i}`,
            document: null,
            name: `Pessoa ${i}`,
            fields_json: JSON.stringify({ CORINGA1: `c1-${i}` }),
            created_at: now,
            updated_at: now,
          })),
        )
        .returning("id")
        .execute(),
  );
  const address = (i: number) => (channel === "email" ? emailOf(i) : phoneOf(i));
  for (let k = 0; k < personIds.length; k += chunk) {
    await store.db
      .insertInto("person_channels")
      .values(
        personIds.slice(k, k + chunk).map((id, j) => ({
          tenant_id: tenantId,
          person_id: id,
          kind: channel === "email" ? "email" : "mobile",
          value: address(offset + k + j),
          created_at: now,
        })),
      )
      .execute();
  }

  const waves = options.waves ?? [{ startAt, size: count }];
  const campaign = await store.db
    .insertInto("campaigns")
    .values({
      tenant_id: tenantId,
      mailing_id: null,
      wallet_id: walletId,
      channel,
      mode: channel === "sms" ? "long" : channel === "whatsapp" ? "exclusivo" : null,
      sender_id: channel === "email" ? null : senderId,
      email_account_id: channel === "email" ? senderId : null,
      template_id: templateId,
      subject: channel === "email" ? (options.subject ?? "Assunto de teste") : null,
      name: "campanha de teste",
      start_at: iso(waves[0]?.startAt ?? startAt),
      deadline_at:
        options.deadlineAt === undefined || options.deadlineAt === null
          ? null
          : iso(options.deadlineAt),
      split_percent: waves.length > 1 ? 50 : null,
      split_every_minutes: waves.length > 1 ? 1 : null,
      exclude_recent_hours: options.excludeRecentHours ?? null,
      state: options.state ?? "scheduled",
      audience: count,
      excluded_json: "{}",
      created_at: now,
      updated_at: now,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  const campaignId = Number(campaign.id);
  const waveIds: number[] = [];
  for (const [n, w] of waves.entries()) {
    const row = await store.db
      .insertInto("waves")
      .values({
        tenant_id: tenantId,
        campaign_id: campaignId,
        number: n,
        start_at: iso(w.startAt),
        size: w.size,
        state: "scheduled",
        started_at: null,
        created_at: now,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    waveIds.push(Number(row.id));
  }
  const waveOf: number[] = [];
  waves.forEach((w, n) => {
    for (let k = 0; k < w.size; k++) waveOf.push(n);
  });
  const body = options.body ?? (() => "Olá [NOME_CLIENTE], código [CODCLIENTE]");
  const messageIds = await insertChunked(
    personIds.map((id, k) => ({ id, k })),
    chunk,
    (part) =>
      store.db
        .insertInto("messages")
        .values(
          part.map(({ id, k }) => {
            const n = waveOf[k] ?? waves.length - 1;
            return {
              tenant_id: tenantId,
              campaign_id: campaignId,
              wave_id: waveIds[n] ?? null,
              person_id: id,
              channel_kind: channel === "email" ? "email" : "mobile",
              address: address(offset + k),
              body: body(offset + k),
              state: "pending" as const,
              next_attempt_at: iso(waves[n]?.startAt ?? startAt),
              created_at: now,
              updated_at: now,
            };
          }),
        )
        .returning("id")
        .execute(),
  );
  return { tenantId, walletId, senderId, campaignId, waveIds, personIds, messageIds, templateId };
}

/** Messages of a campaign by id, with the columns tests look at. */
export async function messagesOf(store: Store, campaignId: number) {
  return store.db
    .selectFrom("messages")
    .selectAll()
    .where("campaign_id", "=", campaignId)
    .orderBy("id")
    .execute();
}

export async function outboxRows(store: Store) {
  return store.db.selectFrom("outbox").selectAll().orderBy("id").execute();
}
