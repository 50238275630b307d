/** The Cloud API channel against the fake Cloud API server: the contract, the wire format, errors. */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import type { OutgoingMessage } from "../../src/campaigns/channel.js";
import { CloudApiChannel, probeCloudApi } from "../../src/channels/cloud-api.js";
import { throughputPauseMs } from "../../src/channels/cloud-api-errors.js";
import type { Store } from "../../src/store/db.js";
import { addSender } from "../../src/store/senders.js";
import { fillTemplate } from "../../src/store/template-mapping.js";
import { DATABASES, openSqliteTestStore, type TestStore } from "../store/harness.js";
import { channelContract, message } from "./contract.js";
import {
  checkTemplateBody,
  FakeCloudApi,
  type FakeError,
  type FakeNumber,
} from "./fake-cloud-api.js";

process.env.REMESSA_SECRET_KEY ??= randomBytes(32).toString("base64");

const NUMBER: FakeNumber = {
  phoneNumberId: "106540352242922",
  token: `EAAG${randomBytes(24).toString("hex")}`,
  displayPhoneNumber: "+55 11 99999-0000",
};

/** Registers the cloudapi sender (id 1 in a fresh store: the contract's "sender:1"). */
async function cloudSender(
  store: Store,
  fake: FakeCloudApi,
  number: FakeNumber = NUMBER,
  extra: { token?: string; apiVersion?: string; digits?: string } = {},
): Promise<number> {
  const s = await addSender(store.db, 1, {
    kind: "whatsapp",
    mode: "exclusivo",
    number: extra.digits ?? "5511999990000",
    provider: "cloudapi",
    phoneNumberId: number.phoneNumberId,
    token: extra.token ?? number.token,
    baseUrl: fake.baseUrl,
    apiVersion: extra.apiVersion ?? "v21.0",
  });
  return Number(s.id);
}

for (const database of DATABASES) {
  channelContract(
    `cloudapi (${database.name})`,
    async () => {
      const t = await database.open();
      const fake = await new FakeCloudApi({ numbers: [NUMBER] }).start();
      await cloudSender(t.store, fake);
      const channel = new CloudApiChannel({ db: t.store.db });
      return {
        channel,
        // Only templates go through the Cloud API: SMS or e-mail content fails at once.
        expected: (m) => (m.channel === "whatsapp" ? "sent" : "failed"),
        async delivered() {
          return fake.sent().map((r) => {
            const id = Number(
              (
                (r.body.template as { components?: { parameters: { text: string }[] }[] })
                  .components?.[0]?.parameters[0]?.text ?? "P0"
              ).slice(1),
            );
            return { messageId: id, to: r.to, providerId: r.wamid };
          });
        },
        another: async () => new CloudApiChannel({ db: t.store.db }),
        async cleanup() {
          await channel.close();
          await fake.stop();
          await t.dispose();
        },
      };
    },
    { skip: database.skip },
  );
}

function wa(overrides: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return message("whatsapp", "cloudapi", overrides);
}

describe("Cloud API channel", () => {
  let t: TestStore;
  let fake: FakeCloudApi;
  let channel: CloudApiChannel;
  let behaviour: ((to: string) => FakeError | "hang" | undefined) | undefined;
  let now = Date.parse("2026-12-07T12:00:00Z");

  before(async () => {
    t = await openSqliteTestStore();
    fake = await new FakeCloudApi({
      numbers: [NUMBER],
      behaviour: ({ to }) => behaviour?.(to),
    }).start();
    await cloudSender(t.store, fake);
    channel = new CloudApiChannel({ db: t.store.db, clock: () => now });
  });
  after(async () => {
    await channel.close();
    await fake.stop();
    await t.dispose();
  });

  test("sends the documented template request with the bearer token, and keeps the wamid", async () => {
    behaviour = undefined;
    const m = wa({
      template: { name: "cobranca_v2", language: "pt_BR", params: ["Maria", "R$ 10,00"] },
    });
    const [r] = await channel.send([m]);
    assert.equal(r?.outcome, "sent");
    const got = fake.received.at(-1);
    assert.ok(got);
    assert.equal(got.phoneNumberId, NUMBER.phoneNumberId);
    assert.equal(got.version, "v21.0");
    assert.deepEqual(got.body, {
      messaging_product: "whatsapp",
      recipient_type: "individual",
      to: m.to,
      type: "template",
      template: {
        name: "cobranca_v2",
        language: { code: "pt_BR" },
        components: [
          {
            type: "body",
            parameters: [
              { type: "text", text: "Maria" },
              { type: "text", text: "R$ 10,00" },
            ],
          },
        ],
      },
    });
    assert.equal(r?.outcome === "sent" ? r.providerId : null, got.wamid);
    assert.deepEqual(fake.refusals, []);
  });

  test("header, body and URL button parameters: the documented components array, exactly", async () => {
    behaviour = undefined;
    const m = wa({
      template: {
        name: "boleto_v3",
        language: "pt_BR",
        params: ["Maria", "R$ 10,00"],
        header: { type: "text", params: ["dezembro"] },
        buttons: [
          { index: 0, param: "abc123" },
          { index: 2, param: "2via/987" },
        ],
      },
    });
    const [r] = await channel.send([m]);
    assert.equal(r?.outcome, "sent");
    assert.deepEqual(fake.received.at(-1)?.body, {
      messaging_product: "whatsapp",
      recipient_type: "individual",
      to: m.to,
      type: "template",
      template: {
        name: "boleto_v3",
        language: { code: "pt_BR" },
        components: [
          { type: "header", parameters: [{ type: "text", text: "dezembro" }] },
          {
            type: "body",
            parameters: [
              { type: "text", text: "Maria" },
              { type: "text", text: "R$ 10,00" },
            ],
          },
          {
            type: "button",
            sub_type: "url",
            index: "0",
            parameters: [{ type: "text", text: "abc123" }],
          },
          {
            type: "button",
            sub_type: "url",
            index: "2",
            parameters: [{ type: "text", text: "2via/987" }],
          },
        ],
      },
    });
    assert.deepEqual(fake.refusals, []);
  });

  test("a quick-reply button's payload from the mapped column: Meta's button component, exactly; the fake refuses what Meta would", async () => {
    behaviour = undefined;
    const values: Record<string, string> = { NOME: "Maria", ACORDO: "acordo-7781", CODIGO: "abc" };
    const filled = fillTemplate(
      {
        name: "acordo",
        language: "pt_BR",
        params: ["NOME", "button:0:quick_reply=ACORDO", "button:1=CODIGO"],
      },
      (c) => values[c] ?? "",
    );
    assert.ok(typeof filled !== "string");
    const m = wa({ template: filled });
    const [r] = await channel.send([m]);
    assert.equal(r?.outcome, "sent");
    assert.deepEqual(fake.received.at(-1)?.body, {
      messaging_product: "whatsapp",
      recipient_type: "individual",
      to: m.to,
      type: "template",
      template: {
        name: "acordo",
        language: { code: "pt_BR" },
        components: [
          { type: "body", parameters: [{ type: "text", text: "Maria" }] },
          {
            type: "button",
            sub_type: "quick_reply",
            index: "0",
            parameters: [{ type: "payload", payload: "acordo-7781" }],
          },
          {
            type: "button",
            sub_type: "url",
            index: "1",
            parameters: [{ type: "text", text: "abc" }],
          },
        ],
      },
    });
    assert.deepEqual(fake.refusals, []);

    const body = (button: Record<string, unknown>) => ({
      messaging_product: "whatsapp",
      to: "5511987654321",
      type: "template",
      template: { name: "acordo", language: { code: "pt_BR" }, components: [button] },
    });
    const quick = (parameters: unknown[]) =>
      body({ type: "button", sub_type: "quick_reply", index: "0", parameters });
    assert.equal(checkTemplateBody(quick([{ type: "payload", payload: "x" }])), null);
    assert.match(
      checkTemplateBody(quick([{ type: "payload", payload: "" }])) ?? "",
      /without payload/,
    );
    assert.match(checkTemplateBody(quick([{ type: "text", text: "x" }])) ?? "", /one payload/);
    assert.match(
      checkTemplateBody(
        body({
          type: "button",
          sub_type: "url",
          index: "0",
          parameters: [{ type: "payload", payload: "x" }],
        }),
      ) ?? "",
      /outside a quick_reply button/,
    );
    assert.match(
      checkTemplateBody(
        body({ type: "button", sub_type: "copy_code", index: "0", parameters: [] }),
      ) ?? "",
      /url or quick_reply/,
    );
  });

  test("a media header goes as an image (or document) parameter with the column's link", async () => {
    behaviour = undefined;
    const link = "https://cdn.example.com/boletos/123.pdf";
    const [r] = await channel.send([
      wa({
        template: {
          name: "boleto_pdf",
          language: "pt_BR",
          params: [],
          header: { type: "document", link },
        },
      }),
    ]);
    assert.equal(r?.outcome, "sent");
    const template = fake.received.at(-1)?.body.template as Record<string, unknown>;
    assert.deepEqual(template.components, [
      { type: "header", parameters: [{ type: "document", document: { link } }] },
    ]);
    const [image] = await channel.send([
      wa({
        template: {
          name: "promo",
          language: "pt_BR",
          params: ["Ana"],
          header: { type: "image", link: "https://cdn.example.com/a.png" },
        },
      }),
    ]);
    assert.equal(image?.outcome, "sent");
    assert.deepEqual(
      (fake.received.at(-1)?.body.template as Record<string, unknown> | undefined)?.components,
      [
        {
          type: "header",
          parameters: [{ type: "image", image: { link: "https://cdn.example.com/a.png" } }],
        },
        { type: "body", parameters: [{ type: "text", text: "Ana" }] },
      ],
    );
    assert.deepEqual(fake.refusals, []);
  });

  test("errors by code: recipient, template and policy fail in pt-BR; throughput throttles; pair limit and 5xx retry", async () => {
    const plan: Record<string, FakeError> = {
      a: { status: 400, code: 131026, message: "Message undeliverable", details: "x" },
      b: { status: 400, code: 132001, message: "Template name does not exist in the translation" },
      c: { status: 400, code: 131047, message: "Re-engagement message" },
      d: { status: 400, code: 368, message: "Temporarily blocked for policies violations" },
      e: { status: 400, code: 130429, message: "Rate limit hit" },
      f: { status: 400, code: 131056, message: "Pair rate limit hit" },
      g: { status: 500, code: 131000, message: "Something went wrong" },
      h: { status: 503, code: 2, message: "Service temporarily unavailable", retryAfterSeconds: 7 },
      i: { status: 400, code: 132999, message: "some new template error" },
    };
    const batch = Object.keys(plan).map((k, i) => wa({ to: `5511900000${i}0${k.charCodeAt(0)}` }));
    const byTo = new Map(batch.map((m, i) => [m.to, plan[Object.keys(plan)[i] as string]]));
    behaviour = (to) => byTo.get(to);
    const results = await channel.send(batch);
    assert.deepEqual(
      results.map((r) => r.outcome),
      ["failed", "failed", "failed", "failed", "throttled", "retry", "retry", "retry", "failed"],
    );
    const reason = (i: number) => (results[i] as { reason: string }).reason;
    assert.match(reason(0), /^WhatsApp 131026: .*não tem WhatsApp/);
    assert.match(reason(1), /template não existe/);
    assert.match(reason(2), /24 horas/);
    assert.match(reason(3), /bloqueado temporariamente/);
    assert.match(reason(8), /Erro no template/);
    assert.ok((results[4] as { afterMs?: number }).afterMs! > 0);
    assert.equal((results[7] as { afterMs?: number }).afterMs, 7000, "Retry-After is honoured");
  });

  test("130429 without Retry-After: the number pauses as long as the refused requests take at its rate, longer when refusals repeat", async () => {
    now += 60_000;
    const overCap: FakeError = { status: 400, code: 130429, message: "(#130429) Rate limit hit" };
    const send = async (sent: number, refused: number) => {
      const batch = Array.from({ length: sent + refused }, () => wa());
      const refuse = new Set(batch.slice(sent).map((m) => m.to));
      behaviour = (to) => (refuse.has(to) ? overCap : undefined);
      const results = await channel.send(batch);
      assert.deepEqual(
        results.map((r) => r.outcome),
        [...Array(sent).fill("sent"), ...Array(refused).fill("throttled")],
      );
      return results.slice(sent).map((r) => (r as { afterMs?: number }).afterMs);
    };
    // The sender has no rate of its own: WhatsApp's default, 80 msg/s (12.5 ms each).
    assert.deepEqual(await send(5, 3), [38, 38, 38]);
    // Again within a second after that pause: twice as long.
    now += 500;
    assert.deepEqual(await send(0, 2), [50, 50]);
    now += 5_000;
    assert.deepEqual(await send(7, 1), [13]);
    behaviour = undefined;
  });

  test("throughputPauseMs: proportional to the refusals, doubled per streak, at most 2 s", () => {
    assert.equal(throughputPauseMs(8, 80), 100);
    assert.equal(throughputPauseMs(8, 80, 2), 400);
    assert.equal(throughputPauseMs(0, 80), 13);
    assert.equal(throughputPauseMs(4, 1), 2000);
    assert.equal(throughputPauseMs(80, 80, 30), 2000);
  });

  test("an expired token makes the number wait (no failure) and stops calling Meta for it", async () => {
    behaviour = () => ({ status: 401, code: 190, subcode: 463, message: "Session has expired" });
    const before = fake.received.length;
    const first = await channel.send([wa(), wa()]);
    for (const r of first) {
      assert.equal(r.outcome, "retry");
      assert.match((r as { reason: string }).reason, /Token de acesso/);
      assert.ok(((r as { afterMs?: number }).afterMs ?? 0) >= 10 * 60_000);
    }
    const called = fake.received.length - before;
    assert.ok(called >= 1 && called <= 2);
    // Later batches of that number wait without a request, until the pause ends.
    now += 60_000;
    const second = await channel.send([wa(), wa(), wa()]);
    assert.deepEqual(
      second.map((r) => r.outcome),
      ["retry", "retry", "retry"],
    );
    assert.equal(fake.received.length - before, called);
    now += 15 * 60_000;
    behaviour = undefined;
    const third = await channel.send([wa()]);
    assert.equal(third[0]?.outcome, "sent");
  });

  test("an unreachable API is a retry, never a failure", async () => {
    const s = await openSqliteTestStore();
    try {
      const dead = await new FakeCloudApi({ numbers: [NUMBER] }).start();
      await cloudSender(s.store, dead);
      await dead.stop();
      const c = new CloudApiChannel({ db: s.store.db });
      const [r] = await c.send([wa()]);
      assert.equal(r?.outcome, "retry");
      assert.match((r as { reason: string }).reason, /Sem resposta da Cloud API/);
      await c.close();
    } finally {
      await s.dispose();
    }
  });

  test("an answer that never ends is cut at a bound: the message is retried, memory stays flat", async () => {
    const s = await openSqliteTestStore();
    let closed = false;
    // A misbehaving endpoint: 502 and an endless body.
    const endless = createServer((_request, response) => {
      response.writeHead(502, { "content-type": "application/json" });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (!closed && response.write(chunk)) {}
        if (!closed) response.once("drain", pump);
      };
      response.on("close", () => {
        closed = true;
      });
      pump();
    });
    await new Promise<void>((ok) => endless.listen(0, "127.0.0.1", ok));
    try {
      const other: FakeNumber = { ...NUMBER, phoneNumberId: "3000001" };
      await addSender(s.store.db, 1, {
        kind: "whatsapp",
        mode: "compartilhado",
        number: "5511977776666",
        provider: "cloudapi",
        phoneNumberId: other.phoneNumberId,
        token: other.token,
      });
      const port = (endless.address() as AddressInfo).port;
      const c = new CloudApiChannel({
        db: s.store.db,
        env: { REMESSA_WHATSAPP_BASE_URL: `http://127.0.0.1:${port}` },
      });
      const [r] = await c.send([wa()]);
      assert.equal(r?.outcome, "retry");
      await c.close();
      // It returned, so it stopped reading; the connection is dropped too (soon after).
      for (let i = 0; i < 50 && !closed; i++) await new Promise((ok) => setTimeout(ok, 20));
      assert.ok(closed, "the endless answer's connection was dropped");
    } finally {
      endless.closeAllConnections();
      await new Promise((ok) => endless.close(ok));
      await s.dispose();
    }
  });

  test("an abort during the requests rejects nothing silently: pending requests end as retry", async () => {
    behaviour = () => "hang";
    const controller = new AbortController();
    const pending = channel.send([wa(), wa()], controller.signal);
    setTimeout(() => controller.abort(new Error("tempo esgotado")), 50);
    const results = await pending;
    assert.deepEqual(
      results.map((r) => r.outcome),
      ["retry", "retry"],
    );
    behaviour = undefined;
  });

  test("base URL and version per sender (settings) or from the environment", async () => {
    const s = await openSqliteTestStore();
    try {
      const other: FakeNumber = { ...NUMBER, phoneNumberId: "2000001" };
      const f = await new FakeCloudApi({ numbers: [other] }).start();
      await addSender(s.store.db, 1, {
        kind: "whatsapp",
        mode: "compartilhado",
        number: "5511988887777",
        provider: "cloudapi",
        phoneNumberId: other.phoneNumberId,
        token: other.token,
      });
      const c = new CloudApiChannel({
        db: s.store.db,
        env: { REMESSA_WHATSAPP_BASE_URL: `${f.baseUrl}/`, REMESSA_WHATSAPP_API_VERSION: "v19.0" },
      });
      const [r] = await c.send([wa()]);
      assert.equal(r?.outcome, "sent");
      assert.equal(f.received[0]?.version, "v19.0");
      await c.close();
      await f.stop();
    } finally {
      await s.dispose();
    }
  });

  test("the phone-number lookup: ok, bad token, unknown id, unreachable, in pt-BR", async () => {
    const base = {
      senderId: 1,
      baseUrl: fake.baseUrl,
      apiVersion: "v21.0",
      phoneNumberId: NUMBER.phoneNumberId,
      token: NUMBER.token,
    };
    const ok = await probeCloudApi(base);
    assert.equal(ok.ok, true);
    assert.match(ok.message, /Cloud API respondeu: número \+55 11 99999-0000/);
    assert.equal(ok.number?.messagingLimitTier, "TIER_1K");
    const badToken = await probeCloudApi({ ...base, token: "errado" });
    assert.equal(badToken.ok, false);
    assert.match(badToken.message, /recusou o token/);
    assert.doesNotMatch(badToken.message, /errado/);
    const unknown = await probeCloudApi({ ...base, phoneNumberId: "999" });
    assert.match(unknown.message, /não conhece o número 999/);
    const down = await probeCloudApi({ ...base, baseUrl: "http://127.0.0.1:1" });
    assert.match(down.message, /Não foi possível falar com a Cloud API/);
  });
});
