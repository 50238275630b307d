/** Default sending rates (msg/s) when a sender or e-mail account has none set. */
export const DEFAULT_RATE_PER_SECOND = { whatsapp: 80, sms: 100, email: 20 } as const;
