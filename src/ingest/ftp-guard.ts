/**
 * Login and connection guard for the embedded FTPS drop box: what stands
 * between the internet and the password check.
 *
 * - Connections are capped per address and in total; one over the cap gets a
 *   421 and is closed before it costs anything.
 * - A connection that has not logged in within `loginTimeoutMs` is closed, so
 *   idle sockets cannot pile up.
 * - Each refused login waits a delay that grows with the address's recent
 *   failures; a connection is closed after a few; an address with too many
 *   failures in a window is locked out (even the right password is refused,
 *   cheaply: no scrypt runs while locked, and its new connections get a 421
 *   before any TLS handshake).
 * - Password hashing (scrypt) runs in ONE dedicated worker thread with a
 *   bounded queue, not on libuv's thread pool: that pool (4 threads) also does
 *   every file read and write, and a flood of guesses there starved uploads and
 *   imports. A full queue refuses the login at once ("servidor ocupado").
 */
import { randomBytes, scryptSync, timingSafeEqual } from "node:crypto";
import { Worker } from "node:worker_threads";
import type { Logger } from "../log.js";

export interface GuardLimits {
  /** Open connections from one address (authenticated or not). */
  maxConnectionsPerAddress: number;
  /** Open connections in total. */
  maxConnections: number;
  /** A connection must log in within this time, or it is closed. */
  loginTimeoutMs: number;
  /** Refused logins on one connection before it is closed. */
  failuresPerConnection: number;
  /** Refused logins from one address within `lockoutWindowMs` that lock it out. */
  lockoutFailures: number;
  lockoutWindowMs: number;
  /** How long an address stays locked out. */
  lockoutMs: number;
  /** Delay before answering the first refused login; doubles per recent failure (up to 16×). */
  failureDelayMs: number;
  /** Password checks waiting for the scrypt worker before new ones are refused as busy. */
  verifyQueue: number;
  /**
   * Password checks one address may have running or waiting at once: one
   * address guessing on many connections must not fill the queue and lock
   * everyone else out with "servidor ocupado".
   */
  verifyPerAddress: number;
}

/** Every threshold in one place; `serve` overrides some from the environment (tests). */
export const DEFAULT_GUARD_LIMITS: GuardLimits = {
  maxConnectionsPerAddress: 20,
  maxConnections: 200,
  loginTimeoutMs: 30_000,
  failuresPerConnection: 3,
  lockoutFailures: 10,
  lockoutWindowMs: 15 * 60_000,
  lockoutMs: 15 * 60_000,
  failureDelayMs: 300,
  verifyQueue: 16,
  verifyPerAddress: 2,
};

const MAX_DELAY_FACTOR = 16;
/** Addresses remembered with failures; beyond this the oldest are forgotten (memory bound). */
const MAX_TRACKED_ADDRESSES = 10_000;

/** Env var → limit, for `serve` (documented in the README). */
const ENV_LIMITS: Record<string, keyof GuardLimits> = {
  REMESSA_FTP_MAX_CONNECTIONS: "maxConnections",
  REMESSA_FTP_MAX_CONNECTIONS_PER_IP: "maxConnectionsPerAddress",
  REMESSA_FTP_LOGIN_TIMEOUT_MS: "loginTimeoutMs",
  REMESSA_FTP_LOCKOUT_FAILURES: "lockoutFailures",
  REMESSA_FTP_LOCKOUT_MS: "lockoutMs",
  REMESSA_FTP_FAILURE_DELAY_MS: "failureDelayMs",
};

/** Limits from the environment over the defaults; a bad value is an error naming the variable. */
export function guardLimitsFromEnv(
  env: Record<string, string | undefined> = process.env,
): GuardLimits {
  const limits = { ...DEFAULT_GUARD_LIMITS };
  for (const [name, key] of Object.entries(ENV_LIMITS)) {
    const text = env[name]?.trim();
    if (!text) continue;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 0 || (key !== "failureDelayMs" && value === 0)) {
      throw new Error(`${name} inválido: "${text}". Use um número inteiro positivo.`);
    }
    limits[key] = value;
    // One variable sets both: failures are counted over as long as the lockout lasts.
    if (key === "lockoutMs") limits.lockoutWindowMs = value;
  }
  return limits;
}

// ---------------------------------------------------------------------------
// Weak configured passwords

const OBVIOUS_PASSWORDS = new Set([
  "123456789012",
  "1234567890123",
  "12345678901234",
  "qwertyuiop123",
  "senha1234567",
  "senhasenha123",
  "password1234",
  "passwordpassword",
  "remessa12345",
  "remessaremessa",
  "administrador",
  "admin1234567",
  "trocar123456",
  "mudar1234567",
]);

/**
 * Why a configured password is too weak (pt-BR, saying how to choose one), or
 * null when it is acceptable: at least 12 characters, at least two kinds of
 * character (lowercase, uppercase, digits, symbols), not an obvious one.
 */
export function weakPasswordReason(password: string): string | null {
  const how =
    "Escolha uma senha com pelo menos 12 caracteres misturando letras e números (ou símbolos), por exemplo gerada com `openssl rand -base64 18`, ou remova REMESSA_FTP_PASSWORD para o remessa gerar uma.";
  if ([...password].length < 12) {
    return `REMESSA_FTP_PASSWORD é fraca demais: tem ${[...password].length} caracteres (mínimo 12). ${how}`;
  }
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/].filter((re) =>
    re.test(password),
  ).length;
  if (classes < 2) {
    return `REMESSA_FTP_PASSWORD é fraca demais: usa um só tipo de caractere (só letras minúsculas, só maiúsculas, só números ou só símbolos). ${how}`;
  }
  const lower = password.toLowerCase();
  if (new Set(lower).size < 6) {
    return `REMESSA_FTP_PASSWORD é fraca demais: repete poucos caracteres diferentes. ${how}`;
  }
  if (OBVIOUS_PASSWORDS.has(lower)) {
    return `REMESSA_FTP_PASSWORD é fraca demais: é uma senha óbvia, das primeiras que um atacante tenta. ${how}`;
  }
  return null;
}

// ---------------------------------------------------------------------------
// scrypt in one worker thread

export const SCRYPT_KEY_LENGTH = 32;

/** A login refused at once because too many password checks are waiting. */
export class ServerBusyError extends Error {
  constructor() {
    super(
      "Servidor ocupado: muitas tentativas de login ao mesmo tempo. Tente de novo em instantes.",
    );
  }
}

// Plain JavaScript evaluated in the worker: no loader or build step involved.
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { scryptSync } = require("node:crypto");
parentPort.on("message", ({ id, password, salt, length }) => {
  try {
    const key = scryptSync(password, Buffer.from(salt), length);
    parentPort.postMessage({ id, key });
  } catch (error) {
    parentPort.postMessage({ id, error: String((error && error.message) || error) });
  }
});
`;

type Pending = { ok: (key: Buffer) => void; fail: (error: Error) => void };

/**
 * One worker running scryptSync, one request at a time: password checks use
 * at most one core and never a thread of libuv's pool. Requests beyond
 * `maxQueue` waiting are refused with ServerBusyError.
 */
export class ScryptWorker {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(public maxQueue: number = DEFAULT_GUARD_LIMITS.verifyQueue) {}

  get queued(): number {
    return this.pending.size;
  }

  hash(password: string, salt: Buffer, length: number): Promise<Buffer> {
    if (this.pending.size >= this.maxQueue) return Promise.reject(new ServerBusyError());
    const worker = this.start();
    const id = this.nextId++;
    return new Promise<Buffer>((ok, fail) => {
      this.pending.set(id, { ok, fail });
      // Keeps the process alive only while a check is waiting.
      worker.ref();
      worker.postMessage({ id, password, salt, length });
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref();
    worker.on("message", (message: { id: number; key?: Uint8Array; error?: string }) => {
      const request = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (this.pending.size === 0) worker.unref();
      if (!request) return;
      if (message.key) request.ok(Buffer.from(message.key));
      else request.fail(new Error(message.error ?? "scrypt failed"));
    });
    const failAll = (error: Error) => {
      if (this.worker === worker) this.worker = null;
      for (const request of this.pending.values()) request.fail(error);
      this.pending.clear();
    };
    worker.on("error", failAll);
    worker.on("exit", () => failAll(new Error("scrypt worker exited")));
    this.worker = worker;
    return worker;
  }
}

/** The process's password hashing worker (one, shared by every drop box). */
export const scryptWorker = new ScryptWorker();

/** `scrypt:<salt>:<hash>` (base64url) of a password; stored files never hold the password itself. */
export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, SCRYPT_KEY_LENGTH);
  return `scrypt:${salt.toString("base64url")}:${hash.toString("base64url")}`;
}

/** A check of passwords against a stored hash, run in the scrypt worker. */
export function verifierOf(
  stored: string,
  worker: ScryptWorker = scryptWorker,
): (password: string) => Promise<boolean> {
  const [scheme, salt, hash] = stored.split(":");
  if (scheme !== "scrypt" || !salt || !hash) return async () => false;
  const expected = Buffer.from(hash, "base64url");
  const saltBytes = Buffer.from(salt, "base64url");
  return async (password) =>
    timingSafeEqual(await worker.hash(password, saltBytes, expected.length), expected);
}

// ---------------------------------------------------------------------------
// Connections and logins

/** The part of ftp-srv's connection the guard uses. */
export interface GuardedConnection {
  ip?: string | null;
  authenticated?: boolean;
  commandSocket: {
    writable: boolean;
    removeAllListeners(event: string): unknown;
    end(data: string): unknown;
    destroy(): unknown;
  };
  close(code?: number, message?: string): Promise<unknown>;
}

interface AddressState {
  /** Times of recent refused logins (within the window). */
  failures: number[];
  lockedUntil: number;
}

interface ConnectionState {
  address: string;
  failures: number;
  checking: boolean;
  timer: NodeJS.Timeout | null;
}

export type LoginOutcome = "accepted" | "refused";

function plainAddress(ip: string | null | undefined): string {
  return (ip ?? "?").replace(/^::ffff:/, "");
}

function waitMs(ms: number): Promise<void> {
  return ms > 0 ? new Promise((ok) => setTimeout(ok, ms).unref()) : Promise.resolve();
}

/** "15 min", "40 s": how long, for a person. */
function duration(ms: number): string {
  return ms >= 60_000 ? `${Math.ceil(ms / 60_000)} min` : `${Math.max(1, Math.ceil(ms / 1000))} s`;
}

export class FtpGuard {
  readonly limits: GuardLimits;
  private readonly addresses = new Map<string, AddressState>();
  private readonly connections = new Map<GuardedConnection, ConnectionState>();
  private readonly perAddress = new Map<string, number>();
  /** Password checks handed to the worker, and logins waiting for their turn, per address. */
  private readonly checksFrom = new Map<string, { running: number; waiting: (() => void)[] }>();
  private lastCapWarning = 0;

  constructor(
    private readonly log: Logger,
    limits: Partial<GuardLimits> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.limits = { ...DEFAULT_GUARD_LIMITS, ...limits };
  }

  get openConnections(): number {
    return this.connections.size;
  }

  /** Follows ftp-srv's connections ("connect" is emitted before its greeting; its types omit it). */
  attach(server: NodeJS.EventEmitter): void {
    server.on("connect", ({ connection }: { connection: GuardedConnection }) =>
      this.onConnect(connection),
    );
    server.on("disconnect", ({ connection }: { connection: GuardedConnection }) =>
      this.onDisconnect(connection),
    );
  }

  /**
   * A new connection (ftp-srv's "connect", before its greeting): over a cap it
   * gets a 421 and is closed at once — written directly, so ftp-srv's 220 that
   * follows finds the socket already ended — else it is counted and given a
   * login deadline.
   */
  onConnect(connection: GuardedConnection): void {
    const address = plainAddress(connection.ip);
    const fromAddress = this.perAddress.get(address) ?? 0;
    let refusal: string | null = null;
    const locked = this.lockedFor(address);
    if (locked > 0) {
      // Refused before any TLS handshake: a locked-out guesser costs an accept and a write.
      refusal = `421 ${this.lockedMessage(address, locked)}`;
    } else if (this.connections.size >= this.limits.maxConnections) {
      refusal = `421 Servidor cheio: ${this.limits.maxConnections} conexões abertas. Tente de novo em alguns minutos.`;
    } else if (fromAddress >= this.limits.maxConnectionsPerAddress) {
      refusal = `421 Conexões demais a partir do endereço ${address} (máximo ${this.limits.maxConnectionsPerAddress} ao mesmo tempo). Feche conexões antigas e tente de novo.`;
    }
    if (refusal) {
      if (locked === 0 && this.now() - this.lastCapWarning > 60_000) {
        this.lastCapWarning = this.now();
        this.log.warn("drop box connection refused: over the cap", {
          ip: address,
          open: this.connections.size,
          fromAddress,
        });
      }
      const socket = connection.commandSocket;
      // ftp-srv resumes the socket after its greeting: a refused client's
      // pipelined commands (AUTH, USER, PASS) must not reach its parser.
      socket.removeAllListeners("data");
      if (socket.writable) socket.end(`${refusal}\r\n`);
      // A client that never closes its side must not hold the descriptor.
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    this.perAddress.set(address, fromAddress + 1);
    const timer = setTimeout(() => {
      if (connection.authenticated) return;
      this.log.debug("drop box connection closed: no login in time", { ip: address });
      void connection.close(
        421,
        `Tempo esgotado: faça o login em até ${duration(this.limits.loginTimeoutMs)} após conectar. Conexão encerrada.`,
      );
      // ftp-srv destroys the socket only once the reply is written, which never
      // happens on a TLS socket whose handshake the client left unfinished.
      setTimeout(() => connection.commandSocket.destroy(), 2000).unref();
    }, this.limits.loginTimeoutMs);
    timer.unref();
    this.connections.set(connection, { address, failures: 0, checking: false, timer });
  }

  /** The connection closed (ftp-srv's "disconnect"). */
  onDisconnect(connection: GuardedConnection): void {
    const state = this.connections.get(connection);
    if (!state) return;
    this.connections.delete(connection);
    if (state.timer) clearTimeout(state.timer);
    const left = (this.perAddress.get(state.address) ?? 1) - 1;
    if (left <= 0) this.perAddress.delete(state.address);
    else this.perAddress.set(state.address, left);
  }

  /** Milliseconds the address stays locked out (0: not locked). */
  lockedFor(ip: string): number {
    const state = this.addresses.get(plainAddress(ip));
    return state ? Math.max(0, state.lockedUntil - this.now()) : 0;
  }

  private lockedMessage(address: string, lockedMs: number): string {
    return `Endereço ${address} bloqueado temporariamente por excesso de tentativas de login erradas. Tente de novo em ${duration(lockedMs)}.`;
  }

  /**
   * Runs one login attempt: refuses at once when the address is locked out (no
   * scrypt), else runs `check`; a refusal waits the growing delay, counts
   * against the address and the connection, and closes the connection (421)
   * after `failuresPerConnection`. `refuse` receives the 530 message; it is
   * not called when the connection was closed instead.
   */
  async login(
    ftpConnection: object,
    user: string,
    check: () => Promise<boolean>,
    refuse: (message: string) => void,
  ): Promise<LoginOutcome> {
    const connection = ftpConnection as GuardedConnection;
    const address = plainAddress(connection.ip);
    const state =
      this.connections.get(connection) ??
      ({ address, failures: 0, checking: false, timer: null } satisfies ConnectionState);
    if (state.checking) {
      // A client pipelining PASS commands must not run checks in parallel.
      refuse("Aguarde a resposta da tentativa de login anterior.");
      return "refused";
    }
    state.checking = true;
    try {
      const locked = this.lockedFor(address);
      if (locked > 0) {
        this.log.debug("drop box login refused: address locked out", { user, ip: address });
        await waitMs(this.delayFor(address));
        return await this.refused(connection, state, this.lockedMessage(address, locked), refuse);
      }
      let ok: boolean;
      const release = await this.checkTurn(address);
      try {
        // Gone while waiting for its turn: no scrypt for nobody.
        if (!connection.commandSocket.writable) return "refused";
        ok = await check();
      } catch (error) {
        if (error instanceof ServerBusyError) {
          this.log.warn("drop box login refused: password checks queue full", { ip: address });
          await connection.close(421, error.message);
          return "refused";
        }
        ok = false;
      } finally {
        release();
      }
      if (ok) {
        this.addresses.delete(address);
        if (state.timer) clearTimeout(state.timer);
        state.timer = null;
        return "accepted";
      }
      const failures = this.recordFailure(address);
      this.log.warn("drop box login refused", { user, ip: address, recentFailures: failures });
      await waitMs(this.delayFor(address));
      return await this.refused(connection, state, "Usuário ou senha incorretos.", refuse);
    } finally {
      state.checking = false;
    }
  }

  /**
   * Waits until the address has fewer than `verifyPerAddress` checks in the
   * worker's queue. Waiting costs nothing (at most one login per connection,
   * connections per address are capped) and slows a guesser down, where a
   * refusal would let it spin.
   */
  private async checkTurn(address: string): Promise<() => void> {
    let slot = this.checksFrom.get(address);
    if (!slot) {
      slot = { running: 0, waiting: [] };
      this.checksFrom.set(address, slot);
    }
    const turn = slot;
    if (turn.running >= this.limits.verifyPerAddress) {
      await new Promise<void>((ok) => turn.waiting.push(ok));
    } else {
      turn.running++;
    }
    return () => {
      const next = turn.waiting.shift();
      // The slot passes to the next waiter as is (running unchanged).
      if (next) return next();
      turn.running--;
      if (turn.running === 0) this.checksFrom.delete(address);
    };
  }

  private async refused(
    connection: GuardedConnection,
    state: ConnectionState,
    message: string,
    refuse: (message: string) => void,
  ): Promise<LoginOutcome> {
    state.failures++;
    if (state.failures >= this.limits.failuresPerConnection) {
      await connection.close(
        421,
        `${message} Muitas tentativas de login erradas nesta conexão (${state.failures}): conexão encerrada.`,
      );
      return "refused";
    }
    refuse(message);
    return "refused";
  }

  /** Counts a refused login; returns the address's failures in the window (locks it out at the limit). */
  private recordFailure(address: string): number {
    const now = this.now();
    let state = this.addresses.get(address);
    if (!state) {
      this.forgetOldAddresses(now);
      state = { failures: [], lockedUntil: 0 };
      this.addresses.set(address, state);
    }
    state.failures = state.failures.filter((t) => now - t < this.limits.lockoutWindowMs);
    state.failures.push(now);
    const count = state.failures.length;
    if (count >= this.limits.lockoutFailures) {
      state.lockedUntil = now + this.limits.lockoutMs;
      this.log.warn("drop box address locked out", {
        ip: address,
        failures: count,
        lockedForMs: this.limits.lockoutMs,
      });
    }
    return count;
  }

  private delayFor(address: string): number {
    const now = this.now();
    const failures =
      this.addresses.get(address)?.failures.filter((t) => now - t < this.limits.lockoutWindowMs)
        .length ?? 0;
    if (failures === 0) return 0;
    const factor = Math.min(2 ** (failures - 1), MAX_DELAY_FACTOR);
    return this.limits.failureDelayMs * factor;
  }

  private forgetOldAddresses(now: number): void {
    if (this.addresses.size < MAX_TRACKED_ADDRESSES) return;
    for (const [address, state] of this.addresses) {
      const recent = state.failures.some((t) => now - t < this.limits.lockoutWindowMs);
      if (!recent && state.lockedUntil <= now) this.addresses.delete(address);
    }
    // Still full (a flood from many addresses): forget the oldest entries.
    for (const address of this.addresses.keys()) {
      if (this.addresses.size < MAX_TRACKED_ADDRESSES) break;
      this.addresses.delete(address);
    }
  }
}
