/**
 * LGPD settings and records (issue 15): each wallet's legal basis, the
 * tenant's switch that requires one, the audit retention, and under which
 * bases a person is held.
 */
import type { Kysely } from "kysely";
import { describeLegalBasis, isLegalBasisCode, LEGAL_BASIS_CODES } from "../privacy/legal-basis.js";
import { type Database, nowIso, type Wallet } from "./schema.js";
import { ValidationError } from "./tenants.js";

/** Default audit retention: 5 years. */
export const DEFAULT_AUDIT_RETENTION_DAYS = 1825;

export interface PrivacySettings {
  /** A file for a wallet without a legal basis is discarded (BASE_LEGAL_AUSENTE). */
  requireLegalBasis: boolean;
  auditRetentionDays: number;
}

export async function getPrivacySettings(
  db: Kysely<Database>,
  tenantId: number,
): Promise<PrivacySettings | null> {
  const row = await db
    .selectFrom("tenants")
    .select(["require_legal_basis", "audit_retention_days"])
    .where("id", "=", tenantId)
    .executeTakeFirst();
  if (!row) return null;
  return {
    requireLegalBasis: row.require_legal_basis === 1,
    auditRetentionDays: Number(row.audit_retention_days),
  };
}

/** Changes what is given; null when the tenant does not exist. */
export async function setPrivacySettings(
  db: Kysely<Database>,
  tenantId: number,
  change: Partial<PrivacySettings>,
): Promise<PrivacySettings | null> {
  const days = change.auditRetentionDays;
  // A trail kept less than a year would not answer the questions it is kept for.
  if (days !== undefined && (!Number.isInteger(days) || days < 365 || days > 36500)) {
    throw new ValidationError(
      "A retenção da auditoria é em dias, de 365 (1 ano) a 36500 (100 anos); o padrão é 1825 (5 anos).",
    );
  }
  const set: { require_legal_basis?: number; audit_retention_days?: number } = {};
  if (change.requireLegalBasis !== undefined)
    set.require_legal_basis = change.requireLegalBasis ? 1 : 0;
  if (days !== undefined) set.audit_retention_days = days;
  if (Object.keys(set).length > 0) {
    await db.updateTable("tenants").set(set).where("id", "=", tenantId).execute();
  }
  return getPrivacySettings(db, tenantId);
}

/**
 * Sets (or, with null, clears) a wallet's legal basis and note; returns the
 * wallet, or null when there is no wallet with that code.
 */
export async function setWalletLegalBasis(
  db: Kysely<Database>,
  tenantId: number,
  walletCode: string,
  basis: string | null,
  note: string | null = null,
): Promise<Wallet | null> {
  if (basis !== null && !isLegalBasisCode(basis)) {
    throw new ValidationError(
      `Base legal "${basis}" desconhecida. Use uma destas: ${LEGAL_BASIS_CODES.join(", ")}.`,
    );
  }
  const cleanNote = note?.trim() || null;
  if (cleanNote !== null && cleanNote.length > 1000) {
    throw new ValidationError("A observação da base legal pode ter no máximo 1000 caracteres.");
  }
  const row = await db
    .updateTable("wallets")
    .set({
      legal_basis: basis,
      legal_basis_note: basis === null ? null : cleanNote,
      legal_basis_at: basis === null ? null : nowIso(),
    })
    .where("tenant_id", "=", tenantId)
    .where("code", "=", walletCode)
    .returningAll()
    .executeTakeFirst();
  return row ?? null;
}

/**
 * Whether a file for this wallet must be refused (BASE_LEGAL_AUSENTE): the
 * tenant requires a legal basis and the wallet has none.
 */
export async function legalBasisMissing(
  db: Kysely<Database>,
  tenantId: number,
  walletId: number,
): Promise<boolean> {
  const row = await db
    .selectFrom("wallets as w")
    .innerJoin("tenants as t", "t.id", "w.tenant_id")
    .select(["t.require_legal_basis", "w.legal_basis"])
    .where("w.tenant_id", "=", tenantId)
    .where("w.id", "=", walletId)
    .executeTakeFirst();
  return row !== undefined && row.require_legal_basis === 1 && row.legal_basis === null;
}

/** The message of BASE_LEGAL_AUSENTE for a wallet (pt-BR, says how to fix it). */
export function legalBasisMissingMessage(walletCode: string): string {
  return `A carteira "${walletCode}" não tem base legal (LGPD) cadastrada, e a empresa exige uma para importar. Cadastre-a (remessa wallets legal-basis ${walletCode} --basis BASE) e envie o arquivo de novo.`;
}

/** One basis under which a person is held in one wallet. */
export interface PersonLegalBasis {
  wallet: string;
  walletName: string;
  /** The basis code; null for mailings imported with none recorded. */
  basis: string | null;
  /** "Proteção do crédito (art. 7º, X)", or null. */
  label: string | null;
  /** The first mailing under this basis (when it arrived), or the wallet join time without one. */
  since: string;
  /** The latest mailing under this basis. */
  last: string;
  mailings: number;
  /** Still a member of the wallet, and this is the wallet's basis today. */
  current: boolean;
}

/**
 * Under which legal bases, and since when, a person is held: one entry per
 * wallet and basis recorded on the mailings the person came in (each
 * mailing keeps the basis in force when it was imported). For `persons
 * show/export`.
 */
export async function legalBasesOfPerson(
  db: Kysely<Database>,
  tenantId: number,
  personId: number,
): Promise<PersonLegalBasis[]> {
  const rows = await db
    .selectFrom("mailing_persons as mp")
    .innerJoin("mailings as m", "m.id", "mp.mailing_id")
    .innerJoin("wallets as w", "w.id", "m.wallet_id")
    .select((eb) => [
      "w.id as wallet_id",
      "w.code",
      "w.name",
      "w.legal_basis as wallet_basis",
      "m.legal_basis",
      eb.fn.min("m.first_seen_at").as("since"),
      eb.fn.max("m.first_seen_at").as("last"),
      eb.fn.countAll().as("mailings"),
    ])
    .where("mp.tenant_id", "=", tenantId)
    .where("mp.person_id", "=", personId)
    .groupBy(["w.id", "w.code", "w.name", "w.legal_basis", "m.legal_basis"])
    .execute();
  const members = await db
    .selectFrom("wallet_members as wm")
    .innerJoin("wallets as w", "w.id", "wm.wallet_id")
    .select(["w.id", "w.code", "w.name", "w.legal_basis", "wm.joined_at"])
    .where("wm.tenant_id", "=", tenantId)
    .where("wm.person_id", "=", personId)
    .execute();
  const memberOf = new Set(members.map((m) => Number(m.id)));
  const out: PersonLegalBasis[] = rows.map((r) => ({
    wallet: r.code,
    walletName: r.name,
    basis: r.legal_basis,
    label: r.legal_basis === null ? null : describeLegalBasis(r.legal_basis),
    since: String(r.since),
    last: String(r.last),
    mailings: Number(r.mailings),
    current:
      memberOf.has(Number(r.wallet_id)) &&
      r.legal_basis !== null &&
      r.legal_basis === r.wallet_basis,
  }));
  // A membership with no mailing row (added otherwise): held since joining, under the wallet's basis.
  for (const m of members) {
    if (out.some((o) => o.wallet === m.code)) continue;
    out.push({
      wallet: m.code,
      walletName: m.name,
      basis: m.legal_basis,
      label: m.legal_basis === null ? null : describeLegalBasis(m.legal_basis),
      since: m.joined_at,
      last: m.joined_at,
      mailings: 0,
      current: m.legal_basis !== null,
    });
  }
  return out.sort((a, b) => a.since.localeCompare(b.since) || a.wallet.localeCompare(b.wallet));
}
