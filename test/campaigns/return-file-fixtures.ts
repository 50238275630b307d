/** Rows for return-file tests, written directly as the planning/dispatch contract describes them. */

import { localSourceConfig } from "../../src/sources/local.js";
import type { Store } from "../../src/store/db.js";
import type { MessageState } from "../../src/store/schema.js";
import { createSource } from "../../src/store/sources.js";
import { createWallet, getWalletByCode } from "../../src/store/wallets.js";

export const T0 = "2026-11-26T12:00:00.000Z";

export interface SeedMailing {
  sourceId: number | null;
  fileName?: string;
  path?: string;
  movedTo?: string | null;
  encoding: string | null;
  delimiter: string | null;
  state?: "imported" | "moved" | "reported" | "failed";
}

export async function localSourceRow(store: Store, root: string, name = "local"): Promise<number> {
  const s = await createSource(store.db, 1, {
    name,
    ...localSourceConfig(root),
  });
  return s.id;
}

export async function walletId(store: Store): Promise<number> {
  const existing = await getWalletByCode(store.db, 1, "BRAD");
  return existing ? existing.id : (await createWallet(store.db, 1, { code: "BRAD" })).id;
}

let sequence = 0;

export async function insertMailing(store: Store, m: SeedMailing): Promise<number> {
  const wallet = await walletId(store);
  sequence++;
  const fileName = m.fileName ?? `mailing_261126_${sequence}_cBRAD_smsshort.csv`;
  const path = m.path ?? `BRAD/${fileName}`;
  const row = await store.db
    .insertInto("mailings")
    .values({
      tenant_id: 1,
      source_id: m.sourceId,
      folder: "BRAD",
      file_name: fileName,
      path,
      first_seen_at: T0,
      seen_date: "2026-11-26",
      date: "2026-11-26",
      sequence,
      wallet_id: wallet,
      state: m.state ?? "reported",
      outcome: "accepted",
      moved_to: m.movedTo === undefined ? `BRAD/LIDOS/${fileName}` : m.movedTo,
      encoding: m.encoding,
      delimiter: m.delimiter,
      created_at: T0,
      updated_at: T0,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

export interface SeedPerson {
  codCliente: string | null;
  document: string | null;
}

export async function insertPerson(store: Store, p: SeedPerson, key: string): Promise<number> {
  const row = await store.db
    .insertInto("persons")
    .values({
      tenant_id: 1,
      key_kind: p.codCliente ? "codcliente" : p.document ? "cpfcnpj" : "channel",
      key,
      cod_cliente: p.codCliente,
      document: p.document,
      name: `Pessoa ${key}`,
      created_mailing_id: null,
      created_at: T0,
      updated_at: T0,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

export interface SeedCampaign {
  mailingId: number;
  channel: "sms" | "whatsapp" | "email";
  state: string;
  endedAt: string | null;
  deadlineAt?: string | null;
  excludeRecentHours?: number | null;
}

export async function insertCampaign(store: Store, c: SeedCampaign): Promise<number> {
  const wallet = await walletId(store);
  const row = await store.db
    .insertInto("campaigns")
    .values({
      tenant_id: 1,
      mailing_id: c.mailingId,
      wallet_id: wallet,
      channel: c.channel,
      mode: c.channel === "sms" ? "short" : c.channel === "whatsapp" ? "exclusivo" : null,
      name: `campanha ${c.channel}`,
      start_at: T0,
      deadline_at: c.deadlineAt ?? null,
      exclude_recent_hours: c.excludeRecentHours ?? null,
      state: c.state,
      ended_at: c.endedAt,
      created_at: T0,
      updated_at: T0,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

export interface SeedMessage {
  personId: number;
  address: string;
  state: MessageState;
  error?: string | null;
  skipReason?: string | null;
  /** The instant of the state (and of sent_at for sent/delivered/read). */
  at?: string;
  sentAt?: string | null;
  leaseExpiresAt?: string | null;
}

const STATE_COLUMN: Partial<Record<MessageState, string>> = {
  sent: "sent_at",
  delivered: "delivered_at",
  read: "read_at",
  failed: "failed_at",
  skipped: "skipped_at",
  expired: "expired_at",
  sending: "sending_at",
};

export async function insertMessages(
  store: Store,
  campaignId: number,
  messages: SeedMessage[],
): Promise<void> {
  if (messages.length === 0) return;
  const rows = messages.map((m) => {
    const at = m.at ?? T0;
    const column = STATE_COLUMN[m.state];
    return {
      tenant_id: 1,
      campaign_id: campaignId,
      wave_id: null,
      person_id: m.personId,
      channel_kind: m.address.includes("@") ? "email" : "mobile",
      address: m.address,
      body: null,
      state: m.state,
      error: m.error ?? null,
      skip_reason: m.skipReason ?? null,
      lease_expires_at: m.leaseExpiresAt ?? null,
      lease_owner: m.leaseExpiresAt ? "other-worker" : null,
      next_attempt_at: T0,
      created_at: T0,
      updated_at: at,
      sent_at: m.sentAt ?? null,
      ...(column ? { [column]: at } : {}),
    };
  });
  for (let i = 0; i < rows.length; i += 200) {
    await store.db
      .insertInto("messages")
      .values(rows.slice(i, i + 200))
      .execute();
  }
}
