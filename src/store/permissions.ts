/**
 * The data dir holds personal data (the database, the stored copies of every
 * mailing, the drop box's files and reports): owner-only. New files get it
 * from the process umask (`ownerOnlyUmask`, set first thing by the commands
 * that write there); `secureDataDir` fixes what an older version left
 * readable by every local user (0755 folders, 0644 files).
 */
import { constants, type Dir, lstatSync } from "node:fs";
import { type FileHandle, open, opendir } from "node:fs/promises";
import { join } from "node:path";

/** Files created from now on are 0600 and folders 0700, whatever the library asks for. */
export function ownerOnlyUmask(): void {
  process.umask(0o077);
}

/**
 * How deep the fix goes under the data dir: `files/ab/<sha>.bin` is 2 below
 * it; `drop/<wallet>/LIDOS/.remessa-relatorios/<staged report>` is 5.
 * Deeper entries were never created by remessa.
 */
const MAX_DEPTH = 5;

/** The drop box's folder in the data dir (see `serve`). */
const DROP_FOLDER = "drop";

/**
 * Takes group and other access (and setuid/setgid/sticky) away from every
 * folder and file of the data dir, down to MAX_DEPTH, keeping the owner's own
 * bits: a data dir may also hold the operator's scripts (`--data-dir .`), whose
 * execute bit must survive. Under `drop/` (what FTP users sent) files also lose
 * the owner's execute bit: an upload is never a program. Each entry is opened
 * with O_NOFOLLOW and changed through that handle, so a symbolic link planted
 * in the drop folder (or swapped in meanwhile) never makes remessa change a file
 * elsewhere. Entries it cannot open or change (another owner) are skipped; the
 * count of changed ones is returned for the log.
 */
export async function secureDataDir(dir: string): Promise<number> {
  let changed = 0;
  const fix = async (path: string, isFolder: boolean, uploaded: boolean): Promise<void> => {
    let handle: FileHandle | null = null;
    try {
      handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      const info = await handle.stat();
      if (info.isDirectory() !== isFolder || !(isFolder || info.isFile())) return;
      const mode = info.mode & (isFolder ? 0o700 : uploaded ? 0o600 : 0o700);
      if ((info.mode & 0o7777) === mode) return;
      await handle.chmod(mode);
      changed++;
    } catch {
      // Gone meanwhile, a link, or not ours: nothing to do.
    } finally {
      await handle?.close().catch(() => {});
    }
  };
  const walk = async (folder: string, depth: number, uploaded: boolean): Promise<void> => {
    await fix(folder, true, uploaded);
    if (depth >= MAX_DEPTH) return;
    let handle: Dir;
    try {
      handle = await opendir(folder);
    } catch {
      return;
    }
    // Streamed: a LIDOS folder with many thousands of reports is never held whole.
    for await (const entry of handle) {
      const path = join(folder, entry.name);
      const below = uploaded || (depth === 0 && entry.name === DROP_FOLDER);
      if (entry.isSymbolicLink()) continue;
      if (entry.isDirectory()) await walk(path, depth + 1, below);
      else if (entry.isFile()) await fix(path, false, below);
    }
  };
  try {
    if (!lstatSync(dir).isDirectory()) return 0;
  } catch {
    return 0;
  }
  await walk(dir, 0, false);
  return changed;
}
