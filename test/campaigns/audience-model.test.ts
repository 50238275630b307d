/**
 * The set-based planning (one INSERT … SELECT per campaign) against a plain model of SPEC §7 in
 * JavaScript, on random mailings: who is in the audience, to which contact, in which wave, and
 * who is left out for which reason.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { campaignPlanner } from "../../src/campaigns/create.js";
import { waveSizes } from "../../src/campaigns/plan.js";
import type { PersonRecord } from "../../src/mailing/types.js";
import { importMailing } from "../../src/store/import.js";
import { addRestriction } from "../../src/store/restrictions.js";
import { createWallet } from "../../src/store/wallets.js";
import { mailingName, person, request } from "../store/fixtures.js";
import { DATABASES } from "../store/harness.js";
import { addSender } from "./plan-fixtures.js";

const PHONES = Array.from({ length: 12 }, (_, i) => `119${String(80000000 + i)}`);
const EMAILS = Array.from({ length: 6 }, (_, i) => `p${i}@x.com`);

const contact = fc.oneof(
  fc.constantFrom(...PHONES).map((value) => ({ kind: "mobile", value })),
  fc.constantFrom(...EMAILS).map((value) => ({ kind: "email", value })),
  fc.constantFrom("1133330001", "1133330002").map((value) => ({ kind: "landline", value })),
);

const mailingArb = fc.record({
  people: fc.array(
    fc.record({
      contacts: fc.uniqueArray(contact, { maxLength: 4, selector: (c) => c.value }),
      message: fc.option(fc.constantFrom("Oi [NOME_CLIENTE]", "Aviso"), { nil: null }),
    }),
    { minLength: 1, maxLength: 25 },
  ),
  restricted: fc.uniqueArray(fc.constantFrom(...PHONES), { maxLength: 5 }),
  percent: fc.option(fc.integer({ min: 1, max: 99 }), { nil: null }),
});

for (const database of DATABASES) {
  describe(`planning matches the model on ${database.name}`, { skip: database.skip }, () => {
    test("audience, destination, wave and exclusions of random SMS mailings", async () => {
      let sequence = 0;
      const t = await database.open();
      try {
        const wallet = await createWallet(t.store.db, 1, { code: "BRAD" });
        await addSender(t.store.db, { kind: "sms", mode: "long", number: "R" });
        await fc.assert(
          fc.asyncProperty(mailingArb, async (m) => {
            sequence++;
            await t.store.db.deleteFrom("restrictions").execute();
            for (const value of m.restricted) {
              await addRestriction(t.store.db, 1, wallet.id, "phone", value);
            }
            // Each person's contacts in file order, the lines of one person far apart.
            let line = 2;
            const records: PersonRecord[] = m.people.map((p, i) =>
              person(`s${sequence}-${String(i).padStart(3, "0")}`, {
                firstLine: line,
                message: p.message,
                channels: p.contacts.map((c) => ({
                  kind: c.kind as "mobile" | "email" | "landline",
                  value: c.value,
                  line: line++,
                })),
              }),
            );
            const split = m.percent === null ? null : { percent: m.percent, everyMinutes: 7 };
            const result = await importMailing(
              t.store,
              request([{ persons: records, rejected: [] }], {
                mailing: mailingName({ sequence, sms: "long", split }),
                afterImport: campaignPlanner({ clock: () => Date.parse("2026-11-26T12:00:00Z") }),
              }),
            );
            assert.ok(result.ok, JSON.stringify(result.errors));

            // The model.
            const restricted = new Set(m.restricted);
            const expected: { key: string; address: string }[] = [];
            const excluded: Record<string, number> = {};
            records.forEach((r, i) => {
              const mobiles = m.people[i]!.contacts.filter((c) => c.kind === "mobile");
              const usable = mobiles.find((c) => !restricted.has(c.value));
              const reason =
                mobiles.length === 0
                  ? "SEM_CONTATO"
                  : !usable
                    ? "RESTRITO"
                    : r.message === null
                      ? "SEM_MENSAGEM"
                      : null;
              if (reason) excluded[reason] = (excluded[reason] ?? 0) + 1;
              else expected.push({ key: r.key, address: usable!.value });
            });
            const sizes = waveSizes(expected.length, split);
            const expectedWave = (k: number) => {
              let sum = 0;
              for (let w = 0; w < sizes.length; w++) {
                sum += sizes[w]!;
                if (k < sum) return w;
              }
              return sizes.length - 1;
            };

            const campaign = await t.store.db
              .selectFrom("campaigns")
              .selectAll()
              .where("mailing_id", "=", result.mailingId!)
              .executeTakeFirstOrThrow();
            assert.equal(Number(campaign.audience), expected.length);
            assert.deepEqual(JSON.parse(campaign.excluded_json ?? "{}"), excluded);
            const rows = await t.store.db
              .selectFrom("messages")
              .innerJoin("persons", "persons.id", "messages.person_id")
              .innerJoin("waves", "waves.id", "messages.wave_id")
              .select(["persons.key", "messages.address", "waves.number"])
              .where("messages.campaign_id", "=", campaign.id)
              .orderBy("persons.key")
              .execute();
            assert.deepEqual(
              rows.map((r) => [r.key, r.address, r.number]),
              expected.map((e, k) => [e.key, e.address, expectedWave(k)]),
            );
            const waves = await t.store.db
              .selectFrom("waves")
              .select(["number", "size"])
              .where("campaign_id", "=", campaign.id)
              .orderBy("number")
              .execute();
            assert.deepEqual(
              waves.map((w) => Number(w.size)),
              sizes,
            );
          }),
          { numRuns: database.name === "sqlite" ? 40 : 15 },
        );
      } finally {
        await t.dispose();
      }
    });
  });
}
