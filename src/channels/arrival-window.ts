/**
 * A number's requests as the provider sees them arrive, for a provider that
 * caps what it accepts over any one second (the Cloud API: 130429 beyond the
 * number's throughput). The dispatcher's rate limit spaces the hand-offs to
 * the channel, but a request can reach the provider later than it was handed
 * off: this process's event loop busy with other work (SQLite statements run
 * on it) holds the write back, and a request held up a hundred milliseconds
 * lands in the same provider second as the ones handed off a second after it.
 * Those were the 130429 refusals of bench:dispatch on SQLite.
 *
 * So each request is admitted only when fewer than `rate` requests may have
 * arrived in the last 1000 ms, counting
 * - a request not answered yet as arriving now (it may be on its way);
 * - an answered one at max(sent, answered − half the quickest round trip
 *   seen): an answer late by more than the usual round trip may have been
 *   late on the way there, and is counted as if it was; half, because the
 *   quickest round trip also holds the way there and the provider's own
 *   time, so the whole of it would place some arrivals too early (measured:
 *   a few ms too early was enough for 130429s) (worked out again with each
 *   request: the first answers, on new connections, make the quickest round
 *   trip look long until quicker ones come);
 * - a refused one not at all (the provider did not take it).
 * Paced requests that arrive on time are never held; one that arrived late
 * holds back only the requests a second after it, by at most its lateness.
 */

interface Entry {
  sent: number;
  /** When the answer came; null while unanswered (counted as arriving now). */
  answered: number | null;
}

/** How many round trips the quickest one is taken from. */
const RTT_SAMPLES = 64;

export class ArrivalWindow {
  private entries: Entry[] = [];
  private readonly rtts: number[] = [];
  private minRtt = Number.POSITIVE_INFINITY;

  /**
   * Milliseconds to wait before a request may go at `now` without more than
   * `rate` possible arrivals in a one-second window (0: go now).
   */
  delayFor(now: number, rate: number): number {
    // An answer more than a second old: its request arrived before that.
    this.entries = this.entries.filter((e) => e.answered === null || e.answered > now - 1000);
    const cap = Math.max(1, Math.floor(rate));
    if (this.entries.length < cap) return 0;
    const back = this.minRtt / 2;
    const inWindow = this.entries
      .map((e) => (e.answered === null ? now : Math.max(e.sent, e.answered - back)))
      .filter((at) => at > now - 1000)
      .sort((a, b) => a - b);
    if (inWindow.length < cap) return 0;
    // The oldest ones must leave the window first: the (n − cap + 1)-th.
    const leaving = inWindow[inWindow.length - cap] as number;
    return Math.max(0, leaving + 1000 - now);
  }

  /** A request goes now: call `settle` with its answer. */
  sent(now: number): Entry {
    const entry: Entry = { sent: now, answered: null };
    this.entries.push(entry);
    return entry;
  }

  /**
   * The request's answer came at `now`: `taken` false when the provider
   * refused it (it does not count), true when it took it or nobody knows
   * (no answer: counted as arriving now).
   */
  settle(entry: Entry, now: number, taken: boolean, answered = true): void {
    if (!taken) {
      this.entries = this.entries.filter((e) => e !== entry);
      return;
    }
    entry.answered = now;
    // No answer (the connection failed): counted as arriving now, no round trip.
    if (!answered) {
      entry.sent = now;
      return;
    }
    this.rtts.push(Math.max(0, now - entry.sent));
    if (this.rtts.length > RTT_SAMPLES) this.rtts.shift();
    this.minRtt = Math.min(...this.rtts);
  }
}
