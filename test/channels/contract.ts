/**
 * The behaviour every `Channel` implementation must have (src/campaigns/
 * channel.ts), run against each one by the *.test.ts files:
 * `channelContract("outbox (sqlite)", open)`. The real providers of the next
 * issue run it too, against their test servers.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type {
  Channel,
  ChannelKind,
  OutgoingMessage,
  SenderRef,
  SendResult,
} from "../../src/campaigns/channel.js";

export interface Delivery {
  messageId: number;
  to: string;
  providerId: string | null;
}

export interface ContractTarget {
  channel: Channel;
  /** What reached the peer so far (for the outbox: its rows). */
  delivered(): Promise<Delivery[]>;
  /** The outcome this target gives a message, when it is configured to (fails, throttles…); default "sent". */
  expected?: (message: OutgoingMessage) => SendResult["outcome"];
  /** Called with every batch before it is sent (the outbox needs its messages rows to exist). */
  prepare?: (batch: readonly OutgoingMessage[]) => Promise<void>;
  /** The kinds this channel sends (default all three: the outbox takes any). */
  kinds?: readonly ChannelKind[];
  /** The sender of a message of this kind (default `sender(kind, provider)`): a real provider needs one it knows. */
  from?: (kind: ChannelKind) => SenderRef;
  /**
   * Puts these prepared messages back to "pending" (a channel with
   * sendAndRecord sends only those): required when the channel has it.
   */
  makePending?: (ids: readonly number[]) => Promise<void>;
  /** A second, fresh channel on the same peer (close tests close it). */
  another(): Promise<Channel>;
  cleanup(): Promise<void>;
}

let nextId = 1_000;

export function sender(kind: ChannelKind, provider: string): SenderRef {
  return {
    key: `sender:${kind === "email" ? 2 : 1}`,
    kind,
    mode: kind === "sms" ? "long" : kind === "whatsapp" ? "exclusivo" : null,
    address: kind === "email" ? "cobranca@remessa.test" : "5511999990000",
    name: kind === "email" ? "Cobrança" : null,
    provider,
  };
}

export function message(
  kind: ChannelKind,
  provider: string,
  overrides: Partial<OutgoingMessage> = {},
): OutgoingMessage {
  const id = nextId++;
  return {
    id,
    tenantId: 1,
    campaignId: 1,
    channel: kind,
    to: kind === "email" ? `p${id}@ex.com` : `55119${String(id).padStart(8, "0")}`,
    from: sender(kind, provider),
    text: kind === "whatsapp" ? null : `Olá ${id}, sua fatura vence amanhã.`,
    subject: kind === "email" ? "Sua fatura" : null,
    template:
      kind === "whatsapp" ? { name: "cobranca", language: "pt_BR", params: [`P${id}`] } : null,
    ...overrides,
  };
}

function validResult(r: SendResult): boolean {
  switch (r.outcome) {
    case "sent":
      return (
        (r.providerId === null || typeof r.providerId === "string") &&
        (r.segments === undefined || (Number.isInteger(r.segments) && r.segments >= 1))
      );
    case "retry":
    case "throttled":
      return (
        typeof r.reason === "string" &&
        r.reason.length > 0 &&
        (r.afterMs === undefined || r.afterMs >= 0)
      );
    case "failed":
      return typeof r.reason === "string" && r.reason.length > 0;
    default:
      return false;
  }
}

export function channelContract(
  name: string,
  openTarget: () => Promise<ContractTarget>,
  options: {
    skip?: string | false;
    /** The channel sends by writing to the dispatcher's own database (Channel.sendAndRecord). */
    sendAndRecord?: boolean;
  } = {},
): void {
  describe(`Channel contract: ${name}`, { skip: options.skip ?? false }, () => {
    let target: ContractTarget;
    let channel: Channel;
    before(async () => {
      target = await openTarget();
      channel = target.channel;
    });
    after(async () => {
      await target?.cleanup();
    });

    const provider = () => channel.provider;
    const kinds = () => target.kinds ?? (["sms", "whatsapp", "email"] as const);
    /** The kind of the tests that take any one. */
    const kind = () => kinds()[0] ?? "sms";
    const msg = (k: ChannelKind, p: string) =>
      message(k, p, target.from ? { from: target.from(k) } : {});
    const make = async (batch: OutgoingMessage[]) => {
      await target.prepare?.(batch);
      return batch;
    };

    test("names its provider", () => {
      assert.equal(typeof channel.provider, "string");
      assert.ok(channel.provider.length > 0);
    });

    test(`${options.sendAndRecord ? "has" : "has no"} sendAndRecord (sending is ${options.sendAndRecord ? "" : "not "}a write to the dispatcher's own database)`, () => {
      assert.equal(typeof channel.sendAndRecord, options.sendAndRecord ? "function" : "undefined");
    });

    if (options.sendAndRecord) {
      test("sendAndRecord: sends only the messages still pending, each once, and names them", async () => {
        const sendAndRecord = channel.sendAndRecord?.bind(channel);
        assert.ok(
          sendAndRecord && target.makePending,
          "sendAndRecord needs makePending in the target",
        );
        assert.equal((await sendAndRecord([], Date.now())).size, 0);
        const batch = await make(Array.from({ length: 3 }, () => msg(kind(), provider())));
        const pending = batch.slice(0, 2).map((m) => m.id);
        await target.makePending(pending);
        const before = (await target.delivered()).length;
        const sent = await sendAndRecord(batch, Date.now());
        assert.deepEqual([...sent].sort(), [...pending].sort());
        // Already sent: a second call (another dispatcher's, a retry) sends nothing.
        assert.equal((await sendAndRecord(batch, Date.now())).size, 0);
        const delivered = (await target.delivered()).slice(before);
        assert.deepEqual(delivered.map((d) => d.messageId).sort(), [...pending].sort());
      });
    }

    test("an empty batch resolves with no results", async () => {
      assert.deepEqual(await channel.send([]), []);
    });

    test("one result per message, in the batch's order, for every kind", async () => {
      for (const k of kinds()) {
        const batch = await make(Array.from({ length: 7 }, () => msg(k, provider())));
        const before = await target.delivered();
        const results = await channel.send(batch);
        assert.equal(results.length, batch.length);
        for (const r of results) assert.ok(validResult(r), `invalid result ${JSON.stringify(r)}`);
        const expected = batch.map((m) => target.expected?.(m) ?? "sent");
        assert.deepEqual(
          results.map((r) => r.outcome),
          expected,
        );
        const fresh = (await target.delivered()).slice(before.length);
        // Everything reported sent reached the peer, for that message and address.
        batch.forEach((m, i) => {
          const r = results[i] as SendResult;
          if (r.outcome !== "sent") return;
          const got = fresh.filter((d) => d.messageId === m.id);
          assert.equal(got.length, 1, `message ${m.id} delivered ${got.length} times`);
          assert.equal(got[0]?.to, m.to);
          if (r.providerId !== null) assert.equal(got[0]?.providerId, r.providerId);
        });
      }
    });

    test("does not change the batch it is handed", async () => {
      const batch = await make(kinds().map((k) => msg(k, provider())));
      const copy = structuredClone(batch);
      await channel.send(batch);
      assert.deepEqual(batch, copy);
    });

    test("an already aborted signal rejects and delivers nothing", async () => {
      const controller = new AbortController();
      controller.abort(new Error("parado"));
      const batch = await make([msg(kind(), provider())]);
      const before = (await target.delivered()).length;
      await assert.rejects(channel.send(batch, controller.signal));
      assert.equal((await target.delivered()).length, before);
    });

    test("an abort during the call settles it (results or a rejection), never hangs", async () => {
      const controller = new AbortController();
      const batch = await make(Array.from({ length: 3 }, () => msg(kind(), provider())));
      const pending = channel.send(batch, controller.signal);
      controller.abort(new Error("tempo esgotado"));
      const settled = await Promise.race([
        pending.then(
          (r) => ({ ok: true as const, r }),
          () => ({ ok: false as const, r: [] as SendResult[] }),
        ),
        new Promise<"hung">((resolve) => setTimeout(() => resolve("hung"), 10_000)),
      ]);
      assert.notEqual(settled, "hung");
      if (settled !== "hung" && settled.ok) assert.equal(settled.r.length, 3);
    });

    test("close lets a send in progress finish, and is idempotent", async () => {
      const other = await target.another();
      const batch = await make([msg(kind(), other.provider), msg(kind(), other.provider)]);
      const sending = other.send(batch);
      const closing = other.close();
      const results = await sending;
      await closing;
      assert.equal(results.length, 2);
      await other.close();
      await assert.rejects(other.send(await make([msg(kind(), other.provider)])));
    });
  });
}
