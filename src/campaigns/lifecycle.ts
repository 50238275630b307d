/**
 * Time-driven campaign and wave transitions (SPEC §7):
 * - a wave starts (running, `started_at`) when its first message is claimed,
 *   and its campaign goes scheduled → running then;
 * - at the deadline (`_LE`) every message not sent yet is expired (pending
 *   ones, and "sending" ones whose dispatcher is gone), and the campaign
 *   ends as expired;
 * - a campaign with nothing pending or sending left ends as finished (or
 *   expired when its deadline expired some of it), with `ended_at`; its
 *   waves are done. A running wave with nothing left is done too.
 * Pause, resume and cancel are operator actions (control.ts); a paused
 * campaign still expires at its deadline.
 */
import type { Kysely } from "kysely";
import type { Logger } from "../log.js";
import type { Database } from "../store/schema.js";

export interface EndedCampaign {
  id: number;
  tenantId: number;
  state: "finished" | "expired" | "cancelled";
  endedAt: string;
}

/**
 * Told, inside the transaction that ends them, which campaigns `endCompleted`
 * ended (the tenant's notifications, by default: src/notifications).
 */
export type CampaignsEndedHook = (
  trx: Kysely<Database>,
  ended: readonly EndedCampaign[],
) => Promise<void>;

/** The database side (dispatch-store.ts). */
export interface LifecycleStore {
  /** Waves → running with started_at (first claim only); campaign scheduled → running. */
  markStarted(campaignId: number, waveIds: readonly number[], nowIso: string): Promise<void>;
  /** Past-deadline campaigns: unsent messages → expired. Returns messages expired. */
  expireAtDeadline(nowIso: string): Promise<number>;
  /** Ends campaigns with nothing pending/sending left (finished | expired) and closes their waves. */
  endCompleted(nowIso: string): Promise<{ finished: number; expired: number }>;
  /** Running waves with nothing pending/sending left → done. */
  closeWaves(nowIso: string): Promise<number>;
}

export class Lifecycle {
  private lastWaves = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly store: LifecycleStore,
    private readonly log: Logger,
    /** Running waves are looked at this often (it reads their campaign's queue). */
    private readonly wavesEveryMs = 10_000,
  ) {}

  async started(campaignId: number, waveIds: readonly number[], nowIso: string): Promise<void> {
    await this.store.markStarted(campaignId, waveIds, nowIso);
  }

  /** Expires at deadlines and ends what is complete. */
  async settle(nowIso: string): Promise<void> {
    const expired = await this.store.expireAtDeadline(nowIso);
    if (expired > 0) this.log.info("messages expired at the deadline", { count: expired });
    const ended = await this.store.endCompleted(nowIso);
    if (ended.finished + ended.expired > 0) this.log.info("campaigns ended", ended);
    const now = Date.parse(nowIso);
    if (now - this.lastWaves >= this.wavesEveryMs) {
      this.lastWaves = now;
      await this.store.closeWaves(nowIso);
    }
  }
}
