/**
 * Type declarations for the `smpp` package (0.5.x), which ships none. They
 * cover what remessa uses: client sessions (connect, bind, submit_sm,
 * enquire_link, deliver_sm_resp), the in-process server of the tests, the PDU
 * fields we read and write, and the error/constant tables.
 */
declare module "smpp" {
  import type { EventEmitter } from "node:events";
  import type { Server as NetServer, Socket } from "node:net";

  /** A decoded `short_message`: its text, and the UDH information elements when UDHI was set. */
  export interface DecodedMessage {
    message: string | Buffer;
    udh?: Buffer[];
  }

  /** Fields of a PDU; only those remessa reads or writes are named. */
  export interface PduFields {
    command_status?: number;
    sequence_number?: number;
    system_id?: string;
    password?: string;
    system_type?: string;
    interface_version?: number;
    addr_ton?: number;
    addr_npi?: number;
    address_range?: string;
    service_type?: string;
    source_addr_ton?: number;
    source_addr_npi?: number;
    source_addr?: string;
    dest_addr_ton?: number;
    dest_addr_npi?: number;
    destination_addr?: string;
    esm_class?: number;
    protocol_id?: number;
    priority_flag?: number;
    registered_delivery?: number;
    data_coding?: number | null;
    /** On send: raw bytes (sent as is) or text the package encodes; on receipt: decoded. */
    short_message?: Buffer | string | DecodedMessage;
    message_id?: string;
    /** TLV 0x001E: the SMSC id of the message a receipt is about. */
    receipted_message_id?: string;
    /** TLV 0x0427: MESSAGE_STATE of a receipt. */
    message_state?: number;
    message_payload?: Buffer | string | DecodedMessage;
  }

  export class PDU implements PduFields {
    constructor(command: string, options?: PduFields);
    command: string;
    command_id: number;
    command_status: number;
    sequence_number: number;
    system_id?: string;
    password?: string;
    system_type?: string;
    source_addr?: string;
    source_addr_ton?: number;
    source_addr_npi?: number;
    destination_addr?: string;
    dest_addr_ton?: number;
    dest_addr_npi?: number;
    esm_class?: number;
    registered_delivery?: number;
    data_coding?: number | null;
    short_message?: Buffer | string | DecodedMessage;
    message_id?: string;
    receipted_message_id?: string;
    message_state?: number;
    message_payload?: Buffer | string | DecodedMessage;
    isResponse(): boolean;
    response(options?: PduFields): PDU;
    toBuffer(): Buffer;
  }

  export type ResponseCallback = (pdu: PDU) => void;

  export interface SessionOptions {
    host?: string;
    port?: number;
    url?: string;
    tls?: boolean;
    /** Sends enquire_link on this period (ms) while connected. */
    auto_enquire_link_period?: number;
    socket?: Socket;
  }

  export class Session extends EventEmitter {
    constructor(options: SessionOptions);
    socket: Socket;
    server?: Server;
    paused: boolean;
    send(pdu: PDU, responseCallback?: ResponseCallback, sendCallback?: ResponseCallback): boolean;
    pause(): void;
    resume(): void;
    close(callback?: () => void): void;
    destroy(callback?: () => void): void;
    bind_transceiver(options: PduFields, callback?: ResponseCallback): boolean;
    submit_sm(options: PduFields, callback?: ResponseCallback): boolean;
    deliver_sm(options: PduFields, callback?: ResponseCallback): boolean;
    enquire_link(options?: PduFields | ResponseCallback, callback?: ResponseCallback): boolean;
    unbind(options?: PduFields | ResponseCallback, callback?: ResponseCallback): boolean;
    generic_nack(options?: PduFields): boolean;

    on(event: "connect" | "secureConnect" | "close", listener: () => void): this;
    on(event: "error", listener: (error: Error) => void): this;
    on(event: "pdu", listener: (pdu: PDU) => void): this;
    on(event: string, listener: (pdu: PDU) => void): this;
    once(event: "connect" | "secureConnect" | "close", listener: () => void): this;
    once(event: "error", listener: (error: Error) => void): this;
    once(event: string, listener: (pdu: PDU) => void): this;
  }

  export class Server extends NetServer {
    sessions: Session[];
    on(event: "session", listener: (session: Session) => void): this;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }

  export interface ServerOptions {
    key?: string | Buffer;
    cert?: string | Buffer;
  }

  export function createServer(
    options?: ServerOptions | ((session: Session) => void),
    listener?: (session: Session) => void,
  ): Server;

  export function connect(options: SessionOptions, listener?: () => void): Session;
  export function connect(url: string, listener?: () => void): Session;

  export const errors: Readonly<Record<string, number>>;
  export const consts: {
    readonly REGISTERED_DELIVERY: Readonly<Record<string, number>>;
    readonly ESM_CLASS: Readonly<Record<string, number>>;
    readonly MESSAGE_STATE: Readonly<Record<string, number>>;
    readonly TON: Readonly<Record<string, number>>;
    readonly NPI: Readonly<Record<string, number>>;
    readonly ENCODING: Readonly<Record<string, number>>;
  };

  const smpp: {
    createServer: typeof createServer;
    connect: typeof connect;
    errors: typeof errors;
    consts: typeof consts;
    PDU: typeof PDU;
    Session: typeof Session;
    Server: typeof Server;
  };
  export default smpp;
}
