import type { Readable } from "node:stream";

/**
 * One interface for every place mailings arrive from (like rclone's backends).
 * Paths are POSIX-style and relative to the source's configured root:
 * "" or "." is the root, "BRAD/mailing_261126_1.csv" a file in a wallet folder.
 */
export interface SourceEntry {
  name: string;
  /** Path relative to the source root. */
  path: string;
  isFolder: boolean;
  size: number;
  /** Modification time when the server gives one. */
  modifiedAt: Date | null;
}

/** What `Source.write` takes: text or bytes, or chunks of them produced as they are written. */
export type WriteContent = string | Uint8Array | AsyncIterable<string | Uint8Array>;

export interface Source {
  readonly protocol: SourceProtocol;
  /** Entries directly in a folder (no recursion). */
  list(folder: string): Promise<SourceEntry[]>;
  /** The entry at path, or null when it does not exist. */
  stat(path: string): Promise<SourceEntry | null>;
  /**
   * Reads a file as a byte stream (constant memory, whatever the size). The
   * connection is busy until the stream ends or is destroyed, so always
   * consume or destroy it; destroying it early abandons the transfer.
   */
  read(path: string): Promise<Readable>;
  /**
   * Moves a file into another folder (created when missing) without ever
   * overwriting: on a clash the name gets -2, -3, ... before its extension.
   * `name` renames it on the way (default: its own name).
   * Returns the final path.
   */
  move(from: string, toFolder: string, name?: string): Promise<string>;
  /** Creates a folder (and its parents); no error if it exists. */
  mkdir(folder: string): Promise<void>;
  /**
   * Writes a file (a report) without overwriting; returns the final path.
   * Large content comes as an async iterable so it is never held whole.
   */
  write(path: string, content: WriteContent): Promise<string>;
  /**
   * Deletes a file. Returns false when there was nothing to delete, so a
   * repeated removal (an erasure run again) is not an error; a folder is
   * never removed (ARQUIVO_INEXISTENTE, as for read).
   */
  remove(path: string): Promise<boolean>;
  close(): Promise<void>;
}

export type SourceProtocol = "local" | "ftp" | "ftps-explicit" | "ftps-implicit" | "sftp";

export interface SourceConfig {
  protocol: SourceProtocol;
  host: string;
  port: number | null;
  user: string;
  password: string;
  /** Root folder on the server ("/" by default); for `local`, the directory. */
  root: string;
  /** Allow private / loopback / link-local hosts (tests, on-premises). */
  allowPrivate: boolean;
  /** Pinned SHA-256 fingerprint of the server certificate (FTPS) or host key (SFTP). */
  tlsFingerprint: string | null;
  /** Accept any certificate (self-signed) — explicit opt-in. */
  tlsInsecure: boolean;
}

/** Tuning for `openSource`; the defaults suit production polling. */
export interface OpenSourceOptions {
  /** Limit for every network step (connect, TLS, login, each command, transfer stalls). Default 30 s. */
  timeoutMs?: number;
  /** Close the connection after this long without use. Default 30 s. */
  idleMs?: number;
  /** DNS resolution used by the host guard (tests inject one). */
  resolver?: import("./host-guard.js").Resolver;
  /**
   * SFTP download strategy: "parallel" keeps several read requests in flight
   * (fast on high-latency links) and falls back to "stream" by itself when the
   * server misbehaves; "stream" is the plain one-request-at-a-time read.
   */
  sftpDownload?: "parallel" | "stream";
  /** Local sources: use polling instead of fs.watch for change events. */
  localWatch?: "native" | "poll";
}

/** A change under a local source's root (a file created, grown, renamed or removed). */
export interface SourceChange {
  /** Path relative to the root, when the platform reports it. */
  path: string | null;
}

/** A source that can tell when its content changes (the local folder, the embedded drop box). */
export interface WatchableSource extends Source {
  /** Calls `listener` on changes under the root; returns the function that stops watching. */
  watch(listener: (change: SourceChange) => void): () => void;
}
