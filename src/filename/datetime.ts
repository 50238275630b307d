/** Calendar helpers for the DDMMYY / DDMMYYHHMM fields of a file name. Pure, no time zones. */

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function isAllDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

export { isAllDigits };

/** `DDMMYY` (year 20YY) → `YYYY-MM-DD`, or null when not a real calendar date. */
export function parseDdmmyy(s: string): string | null {
  if (s.length !== 6 || !isAllDigits(s)) return null;
  const day = Number(s.slice(0, 2));
  const month = Number(s.slice(2, 4));
  const year = 2000 + Number(s.slice(4, 6));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  return `${year}-${pad2(month)}-${pad2(day)}`;
}

/** `DDMMYYHHMM` → `YYYY-MM-DDTHH:MM`, or null when not a real date and time. */
export function parseDdmmyyhhmm(s: string): string | null {
  if (s.length !== 10 || !isAllDigits(s)) return null;
  const date = parseDdmmyy(s.slice(0, 6));
  const hour = Number(s.slice(6, 8));
  const minute = Number(s.slice(8, 10));
  if (date === null || hour > 23 || minute > 59) return null;
  return `${date}T${pad2(hour)}:${pad2(minute)}`;
}

/** `YYYY-MM-DD` → `DDMMYY`. */
export function formatDdmmyy(isoDate: string): string {
  return `${isoDate.slice(8, 10)}${isoDate.slice(5, 7)}${isoDate.slice(2, 4)}`;
}

/** `YYYY-MM-DDTHH:MM` → `DDMMYYHHMM`. */
export function formatDdmmyyhhmm(isoLocal: string): string {
  return `${formatDdmmyy(isoLocal.slice(0, 10))}${isoLocal.slice(11, 13)}${isoLocal.slice(14, 16)}`;
}

/** `YYYY-MM-DD` → `DD/MM/YYYY` for pt-BR messages. */
export function displayDate(isoDate: string): string {
  return `${isoDate.slice(8, 10)}/${isoDate.slice(5, 7)}/${isoDate.slice(0, 4)}`;
}

/** `YYYY-MM-DDTHH:MM` → `DD/MM/YYYY às HH:MM` for pt-BR messages. */
export function displayDateTime(isoLocal: string): string {
  return `${displayDate(isoLocal.slice(0, 10))} às ${isoLocal.slice(11, 16)}`;
}

/** True for a well-formed `YYYY-MM-DD` that is a real date. */
export function isIsoDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const year = Number(s.slice(0, 4));
  if (year < 2000 || year > 2099) return false;
  return parseDdmmyy(formatDdmmyy(s)) === s;
}

/** True for a well-formed `YYYY-MM-DDTHH:MM` that is a real date and time. */
export function isIsoLocalDateTime(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(s)) return false;
  return isIsoDate(s.slice(0, 10)) && parseDdmmyyhhmm(formatDdmmyyhhmm(s)) === s;
}
