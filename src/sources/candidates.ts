import { SourceError } from "./errors.js";
import type { Source, SourceEntry } from "./types.js";

/**
 * Which files on a source are mailings to process (SPEC §2.1). Shared by the
 * connection test ("sees N files") and the ingest pipeline, so both always
 * agree.
 */

/** Names upload tools give to files still being transferred (WinSCP, FileZilla, browsers, scripts). */
export const TEMPORARY_UPLOAD_SUFFIXES = [".filepart", ".part", ".tmp", ".partial", ".crdownload"];

/** The folders processed files are moved to; never scanned, in any case. */
export const READ_FOLDER = "LIDOS";
export const DISCARDED_FOLDER = "DESCARTADOS";
/**
 * Folder (beside LIDOS/DESCARTADOS' files) where reports are written before being moved in.
 * Its name starts with "." so it is never scanned; a crash may leave a stray file in it.
 */
export const REPORT_STAGING = ".remessa-relatorios";

export function isOutcomeFolder(name: string): boolean {
  const upper = name.toUpperCase();
  return upper === READ_FOLDER || upper === DISCARDED_FOLDER;
}

/** A file name that may be a mailing: not hidden (`.`), not a lock/backup (`~`), not a partial upload. */
export function isCandidateName(name: string): boolean {
  if (name === "" || name.startsWith(".") || name.startsWith("~")) return false;
  const lower = name.toLowerCase();
  return !TEMPORARY_UPLOAD_SUFFIXES.some((suffix) => lower.endsWith(suffix));
}

/**
 * A folder directly under the root whose files are scanned (its name is a
 * wallet code). LIDOS/DESCARTADOS are not, nor hidden folders (`.ssh`,
 * `.cache` in an SFTP home), which are never wallet codes.
 */
export function isScannedFolder(name: string): boolean {
  return name !== "" && !name.startsWith(".") && !name.startsWith("~") && !isOutcomeFolder(name);
}

export interface CandidateFile extends SourceEntry {
  /** The wallet folder the file sits in ("" for the root). */
  folder: string;
}

/**
 * Candidate files in the root and in each scanned sub-folder (one level;
 * deeper folders are not looked at), root files first, each group by name.
 * A sub-folder that disappears while being listed is skipped.
 */
export async function listCandidates(source: Source): Promise<CandidateFile[]> {
  const rootEntries = await source.list("");
  const found: CandidateFile[] = [];
  const folders: SourceEntry[] = [];
  for (const entry of sortByName(rootEntries)) {
    if (entry.isFolder) {
      if (isScannedFolder(entry.name)) folders.push(entry);
    } else if (isCandidateName(entry.name)) {
      found.push({ ...entry, folder: "" });
    }
  }
  for (const folder of folders) {
    let inner: SourceEntry[];
    try {
      inner = await source.list(folder.path);
    } catch (error) {
      if (error instanceof SourceError && error.code === "ARQUIVO_INEXISTENTE") continue;
      throw error;
    }
    for (const entry of sortByName(inner)) {
      if (!entry.isFolder && isCandidateName(entry.name)) {
        found.push({ ...entry, folder: folder.name });
      }
    }
  }
  return found;
}

function sortByName(entries: SourceEntry[]): SourceEntry[] {
  return [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
