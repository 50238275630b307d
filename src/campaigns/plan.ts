/**
 * Campaign planning (SPEC §7), pure: when a campaign starts, how its audience
 * is split in waves, and its deadline, as UTC instants.
 * - Start: `_i` (local date-time in the tenant's zone); absent or already past
 *   = the import's instant.
 * - Waves (`_q PP MMM`): wave k starts at start + k·MMM minutes with
 *   ceil(N·PP/100) people; the last wave takes the rest. Without `_q`: one wave.
 * - Deadline (`_LE`): local date-time in the tenant's zone, or none.
 */
import { DateTime } from "luxon";
import type { Mailing, SplitRequest } from "../filename/types.js";

export interface WavePlan {
  /** 0-based. */
  number: number;
  startMs: number;
  size: number;
}

export interface CampaignSchedule {
  startMs: number;
  deadlineMs: number | null;
  /** Start instants of every wave the split can produce (see `maxWaves`). */
  waveStartsMs: number[];
}

const LOCAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/;

/**
 * A name's local date-time (`YYYY-MM-DDTHH:MM`) in `timeZone` as epoch ms.
 * A local time that does not exist (skipped by daylight saving time) is moved
 * forward by the gap, as clocks are.
 */
export function localToUtcMs(local: string, timeZone: string): number {
  if (!LOCAL.test(local)) throw new Error(`not a local date-time: ${local}`);
  let dt = DateTime.fromISO(local, { zone: timeZone });
  if (!dt.isValid) dt = DateTime.fromISO(local, { zone: "America/Sao_Paulo" });
  if (!dt.isValid) throw new Error(`invalid local date-time: ${local}`);
  return dt.toMillis();
}

/** `_i` in the tenant's zone; absent or in the past: `nowMs` (the import's instant). */
export function startInstant(start: string | null, timeZone: string, nowMs: number): number {
  if (start === null) return nowMs;
  return Math.max(localToUtcMs(start, timeZone), nowMs);
}

/** `_LE` in the tenant's zone, or null. */
export function deadlineInstant(deadline: string | null, timeZone: string): number | null {
  return deadline === null ? null : localToUtcMs(deadline, timeZone);
}

/** People in each wave but the last: ceil(N·PP/100) (at least 1 when N > 0). */
export function waveSize(audience: number, percent: number): number {
  return Math.ceil((audience * percent) / 100);
}

/**
 * Sizes of the waves of an audience of `audience` people: without a split one
 * wave; with one, waves of ceil(N·PP/100) and the last with the rest. Always
 * at least one wave (of 0 people for an empty audience).
 */
export function waveSizes(audience: number, split: SplitRequest | null): number[] {
  if (split === null || audience === 0) return [audience];
  const size = waveSize(audience, split.percent);
  const sizes: number[] = [];
  let left = audience;
  while (left > size) {
    sizes.push(size);
    left -= size;
  }
  sizes.push(left);
  return sizes;
}

/**
 * The most waves any audience can need with this split: N / ceil(N·p) ≤ 1/p,
 * so ceil(100/PP). Planning creates these rows before the messages (whose
 * count is known only once written) and drops the ones left empty.
 */
export function maxWaves(split: SplitRequest | null): number {
  return split === null ? 1 : Math.ceil(100 / split.percent);
}

export function waveStart(startMs: number, split: SplitRequest | null, number: number): number {
  return split === null ? startMs : startMs + number * split.everyMinutes * 60_000;
}

/** Wave k at start + k·MMM minutes, with its size. */
export function planWaves(
  audience: number,
  startMs: number,
  split: SplitRequest | null,
): WavePlan[] {
  return waveSizes(audience, split).map((size, number) => ({
    number,
    startMs: waveStart(startMs, split, number),
    size,
  }));
}

/** The instants of a mailing's campaigns: start, deadline, and every possible wave's start. */
export function scheduleOf(
  mailing: Pick<Mailing, "start" | "split" | "deadline">,
  timeZone: string,
  nowMs: number,
): CampaignSchedule {
  const startMs = startInstant(mailing.start, timeZone, nowMs);
  const waves = maxWaves(mailing.split);
  return {
    startMs,
    deadlineMs: deadlineInstant(mailing.deadline, timeZone),
    waveStartsMs: Array.from({ length: waves }, (_, k) => waveStart(startMs, mailing.split, k)),
  };
}
