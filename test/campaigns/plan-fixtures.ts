/** Registrations for campaign tests, written straight into the tables. */
import type { Kysely } from "kysely";
import type { Database } from "../../src/store/schema.js";

const NOW = "2026-11-26T12:00:00.000Z";

export async function addSender(
  db: Kysely<Database>,
  input: {
    kind: "sms" | "whatsapp";
    mode: string;
    number: string;
    walletId?: number | null;
    rate?: number | null;
    enabled?: number;
    tenantId?: number;
  },
): Promise<number> {
  const row = await db
    .insertInto("senders")
    .values({
      tenant_id: input.tenantId ?? 1,
      kind: input.kind,
      mode: input.mode,
      name: `${input.kind} ${input.mode} ${input.number}`,
      number: input.number,
      phone_number_id: null,
      token_enc: null,
      wallet_id: input.walletId ?? null,
      settings_json: null,
      rate_per_second: input.rate ?? null,
      enabled: input.enabled ?? 1,
      created_at: NOW,
      updated_at: NOW,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function addTemplate(
  db: Kysely<Database>,
  input: {
    name: string;
    walletId?: number | null;
    isDefault?: boolean;
    body?: string | null;
    tenantId?: number;
  },
): Promise<number> {
  const row = await db
    .insertInto("templates")
    .values({
      tenant_id: input.tenantId ?? 1,
      name: input.name,
      wallet_id: input.walletId ?? null,
      is_default: input.isDefault ? 1 : 0,
      params_json: '["NOME_CLIENTE"]',
      body: input.body ?? "Olá {{1}}",
      created_at: NOW,
      updated_at: NOW,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function addEmailAccount(
  db: Kysely<Database>,
  input: {
    address: string;
    walletId?: number | null;
    active?: boolean;
    platformDefault?: boolean;
    rate?: number | null;
    tenantId?: number;
  },
): Promise<number> {
  const row = await db
    .insertInto("email_accounts")
    .values({
      tenant_id: input.tenantId ?? 1,
      address: input.address,
      display_name: null,
      host: "smtp.example.com",
      port: 587,
      username: null,
      password_enc: null,
      wallet_id: input.walletId ?? null,
      active: input.active ? 1 : 0,
      is_platform_default: input.platformDefault ? 1 : 0,
      rate_per_second: input.rate ?? null,
      created_at: NOW,
      updated_at: NOW,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return Number(row.id);
}
