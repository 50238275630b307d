/**
 * One SMPP 3.4 transceiver bind to an SMSC (one per SMS route): connects,
 * binds, keeps the link alive with enquire_link, reconnects with back-off
 * when the connection drops or the bind is refused, and carries submit_sm
 * through an asynchronous window (up to `window` requests awaiting their
 * responses at once). Incoming deliver_sm (receipts and MO messages) are
 * always answered with deliver_sm_resp, then handed to `onDeliver`.
 */
import smpp, { type PDU, type PduFields, type Session } from "smpp";
import { type Logger, silentLogger } from "../log.js";
import type { SmppTestCode } from "./smpp-codes.js";

export interface BindTarget {
  host: string;
  port: number;
  systemId: string;
  password: string;
  systemType: string;
}

export interface BindOptions {
  window: number;
  /** enquire_link period while bound (ms). */
  enquireLinkMs: number;
  /** How long a request waits for its response before the link is taken for dead (ms). */
  responseTimeoutMs: number;
  /** TCP connect plus bind_transceiver_resp (ms). */
  bindTimeoutMs: number;
  reconnectBaseMs: number;
  reconnectMaxMs: number;
}

export const DEFAULT_BIND_OPTIONS: BindOptions = {
  window: 10,
  enquireLinkMs: 30_000,
  responseTimeoutMs: 15_000,
  bindTimeoutMs: 10_000,
  reconnectBaseMs: 500,
  reconnectMaxMs: 60_000,
};

/** A submit_sm's fate: the SMSC's response, or the link went away before it came. */
export type SubmitOutcome =
  | { kind: "response"; status: number; messageId: string }
  | { kind: "lost"; reason: string };

/** Names of the SMPP command_status codes (ESME_R…), from the package's table. */
const STATUS_NAMES = new Map<number, string>(
  Object.entries(smpp.errors).map(([name, code]) => [code, name]),
);

export function statusName(status: number): string {
  return STATUS_NAMES.get(status) ?? `0x${status.toString(16).padStart(8, "0")}`;
}

/** Why a bind or connection attempt failed, in pt-BR, with a stable code for `sms-routes test`. */
export interface BindProblem {
  code: Exclude<SmppTestCode, "CONFIGURACAO">;
  message: string;
}

export function bindStatusProblem(status: number): BindProblem {
  const { errors } = smpp;
  if (status === errors.ESME_RINVPASWD) {
    return {
      code: "SENHA_INCORRETA",
      message: "A operadora recusou a senha SMPP (ESME_RINVPASWD): confira a senha da rota.",
    };
  }
  if (status === errors.ESME_RINVSYSID) {
    return {
      code: "USUARIO_INVALIDO",
      message: "A operadora não reconhece o usuário SMPP (ESME_RINVSYSID): confira o system_id.",
    };
  }
  if (status === errors.ESME_RBINDFAIL) {
    return {
      code: "BIND_RECUSADO",
      message:
        "A operadora recusou o bind (ESME_RBINDFAIL): em geral senha errada, usuário sem permissão de transceiver ou limite de conexões atingido.",
    };
  }
  return {
    code: "BIND_RECUSADO",
    message: `A operadora recusou o bind (${statusName(status)}).`,
  };
}

export function socketProblem(error: NodeJS.ErrnoException, target: BindTarget): BindProblem {
  const where = `${target.host}:${target.port}`;
  switch (error.code) {
    case "ECONNREFUSED":
      return {
        code: "CONEXAO_RECUSADA",
        message: `Conexão recusada por ${where}: confira o servidor e a porta SMPP (e se seu IP está liberado na operadora).`,
      };
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return {
        code: "HOST_DESCONHECIDO",
        message: `Servidor SMPP "${target.host}" não encontrado (DNS): confira o endereço.`,
      };
    case "ETIMEDOUT":
      return {
        code: "TEMPO_ESGOTADO",
        message: `Tempo esgotado ao conectar em ${where}: o servidor não respondeu (firewall ou IP não liberado?).`,
      };
    default:
      return {
        code: "CONEXAO_PERDIDA",
        message: `Falha na conexão com ${where}: ${error.message}.`,
      };
  }
}

interface Pending {
  resolve(outcome: SubmitOutcome): void;
  timer: NodeJS.Timeout;
}

export class SmppBind {
  private session: Session | null = null;
  private state: "idle" | "connecting" | "bound" | "closed" = "idle";
  private failures = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private enquireTimer: NodeJS.Timeout | null = null;
  private readonly pending = new Map<number, Pending>();
  private inFlight = 0;
  private readonly windowWaiters: (() => void)[] = [];
  private boundWaiters: ((problem: BindProblem | null) => void)[] = [];
  /** The last connection or bind failure, until a bind succeeds. */
  lastProblem: BindProblem | null = null;
  /** When the next connection attempt is due (epoch ms), while backing off. */
  nextAttemptAt = 0;

  constructor(
    private readonly target: BindTarget,
    private readonly options: BindOptions,
    private readonly log: Logger,
    private readonly onDeliver: (pdu: PDU) => void,
  ) {}

  get bound(): boolean {
    return this.state === "bound";
  }

  /** Starts connecting if idle (and not backing off). */
  open(): void {
    if (this.state !== "idle" || this.reconnectTimer !== null) return;
    this.connect();
  }

  /**
   * Resolves when bound (null), or with the problem when the current attempt
   * fails or `timeoutMs` passes first.
   */
  waitBound(timeoutMs: number): Promise<BindProblem | null> {
    if (this.state === "bound") return Promise.resolve(null);
    if (this.state === "closed") {
      return Promise.resolve({ code: "CONEXAO_PERDIDA", message: "Conexão SMPP fechada." });
    }
    this.open();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.boundWaiters = this.boundWaiters.filter((w) => w !== waiter);
        resolve(
          this.lastProblem ?? {
            code: "TEMPO_ESGOTADO",
            message: `Sem bind SMPP em ${this.target.host}:${this.target.port} após ${Math.round(timeoutMs / 1000)} s.`,
          },
        );
      }, timeoutMs);
      const waiter = (problem: BindProblem | null) => {
        clearTimeout(timer);
        resolve(problem);
      };
      this.boundWaiters.push(waiter);
    });
  }

  private connect(): void {
    this.state = "connecting";
    const session = smpp.connect({ host: this.target.host, port: this.target.port });
    this.session = session;
    let settled = false;
    const fail = (problem: BindProblem) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      this.lastProblem = problem;
      this.log.warn("bind SMPP falhou", { code: problem.code, reason: problem.message });
      this.settleBound(problem);
      session.destroy();
    };
    const timer = setTimeout(
      () =>
        fail({
          code: "TEMPO_ESGOTADO",
          message: `Tempo esgotado ao conectar e fazer o bind em ${this.target.host}:${this.target.port}.`,
        }),
      this.options.bindTimeoutMs,
    );
    session.on("error", (error: NodeJS.ErrnoException) => {
      if (!settled) fail(socketProblem(error, this.target));
      else this.log.warn("erro na conexão SMPP", { error: error.message });
    });
    session.on("close", () => {
      if (!settled) {
        fail({
          code: "CONEXAO_PERDIDA",
          message: `A conexão com ${this.target.host}:${this.target.port} caiu antes do bind.`,
        });
      }
      this.dropped(session);
    });
    session.on("connect", () => {
      session.bind_transceiver(
        {
          system_id: this.target.systemId,
          password: this.target.password,
          system_type: this.target.systemType,
        },
        (pdu) => {
          if (settled) return;
          if (pdu.command_status !== 0) {
            fail(bindStatusProblem(pdu.command_status));
            return;
          }
          settled = true;
          clearTimeout(timer);
          this.state = "bound";
          this.failures = 0;
          this.lastProblem = null;
          this.nextAttemptAt = 0;
          this.startEnquireLink(session);
          this.log.info("bind SMPP feito", { host: this.target.host, port: this.target.port });
          this.settleBound(null);
        },
      );
    });
    session.on("deliver_sm", (pdu) => {
      // Answer first, whatever happens next: an unanswered deliver_sm makes the SMSC resend it and, past its window, stop delivering.
      session.send(pdu.response());
      try {
        this.onDeliver(pdu);
      } catch (error) {
        this.log.error("deliver_sm não tratado", { error });
      }
    });
    session.on("enquire_link", (pdu) => {
      session.send(pdu.response());
    });
    session.on("unbind", (pdu) => {
      session.send(pdu.response());
      session.close();
    });
  }

  private settleBound(problem: BindProblem | null): void {
    const waiters = this.boundWaiters;
    this.boundWaiters = [];
    for (const w of waiters) w(problem);
  }

  private startEnquireLink(session: Session): void {
    this.stopEnquireLink();
    this.enquireTimer = setInterval(() => {
      if (this.session !== session || this.state !== "bound") return;
      const timer = setTimeout(() => {
        this.log.warn("enquire_link sem resposta: reconectando", { host: this.target.host });
        session.destroy();
      }, this.options.responseTimeoutMs);
      session.enquire_link({}, () => clearTimeout(timer));
    }, this.options.enquireLinkMs);
    this.enquireTimer.unref();
  }

  private stopEnquireLink(): void {
    if (this.enquireTimer) clearInterval(this.enquireTimer);
    this.enquireTimer = null;
  }

  /** The session closed: every request awaiting a response is lost; reconnect unless closing. */
  private dropped(session: Session): void {
    if (this.session !== session) return;
    this.session = null;
    this.stopEnquireLink();
    const reason = `A conexão SMPP com ${this.target.host}:${this.target.port} caiu antes da resposta da operadora.`;
    for (const [seq, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(seq);
      p.resolve({ kind: "lost", reason });
    }
    if (this.state === "closed") return;
    const wasBound = this.state === "bound";
    this.state = "idle";
    if (wasBound) {
      this.log.warn("conexão SMPP caiu: reconectando", { host: this.target.host });
      this.lastProblem = { code: "CONEXAO_PERDIDA", message: reason };
    }
    this.failures++;
    const delay = Math.min(
      this.options.reconnectMaxMs,
      this.options.reconnectBaseMs * 2 ** Math.min(this.failures - 1, 20),
    );
    // A first drop of a working bind reconnects at once; repeated failures back off.
    const wait =
      wasBound && this.failures === 1 ? 0 : Math.round(delay * (0.75 + Math.random() / 2));
    this.nextAttemptAt = Date.now() + wait;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.state === "idle") this.connect();
    }, wait);
    this.reconnectTimer.unref();
  }

  private async acquireWindow(): Promise<void> {
    if (this.inFlight < this.options.window) {
      this.inFlight++;
      return;
    }
    await new Promise<void>((resolve) => this.windowWaiters.push(resolve));
  }

  private releaseWindow(): void {
    const next = this.windowWaiters.shift();
    if (next) next();
    else this.inFlight = Math.max(0, this.inFlight - 1);
  }

  /**
   * Sends one submit_sm once a window slot is free and the bind is up.
   * Never rejects: a link that is down or drops yields "lost".
   */
  async submit(fields: PduFields, bindWaitMs: number): Promise<SubmitOutcome> {
    await this.acquireWindow();
    try {
      const problem = await this.waitBound(bindWaitMs);
      if (problem) return { kind: "lost", reason: problem.message };
      const session = this.session;
      if (!session) return { kind: "lost", reason: "Conexão SMPP indisponível." };
      return await new Promise<SubmitOutcome>((resolve) => {
        let sequence = 0;
        const timer = setTimeout(() => {
          this.pending.delete(sequence);
          resolve({ kind: "lost", reason: "A operadora não respondeu ao submit_sm a tempo." });
          // A silent SMSC is a dead link: start over rather than pile requests on it.
          session.destroy();
        }, this.options.responseTimeoutMs);
        const sent = session.submit_sm(fields, (pdu) => {
          const p = this.pending.get(pdu.sequence_number);
          if (!p) return;
          this.pending.delete(pdu.sequence_number);
          clearTimeout(p.timer);
          p.resolve({
            kind: "response",
            status: pdu.command_status,
            messageId: pdu.message_id ?? "",
          });
        });
        if (!sent) {
          clearTimeout(timer);
          resolve({ kind: "lost", reason: "Conexão SMPP indisponível." });
          return;
        }
        // submit_sm assigned the sequence number synchronously when it returned true.
        sequence = (session as unknown as { sequence: number }).sequence;
        this.pending.set(sequence, { resolve, timer });
      });
    } finally {
      this.releaseWindow();
    }
  }

  /** Unbinds and closes; requests still awaiting a response are lost. */
  async close(): Promise<void> {
    if (this.state === "closed") return;
    const session = this.session;
    const wasBound = this.state === "bound";
    this.state = "closed";
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.stopEnquireLink();
    this.settleBound({ code: "CONEXAO_PERDIDA", message: "Conexão SMPP fechada." });
    if (!session) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => session.destroy(), 2_000);
      session.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
      if (wasBound) session.unbind({}, () => session.close());
      else session.destroy();
    });
  }
}

/**
 * One real bind, for `remessa sms-routes test`: connects, binds as a
 * transceiver and unbinds. Null when it worked, else what failed.
 */
export async function testBind(
  target: BindTarget,
  timeoutMs = 10_000,
): Promise<BindProblem | null> {
  const bind = new SmppBind(
    target,
    { ...DEFAULT_BIND_OPTIONS, bindTimeoutMs: timeoutMs, reconnectBaseMs: 60_000 },
    silentLogger,
    () => {},
  );
  try {
    return await bind.waitBound(timeoutMs + 1_000);
  } finally {
    await bind.close();
  }
}
