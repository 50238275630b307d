/**
 * Erasure of a person (LGPD art. 18, VI). The person's record stays, so every
 * count and campaign total stays right, but nothing that identifies them
 * does:
 * - persons: name, document, customer code and custom fields cleared, the key
 *   replaced by "apagado:<id>"; contacts and tags deleted;
 * - messages: destination and text cleared (state and times kept), and the
 *   embedded outbox's copy of them; inbound contacts: address and text;
 *   mailing people: their message and contacts; rejected rows carrying one of
 *   the identifiers: the raw row and the message;
 * - restrictions on the contacts keep their place with the value replaced by
 *   its keyed hash; every contact's keyed hash goes to `erased_contacts`, so a
 *   later file bringing it back finds it restricted (src/privacy/erased.ts);
 * - files: the stored originals of the mailings the person came in, and on
 *   local sources (the embedded drop box) the moved file and its reports, are
 *   rewritten without the person's lines or deleted (src/privacy/scrub.ts);
 *   on remote sources (FTP, FTPS, SFTP) the same, through the source
 *   (src/privacy/erase-remote.ts), each file with its outcome. A server that
 *   cannot be reached fails only its own files: the rest of the erasure is
 *   done, and running it again retries them.
 * On SQLite the erasure runs with secure_delete and ends with a WAL
 * checkpoint, so the old values do not linger in free pages or the log.
 * Idempotent: a second run finds nothing more to clear. Audited.
 */
import { join } from "node:path";
import type { Kysely } from "kysely";
import type { Store } from "../store/db.js";
import type { Database } from "../store/schema.js";
import { type AuditActor, appendAudit } from "./audit.js";
import {
  eraseRemoteFiles,
  type RemoteErasureOptions,
  type RemoteFileResult,
  recordRemoteFiles,
} from "./erase-remote.js";
import { contactHash, type ErasedKind } from "./erased.js";
import { findPersonIds, normalizeSelector, type PersonSelector } from "./persons.js";
import { type Identifiers, lineMatcher, type ScrubOutcome, scrubFile } from "./scrub.js";

export interface ErasedFile {
  mailingId: number;
  /** "stored" (the data dir's copy), "source" (a local source's file). */
  where: "stored" | "source";
  path: string;
  outcome: ScrubOutcome;
  removedLines: number;
}

export interface ErasureResult {
  persons: number[];
  /** People the selector named that had been erased before. */
  alreadyErased: number[];
  /** Nobody found now, but the selector's value is an erased person's (keyed hash): erased before. */
  previouslyErased: boolean;
  messages: number;
  inbound: number;
  rejections: number;
  restrictions: number;
  files: ErasedFile[];
  /**
   * Files on remote sources (the moved mailing and its reports), each with its
   * outcome; also those an earlier run of this erasure could not reach.
   */
  remoteFiles: RemoteFileResult[];
}

const REMOVED = "(removido: dados pessoais apagados a pedido do titular)";

/** Rows updated per statement: short transactions, so imports and sends are never held up long. */
const BATCH = 500;

export async function erasePerson(
  store: Store,
  tenantId: number,
  selector: PersonSelector,
  actor: AuditActor,
  reason: string,
  now: Date = new Date(),
  options: RemoteErasureOptions = {},
): Promise<ErasureResult> {
  const db = store.db;
  const normalized = normalizeSelector(selector);
  const ids = await findPersonIds(db, tenantId, normalized);
  const result: ErasureResult = {
    persons: [],
    alreadyErased: [],
    previouslyErased: false,
    messages: 0,
    inbound: 0,
    rejections: 0,
    restrictions: 0,
    files: [],
    remoteFiles: [],
  };
  const at = now.toISOString();
  store.sqlite?.pragma("secure_delete = ON");
  try {
    for (const personId of ids) {
      const person = await db
        .selectFrom("persons")
        .selectAll()
        .where("id", "=", personId)
        .executeTakeFirstOrThrow();
      if (person.erased_at) {
        result.alreadyErased.push(personId);
        continue;
      }
      await eraseOne(store, tenantId, person, at, result, options);
      result.persons.push(personId);
    }
    // After the base and the local files: a slow or unreachable server holds up nothing else.
    result.remoteFiles = await eraseRemoteFiles(
      db,
      tenantId,
      [...result.persons, ...result.alreadyErased],
      normalized,
      at,
      options,
    );
    const selectorHash =
      normalized.kind === "phone" || normalized.kind === "email" || normalized.kind === "cpf"
        ? await db
            .selectFrom("erased_contacts")
            .select("hash")
            .where("tenant_id", "=", tenantId)
            .where("kind", "=", normalized.kind === "cpf" ? "document" : normalized.kind)
            .where(
              "hash",
              "=",
              contactHash(
                normalized.kind === "cpf" ? "document" : normalized.kind,
                normalized.value,
              ),
            )
            .executeTakeFirst()
        : undefined;
    await appendAudit(db, {
      tenantId,
      actor,
      action: "persons.erase",
      subject:
        result.persons.length > 0 ? result.persons.map((id) => `person:${id}`).join(",") : null,
      details: {
        reason,
        selector: normalized.kind,
        erased: result.persons.length,
        alreadyErased: result.alreadyErased.length + (ids.length === 0 && selectorHash ? 1 : 0),
        messages: result.messages,
        inbound: result.inbound,
        rejections: result.rejections,
        restrictions: result.restrictions,
        files: result.files.map((f) => ({
          mailingId: f.mailingId,
          where: f.where,
          outcome: f.outcome,
        })),
        remoteFiles: result.remoteFiles.map((f) => ({
          mailingId: f.mailingId,
          path: f.path,
          outcome: f.outcome,
        })),
      },
      at,
    });
    result.previouslyErased = ids.length === 0 && selectorHash !== undefined;
  } finally {
    if (store.sqlite) {
      store.sqlite.pragma("secure_delete = OFF");
      // Old page images stay in the WAL until a checkpoint copies them back and truncates it.
      store.sqlite.pragma("wal_checkpoint(TRUNCATE)");
    }
  }
  return result;
}

async function eraseOne(
  store: Store,
  tenantId: number,
  person: Awaited<ReturnType<typeof loadPerson>>,
  at: string,
  result: ErasureResult,
  options: RemoteErasureOptions,
): Promise<void> {
  const db = store.db;
  const personId = person.id;
  const contacts = await db
    .selectFrom("person_channels")
    .select(["kind", "value"])
    .where("person_id", "=", personId)
    .execute();
  const messageRows = await db
    .selectFrom("messages")
    .select(["id", "address"])
    .where("person_id", "=", personId)
    .execute();
  const mailingIds = (
    await db
      .selectFrom("mailing_persons")
      .select("mailing_id")
      .where("person_id", "=", personId)
      .execute()
  ).map((r) => r.mailing_id);
  const phones = new Set<string>();
  const emails = new Set<string>();
  for (const c of contacts) (c.kind === "email" ? emails : phones).add(c.value);
  for (const m of messageRows) {
    if (m.address === "") continue;
    (m.address.includes("@") ? emails : phones).add(m.address);
  }
  const ids: Identifiers = {
    document: person.document,
    code: person.cod_cliente,
    names: person.name ? [person.name] : [],
    phones: [...phones],
    emails: [...emails],
  };

  // 1. Keyed hashes first: from here on the contacts are restricted, whatever happens next.
  const hashes: { kind: ErasedKind; value: string }[] = [
    ...[...phones].map((value) => ({ kind: "phone" as const, value })),
    ...[...emails].map((value) => ({ kind: "email" as const, value })),
    ...(person.document ? [{ kind: "document" as const, value: person.document }] : []),
  ];
  for (const h of hashes) {
    await db
      .insertInto("erased_contacts")
      .values({
        tenant_id: tenantId,
        kind: h.kind,
        hash: contactHash(h.kind, h.value),
        erased_at: at,
      })
      .onConflict((oc) => oc.columns(["tenant_id", "kind", "hash"]).doNothing())
      .execute();
  }
  const values = [...phones, ...emails];
  if (values.length > 0) {
    const restricted = await db
      .selectFrom("restrictions")
      .select(["id", "channel_kind", "value"])
      .where("tenant_id", "=", tenantId)
      .where("value", "in", values)
      .execute();
    for (const r of restricted) {
      const kind: ErasedKind = r.channel_kind === "email" ? "email" : "phone";
      const hashed = `hmac:${contactHash(kind, r.value)}`;
      const clash = await db
        .selectFrom("restrictions")
        .select("id")
        .where("tenant_id", "=", tenantId)
        .where("value", "=", hashed)
        .where("channel_kind", "=", r.channel_kind)
        .where("id", "!=", r.id)
        .executeTakeFirst();
      if (clash) await db.deleteFrom("restrictions").where("id", "=", r.id).execute();
      else
        await db
          .updateTable("restrictions")
          .set({ value: hashed })
          .where("id", "=", r.id)
          .execute();
      result.restrictions++;
    }
  }

  // 2. Messages and their outbox copies, in batches.
  for (let i = 0; i < messageRows.length; i += BATCH) {
    const batch = messageRows.slice(i, i + BATCH).map((m) => m.id);
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable("messages")
        .set({ address: "", body: null, error: null, updated_at: at })
        .where("id", "in", batch)
        .execute();
      await trx
        .updateTable("outbox")
        .set({ address: "", payload_json: JSON.stringify({ apagado: true }) })
        .where("message_id", "in", batch)
        .execute();
    });
  }
  result.messages += messageRows.length;

  // 3. Inbound contacts: the person's and any from one of their contacts.
  const inbound = await db
    .selectFrom("inbound_interactions")
    .select("id")
    .where("tenant_id", "=", tenantId)
    .where((eb) =>
      values.length === 0
        ? eb("person_id", "=", personId)
        : eb.or([eb("person_id", "=", personId), eb("address", "in", values)]),
    )
    .execute();
  for (let i = 0; i < inbound.length; i += BATCH) {
    await db
      .updateTable("inbound_interactions")
      .set({ address: "", body: null })
      .where(
        "id",
        "in",
        inbound.slice(i, i + BATCH).map((r) => r.id),
      )
      .execute();
  }
  result.inbound += inbound.length;

  // 4. Rejected rows: those of the person's mailings, and elsewhere those holding a contact or the document.
  result.rejections += await eraseRejections(db, tenantId, mailingIds, ids);

  // 5. The record itself, its contacts, tags and the mailing rows (one short transaction).
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable("mailing_persons")
      .set({ message: null, channels_json: "[]", first_mobile: null, first_email: null })
      .where("person_id", "=", personId)
      .execute();
    await trx.deleteFrom("person_channels").where("person_id", "=", personId).execute();
    await trx.deleteFrom("person_tags").where("person_id", "=", personId).execute();
    await trx
      .updateTable("persons")
      .set({
        key: `apagado:${personId}`,
        cod_cliente: null,
        document: null,
        name: null,
        fields_json: "{}",
        updated_at: at,
        erased_at: at,
      })
      .where("id", "=", personId)
      .execute();
  });

  // 6. Files.
  await eraseFiles(db, tenantId, personId, mailingIds, ids, at, result, options);
}

function loadPerson(db: Kysely<Database>, id: number) {
  return db.selectFrom("persons").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
}

async function eraseRejections(
  db: Kysely<Database>,
  tenantId: number,
  mailingIds: number[],
  ids: Identifiers,
): Promise<number> {
  const matches = lineMatcher(ids);
  const candidates = new Map<number, string>();
  for (let i = 0; i < mailingIds.length; i += BATCH) {
    const rows = await db
      .selectFrom("mailing_rejections")
      .select(["id", "raw"])
      .where("mailing_id", "in", mailingIds.slice(i, i + BATCH))
      .where("raw", "!=", "")
      .execute();
    for (const r of rows) candidates.set(r.id, r.raw);
  }
  // Elsewhere (a file where all the person's rows were rejected): a scan, but only on erasure.
  const patterns = [
    ...(ids.document ? [ids.document] : []),
    ...ids.phones,
    ...ids.emails.map((e) => e.toLowerCase()),
  ].map((p) => `%${p.replace(/[%_\\]/g, "")}%`);
  if (patterns.length > 0) {
    const rows = await db
      .selectFrom("mailing_rejections")
      .select(["id", "raw"])
      .where("tenant_id", "=", tenantId)
      .where((eb) => eb.or(patterns.map((p) => eb(eb.fn("lower", ["raw"]), "like", p))))
      .execute();
    for (const r of rows) candidates.set(r.id, r.raw);
  }
  const hits = [...candidates].filter(([, raw]) => matches(raw)).map(([id]) => id);
  for (let i = 0; i < hits.length; i += BATCH) {
    await db
      .updateTable("mailing_rejections")
      .set({ raw: "", message: REMOVED })
      .where("id", "in", hits.slice(i, i + BATCH))
      .execute();
  }
  return hits.length;
}

async function eraseFiles(
  db: Kysely<Database>,
  tenantId: number,
  personId: number,
  mailingIds: number[],
  ids: Identifiers,
  at: string,
  result: ErasureResult,
  options: RemoteErasureOptions,
): Promise<void> {
  for (const mailingId of mailingIds) {
    const m = await db
      .selectFrom("mailings as m")
      .leftJoin("file_sources as s", "s.id", "m.source_id")
      .select([
        "m.id",
        "m.file_name",
        "m.stored_path",
        "m.moved_to",
        "m.reports_json",
        "m.source_id",
        "s.protocol",
        "s.root",
      ])
      .where("m.id", "=", mailingId)
      .where("m.tenant_id", "=", tenantId)
      .executeTakeFirst();
    if (!m) continue;
    if (m.stored_path !== null) {
      const done = await scrubFile(m.stored_path, m.file_name, ids, true);
      if (done.outcome === "deleted" || done.outcome === "missing") {
        // Every record sharing these bytes loses its copy (one blob per content).
        await db
          .updateTable("mailings")
          .set({ stored_path: null })
          .where("stored_path", "=", m.stored_path)
          .execute();
      }
      result.files.push({
        mailingId,
        where: "stored",
        path: m.stored_path,
        outcome: done.outcome,
        removedLines: done.removed,
      });
    }
    const returns = await db
      .selectFrom("campaigns")
      .select("return_path")
      .where("mailing_id", "=", mailingId)
      .where("return_path", "is not", null)
      .execute();
    const relative = [
      ...(m.moved_to ? [m.moved_to] : []),
      ...(JSON.parse(m.reports_json ?? "[]") as string[]),
      ...returns.map((r) => r.return_path as string),
    ];
    const unique = [...new Set(relative)];
    if (m.protocol === "local" && m.root) {
      for (const rel of unique) {
        const path = join(m.root, rel);
        const done = await scrubFile(path, rel, ids, false);
        result.files.push({
          mailingId,
          where: "source",
          path,
          outcome: done.outcome,
          removedLines: done.removed,
        });
      }
    } else if (m.protocol && m.source_id !== null) {
      // Recorded, not touched yet: cleaned once the whole base is (erasePerson).
      await recordRemoteFiles(
        db,
        { tenantId, personId, mailingId, sourceId: m.source_id, paths: unique, ids, at },
        options.secretKey,
      );
    }
  }
}
