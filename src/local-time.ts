/**
 * An instant (ISO-8601, UTC) as a person of the tenant reads it, in the
 * tenant's time zone and pt-BR order: "26/11/2026 09:00" or, with seconds,
 * "26/11/2026 09:00:05". One place for every report and command, so they all
 * show the same instant the same way. Text that is not an instant is shown as
 * given.
 */
import { DateTime } from "luxon";

export function displayLocal(iso: string, timeZone: string, seconds = false): string {
  const local = DateTime.fromISO(iso, { zone: "utc" }).setZone(timeZone);
  return local.isValid ? local.toFormat(seconds ? "dd/MM/yyyy HH:mm:ss" : "dd/MM/yyyy HH:mm") : iso;
}
