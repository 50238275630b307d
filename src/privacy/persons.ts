/**
 * A person's rights (LGPD art. 18): find the records of one data subject and
 * export everything held about them. Every lookup goes through an index
 * (see migration 0016_privacy_rights), so an export takes the same time on a
 * base of ten thousand people or ten million.
 */

import type { Kysely } from "kysely";
import { normalizeInboundAddress } from "../campaigns/interactions.js";
import { normalizeDocument } from "../mailing/document.js";
import { legalBasesOfPerson, type PersonLegalBasis } from "../store/privacy.js";
import { restrictionsOfPerson } from "../store/restrictions.js";
import type { Database } from "../store/schema.js";
import { ValidationError } from "../store/tenants.js";
import { type AuditActor, appendAudit } from "./audit.js";

export type PersonSelector =
  | { kind: "cpf"; value: string }
  | { kind: "code"; value: string }
  | { kind: "phone"; value: string }
  | { kind: "email"; value: string }
  | { kind: "id"; value: string };

/** The selector's value as the base stores it (digits, normalised e-mail, …). */
export function normalizeSelector(selector: PersonSelector): PersonSelector {
  const value = selector.value.trim();
  if (value === "") throw new ValidationError("Informe um valor para procurar a pessoa.");
  switch (selector.kind) {
    case "cpf": {
      const doc = normalizeDocument(value, false);
      if (!doc.ok) throw new ValidationError(`CPF/CNPJ "${value}" inválido: ${doc.message}`);
      return { kind: "cpf", value: doc.value };
    }
    case "phone":
      return { kind: "phone", value: normalizeInboundAddress("sms", value) };
    case "email":
      return { kind: "email", value: normalizeInboundAddress("email", value) };
    case "id":
      if (!/^\d+$/.test(value)) throw new ValidationError(`--id "${value}" não é um número.`);
      return { kind: "id", value };
    default:
      return { kind: selector.kind, value };
  }
}

/**
 * Most records one lookup may name. A data subject has a few records (one per
 * code, a family sharing a phone); a value in more is not one person's (a
 * company switchboard, a placeholder e-mail), and showing, exporting or erasing
 * them all at once would load or remove a crowd by mistake.
 */
export const MAX_SUBJECT_RECORDS = 50;

/** The selector names more records than MAX_SUBJECT_RECORDS (the API answers 409). */
export class TooManyRecordsError extends ValidationError {
  constructor(readonly selector: PersonSelector) {
    super(
      `Esse dado está em mais de ${MAX_SUBJECT_RECORDS} cadastros: não parece ser de uma só pessoa. Procure pelo id, pelo código do cliente ou pelo CPF/CNPJ.`,
    );
  }
}

/**
 * Ids of the tenant's persons the (normalised) selector names, oldest first;
 * TooManyRecordsError past MAX_SUBJECT_RECORDS.
 */
export async function findPersonIds(
  db: Kysely<Database>,
  tenantId: number,
  selector: PersonSelector,
): Promise<number[]> {
  // One more than the bound tells "too many" without reading them all.
  const cap = MAX_SUBJECT_RECORDS + 1;
  let ids: number[];
  switch (selector.kind) {
    case "id":
      ids = (
        await db
          .selectFrom("persons")
          .select("id")
          .where("tenant_id", "=", tenantId)
          .where("id", "=", Number(selector.value))
          .limit(cap)
          .execute()
      ).map((r) => r.id);
      break;
    case "cpf":
      ids = (
        await db
          .selectFrom("persons")
          .select("id")
          .where("tenant_id", "=", tenantId)
          .where("document", "=", selector.value)
          .limit(cap)
          .execute()
      ).map((r) => r.id);
      break;
    case "code":
      ids = (
        await db
          .selectFrom("persons")
          .select("id")
          .where("tenant_id", "=", tenantId)
          .where("cod_cliente", "=", selector.value)
          .limit(cap)
          .execute()
      ).map((r) => r.id);
      break;
    default: {
      // Matched in either case: the import keeps an e-mail's local part as written.
      const values =
        selector.kind === "email"
          ? [...new Set([selector.value, selector.value.toLowerCase()])]
          : [selector.value];
      ids = (
        await db
          .selectFrom("person_channels")
          .select("person_id")
          // Distinct before the limit: a person may hold the value twice (both cases of an e-mail).
          .distinct()
          .where("tenant_id", "=", tenantId)
          .where("value", "in", values)
          .limit(cap)
          .execute()
      ).map((r) => r.person_id);
    }
  }
  const unique = [...new Set(ids)];
  if (unique.length > MAX_SUBJECT_RECORDS) throw new TooManyRecordsError(selector);
  return unique.sort((a, b) => a - b);
}

export interface PersonExport {
  id: number;
  keyKind: string;
  key: string;
  codCliente: string | null;
  document: string | null;
  name: string | null;
  fields: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  erasedAt: string | null;
  contacts: { kind: string; value: string; createdAt: string }[];
  wallets: { code: string; name: string; joinedAt: string; mailingId: number | null }[];
  tags: { tag: string; createdAt: string }[];
  mailings: {
    id: number;
    fileName: string;
    description: string | null;
    wallet: string | null;
    firstSeenAt: string;
    outcome: string | null;
    line: number;
    message: string | null;
    contacts: unknown;
  }[];
  messages: {
    id: number;
    campaignId: number;
    campaign: string;
    channel: string;
    address: string;
    body: string | null;
    state: string;
    error: string | null;
    skipReason: string | null;
    createdAt: string;
    sentAt: string | null;
    deliveredAt: string | null;
    readAt: string | null;
    failedAt: string | null;
    skippedAt: string | null;
    expiredAt: string | null;
  }[];
  restrictions: {
    wallet: string | null;
    /** null: every channel. */
    channel: string | null;
    kind: string;
    value: string;
    reason: string | null;
    /** operator, api, import, unsubscribe, sms_reply, whatsapp_reply. */
    origin: string;
    createdAt: string;
  }[];
  inbound: { channel: string; address: string; body: string | null; receivedAt: string }[];
  /** Under which LGPD bases the person is held, since when (per wallet). */
  legalBases: PersonLegalBasis[];
}

function parseJson(text: string | null, fallback: unknown): unknown {
  if (text === null) return fallback;
  try {
    return JSON.parse(text);
  } catch {
    return fallback;
  }
}

/** Everything held about one person of the tenant, or null when there is no such person. */
export async function exportPerson(
  db: Kysely<Database>,
  tenantId: number,
  personId: number,
): Promise<PersonExport | null> {
  const person = await db
    .selectFrom("persons")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("id", "=", personId)
    .executeTakeFirst();
  if (!person) return null;
  const contacts = await db
    .selectFrom("person_channels")
    .select(["kind", "value", "created_at"])
    .where("person_id", "=", personId)
    .orderBy("created_at")
    .orderBy("value")
    .execute();
  const values = contacts.map((c) => c.value);
  const [wallets, tags, mailings, messages, restrictions, inbound, legalBases] = await Promise.all([
    db
      .selectFrom("wallet_members as m")
      .innerJoin("wallets as w", "w.id", "m.wallet_id")
      .select(["w.code", "w.name", "m.joined_at", "m.mailing_id"])
      .where("m.person_id", "=", personId)
      .where("m.tenant_id", "=", tenantId)
      .orderBy("m.joined_at")
      .execute(),
    db
      .selectFrom("person_tags")
      .select(["tag", "created_at"])
      .where("person_id", "=", personId)
      .orderBy("tag")
      .execute(),
    db
      .selectFrom("mailing_persons as mp")
      .innerJoin("mailings as ml", "ml.id", "mp.mailing_id")
      .leftJoin("wallets as w", "w.id", "ml.wallet_id")
      .select([
        "ml.id",
        "ml.file_name",
        "ml.description",
        "w.code as wallet",
        "ml.first_seen_at",
        "ml.outcome",
        "mp.first_line",
        "mp.message",
        "mp.channels_json",
      ])
      .where("mp.person_id", "=", personId)
      .where("mp.tenant_id", "=", tenantId)
      .orderBy("ml.id")
      .execute(),
    db
      .selectFrom("messages as m")
      .innerJoin("campaigns as c", "c.id", "m.campaign_id")
      .select([
        "m.id",
        "m.campaign_id",
        "c.name as campaign",
        "c.channel",
        "m.address",
        "m.body",
        "m.state",
        "m.error",
        "m.skip_reason",
        "m.created_at",
        "m.sent_at",
        "m.delivered_at",
        "m.read_at",
        "m.failed_at",
        "m.skipped_at",
        "m.expired_at",
      ])
      .where("m.person_id", "=", personId)
      .where("m.tenant_id", "=", tenantId)
      .orderBy("m.id")
      .execute(),
    // Every entry matching a contact or the CPF/CNPJ, in any scope (src/store/restrictions.ts).
    restrictionsOfPerson(db, tenantId, personId),
    inboundOf(db, tenantId, personId, values),
    legalBasesOfPerson(db, tenantId, personId),
  ]);
  return {
    id: person.id,
    keyKind: person.key_kind,
    key: person.key,
    codCliente: person.cod_cliente,
    document: person.document,
    name: person.name,
    fields: parseJson(person.fields_json, {}) as Record<string, unknown>,
    createdAt: person.created_at,
    updatedAt: person.updated_at,
    erasedAt: person.erased_at ?? null,
    contacts: contacts.map((c) => ({ kind: c.kind, value: c.value, createdAt: c.created_at })),
    wallets: wallets.map((w) => ({
      code: w.code,
      name: w.name,
      joinedAt: w.joined_at,
      mailingId: w.mailing_id,
    })),
    tags: tags.map((t) => ({ tag: t.tag, createdAt: t.created_at })),
    mailings: mailings.map((m) => ({
      id: m.id,
      fileName: m.file_name,
      description: m.description,
      wallet: m.wallet,
      firstSeenAt: m.first_seen_at,
      outcome: m.outcome,
      line: m.first_line,
      message: m.message,
      contacts: parseJson(m.channels_json, []),
    })),
    messages: messages.map((m) => ({
      id: m.id,
      campaignId: m.campaign_id,
      campaign: m.campaign,
      channel: m.channel,
      address: m.address,
      body: m.body,
      state: m.state,
      error: m.error,
      skipReason: m.skip_reason,
      createdAt: m.created_at,
      sentAt: m.sent_at,
      deliveredAt: m.delivered_at,
      readAt: m.read_at,
      failedAt: m.failed_at,
      skippedAt: m.skipped_at,
      expiredAt: m.expired_at,
    })),
    restrictions: restrictions.map((r) => ({
      wallet: r.wallet,
      channel: r.channel,
      kind: r.kind,
      value: r.value,
      reason: r.reason,
      origin: r.origin,
      createdAt: r.createdAt,
    })),
    inbound,
    legalBases,
  };
}

/** Inbound contacts recorded for the person or from one of their contacts (de-duplicated). */
async function inboundOf(
  db: Kysely<Database>,
  tenantId: number,
  personId: number,
  values: string[],
): Promise<PersonExport["inbound"]> {
  const byPerson = await db
    .selectFrom("inbound_interactions")
    .select(["id", "channel", "address", "body", "received_at"])
    .where("tenant_id", "=", tenantId)
    .where("person_id", "=", personId)
    .execute();
  const byAddress =
    values.length === 0
      ? []
      : await db
          .selectFrom("inbound_interactions")
          .select(["id", "channel", "address", "body", "received_at"])
          .where("tenant_id", "=", tenantId)
          .where("address", "in", values)
          .execute();
  const all = new Map([...byPerson, ...byAddress].map((r) => [r.id, r]));
  return [...all.values()]
    .sort((a, b) => (a.received_at < b.received_at ? -1 : a.received_at > b.received_at ? 1 : 0))
    .map((r) => ({
      channel: r.channel,
      address: r.address,
      body: r.body,
      receivedAt: r.received_at,
    }));
}

/** The export document of everyone the selector names (one data subject may have several records). */
export async function exportSubject(
  db: Kysely<Database>,
  tenantId: number,
  selector: PersonSelector,
  now: Date = new Date(),
): Promise<{ tenantId: number; generatedAt: string; persons: PersonExport[] }> {
  const ids = await findPersonIds(db, tenantId, normalizeSelector(selector));
  const persons: PersonExport[] = [];
  for (const id of ids) {
    const exported = await exportPerson(db, tenantId, id);
    if (exported) persons.push(exported);
  }
  return { tenantId, generatedAt: now.toISOString(), persons };
}

/**
 * The export document, recorded in the audit trail as `persons.show` or
 * `persons.export` (who looked, by which kind of identifier, whom): every
 * look at a person is a privacy action. For the CLI and the API alike.
 */
export async function accessSubject(
  db: Kysely<Database>,
  tenantId: number,
  selector: PersonSelector,
  actor: AuditActor,
  action: "show" | "export",
  now: Date = new Date(),
): Promise<Awaited<ReturnType<typeof exportSubject>>> {
  const doc = await exportSubject(db, tenantId, selector, now);
  await appendAudit(db, {
    tenantId,
    actor,
    action: `persons.${action}`,
    subject: doc.persons.map((p) => `person:${p.id}`).join(",") || null,
    details: { selector: selector.kind, found: doc.persons.length },
    at: doc.generatedAt,
  });
  return doc;
}
