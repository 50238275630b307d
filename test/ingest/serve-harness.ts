/**
 * Runs `bin/remessa serve` as a child process for end-to-end tests, and
 * uploads to its drop box with the real `curl` and `lftp` clients.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { openMigrated, type Store } from "../../src/store/db.js";
import { waitFor } from "./helpers.js";

const ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(ROOT, "bin/remessa");
const run = promisify(execFile);

export const FTP_USER = "caixa";
export const FTP_PASSWORD = "Senha-da-caixa-1";

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", () => ok()));
  const address = server.address();
  await new Promise<void>((ok) => server.close(() => ok()));
  if (!address || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** A passive range unlikely to collide with another test process's. */
function pasvRange(): string {
  const base = 42000 + Math.floor(Math.random() * 900) * 20;
  return `${base}-${base + 19}`;
}

export interface ServeProcess {
  child: ChildProcess;
  dataDir: string;
  ftpPort: number;
  /** 0 unless started with `http: true`. */
  httpPort: number;
  drop: string;
  output(): string;
  /** Resolves with the exit code or signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
}

export function newDataDir(): string {
  return mkdtempSync(join(tmpdir(), "remessa-serve-"));
}

export async function startServe(
  options: {
    dataDir?: string;
    env?: Record<string, string>;
    ftp?: boolean;
    ready?: boolean;
    /** Serve /health and /ready on a free port (see `httpPort` of the result). */
    http?: boolean;
    ftpPort?: number;
    /** More arguments for `serve` (e.g. `--role dispatch`). */
    args?: string[];
  } = {},
): Promise<ServeProcess> {
  const dataDir = options.dataDir ?? newDataDir();
  const ftpPort = options.ftp === false ? 0 : (options.ftpPort ?? (await freePort()));
  const httpPort = options.http ? await freePort() : 0;
  const child = spawn(
    process.execPath,
    [
      BIN,
      "serve",
      "--data-dir",
      dataDir,
      "--http-port",
      String(httpPort),
      "--ftp-port",
      String(ftpPort),
      "--ftp-pasv-ports",
      pasvRange(),
      ...(options.args ?? []),
    ],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        REMESSA_FTP_USER: FTP_USER,
        REMESSA_FTP_PASSWORD: FTP_PASSWORD,
        REMESSA_LOG_LEVEL: process.env.REMESSA_LOG_LEVEL ?? "warn",
        ...options.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok) =>
    child.once("exit", (code, signal) => ok({ code, signal })),
  );
  let done = false;
  void exited.then(() => {
    done = true;
  });
  if (options.ready !== false) {
    await waitFor(
      "serve to start",
      () => {
        if (done) throw new Error(`serve exited early:\n${out}`);
        return out.includes("remessa em execução");
      },
      60_000,
    );
  }
  return {
    child,
    dataDir,
    ftpPort,
    httpPort,
    drop: join(dataDir, "drop"),
    output: () => out,
    exited,
    async stop() {
      if (!done) child.kill("SIGTERM");
      await exited;
    },
  };
}

/** Opens the serve process's SQLite database from the test (WAL: safe alongside it). */
export function openServeStore(dataDir: string): Promise<Store> {
  return openMigrated(`sqlite:${join(dataDir, "remessa.db")}`);
}

/** Uploads a local file with curl over explicit FTPS (AUTH TLS required). */
export async function curlUpload(
  port: number,
  localFile: string,
  remotePath: string,
  extra: string[] = [],
): Promise<void> {
  await run(
    "curl",
    [
      "--silent",
      "--show-error",
      "--ssl-reqd",
      "--insecure",
      "--ftp-create-dirs",
      "--user",
      `${FTP_USER}:${FTP_PASSWORD}`,
      "-T",
      localFile,
      ...extra,
      `ftp://127.0.0.1:${port}/${remotePath.split("/").map(encodeURIComponent).join("/")}`,
    ],
    { timeout: 120_000 },
  );
}

/** Runs lftp commands against the drop box over explicit FTPS. */
export async function lftp(port: number, commands: string): Promise<string> {
  const script = [
    "set ftp:ssl-force true",
    "set ftp:ssl-protect-data true",
    "set ssl:verify-certificate no",
    "set net:max-retries 2",
    "set net:timeout 20",
    `open -u ${FTP_USER},${FTP_PASSWORD} -p ${port} 127.0.0.1`,
    commands,
  ].join("; ");
  const { stdout } = await run("lftp", ["-c", script], { timeout: 120_000 });
  return stdout;
}
