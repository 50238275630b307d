/**
 * The data dir holds personal data (the database, the stored copies of every
 * mailing, the drop box's files and reports): owner-only. New files get it
 * from the process umask (`ownerOnlyUmask`, set first thing by the commands
 * that write there); `secureDataDir` fixes what an older version left
 * readable by every local user (0755 folders, 0644 files).
 */
import { type Dir, lstatSync } from "node:fs";
import { chmod, lstat, opendir } from "node:fs/promises";
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

/**
 * chmod 0700 every folder and 0600 every file of the data dir, down to
 * MAX_DEPTH. Symbolic links are neither followed nor changed (lstat, and
 * chmod only on what lstat says is a plain file or folder), so a link planted
 * in the drop folder cannot make remessa change a file elsewhere. Entries it
 * cannot change (another owner) are skipped; the count of changed ones is
 * returned for the log.
 */
export async function secureDataDir(dir: string): Promise<number> {
  let changed = 0;
  const fix = async (path: string, isFolder: boolean): Promise<void> => {
    const mode = isFolder ? 0o700 : 0o600;
    try {
      const info = await lstat(path);
      if ((info.mode & 0o777) === mode) return;
      await chmod(path, mode);
      changed++;
    } catch {
      // Gone meanwhile, or not ours: nothing to do.
    }
  };
  const walk = async (folder: string, depth: number): Promise<void> => {
    await fix(folder, true);
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
      if (entry.isSymbolicLink()) continue;
      if (entry.isDirectory()) await walk(path, depth + 1);
      else if (entry.isFile()) await fix(path, false);
    }
  };
  try {
    if (!lstatSync(dir).isDirectory()) return 0;
  } catch {
    return 0;
  }
  await walk(dir, 0);
  return changed;
}
