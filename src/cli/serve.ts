/**
 * `remessa serve`: everything in one process — migrations, the ingest loop
 * over every configured source, the embedded FTPS drop box and a small HTTP
 * endpoint with /health and /ready (the API and web UI are not served yet).
 * SIGTERM/SIGINT stop gracefully: no new work is taken, the current step
 * finishes (or its lease is released after a grace period).
 */
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { sql } from "kysely";
import { dataDir as defaultDataDir } from "../config.js";
import { DropBox, ensureCertificate, loadCredentials } from "../ingest/dropbox.js";
import { guardLimitsFromEnv } from "../ingest/ftp-guard.js";
import { IngestService } from "../ingest/service.js";
import { createLogger } from "../log.js";
import type { Store } from "../store/db.js";
import { createSource, listSources, updateSource } from "../store/sources.js";
import { DEFAULT_TENANT_ID } from "../store/tenants.js";
import { openStoreForCommand } from "./store.js";

const HELP = `Uso: remessa serve [--data-dir PASTA] [--http-port N] [--ftp-port N] [--ftp-host H] [--ftp-pasv-ports MIN-MAX]

Roda o remessa completo: lê as origens FTP/FTPS/SFTP cadastradas, importa os
mailings e move cada arquivo para LIDOS ou DESCARTADOS com o relatório.

  --data-dir PASTA        pasta de dados (banco SQLite, chave, cópias dos arquivos,
                          caixa FTP em PASTA/drop). Padrão: REMESSA_DATA_DIR ou ./data
  --http-port N           porta HTTP de /health e /ready (padrão 8080; 0 desativa)
  --ftp-port N            porta da caixa FTPS embutida (padrão 2121; 0 desativa)
  --ftp-host H            endereço da caixa FTPS (padrão 127.0.0.1; 0.0.0.0 para a rede)
  --ftp-pasv-ports A-B    portas do modo passivo (padrão 50000-50100)

Banco: DATABASE_URL (padrão sqlite na pasta de dados). Usuário e senha da caixa
FTPS: REMESSA_FTP_USER e REMESSA_FTP_PASSWORD; sem elas, são gerados na primeira
execução, guardados em PASTA/ftp-credentials.json (a senha só como hash) e mostrados uma vez.`;

const DROP_SOURCE_NAME = "caixa-ftp";

function parsePort(text: string | undefined, fallback: number, what: string): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new Error(`${what} inválida: "${text}". Use um número de 0 a 65535.`);
  }
  return n;
}

function parseRange(text: string | undefined): [number, number] {
  if (text === undefined) return [50000, 50100];
  const match = /^(\d+)-(\d+)$/.exec(text);
  const min = Number(match?.[1]);
  const max = Number(match?.[2]);
  if (!match || min < 1024 || max > 65535 || min > max) {
    throw new Error(
      `--ftp-pasv-ports inválido: "${text}". Use MIN-MAX entre 1024 e 65535, ex.: 50000-50100.`,
    );
  }
  return [min, max];
}

/** The default tenant's drop folder as a `local` source (created or pointed at this data dir). */
async function ensureDropSource(store: Store, root: string): Promise<number> {
  const existing = (await listSources(store.db, DEFAULT_TENANT_ID)).find(
    (s) => s.name === DROP_SOURCE_NAME,
  );
  if (existing) {
    if (existing.root !== root || existing.protocol !== "local" || !existing.enabled) {
      await updateSource(store.db, DEFAULT_TENANT_ID, existing.id, {
        protocol: "local",
        root,
        enabled: true,
      });
    }
    return existing.id;
  }
  const created = await createSource(store.db, DEFAULT_TENANT_ID, {
    name: DROP_SOURCE_NAME,
    protocol: "local",
    host: "",
    port: null,
    user: "",
    password: "",
    root,
    allowPrivate: true,
    tlsFingerprint: null,
    tlsInsecure: false,
    intervalSeconds: 5,
    stabilitySeconds: 10,
  });
  return created.id;
}

export async function run(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        "data-dir": { type: "string" },
        "http-port": { type: "string" },
        "ftp-port": { type: "string" },
        "ftp-host": { type: "string" },
        "ftp-pasv-ports": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  let httpPort: number;
  let ftpPort: number;
  let pasv: [number, number];
  try {
    httpPort = parsePort(values["http-port"] as string | undefined, 8080, "--http-port");
    ftpPort = parsePort(values["ftp-port"] as string | undefined, 2121, "--ftp-port");
    pasv = parseRange(values["ftp-pasv-ports"] as string | undefined);
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  const ftpHost = (values["ftp-host"] as string | undefined) ?? "127.0.0.1";
  const dir = resolve((values["data-dir"] as string | undefined) ?? defaultDataDir());
  // Everything else (database default, secret key file) reads the data dir from here.
  process.env.REMESSA_DATA_DIR = dir;
  const log = createLogger({ service: "remessa" });

  const store = await openStoreForCommand();
  if (store === null) return 1;

  const leaseSeconds = Number(process.env.REMESSA_LEASE_SECONDS ?? "60");
  const service = new IngestService({
    store,
    filesDir: join(dir, "files"),
    log,
    leaseMs: (Number.isFinite(leaseSeconds) && leaseSeconds > 0 ? leaseSeconds : 60) * 1000,
    crashAt: process.env.REMESSA_TEST_CRASH_AT || null,
  });

  let dropBox: DropBox | null = null;
  if (ftpPort !== 0) {
    try {
      const dropRoot = join(dir, "drop");
      const sourceId = await ensureDropSource(store, dropRoot);
      const tls = await ensureCertificate(dir, ftpHost);
      const credentials = loadCredentials(dir);
      dropBox = new DropBox({
        root: dropRoot,
        host: ftpHost,
        port: ftpPort,
        pasvMin: pasv[0],
        pasvMax: pasv[1],
        credentials,
        tls,
        log,
        guard: guardLimitsFromEnv(),
        onComplete: (path) => service.notifyUploadComplete(sourceId, path),
      });
      const box = dropBox;
      service.attachSignals(sourceId, {
        completed: new Set(),
        isUploading: (path) => box.isUploading(path),
      });
      await dropBox.start();
      // Only now that the box listens: a failed start leaves no unseen password behind.
      credentials.persist();
      const fingerprint = new X509Certificate(readFileSync(tls.cert)).fingerprint256;
      console.log(
        `Caixa FTPS em ftp://${ftpHost}:${ftpPort} (TLS explícito obrigatório), pasta ${dropRoot}`,
      );
      console.log(`  usuário: ${credentials.user}`);
      if (credentials.generatedPassword) {
        console.log(
          `  senha: ${credentials.generatedPassword}  (gerada agora; ${credentials.file} guarda só um hash dela, ela não será mostrada de novo)`,
        );
      }
      console.log(`  certificado SHA-256: ${fingerprint}`);
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      console.error(
        e.code === "EADDRINUSE"
          ? `A porta ${ftpPort} da caixa FTPS já está em uso. Escolha outra com --ftp-port ou desative com --ftp-port 0.`
          : `Não foi possível iniciar a caixa FTPS: ${e.message}`,
      );
      await dropBox?.stop();
      await store.close();
      return 1;
    }
  }

  service.start();

  let http: Server | null = null;
  let stopping = false;
  if (httpPort !== 0) {
    http = createServer((req, res) => {
      const send = (status: number, body: object) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      if (req.url === "/health") return send(200, { status: "ok" });
      if (req.url === "/ready") {
        if (stopping) return send(503, { status: "stopping" });
        sql`select 1`
          .execute(store.db)
          .then(() => send(200, { status: "ready" }))
          .catch(() => send(503, { status: "database unavailable" }));
        return;
      }
      send(404, { error: "not found" });
    });
    try {
      await new Promise<void>((ok, fail) => {
        http?.once("error", fail);
        http?.listen(httpPort, "127.0.0.1", () => ok());
      });
      console.log(`HTTP em http://127.0.0.1:${httpPort} (/health, /ready)`);
    } catch (error) {
      console.error(
        `Não foi possível abrir a porta HTTP ${httpPort}: ${(error as Error).message}. Escolha outra com --http-port ou 0 para desativar.`,
      );
      http = null;
    }
  }
  console.log(`remessa em execução (dados em ${dir}). Ctrl+C para parar.`);
  log.info("serve started", { dataDir: dir, database: store.dialect, owner: service.owner });

  await new Promise<void>((done) => {
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info("stopping", { signal });
      void (async () => {
        await dropBox?.stop();
        await service.stop();
        await new Promise<void>((ok) => (http ? http.close(() => ok()) : ok()));
        await store.close();
        done();
      })();
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
  console.log("remessa parado.");
  // Everything is closed; a library handle that lingers (ftp-srv keeps some)
  // must not keep the process alive after a stop was asked for.
  setTimeout(() => process.exit(0), 2000).unref();
  return 0;
}
