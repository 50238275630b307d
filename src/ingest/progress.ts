/**
 * Progress lines of a long import in the log ("file X: 40% read, 120000
 * people so far"), every few seconds while it runs, not per row: an operator
 * watching `serve` sees the work move, not only its end. A file imported
 * faster than the interval gets no progress line at all.
 */
import type { Logger } from "../log.js";

/** Default time between two progress lines. */
export const DEFAULT_PROGRESS_MS = 5000;

export class ImportProgressLog {
  private bytesRead = 0;
  private totalBytes = 0;
  private persons = 0;
  private rejectedRows = 0;
  private readonly started = performance.now();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly log: Logger,
    everyMs: number = DEFAULT_PROGRESS_MS,
  ) {
    this.timer = setInterval(() => this.write(), Math.max(10, everyMs));
    this.timer.unref();
  }

  /** From the reader: bytes of the file read so far. */
  bytes(read: number, total: number): void {
    this.bytesRead = read;
    this.totalBytes = total;
  }

  /** From the writer: people written and rows rejected so far. */
  rows(persons: number, rejectedRows: number): void {
    this.persons = persons;
    this.rejectedRows = rejectedRows;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private write(): void {
    const fraction = this.totalBytes > 0 ? Math.min(1, this.bytesRead / this.totalBytes) : 0;
    const percent = Math.floor(fraction * 100);
    const seconds = Math.round((performance.now() - this.started) / 100) / 10;
    const read = this.totalBytes > 0 && this.bytesRead >= this.totalBytes;
    // People in the whole file, guessed from the share read: rows per byte stays about even.
    const estimate = fraction > 0.02 && !read ? Math.round(this.persons / fraction) : this.persons;
    const message = read
      ? `import progress: file read, ${this.persons} people written; finishing (indexes, campaigns)`
      : `import progress: ${percent}% read, ${this.persons} of about ${estimate} people written`;
    this.log.info(message, {
      percent,
      bytesRead: this.bytesRead,
      bytes: this.totalBytes,
      persons: this.persons,
      estimatedPersons: estimate,
      rejectedRows: this.rejectedRows,
      seconds,
    });
  }
}
