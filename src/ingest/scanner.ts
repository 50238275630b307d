/**
 * One listing of a source turned into file records (SPEC §2.1): new
 * candidates are recorded as "seen" with the tenant-local date; a file whose
 * size and time did not change across two listings at least the stability
 * window apart becomes "stable" (complete); one the embedded server reported
 * as fully uploaded is stable at once; one still being written by the
 * embedded server is left alone; a waiting file gone from the listing is
 * recorded as vanished and forgotten.
 */
import { type CandidateFile, listCandidates } from "../sources/candidates.js";
import type { Source } from "../sources/types.js";
import type { Store } from "../store/db.js";
import {
  failedInPlace,
  insertSeen,
  markStable,
  markVanished,
  openFilesOfSource,
  recordChange,
  WAITING_STATES,
} from "./ledger.js";

export interface ScanTarget {
  sourceId: number;
  tenantId: number;
  timeZone: string;
  stabilitySeconds: number;
}

export interface UploadSignals {
  /** Paths the embedded server reported as fully uploaded (consumed by the scan). */
  completed: Set<string>;
  /** True while the embedded server is still receiving this path. */
  isUploading(path: string): boolean;
}

export interface ScanResult {
  listed: number;
  added: number;
  stable: number;
  vanished: number;
}

export async function scanSource(
  store: Store,
  source: Source,
  target: ScanTarget,
  seenDate: (at: Date) => string,
  signals: UploadSignals | null,
  at: Date = new Date(),
): Promise<ScanResult> {
  // The records first, then the listing: a file another worker finishes and
  // moves in between is then still known here (and no longer listed), instead
  // of being listed and unknown, which would record it a second time.
  const open = new Map(
    (await openFilesOfSource(store.db, target.sourceId)).map((r) => [r.path, r]),
  );
  const failed = await failedInPlace(store.db, target.sourceId);
  const candidates = await listCandidates(source);
  const now = at.toISOString();
  const result: ScanResult = { listed: candidates.length, added: 0, stable: 0, vanished: 0 };
  const listed = new Set<string>();
  const windowMs = target.stabilitySeconds * 1000;

  for (const file of candidates) {
    listed.add(file.path);
    if (signals?.isUploading(file.path)) continue;
    const completed = signals?.completed.delete(file.path) ?? false;
    const modifiedAt = file.modifiedAt ? file.modifiedAt.toISOString() : null;
    const record = open.get(file.path);
    const failure = failed.get(file.path);
    if (!record && failure && failure.size === file.size && failure.modifiedAt === modifiedAt) {
      // The same file that ended in a permanent failure: left where it is (the
      // operator sees the error); a new file sent under its name is taken.
      continue;
    }
    if (!record) {
      await insertSeen(store.db, {
        tenantId: target.tenantId,
        sourceId: target.sourceId,
        folder: folderOf(file),
        path: file.path,
        fileName: file.name,
        size: file.size,
        modifiedAt,
        seenDate: seenDate(at),
        stable: completed,
        now,
      });
      result.added++;
      if (completed) result.stable++;
      continue;
    }
    if (!WAITING_STATES.includes(record.state)) continue;
    const changed = record.size_seen !== file.size || record.modified_at_seen !== modifiedAt;
    if (changed) {
      await recordChange(store.db, record.id, file.size, modifiedAt, now);
      if (completed) {
        await markStable(store.db, record.id, now);
        result.stable++;
      }
    } else if (
      record.state === "seen" &&
      (completed || at.getTime() - Date.parse(record.updated_at) >= windowMs)
    ) {
      await markStable(store.db, record.id, now);
      result.stable++;
    }
  }

  for (const record of open.values()) {
    if (WAITING_STATES.includes(record.state) && !listed.has(record.path)) {
      // Only while still waiting: a worker may have claimed it since the snapshot.
      await markVanished(
        store.db,
        record.id,
        now,
        "O arquivo sumiu da origem antes de ser baixado (removido ou renomeado).",
        WAITING_STATES,
      );
      result.vanished++;
    }
  }
  return result;
}

function folderOf(file: CandidateFile): string | null {
  return file.folder === "" ? null : file.folder;
}
