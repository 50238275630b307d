/** Waiting for SQLite's write lock without blocking the event loop. */

/** SQLITE_BUSY and its extended codes: another connection holds the lock. */
export function isSqliteBusy(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === "string" && code.startsWith("SQLITE_BUSY");
}

/**
 * On SQLite an import holds the write lock for its whole transaction (on its
 * own connection). The ingest code's connection therefore uses no busy
 * timeout — better-sqlite3 would wait for the lock synchronously, freezing the
 * event loop (and with it the embedded FTP server and the import itself) —
 * and retries its writes here, asynchronously, instead.
 */
export async function busyRetry<T>(run: () => T | Promise<T>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let wait = 5;
  for (;;) {
    try {
      return await run();
    } catch (error) {
      if (!isSqliteBusy(error) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(wait * 2, 200);
    }
  }
}
