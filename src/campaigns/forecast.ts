/**
 * The forecast made at planning (SPEC §7), pure: when a campaign is expected
 * to end, from its waves, its sender's rate and the wallet's send window, and
 * how many messages would miss the deadline. Messages go one after another at
 * `rate` per second, each wave from its start (or once the previous one is
 * done), only while the window is open.
 */
import { currentOpening, type SendWindow } from "./window.js";

export interface ForecastInput {
  waves: readonly { startMs: number; size: number }[];
  /** Messages per second. */
  rate: number;
  window: SendWindow | null;
  timeZone: string;
  deadlineMs: number | null;
  /**
   * WhatsApp messaging tier: at most `limit` unique recipients per 24 h, of
   * which `used` went in the last 24 h (they are taken to free up 24 h after
   * the start: the cautious guess). Absent: no such limit.
   */
  tier?: { limit: number; used: number } | null;
}

export interface Forecast {
  /** When the last message is expected to go (the start when there is none). */
  endMs: number;
  /** Messages expected to be due after the deadline (0 without one). */
  late: number;
  /** What holds them back, for the report. */
  why: LateCauses;
}

export interface LateCauses {
  /** Seconds of sending the whole audience takes at the rate, with no pause. */
  sendingSeconds: number;
  /** Messages of waves that start only at or after the deadline. */
  inWavesAfterDeadline: number;
  /** Whether the window postponed sending (some message waited for an opening). */
  windowDelayed: boolean;
  /** Whether there is no opening of the window between the start and the deadline. */
  windowClosedUntilDeadline: boolean;
  /** Whether the messaging tier made messages wait for its 24 h window (only with a tier). */
  tierDelayed?: boolean;
}

const DAY_MS = 24 * 3_600_000;

/** Guard against a window that lets almost nothing through: the forecast stops counting after this. */
const MAX_OPENINGS = 100_000;

/**
 * Messages whose turn comes within `ms` (the first at 0): ceil(ms·rate/1000),
 * with a little slack so that 300 s at 0.01/s is 3, not 4 by rounding.
 */
function slots(ms: number, rate: number): number {
  return Math.max(0, Math.ceil((ms * rate) / 1000 - 1e-9));
}

export function forecast(input: ForecastInput): Forecast {
  const { rate, window, timeZone, deadlineMs } = input;
  if (!(rate > 0)) throw new Error(`rate must be positive: ${rate}`);
  const perMs = rate / 1000;
  const total = input.waves.reduce((sum, w) => sum + w.size, 0);
  const firstStart = input.waves[0]?.startMs ?? 0;
  let cursor = firstStart;
  let onTime = 0;
  let windowDelayed = false;
  let openings = 0;
  let lastMs = firstStart;
  const tier = input.tier ?? null;
  let tierLeft = tier ? Math.max(0, tier.limit - tier.used) : Number.POSITIVE_INFINITY;
  let tierRenewAt = firstStart + DAY_MS;
  let tierDelayed = false;
  for (const wave of input.waves) {
    if (wave.size === 0) continue;
    cursor = Math.max(cursor, wave.startMs);
    let left = wave.size;
    while (left > 0) {
      if (tier && cursor >= tierRenewAt) {
        // A day after the window's first sends, its places are free again.
        tierLeft = tier.limit;
        tierRenewAt = cursor + DAY_MS;
      }
      let close = Number.POSITIVE_INFINITY;
      if (window) {
        const opening = currentOpening(cursor, window, timeZone);
        if (opening.start > cursor) windowDelayed = true;
        cursor = opening.start;
        close = opening.close;
        if (++openings > MAX_OPENINGS) {
          // Practically never: treat the rest as going now.
          close = Number.POSITIVE_INFINITY;
        }
      }
      // Messages that fit before the window closes; the first goes at `cursor`.
      const fit = close === Number.POSITIVE_INFINITY ? left : slots(close - cursor, rate);
      const byWindow = Math.min(left, Math.max(fit, 0));
      // The tier lets at most tierLeft more go before its 24 h window renews.
      const sent = Math.min(byWindow, tierLeft);
      if (deadlineMs !== null && cursor < deadlineMs) {
        // Message i (0-based) of this stretch goes at cursor + i / perMs.
        const beforeDeadline = slots(deadlineMs - cursor, rate);
        onTime += Math.min(sent, beforeDeadline);
      }
      if (sent > 0) lastMs = cursor + (sent - 1) / perMs;
      left -= sent;
      tierLeft -= sent;
      if (left > 0 && sent < byWindow && tier) {
        // Stopped by the tier: the rest waits for the window to renew.
        tierDelayed = true;
        cursor = Math.max(cursor + sent / perMs, tierRenewAt);
        tierRenewAt = cursor + DAY_MS;
        tierLeft = tier.limit;
      } else {
        cursor = left > 0 ? close : cursor + sent / perMs;
      }
    }
  }
  const late = deadlineMs === null ? 0 : total - onTime;
  const inWavesAfterDeadline =
    deadlineMs === null
      ? 0
      : input.waves.filter((w) => w.startMs >= deadlineMs).reduce((s, w) => s + w.size, 0);
  let windowClosedUntilDeadline = false;
  if (window && deadlineMs !== null && total > 0) {
    windowClosedUntilDeadline = currentOpening(firstStart, window, timeZone).start >= deadlineMs;
  }
  return {
    endMs: lastMs,
    late,
    why: {
      sendingSeconds: total / rate,
      inWavesAfterDeadline,
      windowDelayed,
      windowClosedUntilDeadline,
      ...(tier ? { tierDelayed } : {}),
    },
  };
}
