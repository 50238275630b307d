/**
 * An SMSC for the tests: the `smpp` package's own server (the same protocol
 * code a real peer would use against us), listening on port 0. It checks
 * bind credentials, answers submit_sm (or refuses them as the test says),
 * reassembles concatenated messages from their UDH, can cut the connection
 * on the N-th message, and sends delivery receipts and MO messages back.
 */
import type { AddressInfo } from "node:net";
import smpp, { type DecodedMessage, type PDU, type Server, type Session } from "smpp";

export interface ReceivedPart {
  messageId: string;
  to: string;
  from: string;
  dataCoding: number;
  esmClass: number;
  registeredDelivery: number;
  /** The part's text as the package decoded it (UDH removed). */
  text: string;
  concat: { reference: number; total: number; sequence: number } | null;
  session: Session;
  /** When the SMSC accepted it (epoch ms). */
  receivedAt: number;
}

export interface ReassembledMessage {
  to: string;
  text: string;
  dataCoding: number;
  parts: ReceivedPart[];
  /** The id of the part that asked for a receipt (the last one). */
  receiptId: string;
}

export interface SmscOptions {
  systemId?: string;
  password?: string;
  /** command_status for the n-th submit_sm (0-based over the server's life); 0 accepts. */
  submitStatus?: (n: number, pdu: PDU) => number;
  /** Delay before answering a submit_sm (ms). */
  responseDelayMs?: number;
}

export class TestSmsc {
  readonly parts: ReceivedPart[] = [];
  readonly binds: { systemId: string; ok: boolean }[] = [];
  private submits = 0;
  private nextId = 0x1000;
  private cutAt: number | null = null;
  private readonly server: Server;
  port = 0;

  constructor(private readonly options: SmscOptions = {}) {
    this.server = smpp.createServer((session) => this.onSession(session));
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /**
   * The `n`-th submit_sm from now is never answered: the connection is cut
   * the moment it arrives, so that message (and any pipelined behind it) is
   * certainly in flight when the link drops. Cutting after a response
   * instead could land between two batches, with nothing in flight.
   */
  cutAtSubmit(n: number): void {
    this.cutAt = this.submits + n;
  }

  get sessions(): Session[] {
    return this.server.sessions;
  }

  private onSession(session: Session): void {
    let bound = false;
    session.on("error", () => {});
    session.on("bind_transceiver", (pdu) => {
      const systemId = pdu.system_id ?? "";
      let status = 0;
      if (this.options.systemId !== undefined && systemId !== this.options.systemId) {
        status = smpp.errors.ESME_RINVSYSID as number;
      } else if (this.options.password !== undefined && pdu.password !== this.options.password) {
        status = smpp.errors.ESME_RINVPASWD as number;
      }
      this.binds.push({ systemId, ok: status === 0 });
      bound = status === 0;
      session.send(pdu.response({ command_status: status, system_id: "TESTSMSC" }));
    });
    session.on("enquire_link", (pdu) => session.send(pdu.response()));
    session.on("unbind", (pdu) => {
      session.send(pdu.response());
      session.close();
    });
    session.on("deliver_sm_resp", () => {});
    session.on("submit_sm", (pdu) => {
      if (!bound) {
        session.send(pdu.response({ command_status: smpp.errors.ESME_RINVBNDSTS as number }));
        return;
      }
      const n = this.submits++;
      if (this.cutAt !== null && this.submits >= this.cutAt) {
        this.cutAt = null;
        session.destroy();
        return;
      }
      const status = this.options.submitStatus?.(n, pdu) ?? 0;
      const answer = () => {
        if (status !== 0) {
          session.send(pdu.response({ command_status: status }));
          return;
        }
        const messageId = (this.nextId++).toString(16);
        this.parts.push(this.part(pdu, messageId, session));
        session.send(pdu.response({ message_id: messageId }));
      };
      if (this.options.responseDelayMs) setTimeout(answer, this.options.responseDelayMs);
      else answer();
    });
  }

  private part(pdu: PDU, messageId: string, session: Session): ReceivedPart {
    const sm = pdu.short_message as DecodedMessage;
    let concat: ReceivedPart["concat"] = null;
    for (const ie of sm.udh ?? []) {
      if (ie[0] === 0x00 && ie[1] === 3) {
        concat = { reference: ie[2] as number, total: ie[3] as number, sequence: ie[4] as number };
      }
    }
    return {
      messageId,
      to: pdu.destination_addr ?? "",
      from: pdu.source_addr ?? "",
      dataCoding: pdu.data_coding ?? 0,
      esmClass: pdu.esm_class ?? 0,
      registeredDelivery: pdu.registered_delivery ?? 0,
      text: typeof sm.message === "string" ? sm.message : sm.message.toString("latin1"),
      concat,
      session,
      receivedAt: Date.now(),
    };
  }

  /**
   * Whole messages, joined from their parts by (destination, reference) in
   * sequence order, as a handset does. A message missing a part is left out.
   */
  messages(): ReassembledMessage[] {
    const out: ReassembledMessage[] = [];
    const groups = new Map<string, ReceivedPart[]>();
    for (const p of this.parts) {
      if (!p.concat) {
        out.push({
          to: p.to,
          text: p.text,
          dataCoding: p.dataCoding,
          parts: [p],
          receiptId: p.messageId,
        });
        continue;
      }
      const key = `${p.to}/${p.concat.reference}`;
      const group = groups.get(key) ?? [];
      // A part sent again (after a retry) replaces the earlier copy, as handsets do.
      const same = group.findIndex((g) => g.concat?.sequence === p.concat?.sequence);
      if (same >= 0) group.splice(same, 1);
      group.push(p);
      groups.set(key, group);
      if (group.length === p.concat.total) {
        groups.delete(key);
        const ordered = [...group].sort(
          (a, b) => (a.concat?.sequence ?? 0) - (b.concat?.sequence ?? 0),
        );
        out.push({
          to: p.to,
          text: ordered.map((g) => g.text).join(""),
          dataCoding: p.dataCoding,
          parts: ordered,
          receiptId: ordered.find((g) => g.registeredDelivery & 1)?.messageId ?? "",
        });
      }
    }
    return out;
  }

  /** Sends a delivery receipt for a message id over the session that submitted it. */
  receipt(
    messageId: string,
    stat: "DELIVRD" | "UNDELIV" | "REJECTD" | "EXPIRED" | "ENROUTE",
    options: { tlv?: boolean; err?: string } = {},
  ): Promise<PDU> {
    const part = this.parts.find((p) => p.messageId === messageId);
    const session = part?.session ?? this.server.sessions[0];
    if (!session) throw new Error("no session for the receipt");
    const text = `id:${messageId} sub:001 dlvrd:${stat === "DELIVRD" ? "001" : "000"} submit date:2612071200 done date:2612071201 stat:${stat} err:${options.err ?? "000"} text:`;
    return new Promise((resolve) => {
      session.deliver_sm(
        {
          source_addr: part?.to ?? "",
          destination_addr: part?.from ?? "",
          esm_class: 0x04,
          short_message: text,
          ...(options.tlv ? { receipted_message_id: messageId, message_state: 2 } : {}),
        },
        resolve,
      );
    });
  }

  /** Sends an MO message (a person's reply) to the route's address. */
  mobileOriginated(from: string, to: string, text: string, session?: Session): Promise<PDU> {
    const target = session ?? this.server.sessions[0];
    if (!target) throw new Error("no session for the MO message");
    return new Promise((resolve) => {
      target.deliver_sm(
        { source_addr: from, destination_addr: to, esm_class: 0, short_message: text },
        resolve,
      );
    });
  }

  async close(): Promise<void> {
    for (const s of [...this.server.sessions]) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
