/**
 * The embedded drop box: an FTPS server (ftp-srv, explicit TLS required
 * before login) whose root is the default tenant's drop folder. The folder is
 * also a `local` file source; a finished upload (STOR) or a rename into a
 * final name (RNTO, e.g. from `.filepart`) is reported to the ingest service
 * at once, so no stability window is waited. While a file is being received
 * the scanner is told to leave it alone.
 *
 * On first start the data dir gets a self-signed certificate (openssl CLI)
 * and, unless REMESSA_FTP_USER/REMESSA_FTP_PASSWORD are set, generated
 * credentials in a 0600 file.
 */
import { execFile } from "node:child_process";
import { randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { chmod, mkdir, readdir, rename, stat, unlink } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import { hostname } from "node:os";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { createSecureContext, TLSSocket } from "node:tls";
import { promisify } from "node:util";
import { FileSystem, type FtpConnection, FtpSrv } from "ftp-srv";
import type { Logger } from "../log.js";
import { DISCARDED_FOLDER, READ_FOLDER, REPORT_STAGING } from "../sources/candidates.js";
import {
  changePlacement,
  folderPlacement,
  nameProblem,
  UPLOAD_TEMP_PREFIX,
  uploadPlacement,
} from "./dropbox-rules.js";
import {
  EofWatch,
  failureReply,
  receiveUpload,
  uploadOwner,
  type WatchedSocket,
} from "./dropbox-upload.js";
import {
  FtpGuard,
  type GuardLimits,
  hashPassword,
  verifierOf,
  weakPasswordReason,
} from "./ftp-guard.js";

export interface DropBoxCredentials {
  user: string;
  /**
   * Checks a password against the one configured (stored only as a scrypt
   * hash). Runs in the guard's single scrypt worker (ftp-guard.ts), never on
   * libuv's thread pool; rejects with ServerBusyError when too many checks wait.
   */
  verify(password: string): Promise<boolean>;
  /** The password when generated now (first start), for the caller to print once; else null. */
  generatedPassword: string | null;
  /** Where generated credentials are kept; null when they come from the environment. */
  file: string | null;
  /**
   * Writes newly generated credentials (no-op otherwise). Called only once the
   * drop box listens and right before the password is printed: a start that
   * fails (port busy) must not keep a hash of a password nobody ever saw.
   */
  persist(): void;
}

/**
 * Credentials from the environment, else the data dir's file, else new ones
 * (hashed; written 0600 by `persist()`). A weak REMESSA_FTP_PASSWORD is an
 * error whose message says why and how to choose one.
 */
export function loadCredentials(
  dataDir: string,
  env: Record<string, string | undefined> = process.env,
): DropBoxCredentials {
  const user = env.REMESSA_FTP_USER?.trim();
  const password = env.REMESSA_FTP_PASSWORD;
  if (user && password) {
    const weak = weakPasswordReason(password);
    if (weak) throw new Error(weak);
    return {
      user,
      verify: verifierOf(hashPassword(password)),
      generatedPassword: null,
      file: null,
      persist: () => {},
    };
  }
  const file = join(dataDir, "ftp-credentials.json");
  if (existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, "utf8")) as {
      user?: string;
      passwordHash?: string;
    };
    if (stored.user && stored.passwordHash) {
      return {
        user: stored.user,
        verify: verifierOf(stored.passwordHash),
        generatedPassword: null,
        file,
        persist: () => {},
      };
    }
  }
  const fresh = randomBytes(18).toString("base64url");
  const passwordHash = hashPassword(fresh);
  const stored = { user: user || "remessa", passwordHash };
  return {
    user: stored.user,
    verify: verifierOf(passwordHash),
    generatedPassword: fresh,
    file,
    persist: () => {
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(file, `${JSON.stringify(stored)}\n`, { mode: 0o600 });
    },
  };
}

export interface TlsFiles {
  key: string;
  cert: string;
  generated: boolean;
}

/** The drop box certificate: generated once into `<dataDir>/tls/` with the openssl CLI. */
export async function ensureCertificate(dataDir: string, hostName: string): Promise<TlsFiles> {
  const dir = join(dataDir, "tls");
  const key = join(dir, "dropbox-key.pem");
  const cert = join(dir, "dropbox-cert.pem");
  if (existsSync(key) && existsSync(cert)) return { key, cert, generated: false };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const altNames = ["DNS:localhost", "IP:127.0.0.1"];
  if (hostName && hostName !== "0.0.0.0" && hostName !== "localhost" && hostName !== "127.0.0.1") {
    altNames.push(/^[\d.]+$/.test(hostName) ? `IP:${hostName}` : `DNS:${hostName}`);
  }
  // Written under temporary names and renamed, so a crash never leaves half a pair.
  const tmpKey = `${key}.${process.pid}.tmp`;
  const tmpCert = `${cert}.${process.pid}.tmp`;
  try {
    await promisify(execFile)("openssl", [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "3650",
      "-subj",
      "/CN=remessa drop box",
      "-addext",
      `subjectAltName=${altNames.join(",")}`,
      "-keyout",
      tmpKey,
      "-out",
      tmpCert,
    ]);
  } catch (error) {
    throw new Error(
      `Não foi possível gerar o certificado TLS da caixa FTP com o openssl (${(error as Error).message}). Instale o openssl (apt-get install openssl) ou desative a caixa FTP com --ftp-port 0.`,
    );
  }
  await chmod(tmpKey, 0o600);
  await rename(tmpKey, key);
  await rename(tmpCert, cert);
  return { key, cert, generated: true };
}

export interface DropBoxOptions {
  root: string;
  host: string;
  port: number;
  pasvMin: number;
  pasvMax: number;
  /** Address announced for passive connections (default: host, or 127.0.0.1 for 0.0.0.0). */
  pasvAddress?: string;
  credentials: Pick<DropBoxCredentials, "user" | "verify">;
  tls: { key: string; cert: string };
  log: Logger;
  /** Connection caps, login timeout, lockout (ftp-guard.ts; defaults there). */
  guard?: Partial<GuardLimits>;
  /** A file reached its final name and is complete (path relative to the root). */
  onComplete: (path: string) => void;
  /** Uploads past this size are refused while they arrive (default: DEFAULT_MAX_UPLOAD_BYTES). */
  maxUploadBytes?: number;
  /** An upload with no byte for this long is dropped (default 2 minutes). */
  uploadIdleMs?: number;
  /** A control connection with no command for this long is closed (default 10 minutes; not while a file arrives). */
  controlIdleMs?: number;
}

/** The reader's own limit (ARQUIVO_GRANDE): a larger upload could never be imported. */
export const DEFAULT_MAX_UPLOAD_BYTES = 1024 * 1024 * 1024;
const DEFAULT_UPLOAD_IDLE_MS = 2 * 60 * 1000;
const DEFAULT_CONTROL_IDLE_MS = 10 * 60 * 1000;
const STAGED_REPORT_MAX_AGE_MS = 60 * 60 * 1000;

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Relative POSIX path of `absolute` under `root`, or null when it is outside. */
function insideRoot(root: string, absolute: string): string | null {
  const rel = relative(root, absolute);
  if (rel === "") return "";
  if (rel.startsWith("..") || isAbsolute(rel)) return null;
  return rel.split(sep).join("/");
}

type ResolvedPath = { clientPath: string; fsPath: string };

/** A file system error as the FTP user may see it: pt-BR, with the path as the client wrote it. */
function clientError(error: unknown, clientPath: string): Error {
  const code = (error as NodeJS.ErrnoException).code;
  const text: Record<string, string> = {
    ENOENT: `${clientPath}: arquivo ou pasta não encontrado.`,
    EEXIST: `${clientPath}: já existe.`,
    ENOTDIR: `${clientPath}: não é uma pasta.`,
    EISDIR: `${clientPath}: é uma pasta.`,
    ENOTEMPTY: `${clientPath}: a pasta não está vazia.`,
    EACCES: `${clientPath}: sem permissão.`,
    EPERM: `${clientPath}: sem permissão.`,
    ENAMETOOLONG: `${clientPath}: nome longo demais.`,
  };
  // Never the library's or the system's own text: it carries the absolute path on the server.
  return new Error(
    (code && text[code]) ??
      `${clientPath}: operação não concluída no servidor (${code ?? "erro"}).`,
  );
}

/**
 * ftp-srv's file system, confined to the root. Uploads do not come through
 * here (the STOR handler below receives them under a hidden name); what does
 * answers errors without server paths, creates folders 0700, and never changes
 * permissions.
 */
class DropFileSystem extends FileSystem {
  constructor(
    connection: FtpConnection,
    readonly dropRoot: string,
    /** Paths being received right now (count of open uploads), shared with the DropBox. */
    readonly uploads: Map<string, number>,
  ) {
    super(connection, { root: dropRoot, cwd: "/" });
  }

  /** Every client path goes through here: refuse anything that resolves outside the root. */
  _resolvePath(path = "."): ResolvedPath {
    const resolved = (
      FileSystem.prototype as unknown as { _resolvePath(p: string): ResolvedPath }
    )._resolvePath.call(this, path);
    if (insideRoot(this.dropRoot, resolved.fsPath) === null || path.includes("\0")) {
      throw new Error("Caminho fora da pasta da caixa FTP.");
    }
    return resolved;
  }

  /** The path relative to the root (POSIX), for the placement rules. */
  relativePath(path: string): string {
    return insideRoot(this.dropRoot, this._resolvePath(path).fsPath) ?? "";
  }

  private async guarded<T>(path: string | undefined, action: () => Promise<T>): Promise<T> {
    const clientPath = this._resolvePath(path ?? ".").clientPath;
    try {
      return await action();
    } catch (error) {
      throw clientError(error, clientPath);
    }
  }

  override get(fileName: string) {
    return this.guarded(fileName, async () => super.get(fileName));
  }

  override list(path = ".") {
    return this.guarded(path, async () => {
      const entries = (await super.list(path)) as Array<{ name: string }>;
      // Uploads in progress are not files yet; staged reports are not reports yet.
      return entries.filter(
        (entry) => !entry.name.startsWith(UPLOAD_TEMP_PREFIX) && entry.name !== REPORT_STAGING,
      );
    });
  }

  override chdir(path = ".") {
    return this.guarded(path, async () => super.chdir(path));
  }

  override read(fileName: string, options?: { start?: unknown }) {
    if (fileName.split(/[/\\]/).at(-1)?.startsWith(UPLOAD_TEMP_PREFIX)) {
      return Promise.reject(clientError({ code: "ENOENT" }, fileName));
    }
    return this.guarded(fileName, async () => super.read(fileName, options));
  }

  override delete(path: string) {
    return this.guarded(path, async () => super.delete(path));
  }

  override mkdir(path: string) {
    const { fsPath, clientPath } = this._resolvePath(path);
    return this.guarded(path, async () => {
      await mkdir(fsPath, { mode: 0o700 });
      return clientPath;
    });
  }

  override rename(from: string, to: string) {
    return this.guarded(to, async () => super.rename(from, to));
  }

  override write(): never {
    throw new Error("Envios passam pelo comando STOR.");
  }

  override chmod(): Promise<never> {
    return Promise.reject(new Error("Alterar permissões não é permitido nesta caixa."));
  }
}

/**
 * Process-wide fixes to ftp-srv 4, installed once: its disconnect timer, its
 * TLS data connections (below) and AUTH TLS. ftp-srv answers AUTH TLS and only then wraps the control socket; a client
 * that sends its TLS hello quickly (curl, lftp) has it read as an FTP command
 * in between, and the handshake fails ("wrong version number") about half the
 * time. This handler pauses the socket before answering, so the hello stays
 * buffered and Node hands it to the TLS socket, and moves the command parser
 * over to the TLS socket so the buffered hello is not also parsed as a
 * command. Installed once per process.
 */
let ftpSrvPatched = false;
function patchFtpSrv(): void {
  if (ftpSrvPatched) return;
  ftpSrvPatched = true;
  // ftp-srv starts a timer of the whole idle timeout (10 minutes) at every
  // disconnect and never clears it (it only guards a promise that has already
  // resolved): each disconnected client kept the process alive for 10 minutes
  // after a stop. The same disconnect, without the dangling timer.
  const server = FtpSrv.prototype as unknown as {
    connections: Record<string, { close(code: number): unknown }>;
    disconnectClient(id: string): Promise<unknown>;
  };
  server.disconnectClient = function (id: string) {
    const client = this.connections[id];
    if (!client) return Promise.resolve();
    delete this.connections[id];
    try {
      client.close(0);
    } catch {
      // Already closed.
    }
    return Promise.resolve("Disconnected");
  };
  const registry = createRequire(import.meta.url)("ftp-srv/src/commands/registry.js") as Record<
    string,
    { handler: (this: AuthConnection, args: { command: { arg: string | null } }) => unknown }
  >;
  // ftp-srv accepts a TLS data connection only once its handshake is done and
  // answers the transfer command (150) only after that; GnuTLS clients (lftp,
  // FileZilla) start the handshake only after the 150, so both wait until the
  // transfer times out (425). For secure sessions the data server here is a
  // plain TCP server that wraps each connection in a server TLS socket at
  // once: ftp-srv gets a socket to pipe to immediately, and the handshake runs
  // whenever the client starts it.
  const passive = createRequire(import.meta.url)("ftp-srv/src/connector/passive.js") as {
    prototype: { setupServer(this: PassiveConnector): Promise<NetServer> };
  };
  const plainSetup = passive.prototype.setupServer;
  passive.prototype.setupServer = function (this: PassiveConnector) {
    if (!this.connection.secure) return plainSetup.call(this);
    return secureDataServer(this);
  };
  const auth = registry.AUTH;
  if (!auth) return;
  auth.handler = function (this: AuthConnection, { command }) {
    if ((command.arg ?? "").trim().toUpperCase() !== "TLS") return this.reply(504);
    if (!this.server.options.tls) return this.reply(502);
    if (this.secure) return this.reply(202);
    const plain = this.commandSocket;
    plain.pause();
    return this.reply(234).then(() => {
      const secure = new TLSSocket(plain, {
        isServer: true,
        secureContext: createSecureContext(this.server.options.tls || {}),
      });
      // The command parser now listens to the TLS socket only: bytes the plain
      // socket had already buffered (the client's hello) must not reach it too.
      for (const listener of plain.listeners("data")) {
        plain.removeListener("data", listener as (...args: unknown[]) => void);
        secure.on("data", listener as (...args: unknown[]) => void);
      }
      for (const event of ["timeout", "end", "close", "drain", "error"]) {
        secure.on(event, (...args: unknown[]) => plain.emit(event, ...args));
      }
      this.commandSocket = secure;
      this.secure = true;
    });
  };
}

interface PassiveConnector {
  connection: { secure: boolean; commandSocket: Socket };
  server: {
    options: { tls: import("node:tls").SecureContextOptions | false };
    url: { hostname: string | null };
    getNextPasvPort(): Promise<number>;
  };
  dataServer: NetServer | null;
  dataSocket: (TLSSocket & { connected?: boolean }) | null;
  closeServer(): void;
  end(): void;
}

/** How long a passive data port waits for the client to connect. */
const DATA_CONNECT_TIMEOUT_MS = 30_000;

async function secureDataServer(connector: PassiveConnector): Promise<NetServer> {
  connector.closeServer();
  const port = await connector.server.getNextPasvPort();
  connector.dataSocket = null;
  const secureContext = createSecureContext(connector.server.options.tls || {});
  const server = createNetServer({ pauseOnConnect: true }, (raw) => {
    clearTimeout(idle);
    // Only the client of the control connection may use its data port.
    const expected = connector.connection.commandSocket.remoteAddress?.replace(/^::ffff:/, "");
    if (raw.remoteAddress?.replace(/^::ffff:/, "") !== expected) {
      raw.destroy();
      return;
    }
    // TLS runs over an EofWatch so an upload can tell close_notify from a bare FIN.
    const watch = new EofWatch(raw);
    const secure = new TLSSocket(watch as unknown as Socket, {
      isServer: true,
      secureContext,
    }) as TLSSocket & { connected?: boolean; eofWatch?: EofWatch };
    watch.upper = secure;
    secure.eofWatch = watch;
    secure.on("error", () => secure.destroy());
    secure.once("close", () => connector.closeServer());
    // Decrypted data stays paused until ftp-srv starts the transfer (it resumes).
    secure.pause();
    secure.connected = true;
    connector.dataSocket = secure;
  });
  server.maxConnections = 1;
  server.on("error", () => {});
  server.once("close", () => connector.end());
  const idle = setTimeout(() => connector.closeServer(), DATA_CONNECT_TIMEOUT_MS);
  idle.unref();
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(port, connector.server.url.hostname ?? undefined, () => {
      server.removeListener("error", fail);
      ok();
    });
  });
  connector.dataServer = server;
  return server;
}

interface AuthConnection {
  commandSocket: Socket;
  secure: boolean;
  server: { options: { tls: import("node:tls").SecureContextOptions | false } };
  reply(code: number): Promise<unknown>;
}

interface FtpCommand {
  directive: string;
  arg: string | null;
  raw: string;
}

/** What the command gate needs of an ftp-srv connection. */
interface GateConnection {
  secure: boolean;
  authenticated?: boolean;
  restByteCount: number | undefined;
  fs?: FileSystem;
  ip?: string;
  commandSocket: Socket;
  connector: { waitForConnection(): PromiseLike<WatchedSocket>; end(): void };
  commands: {
    parse(message: string): FtpCommand;
    handle(command: string | FtpCommand): unknown;
  };
  reply(code: number, message?: string): Promise<unknown>;
  emit(event: string, ...args: unknown[]): boolean;
}

const ACTIVE_MODE_REFUSED =
  "Modo ativo (PORT/EPRT) desativado: use o modo passivo (PASV/EPSV), o padrão do FileZilla, do curl e do lftp.";

/** Commands the drop box never runs, with the reason given to the client. */
const REFUSED_COMMANDS: Record<string, string> = {
  SITE: "O comando SITE está desativado nesta caixa: permissões e ajustes do servidor não podem ser alterados.",
  PORT: ACTIVE_MODE_REFUSED,
  EPRT: ACTIVE_MODE_REFUSED,
  APPE: "APPE não é aceito: envie o arquivo inteiro com STOR.",
  STOU: "STOU não é aceito: envie o arquivo com o nome final, com STOR.",
};

const LOGIN_NEEDS_TLS =
  "Faça AUTH TLS antes do login: esta caixa só aceita FTPS explícito e não recebe usuário nem senha sem criptografia.";

/** The argument exactly as the client sent it (ftp-srv's parsed one has its quotes removed). */
function rawArgument(command: FtpCommand): string {
  return command.raw.replace(/^\s*\S+ ?/, "");
}

export class DropBox {
  private server: FtpSrv | null = null;
  /** Paths being received right now (count of open writers). */
  readonly uploads = new Map<string, number>();

  constructor(private readonly options: DropBoxOptions) {}

  isUploading(path: string): boolean {
    return this.uploads.has(path);
  }

  async start(): Promise<void> {
    const o = this.options;
    patchFtpSrv();
    mkdirSync(o.root, { recursive: true, mode: 0o700 });
    const root = resolve(o.root);
    await this.removeStrayFiles(root);
    const quiet = quietFtpLogger(o.log);
    const signalListeners = new Map(
      (["SIGTERM", "SIGINT", "SIGQUIT"] as const).map((s) => [s, process.listeners(s)]),
    );
    const server = new FtpSrv({
      url: `ftp://${o.host}:${o.port}`,
      pasv_url: o.pasvAddress ?? (o.host === "0.0.0.0" ? "127.0.0.1" : o.host),
      pasv_min: o.pasvMin,
      pasv_max: o.pasvMax,
      tls: { key: readFileSync(o.tls.key), cert: readFileSync(o.tls.cert), minVersion: "TLSv1.2" },
      anonymous: false,
      greeting: "remessa: caixa de entrada de mailings (use FTPS explícito)",
      log: quiet,
      timeout: o.controlIdleMs ?? DEFAULT_CONTROL_IDLE_MS,
    });
    // ftp-srv exits the process on these signals; `serve` stops gracefully itself.
    for (const [signal, before] of signalListeners) {
      for (const listener of process.listeners(signal)) {
        if (!before.includes(listener)) process.removeListener(signal, listener);
      }
    }
    // Caps, login deadline, delays and lockout: ftp-guard.ts.
    const guard = new FtpGuard(o.log, o.guard);
    guard.attach(server);
    // Every command passes the drop box's own rules first (SITE off, login only
    // over TLS, nothing changed in LIDOS/DESCARTADOS, uploads via a hidden name).
    // (ftp-srv's typings omit its "connect" event.)
    const events = server as unknown as {
      on(event: "connect", listener: (data: { connection: unknown }) => void): void;
    };
    events.on("connect", ({ connection }) => {
      const gated = connection as GateConnection;
      const commands = gated.commands;
      const handle = commands.handle.bind(commands);
      commands.handle = (input) => {
        const command = typeof input === "string" ? commands.parse(input) : input;
        return this.gate(gated, command)
          .catch((error: Error) => {
            o.log.warn("drop box command failed", { directive: command.directive, error });
            return gated.reply(451, "Erro no servidor ao executar o comando; tente de novo.");
          })
          .then((answered) => (answered === null ? handle(command) : answered));
      };
    });
    server.on("login", ({ connection, username, password }, accept, refuse) => {
      if (!connection.secure) {
        refuse(
          new Error("Use FTPS explícito (AUTH TLS): conexões sem criptografia não são aceitas."),
        );
        return;
      }
      // Both checks always run: the answer takes as long for a wrong user.
      const userOk = sameSecret(username, o.credentials.user);
      const check = () => o.credentials.verify(password).then((ok) => ok && userOk);
      guard
        .login(connection, username, check, (message) => refuse(new Error(message)))
        .then((outcome) => {
          if (outcome !== "accepted") return;
          const fs = new DropFileSystem(connection, root, this.uploads);
          connection.on("STOR", (error: unknown, serverPath: string) => {
            if (error) return;
            const rel = insideRoot(root, resolve(serverPath));
            if (rel) o.onComplete(rel);
          });
          connection.on("RNTO", (error: unknown, to: string) => {
            if (error) return;
            try {
              const rel = insideRoot(root, fs._resolvePath(to).fsPath);
              if (rel) o.onComplete(rel);
            } catch {
              // A path outside the root was already refused by the rename itself.
            }
          });
          accept({ fs, root, cwd: "/" });
        })
        .catch((error: Error) => refuse(error));
    });
    server.on("client-error", ({ error }) => {
      o.log.debug("drop box client error", { error });
    });
    await server.listen();
    this.server = server;
  }

  /**
   * Runs before ftp-srv's own handling of every command of a connection: the
   * drop box's rules (what may be done where, login only over TLS) and its own
   * upload handler. Returns the reply, or null to let ftp-srv handle it.
   */
  private async gate(connection: GateConnection, command: FtpCommand): Promise<unknown> {
    const directive = command.directive;
    const refused = REFUSED_COMMANDS[directive];
    if (refused) return connection.reply(502, refused);
    if ((directive === "USER" || directive === "PASS") && !connection.secure) {
      return connection.reply(530, LOGIN_NEEDS_TLS);
    }
    const fs = connection.fs;
    if (!connection.authenticated || !(fs instanceof DropFileSystem)) return null;
    const arg = command.arg ?? "";
    let rel: string;
    try {
      rel = fs.relativePath(arg);
    } catch (error) {
      return connection.reply(550, (error as Error).message);
    }
    switch (directive) {
      case "STOR":
        return this.store(connection, fs, command, rel);
      case "RNFR": {
        const place = changePlacement(rel);
        if (!place.ok) return connection.reply(550, place.reason);
        const isFolder = await stat(fs._resolvePath(arg).fsPath).then(
          (info) => info.isDirectory(),
          () => false,
        );
        if (isFolder) {
          return connection.reply(
            550,
            "Renomear pastas não é permitido: crie a pasta nova (MKD) e envie os arquivos para ela.",
          );
        }
        return null;
      }
      case "RNTO": {
        const problem = nameProblem(rawArgument(command));
        if (problem) return connection.reply(553, problem);
        const place = uploadPlacement(rel);
        return place.ok ? null : connection.reply(553, place.reason);
      }
      case "LIST":
      case "NLST": {
        // ftp-srv answers a missing path with 451, a transient error that
        // clients such as lftp retry forever: it is a permanent 550.
        const { fsPath, clientPath } = fs._resolvePath(arg || ".");
        if (
          await stat(fsPath).then(
            () => true,
            () => false,
          )
        )
          return null;
        connection.connector.end();
        return connection.reply(550, clientError({ code: "ENOENT" }, clientPath).message);
      }
      case "DELE": {
        const place = changePlacement(rel);
        return place.ok ? null : connection.reply(550, place.reason);
      }
      case "RMD":
      case "XRMD": {
        const place = folderPlacement(rel);
        return place.ok ? null : connection.reply(550, place.reason);
      }
      case "MKD":
      case "XMKD": {
        const problem = nameProblem(rawArgument(command));
        if (problem) return connection.reply(553, problem);
        const place = folderPlacement(rel);
        return place.ok ? null : connection.reply(550, place.reason);
      }
      default:
        return null;
    }
  }

  /** STOR: received under a hidden name and named only when complete (see dropbox-upload.ts). */
  private async store(
    connection: GateConnection,
    fs: DropFileSystem,
    command: FtpCommand,
    rel: string,
  ): Promise<unknown> {
    const o = this.options;
    const problem = nameProblem(rawArgument(command));
    if (problem) return connection.reply(553, problem);
    if (connection.restByteCount) {
      connection.restByteCount = 0;
      return connection.reply(
        554,
        "Retomar um envio pela metade (REST) não é aceito: envie o arquivo inteiro de novo.",
      );
    }
    const place = uploadPlacement(rel);
    if (!place.ok) return connection.reply(553, place.reason);
    const { fsPath, clientPath } = fs._resolvePath(command.arg ?? "");
    const folder = rel.includes("/") ? rel.slice(0, rel.indexOf("/")) : null;
    const target = await stat(fsPath).catch(() => null);
    if (target?.isDirectory()) return connection.reply(553, `${clientPath} é uma pasta.`);
    if (folder !== null && !(await stat(dirname(fsPath)).catch(() => null))?.isDirectory()) {
      return connection.reply(
        553,
        `A pasta /${folder} não existe: crie-a antes (MKD ${folder}; no curl, --ftp-create-dirs) ou envie para a raiz.`,
      );
    }
    let socket: WatchedSocket;
    try {
      socket = await connection.connector.waitForConnection();
    } catch {
      return connection.reply(
        425,
        "Sem conexão de dados: abra o modo passivo (PASV/EPSV) antes do STOR.",
      );
    }
    const maxBytes = o.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
    connection.commandSocket.pause();
    // The control connection is silent while the file arrives: its idle timer
    // (on the TCP socket under TLS) must not cut a long upload; the data
    // connection has its own (uploadIdleMs).
    const control = [
      connection.commandSocket,
      (connection.commandSocket as Socket & { _parent?: Socket })._parent,
    ].filter((s): s is Socket => s !== undefined);
    for (const socket of control) socket.setTimeout(0);
    fs.uploads.set(rel, (fs.uploads.get(rel) ?? 0) + 1);
    try {
      const outcome = await receiveUpload(
        socket,
        {
          finalPath: fsPath,
          maxBytes,
          idleMs: o.uploadIdleMs ?? DEFAULT_UPLOAD_IDLE_MS,
          requireCloseNotify: connection.secure,
        },
        () => connection.reply(150, `Recebendo ${clientPath}.`),
      ).catch((error: Error) => ({ kind: "write-failed" as const, bytes: 0, error }));
      // The client has ended its side (or is gone): no graceful TLS goodbye is owed.
      socket.destroy();
      if (outcome.kind === "complete") {
        connection.emit("STOR", null, fsPath);
        return await connection.reply(226, `${clientPath} recebido (${outcome.bytes} bytes).`);
      }
      o.log.warn("drop box upload refused", {
        path: rel,
        outcome: outcome.kind,
        bytes: outcome.bytes,
        ip: connection.ip,
      });
      const answer = failureReply(outcome, clientPath, maxBytes);
      return await connection.reply(answer.code, answer.message);
    } finally {
      const left = (fs.uploads.get(rel) ?? 1) - 1;
      if (left <= 0) fs.uploads.delete(rel);
      else fs.uploads.set(rel, left);
      connection.connector.end();
      connection.commandSocket.resume();
      for (const socket of control) socket.setTimeout(o.controlIdleMs ?? DEFAULT_CONTROL_IDLE_MS);
    }
  }

  /**
   * What a crash leaves in the drop folder: hidden upload files (never
   * complete, never to be read) and reports staged but never moved in. A
   * staged report is taken only once it is an hour old: another worker on the
   * same folder may be writing one right now.
   */
  private async removeStrayFiles(root: string): Promise<void> {
    const folders = [root];
    for (const entry of await readdir(root, { withFileTypes: true }).catch(() => [])) {
      if (entry.isDirectory()) folders.push(join(root, entry.name));
    }
    const stray: string[] = [];
    const staleBefore = Date.now() - STAGED_REPORT_MAX_AGE_MS;
    for (const folder of folders) {
      for (const name of await readdir(folder).catch(() => [] as string[])) {
        if (!name.startsWith(UPLOAD_TEMP_PREFIX)) continue;
        const path = join(folder, name);
        if (await this.abandonedUpload(name, path)) stray.push(path);
      }
      for (const processed of [READ_FOLDER, DISCARDED_FOLDER]) {
        const staging = join(folder, processed, REPORT_STAGING);
        for (const name of await readdir(staging).catch(() => [] as string[])) {
          const info = await stat(join(staging, name)).catch(() => null);
          if (info?.isFile() && info.mtimeMs < staleBefore) stray.push(join(staging, name));
        }
      }
    }
    for (const path of stray) {
      await unlink(path).catch(() => {});
      this.options.log.warn("removed a file left by an interrupted upload or report", {
        path: insideRoot(root, path),
      });
    }
  }

  /**
   * Whether a hidden upload file belongs to no live receiver: one of this
   * host's whose process is gone (or is this one, before it received
   * anything: a restart that reused the pid), or, from another host sharing the
   * folder, one untouched for longer than any live upload may stall.
   */
  private async abandonedUpload(name: string, path: string): Promise<boolean> {
    const owner = uploadOwner(name);
    if (owner && owner.host === hostname()) {
      if (owner.pid === process.pid) return true;
      try {
        process.kill(owner.pid, 0);
        // Alive: an upload in progress of another server on this host.
        return false;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EPERM") return false;
        return true;
      }
    }
    const info = await stat(path).catch(() => null);
    const idle = this.options.uploadIdleMs ?? DEFAULT_UPLOAD_IDLE_MS;
    return info !== null && info.mtimeMs < Date.now() - 2 * idle;
  }

  /** The FTPS control port accepts connections (for /readyz). */
  get listening(): boolean {
    const net = (this.server as unknown as { server?: { listening?: boolean } } | null)?.server;
    return net?.listening === true;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await Promise.resolve(server.close()).catch(() => {});
  }
}

/** ftp-srv expects a bunyan-like logger; its chatter goes to our debug level. */
function quietFtpLogger(log: Logger) {
  const make = (): Record<string, unknown> => {
    const at =
      (level: "debug" | "warn") =>
      (...args: unknown[]) => {
        const text = args.find((a) => typeof a === "string");
        if (level === "debug") log.debug(`ftp-srv: ${text ?? ""}`);
        else log.warn(`ftp-srv: ${text ?? ""}`);
      };
    return {
      trace: () => {},
      debug: at("debug"),
      info: at("debug"),
      warn: at("debug"),
      error: at("debug"),
      fatal: at("warn"),
      child: () => make(),
    };
  };
  return make();
}
