/**
 * Structured JSON logs, one object per line on stderr (stdout stays free for
 * what a command prints to its user). Fields are whatever the caller passes:
 * callers never pass secrets (passwords, tokens, keys), so nothing here has to
 * guess what to redact. `REMESSA_LOG_LEVEL` (debug, info, warn, error, silent)
 * picks the threshold; default info.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";

const RANK: Record<LogLevel | "silent", number> = {
  debug: 10,
  info: 20,
  warn: 30,
  error: 40,
  silent: 100,
};

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

function threshold(): number {
  const level = (process.env.REMESSA_LOG_LEVEL ?? "info").toLowerCase();
  return RANK[level as LogLevel] ?? RANK.info;
}

/** Errors become {name, message, code} (their stack only at debug level). */
function plain(value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return {
      name: value.name,
      message: value.message,
      ...(code !== undefined ? { code } : {}),
      ...(threshold() <= RANK.debug ? { stack: value.stack } : {}),
    };
  }
  return value;
}

export function createLogger(
  base: LogFields = {},
  write: (line: string) => void = (line) => process.stderr.write(line),
): Logger {
  const emit = (level: LogLevel, message: string, fields?: LogFields) => {
    if (RANK[level] < threshold()) return;
    const entry: LogFields = { time: new Date().toISOString(), level, msg: message, ...base };
    if (fields) for (const [key, value] of Object.entries(fields)) entry[key] = plain(value);
    write(`${JSON.stringify(entry)}\n`);
  };
  return {
    debug: (message, fields) => emit("debug", message, fields),
    info: (message, fields) => emit("info", message, fields),
    warn: (message, fields) => emit("warn", message, fields),
    error: (message, fields) => emit("error", message, fields),
    child: (fields) => createLogger({ ...base, ...fields }, write),
  };
}

/** A logger that drops everything (tests, library callers without logging). */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};
