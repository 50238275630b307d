/**
 * A tenant's people, campaign and messages for the API tests, written
 * directly (the importer and the planner are tested elsewhere): one person
 * with contacts, a wallet, tags and two messages in a running campaign, plus
 * the campaign's other messages (test/campaigns/fixtures.ts).
 */
import { normalizePhone } from "../../src/mailing/phone.js";
import type { Store } from "../../src/store/db.js";
import { addEmailAccount } from "../../src/store/email-accounts.js";
import { addSender } from "../../src/store/senders.js";
import { addTemplate } from "../../src/store/templates.js";
import { getWalletByCode } from "../../src/store/wallets.js";
import { addPerson, seedCampaign, T0 } from "../campaigns/fixtures.js";

export interface SeededPerson {
  personId: number;
  campaignId: number;
  /** The person's two messages: the first sent (older), the second pending. */
  messageIds: [number, number];
  phone: string;
  email: string;
}

let n = 0;

/** The phone as the importer stores it (DDD + number). */
export function storedPhone(raw: string): string {
  const result = normalizePhone(raw, false);
  if (!result.ok) throw new Error(`bad test phone ${raw}`);
  return result.value;
}

export async function seedPerson(
  store: Store,
  tenantId: number,
  o: { wallet: string; code: string; document: string; name: string; phone: string; email: string },
): Promise<SeededPerson> {
  const { db } = store;
  const phone = storedPhone(o.phone);
  const personId = await addPerson(db, tenantId, o.code, [
    { kind: "mobile", value: phone },
    { kind: "email", value: o.email },
  ]);
  await db
    .updateTable("persons")
    .set({ document: o.document, name: o.name, fields_json: JSON.stringify({ CORINGA1: "x" }) })
    .where("id", "=", personId)
    .execute();
  const wallet = await getWalletByCode(db, tenantId, o.wallet);
  if (!wallet) throw new Error(`no wallet ${o.wallet}`);
  await db
    .insertInto("wallet_members")
    .values({ tenant_id: tenantId, wallet_id: wallet.id, person_id: personId, joined_at: T0 })
    .execute();
  await db
    .insertInto("person_tags")
    .values([
      { tenant_id: tenantId, person_id: personId, tag: "VIP", created_at: T0 },
      { tenant_id: tenantId, person_id: personId, tag: "ATRASO", created_at: T0 },
    ])
    .execute();
  const campaign = await seedCampaign(db, {
    tenantId,
    state: "running",
    waves: [{ states: ["sent", "pending"], started: true }],
  });
  await db
    .updateTable("campaigns")
    .set({ wallet_id: wallet.id })
    .where("id", "=", campaign.campaignId)
    .execute();
  const message = async (state: "sent" | "pending", at: string, address: string, kind: string) =>
    (
      await db
        .insertInto("messages")
        .values({
          tenant_id: tenantId,
          campaign_id: campaign.campaignId,
          wave_id: campaign.waveIds[0] ?? null,
          person_id: personId,
          channel_kind: kind,
          address,
          body: `Olá ${o.name} ${++n}`,
          state,
          created_at: at,
          updated_at: at,
          ...(state === "sent" ? { sent_at: at, sending_at: at, provider_id: `p${n}` } : {}),
        })
        .returning("id")
        .executeTakeFirstOrThrow()
    ).id;
  // 2026-12-06 12:00 and 2026-12-07 12:00 UTC: a day apart in São Paulo too.
  const first = await message("sent", "2026-12-06T12:00:00.000Z", phone, "mobile");
  const second = await message("pending", "2026-12-07T12:00:00.000Z", o.email, "email");
  return {
    personId,
    campaignId: campaign.campaignId,
    messageIds: [first, second],
    phone,
    email: o.email,
  };
}

/** A sender, a template and an e-mail account of the tenant (the store's own functions). */
export async function seedSettings(store: Store, tenantId: number, tag: string) {
  const { db } = store;
  const sender = await addSender(db, tenantId, {
    kind: "sms",
    mode: "long",
    number: `rota-${tag}`,
  });
  const template = await addTemplate(db, tenantId, { name: `Aviso ${tag}`, body: "Olá" });
  const account = await addEmailAccount(db, tenantId, { address: `cobranca@${tag}.com.br` });
  return { senderId: sender.id, templateId: template.template.id, accountId: account.account.id };
}
