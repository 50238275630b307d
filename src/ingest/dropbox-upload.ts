/**
 * Receiving one upload (STOR) into the drop box, so that no partial upload is
 * ever taken for a complete one:
 *
 * - The bytes land under a hidden temporary name in the target folder (the
 *   scanner never reads hidden names) and take their real name by an atomic
 *   rename only once the transfer completed; a server killed mid-upload leaves
 *   only a hidden file, removed at the next start.
 * - In FTP stream mode the end of the data connection is the end of the file.
 *   Over TLS a genuine end is announced by the client's close_notify alert;
 *   a TCP FIN or reset without it may be a dead client or an attacker's forged
 *   FIN, so such an upload is refused as truncated (vsftpd's
 *   strict_ssl_read_eof). A data connection that closes or errors without an
 *   end, stalls, or passes the size limit ends the same way: the temporary file
 *   is deleted, its descriptor closed, and the client told in pt-BR.
 */
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { open, rename, unlink } from "node:fs/promises";
import type { Socket } from "node:net";
import { hostname } from "node:os";
import { basename, dirname, join } from "node:path";
import { Duplex } from "node:stream";
import { UPLOAD_TEMP_PREFIX } from "./dropbox-rules.js";

/**
 * A pass-through between a TCP socket and the TLS socket above it. Node's TLS
 * socket ends the same way whether the peer sent close_notify or only closed
 * TCP, so the transport's end is watched here, below TLS: a close_notify ends
 * the TLS stream (push(null)) while the transport still has not delivered its
 * own end; a bare FIN reaches TLS only through this stream's end.
 */
export class EofWatch extends Duplex {
  /** The TLS socket reading from this stream (set once it is created). */
  upper: NodeJS.ReadableStream | null = null;
  private eofDelivered = false;
  private tlsEndedFirst = false;

  constructor(private readonly raw: Socket) {
    super();
    // Registered before the TLS socket's own listener, so this runs first:
    // every earlier byte, close_notify included, has been handed to TLS.
    this.once("end", () => {
      this.eofDelivered = true;
      const state = (this.upper as { _readableState?: { ended?: boolean } } | null)?._readableState;
      this.tlsEndedFirst = state?.ended === true;
    });
    raw.on("data", (chunk: Buffer) => {
      if (!this.push(chunk)) raw.pause();
    });
    let rawEnded = false;
    raw.on("end", () => {
      rawEnded = true;
      this.push(null);
    });
    // After an end the bytes still buffered here must reach TLS; only a close
    // without an end (reset, abort) cuts the stream.
    raw.on("close", () => {
      if (!rawEnded) this.destroy();
    });
    raw.on("error", (error) => this.destroy(error));
  }

  /** Whether the TLS stream ended by the peer's close_notify (not by a bare TCP end). */
  get endedByCloseNotify(): boolean {
    return this.eofDelivered ? this.tlsEndedFirst : true;
  }

  override _read(): void {
    this.raw.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void) {
    // A peer gone after its end cannot take our close_notify; that is no error.
    if (this.raw.destroyed || !this.raw.writable) return done();
    this.raw.write(chunk, () => done());
  }

  override _final(done: () => void): void {
    this.raw.end();
    done();
  }

  override _destroy(error: Error | null, done: (error: Error | null) => void): void {
    this.raw.destroy();
    done(error);
  }
}

/** A TLS data socket whose transport is an EofWatch. */
export interface WatchedSocket extends NodeJS.ReadWriteStream {
  eofWatch?: EofWatch;
  destroy(error?: Error): void;
  setTimeout?(ms: number, callback?: () => void): void;
}

export type UploadOutcome =
  | { kind: "complete"; bytes: number }
  | { kind: "truncated"; bytes: number }
  | { kind: "broken"; bytes: number }
  | { kind: "stalled"; bytes: number }
  | { kind: "too-big"; bytes: number }
  | { kind: "write-failed"; bytes: number; error: Error };

export interface ReceiveOptions {
  /** The file's final path on disk; the temporary one is a hidden name beside it. */
  finalPath: string;
  maxBytes: number;
  /** No byte for this long ends the upload as stalled. */
  idleMs: number;
  /** Whether the data connection is TLS (then an end needs close_notify). */
  requireCloseNotify: boolean;
}

/**
 * The hidden name an upload to `finalPath` is received under:
 * `.remessa-envio-<host>.<pid>.<random>`, so a server starting on a shared drop
 * folder can tell a crashed process's leftovers from another live server's
 * upload in progress (uploadOwner).
 */
export function tempPathFor(finalPath: string): string {
  const name = `${UPLOAD_TEMP_PREFIX}${hostname()}.${process.pid}.${randomBytes(8).toString("hex")}`;
  return join(dirname(finalPath), name);
}

/** Host and pid of the process that received into a temporary upload name, when it says. */
export function uploadOwner(name: string): { host: string; pid: number } | null {
  const match = /^(.*)\.(\d+)\.[0-9a-f]{16}$/.exec(name.slice(UPLOAD_TEMP_PREFIX.length));
  return match ? { host: match[1] as string, pid: Number(match[2]) } : null;
}

/**
 * Receives the data socket's bytes into a hidden temporary file and, when they
 * are complete, renames it to `finalPath`. Whatever happens the temporary file
 * is closed, and deleted unless renamed. `started` is called once the file is
 * open, so the caller answers 150 and resumes the socket only then.
 */
export async function receiveUpload(
  socket: WatchedSocket,
  options: ReceiveOptions,
  started: () => Promise<unknown>,
): Promise<UploadOutcome> {
  const tempPath = tempPathFor(options.finalPath);
  // 0600: the content is personal data and is never executable (SPEC §1).
  const handle = await open(tempPath, "wx", 0o600);
  const file = createWriteStream("", { fd: handle.fd, autoClose: false });
  let bytes = 0;
  let renamed = false;
  try {
    const outcome = await new Promise<UploadOutcome>((settle) => {
      let settled = false;
      const finish = (value: UploadOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(idle);
        socket.removeListener("data", onData);
        socket.removeListener("end", onEnd);
        socket.removeListener("close", onClose);
        socket.removeListener("error", onClose);
        settle(value);
      };
      const idle = setTimeout(() => finish({ kind: "stalled", bytes }), options.idleMs);
      const onData = (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > options.maxBytes) {
          finish({ kind: "too-big", bytes });
          return;
        }
        idle.refresh();
        if (!file.write(chunk)) {
          socket.pause();
          file.once("drain", () => socket.resume());
        }
      };
      const onEnd = () => {
        if (options.requireCloseNotify && !socket.eofWatch?.endedByCloseNotify) {
          finish({ kind: "truncated", bytes });
          return;
        }
        file.end();
        file.once("finish", () => finish({ kind: "complete", bytes }));
      };
      const onClose = () => finish({ kind: "broken", bytes });
      file.once("error", (error: Error) => finish({ kind: "write-failed", bytes, error }));
      socket.on("data", onData);
      socket.once("end", onEnd);
      socket.once("close", onClose);
      socket.once("error", onClose);
      started().then(
        () => socket.resume(),
        () => finish({ kind: "broken", bytes }),
      );
    });
    if (outcome.kind === "complete") {
      // On disk before it is named: a crash after the rename must not leave a
      // complete-looking name over bytes that were still only in memory.
      await handle.sync();
      await rename(tempPath, options.finalPath);
      renamed = true;
    }
    return outcome;
  } catch (error) {
    return { kind: "write-failed", bytes, error: error as Error };
  } finally {
    if (!file.destroyed) file.destroy();
    await handle.close().catch(() => {});
    if (!renamed) await unlink(tempPath).catch(() => {});
  }
}

/** What the client is told for an upload that did not complete (pt-BR), with its FTP code. */
export function failureReply(
  outcome: Exclude<UploadOutcome, { kind: "complete" }>,
  name: string,
  maxBytes: number,
): { code: number; message: string } {
  const file = basename(name);
  switch (outcome.kind) {
    case "truncated":
      return {
        code: 426,
        message: `Envio de ${file} incompleto: a conexão de dados terminou sem o encerramento TLS (close_notify) após ${outcome.bytes} bytes, então o arquivo pode estar cortado e foi descartado. Envie de novo.`,
      };
    case "broken":
      return {
        code: 426,
        message: `Envio de ${file} interrompido após ${outcome.bytes} bytes: a conexão de dados caiu. Nada foi gravado; envie de novo.`,
      };
    case "stalled":
      return {
        code: 426,
        message: `Envio de ${file} parado por tempo demais após ${outcome.bytes} bytes. Nada foi gravado; envie de novo.`,
      };
    case "too-big":
      return {
        code: 552,
        message: `${file} passa do limite de ${formatMiB(maxBytes)} por arquivo: envio recusado e nada foi gravado. Divida o mailing em arquivos menores (ou compacte em .zip).`,
      };
    case "write-failed":
      return {
        code: 451,
        message: `Não foi possível gravar ${file} no servidor (${(outcome.error as NodeJS.ErrnoException).code === "ENOSPC" ? "disco cheio" : "erro de gravação"}). Nada foi gravado; tente de novo mais tarde.`,
      };
  }
}

function formatMiB(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return `${Number.isInteger(mib) ? mib : mib.toFixed(1)} MiB`;
}
