/** `remessa wallets window`: a wallet's send window set, shown and cleared, with pt-BR refusals, on both databases. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DATABASES } from "../store/harness.js";
import { cliJson, runCli } from "./run-cli.js";

for (const database of DATABASES) {
  describe(`wallets window on ${database.name}`, { skip: database.skip }, () => {
    test("set, listed (human and JSON), used by planning's reader, cleared", async () => {
      const t = await database.open();
      try {
        const cli = (...args: string[]) => runCli(t.url, args);
        assert.equal((await cli("wallets", "add", "COBRANCA")).code, 0);
        const set = await cli(
          "wallets",
          "window",
          "COBRANCA",
          "--days",
          "1-5,6",
          "--from",
          "08:00",
          "--to",
          "20:00",
        );
        assert.equal(set.code, 0, set.stderr);
        assert.match(set.stdout, /segunda a sábado, das 08:00 às 20:00/);
        const stored = await t.store.db
          .selectFrom("wallets")
          .select("send_window_json")
          .where("code", "=", "COBRANCA")
          .executeTakeFirstOrThrow();
        assert.deepEqual(JSON.parse(stored.send_window_json ?? "null"), {
          days: [1, 2, 3, 4, 5, 6],
          from: "08:00",
          to: "20:00",
        });
        const listed = (await cliJson(t.url, ["wallets", "list", "--json"])) as {
          code: string;
          sendWindow: unknown;
        }[];
        assert.deepEqual(listed.find((w) => w.code === "COBRANCA")?.sendWindow, {
          days: [1, 2, 3, 4, 5, 6],
          from: "08:00",
          to: "20:00",
        });
        assert.match((await cli("wallets", "list")).stdout, /COBRANCA.*envio: segunda a sábado/);

        const cleared = await cli("wallets", "window", "COBRANCA", "--clear");
        assert.equal(cleared.code, 0, cleared.stderr);
        assert.match(cleared.stdout, /a qualquer hora/);
        const after = (await cliJson(t.url, ["wallets", "list", "--json"])) as {
          sendWindow: unknown;
        }[];
        assert.equal(after[0]?.sendWindow, null);
      } finally {
        await t.dispose();
      }
    });

    test("refusals say what to write", async () => {
      const t = await database.open();
      try {
        const cli = (...args: string[]) => runCli(t.url, args);
        assert.equal((await cli("wallets", "add", "COBRANCA")).code, 0);
        const badDays = await cli(
          "wallets",
          "window",
          "COBRANCA",
          "--days",
          "0-8",
          "--from",
          "08:00",
          "--to",
          "20:00",
        );
        assert.equal(badDays.code, 2);
        assert.match(badDays.stderr, /1 \(segunda\) a 7 \(domingo\)/);
        const reversed = await cli(
          "wallets",
          "window",
          "COBRANCA",
          "--days",
          "1-5",
          "--from",
          "20:00",
          "--to",
          "08:00",
        );
        assert.equal(reversed.code, 2);
        assert.match(reversed.stderr, /anterior ao de fim/);
        const missing = await cli("wallets", "window", "COBRANCA", "--days", "1-5");
        assert.equal(missing.code, 2);
        assert.match(missing.stderr, /Informe --days, --from e --to/);
        const both = await cli("wallets", "window", "COBRANCA", "--clear", "--days", "1");
        assert.equal(both.code, 2);
        const unknown = await cli("wallets", "window", "NADA", "--clear");
        assert.equal(unknown.code, 1);
        assert.match(unknown.stderr, /A carteira "NADA" não existe/);
      } finally {
        await t.dispose();
      }
    });
  });
}
