/**
 * The SMS channel over SMPP 3.4 (SPEC §8), provider "smpp". Each SMS route
 * (a `senders` row of kind "sms" with provider "smpp", see
 * src/store/sms-routes.ts) gets one transceiver bind (smpp-bind.ts), opened
 * on its first message and kept for the receipts and MO messages the SMSC
 * sends back over it.
 *
 * A message is encoded and split per sms-encoding.ts and its parts submitted
 * one after the other (the window lets several messages be in flight at
 * once). Only the last part asks for a delivery receipt, and its SMSC id,
 * prefixed with the route ("sender:<id>:<message_id>": SMSC ids are unique
 * per SMSC only), is the message's providerId.
 *
 * command_status of submit_sm_resp: ESME_RTHROTTLED / ESME_RMSGQFUL →
 * "throttled"; ESME_RSYSERR, ESME_RINVBNDSTS and a lost link → "retry"; any
 * other error → "failed" with a pt-BR reason naming the code.
 *
 * deliver_sm: a receipt (esm_class 0x04) goes to applyDeliveryReceipt; any
 * other is an MO message, recorded as a receptive interaction, and a reply
 * of SAIR, PARE or STOP puts the number on the restriction list of the
 * wallets the route sent to it for.
 */
import type { Kysely } from "kysely";
import smpp, { type DecodedMessage, type PDU } from "smpp";
import type { Channel, Clock, OutgoingMessage, SendResult } from "../campaigns/channel.js";
import { normalizeInboundAddress, recordInbound } from "../campaigns/interactions.js";
import { applyDeliveryReceipt, type ReceiptStatus } from "../campaigns/receipts.js";
import { type Logger, silentLogger } from "../log.js";
import type { Store } from "../store/db.js";
import { addRestriction } from "../store/restrictions.js";
import type { Database } from "../store/schema.js";
import { decryptSecret } from "../store/secrets.js";
import { type SmppRouteConfig, smppRouteConfig } from "../store/sms-routes.js";
import { type BindOptions, DEFAULT_BIND_OPTIONS, SmppBind, statusName } from "./smpp-bind.js";
import { decodeGsm7, decodeUcs2, encodeSms, MessageTooLongError } from "./sms-encoding.js";

export interface SmppChannelOptions {
  clock?: Clock;
  log?: Logger;
  /** Overrides of the bind's timings (tests shorten them); the window comes from the route. */
  bind?: Partial<Omit<BindOptions, "window">>;
  /** How long a send waits for a bind that is not up yet (ms). */
  bindWaitMs?: number;
  /** Delay after ESME_RTHROTTLED / ESME_RMSGQFUL the dispatcher is asked to wait (ms). */
  throttleMs?: number;
  /** Receipts that beat the record of their "sent": tries and the wait between them. */
  receiptRetries?: number;
  receiptRetryMs?: number;
  /** Reads token_enc (default: the store's secret key). */
  decrypt?: (envelope: string) => string;
}

const { errors } = smpp;
const THROTTLING = new Set([errors.ESME_RTHROTTLED, errors.ESME_RMSGQFUL]);
const TRANSIENT = new Set([errors.ESME_RSYSERR, errors.ESME_RINVBNDSTS, errors.ESME_RUNKNOWNERR]);

/** What an SMSC's refusal means for a person, in pt-BR. */
const FAILURE_TEXT: Readonly<Record<string, string>> = {
  ESME_RINVDSTADR: "número de destino inválido",
  ESME_RINVSRCADR: "remetente (source address) recusado pela operadora",
  ESME_RINVMSGLEN: "tamanho de mensagem recusado",
  ESME_RINVDCS: "codificação da mensagem recusada",
  ESME_RINVESMCLASS: "esm_class recusado",
  ESME_RSUBMITFAIL: "a operadora recusou o envio",
  ESME_RPROHIBITED: "envio proibido para esta conta",
  ESME_RINVDSTTON: "tipo de número de destino (TON) recusado",
  ESME_RINVDSTNPI: "plano de numeração de destino (NPI) recusado",
  ESME_RINVSRCTON: "tipo de número do remetente (TON) recusado",
  ESME_RINVSRCNPI: "plano de numeração do remetente (NPI) recusado",
  ESME_RDELIVERYFAILURE: "a operadora não conseguiu entregar",
};

export function submitFailure(status: number, throttleMs: number): SendResult {
  const name = statusName(status);
  if (THROTTLING.has(status)) {
    return {
      outcome: "throttled",
      reason: `A operadora pediu para reduzir o ritmo (${name}).`,
      afterMs: throttleMs,
    };
  }
  if (TRANSIENT.has(status)) {
    return { outcome: "retry", reason: `Falha temporária na operadora (${name}).` };
  }
  const text = FAILURE_TEXT[name] ?? "a operadora recusou a mensagem";
  return { outcome: "failed", reason: `SMS recusado: ${text} (${name}).` };
}

/** A delivery receipt's fields, from its text (SMPP 3.4 appendix B) and TLVs. */
export interface ParsedReceipt {
  id: string;
  stat: string;
  err: string | null;
}

/** Reads "id:… sub:… dlvrd:… submit date:… done date:… stat:DELIVRD err:… text:…". */
export function parseReceiptText(text: string): ParsedReceipt | null {
  const id = /\bid:\s*([^\s]+)/i.exec(text)?.[1];
  const stat = /\bstat:\s*([A-Za-z]+)/i.exec(text)?.[1];
  if (!id && !stat) return null;
  return {
    id: id ?? "",
    stat: (stat ?? "").toUpperCase(),
    err: /\berr:\s*([^\s]+)/i.exec(text)?.[1] ?? null,
  };
}

const STATE_NAMES: Readonly<Record<number, string>> = {
  1: "ENROUTE",
  2: "DELIVRD",
  3: "EXPIRED",
  4: "DELETED",
  5: "UNDELIV",
  6: "ACCEPTD",
  7: "UNKNOWN",
  8: "REJECTD",
};

/** A receipt's stat as a message status and, for failures, a pt-BR reason; null when not final. */
export function receiptOutcome(
  stat: string,
  err: string | null,
): { status: ReceiptStatus; reason: string | null } | null {
  const code = err && !/^0+$/.test(err) ? ` (erro ${err})` : "";
  switch (stat) {
    case "DELIVRD":
      return { status: "delivered", reason: null };
    case "UNDELIV":
      return { status: "failed", reason: `A operadora não conseguiu entregar o SMS${code}.` };
    case "REJECTD":
      return { status: "failed", reason: `A operadora rejeitou o SMS${code}.` };
    case "EXPIRED":
      return {
        status: "failed",
        reason: `O SMS expirou sem ser entregue (aparelho desligado ou fora de área)${code}.`,
      };
    case "DELETED":
      return {
        status: "failed",
        reason: `O SMS foi apagado pela operadora antes da entrega${code}.`,
      };
    default:
      return null;
  }
}

/**
 * The ids a receipt may mean: as written and, since many SMSCs answer
 * submit_sm with a hexadecimal message_id but write the receipt's "id:" in
 * decimal (or the reverse), the same number in the other base.
 */
export function receiptIdCandidates(id: string): string[] {
  const out = [id];
  try {
    if (/^\d{1,30}$/.test(id)) out.push(BigInt(id).toString(16));
    if (/^[0-9a-f]{1,24}$/i.test(id)) out.push(BigInt(`0x${id}`).toString(10));
  } catch {
    // Not a number in either base: only the id as written.
  }
  return [...new Set(out)];
}

const OPT_OUT_WORDS = new Set(["SAIR", "PARE", "STOP"]);

/** True for a reply that asks to stop: SAIR, PARE or STOP, any case or accents, trimmed. */
export function isOptOutReply(text: string): boolean {
  const word = text
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .trim()
    // "Pare." and "STOP!" mean the same.
    .replace(/^[\p{P}\s]+|[\p{P}\s]+$/gu, "")
    .toUpperCase();
  return OPT_OUT_WORDS.has(word);
}

function messageText(pdu: PDU): string {
  const sm = pdu.short_message;
  const payload = pdu.message_payload;
  const pick = (value: typeof sm): string | null => {
    if (value === undefined || value === null) return null;
    if (typeof value === "string") return value;
    if (Buffer.isBuffer(value)) {
      return ((pdu.data_coding ?? 0) & 0x0f) === 8 ? decodeUcs2(value) : decodeGsm7(value);
    }
    const decoded = (value as DecodedMessage).message;
    if (typeof decoded === "string") return decoded;
    return ((pdu.data_coding ?? 0) & 0x0f) === 8 ? decodeUcs2(decoded) : decodeGsm7(decoded);
  };
  const text = pick(sm);
  return text !== null && text !== "" ? text : (pick(payload) ?? "");
}

function senderIdOf(key: string): number | null {
  const match = /^sender:(\d+)$/.exec(key);
  return match ? Number(match[1]) : null;
}

interface Route {
  config: SmppRouteConfig;
  bind: SmppBind;
}

export class SmppChannel implements Channel {
  readonly provider = "smpp";
  private closed = false;
  private readonly routes = new Map<string, Promise<Route | { problem: string }>>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly background = new Set<Promise<unknown>>();
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly db: Kysely<Database>;

  constructor(
    store: Pick<Store, "db">,
    private readonly options: SmppChannelOptions = {},
  ) {
    this.db = store.db;
    this.clock = options.clock ?? Date.now;
    this.log = (options.log ?? silentLogger).child({ part: "smpp" });
  }

  async send(batch: readonly OutgoingMessage[], signal?: AbortSignal): Promise<SendResult[]> {
    if (this.closed) throw new Error("canal SMPP já fechado");
    signal?.throwIfAborted();
    if (batch.length === 0) return [];
    const work = Promise.all(batch.map((m) => this.sendOne(m, signal)));
    this.inFlight.add(work);
    try {
      if (!signal) return await work;
      // An abort settles the call now; the parts already handed to the SMSC still get their responses.
      return await new Promise<SendResult[]>((resolve, reject) => {
        const onAbort = () => reject(signal.reason ?? new Error("envio interrompido"));
        signal.addEventListener("abort", onAbort, { once: true });
        work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
      });
    } finally {
      work.finally(() => this.inFlight.delete(work)).catch(() => {});
    }
  }

  /** Opens the binds of every SMPP route of a tenant now, so receipts and MO messages flow before any send. */
  async bindAll(tenantId: number): Promise<number> {
    const rows = await this.db
      .selectFrom("senders")
      .select("id")
      .where("tenant_id", "=", tenantId)
      .where("kind", "=", "sms")
      .where("provider", "=", "smpp")
      .where("enabled", "=", 1)
      .execute();
    let opened = 0;
    for (const r of rows) {
      const route = await this.route(tenantId, Number(r.id));
      if ("bind" in route) {
        route.bind.open();
        opened++;
      }
    }
    return opened;
  }

  /**
   * Opens the bind of every enabled SMPP route of every tenant (`serve` at
   * start-up), so receipts and MO replies flow before the first campaign. A
   * route whose SMSC is down does not fail this: its bind logs the failure
   * and keeps reconnecting with back-off. Returns the binds opened.
   */
  async bindConfigured(): Promise<number> {
    const rows = await this.db
      .selectFrom("senders")
      .select(["tenant_id", "id"])
      .where("kind", "=", "sms")
      .where("provider", "=", "smpp")
      .where("enabled", "=", 1)
      .orderBy("id")
      .execute();
    let opened = 0;
    for (const r of rows) {
      if (this.closed) break;
      const route = await this.route(Number(r.tenant_id), Number(r.id));
      if ("bind" in route) {
        route.bind.open();
        opened++;
      } else {
        this.log.warn("rota SMPP não conectada na partida", {
          route: Number(r.id),
          tenantId: Number(r.tenant_id),
          problem: route.problem,
        });
      }
    }
    return opened;
  }

  private route(tenantId: number, senderId: number): Promise<Route | { problem: string }> {
    const key = `${tenantId}:${senderId}`;
    let entry = this.routes.get(key);
    if (!entry) {
      entry = this.loadRoute(tenantId, senderId);
      this.routes.set(key, entry);
      // A configuration problem is read again next time (it may have been fixed).
      entry.then((r) => {
        if ("problem" in r && this.routes.get(key) === entry) this.routes.delete(key);
      });
    }
    return entry;
  }

  private async loadRoute(
    tenantId: number,
    senderId: number,
  ): Promise<Route | { problem: string }> {
    const config = await smppRouteConfig(
      this.db,
      tenantId,
      senderId,
      this.options.decrypt ?? decryptSecret,
    );
    if ("problem" in config) return config;
    const { settings } = config;
    const bind = new SmppBind(
      {
        host: settings.host,
        port: settings.port,
        systemId: settings.systemId,
        password: config.password,
        systemType: settings.systemType,
      },
      { ...DEFAULT_BIND_OPTIONS, ...this.options.bind, window: settings.window },
      this.log.child({ route: senderId }),
      (pdu) => this.track(this.onDeliver(config, pdu)),
    );
    return { config, bind };
  }

  private async sendOne(m: OutgoingMessage, signal?: AbortSignal): Promise<SendResult> {
    if (m.channel !== "sms" || m.from.kind !== "sms") {
      return { outcome: "failed", reason: "O provedor SMPP só envia SMS." };
    }
    if (m.text === null || m.text === "") {
      return { outcome: "failed", reason: "Mensagem SMS sem texto." };
    }
    const senderId = senderIdOf(m.from.key);
    if (senderId === null) {
      return { outcome: "failed", reason: `Remetente ${m.from.key} não é uma rota de SMS.` };
    }
    let route: Route | { problem: string };
    try {
      route = await this.route(m.tenantId, senderId);
    } catch (error) {
      return {
        outcome: "retry",
        reason: `Falha ao ler a rota de SMS: ${(error as Error).message}`,
      };
    }
    // A misconfigured route waits for its fix (and the deadline), it does not fail the people.
    if ("problem" in route) return { outcome: "retry", reason: route.problem, afterMs: 60_000 };
    const { bind, config } = route;
    const bindWaitMs = this.options.bindWaitMs ?? 10_000;
    // Backing off after a failed bind: say why now rather than wait for the next attempt.
    // (Real time, as the bind's timers: the injected clock may be a test's.)
    const now = Date.now();
    if (!bind.bound && bind.lastProblem && bind.nextAttemptAt > now + bindWaitMs) {
      return {
        outcome: "retry",
        reason: bind.lastProblem.message,
        afterMs: bind.nextAttemptAt - now,
      };
    }
    let encoded: ReturnType<typeof encodeSms>;
    try {
      encoded = encodeSms(m.text, m.id & 0xff);
    } catch (error) {
      if (error instanceof MessageTooLongError) return { outcome: "failed", reason: error.message };
      throw error;
    }
    const { settings } = config;
    const throttleMs = this.options.throttleMs ?? 1_000;
    let messageId = "";
    for (const [k, part] of encoded.parts.entries()) {
      const last = k === encoded.parts.length - 1;
      let tries = 0;
      for (;;) {
        if (signal?.aborted) {
          return { outcome: "retry", reason: "Envio interrompido antes de todas as partes." };
        }
        const outcome = await bind.submit(
          {
            source_addr_ton: settings.sourceTon,
            source_addr_npi: settings.sourceNpi,
            source_addr: settings.sourceAddr,
            dest_addr_ton: 1,
            dest_addr_npi: 1,
            destination_addr: m.to.replace(/\D/g, ""),
            esm_class: part.udh ? 0x40 : 0,
            data_coding: encoded.dataCoding,
            registered_delivery: last ? 1 : 0,
            short_message: part.shortMessage,
          },
          bindWaitMs,
        );
        let result: SendResult | null;
        if (outcome.kind === "lost") result = { outcome: "retry", reason: outcome.reason };
        else if (outcome.status === 0) result = null;
        else result = submitFailure(outcome.status, throttleMs);
        if (result === null) {
          if (outcome.kind === "response") messageId = outcome.messageId;
          break;
        }
        // The first part refused: nothing reached the person, the dispatcher decides.
        // A later part: the earlier ones are on their way; try this one again here a few
        // times (same reference, so the handset still joins them) before giving up.
        if (k === 0 || result.outcome === "failed" || tries >= 3) return result;
        tries++;
        await new Promise((r) => setTimeout(r, result.outcome === "throttled" ? throttleMs : 200));
      }
    }
    return {
      outcome: "sent",
      providerId: `sender:${senderId}:${messageId}`,
      segments: encoded.segments,
    };
  }

  private track(work: Promise<unknown>): void {
    const guarded = work.catch((error) => this.log.error("deliver_sm não processado", { error }));
    this.background.add(guarded);
    guarded.finally(() => this.background.delete(guarded));
  }

  private async onDeliver(config: SmppRouteConfig, pdu: PDU): Promise<void> {
    const esmType = (pdu.esm_class ?? 0) & 0x3c;
    if (esmType === 0x04 || esmType === 0x08) {
      await this.onReceipt(config, pdu);
      return;
    }
    await this.onMobileOriginated(config, pdu);
  }

  private async onReceipt(config: SmppRouteConfig, pdu: PDU): Promise<void> {
    const parsed = parseReceiptText(messageText(pdu));
    const id = pdu.receipted_message_id?.trim() || parsed?.id;
    const stat =
      (pdu.message_state !== undefined ? STATE_NAMES[pdu.message_state] : undefined) ??
      parsed?.stat ??
      "";
    if (!id) {
      this.log.warn("recibo SMPP sem id de mensagem", { route: config.senderId });
      return;
    }
    const outcome = receiptOutcome(stat, parsed?.err ?? null);
    if (!outcome) return;
    const base = {
      tenantId: config.tenantId,
      status: outcome.status,
      at: new Date(this.clock()).toISOString(),
      reason: outcome.reason,
    };
    const ids = receiptIdCandidates(id);
    const tries = this.options.receiptRetries ?? 5;
    const wait = this.options.receiptRetryMs ?? 1_000;
    for (let attempt = 0; ; attempt++) {
      for (const candidate of ids) {
        const providerId = `sender:${config.senderId}:${candidate}`;
        const applied = await applyDeliveryReceipt(this.db, { ...base, providerId });
        if (applied !== "unknown") return;
      }
      // "unknown": the receipt may have beaten the record of the "sent" it is about.
      if (attempt >= tries || this.closed) {
        this.log.warn("recibo SMPP de mensagem desconhecida", { route: config.senderId, id });
        return;
      }
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  private async onMobileOriginated(config: SmppRouteConfig, pdu: PDU): Promise<void> {
    const from = pdu.source_addr ?? "";
    const body = messageText(pdu);
    let address: string;
    try {
      address = normalizeInboundAddress("sms", from);
    } catch {
      this.log.warn("SMS recebido de número inválido", { route: config.senderId });
      return;
    }
    await recordInbound(
      this.db,
      {
        tenantId: config.tenantId,
        channel: "sms",
        address,
        senderId: config.senderId,
        body,
      },
      this.clock,
    );
    if (!isOptOutReply(body)) return;
    const wallets = await this.walletsFor(config, address);
    const word = body.trim();
    for (const walletId of wallets) {
      await addRestriction(
        this.db,
        config.tenantId,
        walletId,
        "phone",
        address,
        `Pediu para sair respondendo "${word}" por SMS (rota ${config.name}).`,
        { origin: "sms_reply" },
      );
    }
    this.log.info("opt-out por SMS", { route: config.senderId, wallets: wallets.length });
  }

  /** The wallets an opt-out applies to: the route's own, and those of campaigns it sent to the number for. */
  private async walletsFor(config: SmppRouteConfig, address: string): Promise<number[]> {
    const rows = await this.db
      .selectFrom("messages as m")
      .innerJoin("campaigns as c", "c.id", "m.campaign_id")
      .select("c.wallet_id")
      .distinct()
      .where("m.tenant_id", "=", config.tenantId)
      .where("m.address", "=", address)
      .where("c.sender_id", "=", config.senderId)
      .execute();
    const wallets = new Set<number>();
    if (config.walletId !== null) wallets.add(config.walletId);
    for (const r of rows) if (r.wallet_id !== null) wallets.add(Number(r.wallet_id));
    return [...wallets];
  }

  async close(): Promise<void> {
    if (this.closed) {
      await Promise.allSettled([...this.inFlight]);
      return;
    }
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
    const routes = await Promise.all([...this.routes.values()]);
    this.routes.clear();
    await Promise.allSettled(routes.map((r) => ("bind" in r ? r.bind.close() : undefined)));
    await Promise.allSettled([...this.background]);
  }
}
