/**
 * A base with one person to export or erase ("Zuleica Quintanilha") among
 * others, built through the real pipeline: a file dropped in a local source
 * under the data dir (as the embedded drop box is), imported with a rejected
 * row, moved to LIDOS with its reports, an SMS campaign planned; then a
 * message sent to the outbox, a reply received and an opt-out recorded.
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { recordInbound } from "../../src/campaigns/interactions.js";
import { BlobStore } from "../../src/ingest/blobs.js";
import { claimNextFile, insertSeen } from "../../src/ingest/ledger.js";
import { type PipelineContext, processFile, tenantDate } from "../../src/ingest/pipeline.js";
import { silentLogger } from "../../src/log.js";
import { LocalSource } from "../../src/sources/local.js";
import { openSource } from "../../src/sources/open.js";
import type { SourceConfig } from "../../src/sources/types.js";
import { addRestriction } from "../../src/store/restrictions.js";
import { createSource } from "../../src/store/sources.js";
import { getTenant } from "../../src/store/tenants.js";
import { createWallet } from "../../src/store/wallets.js";
import { addSender } from "../campaigns/plan-fixtures.js";
import type { TestStore } from "../store/harness.js";

/** Thursday 26/11/2026 09:00 in São Paulo. */
export const NOW = new Date("2026-11-26T12:00:00.000Z");

export const ZULEICA = {
  name: "Zuleica Quintanilha",
  cpf: "52998224725",
  cpfFormatted: "529.982.247-25",
  phone: "11987651234",
  email: "zuleica.q@exemplo.com.br",
  code: "Z77",
};

export const FILE_NAME = "mailing_261126_1_cBRAD_smsshort.csv";

const CSV = [
  "TIPO_DE_REGISTRO;VALOR_DO_REGISTRO;MENSAGEM;NOME_CLIENTE;CPFCNPJ;CODCLIENTE;CORINGA1",
  "TELEFONE;11991110001;Oi [NOME_CLIENTE];Ana Souza;11144477735;C1;plano A",
  // The person, with a formatted phone and CPF, an e-mail and a bad phone (a rejected row).
  `TELEFONE;(11) 98765-1234;Oi [NOME_CLIENTE], sua fatura;${ZULEICA.name};${ZULEICA.cpfFormatted};${ZULEICA.code};divida 42`,
  `EMAIL;${ZULEICA.email};;${ZULEICA.name};${ZULEICA.cpfFormatted};${ZULEICA.code};`,
  `TELEFONE;123;;${ZULEICA.name};${ZULEICA.cpfFormatted};${ZULEICA.code};`,
  "TELEFONE;11991110003;Oi [NOME_CLIENTE];Caio Lima;;C3;",
  "",
].join("\r\n");

export interface Built {
  mailingId: number;
  walletId: number;
  drop: string;
  campaignId: number;
  personId: number;
}

/** The key source passwords are sealed with in these fixtures. */
export const SOURCE_KEY = Buffer.alloc(32, 1);

/**
 * `remote`: the file comes from that server instead (its root is `drop` on
 * this machine's disk, as every test server's is).
 */
export async function buildBase(
  ts: TestStore,
  remote?: { config: SourceConfig; drop: string },
): Promise<Built> {
  const db = ts.store.db;
  const drop = remote?.drop ?? join(ts.dataDir, "drop");
  mkdirSync(drop, { recursive: true });
  const wallet = await createWallet(db, 1, { code: "BRAD" });
  await addSender(db, { kind: "sms", mode: "short", number: "ROTA1" });
  const config: SourceConfig = remote?.config ?? {
    protocol: "local" as const,
    host: "",
    port: null,
    user: "",
    password: "",
    root: drop,
    allowPrivate: true,
    tlsFingerprint: null,
    tlsInsecure: false,
  };
  const source = await createSource(
    db,
    1,
    { ...config, intervalSeconds: 5, stabilitySeconds: 0 },
    SOURCE_KEY,
  );
  writeFileSync(join(drop, FILE_NAME), CSV, { mode: 0o666 });
  const tenant = await getTenant(db, 1);
  assert.ok(tenant);
  await insertSeen(db, {
    tenantId: 1,
    sourceId: source.id,
    folder: null,
    path: FILE_NAME,
    fileName: FILE_NAME,
    size: CSV.length,
    modifiedAt: null,
    seenDate: tenantDate(tenant.time_zone, NOW),
    stable: true,
    now: NOW.toISOString(),
  });
  const ctx: PipelineContext = {
    store: ts.store,
    blobs: new BlobStore(join(ts.dataDir, "files")),
    owner: "test-owner",
    leaseMs: 30_000,
    log: silentLogger,
    retryBaseMs: 1,
    now: () => NOW,
  };
  const row = await claimNextFile(ts.store, 1, "test-owner", 30_000);
  assert.ok(row);
  const opened = remote ? await openSource(config) : new LocalSource(config);
  try {
    assert.equal(await processFile(ctx, row, tenant, opened), "finished");
  } finally {
    await opened.close();
  }
  const mailing = await db
    .selectFrom("mailings")
    .selectAll()
    .where("id", "=", row.id)
    .executeTakeFirstOrThrow();
  assert.equal(mailing.outcome, "accepted", mailing.errors_json ?? "");
  assert.equal(JSON.parse(mailing.reports_json ?? "[]").length, 2, "result and rejections");
  const campaign = await db
    .selectFrom("campaigns")
    .select("id")
    .where("mailing_id", "=", row.id)
    .executeTakeFirstOrThrow();
  const person = await db
    .selectFrom("persons")
    .select("id")
    .where("cod_cliente", "=", ZULEICA.code)
    .executeTakeFirstOrThrow();
  // Sent, with its text, and the embedded outbox's copy.
  const message = await db
    .selectFrom("messages")
    .select(["id"])
    .where("person_id", "=", person.id)
    .executeTakeFirstOrThrow();
  await db
    .updateTable("messages")
    .set({
      state: "sent",
      body: `Oi ${ZULEICA.name}, sua fatura`,
      sent_at: NOW.toISOString(),
      provider_id: "outbox-1",
    })
    .where("id", "=", message.id)
    .execute();
  await db
    .insertInto("outbox")
    .values({
      tenant_id: 1,
      message_id: message.id,
      channel: "sms",
      address: ZULEICA.phone,
      payload_json: JSON.stringify({ to: ZULEICA.phone, text: `Oi ${ZULEICA.name}, sua fatura` }),
      created_at: NOW.toISOString(),
    })
    .execute();
  await recordInbound(db, {
    tenantId: 1,
    channel: "sms",
    address: "+55 11 98765-1234",
    body: `SAIR - ${ZULEICA.name}`,
    at: NOW.toISOString(),
  });
  await addRestriction(db, 1, wallet.id, "phone", ZULEICA.phone, "SMS SAIR");
  return {
    mailingId: row.id,
    walletId: wallet.id,
    drop,
    campaignId: campaign.id,
    personId: person.id,
  };
}
