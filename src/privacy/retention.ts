/**
 * Retention (LGPD art. 15, 16): personal data is kept no longer than each
 * tenant says, by default
 * - stored originals and reports of imported files: 90 days after the file
 *   arrived (the data dir's sealed copy; on local sources such as the
 *   embedded drop box also the moved file, its reports and return file);
 * - discarded files: 30 days (the same files of a refused file);
 * - message texts and destinations: 180 days after the campaign ended
 *   (messages keep their state and times, so every total stays right; the
 *   embedded outbox's copies and the mailing's per-person message go too);
 * - audit events: `tenants.audit_retention_days` (default 5 years, at least
 *   one; set by `retention set --audit` or `audit settings`), deleted.
 * Files on remote servers are the tenant's and are left alone.
 *
 * The job works in small batches, each its own short statement, yielding
 * between them, so imports and sends running at the same time are never
 * held up for long. It is idempotent (marks what it did) and logs counts only.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { setImmediate as yieldNow } from "node:timers/promises";
import { type Kysely, sql } from "kysely";
import type { Logger } from "../log.js";
import type { Dialect, Store } from "../store/db.js";
import {
  DEFAULT_AUDIT_RETENTION_DAYS,
  getPrivacySettings,
  setPrivacySettings,
} from "../store/privacy.js";
import type { Database, MailingState } from "../store/schema.js";
import { ValidationError } from "../store/tenants.js";
import { appendAudit } from "./audit.js";

export const RETENTION_DEFAULTS = {
  originalsDays: 90,
  messagesDays: 180,
  discardedDays: 30,
  auditDays: DEFAULT_AUDIT_RETENTION_DAYS,
};

export interface Retention {
  originalsDays: number;
  messagesDays: number;
  discardedDays: number;
  /** Audit events (kept on the tenant: `tenants.audit_retention_days`, 365 to 36500). */
  auditDays: number;
}

const DAY_MS = 24 * 3600 * 1000;
const BATCH = 1000;
const TERMINAL_CAMPAIGN = ["finished", "cancelled", "expired"];
const DONE_FILE: MailingState[] = ["reported", "failed", "vanished"];

export async function getRetention(db: Kysely<Database>, tenantId: number): Promise<Retention> {
  const row = await db
    .selectFrom("retention_settings")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .executeTakeFirst();
  const privacy = await getPrivacySettings(db, tenantId);
  return {
    originalsDays: row?.originals_days ?? RETENTION_DEFAULTS.originalsDays,
    messagesDays: row?.messages_days ?? RETENTION_DEFAULTS.messagesDays,
    discardedDays: row?.discarded_days ?? RETENTION_DEFAULTS.discardedDays,
    auditDays: privacy?.auditRetentionDays ?? RETENTION_DEFAULTS.auditDays,
  };
}

export async function setRetention(
  db: Kysely<Database>,
  tenantId: number,
  change: Partial<Retention>,
  now: Date = new Date(),
): Promise<Retention> {
  const { auditDays, ...files } = change;
  for (const [key, days] of Object.entries(files)) {
    if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > 36_500)) {
      throw new ValidationError(
        `Prazo de retenção inválido (${key}): use um número inteiro de dias entre 1 e 36500.`,
      );
    }
  }
  // Both writes or neither: a change that fails halfway must not leave the audit's
  // retention changed and the files' not (or the reverse).
  return db.transaction().execute(async (trx) => {
    // The audit retention lives on the tenant, next to the other privacy settings, and keeps
    // their bounds (at least 365 days: a shorter trail would not answer what it is kept for).
    if (auditDays !== undefined) {
      await setPrivacySettings(trx, tenantId, { auditRetentionDays: auditDays });
    }
    const current = await getRetention(trx, tenantId);
    const next: Retention = {
      ...current,
      ...Object.fromEntries(Object.entries(files).filter(([, v]) => v !== undefined)),
    };
    const values = {
      originals_days: next.originalsDays,
      messages_days: next.messagesDays,
      discarded_days: next.discardedDays,
      updated_at: now.toISOString(),
    };
    await trx
      .insertInto("retention_settings")
      .values({ tenant_id: tenantId, ...values })
      .onConflict((oc) => oc.column("tenant_id").doUpdateSet(values))
      .execute();
    return next;
  });
}

export interface RetentionReport {
  tenantId: number;
  retention: Retention;
  /** Imported files past retention: records, and files deleted (stored copies and local files). */
  originals: { mailings: number; files: number };
  discarded: { mailings: number; files: number };
  /** Campaigns whose messages were blanked, and how many messages. */
  messages: { campaigns: number; messages: number };
  /** Audit events deleted (past the audit retention). */
  audit: { events: number };
}

export interface RetentionOptions {
  now?: () => Date;
  dryRun?: boolean;
  log?: Logger;
  /** Only this tenant (default: every tenant). */
  tenantId?: number;
}

export async function runRetention(
  store: Store,
  options: RetentionOptions = {},
): Promise<RetentionReport[]> {
  const db = store.db;
  const now = (options.now ?? (() => new Date()))();
  const tenants =
    options.tenantId !== undefined
      ? [{ id: options.tenantId }]
      : await db.selectFrom("tenants").select("id").orderBy("id").execute();
  const reports: RetentionReport[] = [];
  for (const { id: tenantId } of tenants) {
    const retention = await getRetention(db, tenantId);
    const cutoff = (days: number) => new Date(now.getTime() - days * DAY_MS).toISOString();
    const report: RetentionReport = {
      tenantId,
      retention,
      originals: await purgeFiles(
        db,
        tenantId,
        "accepted",
        cutoff(retention.originalsDays),
        now,
        options.dryRun === true,
      ),
      discarded: await purgeFiles(
        db,
        tenantId,
        "discarded",
        cutoff(retention.discardedDays),
        now,
        options.dryRun === true,
      ),
      messages: await purgeMessages(
        db,
        tenantId,
        cutoff(retention.messagesDays),
        now,
        options.dryRun === true,
      ),
      audit: await purgeAudit(
        db,
        store.dialect,
        tenantId,
        cutoff(retention.auditDays),
        options.dryRun === true,
      ),
    };
    reports.push(report);
    const removed =
      report.originals.mailings +
      report.discarded.mailings +
      report.messages.campaigns +
      report.audit.events;
    options.log?.info(options.dryRun ? "retention dry run" : "retention purge", {
      tenantId,
      originalsMailings: report.originals.mailings,
      originalsFiles: report.originals.files,
      discardedMailings: report.discarded.mailings,
      discardedFiles: report.discarded.files,
      campaigns: report.messages.campaigns,
      messages: report.messages.messages,
      auditEvents: report.audit.events,
    });
    if (!options.dryRun && removed > 0) {
      await appendAudit(db, {
        tenantId,
        actor: "retention",
        action: "retention.purge",
        subject: null,
        details: {
          originals: report.originals,
          discarded: report.discarded,
          messages: report.messages,
          audit: report.audit,
        },
        at: now.toISOString(),
      });
    }
  }
  return reports;
}

async function purgeFiles(
  db: Kysely<Database>,
  tenantId: number,
  outcome: "accepted" | "discarded",
  cutoff: string,
  now: Date,
  dryRun: boolean,
): Promise<{ mailings: number; files: number }> {
  const done = { mailings: 0, files: 0 };
  let afterId = 0;
  for (;;) {
    const rows = await db
      .selectFrom("mailings as m")
      .leftJoin("file_sources as s", "s.id", "m.source_id")
      .select(["m.id", "m.stored_path", "m.moved_to", "m.reports_json", "s.protocol", "s.root"])
      .where("m.tenant_id", "=", tenantId)
      .where("m.outcome", "=", outcome)
      .where("m.state", "in", DONE_FILE)
      .where("m.files_purged_at", "is", null)
      .where("m.first_seen_at", "<", cutoff)
      .where("m.id", ">", afterId)
      .orderBy("m.id")
      .limit(100)
      .execute();
    if (rows.length === 0) return done;
    for (const m of rows) {
      afterId = m.id;
      done.mailings++;
      const paths: string[] = [];
      if (m.stored_path !== null) {
        // One copy per content: kept while a record not yet past retention uses it.
        const younger = await db
          .selectFrom("mailings")
          .select("id")
          .where("stored_path", "=", m.stored_path)
          .where("id", "!=", m.id)
          .where("first_seen_at", ">=", cutoff)
          .executeTakeFirst();
        if (!younger) paths.push(m.stored_path);
      }
      if (m.protocol === "local" && m.root) {
        const returns = await db
          .selectFrom("campaigns")
          .select("return_path")
          .where("mailing_id", "=", m.id)
          .where("return_path", "is not", null)
          .execute();
        for (const rel of [
          ...(m.moved_to ? [m.moved_to] : []),
          ...(JSON.parse(m.reports_json ?? "[]") as string[]),
          ...returns.map((r) => r.return_path as string),
        ]) {
          paths.push(join(m.root, rel));
        }
      }
      done.files += paths.length;
      if (dryRun) continue;
      for (const path of paths) await rm(path, { force: true });
      await db
        .updateTable("mailings")
        .set({ stored_path: null, files_purged_at: now.toISOString() })
        .where("id", "=", m.id)
        .execute();
    }
    await yieldNow();
  }
}

async function purgeMessages(
  db: Kysely<Database>,
  tenantId: number,
  cutoff: string,
  now: Date,
  dryRun: boolean,
): Promise<{ campaigns: number; messages: number }> {
  const done = { campaigns: 0, messages: 0 };
  const campaigns = await db
    .selectFrom("campaigns")
    .select(["id", "mailing_id"])
    .where("tenant_id", "=", tenantId)
    .where("state", "in", TERMINAL_CAMPAIGN)
    .where("texts_purged_at", "is", null)
    .where((eb) => eb(eb.fn.coalesce("ended_at", "updated_at"), "<", cutoff))
    .orderBy("id")
    .execute();
  for (const c of campaigns) {
    done.campaigns++;
    if (dryRun) {
      const n = await db
        .selectFrom("messages")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("campaign_id", "=", c.id)
        .where((eb) => eb.or([eb("address", "!=", ""), eb("body", "is not", null)]))
        .executeTakeFirstOrThrow();
      done.messages += Number(n.n);
      continue;
    }
    // By id ranges (a campaign's messages are planned in one statement, so their ids are
    // close together): each batch is one short statement on the primary key.
    const span = await db
      .selectFrom("messages")
      .select((eb) => [eb.fn.min("id").as("lo"), eb.fn.max("id").as("hi")])
      .where("campaign_id", "=", c.id)
      .executeTakeFirst();
    const lo = span?.lo === null || span?.lo === undefined ? null : Number(span.lo);
    const hi = span?.hi === null || span?.hi === undefined ? null : Number(span.hi);
    if (lo !== null && hi !== null) {
      for (let from = lo; from <= hi; from += BATCH) {
        const changed = await db
          .updateTable("messages")
          .set({ address: "", body: null })
          .where("campaign_id", "=", c.id)
          .where("id", ">=", from)
          .where("id", "<", from + BATCH)
          .where((eb) => eb.or([eb("address", "!=", ""), eb("body", "is not", null)]))
          .executeTakeFirst();
        done.messages += Number(changed.numUpdatedRows);
        await db
          .updateTable("outbox")
          .set({ address: "", payload_json: JSON.stringify({ expirado: true }) })
          .where("message_id", ">=", from)
          .where("message_id", "<", from + BATCH)
          .where("address", "!=", "")
          .execute();
        await yieldNow();
      }
    }
    if (c.mailing_id !== null) {
      // The mailing's other campaigns may still be running: its texts go with its last one.
      const open = await db
        .selectFrom("campaigns")
        .select("id")
        .where("mailing_id", "=", c.mailing_id)
        .where("id", "!=", c.id)
        .where("texts_purged_at", "is", null)
        .executeTakeFirst();
      if (!open) {
        let after = -1;
        for (;;) {
          // A cursor on the key: each batch starts where the last ended, never re-reading.
          const people = (
            await db
              .selectFrom("mailing_persons")
              .select("person_id")
              .where("mailing_id", "=", c.mailing_id)
              .where("person_id", ">", after)
              .orderBy("person_id")
              .limit(BATCH)
              .execute()
          ).map((r) => r.person_id);
          const last = people.at(-1);
          if (last === undefined) break;
          after = last;
          await db
            .updateTable("mailing_persons")
            .set({ message: null })
            .where("mailing_id", "=", c.mailing_id)
            .where("person_id", "in", people)
            .where("message", "is not", null)
            .execute();
          await yieldNow();
        }
      }
    }
    await db
      .updateTable("campaigns")
      .set({ texts_purged_at: now.toISOString() })
      .where("id", "=", c.id)
      .execute();
  }
  return done;
}

/**
 * The database's own cutoff for the tenant's audit events, written exactly as
 * the append-only triggers of migration 0015 compute it (same clock, same
 * day arithmetic, same text format), so that a row this selects is a row the
 * trigger lets go.
 */
function databaseAuditCutoff(dialect: Dialect, tenantId: number) {
  return dialect === "postgres"
    ? sql<string>`(SELECT to_char(
        (now() - make_interval(days => t.audit_retention_days)) AT TIME ZONE 'UTC',
        'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') FROM tenants t WHERE t.id = ${tenantId})`
    : sql<string>`(SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-' || t.audit_retention_days || ' days')
        FROM tenants t WHERE t.id = ${tenantId})`;
}

/**
 * Deletes the tenant's audit events past the audit retention, a batch of
 * ids at a time (each a short statement on the (tenant_id, at) index).
 *
 * The trigger that guards the trail judges a DELETE by the database's clock,
 * the job by its own (injected in tests, or a host whose clock runs ahead of
 * the database's). One event refused by the trigger would abort the whole
 * batch, and every run after it: so an event goes only when it is past
 * retention by both clocks (older than the job's cutoff AND the database's,
 * computed in the statement by the trigger's own expression). A job clock
 * ahead deletes no more than the database allows; one behind deletes less,
 * and the rest goes on a later run.
 */
async function purgeAudit(
  db: Kysely<Database>,
  dialect: Dialect,
  tenantId: number,
  cutoff: string,
  dryRun: boolean,
): Promise<{ events: number }> {
  const due = () =>
    db
      .selectFrom("audit_events")
      .where("tenant_id", "=", tenantId)
      .where("at", "<", cutoff)
      .where("at", "<", databaseAuditCutoff(dialect, tenantId));
  if (dryRun) {
    const n = await due()
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    return { events: Number(n.n) };
  }
  let events = 0;
  for (;;) {
    const batch = due().select("id").orderBy("at").orderBy("id").limit(BATCH);
    const deleted = await db.deleteFrom("audit_events").where("id", "in", batch).executeTakeFirst();
    const n = Number(deleted.numDeletedRows);
    events += n;
    if (n < BATCH) return { events };
    await yieldNow();
  }
}

/**
 * Runs the job once a day (first run one minute after start) until stopped.
 * Returns the stop function.
 */
export function scheduleRetention(store: Store, log: Logger, everyMs = DAY_MS): () => void {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      await runRetention(store, { log });
    } catch (error) {
      log.warn("retention job failed; it runs again tomorrow", { error });
    } finally {
      running = false;
    }
  };
  const first = setTimeout(tick, Math.min(60_000, everyMs));
  const daily = setInterval(tick, everyMs);
  first.unref();
  daily.unref();
  return () => {
    clearTimeout(first);
    clearInterval(daily);
  };
}
