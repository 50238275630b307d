/**
 * Restriction (opt-out) lists (SPEC §5, §7, §9; issue 15).
 *
 * An entry restricts one value, a phone, an e-mail or a CPF/CNPJ ("document"),
 * within a scope: one wallet or the whole tenant (`walletId` null), one
 * channel (sms | whatsapp | email) or every channel. It says where it came
 * from (`origin`) and who added it (`actor`), and when.
 *
 * Where entries apply, and how each scope counts:
 * - at import with `_h` (`importRestrictionMatcher`): the contact (or, for a
 *   document, the row) is left out as RESTRITO when an entry of the wallet or
 *   the tenant covers every channel the file could use it for: the channels
 *   the file orders that the value can serve, or, for a file ordering none of
 *   those, every channel the value can serve. So a phone restricted for SMS
 *   only is still imported from a WhatsApp file, and sent to there;
 * - at planning (src/campaigns/create.ts) and at send time
 *   (src/campaigns/dispatch*.ts): entries of the wallet or the tenant, of the
 *   campaign's channel or of every channel, by destination or by the person's
 *   document (`scopeFilter` here gives both the same SQL condition).
 */
import { type Expression, type Kysely, type SqlBool, sql } from "kysely";
import { normalizeDocument } from "../mailing/document.js";
import { normalizeEmail } from "../mailing/email.js";
import { normalizePhone } from "../mailing/phone.js";
import { withErasedContacts } from "../privacy/erased.js";
import { type Database, nowIso } from "./schema.js";
import { ValidationError } from "./tenants.js";

export type RestrictionKind = "phone" | "email" | "document";
export type RestrictionChannel = "sms" | "whatsapp" | "email";
/** Where an entry came from. */
export type RestrictionOrigin =
  | "operator"
  | "api"
  | "import"
  | "unsubscribe"
  | "sms_reply"
  | "whatsapp_reply";

export const RESTRICTION_ORIGINS: Readonly<Record<RestrictionOrigin, string>> = {
  operator: "operador (linha de comando)",
  api: "API",
  import: "importação de lista",
  unsubscribe: "link de descadastro",
  sms_reply: "resposta por SMS",
  whatsapp_reply: "resposta por WhatsApp",
};

export const RESTRICTION_CHANNELS: readonly RestrictionChannel[] = ["sms", "whatsapp", "email"];

/** The channels a value of each kind can be sent to (a document: its person's contacts). */
export const CHANNELS_OF_KIND: Readonly<Record<RestrictionKind, readonly RestrictionChannel[]>> = {
  phone: ["sms", "whatsapp"],
  email: ["email"],
  document: ["sms", "whatsapp", "email"],
};

const KIND_LABEL: Readonly<Record<RestrictionKind, string>> = {
  phone: "telefone",
  email: "e-mail",
  document: "CPF/CNPJ",
};

export interface RestrictionOptions {
  /** One channel; null or absent: every channel. */
  channel?: RestrictionChannel | null;
  /** Default "operator". */
  origin?: RestrictionOrigin;
  actor?: string | null;
  /** When it was received (default now): an opt-out's own time. */
  at?: string;
}

export interface Restriction {
  id: number;
  walletId: number | null;
  /** The wallet's code; null: the whole tenant. */
  wallet: string | null;
  channel: RestrictionChannel | null;
  kind: RestrictionKind;
  value: string;
  reason: string | null;
  origin: RestrictionOrigin;
  actor: string | null;
  createdAt: string;
}

/** A channel-specific entry must be for a channel its value can be sent to. */
function checkScope(kind: RestrictionKind, channel: RestrictionChannel | null): void {
  if (channel !== null && !CHANNELS_OF_KIND[kind].includes(channel)) {
    throw new ValidationError(
      `Um ${KIND_LABEL[kind]} não recebe mensagens pelo canal ${channel}: restrinja-o em ${CHANNELS_OF_KIND[
        kind
      ].join(" ou ")}, ou em todos os canais (sem --channel).`,
    );
  }
}

/**
 * Adds one entry; false when the same value was already restricted in the same
 * scope (nothing changes: the first entry's origin and time stay).
 */
export async function addRestriction(
  db: Kysely<Database>,
  tenantId: number,
  walletId: number | null,
  kind: RestrictionKind,
  value: string,
  reason: string | null = null,
  options: RestrictionOptions = {},
): Promise<boolean> {
  const channel = options.channel ?? null;
  checkScope(kind, channel);
  const result = await db
    .insertInto("restrictions")
    .values({
      tenant_id: tenantId,
      wallet_id: walletId,
      channel: channel ?? "all",
      channel_kind: kind,
      value,
      reason,
      origin: options.origin ?? "operator",
      actor: options.actor ?? null,
      created_at: options.at ?? nowIso(),
    })
    // The only unique index is the scope's (restrictions_scope): a repeat is no error.
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/** Removes the entry of this value in exactly this scope; false when there was none. */
export async function removeRestriction(
  db: Kysely<Database>,
  tenantId: number,
  walletId: number | null,
  kind: RestrictionKind,
  value: string,
  channel: RestrictionChannel | null = null,
): Promise<boolean> {
  const result = await db
    .deleteFrom("restrictions")
    .where("tenant_id", "=", tenantId)
    .where((eb) =>
      walletId === null ? eb("wallet_id", "is", null) : eb("wallet_id", "=", walletId),
    )
    .where("channel", "=", channel ?? "all")
    .where("channel_kind", "=", kind)
    .where("value", "=", value)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export interface RestrictionFilter {
  /** A wallet's entries only; null: the whole-tenant entries only; undefined: all. */
  walletId?: number | null;
  channel?: RestrictionChannel | null;
  kind?: RestrictionKind;
  /** Exact value (normalized). */
  value?: string;
  /** Entries with a larger id (paging). */
  afterId?: number;
  limit?: number;
}

export async function listRestrictions(
  db: Kysely<Database>,
  tenantId: number,
  filter: RestrictionFilter = {},
): Promise<Restriction[]> {
  let query = db
    .selectFrom("restrictions as r")
    .leftJoin("wallets as w", "w.id", "r.wallet_id")
    .select([
      "r.id",
      "r.wallet_id",
      "w.code",
      "r.channel",
      "r.channel_kind",
      "r.value",
      "r.reason",
      "r.origin",
      "r.actor",
      "r.created_at",
    ])
    .where("r.tenant_id", "=", tenantId);
  if (filter.walletId !== undefined) {
    const w = filter.walletId;
    query = query.where((eb) =>
      w === null ? eb("r.wallet_id", "is", null) : eb("r.wallet_id", "=", w),
    );
  }
  if (filter.channel !== undefined) query = query.where("r.channel", "=", filter.channel ?? "all");
  if (filter.kind !== undefined) query = query.where("r.channel_kind", "=", filter.kind);
  if (filter.value !== undefined) query = query.where("r.value", "=", filter.value);
  if (filter.afterId !== undefined) query = query.where("r.id", ">", filter.afterId);
  const rows = await query
    .orderBy("r.id")
    .limit(filter.limit ?? 1000)
    .execute();
  return rows.map((r) => ({
    id: Number(r.id),
    walletId: r.wallet_id === null ? null : Number(r.wallet_id),
    wallet: r.code ?? null,
    channel: r.channel === "all" ? null : (r.channel as RestrictionChannel),
    kind: r.channel_kind as RestrictionKind,
    value: r.value,
    reason: r.reason,
    origin: r.origin as RestrictionOrigin,
    actor: r.actor,
    createdAt: r.created_at,
  }));
}

export type ParsedValue =
  /** `ambiguous`: also a valid CPF, read as a phone as asked. */
  | { ok: true; kind: RestrictionKind; value: string; ambiguous?: true }
  | { ok: false; message: string };

/** CPF written with its punctuation (000.000.000-00) or CNPJ (00.000.000/0000-00). */
const PUNCTUATED_DOCUMENT =
  /^\s*[0-9A-Za-z]{2,3}\.[0-9A-Za-z]{3}\.[0-9A-Za-z]{3}(\/[0-9A-Za-z]{4})?-\d{2}\s*$/;

/**
 * Reads one value as the reader normalizes contacts with `_h` (so it matches
 * them): an `@` makes an e-mail; CPF/CNPJ punctuation a document; digits a
 * phone when they are a valid Brazilian number, else a document when the
 * check digits hold. Digits that are both a valid mobile and a valid CPF
 * (unpunctuated, 11 digits) are refused as ambiguous rather than guessed
 * (`forced`, the operator's --kind, settles them), or, for a bulk list
 * (`ambiguous: "phone"`), read as phones and counted: opt-out lists are
 * overwhelmingly phones, and refusing 1 line in 100 of one would be worse.
 */
export function parseRestrictionValue(
  raw: string,
  forced?: RestrictionKind,
  ambiguous: "refuse" | "phone" = "refuse",
): ParsedValue {
  const text = raw.trim();
  if (text === "") return { ok: false, message: "valor vazio" };
  const kind: RestrictionKind | null =
    forced ?? (text.includes("@") ? "email" : PUNCTUATED_DOCUMENT.test(text) ? "document" : null);
  if (kind === "email") {
    const r = normalizeEmail(text, true);
    return r.ok ? { ok: true, kind, value: r.value } : { ok: false, message: r.message };
  }
  if (kind === "document") {
    const r = normalizeDocument(text, true);
    return r.ok ? { ok: true, kind, value: r.value } : { ok: false, message: r.message };
  }
  if (kind === "phone") {
    const r = normalizePhone(text, true);
    return r.ok ? { ok: true, kind, value: r.value } : { ok: false, message: r.message };
  }
  const phone = normalizePhone(text, true);
  const document = /[A-Za-z]/.test(text) ? null : normalizeDocument(text, true);
  const digits = text.replace(/\D/g, "");
  const documentOk = document?.ok === true && (digits.length === 11 || digits.length === 14);
  if (phone.ok && documentOk) {
    if (ambiguous === "phone")
      return { ok: true, kind: "phone", value: phone.value, ambiguous: true };
    return {
      ok: false,
      message: `"${text}" é ao mesmo tempo um telefone e um CPF/CNPJ válidos: escreva o CPF com pontuação (000.000.000-00) ou informe o tipo (--kind)`,
    };
  }
  if (phone.ok) return { ok: true, kind: "phone", value: phone.value };
  if (documentOk && document?.ok) return { ok: true, kind: "document", value: document.value };
  return {
    ok: false,
    message: `"${text.length > 40 ? `${text.slice(0, 37)}...` : text}" não é telefone, e-mail nem CPF/CNPJ válido (${phone.message})`,
  };
}

/**
 * The condition "this value (of this kind) is restricted for this channel in
 * this wallet", for SQL built around it: `value` is the expression holding the
 * value (a contact's, a person's document). Used by planning and dispatch so
 * both read the scopes the same way.
 */
export function restrictedCondition(
  tenantId: number,
  walletId: number | null,
  channel: RestrictionChannel,
  kind: RestrictionKind,
  value: Expression<unknown> | ReturnType<typeof sql>,
): ReturnType<typeof sql<SqlBool>> {
  const wallet =
    walletId === null
      ? sql`r.wallet_id IS NULL`
      : sql`(r.wallet_id IS NULL OR r.wallet_id = CAST(${walletId} AS bigint))`;
  return sql<SqlBool>`EXISTS (SELECT 1 FROM restrictions r
    WHERE r.tenant_id = CAST(${tenantId} AS bigint) AND r.channel_kind = CAST(${kind} AS text)
      AND r.value = ${value} AND ${wallet}
      AND r.channel IN ('all', CAST(${channel} AS text)))`;
}

/** Which kinds have entries that can apply to this channel in this wallet (skip the others). */
export async function restrictionKindsInScope(
  db: Kysely<Database>,
  tenantId: number,
  walletId: number | null,
  channel: RestrictionChannel,
): Promise<Set<RestrictionKind>> {
  const kinds = new Set<RestrictionKind>();
  for (const kind of ["phone", "email", "document"] as const) {
    if (!CHANNELS_OF_KIND[kind].includes(channel)) continue;
    const row = await db
      .selectFrom("restrictions")
      .select("id")
      .where("tenant_id", "=", tenantId)
      .where("channel_kind", "=", kind)
      .where((eb) =>
        walletId === null
          ? eb("wallet_id", "is", null)
          : eb.or([eb("wallet_id", "is", null), eb("wallet_id", "=", walletId)]),
      )
      .where("channel", "in", ["all", channel])
      .limit(1)
      .executeTakeFirst();
    if (row) kinds.add(kind);
  }
  return kinds;
}

/** Lookups for the mailing reader (`isRestricted`, `isDocumentRestricted`). */
export interface ImportRestrictionMatcher {
  isRestricted: (kind: "phone" | "email", value: string) => boolean;
  isDocumentRestricted: (document: string) => boolean;
}

const BIT: Readonly<Record<string, number>> = { all: 7, sms: 1, whatsapp: 2, email: 4 };

/**
 * The wallet's and the tenant's entries that leave a contact out of a file
 * ordering `channels` (see the module comment), as in-memory sets; null when
 * there is none (the reader then checks nothing).
 */
export async function importRestrictionMatcher(
  db: Kysely<Database>,
  tenantId: number,
  walletId: number,
  channels: readonly RestrictionChannel[],
): Promise<ImportRestrictionMatcher | null> {
  const rows = await db
    .selectFrom("restrictions")
    .select(["channel_kind", "value", "channel"])
    .where("tenant_id", "=", tenantId)
    .where((eb) => eb.or([eb("wallet_id", "is", null), eb("wallet_id", "=", walletId)]))
    .execute();
  if (rows.length === 0) return null;
  const needed: Record<RestrictionKind, number> = { phone: 0, email: 0, document: 0 };
  for (const kind of ["phone", "email", "document"] as const) {
    const servable = CHANNELS_OF_KIND[kind];
    const ordered = servable.filter((c) => channels.includes(c));
    for (const c of ordered.length > 0 ? ordered : servable) needed[kind] |= BIT[c] as number;
  }
  // Bits of channels restricted per value; a value is out once they cover what the file needs.
  const covered = new Map<string, number>();
  for (const r of rows) {
    const key = `${r.channel_kind}:${r.value}`;
    covered.set(key, (covered.get(key) ?? 0) | (BIT[r.channel] ?? 0));
  }
  const out = new Set<string>();
  for (const [key, bits] of covered) {
    const kind = key.slice(0, key.indexOf(":")) as RestrictionKind;
    const need = needed[kind];
    if (need !== undefined && (bits & need) === need) out.add(key);
  }
  if (out.size === 0) return null;
  return {
    isRestricted: (kind, value) => out.has(`${kind}:${value}`),
    isDocumentRestricted: (document) => out.has(`document:${document}`),
  };
}

/**
 * The channels of the file name (the campaigns it orders), for
 * `importRestrictionMatcher`.
 */
export function orderedChannels(mailing: {
  sms?: unknown;
  whatsapp?: unknown;
  email?: unknown;
}): RestrictionChannel[] {
  const out: RestrictionChannel[] = [];
  if (mailing.sms) out.push("sms");
  if (mailing.whatsapp) out.push("whatsapp");
  if (mailing.email) out.push("email");
  return out;
}

/**
 * The wallet's restriction list as a lookup for the mailing reader, for a
 * file ordering no campaign (kept for callers of the first version), with the
 * tenant's erased contacts (src/privacy/erased.ts).
 */
export async function loadRestrictionLookup(
  db: Kysely<Database>,
  tenantId: number,
  walletId: number,
): Promise<(kind: "phone" | "email", value: string) => boolean> {
  const matcher = await importRestrictionMatcher(db, tenantId, walletId, []);
  const listed = matcher ? matcher.isRestricted : () => false;
  return (await withErasedContacts(db, tenantId, listed)) ?? listed;
}

/** Entries that match a person (any of its contacts or its document), for an access request. */
export async function restrictionsOfPerson(
  db: Kysely<Database>,
  tenantId: number,
  personId: number,
): Promise<Restriction[]> {
  const person = await db
    .selectFrom("persons")
    .select("document")
    .where("tenant_id", "=", tenantId)
    .where("id", "=", personId)
    .executeTakeFirst();
  if (!person) return [];
  const contacts = await db
    .selectFrom("person_channels")
    .select(["kind", "value"])
    .where("tenant_id", "=", tenantId)
    .where("person_id", "=", personId)
    .execute();
  const found: Restriction[] = [];
  const wanted: { kind: RestrictionKind; value: string }[] = contacts.map((c) => ({
    kind: c.kind === "email" ? "email" : "phone",
    value: c.value,
  }));
  if (person.document) wanted.push({ kind: "document", value: person.document });
  for (const w of wanted) {
    found.push(...(await listRestrictions(db, tenantId, { kind: w.kind, value: w.value })));
  }
  return found.sort((a, b) => a.id - b.id);
}
