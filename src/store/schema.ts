/**
 * Table types for Kysely. The same shapes on SQLite and PostgreSQL, so one
 * code path serves both:
 * - ids are integers (PostgreSQL int8 is parsed to a JS number; ids stay far below 2^53);
 * - timestamps are ISO-8601 UTC strings (`new Date().toISOString()`), which sort as text;
 * - booleans are integers 0/1;
 * - JSON documents are text columns whose names end in `_json`.
 * Every table carries `tenant_id` (for `tenants` it is the `id`).
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from "kysely";

/** Assigned by the database on insert; never updated. */
type Id = Generated<number>;

export interface TenantTable {
  id: Id;
  name: string;
  time_zone: Generated<string>;
  /** Maximum share of rejected rows before the whole file is discarded, 0–1. */
  reject_ratio: Generated<number>;
  /** Language of operator-facing texts: "pt-BR" (default) or "en". */
  locale: Generated<string>;
  /** 1: a file for a wallet without a legal basis is discarded (BASE_LEGAL_AUSENTE). Default 0. */
  require_legal_basis: Generated<number>;
  /** How long audit events are kept (days; default 1825 = 5 years). */
  audit_retention_days: Generated<number>;
  created_at: string;
}

export interface WalletTable {
  id: Id;
  tenant_id: number;
  code: string;
  name: string;
  /** Optional send window in the tenant's zone: {"days":[1..7 (Mon=1)],"from":"08:00","to":"20:00"}. */
  send_window_json: string | null;
  /** LGPD hypothesis (src/privacy/legal-basis.ts LEGAL_BASES), null when none was given. */
  legal_basis: string | null;
  legal_basis_note: string | null;
  /** When the current basis was set. */
  legal_basis_at: string | null;
  created_at: string;
}

export type PersonKeyKindColumn = "codcliente" | "cpfcnpj" | "channel";

export interface PersonTable {
  id: Id;
  tenant_id: number;
  key_kind: PersonKeyKindColumn;
  key: string;
  cod_cliente: string | null;
  document: string | null;
  name: string | null;
  /** CORINGA1..5, PRIORIDADE and extra columns; later non-empty values overwrite. */
  fields_json: Generated<string>;
  /** The mailing that created this person (tells inserted from updated). */
  created_mailing_id: number | null;
  created_at: string;
  /** When an import last changed one of its values (a re-sent unchanged person keeps it). */
  updated_at: string;
  /** When the person's data was erased (LGPD art. 18, src/privacy/erase.ts); null otherwise. */
  erased_at: Generated<string | null>;
}

/** Primary key (person_id, value): a contact is never duplicated on a person. */
export interface PersonChannelTable {
  tenant_id: number;
  person_id: number;
  /** mobile | landline | unknown | email */
  kind: string;
  value: string;
  created_at: string;
}

export interface WalletMemberTable {
  tenant_id: number;
  wallet_id: number;
  person_id: number;
  /** The mailing that put the person in this wallet (when: `joined_at`); later ones leave it. */
  mailing_id: number | null;
  joined_at: string;
}

export interface PersonTagTable {
  tenant_id: number;
  person_id: number;
  tag: string;
  created_at: string;
}

/**
 * Opt-out list. Scope: one wallet or the whole tenant (`wallet_id` null), one channel
 * (sms | whatsapp | email) or all ("all"). `channel_kind` is what `value` is: "phone"
 * (digits, DDD + number), "email" or "document" (CPF/CNPJ, normalized).
 */
export interface RestrictionTable {
  id: Id;
  tenant_id: number;
  wallet_id: number | null;
  channel: Generated<string>;
  channel_kind: string;
  value: string;
  reason: string | null;
  /** operator | api | import | unsubscribe | sms_reply | whatsapp_reply */
  origin: Generated<string>;
  /** Who added it (OS user, API key prefix), when known. */
  actor: string | null;
  created_at: string;
}

export interface FileSourceTable {
  id: Id;
  tenant_id: number;
  name: string;
  protocol: string;
  host: string;
  port: number | null;
  username: string;
  /** AES-256-GCM envelope from secrets.ts; never the clear password. */
  password_enc: string;
  root: Generated<string>;
  interval_seconds: Generated<number>;
  stability_seconds: Generated<number>;
  allow_private: Generated<number>;
  tls_fingerprint: string | null;
  tls_insecure: Generated<number>;
  enabled: Generated<number>;
  last_error: string | null;
  last_error_at: string | null;
  /** Consecutive failures, for back-off. */
  failure_count: Generated<number>;
  next_poll_at: string | null;
  last_poll_at: string | null;
  last_success_at: string | null;
  lease_owner: string | null;
  lease_expires_at: string | null;
  /** Start of the current run of failed polls (null while polls succeed). */
  failing_since: string | null;
  /** When a run of failed polls was last notified (a run starting after it is notified again). */
  failure_notified_at: string | null;
  created_at: string;
  updated_at: string;
}

/** Per-file state machine (SPEC §2): every file ends moved and reported exactly once. */
export type MailingState =
  | "seen"
  | "stable"
  | "claimed"
  | "downloaded"
  | "checked"
  | "imported"
  | "moved"
  | "reported"
  | "vanished"
  /** Ended by a permanent error (or too many attempts); `last_error` says why. */
  | "failed";

/** Accepted files consume their date+sequence (unique index); discarded ones don't. */
export type MailingOutcome = "accepted" | "discarded";

export interface MailingTable {
  id: Id;
  tenant_id: number;
  source_id: number | null;
  /** Wallet folder the file was found in, or null for the root. */
  folder: string | null;
  file_name: string;
  /** Path relative to the source root (or the local path for `remessa import`). */
  path: string;
  first_seen_at: string;
  /** Tenant-local date (YYYY-MM-DD) when first seen: the "today" of the name check. */
  seen_date: string;
  size_seen: number | null;
  modified_at_seen: string | null;
  /** From the parsed name; null when the name could not be read. */
  date: string | null;
  sequence: number | null;
  description: string | null;
  wallet_id: number | null;
  /** The parsed `Mailing` (all flags) as JSON, or null. */
  parsed_json: string | null;
  sha256: string | null;
  bytes: number | null;
  rows: number | null;
  persons: number | null;
  inserted: number | null;
  updated: number | null;
  rejected: number | null;
  /** Rejected rows by code: {"TELEFONE_INVALIDO": 3}. */
  rejected_json: string | null;
  /** Counts for the report beyond the rejections: {"ninthDigit": 12, "droppedContacts": 3}. */
  changes_json: string | null;
  state: MailingState;
  outcome: MailingOutcome | null;
  lease_owner: string | null;
  lease_expires_at: string | null;
  attempts: Generated<number>;
  /** Durations by phase in seconds: {"download": 1.2, "import": 8.1}. */
  timings_json: string | null;
  /** Name and content errors: [{code, message, param?}]. */
  errors_json: string | null;
  /** Where the stored copy of the original bytes is (data dir), if kept. */
  stored_path: string | null;
  moved_to: string | null;
  /** Report files written beside the moved file: ["…resultado.txt", …]. */
  reports_json: string | null;
  /** Last operational problem (move refused, source unreachable) while retrying; null when fine. */
  last_error: string | null;
  /** The content's encoding ("utf-8" | "windows-1252") and delimiter, for the return file. */
  encoding: string | null;
  delimiter: string | null;
  /** When the retention job removed its stored copy and (local sources) its files. */
  files_purged_at: Generated<string | null>;
  /** The wallet's LGPD legal basis in force when the file was imported (and its note). */
  legal_basis: string | null;
  legal_basis_note: string | null;
  created_at: string;
  updated_at: string;
}

/** People of one mailing, with this file's message and contacts in file order. */
export interface MailingPersonTable {
  tenant_id: number;
  mailing_id: number;
  person_id: number;
  first_line: number;
  /** MENSAGEM of the person's first row that had one in this file. */
  message: string | null;
  /** [{kind, value, line}] in file order. */
  channels_json: Generated<string>;
  /** The first mobile / e-mail of `channels_json` (null: none), for planning. */
  first_mobile: string | null;
  first_email: string | null;
}

export interface MailingRejectionTable {
  id: Id;
  tenant_id: number;
  mailing_id: number;
  line: number;
  code: string;
  message: string;
  raw: string;
  /** The zip entry the row comes from; null for a plain file (and rows stored before 0004). */
  entry: string | null;
}

export interface CampaignTable {
  id: Id;
  tenant_id: number;
  mailing_id: number | null;
  wallet_id: number | null;
  /** sms | whatsapp | email */
  channel: string;
  /** sms: long|short; whatsapp: exclusivo|compartilhado|prospect; email: null */
  mode: string | null;
  sender_id: number | null;
  template_id: number | null;
  email_account_id: number | null;
  subject: string | null;
  name: string;
  start_at: string;
  deadline_at: string | null;
  split_percent: number | null;
  split_every_minutes: number | null;
  exclude_recent_hours: number | null;
  /** scheduled | running | paused | cancelled | finished | expired */
  state: string;
  audience: Generated<number>;
  /** People of the mailing left out of the audience, by reason: {"SEM_CONTATO": n, "RESTRITO": m}. */
  excluded_json: string | null;
  /** Expected end computed at planning (waves, rate, send window, tier). */
  forecast_end: string | null;
  /** Messages predicted at planning to miss the deadline. */
  forecast_late: Generated<number>;
  /** When the campaign reached finished, cancelled or expired. */
  ended_at: string | null;
  /** When its `.retorno.csv` was written, and where (path on the mailing's source). */
  return_written_at: string | null;
  return_path: string | null;
  /** Worker writing the mailing's return file (on its lowest-id campaign only) and until when. */
  return_lease_owner: string | null;
  /** Also the next retry after a failed attempt. */
  return_lease_expires_at: string | null;
  return_attempts: Generated<number>;
  /** Why the last attempt failed (source unreachable, …), pt-BR; null once written. */
  return_error: string | null;
  /** When the retention job blanked its messages' texts and destinations (src/privacy/retention.ts). */
  texts_purged_at: Generated<string | null>;
  created_at: string;
  updated_at: string;
}

export interface WaveTable {
  id: Id;
  tenant_id: number;
  campaign_id: number;
  number: number;
  start_at: string;
  size: number;
  /** scheduled | running | done | cancelled */
  state: string;
  /** When its first message was claimed (lateness = started_at − start_at). */
  started_at: string | null;
  created_at: string;
}

export type MessageState =
  | "pending"
  | "sending"
  | "sent"
  | "delivered"
  | "read"
  | "failed"
  | "skipped"
  | "expired";

export interface MessageTable {
  id: Id;
  tenant_id: number;
  campaign_id: number;
  wave_id: number | null;
  person_id: number;
  /** mobile | email */
  channel_kind: string;
  address: string;
  body: string | null;
  state: MessageState;
  attempts: Generated<number>;
  provider_id: string | null;
  error: string | null;
  skip_reason: string | null;
  lease_owner: string | null;
  lease_expires_at: string | null;
  next_attempt_at: string | null;
  created_at: string;
  updated_at: string;
  sending_at: string | null;
  sent_at: string | null;
  delivered_at: string | null;
  read_at: string | null;
  failed_at: string | null;
  skipped_at: string | null;
  expired_at: string | null;
  /** Parts the provider billed (SMS segments); null until sent. */
  segments: number | null;
}

/** Receptive contacts (WhatsApp inbound, SMS MO, …) used by `_x`. */
export interface InboundInteractionTable {
  id: Id;
  tenant_id: number;
  /** whatsapp | sms | email */
  channel: string;
  address: string;
  person_id: number | null;
  sender_id: number | null;
  /** Provider's id, for de-duplication of webhook deliveries. */
  provider_id: string | null;
  body: string | null;
  received_at: string;
}

/** Per-message status webhooks already applied (de-duplication). */
export interface DeliveryEventTable {
  id: Id;
  tenant_id: number;
  provider_id: string;
  status: string;
  message_id: number | null;
  received_at: string;
}

export interface SenderTable {
  id: Id;
  tenant_id: number;
  /** whatsapp | sms */
  kind: string;
  /** whatsapp: exclusivo | compartilhado | prospect; sms: long | short */
  mode: string;
  name: string;
  /** Phone number (digits) or SMS route name. */
  number: string;
  /** WhatsApp Cloud API phone-number id. */
  phone_number_id: string | null;
  token_enc: string | null;
  /** Exclusive numbers and routes may belong to one wallet. */
  wallet_id: number | null;
  /** SMPP / HTTP connection settings (non-secret), JSON. */
  settings_json: string | null;
  rate_per_second: number | null;
  /** WhatsApp messaging tier: unique recipients per rolling 24 h; null = unlimited. */
  messaging_tier: number | null;
  /** Who sends for it: "outbox" (embedded default) or a real provider. */
  provider: Generated<string>;
  enabled: Generated<number>;
  created_at: string;
  updated_at: string;
}

/** Recipients of a tiered WhatsApp number and when it last wrote to each (tier count). */
export interface SenderRecipientTable {
  sender_id: number;
  tenant_id: number;
  /** As messages.address (DDD + number). */
  address: string;
  last_at: string;
}

export interface TemplateTable {
  id: Id;
  tenant_id: number;
  name: string;
  language: Generated<string>;
  wallet_id: number | null;
  /** The wallet's default template (used without `_nt`). */
  is_default: Generated<number>;
  /** Parameter mapping to mailing columns: ["NOME_CLIENTE", "CORINGA1"]. */
  params_json: Generated<string>;
  body: string | null;
  created_at: string;
  updated_at: string;
}

export interface EmailAccountTable {
  id: Id;
  tenant_id: number;
  address: string;
  display_name: string | null;
  host: string;
  port: number;
  /** starttls | tls | none */
  security: Generated<string>;
  username: string | null;
  password_enc: string | null;
  wallet_id: number | null;
  /** The wallet's active account (used without `_ce`). */
  active: Generated<number>;
  /** The platform default account (fallback). */
  is_platform_default: Generated<number>;
  rate_per_second: number | null;
  /** Who sends for it: "outbox" (embedded default) or "smtp". */
  provider: Generated<string>;
  /** Reply-To of every message (smtp). */
  reply_to: string | null;
  /** DKIM signing (smtp): all three or none; the key encrypted (encryptSecret). */
  dkim_domain: string | null;
  dkim_selector: string | null;
  dkim_key_enc: string | null;
  created_at: string;
  updated_at: string;
}

/** Messages the embedded default "sends": stored and shown, no external account. */
export interface OutboxTable {
  id: Id;
  tenant_id: number;
  message_id: number | null;
  channel: string;
  address: string;
  payload_json: string;
  created_at: string;
}

/** Shared rate limiter state (GCRA): one row per rate-limited sender, used by every worker. */
export interface RateBucketTable {
  tenant_id: number;
  /** "sender:<id>" or "email:<id>". */
  key: string;
  /** Theoretical arrival time, epoch ms: the next free slot. */
  tat_ms: Generated<number>;
}

export type ApiKeyScope = "read" | "write";

export interface ApiKeyTable {
  id: Id;
  tenant_id: number;
  name: string;
  /** First characters of the key, shown to tell keys apart. */
  prefix: string;
  /** SHA-256 of the whole key, hex; the key itself is never stored. */
  key_hash: string;
  /** "read" (GET only) or "write" (everything the tenant may do). */
  scope: Generated<ApiKeyScope>;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface AuditEventTable {
  id: Id;
  tenant_id: number;
  at: string;
  /** "cli", "api:<key prefix>", "poller:<host>", … */
  actor: string;
  action: string;
  subject: string | null;
  details_json: string | null;
}

/** Per-tenant retention in days; null columns take the defaults of src/privacy/retention.ts. */
export interface RetentionSettingsTable {
  tenant_id: number;
  originals_days: number | null;
  messages_days: number | null;
  discarded_days: number | null;
  updated_at: string;
}

/** Keyed hashes (HMAC-SHA256, src/privacy/erased.ts) of erased people's contacts. */
export interface ErasedContactTable {
  tenant_id: number;
  /** phone | email */
  kind: string;
  hash: string;
  erased_at: string;
}

/** A file on a remote source an erasure still has to clean (see src/privacy/erase-remote.ts). */
export interface ErasureRemoteFileTable {
  id: Id;
  tenant_id: number;
  person_id: number;
  mailing_id: number;
  source_id: number | null;
  /** Relative to the source's root. */
  path: string;
  /** The person's Identifiers as JSON, sealed with encryptSecret. */
  identifiers_enc: string;
  attempts: Generated<number>;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

/** A tenant's notification settings (issue 13); no row: no notifications. */
export interface NotificationSettingsTable {
  tenant_id: number;
  webhook_url: string | null;
  /** HMAC-SHA256 signing secret, encrypted (secrets.ts); shown once, never returned. */
  webhook_secret_enc: string | null;
  /** JSON array of e-mail addresses. */
  emails_json: Generated<string>;
  /** A source failing to poll for longer than this is notified (once per run of failures). */
  source_failure_minutes: Generated<number>;
  created_at: string;
  updated_at: string;
}

export type NotificationTarget = "webhook" | "email";
export type NotificationStatus = "pending" | "delivered" | "failed";

/** The notification outbox: one row per event and target, delivered by the worker. */
export interface NotificationTable {
  id: Id;
  tenant_id: number;
  /** Shared by every target of one event: receivers tell repeats apart by it. */
  event_id: string;
  event: string;
  /** What makes the event unique (e.g. "mailing:12"): writing it twice is a no-op. */
  dedup_key: string;
  target: NotificationTarget;
  payload_json: string;
  status: Generated<NotificationStatus>;
  attempts: Generated<number>;
  next_attempt_at: string;
  lease_owner: string | null;
  lease_expires_at: string | null;
  last_error: string | null;
  created_at: string;
  finished_at: string | null;
}

/** One delivery attempt of a notification. */
export interface NotificationDeliveryTable {
  id: Id;
  tenant_id: number;
  notification_id: number;
  attempt: number;
  at: string;
  ok: number;
  /** The webhook's HTTP status (null for e-mail, or when no answer came). */
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

export interface Database {
  tenants: TenantTable;
  wallets: WalletTable;
  persons: PersonTable;
  person_channels: PersonChannelTable;
  wallet_members: WalletMemberTable;
  person_tags: PersonTagTable;
  restrictions: RestrictionTable;
  file_sources: FileSourceTable;
  mailings: MailingTable;
  mailing_persons: MailingPersonTable;
  mailing_rejections: MailingRejectionTable;
  campaigns: CampaignTable;
  waves: WaveTable;
  messages: MessageTable;
  inbound_interactions: InboundInteractionTable;
  delivery_events: DeliveryEventTable;
  senders: SenderTable;
  sender_recipients: SenderRecipientTable;
  templates: TemplateTable;
  email_accounts: EmailAccountTable;
  outbox: OutboxTable;
  rate_buckets: RateBucketTable;
  api_keys: ApiKeyTable;
  audit_events: AuditEventTable;
  retention_settings: RetentionSettingsTable;
  erased_contacts: ErasedContactTable;
  erasure_remote_files: ErasureRemoteFileTable;
  notification_settings: NotificationSettingsTable;
  notifications: NotificationTable;
  notification_deliveries: NotificationDeliveryTable;
}

export type Tenant = Selectable<TenantTable>;
export type Wallet = Selectable<WalletTable>;
export type Person = Selectable<PersonTable>;
export type FileSourceRow = Selectable<FileSourceTable>;
export type MailingRow = Selectable<MailingTable>;
export type NewMailing = Insertable<MailingTable>;
export type MailingUpdate = Updateable<MailingTable>;
export type CampaignRow = Selectable<CampaignTable>;
export type MessageRow = Selectable<MessageTable>;

/** Kept for callers that want to declare computed columns. */
export type ReadOnly<T> = ColumnType<T, never, never>;

export function nowIso(): string {
  return new Date().toISOString();
}
