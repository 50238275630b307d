/**
 * A configurable in-memory `Channel` for tests and benchmarks: it accepts,
 * fails, throttles or never answers (until aborted) per message, may take
 * time per call, and may cap each sender's rate the way a provider does
 * (more than `ratePerSecond` messages of one sender in any 1000 ms → the
 * excess is "throttled"). Everything it was handed is logged with the time
 * it arrived (its clock), so tests can count per-second windows.
 */
import type { Channel, Clock, OutgoingMessage, SendResult } from "../../src/campaigns/channel.js";

export type Behaviour = "sent" | "retry" | "throttled" | "failed" | "hang";

export interface Received {
  id: number;
  to: string;
  sender: string;
  at: number;
  outcome: SendResult["outcome"] | "aborted";
}

export interface TestChannelOptions {
  provider?: string;
  clock?: Clock;
  /** Per message; default "sent". */
  behaviour?: (message: OutgoingMessage) => Behaviour;
  /** Per-sender cap over any 1000 ms, as a provider enforces it. */
  ratePerSecond?: number;
  /** Each call takes this long (real time). */
  latencyMs?: number;
  failReason?: string;
  retryAfterMs?: number;
}

export class TestChannel implements Channel {
  readonly provider: string;
  readonly received: Received[] = [];
  calls = 0;
  private closed = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Accepted arrival times per sender (for the cap). */
  private readonly accepted = new Map<string, number[]>();

  constructor(private readonly options: TestChannelOptions = {}) {
    this.provider = options.provider ?? "test";
  }

  private now(): number {
    return (this.options.clock ?? Date.now)();
  }

  async send(batch: readonly OutgoingMessage[], signal?: AbortSignal): Promise<SendResult[]> {
    if (this.closed) throw new Error("canal de teste já fechado");
    signal?.throwIfAborted();
    this.calls++;
    const work = this.handle(batch, signal);
    this.inFlight.add(work);
    try {
      return await work;
    } finally {
      this.inFlight.delete(work);
    }
  }

  private async handle(
    batch: readonly OutgoingMessage[],
    signal?: AbortSignal,
  ): Promise<SendResult[]> {
    const at = this.now();
    const kinds = batch.map((m) => this.options.behaviour?.(m) ?? "sent");
    if (kinds.includes("hang")) {
      for (const m of batch)
        this.received.push({ id: m.id, to: m.to, sender: m.from.key, at, outcome: "aborted" });
      await new Promise<never>((_, reject) => {
        const stop = () => reject(signal?.reason ?? new Error("abortado"));
        if (signal?.aborted) stop();
        signal?.addEventListener("abort", stop, { once: true });
      });
    }
    if (this.options.latencyMs) {
      await new Promise((resolve) => setTimeout(resolve, this.options.latencyMs));
      signal?.throwIfAborted();
    }
    return batch.map((m, i): SendResult => {
      let kind = kinds[i] ?? "sent";
      if (kind === "sent" && this.options.ratePerSecond !== undefined) {
        const times = this.accepted.get(m.from.key) ?? [];
        while (times.length > 0 && (times[0] as number) <= at - 1000) times.shift();
        if (times.length >= this.options.ratePerSecond) kind = "throttled";
        else times.push(at);
        this.accepted.set(m.from.key, times);
      }
      this.received.push({
        id: m.id,
        to: m.to,
        sender: m.from.key,
        at,
        outcome: kind as SendResult["outcome"],
      });
      switch (kind) {
        case "failed":
          return { outcome: "failed", reason: this.options.failReason ?? "Número inexistente." };
        case "retry":
          return {
            outcome: "retry",
            reason: "Provedor indisponível.",
            ...(this.options.retryAfterMs ? { afterMs: this.options.retryAfterMs } : {}),
          };
        case "throttled":
          return { outcome: "throttled", reason: "Limite de envio do provedor atingido." };
        default:
          return { outcome: "sent", providerId: `test-${m.id}`, segments: 1 };
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
  }
}

/** Largest number of `times` (ms) inside any half-open 1000 ms window. */
export function maxPerSecond(times: readonly number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while ((sorted[end] as number) - (sorted[start] as number) >= 1000) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}
