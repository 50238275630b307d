/** Restriction-list routes, on both databases: what they do, and tenant isolation. */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { listAudit } from "../../src/store/audit.js";
import { listRestrictions } from "../../src/store/restrictions.js";
import { DATABASES } from "../store/harness.js";
import { errorBody, openFixture } from "./helpers.js";

for (const database of DATABASES) {
  describe(`restriction routes on ${database.name}`, { skip: database.skip }, () => {
    test("add, search, bulk CSV upload and remove; origin api and the key as actor; audited", async () => {
      const f = await openFixture(database.open);
      try {
        const key = f.keys.write;
        const added = await f.call({
          key,
          method: "POST",
          url: "/restrictions",
          payload: { value: "(11) 98765-0001", reason: "pediu por telefone" },
        });
        assert.equal(added.statusCode, 201, added.body);
        const body = added.json();
        assert.equal(body.added, true);
        assert.equal(body.restriction.value, "11987650001");
        assert.equal(body.restriction.wallet, null);
        assert.equal(body.restriction.channel, null);
        assert.equal(body.restriction.origin, "api");
        assert.match(body.restriction.actor, /^api:rms_/);
        const again = await f.call({
          key,
          method: "POST",
          url: "/restrictions",
          payload: { value: "11987650001" },
        });
        assert.equal(again.json().added, false);
        const inWallet = await f.call({
          key,
          method: "POST",
          url: "/restrictions",
          payload: { value: "fulano@exemplo.com.br", wallet: "ITAU", channel: "email" },
        });
        assert.equal(inWallet.statusCode, 201, inWallet.body);
        const wrongChannel = await f.call({
          key,
          method: "POST",
          url: "/restrictions",
          payload: { value: "fulano@exemplo.com.br", channel: "sms" },
        });
        assert.equal(wrongChannel.statusCode, 422);
        assert.equal(errorBody(wrongChannel).code, "VALOR_RECUSADO");
        const badValue = await f.call({
          key,
          method: "POST",
          url: "/restrictions",
          payload: { value: "nada" },
        });
        assert.equal(badValue.statusCode, 422);

        const upload = await f.call({
          key,
          method: "POST",
          url: "/restrictions/import?wallet=ITAU&channel=sms&reason=lista",
          headers: { "content-type": "text/csv" },
          payload: "telefone\n11987650002\n529.982.247-25\nlixo\n",
        });
        assert.equal(upload.statusCode, 200, upload.body);
        const u = upload.json();
        assert.equal(u.added, 2);
        assert.deepEqual(
          u.rejected.map((r: { line: number }) => r.line),
          [4],
        );

        const search = await f.call({
          key,
          method: "GET",
          url: "/restrictions?value=529.982.247-25",
        });
        assert.deepEqual(
          search
            .json()
            .items.map((r: { kind: string; wallet: string; channel: string }) => [
              r.kind,
              r.wallet,
              r.channel,
            ]),
          [["document", "ITAU", "sms"]],
        );
        const whole = await f.call({ key, method: "GET", url: "/restrictions?wholeTenant=true" });
        assert.deepEqual(
          whole.json().items.map((r: { value: string }) => r.value),
          ["11987650001"],
        );
        const page = await f.call({ key, method: "GET", url: "/restrictions?limit=2" });
        assert.equal(page.json().items.length, 2);
        const rest = await f.call({
          key,
          method: "GET",
          url: `/restrictions?limit=2&afterId=${page.json().next}`,
        });
        assert.equal(rest.json().items.length, 2);
        assert.equal(rest.json().next, rest.json().items[1].id);

        const removed = await f.call({
          key,
          method: "DELETE",
          url: "/restrictions?value=11987650002&wallet=ITAU&channel=sms",
        });
        assert.equal(removed.statusCode, 200, removed.body);
        const gone = await f.call({
          key,
          method: "DELETE",
          url: "/restrictions?value=11987650002&wallet=ITAU&channel=sms",
        });
        assert.equal(gone.statusCode, 404);
        assert.equal((await listRestrictions(f.store.db, f.tenantA)).length, 3);

        const audit = await listAudit(f.store.db, f.tenantA);
        assert.ok(audit.some((e) => e.action === "POST /restrictions/import"));
        assert.ok(audit.some((e) => e.action === "DELETE /restrictions"));
      } finally {
        await f.close();
      }
    });

    test("no key, a wrong key, a read-only key: refused, nothing changed; another tenant sees and touches none of A's entries", async () => {
      const f = await openFixture(database.open);
      try {
        await f.call({
          key: f.keys.write,
          method: "POST",
          url: "/restrictions",
          payload: { value: "11987650001", wallet: "ITAU" },
        });
        const wrong = `rms_${randomBytes(32).toString("base64url")}`;
        for (const key of [null, wrong]) {
          for (const [method, url, payload] of [
            ["GET", "/restrictions", undefined],
            ["POST", "/restrictions", { value: "11987650003" }],
            ["DELETE", "/restrictions?value=11987650001&wallet=ITAU", undefined],
            ["POST", "/restrictions/import", { csv: "11987650004" }],
          ] as const) {
            const res = await f.call({
              key,
              method,
              url,
              ...(payload ? { payload } : {}),
            });
            assert.equal(res.statusCode, 401, `${method} ${url}`);
            assert.equal(errorBody(res).code, "NAO_AUTENTICADO");
          }
        }
        const readOnly = await f.call({
          key: f.keys.read,
          method: "POST",
          url: "/restrictions",
          payload: { value: "11987650003" },
        });
        assert.equal(readOnly.statusCode, 403);
        assert.equal(
          (await f.call({ key: f.keys.read, method: "GET", url: "/restrictions" })).json().items
            .length,
          1,
        );

        const other = f.keys.other;
        const list = await f.call({ key: other, method: "GET", url: "/restrictions" });
        assert.deepEqual(list.json().items, []);
        const search = await f.call({
          key: other,
          method: "GET",
          url: "/restrictions?value=11987650001",
        });
        assert.deepEqual(search.json().items, []);
        const viaWallet = await f.call({
          key: other,
          method: "DELETE",
          url: "/restrictions?value=11987650001&wallet=ITAU",
        });
        assert.equal(viaWallet.statusCode, 404);
        const whole = await f.call({
          key: other,
          method: "DELETE",
          url: "/restrictions?value=11987650001",
        });
        assert.equal(whole.statusCode, 404);
        const intoA = await f.call({
          key: other,
          method: "POST",
          url: "/restrictions/import?wallet=ITAU",
          headers: { "content-type": "text/csv" },
          payload: "11987650005\n",
        });
        assert.equal(intoA.statusCode, 404);
        const own = await f.call({
          key: other,
          method: "POST",
          url: "/restrictions",
          payload: { value: "11987650006" },
        });
        assert.equal(own.statusCode, 201);

        const a = await listRestrictions(f.store.db, f.tenantA);
        assert.deepEqual(
          a.map((r) => [r.value, r.wallet]),
          [["11987650001", "ITAU"]],
        );
        const b = await listRestrictions(f.store.db, f.tenantB);
        assert.deepEqual(
          b.map((r) => r.value),
          ["11987650006"],
        );
      } finally {
        await f.close();
      }
    });
  });
}
