/**
 * `remessa notifications set|show|test|log` against a real receiver: the
 * secret printed once, refusals in pt-BR, a test send and the delivery log.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Receiver, startReceiver } from "../notifications/peers.js";
import { DATABASES } from "../store/harness.js";
import { cliJson, runCli } from "./run-cli.js";

for (const database of DATABASES) {
  describe(`remessa notifications on ${database.name}`, { skip: database.skip }, () => {
    let receiver: Receiver;
    const saved = { ...process.env };
    before(async () => {
      receiver = await startReceiver();
    });
    after(async () => {
      await receiver.close();
      for (const name of [
        "REMESSA_DATA_DIR",
        "REMESSA_NOTIFY_ALLOW_HTTP",
        "REMESSA_NOTIFY_ALLOW_PRIVATE",
      ]) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
    });

    test("set, show, test and log", async () => {
      const t = await database.open();
      try {
        process.env.REMESSA_DATA_DIR = t.dataDir;
        delete process.env.REMESSA_NOTIFY_ALLOW_HTTP;
        delete process.env.REMESSA_NOTIFY_ALLOW_PRIVATE;
        const refused = await runCli(t.url, ["notifications", "set", "--webhook", receiver.url]);
        assert.equal(refused.code, 1);
        assert.match(refused.stderr, /precisa usar https:\/\//);
        const usage = await runCli(t.url, ["notifications", "set"]);
        assert.equal(usage.code, 2);
        assert.match(usage.stderr, /Nada a alterar/);

        process.env.REMESSA_NOTIFY_ALLOW_HTTP = "1";
        process.env.REMESSA_NOTIFY_ALLOW_PRIVATE = "1";
        const set = await runCli(t.url, [
          "notifications",
          "set",
          "--webhook",
          receiver.url,
          "--email",
          "ops@empresa.com.br",
          "--source-failure-minutes",
          "45",
        ]);
        assert.equal(set.code, 0, set.stderr);
        const secret = /\n {2}(whsec_\S+)\n/.exec(set.stdout)?.[1];
        assert.ok(secret, set.stdout);
        assert.match(set.stdout, /não será mostrado de novo/);

        const shown = await runCli(t.url, ["notifications", "show"]);
        assert.match(shown.stdout, /Webhook: http:\/\/127\.0\.0\.1:\d+\/eventos \(assinado/);
        assert.match(shown.stdout, /E-mails: ops@empresa\.com\.br/);
        assert.match(shown.stdout, /45 min/);
        assert.ok(!shown.stdout.includes(secret), "the secret is never shown again");
        const json = (await cliJson(t.url, ["notifications", "show", "--json"])) as {
          sourceFailureMinutes: number;
        };
        assert.equal(json.sourceFailureMinutes, 45);

        // The webhook answers; e-mail has no account: exit 1 and both verdicts.
        const sent = await runCli(t.url, ["notifications", "test"]);
        assert.equal(sent.code, 1);
        assert.match(sent.stdout, /Webhook: entregue \(200\)\./);
        assert.match(sent.stdout, /E-mail: falhou: Nenhuma conta de e-mail/);
        assert.equal(receiver.received.length, 1);

        const log = await runCli(t.url, ["notifications", "log"]);
        assert.equal(log.code, 0);
        assert.match(log.stdout, /test\s+webhook tentativa 1: ok 200 \[entregue\]/);
        assert.match(log.stdout, /test\s+email\s+tentativa 1: falhou/);
        const entries = (await cliJson(t.url, ["notifications", "log", "--json"])) as unknown[];
        assert.equal(entries.length, 2);

        const removed = await runCli(t.url, ["notifications", "set", "--no-webhook", "--no-email"]);
        assert.equal(removed.code, 0);
        assert.match(removed.stdout, /Webhook: nenhum\nE-mails: nenhum/);
        const none = await runCli(t.url, ["notifications", "test"]);
        assert.match(none.stdout, /Nenhum destino configurado/);
      } finally {
        await t.dispose();
      }
    });
  });
}
