/** Default sending rates (messages per second) when a sender or account sets none. */
export const DEFAULT_RATE_PER_SECOND = { whatsapp: 80, sms: 100, email: 20 } as const;
