/**
 * Delivers the notification outbox (events.ts) in `serve`:
 * - due rows are claimed with a lease (one conditional UPDATE; on PostgreSQL
 *   `FOR UPDATE SKIP LOCKED`), so several processes on one database never
 *   deliver the same row at once, and a dead process's rows are taken over
 *   when the lease expires. A claim counts as an attempt: a row whose
 *   delivery keeps killing the process still ends.
 * - each attempt is logged (notification_deliveries: when, status code,
 *   error, duration); a failed one is retried with exponential back-off
 *   (base·2^(n−1), capped), and after `maxAttempts` or `maxAgeMs` since the
 *   event the row ends "failed".
 * - every `sweepEveryMs` the failing sources are checked (sweepFailingSources).
 * Receivers may get an event twice (a crash after the POST, before the
 * record): the event id (X-Remessa-Event-Id, body `id`) tells repeats apart.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { type Kysely, sql } from "kysely";
import type { Logger } from "../log.js";
import type { Resolver } from "../sources/host-guard.js";
import { busyRetry } from "../store/busy.js";
import type { Store } from "../store/db.js";
import type { Database, NotificationTarget } from "../store/schema.js";
import { sendNotificationEmail } from "./email.js";
import { type EventBody, enqueue, sweepFailingSources } from "./events.js";
import { type NotifyPolicy, webhookTarget } from "./settings.js";
import { type AttemptResult, postWebhook } from "./webhook.js";

export interface NotificationWorkerOptions {
  store: Store;
  log: Logger;
  policy: NotifyPolicy;
  owner?: string;
  clock?: () => Date;
  /** How often the outbox is looked at. Default 2 s. */
  tickMs?: number;
  /** First retry after a failed attempt; doubles per attempt. Default 30 s. */
  retryBaseMs?: number;
  /** Longest wait between attempts. Default 1 h. */
  maxRetryMs?: number;
  /** Attempts before giving up. Default 30: with the waits above, about a day (maxAgeMs ends it first). */
  maxAttempts?: number;
  /** Age of an event after which it is not tried again. Default 24 h. */
  maxAgeMs?: number;
  /** Lease on a row being delivered. Default 60 s (above every timeout below). */
  leaseMs?: number;
  /** Rows delivered per tick. Default 20. */
  batch?: number;
  /** Failing sources are checked this often. Default 30 s. */
  sweepEveryMs?: number;
  /** Per attempt (webhook answer, SMTP steps). Default 10 s. */
  timeoutMs?: number;
  secretKey?: Buffer;
  resolver?: Resolver;
}

type Db = Kysely<Database>;

interface Claimed {
  id: number;
  tenant_id: number;
  event: string;
  target: NotificationTarget;
  payload_json: string;
  attempts: number;
  created_at: string;
}

export interface DeliveryOutcome extends AttemptResult {
  notificationId: number;
  target: NotificationTarget;
  attempt: number;
  status: "pending" | "delivered" | "failed";
}

export class NotificationWorker {
  readonly owner: string;
  private readonly clock: () => Date;
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private lastSweep = Number.NEGATIVE_INFINITY;
  private readonly abort = new AbortController();

  constructor(private readonly options: NotificationWorkerOptions) {
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.clock = options.clock ?? (() => new Date());
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        try {
          await this.tick();
        } catch (error) {
          this.options.log.warn("notification delivery round failed", { error });
        }
        if (!this.running) break;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.options.tickMs ?? 2000);
          timer.unref();
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = null;
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.abort.abort();
    this.wake?.();
    await this.loop;
    // Rows taken and not delivered: free them for the next process now.
    await busyRetry(() =>
      this.options.store.db
        .updateTable("notifications")
        .set({ lease_owner: null, lease_expires_at: null })
        .where("lease_owner", "=", this.owner)
        .where("status", "=", "pending")
        .execute(),
    ).catch(() => undefined);
  }

  /** One round: the failing-source sweep when due, then the due rows. Returns rows attempted. */
  async tick(): Promise<number> {
    const now = this.clock();
    if (now.getTime() - this.lastSweep >= (this.options.sweepEveryMs ?? 30_000)) {
      this.lastSweep = now.getTime();
      const n = await busyRetry(() => sweepFailingSources(this.options.store, now));
      if (n > 0) this.options.log.info("failing sources notified", { count: n });
    }
    const claimed = await this.claim(now);
    for (const row of claimed) {
      if (this.abort.signal.aborted) break;
      await this.deliver(row);
    }
    return claimed.length;
  }

  private async claim(now: Date): Promise<Claimed[]> {
    const { store } = this.options;
    const nowIso = now.toISOString();
    const until = new Date(now.getTime() + (this.options.leaseMs ?? 60_000)).toISOString();
    const lock = store.dialect === "postgres" ? sql`for update skip locked` : sql``;
    const { rows } = await busyRetry(() =>
      sql<Claimed>`
        update notifications
           set lease_owner = ${this.owner}, lease_expires_at = ${until}, attempts = attempts + 1
         where id in (
                 select id from notifications
                  where status = 'pending'
                    and next_attempt_at <= ${nowIso}
                    and (lease_expires_at is null or lease_expires_at < ${nowIso})
                  order by next_attempt_at, id
                  limit ${this.options.batch ?? 20}
                  ${lock}
               )
        returning id, tenant_id, event, target, payload_json, attempts, created_at`.execute(
        store.db,
      ),
    );
    return rows.map((r) => ({
      ...r,
      id: Number(r.id),
      tenant_id: Number(r.tenant_id),
      attempts: Number(r.attempts),
    }));
  }

  /** One attempt at one target (no record). */
  async attempt(
    db: Db,
    tenantId: number,
    target: NotificationTarget,
    body: EventBody,
    deliveryId: number,
  ): Promise<AttemptResult> {
    const { policy } = this.options;
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    if (target === "webhook") {
      const webhook = await webhookTarget(db, tenantId, this.options.secretKey);
      if (!webhook) {
        return { ok: false, statusCode: null, error: "Webhook removido das configurações." };
      }
      return postWebhook({
        url: webhook.url,
        secret: webhook.secret,
        body: JSON.stringify(body),
        event: body.event,
        eventId: body.id,
        deliveryId,
        timestamp: Math.floor(this.clock().getTime() / 1000),
        policy,
        timeoutMs,
        signal: this.abort.signal,
        ...(this.options.resolver ? { resolver: this.options.resolver } : {}),
      });
    }
    const row = await db
      .selectFrom("notification_settings")
      .select("emails_json")
      .where("tenant_id", "=", tenantId)
      .executeTakeFirst();
    const to = JSON.parse(row?.emails_json ?? "[]") as string[];
    if (to.length === 0) {
      return { ok: false, statusCode: null, error: "Nenhum e-mail nas configurações." };
    }
    return sendNotificationEmail({
      db,
      tenantId,
      to,
      body,
      policy,
      now: this.clock().toISOString(),
      timeoutMs,
      ...(this.options.secretKey ? { key: this.options.secretKey } : {}),
      ...(this.options.resolver ? { resolver: this.options.resolver } : {}),
    });
  }

  /** Delivers a claimed row once and records the attempt and what comes next. */
  async deliver(
    row: Claimed,
    maxAttempts = this.options.maxAttempts ?? 30,
  ): Promise<DeliveryOutcome> {
    const { store } = this.options;
    const started = Date.now();
    let result: AttemptResult;
    try {
      const body = JSON.parse(row.payload_json) as EventBody;
      result = await this.attempt(store.db, row.tenant_id, row.target, body, row.id);
    } catch (error) {
      result = {
        ok: false,
        statusCode: null,
        error: `Erro interno ao entregar: ${(error as Error)?.message ?? String(error)}`,
      };
    }
    const duration = Date.now() - started;
    if (!result.ok && this.abort.signal.aborted) {
      // Cut short by stop(): not the receiver's failure. stop() frees the row for the next process.
      return {
        ...result,
        notificationId: row.id,
        target: row.target,
        attempt: row.attempts,
        status: "pending",
      };
    }
    const now = this.clock();
    const maxAge = this.options.maxAgeMs ?? 24 * 3600_000;
    const giveUp =
      !result.ok &&
      (row.attempts >= maxAttempts || now.getTime() - Date.parse(row.created_at) >= maxAge);
    const status = result.ok ? "delivered" : giveUp ? "failed" : "pending";
    const base = this.options.retryBaseMs ?? 30_000;
    const wait = Math.min(
      base * 2 ** Math.min(row.attempts - 1, 30),
      this.options.maxRetryMs ?? 3600_000,
    );
    await busyRetry(() =>
      store.db.transaction().execute(async (trx) => {
        const updated = await trx
          .updateTable("notifications")
          .set({
            status,
            lease_owner: null,
            lease_expires_at: null,
            last_error: result.error,
            next_attempt_at:
              status === "pending"
                ? new Date(now.getTime() + wait).toISOString()
                : now.toISOString(),
            finished_at: status === "pending" ? null : now.toISOString(),
          })
          .where("id", "=", row.id)
          .where("lease_owner", "=", this.owner)
          .executeTakeFirst();
        // Lease lost meanwhile (taken over after expiring): the other process records its own.
        if (Number(updated.numUpdatedRows) === 0) return;
        await trx
          .insertInto("notification_deliveries")
          .values({
            tenant_id: row.tenant_id,
            notification_id: row.id,
            attempt: row.attempts,
            at: now.toISOString(),
            ok: result.ok ? 1 : 0,
            status_code: result.statusCode,
            error: result.error,
            duration_ms: duration,
          })
          .execute();
      }),
    );
    const log = this.options.log;
    const fields = {
      notificationId: row.id,
      event: row.event,
      target: row.target,
      attempt: row.attempts,
    };
    if (result.ok) log.info("notification delivered", fields);
    else if (status === "failed")
      log.warn("notification given up", { ...fields, error: result.error });
    else log.info("notification attempt failed", { ...fields, error: result.error });
    return { ...result, notificationId: row.id, target: row.target, attempt: row.attempts, status };
  }

  /**
   * A test event to every configured target now (POST /notifications/test,
   * `notifications test`): written to the outbox and delivered at once, one
   * attempt each, logged like any other (no retries: the caller sees the verdict).
   */
  async sendTest(tenantId: number): Promise<DeliveryOutcome[]> {
    const { store } = this.options;
    const now = this.clock();
    const nowIso = now.toISOString();
    const key = `test:${randomUUID()}`;
    const targets = await busyRetry(() =>
      enqueue(
        store.db,
        tenantId,
        {
          event: "test",
          dedupKey: key,
          occurredAt: nowIso,
          data: { message: "Teste das notificações do remessa." },
        },
        nowIso,
      ),
    );
    if (targets.length === 0) return [];
    const until = new Date(now.getTime() + (this.options.leaseMs ?? 60_000)).toISOString();
    const rows = await busyRetry(() =>
      store.db
        .updateTable("notifications")
        .set({
          lease_owner: this.owner,
          lease_expires_at: until,
          attempts: 1,
          // Only this attempt: the row ends with it, whatever the verdict.
          status: "pending",
        })
        .where("tenant_id", "=", tenantId)
        .where("dedup_key", "=", key)
        .returning(["id", "tenant_id", "event", "target", "payload_json", "attempts", "created_at"])
        .execute(),
    );
    const outcomes: DeliveryOutcome[] = [];
    for (const r of rows) {
      const row: Claimed = {
        ...r,
        id: Number(r.id),
        tenant_id: Number(r.tenant_id),
        attempts: Number(r.attempts),
        target: r.target,
      };
      // A test is tried once: it ends failed at its first failure.
      outcomes.push(await this.deliver(row, 1));
    }
    return outcomes;
  }
}
