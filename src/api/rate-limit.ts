/**
 * Rate limit per API key: an in-process token bucket per key (and one for
 * the admin key). Each process of a deployment counts on its own, so N
 * processes behind a balancer allow up to N times the rate; a shared limit
 * (the database's rate_buckets) is for later if that matters.
 */
export interface RateLimitOptions {
  /** Requests a key may make at once after a pause (bucket size). */
  burst: number;
  /** Tokens added back per second. */
  perSecond: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { burst: 60, perSecond: 10 };

/** Idle buckets are forgotten after this long (they would be full anyway). */
const FORGET_MS = 10 * 60_000;

export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly options: RateLimitOptions,
    private readonly now: () => number,
  ) {}

  /** Takes one token for `key`: null when allowed, else the seconds to wait. */
  take(key: string): number | null {
    const now = this.now();
    const { burst, perSecond } = this.options;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size > 10_000) this.sweep(now);
      bucket = { tokens: burst, at: now };
      this.buckets.set(key, bucket);
    }
    const elapsed = Math.max(0, now - bucket.at) / 1000;
    bucket.tokens = Math.min(burst, bucket.tokens + elapsed * perSecond);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return null;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond));
  }

  private sweep(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (now - bucket.at > FORGET_MS) this.buckets.delete(key);
    }
  }
}
