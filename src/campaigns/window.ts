/**
 * A wallet's send window (SPEC §7): the days of the week and the hours, in
 * the tenant's time zone, when messages may go out, e.g. Monday–Saturday
 * 08:00–20:00 (`{"days":[1,2,3,4,5,6],"from":"08:00","to":"20:00"}`, ISO
 * weekdays, Monday = 1). A message due outside it waits for the next opening.
 * Pure: local times are turned into instants with luxon, so a day that is 23
 * or 25 hours long (daylight saving time) opens at its own 08:00.
 */
import { DateTime } from "luxon";

export interface SendWindow {
  /** ISO weekdays (Monday = 1 … Sunday = 7) when sending is allowed. */
  days: number[];
  /** Opening time, "HH:MM" (local). */
  from: string;
  /** Closing time, "HH:MM" (local, exclusive; "24:00" = midnight at the end of the day). */
  to: string;
}

export type WindowCheck = { ok: true; window: SendWindow } | { ok: false; message: string };

const TIME = /^(\d{2}):(\d{2})$/;

/** Minutes after midnight of "HH:MM", or null when it is not a time of day (24:00 allowed). */
function minutesOf(value: unknown): number | null {
  if (typeof value !== "string") return null;
  const m = TIME.exec(value);
  if (!m) return null;
  const hours = Number(m[1]);
  const minutes = Number(m[2]);
  if (minutes > 59 || hours > 24 || (hours === 24 && minutes > 0)) return null;
  return hours * 60 + minutes;
}

/** Checks a send window given as data (e.g. parsed JSON); the message says what to fix, in pt-BR. */
export function validateSendWindow(value: unknown): WindowCheck {
  const example =
    'Exemplo: {"days":[1,2,3,4,5,6],"from":"08:00","to":"20:00"} (segunda = 1, domingo = 7).';
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, message: `A janela de envio deve ter os dias e o horário. ${example}` };
  }
  const { days, from, to } = value as Record<string, unknown>;
  if (
    !Array.isArray(days) ||
    days.length === 0 ||
    !days.every((d) => Number.isInteger(d) && (d as number) >= 1 && (d as number) <= 7)
  ) {
    return {
      ok: false,
      message: `Os dias da janela de envio devem ser uma lista não vazia de números de 1 (segunda) a 7 (domingo). ${example}`,
    };
  }
  const start = minutesOf(from);
  const end = minutesOf(to);
  if (start === null || end === null || start >= 24 * 60) {
    return {
      ok: false,
      message: `O horário da janela de envio deve ser HH:MM, de 00:00 a 23:59 no início e até 24:00 no fim. ${example}`,
    };
  }
  if (start >= end) {
    return {
      ok: false,
      message: `O horário de início da janela de envio (${from}) deve ser anterior ao de fim (${to}). Uma janela que passa da meia-noite não é aceita: use 00:00 a 24:00 e escolha os dias.`,
    };
  }
  const unique = [...new Set(days as number[])].sort((a, b) => a - b);
  return { ok: true, window: { days: unique, from: from as string, to: to as string } };
}

/** `wallets.send_window_json` as a window; null when the wallet has none (send at any time). */
export function parseSendWindow(json: string | null | undefined): SendWindow | null {
  if (json === null || json === undefined || json.trim() === "") return null;
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    throw new Error(`invalid send window JSON: ${json}`);
  }
  const check = validateSendWindow(data);
  if (!check.ok) throw new Error(`invalid send window: ${json}`);
  return check.window;
}

/** The zone as luxon knows it; an unknown zone falls back to São Paulo, as elsewhere. */
function zoneOf(timeZone: string): string {
  return DateTime.now().setZone(timeZone).isValid ? timeZone : "America/Sao_Paulo";
}

/** Opening and closing instants of the window on the local day `day` (start of day). */
function openingOf(day: DateTime, window: SendWindow): { open: number; close: number } {
  const start = minutesOf(window.from)!;
  const end = minutesOf(window.to)!;
  const open = day.set({ hour: Math.floor(start / 60), minute: start % 60 }).toMillis();
  const close =
    end === 24 * 60
      ? day.plus({ days: 1 }).startOf("day").toMillis()
      : day.set({ hour: Math.floor(end / 60), minute: end % 60 }).toMillis();
  return { open, close };
}

/**
 * The first instant at or after `instantMs` inside the window: `instantMs`
 * itself when the window is open then, else the next opening.
 */
export function nextOpening(instantMs: number, window: SendWindow, timeZone: string): number {
  return currentOpening(instantMs, window, timeZone).start;
}

/**
 * The opening that `instantMs` falls in, or the next one: `start` (≥
 * instantMs) and when it closes. Used by the forecast to fill openings.
 */
export function currentOpening(
  instantMs: number,
  window: SendWindow,
  timeZone: string,
): { start: number; close: number } {
  const today = DateTime.fromMillis(instantMs, { zone: zoneOf(timeZone) }).startOf("day");
  // A week and a day covers every weekday, whatever today is.
  for (let i = 0; i <= 8; i++) {
    const day = i === 0 ? today : today.plus({ days: i }).startOf("day");
    if (!window.days.includes(day.weekday)) continue;
    const { open, close } = openingOf(day, window);
    if (instantMs < open) return { start: open, close };
    if (instantMs < close) return { start: instantMs, close };
  }
  throw new Error(`send window never opens: ${JSON.stringify(window)}`);
}

/** Whether a message may go at `instantMs`. */
export function isOpen(instantMs: number, window: SendWindow, timeZone: string): boolean {
  return nextOpening(instantMs, window, timeZone) === instantMs;
}

const WEEKDAYS = ["", "segunda", "terça", "quarta", "quinta", "sexta", "sábado", "domingo"];

/** "segunda a sábado, 08:00–20:00" (pt-BR), for reports. */
export function describeSendWindow(window: SendWindow): string {
  const days = window.days;
  const consecutive = days.every((d, i) => i === 0 || d === days[i - 1]! + 1);
  let dayText: string;
  if (days.length === 7) dayText = "todos os dias";
  else if (days.length === 1) dayText = `só ${WEEKDAYS[days[0]!]}`;
  else if (consecutive && days.length > 2)
    dayText = `${WEEKDAYS[days[0]!]} a ${WEEKDAYS[days[days.length - 1]!]}`;
  else
    dayText = `${days
      .slice(0, -1)
      .map((d) => WEEKDAYS[d])
      .join(", ")} e ${WEEKDAYS[days[days.length - 1]!]}`;
  return `${dayText}, das ${window.from} às ${window.to}`;
}
