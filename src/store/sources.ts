/**
 * File sources (Configurações > FTP). The password is stored only as an
 * AES-256-GCM envelope; `listSources` never returns it, and only
 * `getSourceWithSecret` decrypts it, for the code that connects.
 * Host/protocol validation (SSRF rules, TLS) belongs to src/sources; this
 * module stores what it is given and keeps the poll/back-off bookkeeping.
 */
import type { Kysely, Selectable, Updateable } from "kysely";
import { TERMINAL_STATES } from "../ingest/ledger.js";
import type { SourceConfig, SourceProtocol } from "../sources/types.js";
import { isUniqueViolation } from "./errors.js";
import { type Database, type FileSourceTable, nowIso } from "./schema.js";
import { decryptSecret, encryptSecret } from "./secrets.js";
import { DEFAULT_TENANT_ID, ValidationError } from "./tenants.js";

export const DEFAULT_INTERVAL_SECONDS = 30;
export const MIN_INTERVAL_SECONDS = 5;
export const DEFAULT_STABILITY_SECONDS = 10;
/** Back-off after repeated failures never waits longer than this. */
export const MAX_BACKOFF_SECONDS = 15 * 60;

const PROTOCOLS: readonly SourceProtocol[] = [
  "local",
  "ftp",
  "ftps-explicit",
  "ftps-implicit",
  "sftp",
];

export interface SourceInput extends SourceConfig {
  /** Operator's label; default: the host (or the directory for `local`). Unique per tenant. */
  name?: string | null;
  intervalSeconds?: number;
  stabilitySeconds?: number;
  enabled?: boolean;
}

/** What may be shown anywhere: no password. */
export interface SourceSummary {
  id: number;
  tenantId: number;
  name: string;
  protocol: SourceProtocol;
  host: string;
  port: number | null;
  user: string;
  root: string;
  hasPassword: boolean;
  intervalSeconds: number;
  stabilitySeconds: number;
  allowPrivate: boolean;
  tlsFingerprint: string | null;
  tlsInsecure: boolean;
  enabled: boolean;
  lastError: string | null;
  lastErrorAt: string | null;
  failureCount: number;
  nextPollAt: string | null;
  lastPollAt: string | null;
  lastSuccessAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A `SourceConfig` (with the clear password) plus the stored identity and poll settings. */
export interface StoredSourceConfig extends SourceConfig {
  id: number;
  tenantId: number;
  name: string;
  intervalSeconds: number;
  stabilitySeconds: number;
  enabled: boolean;
}

function toSummary(row: Selectable<FileSourceTable>): SourceSummary {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    protocol: row.protocol as SourceProtocol,
    host: row.host,
    port: row.port,
    user: row.username,
    root: row.root,
    hasPassword: row.password_enc !== "",
    intervalSeconds: row.interval_seconds,
    stabilitySeconds: row.stability_seconds,
    allowPrivate: row.allow_private === 1,
    tlsFingerprint: row.tls_fingerprint,
    tlsInsecure: row.tls_insecure === 1,
    enabled: row.enabled === 1,
    lastError: row.last_error,
    lastErrorAt: row.last_error_at,
    failureCount: row.failure_count,
    nextPollAt: row.next_poll_at,
    lastPollAt: row.last_poll_at,
    lastSuccessAt: row.last_success_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function checkTiming(input: { intervalSeconds?: number; stabilitySeconds?: number }): void {
  if (
    input.intervalSeconds !== undefined &&
    !(Number.isInteger(input.intervalSeconds) && input.intervalSeconds >= MIN_INTERVAL_SECONDS)
  ) {
    throw new ValidationError(
      `O intervalo de leitura deve ser um número inteiro de segundos, no mínimo ${MIN_INTERVAL_SECONDS}.`,
    );
  }
  if (
    input.stabilitySeconds !== undefined &&
    !(Number.isInteger(input.stabilitySeconds) && input.stabilitySeconds >= 0)
  ) {
    throw new ValidationError(
      "A janela de estabilidade deve ser um número inteiro de segundos (0 ou mais).",
    );
  }
}

function checkProtocol(protocol: string): void {
  if (!PROTOCOLS.includes(protocol as SourceProtocol)) {
    throw new ValidationError(
      `Protocolo "${protocol}" desconhecido. Use um de: ${PROTOCOLS.join(", ")}.`,
    );
  }
}

function nameClash(name: string): ValidationError {
  return new ValidationError(`Já existe uma origem chamada "${name}". Escolha outro nome.`);
}

export async function createSource(
  db: Kysely<Database>,
  tenantId: number,
  input: SourceInput,
  key?: Buffer,
): Promise<SourceSummary> {
  checkProtocol(input.protocol);
  checkTiming(input);
  const name = input.name?.trim() || (input.protocol === "local" ? input.root : input.host);
  const now = nowIso();
  try {
    const row = await db
      .insertInto("file_sources")
      .values({
        tenant_id: tenantId,
        name,
        protocol: input.protocol,
        host: input.host,
        port: input.port,
        username: input.user,
        password_enc: input.password ? encryptSecret(input.password, key) : "",
        root: input.root || "/",
        interval_seconds: input.intervalSeconds ?? DEFAULT_INTERVAL_SECONDS,
        stability_seconds: input.stabilitySeconds ?? DEFAULT_STABILITY_SECONDS,
        allow_private: input.allowPrivate ? 1 : 0,
        tls_fingerprint: input.tlsFingerprint,
        tls_insecure: input.tlsInsecure ? 1 : 0,
        enabled: input.enabled === false ? 0 : 1,
        next_poll_at: now,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toSummary(row);
  } catch (error) {
    if (isUniqueViolation(error)) throw nameClash(name);
    throw error;
  }
}

/** Changes the given fields; `password` (when present) is re-encrypted. */
export async function updateSource(
  db: Kysely<Database>,
  tenantId: number,
  id: number,
  patch: Partial<SourceInput>,
  key?: Buffer,
): Promise<SourceSummary | null> {
  if (patch.protocol !== undefined) checkProtocol(patch.protocol);
  checkTiming(patch);
  const values: Updateable<FileSourceTable> = { updated_at: nowIso() };
  if (patch.name !== undefined && patch.name !== null) values.name = patch.name.trim();
  if (patch.protocol !== undefined) values.protocol = patch.protocol;
  if (patch.host !== undefined) values.host = patch.host;
  if (patch.port !== undefined) values.port = patch.port;
  if (patch.user !== undefined) values.username = patch.user;
  if (patch.password !== undefined) {
    values.password_enc = patch.password ? encryptSecret(patch.password, key) : "";
  }
  if (patch.root !== undefined) values.root = patch.root || "/";
  if (patch.intervalSeconds !== undefined) values.interval_seconds = patch.intervalSeconds;
  if (patch.stabilitySeconds !== undefined) values.stability_seconds = patch.stabilitySeconds;
  if (patch.allowPrivate !== undefined) values.allow_private = patch.allowPrivate ? 1 : 0;
  if (patch.tlsFingerprint !== undefined) values.tls_fingerprint = patch.tlsFingerprint;
  if (patch.tlsInsecure !== undefined) values.tls_insecure = patch.tlsInsecure ? 1 : 0;
  if (patch.enabled !== undefined) values.enabled = patch.enabled ? 1 : 0;
  try {
    const row = await db
      .updateTable("file_sources")
      .set(values)
      .where("tenant_id", "=", tenantId)
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirst();
    return row ? toSummary(row) : null;
  } catch (error) {
    if (isUniqueViolation(error)) throw nameClash(String(values.name));
    throw error;
  }
}

export async function listSources(
  db: Kysely<Database>,
  tenantId: number,
): Promise<SourceSummary[]> {
  const rows = await db
    .selectFrom("file_sources")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .orderBy("id")
    .execute();
  return rows.map(toSummary);
}

export async function getSource(
  db: Kysely<Database>,
  tenantId: number,
  id: number,
): Promise<SourceSummary | null> {
  const row = await db
    .selectFrom("file_sources")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .executeTakeFirst();
  return row ? toSummary(row) : null;
}

/** The only way to read the clear password: for the code that connects, never for display. */
export async function getSourceWithSecret(
  db: Kysely<Database>,
  tenantId: number,
  id: number,
  key?: Buffer,
): Promise<StoredSourceConfig | null> {
  const row = await db
    .selectFrom("file_sources")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .executeTakeFirst();
  if (!row) return null;
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    protocol: row.protocol as SourceProtocol,
    host: row.host,
    port: row.port,
    user: row.username,
    password: row.password_enc ? decryptSecret(row.password_enc, key) : "",
    root: row.root,
    allowPrivate: row.allow_private === 1,
    tlsFingerprint: row.tls_fingerprint,
    tlsInsecure: row.tls_insecure === 1,
    intervalSeconds: row.interval_seconds,
    stabilitySeconds: row.stability_seconds,
    enabled: row.enabled === 1,
  };
}

export async function removeSource(
  db: Kysely<Database>,
  tenantId: number,
  id: number,
): Promise<boolean> {
  const result = await db
    .deleteFrom("file_sources")
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/**
 * The embedded drop box's own source, as `remessa serve` names it (one per
 * data dir: caixa-ftp, caixa-ftp-2, …; see ensureDropSource in cli/serve.ts):
 * a local source of the default tenant. The serve that uses it holds its id
 * until it restarts.
 */
export function isDropBoxSource(source: SourceSummary): boolean {
  return (
    source.tenantId === DEFAULT_TENANT_ID &&
    source.protocol === "local" &&
    isDropSourceName(source.name)
  );
}

/** The first drop box's source name; another data dir's is `caixa-ftp-2`, `caixa-ftp-3`… */
export const DROP_SOURCE_NAME = "caixa-ftp";

export function isDropSourceName(name: string): boolean {
  return name === DROP_SOURCE_NAME || /^caixa-ftp-\d+$/.test(name);
}

/** What removing a source leaves behind, for the operator to confirm. */
export interface SourceRemovalImpact {
  /** Files recorded from this source, kept in the history without it (foreign key set null). */
  mailings: number;
  /** Of those, files not finished yet: without their source no processor takes them again. */
  unfinished: number;
}

export async function sourceRemovalImpact(
  db: Kysely<Database>,
  tenantId: number,
  id: number,
): Promise<SourceRemovalImpact> {
  const row = await db
    .selectFrom("mailings")
    .select((eb) => [
      eb.fn.countAll<number>().as("mailings"),
      eb.fn.count<number>("id").filterWhere("state", "not in", TERMINAL_STATES).as("unfinished"),
    ])
    .where("tenant_id", "=", tenantId)
    .where("source_id", "=", id)
    .executeTakeFirst();
  return { mailings: Number(row?.mailings ?? 0), unfinished: Number(row?.unfinished ?? 0) };
}

/** Seconds to wait after `failures` consecutive failures: interval·2^(n−1), capped. */
export function backoffSeconds(intervalSeconds: number, failures: number): number {
  if (failures <= 0) return intervalSeconds;
  const wait = intervalSeconds * 2 ** Math.min(failures - 1, 20);
  return Math.min(Math.max(wait, intervalSeconds), Math.max(MAX_BACKOFF_SECONDS, intervalSeconds));
}

/**
 * Records a failed poll: `message` is the pt-BR text shown to the operator
 * (never containing the password). Returns when the next attempt is due.
 */
export async function recordSourceError(
  db: Kysely<Database>,
  tenantId: number,
  id: number,
  message: string,
  now: Date = new Date(),
): Promise<{ failureCount: number; nextPollAt: string } | null> {
  const row = await db
    .selectFrom("file_sources")
    .select(["failure_count", "interval_seconds"])
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .executeTakeFirst();
  if (!row) return null;
  const failureCount = row.failure_count + 1;
  const nextPollAt = new Date(
    now.getTime() + backoffSeconds(row.interval_seconds, failureCount) * 1000,
  ).toISOString();
  await db
    .updateTable("file_sources")
    .set({
      last_error: message,
      last_error_at: now.toISOString(),
      // The first failure of a run starts it; notifications measure the run from here.
      failing_since: (eb) => eb.fn.coalesce("failing_since", eb.val(now.toISOString())),
      last_poll_at: now.toISOString(),
      failure_count: failureCount,
      next_poll_at: nextPollAt,
      updated_at: now.toISOString(),
    })
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .execute();
  return { failureCount, nextPollAt };
}

/** Records a successful poll: clears the error and the back-off. */
export async function recordSourceSuccess(
  db: Kysely<Database>,
  tenantId: number,
  id: number,
  now: Date = new Date(),
): Promise<{ nextPollAt: string } | null> {
  const row = await db
    .selectFrom("file_sources")
    .select(["interval_seconds"])
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .executeTakeFirst();
  if (!row) return null;
  const nextPollAt = new Date(now.getTime() + row.interval_seconds * 1000).toISOString();
  await db
    .updateTable("file_sources")
    .set({
      last_error: null,
      last_error_at: null,
      failing_since: null,
      failure_count: 0,
      last_poll_at: now.toISOString(),
      last_success_at: now.toISOString(),
      next_poll_at: nextPollAt,
      updated_at: now.toISOString(),
    })
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .execute();
  return { nextPollAt };
}
