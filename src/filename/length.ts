/**
 * How long a mailing's name may be. A file system names a file with at most 255 bytes (ext4,
 * XFS, btrfs, most FTP/SFTP servers' disks), and remessa writes names longer than the one it was
 * given: the file moved to LIDOS/DESCARTADOS may get a clash suffix (`-2` … `-10000`, see
 * MAX_CLASH_ATTEMPTS in src/sources/paths.ts), and each report appends a suffix to that moved
 * name. A 250-byte name was imported and moved, and then its report could not be written
 * (ENAMETOOLONG), retried forever.
 */
import { createHash } from "node:crypto";

/** The longest file name (one path segment), in UTF-8 bytes, on the file systems remessa writes. */
export const FILE_NAME_MAX_BYTES = 255;

/** The longest suffix a report adds to the moved name (`.erro.txt` 9, `.resultado.txt` 14). */
export const LONGEST_REPORT_SUFFIX = ".rejeitados.csv";

/** The longest clash suffix of a moved name: `-` and MAX_CLASH_ATTEMPTS (10,000). */
export const LONGEST_CLASH_SUFFIX = "-10000";

/**
 * Longest accepted mailing name, in UTF-8 bytes (not characters: "ç" takes two): 255 − 15 − 6 =
 * 234, so the moved file with any clash suffix plus its longest report suffix still fits in 255.
 * A longer name is discarded up front (NOME_LONGO).
 */
export const MAX_NAME_BYTES =
  FILE_NAME_MAX_BYTES -
  Buffer.byteLength(LONGEST_REPORT_SUFFIX) -
  Buffer.byteLength(LONGEST_CLASH_SUFFIX);

/**
 * `name`, shortened when needed so that `room` more bytes still fit in a file name: the part
 * before the extension is cut (on a character boundary) and `~` with 8 hex digits of the full
 * name's SHA-256 is added, so two long names that start alike stay apart. Unchanged when it fits.
 * For names remessa must still write for a NOME_LONGO file (its moved name, its `.erro.txt`).
 */
export function fitName(name: string, room = 0): string {
  const budget = FILE_NAME_MAX_BYTES - room;
  if (Buffer.byteLength(name) <= budget) return name;
  const dot = name.lastIndexOf(".");
  const ext = dot > 0 && name.length - dot <= 8 ? name.slice(dot) : "";
  const tag = `~${createHash("sha256").update(name).digest("hex").slice(0, 8)}`;
  const keep = budget - Buffer.byteLength(ext) - tag.length;
  let stem = "";
  let bytes = 0;
  for (const char of name.slice(0, name.length - ext.length)) {
    const size = Buffer.byteLength(char);
    if (bytes + size > keep) break;
    stem += char;
    bytes += size;
  }
  return `${stem}${tag}${ext}`;
}

/**
 * The name a file is moved to LIDOS/DESCARTADOS under (before any clash suffix): the name itself
 * for every name the grammar accepts. Only a name refused as NOME_INVALIDO or NOME_LONGO changes:
 * each control character becomes `-` (a line break in a name would also split the folder's FTP
 * listing), and a name over MAX_NAME_BYTES is shortened by `fitName`, so that the moved name with
 * its clash suffix and `<moved name>.erro.txt` (any report) fit in 255 bytes.
 */
export function movedBaseName(name: string): string {
  return fitName(
    name.replace(/\p{Cc}/gu, "-"),
    Buffer.byteLength(LONGEST_CLASH_SUFFIX) + Buffer.byteLength(LONGEST_REPORT_SUFFIX),
  );
}
