import { PassThrough, Readable } from "node:stream";
import type { ConnectionOptions, TLSSocket } from "node:tls";
import { Client, type FileInfo, FTPError } from "basic-ftp";
import { SharedConnection, withTimeout } from "./connection.js";
import {
  fileVanished,
  networkError,
  SourceError,
  systemCode,
  timeoutError,
  UntrustedServerError,
} from "./errors.js";
import { fingerprintMatches, hexFingerprint } from "./fingerprint.js";
import { resolveHost } from "./host-guard.js";
import {
  baseName,
  firstFreeName,
  isPlainName,
  joinRelative,
  normalizeRelative,
  parentOf,
  resolveUnder,
} from "./paths.js";
import type {
  OpenSourceOptions,
  Source,
  SourceConfig,
  SourceEntry,
  WriteContent,
} from "./types.js";

type FtpProtocol = "ftp" | "ftps-explicit" | "ftps-implicit";

export const DEFAULT_PORTS = { ftp: 21, "ftps-explicit": 21, "ftps-implicit": 990, sftp: 22 };

/** Replies servers give when they refuse a login because the connection is not encrypted. */
const TLS_REQUIRED_REPLY = /\b(TLS|SSL|encrypt\w*|cleartext|plain ?FTP)\b/i;

/**
 * FTP, FTPS with AUTH TLS (explicit) and FTPS on a TLS port (implicit), over
 * basic-ftp. Always passive mode (EPSV, then PASV), and data connections only
 * ever go to the address the control connection uses. Over TLS, data
 * connections resume the control connection's TLS session, as vsftpd's
 * require_ssl_reuse=YES demands.
 *
 * Moves and writes never overwrite, but FTP has no "rename unless it exists"
 * command: the free name is found by listing the target folder and then taken
 * with RNFR/RNTO (or STOR). Another client creating the same name between the
 * two steps would be overwritten; remessa only runs one move per file at a
 * time, so the window is the customer's own upload tool writing a same-named
 * file into LIDOS/DESCARTADOS in those milliseconds.
 */
export class FtpSource implements Source {
  readonly protocol: FtpProtocol;
  private readonly connection: SharedConnection<Client>;
  private readonly root: string;
  private readonly port: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly config: SourceConfig & { protocol: FtpProtocol },
    private readonly options: OpenSourceOptions = {},
  ) {
    this.protocol = config.protocol;
    this.root = config.root || "/";
    this.port = config.port ?? DEFAULT_PORTS[config.protocol];
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.connection = new SharedConnection(
      () => this.connect(),
      async (client) => client.close(),
      (client) => !client.closed,
      options.idleMs ?? 30_000,
    );
  }

  private abs(relative: string): string {
    return resolveUnder(this.root, relative);
  }

  private async connect(): Promise<Client> {
    const target = await resolveHost(this.config.host, {
      allowPrivate: this.config.allowPrivate,
      resolver: this.options.resolver,
    });
    const client = new Client(this.timeoutMs);
    // The TLS handshake is checked by hand right after it completes (see
    // verifyServer) so an untrusted certificate can be reported with its
    // fingerprint; nothing, not even the user name, is sent before that.
    const tlsOptions: ConnectionOptions = {
      rejectUnauthorized: false,
      minVersion: "TLSv1.2",
      ...(target.servername ? { servername: target.servername } : {}),
    };
    const steps = async () => {
      try {
        if (this.protocol === "ftps-implicit") {
          await client.connectImplicitTLS(target.address, this.port, tlsOptions);
          this.verifyServer(client);
        } else {
          await client.connect(target.address, this.port);
          if (this.protocol === "ftps-explicit") {
            await this.startTls(client, tlsOptions);
            this.verifyServer(client);
          }
        }
        // Before login, so a user name or password with accents goes out as UTF-8.
        await client.sendIgnoringError("OPTS UTF8 ON");
        await this.login(client);
        await client.useDefaultSettings();
      } catch (error) {
        client.close();
        throw this.connectError(error);
      }
    };
    await withTimeout(steps(), this.timeoutMs, () => {
      client.close();
      return timeoutError(this.config.host, this.port);
    });
    return client;
  }

  private async startTls(client: Client, tlsOptions: ConnectionOptions): Promise<void> {
    try {
      await client.useTLS(tlsOptions);
    } catch (error) {
      if (error instanceof FTPError) {
        throw new SourceError(
          "TLS_NAO_SUPORTADO",
          `O servidor ${this.config.host}:${this.port} não aceita FTPS explícito (respondeu "${error.message}"): confira o protocolo — se ele usa FTPS implícito, escolha ftps-implicit (porta 990); se não tem TLS, ftp.`,
          { cause: error },
        );
      }
      throw error;
    }
  }

  private async login(client: Client): Promise<void> {
    try {
      await client.login(this.config.user, this.config.password);
    } catch (error) {
      if (error instanceof FTPError && error.code >= 400) {
        if (this.protocol === "ftp" && TLS_REQUIRED_REPLY.test(error.message)) {
          throw new SourceError(
            "TLS_EXIGIDO",
            `O servidor ${this.config.host} exige conexão criptografada: troque o protocolo para ftps-explicit (FTPS explícito, porta 21).`,
            { cause: error },
          );
        }
        throw new SourceError(
          "LOGIN_INVALIDO",
          `O servidor ${this.config.host} recusou o usuário ou a senha: confira os dois (maiúsculas e minúsculas contam) e se o usuário está ativo no servidor.`,
          { cause: error },
        );
      }
      throw error;
    }
  }

  /**
   * Trusts the control connection's certificate by pin, by explicit opt-in, or
   * by the CA store (with the host name checked). Data connections are not
   * checked again: they resume this verified TLS session and can only go to
   * the control connection's address.
   */
  private verifyServer(client: Client): void {
    const socket = client.ftp.socket as TLSSocket;
    const certificate = socket.getPeerCertificate();
    const raw = certificate?.raw;
    if (!raw)
      throw new SourceError("TLS_NAO_SUPORTADO", "O servidor não apresentou certificado TLS.");
    const digest = Buffer.from(certificate.fingerprint256.replaceAll(":", ""), "hex");
    const shown = hexFingerprint(digest);
    if (this.config.tlsFingerprint) {
      if (fingerprintMatches(this.config.tlsFingerprint, digest)) return;
      throw new UntrustedServerError(
        shown,
        "a impressão digital não é a cadastrada; o certificado mudou ou a conexão foi interceptada",
        "certificate",
      );
    }
    if (this.config.tlsInsecure) return;
    if (socket.authorized) return;
    throw new UntrustedServerError(
      shown,
      describeTlsProblem(socket.authorizationError),
      "certificate",
    );
  }

  private connectError(error: unknown): unknown {
    if (error instanceof SourceError) return error;
    const mapped = networkError(error, this.config.host, this.port);
    if (mapped) return mapped;
    const code = systemCode(error) ?? "";
    if (code.startsWith("ERR_SSL") || /wrong version number|handshake/i.test(String(error))) {
      return new SourceError(
        "TLS_NAO_SUPORTADO",
        `A negociação TLS com ${this.config.host}:${this.port} falhou: confira se o servidor usa FTPS implícito (porta 990) ou explícito (porta 21) e escolha o protocolo certo.`,
        { cause: error },
      );
    }
    if (/timeout/i.test(String(error))) return timeoutError(this.config.host, this.port, error);
    if (error instanceof FTPError) return serverError(error, "");
    return error;
  }

  /** Runs an operation, translating stray errors into SourceErrors. */
  private run<R>(operation: (client: Client) => Promise<R>): Promise<R> {
    return this.connection.run(async (client) => {
      try {
        return await operation(client);
      } catch (error) {
        throw this.operationError(error);
      }
    });
  }

  private operationError(error: unknown): unknown {
    if (error instanceof SourceError) return error;
    if (error instanceof FTPError) return serverError(error, "");
    if (/timeout/i.test(String(error))) return timeoutError(this.config.host, this.port, error);
    return networkError(error, this.config.host, this.port) ?? error;
  }

  private async listAbsolute(client: Client, folder: string): Promise<SourceEntry[] | null> {
    try {
      // CWD + bare LIST rather than "LIST <path>": servers read a path with
      // spaces or a leading "-" in LIST's argument as options.
      await client.cd(this.abs(folder));
    } catch (error) {
      if (error instanceof FTPError && error.code >= 500) return null;
      throw error;
    }
    const infos = await client.list();
    return infos.flatMap((info) => toEntry(info, folder));
  }

  async list(folder: string): Promise<SourceEntry[]> {
    const rel = normalizeRelative(folder);
    return this.run(async (client) => {
      const entries = await this.listAbsolute(client, rel);
      if (entries === null) throw missingFolder(rel);
      return entries;
    });
  }

  /** FTP has no portable "stat" (MLST is optional): the parent folder is listed. */
  async stat(path: string): Promise<SourceEntry | null> {
    const rel = normalizeRelative(path);
    return this.run((client) => this.statWith(client, rel));
  }

  private async statWith(client: Client, rel: string): Promise<SourceEntry | null> {
    if (rel === "") {
      const entries = await this.listAbsolute(client, "");
      return entries === null ? null : rootEntry();
    }
    const siblings = await this.listAbsolute(client, parentOf(rel));
    return siblings?.find((entry) => entry.name === baseName(rel)) ?? null;
  }

  async read(path: string): Promise<Readable> {
    const rel = normalizeRelative(path);
    const lease = await this.connection.acquire();
    const client = lease.connection;
    try {
      const entry = await this.statWith(client, rel);
      if (!entry || entry.isFolder) throw fileVanished(rel);
    } catch (error) {
      lease.release();
      throw this.operationError(error);
    }
    const output = new PassThrough({ highWaterMark: 256 * 1024 });
    let finished = false;
    output.on("close", () => {
      // The reader gave up half-way: the only way to stop an FTP download is
      // to drop the connection; the next operation opens a new one.
      // (A reader that got everything may close before the server's final
      // "226 Transfer complete" arrives; that is not giving up.)
      if (!finished && !output.readableEnded) client.close();
    });
    client.downloadTo(output, this.abs(rel)).then(
      () => {
        finished = true;
        lease.release();
      },
      (error: unknown) => {
        finished = true;
        lease.release(true);
        output.destroy(this.operationError(error) as Error);
      },
    );
    return output;
  }

  async mkdir(folder: string): Promise<void> {
    const rel = normalizeRelative(folder);
    await this.run((client) => this.mkdirWith(client, rel));
  }

  private async mkdirWith(client: Client, rel: string): Promise<void> {
    if (rel === "") return;
    let current = "";
    for (const part of rel.split("/")) {
      current = joinRelative(current, part);
      const abs = this.abs(current);
      const reply = await client.sendIgnoringError(`MKD ${abs}`);
      if (reply.code < 400) continue;
      // MKD failed: fine if it already exists as a folder.
      const existing = await this.listAbsolute(client, current);
      if (existing !== null) continue;
      throw new SourceError(
        "SEM_PERMISSAO",
        `Sem permissão para criar a pasta "${current}" no servidor (respondeu "${reply.message}"): dê ao usuário do FTP permissão de escrita na pasta raiz.`,
      );
    }
  }

  async move(from: string, toFolder: string, newName?: string): Promise<string> {
    const source = normalizeRelative(from);
    const folder = normalizeRelative(toFolder);
    return this.run(async (client) => {
      const entry = await this.statWith(client, source);
      if (!entry || entry.isFolder) throw fileVanished(source);
      await this.mkdirWith(client, folder);
      const taken = new Set((await this.listAbsolute(client, folder))?.map((e) => e.name) ?? []);
      const target = joinRelative(folder, firstFreeName(newName ?? baseName(source), taken));
      try {
        await client.rename(this.abs(source), this.abs(target));
      } catch (error) {
        if (error instanceof FTPError && (await this.statWith(client, source)) === null) {
          throw fileVanished(source);
        }
        if (error instanceof FTPError) throw serverError(error, source);
        throw error;
      }
      return target;
    });
  }

  async write(path: string, content: WriteContent): Promise<string> {
    const rel = normalizeRelative(path);
    const folder = parentOf(rel);
    return this.run(async (client) => {
      await this.mkdirWith(client, folder);
      const taken = new Set((await this.listAbsolute(client, folder))?.map((e) => e.name) ?? []);
      const target = joinRelative(folder, firstFreeName(baseName(rel), taken));
      const body =
        typeof content === "string" || content instanceof Uint8Array
          ? Readable.from([Buffer.from(content)])
          : Readable.from(content);
      try {
        await client.uploadFrom(body, this.abs(target));
      } catch (error) {
        if (error instanceof FTPError) throw serverError(error, target);
        throw error;
      }
      return target;
    });
  }

  async remove(path: string): Promise<boolean> {
    const rel = normalizeRelative(path);
    return this.run(async (client) => {
      const entry = await this.statWith(client, rel);
      if (!entry) return false;
      if (entry.isFolder) throw fileVanished(rel);
      try {
        await client.remove(this.abs(rel));
        return true;
      } catch (error) {
        // Gone in between (another client): the same as not there.
        if (error instanceof FTPError && (await this.statWith(client, rel)) === null) return false;
        if (error instanceof FTPError) throw serverError(error, rel);
        throw error;
      }
    });
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}

function toEntry(info: FileInfo, folder: string): SourceEntry[] {
  if (!isPlainName(info.name)) return [];
  // Symbolic links are left out, as on local sources: they may point anywhere.
  if (!info.isDirectory && !info.isFile) return [];
  return [
    {
      name: info.name,
      path: joinRelative(folder, info.name),
      isFolder: info.isDirectory,
      size: info.isDirectory ? 0 : info.size,
      modifiedAt: info.modifiedAt ?? null,
    },
  ];
}

export function rootEntry(): SourceEntry {
  return { name: "", path: "", isFolder: true, size: 0, modifiedAt: null };
}

function missingFolder(rel: string): SourceError {
  return rel === ""
    ? new SourceError(
        "RAIZ_INEXISTENTE",
        "A pasta raiz configurada não existe no servidor (ou o usuário não pode abri-la): corrija a pasta raiz ou crie a pasta no servidor.",
      )
    : new SourceError("ARQUIVO_INEXISTENTE", `A pasta "${rel}" não existe no servidor.`);
}

function serverError(error: FTPError, rel: string): SourceError {
  const what = rel ? `"${rel}"` : "a operação";
  if (error.code === 550 || error.code === 553 || error.code === 532 || error.code === 450) {
    return new SourceError(
      "SEM_PERMISSAO",
      `O servidor recusou ${what} (respondeu "${error.code} ${error.message}"): confira as permissões do usuário do FTP nessa pasta.`,
      { cause: error },
    );
  }
  return new SourceError(
    "ERRO_SERVIDOR",
    `O servidor FTP recusou ${what} (respondeu "${error.code} ${error.message}").`,
    { cause: error },
  );
}

export function describeTlsProblem(error: Error | null | undefined): string {
  const code = systemCode(error) ?? String(error ?? "");
  if (/SELF_SIGNED|SELF-SIGNED/i.test(code)) return "certificado autoassinado";
  if (/EXPIRED/i.test(code)) return "certificado vencido";
  if (/ALTNAME|hostname|Host:/i.test(code)) return "o certificado é de outro nome de servidor";
  if (/UNABLE_TO|ISSUER/i.test(code)) return "emitido por uma autoridade desconhecida";
  return `verificação falhou: ${code}`;
}
