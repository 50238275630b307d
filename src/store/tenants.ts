/** Tenants (companies). The embedded default has tenant 1, created by the first migration. */
import type { Kysely } from "kysely";
import { DateTime } from "luxon";
import { type Database, nowIso, type Tenant } from "./schema.js";

export const DEFAULT_TENANT_ID = 1;

export interface TenantInput {
  name: string;
  timeZone?: string;
  rejectRatio?: number;
  locale?: "pt-BR" | "en";
}

/** A rule the input broke; the message is pt-BR and says what to change. */
export class ValidationError extends Error {}

function checkTenantInput(input: Partial<TenantInput>): void {
  if (input.name !== undefined && !input.name.trim()) {
    throw new ValidationError("Informe um nome para a empresa.");
  }
  if (input.timeZone !== undefined && !DateTime.local().setZone(input.timeZone).isValid) {
    throw new ValidationError(
      `Fuso horário "${input.timeZone}" desconhecido. Use um nome IANA, como America/Sao_Paulo.`,
    );
  }
  if (
    input.rejectRatio !== undefined &&
    !(Number.isFinite(input.rejectRatio) && input.rejectRatio >= 0 && input.rejectRatio <= 1)
  ) {
    throw new ValidationError(
      "O limite de rejeição deve ser uma fração entre 0 e 1 (por exemplo 0.5 para 50 %).",
    );
  }
}

export async function getTenant(db: Kysely<Database>, tenantId: number): Promise<Tenant | null> {
  return (
    (await db.selectFrom("tenants").selectAll().where("id", "=", tenantId).executeTakeFirst()) ??
    null
  );
}

export async function listTenants(db: Kysely<Database>): Promise<Tenant[]> {
  return db.selectFrom("tenants").selectAll().orderBy("id").execute();
}

export async function createTenant(db: Kysely<Database>, input: TenantInput): Promise<Tenant> {
  checkTenantInput(input);
  return db
    .insertInto("tenants")
    .values({
      name: input.name.trim(),
      time_zone: input.timeZone ?? "America/Sao_Paulo",
      reject_ratio: input.rejectRatio ?? 0.5,
      locale: input.locale ?? "pt-BR",
      created_at: nowIso(),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function updateTenant(
  db: Kysely<Database>,
  tenantId: number,
  patch: Partial<TenantInput>,
): Promise<Tenant | null> {
  checkTenantInput(patch);
  const values: Record<string, unknown> = {};
  if (patch.name !== undefined) values.name = patch.name.trim();
  if (patch.timeZone !== undefined) values.time_zone = patch.timeZone;
  if (patch.rejectRatio !== undefined) values.reject_ratio = patch.rejectRatio;
  if (patch.locale !== undefined) values.locale = patch.locale;
  if (Object.keys(values).length === 0) return getTenant(db, tenantId);
  return (
    (await db
      .updateTable("tenants")
      .set(values)
      .where("id", "=", tenantId)
      .returningAll()
      .executeTakeFirst()) ?? null
  );
}
