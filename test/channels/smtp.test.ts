/**
 * The SMTP channel against a real SMTP server in this process (smtp-peer.ts),
 * on each database: the Channel contract (login + STARTTLS), what the
 * receiver gets (From, Reply-To, subject, HTML with its text alternative,
 * List-Unsubscribe), implicit TLS, a refused login, a 4xx then success, a
 * 5xx, DKIM verified with the public key, and — through the real dispatcher —
 * a server dropping every connection mid-campaign (retried, none lost).
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { after, before, describe, test } from "node:test";
import type { OutgoingMessage, SenderRef } from "../../src/campaigns/channel.js";
import { Dispatcher } from "../../src/campaigns/dispatch.js";
import { KyselyDispatchStore } from "../../src/campaigns/dispatch-store.js";
import { ChannelRegistry } from "../../src/channels/index.js";
import { SmtpChannel, type SmtpChannelOptions } from "../../src/channels/smtp.js";
import { unsubscribeKey, verifyUnsubscribeToken } from "../../src/channels/unsubscribe-link.js";
import { silentLogger } from "../../src/log.js";
import type { Store } from "../../src/store/db.js";
import { addEmailAccount, type SmtpSettingsInput } from "../../src/store/email-accounts.js";
import { messagesOf, seedCampaign, T0 } from "../campaigns/dispatch-fixtures.js";
import { DATABASES, type TestStore } from "../store/harness.js";
import { channelContract, message } from "./contract.js";
import { verifyDkim } from "./dkim-verify.js";
import {
  header,
  type PeerOptions,
  type SelfSigned,
  type SmtpPeer,
  selfSignedCert,
  startSmtpPeer,
} from "./smtp-peer.js";

const KEY = Buffer.alloc(32, 9);

const PUBLIC_URL = "https://remessa.exemplo.com.br/app";
const LOGIN = { user: "remessa", pass: "s3nha-do-smtp" };
let cert: SelfSigned;

function channelOptions(extra: Partial<SmtpChannelOptions> = {}): SmtpChannelOptions {
  return {
    secretKey: KEY,
    publicUrl: PUBLIC_URL,
    tls: { ca: cert.cert, servername: "localhost" },
    connectionTimeoutMs: 5_000,
    socketTimeoutMs: 10_000,
    log: silentLogger,
    ...extra,
  };
}

/** An SMTP account on the peer; its SenderRef as the dispatcher builds it. */
async function account(
  store: Store,
  peer: SmtpPeer,
  settings: Partial<SmtpSettingsInput> & {
    address?: string;
    name?: string | null;
    wallet?: string;
  } = {},
): Promise<{ id: number; from: SenderRef }> {
  const address =
    settings.address ?? `cobranca${Math.random().toString(36).slice(2, 7)}@remessa.test`;
  const { account: row } = await addEmailAccount(
    store.db,
    1,
    {
      address,
      displayName: settings.name === undefined ? "Cobrança Remessa" : settings.name,
      wallet: settings.wallet ?? null,
      smtp: {
        host: peer.host,
        port: peer.port,
        security: settings.security ?? "starttls",
        username: settings.username === undefined ? LOGIN.user : settings.username,
        password: settings.password === undefined ? LOGIN.pass : settings.password,
        replyTo: settings.replyTo ?? null,
        dkim: settings.dkim ?? null,
      },
    },
    KEY,
  );
  return {
    id: row.id,
    from: {
      key: `email:${row.id}`,
      kind: "email",
      mode: null,
      address: row.address,
      name: row.display_name,
      provider: "smtp",
    },
  };
}

before(() => {
  cert = selfSignedCert();
});

for (const database of DATABASES) {
  channelContract(
    `smtp (${database.name})`,
    async () => {
      const t = await database.open();
      const peer = await startSmtpPeer({ auth: LOGIN, tls: cert });
      const { from } = await account(t.store, peer);
      const { campaignId } = await seedCampaign(t.store, { persons: 0, channel: "email" });
      const channel = new SmtpChannel(t.store, channelOptions());
      const others: SmtpChannel[] = [];
      return {
        channel,
        kinds: ["email"],
        from: () => from,
        async prepare(batch) {
          // The wallet of the unsubscribe link comes from the message's campaign.
          for (const m of batch as OutgoingMessage[]) m.campaignId = campaignId;
        },
        async delivered() {
          return peer.received.map((r) => ({
            messageId: Number(r.messageId.split(".")[0]),
            to: r.to[0] ?? "",
            providerId: r.messageId,
          }));
        },
        async another() {
          const other = new SmtpChannel(t.store, channelOptions());
          others.push(other);
          return other;
        },
        async cleanup() {
          await channel.close();
          for (const o of others) await o.close();
          await peer.close();
          await t.dispose();
        },
      };
    },
    { skip: database.skip },
  );

  describe(`SMTP channel (${database.name})`, { skip: database.skip }, () => {
    let t: TestStore;
    const peers: SmtpPeer[] = [];
    const channels: SmtpChannel[] = [];
    let campaignId: number;
    let walletId: number;
    before(async () => {
      t = await database.open();
      const seeded = await seedCampaign(t.store, { persons: 0, channel: "email" });
      campaignId = seeded.campaignId;
      walletId = seeded.walletId;
    });
    after(async () => {
      for (const c of channels) await c.close();
      for (const p of peers) await p.close();
      await t?.dispose();
    });
    const peer = async (options: PeerOptions) => {
      const p = await startSmtpPeer(options);
      peers.push(p);
      return p;
    };
    const open = (extra: Partial<SmtpChannelOptions> = {}) => {
      const c = new SmtpChannel(t.store, channelOptions(extra));
      channels.push(c);
      return c;
    };
    const email = (from: SenderRef, overrides: Partial<OutgoingMessage> = {}) =>
      message("email", "smtp", { from, campaignId, ...overrides });

    test("logs in over STARTTLS; the receiver gets From, Reply-To, subject, HTML with a text part and the unsubscribe headers", async () => {
      const p = await peer({ auth: LOGIN, tls: cert });
      const { from } = await account(t.store, p, { replyTo: "atendimento@remessa.test" });
      const channel = open();
      const m = email(from, {
        subject: "Sua fatura de dezembro",
        text: '<p>Olá <b>Ana</b>,</p><p>Sua fatura vence amanhã.<br>Pague em <a href="https://pague.exemplo.com/x">pague aqui</a>.</p>',
      });
      const [result] = await channel.send([m]);
      assert.equal(result?.outcome, "sent");
      assert.equal(p.received.length, 1);
      const got = p.received[0]!;
      assert.equal(got.secure, true, "STARTTLS was used");
      assert.equal(got.user, LOGIN.user);
      assert.deepEqual(got.to, [m.to]);
      assert.equal(result?.outcome === "sent" && result.providerId, got.messageId);
      assert.equal(got.parsed.from?.value[0]?.address, from.address);
      assert.equal(got.parsed.from?.value[0]?.name, "Cobrança Remessa");
      assert.equal(got.parsed.replyTo?.value[0]?.address, "atendimento@remessa.test");
      assert.equal(got.parsed.subject, "Sua fatura de dezembro");
      assert.match(String(got.parsed.html), /<b>Ana<\/b>/);
      assert.equal(
        got.parsed.text?.trim(),
        "Olá Ana,\n\nSua fatura vence amanhã.\nPague em pague aqui (https://pague.exemplo.com/x).",
      );
      assert.equal(header(got, "list-unsubscribe-post"), "List-Unsubscribe=One-Click");
      const link = /^<([^>]+)>$/.exec(header(got, "list-unsubscribe") ?? "")?.[1];
      assert.ok(link?.startsWith(`${PUBLIC_URL}/u/`), link);
      const token = decodeURIComponent((link ?? "").slice(`${PUBLIC_URL}/u/`.length));
      assert.deepEqual(verifyUnsubscribeToken(unsubscribeKey(KEY), token), {
        tenantId: 1,
        walletId,
        address: m.to,
      });
    });

    test("a plain-text body goes as text only; without a public URL there is no List-Unsubscribe", async () => {
      const p = await peer({ auth: LOGIN, tls: cert });
      const { from } = await account(t.store, p, { name: null });
      const channel = open({ publicUrl: null });
      const [result] = await channel.send([email(from, { text: "Olá, 5 < 6 & tudo bem." })]);
      assert.equal(result?.outcome, "sent");
      const got = p.received[0]!;
      assert.equal(got.parsed.html, false);
      assert.equal(got.parsed.text?.trim(), "Olá, 5 < 6 & tudo bem.");
      assert.equal(header(got, "list-unsubscribe"), null);
      assert.equal(got.parsed.from?.value[0]?.name, "");
    });

    test("implicit TLS (security tls)", async () => {
      const p = await peer({ auth: LOGIN, tls: cert, secure: true });
      const { from } = await account(t.store, p, { security: "tls" });
      const [result] = await open().send([email(from)]);
      assert.equal(result?.outcome, "sent");
      assert.equal(p.received[0]?.secure, true);
    });

    test("a refused login: retry saying so, nothing delivered", async () => {
      const p = await peer({ auth: LOGIN, tls: cert });
      const { from } = await account(t.store, p, { password: "errada" });
      const results = await open().send([email(from), email(from)]);
      for (const r of results) {
        assert.equal(r.outcome, "retry");
        assert.match(r.outcome === "retry" ? r.reason : "", /usuário ou a senha/);
      }
      assert.ok(p.authFailures >= 1);
      assert.equal(p.received.length, 0);
    });

    test("an untrusted certificate is refused (never sent in clear instead)", async () => {
      const p = await peer({ auth: LOGIN, tls: cert });
      const { from } = await account(t.store, p);
      const [result] = await open({ tls: {} }).send([email(from)]);
      assert.equal(result?.outcome, "retry");
      assert.match(result?.outcome === "retry" ? result.reason : "", /certificado TLS/);
      assert.equal(p.received.length, 0);
    });

    test("a 4xx is retried with a pause hint, and the next attempt goes through", async () => {
      const p = await peer({
        auth: LOGIN,
        tls: cert,
        decide: (_mail, attempt) =>
          attempt === 1 ? { code: 451, text: "4.3.0 Fila cheia, tente mais tarde" } : null,
      });
      const { from } = await account(t.store, p);
      const channel = open();
      const m = email(from);
      const [first] = await channel.send([m]);
      assert.equal(first?.outcome, "retry");
      assert.ok(first?.outcome === "retry" && (first.afterMs ?? 0) > 0);
      assert.match(first?.outcome === "retry" ? first.reason : "", /Fila cheia/);
      assert.equal(p.received.length, 0);
      const [second] = await channel.send([m]);
      assert.equal(second?.outcome, "sent");
      assert.equal(p.received.length, 1);
    });

    test("a 5xx fails the message with the server's own text; the others of the batch go", async () => {
      const p = await peer({
        auth: LOGIN,
        tls: cert,
        decide: (mail) =>
          mail.to[0]?.startsWith("nao.existe")
            ? { code: 550, text: "5.1.1 Caixa postal inexistente" }
            : null,
      });
      const { from } = await account(t.store, p);
      const results = await open().send([
        email(from),
        email(from, { to: "nao.existe@ex.com" }),
        email(from),
      ]);
      assert.deepEqual(
        results.map((r) => r.outcome),
        ["sent", "failed", "sent"],
      );
      const reason = results[1]?.outcome === "failed" ? results[1].reason : "";
      assert.match(
        reason,
        /^O servidor de e-mail recusou a mensagem: .*5\.1\.1 Caixa postal inexistente/,
      );
      assert.equal(p.received.length, 2);
    });

    test("DKIM: the signature verifies with the public key and covers the unsubscribe headers", async () => {
      const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
      const p = await peer({ auth: LOGIN, tls: cert });
      const { from } = await account(t.store, p, {
        address: "faturas@remessa.test",
        dkim: {
          domain: "remessa.test",
          selector: "rem2026",
          privateKey: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
        },
      });
      const [result] = await open().send([email(from, { text: "<p>Olá,  mundo</p>\n\n" })]);
      assert.equal(result?.outcome, "sent");
      const got = p.received[0]!;
      const dkim = verifyDkim(got.raw, publicKey);
      assert.equal(dkim.problem, null);
      assert.ok(dkim.ok);
      assert.equal(dkim.domain, "remessa.test");
      assert.equal(dkim.selector, "rem2026");
      for (const h of ["from", "subject", "list-unsubscribe", "list-unsubscribe-post"]) {
        assert.ok(dkim.signedHeaders.includes(h), `${h} signed`);
      }
      // Tampering with the body breaks it: the check is real.
      const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey;
      assert.equal(verifyDkim(got.raw, other).ok, false);
      assert.equal(verifyDkim(got.raw.replace("mundo", "mundx"), publicKey).ok, false);
    });

    test("an aborted send settles as retry for what had not gone", async () => {
      const p = await peer({ auth: LOGIN, tls: cert });
      const { from } = await account(t.store, p);
      const controller = new AbortController();
      const sending = open().send(
        Array.from({ length: 5 }, () => email(from)),
        controller.signal,
      );
      controller.abort(new Error("prazo"));
      const results = await sending;
      assert.equal(results.length, 5);
      const sent = results.filter((r) => r.outcome === "sent").length;
      assert.equal(p.received.length, sent);
      for (const r of results) assert.ok(r.outcome === "sent" || r.outcome === "retry");
    });
  });

  describe(`SMTP campaign through the dispatcher (${database.name})`, {
    skip: database.skip,
  }, () => {
    let t: TestStore;
    before(async () => {
      t = await database.open();
    });
    after(async () => {
      await t?.dispose();
    });

    test("the server drops every connection mid-campaign: the messages are retried, none lost", async () => {
      let dropped = false;
      const p = await startSmtpPeer({
        auth: LOGIN,
        tls: cert,
        decide: (mail) => {
          if (!dropped && mail.index === 7) {
            dropped = true;
            return "drop";
          }
          return null;
        },
      });
      const { id } = await account(t.store, p);
      const seeded = await seedCampaign(t.store, {
        channel: "email",
        persons: 20,
        senderId: id,
        provider: "smtp",
        body: (i) => `Olá [NOME_CLIENTE], fatura ${i}.`,
      });
      const clock = { now: T0 };
      const channel = new SmtpChannel(t.store, channelOptions({ clock: () => clock.now }));
      const registry = new ChannelRegistry(t.store, () => clock.now, [channel]);
      const dispatcher = new Dispatcher({
        store: new KyselyDispatchStore(t.store),
        owner: "w1",
        channelFor: registry.channelFor,
        clock: () => clock.now,
        sleep: async (ms) => {
          clock.now += ms;
        },
        random: () => 0.5,
        log: silentLogger,
        retryBaseMs: 60_000,
        settleEveryMs: 0,
        batchSize: 5,
      });
      try {
        for (let round = 0; round < 30; round++) {
          await dispatcher.runOnce();
          const pending = (await messagesOf(t.store, seeded.campaignId)).filter(
            (m) => m.state !== "sent",
          );
          if (pending.length === 0) break;
          clock.now += 10 * 60_000;
        }
        const messages = await messagesOf(t.store, seeded.campaignId);
        assert.ok(dropped, "the peer dropped its connections");
        assert.deepEqual(
          messages.map((m) => m.state),
          messages.map(() => "sent"),
        );
        const got = new Set(p.received.flatMap((r) => r.to));
        for (const m of messages) assert.ok(got.has(m.address), `${m.address} reached the server`);
        // The dropped one was sent again (by the pool or by the dispatcher's retry).
        assert.ok(p.attempts > 20);
      } finally {
        await registry.close();
        await p.close();
      }
    });
  });
}
