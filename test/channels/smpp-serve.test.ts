/**
 * `serve`'s dispatch side (startDispatch, what serve calls) opens the SMPP
 * bind of every configured route at start-up, before any campaign, with
 * serve's logger; an SMSC that is down does not fail start-up: the failure
 * is logged in pt-BR and the bind keeps trying.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { describe, test } from "node:test";
import { startDispatch } from "../../src/campaigns/dispatch-service.js";
import { createLogger } from "../../src/log.js";
import type { Store } from "../../src/store/db.js";
import { addSmsRoute } from "../../src/store/sms-routes.js";
import { DATABASES } from "../store/harness.js";
import { TestSmsc } from "./smpp-server.js";

process.env.REMESSA_SECRET_KEY ??= randomBytes(32).toString("base64");

async function addRoute(store: Store, port: number): Promise<number> {
  const route = await addSmsRoute(store.db, 1, {
    mode: "long",
    route: `rota-${randomBytes(3).toString("hex")}`,
    provider: "smpp",
    host: "127.0.0.1",
    port,
    systemId: "remessa",
    sourceAddr: "5511999990000",
    window: 10,
    password: "s3nha",
  });
  return route.id;
}

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** serve's pino logger, writing its JSON lines here. */
function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ service: "remessa" }, (line) => {
    lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  return { log, lines };
}

/** A port nothing listens on (taken from the OS, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as { port: number };
  await new Promise((ok) => server.close(ok));
  return port;
}

for (const database of DATABASES) {
  describe(`serve's SMPP binds at start-up (${database.name})`, { skip: database.skip }, () => {
    test("a configured route binds to the SMSC before any campaign, logging with serve's logger", async () => {
      const t = await database.open();
      const smsc = await new TestSmsc({ systemId: "remessa", password: "s3nha" }).listen();
      const { log, lines } = capturedLogger();
      const route = await addRoute(t.store, smsc.port);
      const service = startDispatch(t.store, log, { env: {} });
      try {
        await until(() => smsc.binds.some((b) => b.ok));
        assert.deepEqual(smsc.binds, [{ systemId: "remessa", ok: true }]);
        const campaigns = await t.store.db.selectFrom("campaigns").select("id").execute();
        assert.equal(campaigns.length, 0, "no campaign: the bind came from start-up");
        await until(() => lines.some((l) => l.msg === "bind SMPP feito"));
        const bound = lines.find((l) => l.msg === "bind SMPP feito");
        assert.equal(bound?.part, "smpp");
        assert.equal(bound?.route, route);
        assert.equal(bound?.service, "remessa");
      } finally {
        await service.stop();
        await smsc.close();
        await t.dispose();
      }
    });

    test("an SMSC that is down does not fail start-up: logged in pt-BR, the bind keeps trying", async () => {
      const t = await database.open();
      const { log, lines } = capturedLogger();
      await addRoute(t.store, await closedPort());
      const service = startDispatch(t.store, log, { env: {} });
      try {
        const failures = () =>
          lines.filter(
            (l) => l.part === "smpp" && /SMPP/.test(String(l.msg)) && l.level === "warn",
          );
        await until(() => failures().length >= 2);
        assert.match(String(failures()[0]?.msg), /^(erro na conexão SMPP|bind SMPP falhou)/);
      } finally {
        await service.stop();
        await t.dispose();
      }
    });
  });
}
