/** recordInbound: address normalized as person_channels stores it, person resolved, idempotent per provider id. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { normalizeInboundAddress, recordInbound } from "../../src/campaigns/interactions.js";
import { createTenant, ValidationError } from "../../src/store/tenants.js";
import { DATABASES } from "../store/harness.js";
import { addPerson } from "./fixtures.js";

const clock = () => Date.parse("2026-12-07T15:00:00.000Z");

test("addresses are normalized as the import stores contacts", () => {
  assert.equal(normalizeInboundAddress("whatsapp", "+55 (11) 98765-4321"), "11987654321");
  assert.equal(normalizeInboundAddress("sms", "5511987654321"), "11987654321");
  // WhatsApp still reports some mobiles without the 9th digit.
  assert.equal(normalizeInboundAddress("whatsapp", "551187654321"), "11987654321");
  assert.equal(normalizeInboundAddress("sms", "(11) 3456-7890"), "1134567890");
  assert.equal(normalizeInboundAddress("email", " Maria@Exemplo.COM.BR "), "Maria@exemplo.com.br");
  assert.throws(
    () => normalizeInboundAddress("sms", "123"),
    (e: unknown) => {
      assert.ok(e instanceof ValidationError);
      assert.match(e.message, /Telefone "123" inválido: telefone com 3 dígitos/);
      return true;
    },
  );
  assert.throws(
    () => normalizeInboundAddress("email", "sem-arroba"),
    /E-mail "sem-arroba" inválido/,
  );
});

for (const database of DATABASES) {
  describe(`recordInbound on ${database.name}`, { skip: database.skip }, () => {
    test("resolves the person, stores the normalized address, defaults to the clock", async () => {
      const t = await database.open();
      try {
        const { db } = t.store;
        const maria = await addPerson(db, 1, "M", [
          { kind: "mobile", value: "11987654321" },
          { kind: "email", value: "maria@exemplo.com.br" },
        ]);
        const r = await recordInbound(
          db,
          { tenantId: 1, channel: "whatsapp", address: "+55 (11) 98765-4321" },
          clock,
        );
        assert.equal(r.created, true);
        assert.equal(r.address, "11987654321");
        assert.equal(r.personId, maria);
        assert.equal(r.receivedAt, "2026-12-07T15:00:00.000Z");
        const e = await recordInbound(db, {
          tenantId: 1,
          channel: "email",
          address: "maria@EXEMPLO.com.br",
          at: "2026-12-07T10:00:00-03:00",
          body: "Quero pagar",
        });
        assert.equal(e.personId, maria);
        assert.equal(e.receivedAt, "2026-12-07T13:00:00.000Z");
        const rows = await db
          .selectFrom("inbound_interactions")
          .select(["channel", "address", "person_id", "body"])
          .orderBy("id")
          .execute();
        assert.deepEqual(rows, [
          { channel: "whatsapp", address: "11987654321", person_id: maria, body: null },
          {
            channel: "email",
            address: "maria@exemplo.com.br",
            person_id: maria,
            body: "Quero pagar",
          },
        ]);
      } finally {
        await t.dispose();
      }
    });

    test("an address of nobody, or of several people, is recorded without a person", async () => {
      const t = await database.open();
      try {
        const { db } = t.store;
        await addPerson(db, 1, "A", [{ kind: "mobile", value: "21987654321" }]);
        await addPerson(db, 1, "B", [{ kind: "mobile", value: "21987654321" }]);
        const shared = await recordInbound(
          db,
          { tenantId: 1, channel: "sms", address: "21987654321" },
          clock,
        );
        assert.equal(shared.personId, null);
        const nobody = await recordInbound(
          db,
          { tenantId: 1, channel: "sms", address: "31987654321" },
          clock,
        );
        assert.equal(nobody.personId, null);
        // Another tenant's people are not looked at.
        const other = await createTenant(db, { name: "Loja" });
        const p = await addPerson(db, other.id, "C", [{ kind: "mobile", value: "41987654321" }]);
        assert.equal(
          (await recordInbound(db, { tenantId: 1, channel: "sms", address: "41987654321" }, clock))
            .personId,
          null,
        );
        assert.equal(
          (
            await recordInbound(
              db,
              { tenantId: other.id, channel: "sms", address: "41987654321" },
              clock,
            )
          ).personId,
          p,
        );
      } finally {
        await t.dispose();
      }
    });

    test("a provider id already recorded is not recorded again", async () => {
      const t = await database.open();
      try {
        const { db } = t.store;
        const input = {
          tenantId: 1,
          channel: "whatsapp" as const,
          address: "11987654321",
          providerId: "wamid.1",
        };
        const first = await recordInbound(db, input, clock);
        const again = await recordInbound(db, { ...input, at: "2026-12-08T00:00:00Z" }, clock);
        assert.equal(first.created, true);
        assert.equal(again.created, false);
        assert.equal(again.id, first.id);
        assert.equal(again.receivedAt, first.receivedAt);
        // Same id on another channel, or without an id: separate interactions.
        await recordInbound(db, { ...input, channel: "sms" }, clock);
        await recordInbound(db, { ...input, providerId: null }, clock);
        await recordInbound(db, { ...input, providerId: null }, clock);
        const n = await db
          .selectFrom("inbound_interactions")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .executeTakeFirst();
        assert.equal(Number(n?.n), 4);
        await assert.rejects(
          recordInbound(db, { ...input, at: "ontem" }, clock),
          /Data "ontem" inválida/,
        );
        await assert.rejects(
          recordInbound(db, { ...input, channel: "fax" as "sms" }, clock),
          /Canal "fax" desconhecido/,
        );
      } finally {
        await t.dispose();
      }
    });
  });
}
