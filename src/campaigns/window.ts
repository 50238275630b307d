/**
 * The wallet's optional send window (SPEC §7), in the tenant's time zone:
 * {"days":[1,2,3,4,5,6],"from":"08:00","to":"20:00"} (ISO weekdays, Monday = 1;
 * `to` exclusive). Pure: no clock, no I/O.
 */
import { DateTime } from "luxon";

export interface SendWindow {
  days: number[];
  from: string;
  to: string;
}

const HHMM = /^([01]\d|2[0-4]):([0-5]\d)$/;

/** The stored JSON as a window, or null when absent or unreadable (no window: always open). */
export function parseSendWindow(json: string | null | undefined): SendWindow | null {
  if (!json) return null;
  try {
    const w = JSON.parse(json) as Partial<SendWindow>;
    if (!Array.isArray(w.days) || typeof w.from !== "string" || typeof w.to !== "string") {
      return null;
    }
    if (!HHMM.test(w.from) || !HHMM.test(w.to)) return null;
    return { days: w.days.filter((d) => Number.isInteger(d)), from: w.from, to: w.to };
  } catch {
    return null;
  }
}

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(":").map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/** `day` at a wall-clock minute of the day (1440 = the next midnight); DST-safe. */
function wallTime(day: DateTime, minuteOfDay: number): DateTime {
  if (minuteOfDay >= 1440) return day.plus({ days: 1 }).startOf("day");
  return day.set({ hour: Math.floor(minuteOfDay / 60), minute: minuteOfDay % 60 });
}

/**
 * The first instant at or after `instantMs` inside the window (the instant
 * itself when it is open), or null when the window never opens (no days).
 */
export function nextOpening(
  instantMs: number,
  window: SendWindow,
  timeZone: string,
): number | null {
  const from = minutes(window.from);
  const to = minutes(window.to);
  if (window.days.length === 0 || from >= to) return null;
  const at = DateTime.fromMillis(instantMs, { zone: timeZone });
  for (let d = 0; d <= 7; d++) {
    const day = at.startOf("day").plus({ days: d });
    if (!window.days.includes(day.weekday)) continue;
    const open = wallTime(day, from);
    const close = wallTime(day, to);
    if (at < open) return open.toMillis();
    if (at < close) return instantMs;
  }
  return null;
}
