/**
 * Structured logs through pino: one JSON object per line on stderr (stdout
 * stays free for what a command prints to its user), or a readable form on a
 * terminal (pino-pretty). `REMESSA_LOG_LEVEL` (debug, info, warn, error,
 * silent) picks the threshold, default info; `REMESSA_LOG_FORMAT` (json,
 * pretty) overrides the terminal guess.
 *
 * Callers pass a message and fields (`log.info("file imported", {rows})`).
 * Before anything is written, the fields go through `redact`: a field whose
 * name says secret or personal data (password, token, authorization, cpf,
 * phone, email…) is replaced whole, wherever it is nested, and strings are
 * scrubbed of what looks like an e-mail address, a CPF/CNPJ, a phone number
 * or a password in a URL. Callers should still never pass such things: this
 * is the net under them, not a licence.
 */
import { createRequire } from "node:module";
import pino, { type DestinationStream } from "pino";

export type LogLevel = "debug" | "info" | "warn" | "error";

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

/** What replaces a redacted value. */
export const REDACTED = "[REDACTED]";

/** Field names (lowercase, only letters and digits) that are secret or personal whatever they hold. */
const SENSITIVE_NAMES = new Set([
  "to",
  "address",
  "destination",
  "recipient",
  "recipients",
  "document",
  "documento",
  "key",
  "privatekey",
  "credentials",
  "mobile",
  "nome",
  "nomecliente",
  "personname",
  "body",
  "text",
]);

/** Parts of field names that make them secret or personal (passwordHash, x-api-key, userEmail…). */
const SENSITIVE_PARTS =
  /pass(word|wd)?|senha|secret|token|authorization|cookie|apikey|cpf|cnpj|phone|telefone|celular|email/;

function sensitiveKey(key: string): boolean {
  const plain = key.toLowerCase().replace(/[^a-z0-9]/g, "");
  return SENSITIVE_NAMES.has(plain) || SENSITIVE_PARTS.test(plain);
}

const VALUE_PATTERNS: [RegExp, string][] = [
  // scheme://user:password@host: the password only.
  [/(\/\/[^:/@\s]+:)[^@\s/]+@/g, `$1${REDACTED}@`],
  [/[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g, REDACTED],
  // CPF and CNPJ written with their punctuation.
  [/\b\d{3}\.\d{3}\.\d{3}-\d{2}\b/g, REDACTED],
  [/\b\d{2}\.\d{3}\.\d{3}\/\d{4}-\d{2}\b/g, REDACTED],
  // Phones as people write them: (11) 98765-4321, 11 98765-4321.
  [/\(?\b\d{2}\)?[ ]?9?\d{4}-\d{4}\b/g, REDACTED],
  // A bare run of 10 to 14 digits: a phone (with DDD, or 55 and DDD), a CPF or a CNPJ.
  [/(?<![\w.])\+?\d{10,14}(?![\w.])/g, REDACTED],
];

function scrub(text: string): string {
  let out = text;
  for (const [pattern, replacement] of VALUE_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

const MAX_DEPTH = 6;

/**
 * `value` as written to the log: sensitive fields replaced, strings scrubbed,
 * errors as {name, message, code} (their stack only with `stacks`), cycles
 * and deep nesting cut.
 */
export function redact(
  value: unknown,
  stacks = false,
  depth = 0,
  seen = new Set<object>(),
): unknown {
  if (typeof value === "string") return scrub(value);
  if (value === null || typeof value !== "object") {
    return typeof value === "bigint" ? String(value) : value;
  }
  if (seen.has(value)) return "[circular]";
  if (depth >= MAX_DEPTH) return "[…]";
  seen.add(value);
  try {
    if (value instanceof Error) {
      const code = (value as { code?: unknown }).code;
      return {
        name: value.name,
        message: scrub(value.message),
        ...(code !== undefined ? { code } : {}),
        ...(stacks && value.stack ? { stack: scrub(value.stack) } : {}),
      };
    }
    if (value instanceof Date) return value.toISOString();
    if (Array.isArray(value)) return value.map((v) => redact(v, stacks, depth + 1, seen));
    if (value instanceof Map || value instanceof Set || ArrayBuffer.isView(value)) {
      return `[${value.constructor.name}]`;
    }
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      out[key] =
        sensitiveKey(key) && v !== null && v !== undefined
          ? REDACTED
          : redact(v, stacks, depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

function levelFromEnv(): pino.LevelWithSilent {
  const level = (process.env.REMESSA_LOG_LEVEL ?? "info").toLowerCase();
  return ["debug", "info", "warn", "error", "silent"].includes(level)
    ? (level as pino.LevelWithSilent)
    : "info";
}

/** stderr: pretty on a terminal (or REMESSA_LOG_FORMAT=pretty), JSON lines otherwise. */
function defaultDestination(): DestinationStream {
  const format = process.env.REMESSA_LOG_FORMAT?.toLowerCase();
  const pretty = format === "pretty" || (format !== "json" && process.stderr.isTTY === true);
  if (pretty) {
    // Loaded only for a terminal, in this thread (no transport worker) and synchronously,
    // so the lines keep their order with what the command prints.
    const build = createRequire(import.meta.url)("pino-pretty") as (
      options: Record<string, unknown>,
    ) => DestinationStream;
    return build({
      destination: 2,
      sync: true,
      colorize: process.stderr.isTTY === true,
      translateTime: "SYS:HH:MM:ss.l",
      ignore: "pid,hostname",
      singleLine: true,
    });
  }
  // Synchronous: a line written just before the process exits is not lost.
  return pino.destination({ dest: 2, sync: true });
}

function wrap(target: pino.Logger, stacks: boolean): Logger {
  const emit = (level: LogLevel) => (message: string, fields?: LogFields) => {
    if (!target.isLevelEnabled(level)) return;
    if (fields === undefined) target[level](scrub(message));
    else target[level](redact(fields, stacks) as object, scrub(message));
  };
  return {
    debug: emit("debug"),
    info: emit("info"),
    warn: emit("warn"),
    error: emit("error"),
    child: (fields) => wrap(target.child(redact(fields, stacks) as pino.Bindings), stacks),
  };
}

/**
 * A logger with `base` on every line. `write` receives each line (tests);
 * by default lines go to stderr.
 */
export function createLogger(base: LogFields = {}, write?: (line: string) => void): Logger {
  const level = levelFromEnv();
  const destination: DestinationStream = write ? { write } : defaultDestination();
  const root = pino(
    {
      level,
      base: null,
      messageKey: "msg",
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  const stacks = level === "debug";
  return wrap(
    Object.keys(base).length > 0 ? root.child(redact(base) as pino.Bindings) : root,
    stacks,
  );
}

/** A logger that drops everything (tests, library callers without logging). */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};
