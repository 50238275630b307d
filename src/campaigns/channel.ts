/**
 * The one interface every sending provider implements (SPEC §8): the embedded
 * outbox here, SMTP / WhatsApp Cloud API / SMPP later. The campaign core owns
 * it, as listmonk's manager owns its `Messenger`: a provider knows nothing of
 * campaigns, waves or deadlines, only how to hand a batch of rendered
 * messages to its peer and what came back for each one.
 *
 * Every implementation passes the shared contract suite
 * (test/channels/contract.ts), as every source passes the `Source` suite.
 */

export type ChannelKind = "sms" | "whatsapp" | "email";

/** Who a message goes out from: a WhatsApp number, an SMS route or an e-mail account. */
export interface SenderRef {
  /** "sender:<id>" (senders table) or "email:<id>" (email_accounts): also the rate-limit key. */
  key: string;
  kind: ChannelKind;
  /** whatsapp: exclusivo | compartilhado | prospect; sms: long | short; email: null. */
  mode: string | null;
  /** Phone number (digits), SMS route name or e-mail address. */
  address: string;
  /** Display name (e-mail From), if any. */
  name: string | null;
  /** "outbox" or a real provider ("smtp", "cloudapi", "smpp"). */
  provider: string;
}

/** A rendered message, ready for a provider. */
export interface OutgoingMessage {
  /** messages.id: the idempotency key a provider may pass on to its peer. */
  id: number;
  tenantId: number;
  campaignId: number;
  channel: ChannelKind;
  /** Mobile as digits with country code (5511987654321) or an e-mail address. */
  to: string;
  from: SenderRef;
  /** SMS text, e-mail body (may be HTML); null for a WhatsApp template message. */
  text: string | null;
  /** E-mail subject (`_te`, else the mailing description). */
  subject: string | null;
  /** WhatsApp template with its parameters filled from the mapped columns. */
  template: FilledTemplate | null;
}

/** A WhatsApp template's parameters with the person's values (store/template-mapping.ts). */
export interface FilledTemplate {
  name: string;
  language: string;
  /** Body parameters: {{1}} first. */
  params: string[];
  /** Header: its text parameters, or the link of its media; absent without one. */
  header?:
    | { type: "text"; params: string[] }
    | { type: "image" | "video" | "document"; link: string };
  /**
   * Buttons: position (from 0) and a URL button's dynamic suffix, or a
   * quick-reply button's payload (`type: "quick_reply"`; absent: url).
   */
  buttons?: { index: number; param: string; type?: "url" | "quick_reply" }[];
}

/** What happened to one message of a batch, in the batch's order. */
export type SendResult =
  /** Accepted by the peer. `segments`: parts billed (SMS). */
  | { outcome: "sent"; providerId: string | null; segments?: number }
  /** Transient (4xx, connection lost, timeout): try again later, the deadline permitting. */
  | { outcome: "retry"; reason: string; afterMs?: number }
  /** The peer asked to slow down (WhatsApp 130429, SMPP ESME_RTHROTTLED): retry, and the sender's pace drops. */
  | { outcome: "throttled"; reason: string; afterMs?: number }
  /** Permanent (5xx, invalid recipient, template refused): the message fails with this reason (pt-BR). */
  | { outcome: "failed"; reason: string };

export interface Channel {
  /** The provider's name, as in senders.provider ("outbox", "smtp", …). */
  readonly provider: string;
  /**
   * Hands a batch to the peer; resolves with one result per message, in
   * order. Must not throw for a per-message problem (that is a result); a
   * thrown error or an aborted `signal` counts as "retry" for the whole batch
   * (the dispatcher cannot know what the peer received, so a re-send of that
   * batch is possible and counted).
   */
  send(batch: readonly OutgoingMessage[], signal?: AbortSignal): Promise<SendResult[]>;
  /**
   * Only a channel whose sending is a write to the dispatcher's own SQLite
   * database (the outbox) has it: sends the batch and marks its messages
   * sent, as sent at `atMs`, in one transaction, only those still pending,
   * counting the attempt. Resolves with the ids it sent (any other was taken
   * meanwhile); a throw means nothing was written. What went out and the
   * message's state commit together, so the dispatcher needs no lease: each
   * message is sent exactly once, even across a crash.
   */
  sendAndRecord?(batch: readonly OutgoingMessage[], atMs: number): Promise<Set<number>>;
  /** Releases connections; pending sends finish or fail first. */
  close(): Promise<void>;
}

/** Epoch milliseconds; injected so tests move time without waiting. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();
