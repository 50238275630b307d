/**
 * Real servers for the source tests: in-process ftp-srv (plain, explicit and
 * implicit TLS, with a self-signed certificate made by openssl at test start)
 * and the system vsftpd / OpenSSH started by scripts/test-servers.sh.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chown, mkdir, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileSystem, FtpSrv } from "ftp-srv";
import type { SourceConfig, SourceProtocol } from "../../src/sources/types.js";

export async function tempDir(prefix = "remessa-sources-"): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export interface TestCertificate {
  key: string;
  cert: string;
  /** "AB:CD:..." as openssl prints it. */
  fingerprint: string;
}

let certificate: Promise<TestCertificate> | null = null;

/** A self-signed certificate for 127.0.0.1 / localhost, made once per test process. */
export function selfSignedCertificate(): Promise<TestCertificate> {
  certificate ??= (async () => {
    const dir = await tempDir("remessa-cert-");
    const keyPath = join(dir, "key.pem");
    const certPath = join(dir, "cert.pem");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
        "-keyout",
        keyPath,
        "-out",
        certPath,
      ],
      { stdio: "ignore" },
    );
    const fingerprint =
      execFileSync("openssl", ["x509", "-in", certPath, "-noout", "-fingerprint", "-sha256"])
        .toString()
        .trim()
        .split("=")[1] ?? "";
    const result = {
      key: await readFile(keyPath, "utf8"),
      cert: await readFile(certPath, "utf8"),
      fingerprint,
    };
    await rm(dir, { recursive: true, force: true });
    return result;
  })();
  return certificate;
}

const silentLog = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  fatal() {},
  child() {
    return silentLog;
  },
};

/** A file system that refuses every change, as a read-only account would. */
class ReadOnlyFileSystem extends FileSystem {
  private refuse(): never {
    const error = new Error("Permission denied") as Error & { code: string };
    error.code = "EACCES";
    throw error;
  }
  override mkdir(): never {
    return this.refuse();
  }
  override write(): never {
    return this.refuse();
  }
  override rename(): never {
    return this.refuse();
  }
  override delete(): never {
    return this.refuse();
  }
}

export type FtpSrvMode = "plain" | "explicit" | "implicit";

export interface RunningFtpSrv {
  port: number;
  protocol: SourceProtocol;
  logins: number;
  server: FtpSrv;
  close(): Promise<void>;
}

export const FTP_USER = "operador";
export const FTP_PASSWORD = "Senha-çã 1";

/**
 * ftp-srv on 127.0.0.1, an ephemeral port, passive ports on loopback. The
 * login's root is the given directory; `requireTls` refuses plain logins the
 * way FileZilla Server does; `readOnly` refuses every change.
 */
export async function startFtpSrv(
  mode: FtpSrvMode,
  root: string,
  options: { readOnly?: boolean; requireTls?: boolean } = {},
): Promise<RunningFtpSrv> {
  const tls = mode === "plain" ? false : await selfSignedCertificate();
  const server = new FtpSrv({
    url: `${mode === "implicit" ? "ftps" : "ftp"}://127.0.0.1:0`,
    pasv_url: "127.0.0.1",
    pasv_min: 41000,
    pasv_max: 41999,
    tls: tls ? { key: tls.key, cert: tls.cert } : false,
    anonymous: false,
    greeting: ["remessa test server"],
    // biome-ignore lint/suspicious/noExplicitAny: ftp-srv's types want a bunyan logger
    log: silentLog as any,
  });
  const running: RunningFtpSrv = {
    port: 0,
    protocol: mode === "plain" ? "ftp" : mode === "explicit" ? "ftps-explicit" : "ftps-implicit",
    logins: 0,
    server,
    close: () => server.close(),
  };
  server.on("login", ({ connection, username, password }, resolve, reject) => {
    if (options.requireTls && !connection.secure) {
      reject(new Error("This server does not allow plain FTP. You have to use FTP over TLS."));
      return;
    }
    if (username !== FTP_USER || password !== FTP_PASSWORD) {
      reject(new Error("Login incorrect."));
      return;
    }
    running.logins++;
    resolve(
      options.readOnly
        ? { root, fs: new ReadOnlyFileSystem(connection, { root, cwd: "/" }) }
        : { root },
    );
  });
  await server.listen();
  // biome-ignore lint/suspicious/noExplicitAny: the listening net.Server is not in ftp-srv's types
  running.port = ((server as any).server.address() as AddressInfo).port;
  return running;
}

export function ftpSrvConfig(
  running: RunningFtpSrv,
  overrides: Partial<SourceConfig> = {},
): SourceConfig {
  return {
    protocol: running.protocol,
    host: "127.0.0.1",
    port: running.port,
    user: FTP_USER,
    password: FTP_PASSWORD,
    root: "/",
    allowPrivate: true,
    tlsFingerprint: null,
    tlsInsecure: running.protocol !== "ftp",
    ...overrides,
  };
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** System servers from scripts/test-servers.sh (full mode). */
export interface SystemServers {
  host: string;
  ftpPort: number;
  ftpsImplicitPort: number;
  sftpPort: number;
  user: string;
  password: string;
  home: string;
  readOnly: string;
  certSha256: string;
  hostKeySha256: string;
}

export async function systemServers(): Promise<SystemServers> {
  const path = process.env.REMESSA_TEST_SERVERS_ENV ?? "/tmp/remessa-test-servers.env";
  const text = await readFile(path, "utf8").catch(() => {
    throw new Error(
      `${path} não existe: rode "scripts/test-servers.sh start" antes dos testes completos`,
    );
  });
  const env = new Map(
    text
      .split("\n")
      .filter((line) => line.includes("="))
      .map(
        (line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)] as const,
      ),
  );
  const get = (key: string) => {
    const value = env.get(key);
    if (value === undefined) throw new Error(`${key} ausente em ${path}`);
    return value;
  };
  return {
    host: get("REMESSA_TEST_FTP_HOST"),
    ftpPort: Number(get("REMESSA_TEST_FTP_PORT")),
    ftpsImplicitPort: Number(get("REMESSA_TEST_FTPS_IMPLICIT_PORT")),
    sftpPort: Number(get("REMESSA_TEST_SFTP_PORT")),
    user: get("REMESSA_TEST_FTP_USER"),
    password: get("REMESSA_TEST_FTP_PASSWORD"),
    home: get("REMESSA_TEST_FTP_HOME"),
    readOnly: get("REMESSA_TEST_FTP_READONLY"),
    certSha256: get("REMESSA_TEST_FTP_CERT_SHA256"),
    hostKeySha256: get("REMESSA_TEST_SFTP_HOSTKEY_SHA256"),
  };
}

/** A fresh folder in the test user's home, owned by that user; returns its absolute path. */
export async function userFolder(servers: SystemServers): Promise<string> {
  const path = join(servers.home, `t-${randomBytes(6).toString("hex")}`);
  await mkdir(path);
  const owner = await stat(servers.home);
  await chown(path, owner.uid, owner.gid);
  return path;
}

export function systemConfig(
  servers: SystemServers,
  protocol: "ftps-explicit" | "ftps-implicit" | "sftp" | "ftp",
  overrides: Partial<SourceConfig> = {},
): SourceConfig {
  return {
    protocol,
    host: servers.host,
    port:
      protocol === "sftp"
        ? servers.sftpPort
        : protocol === "ftps-implicit"
          ? servers.ftpsImplicitPort
          : servers.ftpPort,
    user: servers.user,
    password: servers.password,
    root: servers.home,
    allowPrivate: true,
    tlsFingerprint: protocol === "sftp" ? servers.hostKeySha256 : servers.certSha256,
    tlsInsecure: false,
    ...overrides,
  };
}
