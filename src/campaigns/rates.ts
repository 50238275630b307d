/**
 * Default sending rates (messages per second) of a sender whose own
 * `rate_per_second` is not set: WhatsApp per number, SMS per route, e-mail
 * per account. Planning (forecast) and dispatch (rate limit) read the same
 * constant.
 */
export const DEFAULT_RATE_PER_SECOND = { whatsapp: 80, sms: 100, email: 20 } as const;

/** The rate a sender works at: its own when set (and positive), else the channel's default. */
export function effectiveRate(
  channel: keyof typeof DEFAULT_RATE_PER_SECOND,
  configured: number | null | undefined,
): number {
  return configured !== null && configured !== undefined && configured > 0
    ? configured
    : DEFAULT_RATE_PER_SECOND[channel];
}
