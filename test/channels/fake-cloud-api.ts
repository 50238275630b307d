/**
 * A WhatsApp Cloud API stand-in for tests and the benchmark: a real HTTP
 * server (node:http, port 0) that speaks the documented wire format — the
 * template send request and its `{messaging_product, contacts, messages:
 * [{id: "wamid…"}]}` answer, the Graph API error object `{error: {message,
 * type, code, error_subcode, error_data, fbtrace_id}}`, the phone-number
 * lookup, the WhatsApp Business Account's message_templates list (with
 * Graph paging) — and checks what it is sent (bearer token, body shape), so a
 * channel that drifts from the format fails here. It also builds the
 * webhook payloads Meta POSTs (statuses, inbound messages) and signs them
 * with X-Hub-Signature-256 the way Meta does.
 */
import { createHmac, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeNumber {
  phoneNumberId: string;
  token: string;
  displayPhoneNumber: string;
  verifiedName?: string;
  tier?: string;
  /** The WhatsApp Business Account (WABA) owning it: its token reads that account's templates. */
  businessAccountId?: string;
}

/** A message template as Meta's message_templates edge lists it. */
export interface FakeTemplate {
  name: string;
  language: string;
  status: "APPROVED" | "PENDING" | "REJECTED" | "PAUSED" | "DISABLED";
  category?: string;
  components: Record<string, unknown>[];
}

/** A Graph API error the server answers with. */
export interface FakeError {
  status: number;
  code: number;
  subcode?: number;
  message?: string;
  details?: string;
  retryAfterSeconds?: number;
}

export interface ReceivedSend {
  phoneNumberId: string;
  version: string;
  to: string;
  body: Record<string, unknown>;
  wamid: string | null;
  at: number;
  /** The answer: "sent" or the error code. */
  answer: "sent" | number;
}

export interface FakeCloudApiOptions {
  numbers: FakeNumber[];
  /** Per request: undefined = accept; an error = answer it; "hang" = never answer. */
  behaviour?: (send: {
    to: string;
    phoneNumberId: string;
    body: Record<string, unknown>;
  }) => FakeError | "hang" | undefined;
  /** Per-number cap over any 1000 ms, as Meta enforces throughput (130429 beyond). */
  ratePerSecond?: number;
  /** Each answer is delayed this long (ms). */
  latencyMs?: number;
  /** Message templates per WhatsApp Business Account id. */
  templates?: Record<string, FakeTemplate[]>;
}

export class FakeCloudApi {
  readonly received: ReceivedSend[] = [];
  /** Requests refused because their shape or auth was wrong (a channel bug when not expected). */
  readonly refusals: { reason: string; at: number }[] = [];
  readonly lookups: string[] = [];
  /** message_templates requests: the account and the query string. */
  readonly templateLookups: { account: string; query: string }[] = [];
  private server: Server | null = null;
  private accepted = new Map<string, number[]>();
  private seq = 0;
  private hanging = new Set<ServerResponse>();
  baseUrl = "";

  constructor(readonly options: FakeCloudApiOptions) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error) => {
        res.statusCode = 500;
        res.end(String(error));
      });
    });
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  sent(): ReceivedSend[] {
    return this.received.filter((r) => r.answer === "sent");
  }

  private json(res: ServerResponse, status: number, body: unknown, headers = {}): void {
    const text = JSON.stringify(body);
    const send = () => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(text);
    };
    if (this.options.latencyMs) setTimeout(send, this.options.latencyMs);
    else send();
  }

  private error(res: ServerResponse, e: FakeError): void {
    this.json(
      res,
      e.status,
      {
        error: {
          message: e.message ?? `(#${e.code}) erro simulado`,
          type: e.code === 190 ? "OAuthException" : "OAuthException",
          code: e.code,
          ...(e.subcode !== undefined ? { error_subcode: e.subcode } : {}),
          ...(e.details
            ? { error_data: { messaging_product: "whatsapp", details: e.details } }
            : {}),
          fbtrace_id: `A${randomBytes(8).toString("hex")}`,
        },
      },
      e.retryAfterSeconds ? { "retry-after": String(e.retryAfterSeconds) } : {},
    );
  }

  private refuse(res: ServerResponse, reason: string, e: FakeError): void {
    this.refusals.push({ reason, at: Date.now() });
    this.error(res, e);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://x");
    const parts = url.pathname.split("/").filter(Boolean);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const [version, phoneNumberId, edge] = parts;
    if (!version || !/^v\d+\.\d+$/.test(version) || !phoneNumberId) {
      return this.refuse(res, `bad path ${url.pathname}`, {
        status: 400,
        code: 100,
        message: "Unknown path components",
      });
    }
    const auth = req.headers.authorization ?? "";
    if (req.method === "GET" && edge === "message_templates" && auth.startsWith("Bearer ")) {
      return this.listTemplates(res, phoneNumberId, auth, url);
    }
    const number = this.options.numbers.find((n) => n.phoneNumberId === phoneNumberId);
    if (!auth.startsWith("Bearer ")) {
      return this.refuse(res, "no bearer token", {
        status: 401,
        code: 190,
        message: "An active access token must be used to query information about the current user.",
      });
    }
    if (!number) {
      return this.error(res, {
        status: 400,
        code: 100,
        subcode: 33,
        message: `Unsupported post request. Object with ID '${phoneNumberId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
      });
    }
    if (auth !== `Bearer ${number.token}`) {
      return this.error(res, {
        status: 401,
        code: 190,
        subcode: 463,
        message: "Error validating access token: Session has expired.",
      });
    }
    if (req.method === "GET" && edge === undefined) {
      this.lookups.push(phoneNumberId);
      return this.json(res, 200, {
        display_phone_number: number.displayPhoneNumber,
        verified_name: number.verifiedName ?? "Empresa Teste",
        quality_rating: "GREEN",
        messaging_limit_tier: number.tier ?? "TIER_1K",
        id: phoneNumberId,
      });
    }
    if (req.method !== "POST" || edge !== "messages") {
      return this.refuse(res, `bad route ${req.method} ${url.pathname}`, {
        status: 400,
        code: 100,
        message: "Unsupported request",
      });
    }
    if (!String(req.headers["content-type"] ?? "").startsWith("application/json")) {
      return this.refuse(res, "not json", { status: 400, code: 100, message: "Invalid content" });
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return this.refuse(res, "invalid json", { status: 400, code: 100, message: "Invalid JSON" });
    }
    const shape = checkTemplateBody(body);
    if (shape) {
      return this.refuse(res, shape, {
        status: 400,
        code: 100,
        message: `(#100) Invalid parameter: ${shape}`,
      });
    }
    const to = String(body.to);
    const now = Date.now();
    const record = (answer: ReceivedSend["answer"], wamid: string | null) =>
      this.received.push({ phoneNumberId, version, to, body, wamid, at: now, answer });
    const behaviour = this.options.behaviour?.({ to, phoneNumberId, body });
    if (behaviour === "hang") {
      this.hanging.add(res);
      res.on("close", () => this.hanging.delete(res));
      return;
    }
    if (behaviour) {
      record(behaviour.code, null);
      return this.error(res, behaviour);
    }
    const cap = this.options.ratePerSecond;
    if (cap !== undefined) {
      const times = (this.accepted.get(phoneNumberId) ?? []).filter((t) => t > now - 1000);
      if (times.length >= cap) {
        this.accepted.set(phoneNumberId, times);
        record(130429, null);
        return this.error(res, {
          status: 400,
          code: 130429,
          message: "(#130429) Rate limit hit",
          details: "Cloud API message throughput has been reached.",
        });
      }
      times.push(now);
      this.accepted.set(phoneNumberId, times);
    }
    const wamid = `wamid.${Buffer.from(`${phoneNumberId}:${++this.seq}:${randomBytes(4).toString("hex")}`).toString("base64")}`;
    record("sent", wamid);
    return this.json(res, 200, {
      messaging_product: "whatsapp",
      contacts: [{ input: to, wa_id: to }],
      messages: [{ id: wamid, message_status: "accepted" }],
    });
  }

  /**
   * GET /{version}/{waba-id}/message_templates?name=…&fields=…&limit=…&after=…:
   * `{data: [...], paging: {cursors, next}}`. Meta's name filter matches
   * templates whose name contains it, so a client must pick the exact one.
   */
  private listTemplates(res: ServerResponse, account: string, auth: string, url: URL): void {
    const templates = this.options.templates?.[account];
    const owners = this.options.numbers.filter((n) => n.businessAccountId === account);
    if (!templates && owners.length === 0) {
      this.error(res, {
        status: 400,
        code: 100,
        subcode: 33,
        message: `Unsupported get request. Object with ID '${account}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
      });
      return;
    }
    if (!owners.some((n) => auth === `Bearer ${n.token}`)) {
      this.error(res, {
        status: 401,
        code: 190,
        subcode: 463,
        message: "Error validating access token: Session has expired.",
      });
      return;
    }
    this.templateLookups.push({ account, query: url.search });
    const name = url.searchParams.get("name") ?? "";
    const limit = Math.max(1, Number(url.searchParams.get("limit") ?? 25) || 25);
    const after = Number(
      Buffer.from(url.searchParams.get("after") ?? "", "base64").toString() || 0,
    );
    const matching = (templates ?? []).filter((t) => t.name.includes(name));
    const page = matching.slice(after, after + limit);
    const next = after + limit < matching.length ? after + limit : null;
    const cursor = (n: number) => Buffer.from(String(n)).toString("base64");
    const nextUrl = new URL(`${this.baseUrl}${url.pathname}${url.search}`);
    if (next !== null) nextUrl.searchParams.set("after", cursor(next));
    this.json(res, 200, {
      data: page.map((t, i) => ({
        name: t.name,
        parameter_format: "POSITIONAL",
        components: t.components,
        language: t.language,
        status: t.status,
        category: t.category ?? "MARKETING",
        id: String(900_000 + after + i),
      })),
      paging: {
        cursors: { before: cursor(after), after: cursor(after + page.length) },
        ...(next !== null ? { next: nextUrl.toString() } : {}),
      },
    });
  }
}

/** What is wrong with a template send body, or null. */
export function checkTemplateBody(body: Record<string, unknown>): string | null {
  if (body.messaging_product !== "whatsapp") return "messaging_product must be whatsapp";
  if (typeof body.to !== "string" || !/^\d{8,15}$/.test(body.to)) return "to must be digits";
  if (body.type !== "template") return "type must be template";
  const t = body.template as Record<string, unknown> | undefined;
  if (!t || typeof t.name !== "string" || !t.name) return "template.name missing";
  const language = t.language as { code?: unknown } | undefined;
  if (!language || typeof language.code !== "string") return "template.language.code missing";
  if (t.components !== undefined) {
    if (!Array.isArray(t.components)) return "template.components must be a list";
    for (const c of t.components as Record<string, unknown>[]) {
      if (!["header", "body", "button"].includes(String(c.type))) return "bad component type";
      if (!Array.isArray(c.parameters)) return "component.parameters must be a list";
      for (const p of c.parameters as Record<string, unknown>[]) {
        if (p.type === "text" && typeof p.text !== "string") return "text parameter without text";
        if (p.type === "image" || p.type === "video" || p.type === "document") {
          if (c.type !== "header") return `${p.type} parameter outside the header`;
          const media = p[p.type] as { link?: unknown } | undefined;
          if (typeof media?.link !== "string") return `${p.type} parameter without link`;
        } else if (p.type === "payload") {
          // Meta: a payload parameter is a quick-reply button's, and is not empty.
          if (c.type !== "button" || c.sub_type !== "quick_reply")
            return "payload parameter outside a quick_reply button";
          if (typeof p.payload !== "string" || p.payload === "")
            return "payload parameter without payload";
        } else if (p.type !== "text") return `unsupported parameter type ${String(p.type)}`;
      }
      if (c.type === "button") {
        if (c.sub_type !== "url" && c.sub_type !== "quick_reply")
          return "button component sub_type must be url or quick_reply";
        if (typeof c.index !== "string" || !/^\d$/.test(c.index))
          return "button index must be a digit string";
        const params = c.parameters as Record<string, unknown>[];
        const wanted = c.sub_type === "url" ? "text" : "payload";
        if (params.length !== 1 || params[0]?.type !== wanted)
          return `${String(c.sub_type)} button takes one ${wanted} parameter`;
      }
    }
  }
  return null;
}

// --- webhook payloads, as Meta sends them ---

export interface StatusEvent {
  wamid: string;
  status: "sent" | "delivered" | "read" | "failed";
  /** Epoch seconds. */
  timestamp: number;
  recipient: string;
  errors?: { code: number; title: string; message?: string; details?: string }[];
}

export interface InboundEvent {
  from: string;
  id: string;
  timestamp: number;
  text?: string;
  name?: string;
  /** A quick-reply button of a template tapped: its label and the payload we sent. */
  button?: { text: string; payload: string };
  /** A reply button of an interactive message tapped. */
  buttonReply?: { id: string; title: string };
  /** The message replied to (Meta sends it with button taps): its wamid. */
  context?: { id: string };
}

export function webhookPayload(
  number: FakeNumber,
  events: { statuses?: StatusEvent[]; messages?: InboundEvent[] },
): Record<string, unknown> {
  const value: Record<string, unknown> = {
    messaging_product: "whatsapp",
    metadata: {
      display_phone_number: number.displayPhoneNumber,
      phone_number_id: number.phoneNumberId,
    },
  };
  if (events.statuses) {
    value.statuses = events.statuses.map((s) => ({
      id: s.wamid,
      status: s.status,
      timestamp: String(s.timestamp),
      recipient_id: s.recipient,
      ...(s.status !== "failed"
        ? {
            conversation: {
              id: randomBytes(8).toString("hex"),
              origin: { type: "marketing" },
            },
            pricing: { billable: true, pricing_model: "CBP", category: "marketing" },
          }
        : {}),
      ...(s.errors
        ? {
            errors: s.errors.map((e) => ({
              code: e.code,
              title: e.title,
              message: e.message ?? e.title,
              error_data: { details: e.details ?? e.title },
            })),
          }
        : {}),
    }));
  }
  if (events.messages) {
    value.contacts = events.messages.map((m) => ({
      profile: { name: m.name ?? "Cliente" },
      wa_id: m.from,
    }));
    value.messages = events.messages.map((m) => ({
      ...(m.context
        ? { context: { from: number.displayPhoneNumber.replace(/\D/g, ""), id: m.context.id } }
        : {}),
      from: m.from,
      id: m.id,
      timestamp: String(m.timestamp),
      ...(m.button
        ? { type: "button", button: m.button }
        : m.buttonReply
          ? {
              type: "interactive",
              interactive: { type: "button_reply", button_reply: m.buttonReply },
            }
          : { type: "text", text: { body: m.text ?? "" } }),
    }));
  }
  return {
    object: "whatsapp_business_account",
    entry: [{ id: "102290129340398", changes: [{ value, field: "messages" }] }],
  };
}

/** The X-Hub-Signature-256 header Meta sends with a body. */
export function hubSignature(rawBody: string | Buffer, appSecret: string): string {
  return `sha256=${createHmac("sha256", appSecret).update(rawBody).digest("hex")}`;
}
