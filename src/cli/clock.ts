import { DateTime } from "luxon";
import { isIsoDate, isIsoLocalDateTime } from "../filename/index.js";

export const DEFAULT_TIME_ZONE = "America/Sao_Paulo";

export class UsageError extends Error {}

/**
 * Today's date and the current local time in a time zone, as the name
 * grammar expects them; `--today` / `--now` override the clock.
 */
export function localClock(options: { today?: string; now?: string; tz?: string }): {
  today: string;
  now: string;
} {
  const tz = options.tz ?? DEFAULT_TIME_ZONE;
  const current = DateTime.now().setZone(tz);
  if (!current.isValid) {
    throw new UsageError(
      `Fuso horário desconhecido: "${tz}". Use um nome IANA, ex.: ${DEFAULT_TIME_ZONE}.`,
    );
  }
  if (options.now !== undefined && !isIsoLocalDateTime(options.now)) {
    throw new UsageError(
      `--now deve estar no formato AAAA-MM-DDTHH:MM (recebido "${options.now}").`,
    );
  }
  if (options.today !== undefined && !isIsoDate(options.today)) {
    throw new UsageError(`--today deve estar no formato AAAA-MM-DD (recebido "${options.today}").`);
  }
  const today = options.today ?? options.now?.slice(0, 10) ?? current.toFormat("yyyy-MM-dd");
  const now = options.now ?? `${today}T${current.toFormat("HH:mm")}`;
  return { today, now };
}
