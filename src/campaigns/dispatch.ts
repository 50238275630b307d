/**
 * The dispatcher (SPEC §7, issue 11 "Dispatch"): claims due messages in
 * batches under a lease, applies the send-time rules, renders them, hands
 * them to the sender's channel at the sender's shared rate and records what
 * came back. Many dispatchers (threads of one `serve`, or other processes on
 * one PostgreSQL) work side by side: the claim hands each message to one of
 * them, the rate limit is shared through the database.
 *
 * Per batch (one campaign, so one sender), in this order:
 * - the deadline (`_LE`) has passed → expired: nothing goes after it, retries included;
 * - outside the wallet's send window → back to pending at the next opening;
 * - `_x`: an inbound contact from the address or the person in the last N hours → skipped CONTATO_RECENTE;
 * - on the wallet's restriction list now → skipped RESTRITO (an opt-out after planning counts);
 * - rendered with the person's current values, sent: sent | retry (back-off
 *   with jitter, never past the deadline) | throttled (retry, and the sender
 *   slows down for every worker) | failed (the provider's reason).
 * A crash leaves the batch in "sending"; once its lease expires another
 * dispatcher takes it again, so at most that batch is sent twice (counted as
 * `reclaimed`), and nothing is lost. A channel that sends by writing to this
 * same SQLite database (the outbox) needs no lease: its batches are read
 * (peek) and each message is sent and marked sent in one transaction
 * (Channel.sendAndRecord), exactly once; that spares a write per message.
 *
 * Core logic only: the database work goes through `DispatchStore`
 * (dispatch-store.ts), time through the injected clock.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Logger } from "../log.js";
import { normalizeColumnName } from "../mailing/header.js";
import { renderMessage } from "../mailing/placeholders.js";
import type { PersonRecord } from "../mailing/types.js";
import { type Metrics, noMetrics } from "../metrics.js";
import {
  fillTemplate,
  mappingColumns,
  storedTemplateMapping,
  type TemplateMapping,
} from "../store/template-mapping.js";
import type {
  Channel,
  ChannelKind,
  Clock,
  FilledTemplate,
  OutgoingMessage,
  SenderRef,
  SendResult,
} from "./channel.js";
import { Lifecycle, type LifecycleStore } from "./lifecycle.js";
import { planSlots, type RateBucketStore, RateLimiter } from "./rate-limit.js";
import { nextOpening, type SendWindow } from "./window.js";

/** What the dispatcher needs to know about a campaign to send its messages. */
export interface CampaignPlan {
  id: number;
  tenantId: number;
  channel: ChannelKind;
  walletId: number | null;
  /** Epoch ms, or null without `_LE`. */
  deadlineMs: number | null;
  excludeRecentHours: number | null;
  subject: string | null;
  /** Null when the campaign's sender or account is gone. */
  sender: SenderRef | null;
  ratePerSecond: number;
  /** WhatsApp messaging tier of the sender (unique recipients per rolling 24 h); null/absent = none. */
  messagingTier?: number | null;
  template: { name: string; language: string; params: string[]; body: string | null } | null;
  window: SendWindow | null;
  timeZone: string;
}

export interface ClaimedMessage {
  id: number;
  waveId: number | null;
  personId: number;
  address: string;
  body: string | null;
  /** Including this claim. */
  attempts: number;
  /** Taken over from a dispatcher whose lease expired: it may have been sent already. */
  reclaimed: boolean;
  /**
   * The person's current values (tags excepted), when the claim was asked for
   * them; null when the person is gone.
   */
  person?: PersonView | null;
}

/** The person's current values, as the placeholders see them. */
export interface PersonView {
  name: string | null;
  document: string | null;
  codCliente: string | null;
  fields: Record<string, string>;
  tags: string[];
}

/** A claimed message's new state; `at` (epoch ms) stamps it. */
export type MessageOutcome =
  | {
      id: number;
      at: number;
      state: "sent";
      providerId: string | null;
      segments: number | null;
      /** Already written with the send (Channel.sendAndRecord): not recorded again. */
      recorded?: boolean;
    }
  /** Back to the queue: retry, throttled, outside the window or not sent in time. */
  | { id: number; at: number; state: "pending"; nextAttemptAt: number; error: string | null }
  | { id: number; at: number; state: "failed"; error: string }
  | { id: number; at: number; state: "skipped"; reason: SkipReason }
  | { id: number; at: number; state: "expired" };

/** Send-time skip reasons (messages.skip_reason). */
export type SkipReason = "RESTRITO" | "CONTATO_RECENTE";

/** The dispatcher's view of the database (implemented by dispatch-store.ts). */
export interface DispatchStore extends RateBucketStore, LifecycleStore {
  /** Campaigns in scheduled|running with a pending message due, or a sending one whose lease expired. */
  dueCampaigns(nowIso: string): Promise<number[]>;
  /** The earliest instant something may become due (next_attempt_at, lease expiry, deadline), or null. */
  nextDueAt(nowIso: string): Promise<string | null>;
  loadCampaign(id: number): Promise<CampaignPlan | null>;
  /**
   * Takes expired-lease messages first, then due pending ones; only of a
   * scheduled|running campaign. `withPersons`: each comes with its person's
   * current values (as `persons` gives them, without tags).
   */
  claim(
    campaignId: number,
    owner: string,
    nowIso: string,
    leaseUntilIso: string,
    limit: number,
    withPersons?: boolean,
    /** Only messages whose lease expired (see peek). */
    onlyExpired?: boolean,
  ): Promise<ClaimedMessage[]>;
  /**
   * Without a lease, for a channel that sends and records in one transaction
   * (Channel.sendAndRecord): the campaign's due pending messages, read and
   * left unchanged (`attempts` includes this one), as claim() orders them.
   * Messages whose lease expired are left to claim().
   */
  peek?(
    campaignId: number,
    nowIso: string,
    limit: number,
    withPersons?: boolean,
  ): Promise<ClaimedMessage[]>;
  /**
   * Send window closed: the campaign's due pending messages, and sending ones
   * whose lease expired, wait (pending) until `untilIso`.
   */
  deferPending(
    campaignId: number,
    nowIso: string,
    untilIso: string,
  ): Promise<{ deferred: number; stale: number }>;
  /** Current values of these persons; their tags only when `withTags`. */
  persons(
    tenantId: number,
    ids: readonly number[],
    withTags: boolean,
  ): Promise<Map<number, PersonView>>;
  /** Addresses and persons among these with an inbound interaction at or after `sinceIso`. */
  recentInbound(
    tenantId: number,
    sinceIso: string,
    addresses: readonly string[],
    personIds: readonly number[],
  ): Promise<{ addresses: Set<string>; persons: Set<number> }>;
  /**
   * The destinations among these, and the persons among these by their CPF/CNPJ, restricted for
   * this channel in this wallet or in the whole tenant (null wallet: the tenant's entries only).
   */
  restricted(
    tenantId: number,
    walletId: number | null,
    channel: ChannelKind,
    kind: "phone" | "email",
    values: readonly string[],
    personIds: readonly number[],
  ): Promise<{ values: Set<string>; persons: Set<number> }>;
  /**
   * Messaging tier (WhatsApp): which of these addresses the sender may write
   * to now without passing `tier` unique recipients in the 24 h before
   * `nowIso` (those it wrote to in that window are free); the allowed ones are
   * counted from now on. `retryAt`: when the window frees a place, if some
   * were left out.
   */
  reserveRecipients?(
    tenantId: number,
    senderKey: string,
    tier: number,
    addresses: readonly string[],
    nowIso: string,
  ): Promise<{ allowed: Set<string>; retryAt: string | null }>;
  /**
   * Applies outcomes of messages this owner still holds; returns how many
   * were applied. Owner null: messages read by peek, applied while still
   * pending, each counting its attempt.
   */
  record(owner: string | null, outcomes: readonly MessageOutcome[]): Promise<number>;
}

export interface DispatcherOptions {
  store: DispatchStore;
  /** Lease owner id; default host:pid:random. */
  owner?: string;
  /** The channel that sends for a sender (by its provider), or null when none is available here. */
  channelFor: (sender: SenderRef) => Channel | null;
  clock?: Clock;
  /** Waits (tests inject one that moves their clock). */
  sleep?: (ms: number) => Promise<void>;
  /** Jitter source, [0, 1). */
  random?: () => number;
  log: Logger;
  /** Most messages claimed per batch. Default 500. */
  batchSize?: number;
  /** A batch holds at most this many seconds of its sender's rate. Default 2. */
  batchSeconds?: number;
  leaseMs?: number;
  /** A channel call that takes longer is aborted and its messages retried. Default 30 s. */
  sendTimeoutMs?: number;
  /** First retry delay; doubles per attempt, with ±50 % jitter. Default 30 s. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Attempts before a message that keeps failing transiently fails for good. Default 10. */
  maxAttempts?: number;
  /** Campaigns worked on at once. Default 32. */
  concurrency?: number;
  /** Longest sleep of the loop when nothing is due. Default 1 s. */
  idleMs?: number;
  /** How often finished/expired campaigns are looked for. Default 1 s. */
  settleEveryMs?: number;
  /** Seconds a throttled sender pauses when the provider does not say. Default 1 s. */
  throttlePauseMs?: number;
  /**
   * Batches of one campaign worked on at once when its sender is fast enough
   * to keep them all busy (PostgreSQL gains from it; SQLite has one writer).
   * Default 1.
   */
  parallelBatches?: number;
  /**
   * Channel calls of one batch waiting for their answers at once (each one
   * slot of the rate limit). Default 16.
   */
  sendsInFlight?: number;
  /**
   * `serve` loop: a campaign's next batch is claimed and checked this long
   * before the current one's last slot. Default 1 s.
   */
  prefetchMs?: number;
  /** A campaign's settings are read again after this long. Default 5 s. */
  planTtlMs?: number;
  /** Messages and lost leases are counted here (default: not counted). */
  metrics?: Metrics;
}

export interface DispatchStats {
  claimed: number;
  /** Claimed again after another dispatcher's lease expired (possible re-sends). */
  reclaimed: number;
  sent: number;
  retried: number;
  throttled: number;
  failed: number;
  skipped: number;
  expired: number;
  deferred: number;
  /** Messages held back by the sender's messaging tier (they wait for the 24 h window to roll). */
  tierDeferred: number;
  /**
   * Outcomes not applied because the lease had been taken over meanwhile
   * (unleased: the message was no longer pending when its chunk was written).
   */
  lostLeases: number;
}

const MESSAGE_NEEDED: Record<ChannelKind, string> = {
  sms: "Mensagem vazia: a pessoa não tem MENSAGEM e a campanha não tem modelo com texto.",
  email: "Mensagem vazia: a pessoa não tem MENSAGEM e a campanha não tem modelo com texto.",
  whatsapp: "Campanha de WhatsApp sem modelo: cadastre o modelo e crie a campanha de novo.",
};

/**
 * A channel call's answer for one message: the channel's result; sent and
 * already recorded (Channel.sendAndRecord); or taken: no longer pending when
 * written (another dispatcher sent it, or a cancel skipped it), left as it is.
 */
type Answer =
  | SendResult
  | { outcome: "sent"; providerId: null; segments?: undefined; recorded: true }
  | "taken";

/** The message handed to the channel, built whole in one literal (this runs per message). */
function outgoing(
  plan: CampaignPlan,
  sender: SenderRef,
  m: ClaimedMessage,
  text: string | null,
  template: FilledTemplate | null,
): OutgoingMessage {
  return {
    id: m.id,
    tenantId: plan.tenantId,
    campaignId: plan.id,
    channel: plan.channel,
    to: plan.channel === "email" ? m.address : `55${m.address}`,
    from: sender,
    text,
    subject: plan.channel === "email" ? plan.subject : null,
    template,
  };
}

/** Placeholders (normalized) filled from a person's own columns, not from its fields. */
const OWN_COLUMNS = new Set(["NOMECLIENTE", "CPFCNPJ", "CODCLIENTE", "TAG"]);

/** As in placeholders.ts: `[COLUMN]`. */
const PLACEHOLDER = /\[([^[\]\r\n]{1,60})\]/g;

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class Dispatcher {
  readonly owner: string;
  readonly stats: DispatchStats = {
    claimed: 0,
    reclaimed: 0,
    sent: 0,
    retried: 0,
    throttled: 0,
    failed: 0,
    skipped: 0,
    expired: 0,
    deferred: 0,
    tierDeferred: 0,
    lostLeases: 0,
  };
  readonly limiter: RateLimiter;
  readonly lifecycle: Lifecycle;
  private readonly clock: Clock;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly store: DispatchStore;
  private readonly log: Logger;
  private running = false;
  private loopDone: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private lastSettle = Number.NEGATIVE_INFINITY;
  private readonly plans = new Map<number, { plan: CampaignPlan | null; until: number }>();
  /** When each campaign's expired leases were last looked for (unleased batches). */
  private readonly expiredCheckedAt = new Map<number, number>();
  /** The `serve` loop's running campaign lanes. */
  private readonly lanes = new Map<number, Promise<void>>();

  constructor(private readonly options: DispatcherOptions) {
    this.store = options.store;
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.clock = options.clock ?? Date.now;
    this.sleep = options.sleep ?? realSleep;
    this.random = options.random ?? Math.random;
    this.log = options.log;
    this.limiter = new RateLimiter({ store: this.store, clock: this.clock, sleep: this.sleep });
    this.lifecycle = new Lifecycle(this.store, this.log);
  }

  private get leaseMs(): number {
    return this.options.leaseMs ?? 60_000;
  }

  /**
   * One cycle: settles campaigns (finished, expired at the deadline) when due,
   * then claims, sends and records one batch for each campaign with due work.
   * Returns the number of messages whose state changed.
   */
  async runOnce(): Promise<number> {
    const now = this.clock();
    if (now - this.lastSettle >= (this.options.settleEveryMs ?? 1000)) {
      this.lastSettle = now;
      await this.lifecycle.settle(new Date(now).toISOString());
    }
    const due = await this.store.dueCampaigns(new Date(now).toISOString());
    let done = 0;
    const limit = Math.max(1, this.options.concurrency ?? 32);
    for (let i = 0; i < due.length; i += limit) {
      const results = await Promise.all(
        due.slice(i, i + limit).map((id) =>
          this.runCampaign(id).catch((error) => {
            this.log.error("dispatch batch failed", { campaignId: id, error });
            return 0;
          }),
        ),
      );
      for (const n of results) done += n;
    }
    return done;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  /** Stops taking batches; the current one finishes (its results are recorded). */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wakeUp?.();
    await this.loopDone;
  }

  wake(): void {
    this.wakeUp?.();
  }

  /**
   * The `serve` loop: each campaign with due work gets a lane that runs its
   * batches back to back (see runLane) until it finds nothing more; the loop
   * settles campaigns, starts lanes for campaigns that became due, and sleeps
   * until the next thing is due.
   */
  private async loop(): Promise<void> {
    const idle = this.options.idleMs ?? 1000;
    const limit = Math.max(1, this.options.concurrency ?? 32);
    while (this.running) {
      let wait = idle;
      try {
        const now = this.clock();
        if (now - this.lastSettle >= (this.options.settleEveryMs ?? 1000)) {
          this.lastSettle = now;
          await this.lifecycle.settle(new Date(now).toISOString());
        }
        const due = await this.store.dueCampaigns(new Date(this.clock()).toISOString());
        for (const id of due) {
          if (this.lanes.size >= limit) break;
          if (this.lanes.has(id)) continue;
          const lane = this.runLane(id).finally(() => {
            this.lanes.delete(id);
            this.wakeUp?.();
          });
          this.lanes.set(id, lane);
        }
        if (this.lanes.size > 0) {
          // Lanes are sending: look again soon for campaigns that become due
          // meanwhile (a wave's start), and to settle ended ones.
          wait = Math.min(idle, 200);
        } else {
          // Sleep until the next thing becomes due (a wave's start), at most `idle`.
          const next = await this.store.nextDueAt(new Date(this.clock()).toISOString());
          if (next !== null) wait = Math.max(10, Math.min(idle, Date.parse(next) - this.clock()));
        }
      } catch (error) {
        this.log.error("dispatch loop error", { error });
      }
      if (!this.running) break;
      if (wait <= 0) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeUp = null;
    }
    await Promise.all(this.lanes.values());
  }

  /**
   * One campaign's batches back to back, without stopping between them: when
   * a batch's sending is nearly done (its last `prefetchMs` of slots), the
   * next batch is claimed, checked and rendered meanwhile, so its first slot
   * follows the last one of the current batch (the rate limit keeps both
   * within the sender's cap). Ends when a batch finds nothing to do, or on stop.
   */
  private runLane(campaignId: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let active = 0;
      const startBatch = () => {
        if (!this.running) {
          if (active === 0) resolve();
          return;
        }
        active++;
        let nextStarted = false;
        const next = () => {
          // At most two batches of a lane at once: the current one's tail and the next.
          if (nextStarted || active >= 2) return;
          nextStarted = true;
          startBatch();
        };
        // Messages put back as due now (no slot left before the lease's end or
        // the deadline) did not move: claiming them again at once would spin,
        // reserving slots the lane cannot use. Only moved messages go on.
        let moved = 0;
        const run = async () => {
          const plan = await this.plan(campaignId);
          if (plan) await this.runBatch(plan, next, (n) => (moved = n));
          return moved;
        };
        run()
          .catch((error) => {
            this.log.error("dispatch batch failed", { campaignId, error });
            return 0;
          })
          .then((done) => {
            active--;
            if (done > 0) next();
            // Nothing left running (the next batch, if started early, already ended).
            if (active === 0) resolve();
          });
      };
      startBatch();
    });
  }

  private async plan(campaignId: number): Promise<CampaignPlan | null> {
    const now = this.clock();
    const cached = this.plans.get(campaignId);
    if (cached && cached.until > now) return cached.plan;
    const plan = await this.store.loadCampaign(campaignId);
    this.plans.set(campaignId, { plan, until: now + (this.options.planTtlMs ?? 5000) });
    if (this.plans.size > 10_000) this.plans.clear();
    return plan;
  }

  private async runCampaign(campaignId: number): Promise<number> {
    const plan = await this.plan(campaignId);
    if (!plan) return 0;
    const batchSize = this.options.batchSize ?? 500;
    const parallel = Math.max(1, this.options.parallelBatches ?? 1);
    // Several batches at once only when the sender's rate keeps each one full.
    const lanes =
      parallel > 1 && plan.ratePerSecond * (this.options.batchSeconds ?? 2) >= batchSize * parallel
        ? parallel
        : 1;
    if (lanes === 1) return this.runBatch(plan);
    const done = await Promise.all(Array.from({ length: lanes }, () => this.runBatch(plan)));
    return done.reduce((a, b) => a + b, 0);
  }

  /** `nearlyDone`: called once when the batch's sending is nearly over (lanes start the next one). */
  private async runBatch(
    plan: CampaignPlan,
    nearlyDone?: () => void,
    /** Told how many of the batch's messages moved (all but those put back as due now). */
    onMoved?: (moved: number) => void,
  ): Promise<number> {
    const campaignId = plan.id;
    const now = this.clock();
    // At the deadline the lifecycle expires what is left; nothing is claimed.
    if (plan.deadlineMs !== null && now >= plan.deadlineMs) {
      await this.lifecycle.settle(new Date(now).toISOString());
      return 0;
    }
    if (plan.window) {
      const opening = nextOpening(now, plan.window, plan.timeZone);
      if (opening !== now) {
        // Closed: everything due waits for the opening (or the deadline, which wins).
        const until = Math.min(
          opening ?? Number.MAX_SAFE_INTEGER,
          plan.deadlineMs ?? Number.MAX_SAFE_INTEGER,
          8.64e15,
        );
        const { deferred, stale } = await this.store.deferPending(
          campaignId,
          new Date(now).toISOString(),
          new Date(until).toISOString(),
        );
        this.stats.deferred += deferred + stale;
        // Left in "sending" by a dispatcher that stopped: they may have gone out already.
        this.stats.reclaimed += stale;
        return 0;
      }
    }
    const perBatch = Math.max(
      1,
      Math.min(
        this.options.batchSize ?? 500,
        Math.ceil(plan.ratePerSecond * (this.options.batchSeconds ?? 2)),
      ),
    );
    const claimedAt = this.clock();
    const leaseUntil = claimedAt + this.leaseMs;
    // A channel that records its own sends needs no lease (see peek); what
    // a lease left behind (a crash, another channel before) is claimed first.
    const channel = plan.sender ? this.options.channelFor(plan.sender) : null;
    const peek =
      channel?.sendAndRecord !== undefined ? this.store.peek?.bind(this.store) : undefined;
    const claim = (onlyExpired: boolean) =>
      this.store.claim(
        campaignId,
        this.owner,
        new Date(claimedAt).toISOString(),
        new Date(leaseUntil).toISOString(),
        perBatch,
        true,
        onlyExpired,
      );
    let batch: ClaimedMessage[] = [];
    let leased = true;
    if (!peek) {
      batch = await claim(false);
    } else {
      // Expired leases are looked for at most every quarter lease while
      // pending work remains (a statement per batch otherwise), and always
      // once none is left.
      const checked = this.expiredCheckedAt.get(campaignId) ?? Number.NEGATIVE_INFINITY;
      const checkNow = claimedAt - checked >= this.leaseMs / 4;
      if (checkNow) {
        this.expiredCheckedAt.set(campaignId, claimedAt);
        if (this.expiredCheckedAt.size > 10_000) this.expiredCheckedAt.clear();
        batch = await claim(true);
      }
      if (batch.length === 0) {
        batch = await peek(campaignId, new Date(claimedAt).toISOString(), perBatch, true);
        leased = batch.length === 0;
        // Nothing pending: expired leases now, unless just looked for.
        if (leased && !checkNow) batch = await claim(true);
      }
    }
    if (batch.length === 0) return 0;
    this.stats.claimed += batch.length;
    const reclaimed = batch.filter((m) => m.reclaimed).length;
    if (reclaimed > 0) {
      this.stats.reclaimed += reclaimed;
      this.log.warn("messages reclaimed after an expired lease (may be sent twice)", {
        campaignId,
        count: reclaimed,
      });
    }
    await this.lifecycle.started(
      campaignId,
      [...new Set(batch.map((m) => m.waveId).filter((w): w is number => w !== null))],
      new Date(claimedAt).toISOString(),
    );
    let outcomes: MessageOutcome[];
    try {
      // Unleased batches run one after another: a next batch read before
      // this one is written would read the same messages.
      outcomes = leased
        ? await this.processBatch(plan, batch, leaseUntil, nearlyDone)
        : await this.processBatch(plan, batch, leaseUntil, undefined, false);
    } catch (error) {
      // A lookup before the sends failed (processBatch throws only before its
      // first channel call; after it, it records what it knows and keeps the
      // rest itself): nothing went out, so the batch goes back to the queue now
      // instead of waiting in "sending" for its lease to expire and coming back
      // as a possible re-send.
      this.log.error("dispatch batch failed before sending; retried later", {
        campaignId,
        error,
      });
      const at = this.clock();
      const reason = `Falha temporária no envio: ${(error as Error)?.message ?? String(error)}`;
      outcomes = batch.map((m) => this.retryOutcome(plan, m, at, reason));
    }
    const toRecord = outcomes.filter((o) => !(o.state === "sent" && o.recorded));
    const applied =
      (await this.store.record(leased ? this.owner : null, toRecord)) +
      (outcomes.length - toRecord.length);
    this.countMetrics(plan, outcomes);
    if (applied < outcomes.length) {
      this.stats.lostLeases += outcomes.length - applied;
      (this.options.metrics ?? noMetrics).leaseLost("messages");
      // Another dispatcher took these over (or they were expired meanwhile):
      // what they did here, sends included, is not recorded.
      this.log.warn("outcomes not recorded: lease taken over meanwhile", {
        campaignId,
        lost: outcomes.length - applied,
        sent: outcomes.filter((o) => o.state === "sent").length,
      });
    }
    for (const o of outcomes) this.count(o);
    onMoved?.(
      outcomes.filter(
        (o) => !(o.state === "pending" && o.error === null && o.nextAttemptAt <= o.at),
      ).length,
    );
    return outcomes.length;
  }

  /** What this batch did, by status (what went out counts even when its record was lost). */
  private countMetrics(plan: CampaignPlan, outcomes: readonly MessageOutcome[]): void {
    const metrics = this.options.metrics;
    if (!metrics) return;
    const byStatus = new Map<string, number>();
    for (const o of outcomes) {
      const status = o.state !== "pending" ? o.state : o.error !== null ? "retry" : "deferred";
      byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    }
    const provider = plan.sender?.provider ?? "none";
    for (const [status, n] of byStatus) metrics.messages(plan.channel, provider, status, n);
  }

  private count(o: MessageOutcome): void {
    if (o.state === "sent") this.stats.sent++;
    else if (o.state === "failed") this.stats.failed++;
    else if (o.state === "skipped") this.stats.skipped++;
    else if (o.state === "expired") this.stats.expired++;
  }

  /**
   * The send-time rules, rendering, rate limit and channel for one claimed
   * batch. Throws only before its first channel call. Once calls started it
   * waits for every one of them whatever fails, and returns every outcome it
   * knows; a message whose answer was lost gets none (it stays in "sending"
   * and is reclaimed after the lease, as after a crash).
   */
  async processBatch(
    plan: CampaignPlan,
    batch: readonly ClaimedMessage[],
    leaseUntil: number,
    nearlyDone?: () => void,
    /** False for a batch read by peek: sent through Channel.sendAndRecord. */
    leased = true,
  ): Promise<MessageOutcome[]> {
    const outcomes: MessageOutcome[] = [];
    let now = this.clock();
    if (plan.deadlineMs !== null && now >= plan.deadlineMs) {
      return batch.map((m) => ({ id: m.id, at: now, state: "expired" as const }));
    }
    if (plan.window) {
      const opening = nextOpening(now, plan.window, plan.timeZone);
      if (opening !== now) {
        const until = Math.min(opening ?? 8.64e15, plan.deadlineMs ?? 8.64e15);
        this.stats.deferred += batch.length;
        return batch.map((m) => ({
          id: m.id,
          at: now,
          state: "pending" as const,
          nextAttemptAt: until,
          error: null,
        }));
      }
    }
    let remaining = [...batch];
    if (plan.excludeRecentHours !== null && plan.excludeRecentHours > 0) {
      const since = new Date(now - plan.excludeRecentHours * 3_600_000).toISOString();
      const recent = await this.store.recentInbound(
        plan.tenantId,
        since,
        [...new Set(remaining.map((m) => m.address))],
        [...new Set(remaining.map((m) => m.personId))],
      );
      remaining = remaining.filter((m) => {
        if (!recent.addresses.has(m.address) && !recent.persons.has(m.personId)) return true;
        outcomes.push({ id: m.id, at: now, state: "skipped", reason: "CONTATO_RECENTE" });
        return false;
      });
    }
    if (remaining.length > 0) {
      const kind = plan.channel === "email" ? "email" : "phone";
      const restricted = await this.store.restricted(
        plan.tenantId,
        plan.walletId,
        plan.channel,
        kind,
        [...new Set(remaining.map((m) => m.address))],
        [...new Set(remaining.map((m) => m.personId))],
      );
      remaining = remaining.filter((m) => {
        if (!restricted.values.has(m.address) && !restricted.persons.has(m.personId)) return true;
        outcomes.push({ id: m.id, at: now, state: "skipped", reason: "RESTRITO" });
        return false;
      });
    }
    if (remaining.length === 0) return outcomes;

    const channel = plan.sender ? this.options.channelFor(plan.sender) : null;
    if (!plan.sender || !channel) {
      const error = plan.sender
        ? `Provedor "${plan.sender.provider}" não disponível neste remessa: instale-o ou troque o provedor do remetente.`
        : "Remetente da campanha não existe mais: cadastre-o de novo para a campanha continuar.";
      this.log.error("no channel for campaign", {
        campaignId: plan.id,
        provider: plan.sender?.provider ?? null,
      });
      for (const m of remaining) outcomes.push(this.retryOutcome(plan, m, now, error));
      return outcomes;
    }

    // Parsed once per batch, not per message.
    const mapping = plan.template ? storedTemplateMapping(plan.template.params) : null;
    // The person's values only matter when something has a placeholder to fill.
    const columns = new Set(mapping ? mappingColumns(mapping).map(normalizeColumnName) : []);
    for (const text of [
      ...new Set(remaining.map((m) => m.body ?? "")),
      plan.template?.body ?? "",
    ]) {
      for (const match of text.matchAll(PLACEHOLDER)) {
        columns.add(normalizeColumnName(match[1] as string));
      }
    }
    // Name, document, code and tags are columns of their own; any other name
    // is looked for among the person's fields.
    const withFields = [...columns].some((c) => !OWN_COLUMNS.has(c));
    let persons = new Map<number, PersonView>();
    if (columns.size > 0) {
      if (!columns.has("TAG") && remaining.every((m) => m.person !== undefined)) {
        // Came with the claim.
        for (const m of remaining) if (m.person) persons.set(m.personId, m.person);
      } else {
        persons = await this.store.persons(
          plan.tenantId,
          [...new Set(remaining.map((m) => m.personId))],
          columns.has("TAG"),
        );
      }
    }
    let ready: { message: ClaimedMessage; out: OutgoingMessage }[] = [];
    for (const m of remaining) {
      const rendered = this.render(
        plan,
        plan.sender,
        m,
        persons.get(m.personId),
        mapping,
        withFields,
      );
      if (typeof rendered === "string") {
        outcomes.push({ id: m.id, at: now, state: "failed", error: rendered });
      } else {
        ready.push({ message: m, out: rendered });
      }
    }
    const tier = plan.messagingTier ?? null;
    if (tier !== null && ready.length > 0 && this.store.reserveRecipients) {
      // The number may not write to more people in 24 h than its tier (Meta
      // blocks it otherwise): the rest wait for the window to roll.
      const { allowed, retryAt } = await this.store.reserveRecipients(
        plan.tenantId,
        plan.sender.key,
        tier,
        [...new Set(ready.map((c) => c.message.address))],
        new Date(now).toISOString(),
      );
      const wait = Math.min(
        retryAt ? Date.parse(retryAt) : now + 3_600_000,
        plan.deadlineMs ?? 8.64e15,
      );
      ready = ready.filter((c) => {
        if (allowed.has(c.message.address)) return true;
        this.stats.tierDeferred++;
        outcomes.push({
          id: c.message.id,
          at: now,
          state: "pending",
          nextAttemptAt: wait,
          error: `O número WhatsApp atingiu o limite do seu nível (${tier.toLocaleString("pt-BR")} pessoas em 24 horas): a mensagem sai quando a janela de 24 horas liberar.`,
        });
        return false;
      });
    }

    const slots = planSlots(plan.ratePerSecond, this.options.batchSize ?? 500);
    // Stop sending a little before the lease ends, so nobody else takes these meanwhile.
    const stopAt = Math.min(
      leaseUntil - Math.min(5000, this.leaseMs / 4),
      plan.deadlineMs ?? 8.64e15,
    );
    const sender = plan.sender;
    // Channel calls overlap: the next slot is reserved and used while earlier
    // calls still wait for their answers, so a provider's latency (an HTTP
    // round trip, an SMSC's response) does not stretch the spacing between
    // slots. The rate limit alone paces what goes out.
    const maxInFlight = Math.max(1, this.options.sendsInFlight ?? 16);
    const inFlight = new Set<Promise<void>>();
    /** Bumped by every "throttled" answer: a slot reserved before it is not used. */
    let throttles = 0;
    let pushingBack: Promise<void> | null = null;
    let stopped = false;
    /**
     * Messages handed to the channel whose answer could not be turned into an
     * outcome (settle failed on it): whether they went out is unknown, so they
     * are treated as a crash treats them, left in "sending" under this lease,
     * to be reclaimed (and counted) once it expires, never put back as unsent.
     */
    let lost = 0;
    /**
     * Unleased messages found no longer pending when their chunk was written
     * (another dispatcher sent them, or a cancel skipped them): not sent here.
     */
    let taken = 0;
    const settle = (chunk: typeof ready, results: readonly Answer[]) => {
      let at = now;
      let throttledFor = 0;
      try {
        at = this.clock();
      } catch (error) {
        this.log.error("dispatch clock failed while recording answers", { error });
      }
      for (const [k, c] of chunk.entries()) {
        // One message at a time: an answer that cannot be read loses only itself.
        try {
          const r = results[k] ?? {
            outcome: "retry",
            reason: "Sem resposta do provedor.",
          };
          if (r === "taken") {
            // Sent by another dispatcher or skipped by a cancel meanwhile: its state stands.
            taken++;
            continue;
          }
          switch (r.outcome) {
            case "sent":
              outcomes.push({
                id: c.message.id,
                at,
                state: "sent",
                providerId: r.providerId,
                segments: r.segments ?? null,
                // One shape for every outcome (no spread per message).
                recorded: "recorded" in r,
              });
              break;
            case "failed":
              outcomes.push({ id: c.message.id, at, state: "failed", error: r.reason });
              break;
            case "throttled":
              throttledFor = Math.max(
                throttledFor,
                r.afterMs ?? this.options.throttlePauseMs ?? 1000,
              );
              outcomes.push(this.retryOutcome(plan, c.message, at, r.reason, r.afterMs));
              this.stats.throttled++;
              break;
            default:
              outcomes.push(this.retryOutcome(plan, c.message, at, r.reason, r.afterMs));
          }
        } catch (error) {
          lost++;
          this.log.error("channel answer could not be recorded; the message stays in sending", {
            campaignId: plan.id,
            messageId: c.message.id,
            error,
          });
        }
      }
      if (throttledFor > 0) {
        throttles++;
        const previous = pushingBack ?? Promise.resolve();
        pushingBack = previous
          .then(() => this.limiter.slowDown(plan.tenantId, sender.key, at + throttledFor))
          .catch((error) => {
            this.log.error("rate limit failed; the rest of the batch goes back to the queue", {
              campaignId: plan.id,
              error,
            });
            stopped = true;
          });
      }
    };
    // Slots left when the next batch is prepared: enough to cover its claim and checks.
    const prefetchSlots = Math.ceil((this.options.prefetchMs ?? 1000) / slots.spacingMs);
    let i = 0;
    let late = 0;
    /** An error after the first channel call: the rest of the batch is not sent. */
    let failure: unknown = null;
    try {
      while (i < ready.length && !stopped) {
        if (nearlyDone && ready.length - i <= prefetchSlots * slots.chunk) nearlyDone();
        if (inFlight.size >= maxInFlight) await Promise.race(inFlight);
        // The provider asked to slow down: the next slot comes after the pause.
        if (pushingBack) await pushingBack;
        if (stopped) break;
        const throttlesBefore = throttles;
        // A database error of the rate limit (reserve, push back) stops the
        // sending, but what went out is still recorded and the rest goes back to
        // the queue below: thrown, it would leave the whole batch in "sending"
        // to be sent again once the lease expired.
        let start: number | null;
        try {
          start = await this.limiter.acquire(plan.tenantId, sender.key, slots, stopAt);
        } catch (error) {
          this.log.error("rate limit failed; the rest of the batch goes back to the queue", {
            campaignId: plan.id,
            error,
          });
          break;
        }
        if (start === null || this.clock() >= stopAt) break;
        // Throttled while this slot was reserved: it may lie inside the pause.
        if (throttles !== throttlesBefore) continue;
        const chunk = ready.slice(i, i + slots.chunk);
        // Checked with nothing async before the channel call: a slot used late
        // could crowd the next slots' second, so it is given up.
        if (!this.limiter.onTime(sender.key, start, slots)) {
          if (++late > 20) break;
          continue;
        }
        late = 0;
        i += chunk.length;
        // The call ends (or is abandoned as a retry) while the lease is still
        // ours, so its results are recorded here and never re-sent by a worker
        // that took the batch over meanwhile.
        const call = (
          leased || !channel.sendAndRecord
            ? this.send(
                channel,
                chunk.map((c) => c.out),
                leaseUntil - Math.min(2000, this.leaseMs / 10),
              )
            : this.sendAndRecord(channel.sendAndRecord.bind(channel), chunk)
        ).then(
          (results) => settle(chunk, results),
          // send() answers every call; should it ever reject, the chunk's fate is unknown.
          (error) => {
            lost += chunk.length;
            this.log.error("channel call failed without an answer; its messages stay in sending", {
              campaignId: plan.id,
              count: chunk.length,
              error,
            });
          },
        );
        inFlight.add(call);
        call.then(
          () => inFlight.delete(call),
          () => inFlight.delete(call),
        );
      }
    } catch (error) {
      // Calls may be in flight: their answers are still waited for and
      // recorded below; only what was never handed over goes back to the queue.
      failure = error;
      this.log.error("dispatch batch failed while sending; the rest goes back to the queue", {
        campaignId: plan.id,
        error,
      });
    } finally {
      // Every call answers (or times out) before the batch is recorded.
      await Promise.allSettled(inFlight);
      if (pushingBack) await Promise.allSettled([pushingBack]);
    }
    if (taken > 0) {
      this.stats.lostLeases += taken;
      (this.options.metrics ?? noMetrics).leaseLost("messages");
      this.log.warn(
        "messages no longer pending when sent (another dispatcher sent them, or the campaign was cancelled): left as they are",
        {
          campaignId: plan.id,
          count: taken,
        },
      );
    }
    if (lost > 0) {
      this.log.warn("answers lost: those messages stay in sending until their lease expires", {
        campaignId: plan.id,
        count: lost,
      });
    }
    // Not sent in time (lease ending, deadline reached): back to the queue, or expired.
    now = this.clock();
    const reason =
      failure === null
        ? null
        : `Falha temporária no envio: ${(failure as Error)?.message ?? String(failure)}`;
    for (const c of ready.slice(i)) {
      if (reason !== null) {
        outcomes.push(this.retryOutcome(plan, c.message, now, reason));
      } else if (plan.deadlineMs !== null && now >= plan.deadlineMs) {
        outcomes.push({ id: c.message.id, at: now, state: "expired" });
      } else {
        outcomes.push({
          id: c.message.id,
          at: now,
          state: "pending",
          nextAttemptAt: now,
          error: null,
        });
      }
    }
    return outcomes;
  }

  /**
   * One channel call with the timeout, cut short to end by `endBy` (epoch ms:
   * before the lease runs out); a throw or an abort is a retry for the whole call.
   */
  private async send(
    channel: Channel,
    batch: OutgoingMessage[],
    endBy: number,
  ): Promise<SendResult[]> {
    const timeout = Math.max(
      1,
      Math.min(this.options.sendTimeoutMs ?? 30_000, Math.floor(endBy - this.clock())),
    );
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new Error(`tempo esgotado (${timeout} ms)`)),
      timeout,
    );
    try {
      const results = await Promise.race([
        channel.send(batch, controller.signal),
        new Promise<never>((_, reject) => {
          controller.signal.addEventListener("abort", () => reject(controller.signal.reason), {
            once: true,
          });
        }),
      ]);
      if (results.length !== batch.length) {
        throw new Error(`o provedor devolveu ${results.length} resultados para ${batch.length}`);
      }
      return results;
    } catch (error) {
      const reason = `Falha temporária no envio: ${(error as Error)?.message ?? String(error)}`;
      this.log.warn("channel send failed; batch will be retried", {
        provider: channel.provider,
        size: batch.length,
        error,
      });
      return batch.map(() => ({ outcome: "retry" as const, reason }));
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Sends an unleased chunk through Channel.sendAndRecord, as send() answers:
   * a message it sent is "sent", already recorded; one taken meanwhile by
   * someone else gets no answer from here ("taken": not recorded, not
   * retried); a throw wrote nothing, so the chunk is a retry.
   */
  private async sendAndRecord(
    sendAndRecord: NonNullable<Channel["sendAndRecord"]>,
    chunk: readonly { message: ClaimedMessage; out: OutgoingMessage }[],
  ): Promise<Answer[]> {
    try {
      const sent = await sendAndRecord(
        chunk.map((c) => c.out),
        this.clock(),
      );
      return chunk.map((c) =>
        sent.has(c.message.id)
          ? { outcome: "sent" as const, providerId: null, recorded: true }
          : ("taken" as const),
      );
    } catch (error) {
      const reason = `Falha temporária no envio: ${(error as Error)?.message ?? String(error)}`;
      this.log.warn("outbox write failed; batch will be retried", { size: chunk.length, error });
      return chunk.map(() => ({ outcome: "retry" as const, reason }));
    }
  }

  private retryOutcome(
    plan: CampaignPlan,
    m: ClaimedMessage,
    at: number,
    reason: string,
    afterMs?: number,
  ): MessageOutcome {
    this.stats.retried++;
    const maxAttempts = this.options.maxAttempts ?? 10;
    if (m.attempts >= maxAttempts) {
      return {
        id: m.id,
        at,
        state: "failed",
        error: `Desistimos após ${m.attempts} tentativas com falha temporária. Última: ${reason}`,
      };
    }
    const base = this.options.retryBaseMs ?? 30_000;
    const max = this.options.retryMaxMs ?? 30 * 60_000;
    const backoff = Math.min(max, base * 2 ** Math.max(0, m.attempts - 1));
    const jittered = Math.round(backoff * (0.5 + this.random()));
    let next = at + Math.max(afterMs ?? 0, jittered);
    // Never past the deadline: at the deadline it is expired instead.
    if (plan.deadlineMs !== null) next = Math.min(next, plan.deadlineMs);
    return { id: m.id, at, state: "pending", nextAttemptAt: next, error: reason };
  }

  private render(
    plan: CampaignPlan,
    sender: SenderRef,
    m: ClaimedMessage,
    person: PersonView | undefined,
    mapping: TemplateMapping | null,
    withFields: boolean,
  ): OutgoingMessage | string {
    const view: PersonRecord = {
      key: "",
      keyKind: "codcliente",
      codCliente: person?.codCliente ?? null,
      document: person?.document ?? null,
      name: person?.name ?? null,
      tags: person?.tags ?? [],
      message: null,
      // Read (and parsed) only when a placeholder names a column kept there.
      fields: withFields ? (person?.fields ?? {}) : {},
      channels: [],
      firstLine: 0,
    };
    if (plan.channel === "whatsapp") {
      if (!plan.template || !mapping) return MESSAGE_NEEDED.whatsapp;
      const filled = fillTemplate(
        plan.template,
        (column) => {
          // A column the person has no value for fills its parameter with nothing.
          const value = renderMessage(`[${column}]`, view);
          return value === `[${column}]` ? "" : value;
        },
        mapping,
      );
      if (typeof filled === "string") return filled;
      return outgoing(plan, sender, m, null, filled);
    }
    const body = m.body ?? plan.template?.body ?? null;
    if (body === null || body === "") return MESSAGE_NEEDED[plan.channel];
    return outgoing(plan, sender, m, renderMessage(body, view), null);
  }
}
