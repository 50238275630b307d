/**
 * The ingest pipeline's persistent bookkeeping: per-file rows in `mailings`
 * (the state machine) and the poll leases on `file_sources`. Every query that
 * hands work to a process is one atomic statement (SQLite) or a short
 * transaction with `FOR UPDATE SKIP LOCKED` (PostgreSQL), so several processes
 * on one database never take the same file or poll the same source at once.
 *
 * Leases: `lease_owner` + `lease_expires_at`. A live lease is one whose owner
 * is set and whose expiry is in the future; an expired one is free to take
 * over. A row with no owner but a future expiry is a file waiting out a
 * back-off (e.g. it could not be moved): nobody takes it before then, and it
 * does not hold up the tenant's other files.
 */
import { type Kysely, sql } from "kysely";
import { busyRetry } from "../store/busy.js";
import type { Store } from "../store/db.js";
import type { Database, MailingRow, MailingState, MailingUpdate } from "../store/schema.js";

/** Waiting for completeness; owned by the scanner. */
export const WAITING_STATES: readonly MailingState[] = ["seen", "stable"];
/** Between claim and report; owned by a processor holding the lease. */
export const IN_FLIGHT_STATES: readonly MailingState[] = [
  "claimed",
  "downloaded",
  "checked",
  "imported",
  "moved",
];
export const TERMINAL_STATES: readonly MailingState[] = ["reported", "vanished", "failed"];
/** A processor may take a file in these states (in-flight ones are resumed). */
const CLAIMABLE_STATES: readonly MailingState[] = ["stable", ...IN_FLIGHT_STATES];

type Db = Kysely<Database>;

export { busyRetry };

/** See `busyRetry` (store/busy.ts): makes the store's own SQLite connection fail fast instead of blocking. */
export function useAsyncBusyHandling(store: Store): void {
  store.sqlite?.pragma("busy_timeout = 0");
}

function inList(states: readonly string[]) {
  return sql.join(states.map((s) => sql.lit(s)));
}

/** The open (not yet finished) file records of a source, by path. */
export async function openFilesOfSource(
  db: Db,
  sourceId: number,
): Promise<
  Pick<
    MailingRow,
    "id" | "path" | "state" | "size_seen" | "modified_at_seen" | "updated_at" | "first_seen_at"
  >[]
> {
  return db
    .selectFrom("mailings")
    .select(["id", "path", "state", "size_seen", "modified_at_seen", "updated_at", "first_seen_at"])
    .where("source_id", "=", sourceId)
    .where("state", "not in", TERMINAL_STATES)
    .execute();
}

/**
 * Files of a source whose record ended "failed" while still at their path
 * (never moved), by path: the scanner leaves such a file alone as long as it
 * is unchanged, instead of recording it again and failing it again forever.
 */
export async function failedInPlace(
  db: Db,
  sourceId: number,
): Promise<Map<string, { size: number | null; modifiedAt: string | null }>> {
  const rows = await db
    .selectFrom("mailings")
    .select(["path", "size_seen", "modified_at_seen"])
    .where("source_id", "=", sourceId)
    .where("state", "=", "failed")
    .where("moved_to", "is", null)
    .orderBy("id")
    .execute();
  return new Map(rows.map((r) => [r.path, { size: r.size_seen, modifiedAt: r.modified_at_seen }]));
}

export interface SeenFile {
  tenantId: number;
  sourceId: number;
  /** Wallet folder, or null for the root. */
  folder: string | null;
  path: string;
  fileName: string;
  size: number;
  modifiedAt: string | null;
  /** Tenant-local date (YYYY-MM-DD): the "today" of the name check. */
  seenDate: string;
  /** Complete already (the embedded server said the upload finished). */
  stable: boolean;
  now: string;
}

export async function insertSeen(db: Db, file: SeenFile): Promise<number> {
  const row = await busyRetry(() =>
    db
      .insertInto("mailings")
      .values({
        tenant_id: file.tenantId,
        source_id: file.sourceId,
        folder: file.folder,
        file_name: file.fileName,
        path: file.path,
        first_seen_at: file.now,
        seen_date: file.seenDate,
        size_seen: file.size,
        modified_at_seen: file.modifiedAt,
        state: file.stable ? "stable" : "seen",
        created_at: file.now,
        updated_at: file.now,
      })
      .returning("id")
      .executeTakeFirstOrThrow(),
  );
  return row.id;
}

/**
 * The file's size or time changed: back to "seen", and `updated_at` restarts
 * the stability window (it is only written when the listing differs).
 */
export async function recordChange(
  db: Db,
  id: number,
  size: number,
  modifiedAt: string | null,
  now: string,
): Promise<void> {
  await busyRetry(() =>
    db
      .updateTable("mailings")
      .set({ size_seen: size, modified_at_seen: modifiedAt, state: "seen", updated_at: now })
      .where("id", "=", id)
      .where("state", "in", WAITING_STATES)
      .execute(),
  );
}

export async function markStable(db: Db, id: number, now: string): Promise<void> {
  await busyRetry(() =>
    db
      .updateTable("mailings")
      .set({ state: "stable", updated_at: now })
      .where("id", "=", id)
      .where("state", "=", "seen")
      .execute(),
  );
}

/** Gone from the listing before anyone downloaded it: forgotten, but recorded. */
export async function markVanished(
  db: Db,
  id: number,
  now: string,
  note: string,
  fromStates: readonly MailingState[] = [...WAITING_STATES, "claimed"],
): Promise<void> {
  await busyRetry(() =>
    db
      .updateTable("mailings")
      .set({ state: "vanished", last_error: note, lease_owner: null, updated_at: now })
      .where("id", "=", id)
      .where("state", "in", fromStates)
      .execute(),
  );
}

/** Tenants with a file that a processor could take now. */
export async function tenantsWithWork(db: Db, now: string): Promise<number[]> {
  const rows = await db
    .selectFrom("mailings")
    .select("tenant_id")
    .distinct()
    .where("state", "in", CLAIMABLE_STATES)
    .where("source_id", "is not", null)
    .where((eb) => eb.or([eb("lease_expires_at", "is", null), eb("lease_expires_at", "<", now)]))
    .execute();
  return rows.map((r) => r.tenant_id);
}

/**
 * Takes the tenant's next file: the first seen (then by name) among the
 * complete or interrupted ones, only if no other file of the tenant is being
 * processed under a live lease (one file at a time per tenant, across every
 * process). A "stable" file becomes "claimed"; an interrupted one keeps its
 * state and is resumed from there. Records without a source (`remessa
 * import` of a local file) are never the pipeline's.
 */
export async function claimNextFile(
  store: Store,
  tenantId: number,
  owner: string,
  leaseMs: number,
  now: Date = new Date(),
): Promise<MailingRow | null> {
  const nowIso = now.toISOString();
  const until = new Date(now.getTime() + leaseMs).toISOString();
  const claim = (db: Db, lockRows: boolean) =>
    sql<MailingRow>`
      update mailings
         set lease_owner = ${owner},
             lease_expires_at = ${until},
             state = case when state = 'stable' then 'claimed' else state end,
             attempts = attempts + 1,
             -- Only a state change moves updated_at: a file resumed again and
             -- again in one state keeps its age there (readiness reports it).
             updated_at = case when state = 'stable' then ${nowIso} else updated_at end
       where id = (
               select id from mailings
                where tenant_id = ${tenantId}
                  and source_id is not null
                  and state in (${inList(CLAIMABLE_STATES)})
                  and (lease_expires_at is null or lease_expires_at < ${nowIso})
                order by first_seen_at, file_name, id
                limit 1
                ${lockRows ? sql`for update skip locked` : sql``}
             )
         and not exists (
               select 1 from mailings busy
                where busy.tenant_id = ${tenantId}
                  and busy.state in (${inList(IN_FLIGHT_STATES)})
                  and busy.lease_owner is not null
                  and busy.lease_expires_at >= ${nowIso}
             )
      returning *`.execute(db);

  if (store.dialect === "sqlite") {
    // One statement is atomic in SQLite: the pick and the busy check see the same snapshot.
    const { rows } = await busyRetry(() => claim(store.db, false));
    return rows[0] ?? null;
  }
  return store.db.transaction().execute(async (trx) => {
    // Serialises claimers of one tenant; a claimer that finds it locked lets the other one work.
    const { rows: locked } = await sql<{ id: number }>`
      select id from tenants where id = ${tenantId} for update skip locked`.execute(trx);
    if (locked.length === 0) return null;
    const { rows } = await claim(trx, true);
    return rows[0] ?? null;
  });
}

/**
 * Persists a step while still holding the lease; false when the lease was
 * lost (taken over after expiring), in which case the caller must stop.
 */
export async function advance(
  db: Db,
  id: number,
  owner: string,
  patch: MailingUpdate,
  now: string,
): Promise<boolean> {
  const result = await busyRetry(() =>
    db
      .updateTable("mailings")
      .set({ ...patch, updated_at: now })
      .where("id", "=", id)
      .where("lease_owner", "=", owner)
      .executeTakeFirst(),
  );
  return Number(result.numUpdatedRows) > 0;
}

/**
 * `advance`, with `then` run in the same transaction once the step is
 * recorded: what must happen with the step or not at all (the file's
 * notification is written with its final state).
 */
export async function advanceWith(
  store: Store,
  id: number,
  owner: string,
  patch: MailingUpdate,
  now: string,
  then: (trx: Db) => Promise<void>,
): Promise<boolean> {
  return busyRetry(() =>
    store.db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable("mailings")
        .set({ ...patch, updated_at: now })
        .where("id", "=", id)
        .where("lease_owner", "=", owner)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return false;
      await then(trx);
      return true;
    }),
  );
}

export async function renewFileLease(
  db: Db,
  id: number,
  owner: string,
  until: string,
): Promise<boolean> {
  const result = await busyRetry(() =>
    db
      .updateTable("mailings")
      .set({ lease_expires_at: until })
      .where("id", "=", id)
      .where("lease_owner", "=", owner)
      .executeTakeFirst(),
  );
  return Number(result.numUpdatedRows) > 0;
}

/**
 * Lets go of a file. With `retryAt`, nobody takes it before then (back-off)
 * and `error` says why, for the console.
 */
export async function releaseFile(
  db: Db,
  id: number,
  owner: string,
  options: { retryAt?: string | null; error?: string | null } = {},
): Promise<void> {
  const patch: MailingUpdate = {
    lease_owner: null,
    lease_expires_at: options.retryAt ?? null,
  };
  if (options.error !== undefined) patch.last_error = options.error;
  await busyRetry(() =>
    db
      .updateTable("mailings")
      .set(patch)
      .where("id", "=", id)
      .where("lease_owner", "=", owner)
      .execute(),
  );
}

export interface DueSource {
  id: number;
  tenant_id: number;
}

/**
 * Leases up to `limit` enabled sources whose poll is due and that nobody else
 * is polling (one poller per source at a time; a dead poller's lease expires).
 */
export async function claimDueSources(
  store: Store,
  owner: string,
  limit: number,
  leaseMs: number,
  now: Date = new Date(),
  only?: number,
): Promise<DueSource[]> {
  if (limit <= 0) return [];
  const nowIso = now.toISOString();
  const until = new Date(now.getTime() + leaseMs).toISOString();
  const lock = store.dialect === "postgres" ? sql`for update skip locked` : sql``;
  const { rows } = await busyRetry(() =>
    sql<DueSource>`
    update file_sources
       set lease_owner = ${owner}, lease_expires_at = ${until}
     where id in (
             select id from file_sources
              where enabled = 1
                and (next_poll_at is null or next_poll_at <= ${nowIso})
                and (lease_expires_at is null or lease_expires_at < ${nowIso})
                ${only !== undefined ? sql`and id = ${only}` : sql``}
              order by next_poll_at, id
              limit ${limit}
              ${lock}
           )
    returning id, tenant_id`.execute(store.db),
  );
  return rows;
}

export async function renewSourceLease(
  db: Db,
  id: number,
  owner: string,
  until: string,
): Promise<boolean> {
  const result = await busyRetry(() =>
    db
      .updateTable("file_sources")
      .set({ lease_expires_at: until })
      .where("id", "=", id)
      .where("lease_owner", "=", owner)
      .executeTakeFirst(),
  );
  return Number(result.numUpdatedRows) > 0;
}

export async function releaseSource(db: Db, id: number, owner: string): Promise<void> {
  await busyRetry(() =>
    db
      .updateTable("file_sources")
      .set({ lease_owner: null, lease_expires_at: null })
      .where("id", "=", id)
      .where("lease_owner", "=", owner)
      .execute(),
  );
}

/** Makes a source due now (e.g. the embedded server reported a finished upload). */
export async function pollSoon(db: Db, id: number, now: string): Promise<void> {
  await busyRetry(() =>
    db.updateTable("file_sources").set({ next_poll_at: now }).where("id", "=", id).execute(),
  );
}

/** Lets go of every lease this process holds (graceful stop). */
export async function releaseAll(db: Db, owner: string): Promise<void> {
  await busyRetry(() =>
    db
      .updateTable("mailings")
      .set({ lease_owner: null, lease_expires_at: null })
      .where("lease_owner", "=", owner)
      .execute(),
  );
  await busyRetry(() =>
    db
      .updateTable("file_sources")
      .set({ lease_owner: null, lease_expires_at: null })
      .where("lease_owner", "=", owner)
      .execute(),
  );
}

export interface StuckFile {
  id: number;
  path: string;
  state: MailingState;
  /** When it entered that state (its last step). */
  since: string;
  last_error: string | null;
}

/**
 * Files in the middle of processing whose last step is older than `before`:
 * a file this long in one state means the pipeline is wedged on it (or keeps
 * failing it). Waiting files ("seen"/"stable") are a queue, not a wedge, and
 * are not counted. Oldest first, at most `limit`.
 */
export async function stuckFiles(db: Db, before: string, limit = 10): Promise<StuckFile[]> {
  const rows = await db
    .selectFrom("mailings")
    .select(["id", "path", "state", "updated_at", "last_error"])
    .where("state", "in", IN_FLIGHT_STATES)
    .where("updated_at", "<", before)
    .orderBy("updated_at")
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    path: r.path,
    state: r.state,
    since: r.updated_at,
    last_error: r.last_error,
  }));
}

/** Another record (any state) already holds this destination path: it is not ours. */
export async function destinationTaken(
  db: Db,
  sourceId: number | null,
  movedTo: string,
  exceptId: number,
): Promise<boolean> {
  let query = db
    .selectFrom("mailings")
    .select("id")
    .where("moved_to", "=", movedTo)
    .where("id", "!=", exceptId);
  query =
    sourceId === null
      ? query.where("source_id", "is", null)
      : query.where("source_id", "=", sourceId);
  return (await query.executeTakeFirst()) !== undefined;
}
