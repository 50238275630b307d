/** Numbers, dates and labels as a Brazilian operator reads them. */

const numbers = new Intl.NumberFormat("pt-BR");

export function formatNumber(n: number | null | undefined): string {
  return n === null || n === undefined ? "—" : numbers.format(n);
}

/** "2026-12-07" → "07/12/2026". */
export function formatDate(isoDate: string | null | undefined): string {
  if (!isoDate) return "—";
  const [y, m, d] = isoDate.slice(0, 10).split("-");
  return `${d}/${m}/${y}`;
}

/** An instant in the browser's time zone: "07/12/2026 10:30:05". */
export function formatDateTime(iso: string | null | undefined, zone?: string): string {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "—";
  return new Intl.DateTimeFormat("pt-BR", {
    day: "2-digit",
    month: "2-digit",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    ...(zone ? { timeZone: zone } : {}),
  }).format(date);
}

/** A local date-time without zone ("2026-12-07T10:30") as written in a file name's _i/_LE. */
export function formatLocal(local: string | null | undefined): string {
  if (!local) return "—";
  return `${formatDate(local.slice(0, 10))} ${local.slice(11, 16)}`;
}

/** Today's date (AAAA-MM-DD) in the browser's zone. */
export function todayIso(now: Date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

export const OUTCOME_LABELS: Record<string, string> = {
  accepted: "Lido",
  discarded: "Descartado",
  failed: "Falhou",
  processing: "Em processamento",
};

/** A file's status as the history filters it: the outcome, or failed / still processing. */
export function fileStatus(file: { state: string; outcome: string | null }): string {
  if (file.state === "failed") return "failed";
  return file.outcome ?? "processing";
}

export function outcomeLabel(outcome: string | null | undefined): string {
  return outcome ? (OUTCOME_LABELS[outcome] ?? outcome) : "—";
}

export function plural(n: number, one: string, many: string): string {
  return `${formatNumber(n)} ${n === 1 ? one : many}`;
}

export const CAMPAIGN_STATUS_LABELS: Record<string, string> = {
  scheduled: "Agendada",
  running: "Em envio",
  paused: "Pausada",
  finished: "Concluída",
  cancelled: "Cancelada",
  expired: "Expirada",
};

/** Message states in their order along a message's life, with plural pt-BR labels. */
export const MESSAGE_STATUS_LABELS: Record<string, string> = {
  pending: "Pendentes",
  sending: "Enviando",
  sent: "Enviadas",
  delivered: "Entregues",
  read: "Lidas",
  failed: "Falharam",
  skipped: "Puladas",
  expired: "Expiradas",
};

/** States a message does not leave by sending (a receipt may still move sent → delivered → read). */
export const DONE_STATES = ["sent", "delivered", "read", "failed", "skipped", "expired"];

export const CHANNEL_LABELS: Record<string, string> = {
  sms: "SMS",
  whatsapp: "WhatsApp",
  email: "E-mail",
};
