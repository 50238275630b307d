/**
 * The one-click unsubscribe round trip, all real: a campaign goes out through
 * the SMTP channel to an in-process SMTP server; the List-Unsubscribe link is
 * read from the mail the server got and POSTed (as a mail provider does,
 * RFC 8058) through the real API; the address lands on the wallet's
 * restriction list, and the next campaign's message to it is skipped by the
 * dispatcher (RESTRITO). GET only shows the confirmation page; bad, tampered
 * or foreign tokens are refused.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { UNSUBSCRIBE_REASON } from "../../src/api/routes/unsubscribe.js";
import { Dispatcher } from "../../src/campaigns/dispatch.js";
import { KyselyDispatchStore } from "../../src/campaigns/dispatch-store.js";
import { ChannelRegistry } from "../../src/channels/index.js";
import { SmtpChannel } from "../../src/channels/smtp.js";
import { signUnsubscribeToken, unsubscribeKey } from "../../src/channels/unsubscribe-link.js";
import { silentLogger } from "../../src/log.js";
import type { Store } from "../../src/store/db.js";
import { addEmailAccount } from "../../src/store/email-accounts.js";
import { messagesOf, type Seeded, seedCampaign, T0 } from "../campaigns/dispatch-fixtures.js";
import {
  header,
  type SelfSigned,
  type SmtpPeer,
  selfSignedCert,
  startSmtpPeer,
} from "../channels/smtp-peer.js";
import { DATABASES } from "../store/harness.js";
import { errorBody, type Fixture, openFixture } from "./helpers.js";

/** The key openFixture gives the API. */
const KEY = Buffer.alloc(32, 7);
const LOGIN = { user: "remessa", pass: "s3nha" };
const FORM = { "content-type": "application/x-www-form-urlencoded" };

/** A second campaign of the same wallet and account, one pending message per person of `first`. */
async function nextCampaign(store: Store, first: Seeded, addresses: string[]): Promise<number> {
  const row = await store.db
    .selectFrom("campaigns")
    .selectAll()
    .where("id", "=", first.campaignId)
    .executeTakeFirstOrThrow();
  const { id: _id, ...copy } = row;
  const campaign = await store.db
    .insertInto("campaigns")
    .values({ ...copy, name: "segunda campanha", state: "scheduled" })
    .returning("id")
    .executeTakeFirstOrThrow();
  const now = new Date(T0 - 60_000).toISOString();
  await store.db
    .insertInto("messages")
    .values(
      first.personIds.map((personId, i) => ({
        tenant_id: first.tenantId,
        campaign_id: Number(campaign.id),
        wave_id: null,
        person_id: personId,
        channel_kind: "email",
        address: addresses[i] as string,
        body: "Segunda mensagem para [NOME_CLIENTE].",
        state: "pending" as const,
        next_attempt_at: new Date(T0).toISOString(),
        created_at: now,
        updated_at: now,
      })),
    )
    .execute();
  return Number(campaign.id);
}

for (const database of DATABASES) {
  describe(`e-mail unsubscribe link (${database.name})`, { skip: database.skip }, () => {
    let f: Fixture;
    let peer: SmtpPeer;
    let cert: SelfSigned;
    before(async () => {
      cert = selfSignedCert();
      f = await openFixture(database.open);
      peer = await startSmtpPeer({ auth: LOGIN, tls: cert });
    });
    after(async () => {
      await peer?.close();
      await f?.close();
    });

    test("send → List-Unsubscribe → one-click POST → restriction → the next message is skipped", async () => {
      const { account } = await addEmailAccount(
        f.store.db,
        f.tenantA,
        {
          address: "cobranca@remessa.test",
          displayName: "Cobrança",
          smtp: {
            host: peer.host,
            port: peer.port,
            security: "starttls",
            username: LOGIN.user,
            password: LOGIN.pass,
          },
        },
        KEY,
      );
      const first = await seedCampaign(f.store, {
        channel: "email",
        persons: 3,
        senderId: account.id,
        walletCode: f.a.wallet,
      });
      const clock = { now: T0 };
      const channel = new SmtpChannel(f.store, {
        secretKey: KEY,
        publicUrl: "https://remessa.exemplo.com.br",
        tls: { ca: cert.cert, servername: "localhost" },
        clock: () => clock.now,
      });
      const registry = new ChannelRegistry(f.store, () => clock.now, [channel]);
      const dispatcher = new Dispatcher({
        store: new KyselyDispatchStore(f.store),
        owner: "w1",
        channelFor: registry.channelFor,
        clock: () => clock.now,
        sleep: async (ms) => {
          clock.now += ms;
        },
        random: () => 0.5,
        log: silentLogger,
        settleEveryMs: 0,
      });
      try {
        await dispatcher.runOnce();
        const sent = await messagesOf(f.store, first.campaignId);
        assert.deepEqual(
          sent.map((m) => m.state),
          ["sent", "sent", "sent"],
        );
        const addresses = sent.map((m) => m.address);
        const target = addresses[0] as string;
        const mail = peer.received.find((r) => r.to[0] === target);
        assert.ok(mail, "the server got the first person's mail");
        assert.equal(header(mail, "list-unsubscribe-post"), "List-Unsubscribe=One-Click");
        const link = /^<(https:\/\/remessa\.exemplo\.com\.br\/u\/[^>]+)>$/.exec(
          header(mail, "list-unsubscribe") ?? "",
        )?.[1];
        assert.ok(link, "an https link");
        const path = new URL(link).pathname;

        const restrictions = () =>
          f.store.db
            .selectFrom("restrictions")
            .selectAll()
            .where("tenant_id", "=", f.tenantA)
            .execute();

        // GET (a scanner, a preview, the person) only shows the button.
        const page = await f.call({ method: "GET", url: path, headers: { accept: "text/html" } });
        assert.equal(page.statusCode, 200);
        assert.match(String(page.headers["content-type"]), /text\/html/);
        assert.match(page.body, /<form method="post">/);
        assert.match(page.body, /Sim, não quero mais receber/);
        assert.ok(!page.body.includes(target), "the page does not show the whole address");
        assert.equal((await restrictions()).length, 0);

        // The provider's one-click POST (no key, form-encoded).
        const post = await f.call({
          method: "POST",
          url: path,
          headers: FORM,
          payload: "List-Unsubscribe=One-Click",
        });
        assert.equal(post.statusCode, 200);
        const rows = await restrictions();
        assert.equal(rows.length, 1);
        assert.equal(rows[0]?.value, target);
        assert.equal(rows[0]?.channel_kind, "email");
        assert.equal(Number(rows[0]?.wallet_id), first.walletId);
        assert.equal(rows[0]?.reason, UNSUBSCRIBE_REASON);
        // Again (providers retry; a person clicks twice): still one row, still 200.
        const again = await f.call({
          method: "POST",
          url: path,
          headers: { "content-type": "multipart/form-data; boundary=x" },
          payload:
            '--x\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--x--\r\n',
        });
        assert.equal(again.statusCode, 200);
        assert.equal((await restrictions()).length, 1);

        // The next campaign to the same people: the unsubscribed address is skipped.
        const received = peer.received.length;
        const second = await nextCampaign(f.store, first, addresses);
        await dispatcher.runOnce();
        const next = await messagesOf(f.store, second);
        assert.deepEqual(
          next.map((m) => [m.address, m.state, m.skip_reason]),
          [
            [target, "skipped", "RESTRITO"],
            [addresses[1], "sent", null],
            [addresses[2], "sent", null],
          ],
        );
        const fresh = peer.received.slice(received).map((r) => r.to[0]);
        assert.deepEqual(fresh.sort(), [addresses[1], addresses[2]].sort());
      } finally {
        await registry.close();
      }
    });

    test("a tampered, foreign-key or malformed token is refused with 400; a gone wallet with 404", async () => {
      const key = unsubscribeKey(KEY);
      const good = signUnsubscribeToken(key, { tenantId: 1, walletId: 1, address: "x@ex.com" });
      const mac = good.slice(good.lastIndexOf(".") + 1);
      const flipped = `${good.slice(0, good.lastIndexOf(".") + 1)}${mac[0] === "A" ? "B" : "A"}${mac.slice(1)}`;
      const otherAddress = good.replace(
        Buffer.from("x@ex.com").toString("base64url"),
        Buffer.from("y@ex.com").toString("base64url"),
      );
      const foreign = signUnsubscribeToken(unsubscribeKey(Buffer.alloc(32, 1)), {
        tenantId: 1,
        walletId: 1,
        address: "x@ex.com",
      });
      for (const token of [flipped, otherAddress, foreign, "abc", "1.1.eEBleC5jb20"]) {
        const json = await f.call({
          method: "POST",
          url: `/u/${token}`,
          headers: FORM,
          payload: "",
        });
        assert.equal(json.statusCode, 400, token);
        const body = errorBody(json);
        assert.equal(body.code, "DADOS_INVALIDOS");
        assert.match(body.message, /Link de descadastro inválido/);
        const html = await f.call({
          method: "GET",
          url: `/u/${token}`,
          headers: { accept: "text/html" },
        });
        assert.equal(html.statusCode, 400);
        assert.match(html.body, /Link de descadastro inválido/);
      }
      const gone = signUnsubscribeToken(key, {
        tenantId: 1,
        walletId: 99_999,
        address: "x@ex.com",
      });
      const missing = await f.call({
        method: "POST",
        url: `/u/${gone}`,
        headers: FORM,
        payload: "",
      });
      assert.equal(missing.statusCode, 404);
      assert.equal(errorBody(missing).code, "NAO_ENCONTRADO");
      const rows = await f.store.db.selectFrom("restrictions").select("value").execute();
      assert.ok(!rows.some((r) => r.value === "x@ex.com" || r.value === "y@ex.com"));
    });
  });
}
