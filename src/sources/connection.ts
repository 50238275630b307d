/**
 * One network connection shared by a source's operations: opened on first use,
 * reused by the following ones (a poll lists, stats, reads and moves over the
 * same login), closed after `idleMs` without use. FTP and SFTP clients do one
 * thing at a time, so operations queue here in call order.
 */
export class SharedConnection<T> {
  private current: T | null = null;
  private tail: Promise<void> = Promise.resolve();
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly open: () => Promise<T>,
    private readonly dispose: (connection: T) => Promise<void>,
    /** False once the connection is unusable (socket closed, timed out). */
    private readonly isAlive: (connection: T) => boolean,
    private readonly idleMs: number,
  ) {}

  /** Runs one operation with exclusive use of the connection. */
  async run<R>(operation: (connection: T) => Promise<R>): Promise<R> {
    const lease = await this.acquire();
    try {
      const result = await operation(lease.connection);
      lease.release();
      return result;
    } catch (error) {
      lease.release();
      throw error;
    }
  }

  /**
   * Exclusive use until `release` is called — for a download whose stream
   * outlives the call that started it. `release(true)` discards the connection
   * (e.g. a transfer abandoned half-way leaves the FTP control channel busy).
   */
  async acquire(): Promise<{ connection: T; release: (discard?: boolean) => void }> {
    const unlock = await this.lock();
    this.clearIdle();
    try {
      if (this.current !== null && !this.isAlive(this.current)) await this.drop();
      if (this.current === null) this.current = await this.open();
    } catch (error) {
      unlock();
      throw error;
    }
    const connection = this.current;
    let released = false;
    return {
      connection,
      release: (discard = false) => {
        if (released) return;
        released = true;
        const finish = discard || !this.isAlive(connection) ? this.drop() : Promise.resolve();
        void finish.finally(() => {
          this.armIdle();
          unlock();
        });
      },
    };
  }

  /** Closes the connection now (waiting for the running operation). */
  async close(): Promise<void> {
    const unlock = await this.lock();
    try {
      this.clearIdle();
      await this.drop();
    } finally {
      unlock();
    }
  }

  private async drop(): Promise<void> {
    const connection = this.current;
    this.current = null;
    if (connection !== null) await this.dispose(connection).catch(() => undefined);
  }

  private lock(): Promise<() => void> {
    let unlock!: () => void;
    const turn = new Promise<void>((resolve) => {
      unlock = resolve;
    });
    const previous = this.tail;
    this.tail = previous.then(() => turn);
    return previous.then(() => unlock);
  }

  private armIdle(): void {
    this.clearIdle();
    if (this.current === null) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      void this.close();
    }, this.idleMs);
    // An idle connection must not keep the process (a CLI command, a test) alive.
    this.idleTimer.unref();
  }

  private clearIdle(): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }
}

/** Rejects with `onTimeout()` when the promise has not settled within `ms`. */
export function withTimeout<R>(
  promise: Promise<R>,
  ms: number,
  onTimeout: () => Error,
): Promise<R> {
  if (ms <= 0 || !Number.isFinite(ms)) return promise;
  return new Promise<R>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
