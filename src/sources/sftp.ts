import { Readable } from "node:stream";
import type { Stats } from "ssh2";
import SftpClient from "ssh2-sftp-client";
import { SharedConnection, withTimeout } from "./connection.js";
import {
  fileVanished,
  networkError,
  SourceError,
  timeoutError,
  UntrustedServerError,
} from "./errors.js";
import { fingerprintMatches, sha256, sshFingerprint } from "./fingerprint.js";
import { DEFAULT_PORTS, rootEntry } from "./ftp.js";
import { resolveHost } from "./host-guard.js";
import {
  baseName,
  clashName,
  isPlainName,
  joinRelative,
  MAX_CLASH_ATTEMPTS,
  normalizeRelative,
  parentOf,
  resolveUnder,
  tooManyClashes,
} from "./paths.js";
import type {
  OpenSourceOptions,
  Source,
  SourceConfig,
  SourceEntry,
  WriteContent,
} from "./types.js";

type Wrapper = Awaited<ReturnType<SftpClient["connect"]>>;
type Handle = Buffer;

interface SftpSession {
  client: SftpClient;
  sftp: Wrapper;
  alive: boolean;
}

// SFTP status codes (draft-ietf-secsh-filexfer-02, what OpenSSH speaks).
const NO_SUCH_FILE = 2;
const PERMISSION_DENIED = 3;

/** Read size of one request; OpenSSH serves up to 255 KiB, every server at least 32 KiB. */
const CHUNK = 64 * 1024;
/** Requests kept in flight by the parallel download (CHUNK × WINDOW bytes buffered at most). */
const WINDOW = 16;

/**
 * SFTP over ssh2-sftp-client (connection, authentication) and the ssh2
 * SFTP channel underneath (exact status codes, exclusive create, ranged reads).
 *
 * Host keys: SSH has no certificate authorities, so a host key is trusted
 * only when pinned (`tlsFingerprint`, OpenSSH's "SHA256:..." form or hex)
 * or when the source explicitly accepts any key (`tlsInsecure`). An unknown
 * key fails with CERTIFICADO_NAO_CONFIAVEL and its fingerprint, the same
 * question WinSCP or FileZilla ask on the first connection.
 *
 * Moves never overwrite, without any race: SFTP v3's RENAME fails when the
 * target exists (OpenSSH implements it with link()+unlink()), so each
 * candidate name is simply tried in turn.
 */
export class SftpSource implements Source {
  readonly protocol = "sftp" as const;
  private readonly connection: SharedConnection<SftpSession>;
  private readonly root: string;
  private readonly port: number;
  private readonly timeoutMs: number;
  /** Set once the parallel download failed on this server; later reads use the plain stream. */
  private parallelBroken: boolean;

  constructor(
    private readonly config: SourceConfig,
    private readonly options: OpenSourceOptions = {},
  ) {
    this.root = config.root || "/";
    this.port = config.port ?? DEFAULT_PORTS.sftp;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.parallelBroken = options.sftpDownload === "stream";
    this.connection = new SharedConnection(
      () => this.connect(),
      async (session) => {
        session.alive = false;
        await session.client.end().catch(() => undefined);
      },
      (session) => session.alive,
      options.idleMs ?? 30_000,
    );
  }

  private abs(relative: string): string {
    return resolveUnder(this.root, relative);
  }

  private async connect(): Promise<SftpSession> {
    const target = await resolveHost(this.config.host, {
      allowPrivate: this.config.allowPrivate,
      resolver: this.options.resolver,
    });
    const client = new SftpClient("remessa");
    let offeredKey: Buffer | null = null;
    const session: SftpSession = { client, sftp: undefined as unknown as Wrapper, alive: true };
    try {
      session.sftp = await withTimeout(
        client.connect({
          host: target.address,
          port: this.port,
          username: this.config.user,
          password: this.config.password,
          readyTimeout: this.timeoutMs,
          // Detects a dead server on a connection kept open between operations.
          keepaliveInterval: Math.max(1000, Math.floor(this.timeoutMs / 3)),
          keepaliveCountMax: 3,
          tryKeyboard: false,
          hostVerifier: (key: Buffer) => {
            offeredKey = key;
            if (this.config.tlsFingerprint) {
              return fingerprintMatches(this.config.tlsFingerprint, sha256(key));
            }
            return this.config.tlsInsecure;
          },
        }),
        this.timeoutMs + 1000,
        () => timeoutError(this.config.host, this.port),
      );
    } catch (error) {
      await client.end().catch(() => undefined);
      throw this.connectError(error, offeredKey);
    }
    client.on("close", () => {
      session.alive = false;
    });
    client.on("end", () => {
      session.alive = false;
    });
    return session;
  }

  private connectError(error: unknown, offeredKey: Buffer | null): unknown {
    if (error instanceof SourceError) return error;
    const text = String((error as Error)?.message ?? error);
    if (offeredKey !== null && /verification failed|host denied/i.test(text)) {
      const fingerprint = sshFingerprint(sha256(offeredKey));
      throw new UntrustedServerError(
        fingerprint,
        this.config.tlsFingerprint
          ? "a impressão digital não é a cadastrada; a chave mudou ou a conexão foi interceptada"
          : "chave ainda não cadastrada",
        "hostKey",
      );
    }
    if (/authentication methods failed|auth/i.test(text)) {
      return new SourceError(
        "LOGIN_INVALIDO",
        `O servidor ${this.config.host} recusou o usuário ou a senha: confira os dois (maiúsculas e minúsculas contam) e se o usuário pode usar SFTP.`,
        { cause: error },
      );
    }
    const mapped = networkError(error, this.config.host, this.port);
    if (mapped) return mapped;
    if (/timed out|timeout/i.test(text)) return timeoutError(this.config.host, this.port, error);
    if (/protocol|ident|banner|kex|handshake/i.test(text)) {
      return new SourceError(
        "ERRO_SERVIDOR",
        `O servidor ${this.config.host}:${this.port} não respondeu como um servidor SFTP: confira o protocolo e a porta (SFTP usa a porta 22).`,
        { cause: error },
      );
    }
    return error;
  }

  /** Runs one operation with a time limit; a timed-out session is discarded. */
  private run<R>(operation: (sftp: Wrapper) => Promise<R>): Promise<R> {
    return this.connection.run((session) =>
      withTimeout(operation(session.sftp), this.timeoutMs, () => {
        session.alive = false;
        return timeoutError(this.config.host, this.port);
      }),
    );
  }

  async list(folder: string): Promise<SourceEntry[]> {
    const rel = normalizeRelative(folder);
    return this.run(async (sftp) => {
      let items: { filename: string; attrs: Stats }[];
      try {
        items = await call((cb) => sftp.readdir(this.abs(rel), cb));
      } catch (error) {
        if (statusOf(error) === NO_SUCH_FILE) throw missingFolder(rel);
        throw sftpError(error, rel);
      }
      return items
        .filter((item) => isPlainName(item.filename))
        .flatMap((item) => toEntry(joinRelative(rel, item.filename), item.attrs))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    });
  }

  async stat(path: string): Promise<SourceEntry | null> {
    const rel = normalizeRelative(path);
    return this.run((sftp) => this.statWith(sftp, rel));
  }

  private async statWith(sftp: Wrapper, rel: string): Promise<SourceEntry | null> {
    try {
      const attrs = await call<Stats>((cb) => sftp.lstat(this.abs(rel), cb));
      if (rel === "") return isDir(attrs) ? rootEntry() : null;
      return toEntry(rel, attrs)[0] ?? null;
    } catch (error) {
      if (statusOf(error) === NO_SUCH_FILE) return null;
      throw sftpError(error, rel);
    }
  }

  async read(path: string): Promise<Readable> {
    const rel = normalizeRelative(path);
    const lease = await this.connection.acquire();
    const session = lease.connection;
    const sftp = session.sftp;
    let handle: Handle;
    let size: number;
    try {
      const entry = await withTimeout(this.statWith(sftp, rel), this.timeoutMs, () =>
        timeoutError(this.config.host, this.port),
      );
      if (!entry || entry.isFolder) throw fileVanished(rel);
      size = entry.size;
      handle = await withTimeout(
        call<Handle>((cb) => sftp.open(this.abs(rel), "r", cb)),
        this.timeoutMs,
        () => timeoutError(this.config.host, this.port),
      );
    } catch (error) {
      lease.release(!session.alive);
      throw error instanceof SourceError ? error : sftpError(error, rel);
    }
    const finish = (discard: boolean) => {
      sftp.close(handle, () => lease.release(discard || !session.alive));
    };
    if (this.parallelBroken) return this.streamRead(sftp, rel, 0, finish);
    return this.parallelRead(sftp, handle, size, rel, finish, session);
  }

  /**
   * Keeps up to WINDOW read requests in flight and emits the answers in file
   * order, which over a link with latency is many times faster than one
   * request at a time. Servers may answer a request with fewer bytes than
   * asked; the rest is asked again. If the server misbehaves before the first
   * byte is delivered, the read starts over as a plain stream, and the source
   * keeps using plain streams from then on.
   */
  private parallelRead(
    sftp: Wrapper,
    handle: Handle,
    size: number,
    rel: string,
    finish: (discard: boolean) => void,
    session: SftpSession,
  ): Readable {
    const ready = new Map<number, Buffer>();
    let nextToRequest = 0;
    let nextToEmit = 0;
    let inFlight = 0;
    let wanted = true;
    let done = false;
    let fallback: Readable | null = null;

    const stop = (error: Error | null, discard: boolean) => {
      if (done) return;
      done = true;
      finish(discard);
      if (error) output.destroy(error);
    };

    const emit = () => {
      while (wanted && !done) {
        const chunk = ready.get(nextToEmit);
        if (!chunk) break;
        ready.delete(nextToEmit);
        nextToEmit += chunk.length;
        wanted = output.push(chunk);
      }
      if (!done && nextToEmit >= size) {
        stop(null, false);
        output.push(null);
        return;
      }
      fill();
    };

    const request = (offset: number, length: number) => {
      inFlight++;
      const buffer = Buffer.allocUnsafe(length);
      let answered = false;
      const timer = setTimeout(() => {
        answered = true;
        session.alive = false;
        stop(timeoutError(this.config.host, this.port), true);
      }, this.timeoutMs);
      sftp.read(handle, buffer, 0, length, offset, (error, bytesRead) => {
        clearTimeout(timer);
        if (answered || done) return;
        answered = true;
        inFlight--;
        if (error || bytesRead <= 0) {
          problem(error ?? new Error("unexpected end of file"));
          return;
        }
        ready.set(offset, buffer.subarray(0, bytesRead));
        if (bytesRead < length) request(offset + bytesRead, length - bytesRead);
        emit();
      });
    };

    const fill = () => {
      // Bounded memory: never more than WINDOW chunks requested or waiting to be read.
      while (!done && inFlight + ready.size < WINDOW && nextToRequest < size) {
        const length = Math.min(CHUNK, size - nextToRequest);
        request(nextToRequest, length);
        nextToRequest += length;
      }
    };

    const problem = (error: unknown) => {
      if (nextToEmit === 0 && !done && fallback === null && session.alive) {
        // Nothing delivered yet: start over as a plain stream on this server.
        this.parallelBroken = true;
        done = true;
        fallback = this.streamRead(sftp, rel, 0, finish);
        fallback.on("data", (chunk: Buffer) => {
          if (!output.push(chunk)) fallback?.pause();
        });
        fallback.on("end", () => output.push(null));
        fallback.on("error", (e) => output.destroy(e));
        return;
      }
      stop(
        new SourceError(
          "ERRO_SERVIDOR",
          `A leitura de "${rel}" falhou no meio (o arquivo mudou ou a conexão caiu): tente de novo.`,
          { cause: error },
        ),
        true,
      );
    };

    const output = new Readable({
      highWaterMark: CHUNK * 4,
      read() {
        wanted = true;
        if (fallback) {
          fallback.resume();
          return;
        }
        emit();
      },
      destroy(error, callback) {
        fallback?.destroy();
        stop(null, false);
        callback(error);
      },
    });
    if (size === 0) {
      stop(null, false);
      output.push(null);
    }
    return output;
  }

  /** ssh2's sequential read stream: slower, understood by every server. */
  private streamRead(
    sftp: Wrapper,
    rel: string,
    start: number,
    finish: (discard: boolean) => void,
  ): Readable {
    let finished = false;
    const once = (discard: boolean) => {
      if (!finished) {
        finished = true;
        finish(discard);
      }
    };
    const stream = sftp.createReadStream(this.abs(rel), { start, highWaterMark: CHUNK });
    stream.on("end", () => once(false));
    stream.on("error", () => once(true));
    stream.on("close", () => once(false));
    return stream;
  }

  async mkdir(folder: string): Promise<void> {
    const rel = normalizeRelative(folder);
    await this.run((sftp) => this.mkdirWith(sftp, rel));
  }

  private async mkdirWith(sftp: Wrapper, rel: string): Promise<void> {
    let current = "";
    for (const part of rel === "" ? [] : rel.split("/")) {
      current = joinRelative(current, part);
      try {
        await call<void>((cb) => sftp.mkdir(this.abs(current), cb));
      } catch (error) {
        const existing = await this.statWith(sftp, current);
        if (existing?.isFolder) continue;
        if (statusOf(error) === NO_SUCH_FILE && parentOf(current) === "") {
          throw missingFolder("");
        }
        throw new SourceError(
          "SEM_PERMISSAO",
          `Sem permissão para criar a pasta "${current}" no servidor SFTP: dê ao usuário permissão de escrita na pasta raiz.`,
          { cause: error },
        );
      }
    }
  }

  async move(from: string, toFolder: string, newName?: string): Promise<string> {
    const source = normalizeRelative(from);
    const folder = normalizeRelative(toFolder);
    const name = newName ?? baseName(source);
    return this.run(async (sftp) => {
      const entry = await this.statWith(sftp, source);
      if (!entry || entry.isFolder) throw fileVanished(source);
      await this.mkdirWith(sftp, folder);
      for (let attempt = 1; attempt <= MAX_CLASH_ATTEMPTS; attempt++) {
        const target = joinRelative(folder, clashName(name, attempt));
        try {
          await call<void>((cb) => sftp.rename(this.abs(source), this.abs(target), cb));
          return target;
        } catch (error) {
          if ((await this.statWith(sftp, target)) !== null) continue;
          if ((await this.statWith(sftp, source)) === null) throw fileVanished(source);
          throw sftpError(error, source);
        }
      }
      throw tooManyClashes(name);
    });
  }

  async write(path: string, content: WriteContent): Promise<string> {
    const rel = normalizeRelative(path);
    const folder = parentOf(rel);
    const chunks =
      typeof content === "string" || content instanceof Uint8Array ? [content] : content;
    return this.run(async (sftp) => {
      await this.mkdirWith(sftp, folder);
      for (let attempt = 1; attempt <= MAX_CLASH_ATTEMPTS; attempt++) {
        const target = joinRelative(folder, clashName(baseName(rel), attempt));
        let handle: Handle;
        try {
          // "wx": exclusive create, the server refuses when the name exists.
          handle = await call<Handle>((cb) => sftp.open(this.abs(target), "wx", cb));
        } catch (error) {
          if ((await this.statWith(sftp, target)) !== null) continue;
          throw sftpError(error, target);
        }
        try {
          let offset = 0;
          for await (const chunk of chunks) {
            const bytes = Buffer.from(chunk);
            for (let done = 0; done < bytes.length; ) {
              const length = Math.min(CHUNK, bytes.length - done);
              const at = offset + done;
              await call<void>((cb) => sftp.write(handle, bytes, done, length, at, cb));
              done += length;
            }
            offset += bytes.length;
          }
        } finally {
          await call<void>((cb) => sftp.close(handle, cb));
        }
        return target;
      }
      throw tooManyClashes(baseName(rel));
    });
  }

  async remove(path: string): Promise<boolean> {
    const rel = normalizeRelative(path);
    return this.run(async (sftp) => {
      const entry = await this.statWith(sftp, rel);
      if (!entry) return false;
      if (entry.isFolder) throw fileVanished(rel);
      try {
        await call<void>((cb) => sftp.unlink(this.abs(rel), cb));
        return true;
      } catch (error) {
        if (statusOf(error) === NO_SUCH_FILE) return false;
        throw sftpError(error, rel);
      }
    });
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}

/** Adapts ssh2's callback style. */
function call<T>(start: (callback: (error: Error | null | undefined, value: T) => void) => void) {
  return new Promise<T>((resolve, reject) => {
    start((error, value) => (error ? reject(error) : resolve(value)));
  });
}

function statusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown })?.code;
  return typeof code === "number" ? code : undefined;
}

function isDir(attrs: Stats): boolean {
  return (attrs.mode & 0o170000) === 0o040000;
}

function toEntry(path: string, attrs: Stats): SourceEntry[] {
  const kind = attrs.mode & 0o170000;
  // Only regular files and folders; links may point anywhere.
  if (kind !== 0o100000 && kind !== 0o040000) return [];
  const folder = kind === 0o040000;
  return [
    {
      name: baseName(path),
      path,
      isFolder: folder,
      size: folder ? 0 : attrs.size,
      modifiedAt: attrs.mtime ? new Date(attrs.mtime * 1000) : null,
    },
  ];
}

function missingFolder(rel: string): SourceError {
  return rel === ""
    ? new SourceError(
        "RAIZ_INEXISTENTE",
        "A pasta raiz configurada não existe no servidor SFTP: corrija a pasta raiz ou crie a pasta no servidor.",
      )
    : new SourceError("ARQUIVO_INEXISTENTE", `A pasta "${rel}" não existe no servidor.`);
}

function sftpError(error: unknown, rel: string): SourceError {
  const what = rel ? `"${rel}"` : "a pasta raiz";
  if (statusOf(error) === PERMISSION_DENIED) {
    return new SourceError(
      "SEM_PERMISSAO",
      `Sem permissão para ${what} no servidor SFTP: confira as permissões do usuário nessa pasta.`,
      { cause: error },
    );
  }
  if (statusOf(error) === NO_SUCH_FILE) return fileVanished(rel);
  return new SourceError(
    "ERRO_SERVIDOR",
    `O servidor SFTP recusou a operação em ${what}: ${(error as Error)?.message ?? error}`,
    { cause: error },
  );
}
