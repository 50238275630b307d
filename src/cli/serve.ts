/**
 * `remessa serve`: everything in one process — migrations, the ingest loop
 * over every configured source, the embedded FTPS drop box and a small HTTP
 * endpoint: the HTTP API (src/api) with /healthz and /readyz (and their old
 * names /health and /ready).
 * SIGTERM/SIGINT stop gracefully: no new work is taken, the current step
 * finishes (or its lease is released after a grace period).
 */

import { X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { FastifyInstance } from "fastify";
import { apiOptionsFromEnv, buildApi } from "../api/app.js";
import { adminKeyDigest } from "../api/auth.js";
import { consoleDir } from "../api/console.js";
import type { DropBoxInfo } from "../api/routes/dropbox.js";
import { metricsKeyDigest } from "../api/routes/metrics.js";
import { type DispatchService, startDispatch } from "../campaigns/dispatch-service.js";
import { startReturnFiles } from "../campaigns/return-files.js";
import { dataDir as defaultDataDir } from "../config.js";
import { DropBox, ensureCertificate, loadCredentials } from "../ingest/dropbox.js";
import { guardLimitsFromEnv } from "../ingest/ftp-guard.js";
import { IngestService } from "../ingest/service.js";
import { createLogger } from "../log.js";
import { notifyPolicyFromEnv } from "../notifications/settings.js";
import { NotificationWorker } from "../notifications/worker.js";
import { createPrometheus } from "../ops/prometheus.js";
import { serveReadiness } from "../ops/readiness.js";
import { scheduleRetention } from "../privacy/retention.js";
import { localSourceConfig } from "../sources/local.js";
import type { Store } from "../store/db.js";
import { ownerOnlyUmask, secureDataDir } from "../store/permissions.js";
import {
  createSource,
  DROP_SOURCE_NAME,
  isDropSourceName,
  listSources,
  updateSource,
} from "../store/sources.js";
import { DEFAULT_TENANT_ID, ValidationError } from "../store/tenants.js";
import { describeArgsError } from "./args.js";
import { openStoreForCommand } from "./store.js";

const HELP = `Uso: remessa serve [--role all|ingest|dispatch] [--data-dir PASTA] [--http-port N] [--ftp-port N] [--ftp-host H] [--ftp-pasv-ports MIN-MAX]

Roda o remessa completo: lê as origens FTP/FTPS/SFTP cadastradas, importa os
mailings, move cada arquivo para LIDOS ou DESCARTADOS com o relatório e envia
as mensagens das campanhas.

  --role PAPEL            o que este processo faz (padrão all):
                            all       tudo: caixa FTPS, importação e envio das campanhas
                            ingest    só a caixa FTPS e a importação (sem envio)
                            dispatch  só o envio das campanhas (sem caixa FTPS nem importação)
                          Vários processos podem dividir o trabalho num mesmo PostgreSQL.

  --data-dir PASTA        pasta de dados (banco SQLite, chave, cópias dos arquivos,
                          caixa FTP em PASTA/drop). Padrão: REMESSA_DATA_DIR ou ./data
  --http-port N           porta HTTP da API e de /healthz e /readyz (padrão 8080; 0 desativa)
  --ftp-port N            porta da caixa FTPS embutida (padrão 2121; 0 desativa)
  --ftp-host H            endereço da caixa FTPS (padrão 127.0.0.1; 0.0.0.0 para a rede)
  --ftp-pasv-ports A-B    portas do modo passivo (padrão 50000-50100)

Banco: DATABASE_URL (padrão sqlite na pasta de dados). Usuário e senha da caixa
FTPS: REMESSA_FTP_USER e REMESSA_FTP_PASSWORD; sem elas, são gerados na primeira
execução, guardados em PASTA/ftp-credentials.json (a senha só como hash) e mostrados uma vez.
Uma senha definida precisa ter ao menos 12 caracteres de mais de um tipo.

Limites (variáveis de ambiente; o README explica cada um):
  REMESSA_MAX_FILE_BYTES              tamanho máximo de um arquivo (padrão 1 GiB)
  REMESSA_FTP_MAX_CONNECTIONS         conexões FTP ao mesmo tempo (padrão 200)
  REMESSA_FTP_MAX_CONNECTIONS_PER_IP  por endereço (padrão 20)
  REMESSA_FTP_LOGIN_TIMEOUT_MS        prazo para o login após conectar (padrão 30 s)
  REMESSA_FTP_IDLE_TIMEOUT_MS         conexão sem comandos é fechada (padrão 10 min;
                                      não conta enquanto um arquivo chega)
  REMESSA_FTP_LOCKOUT_FAILURES, REMESSA_FTP_LOCKOUT_MS, REMESSA_FTP_FAILURE_DELAY_MS
                                      bloqueio de um endereço após senhas erradas
  REMESSA_READY_STUCK_SECONDS         /ready responde 503 com um arquivo parado há mais
                                      que isso numa etapa (padrão 1800)

API HTTP (docs/api.md):
  REMESSA_HTTP_HOST                   endereço da porta HTTP (padrão 127.0.0.1)
  REMESSA_ADMIN_KEY                   chave de administrador (rotas de empresas), 32+ caracteres
  REMESSA_METRICS_KEY                 chave que abre só /metrics (Prometheus), 32+ caracteres
  REMESSA_API_RATE, REMESSA_API_BURST requisições por segundo e rajada por chave (padrão 10 e 60)
  REMESSA_API_ALLOW_PRIVATE=1         aceita origens em rede interna cadastradas pela API

Logs (JSON, uma linha por evento, no stderr; legíveis num terminal):
  REMESSA_LOG_LEVEL                   debug, info (padrão), warn, error ou silent
  REMESSA_LOG_FORMAT                  json ou pretty (padrão: pretty só num terminal)
  REMESSA_LOG_PROGRESS_SECONDS        intervalo das linhas de progresso de uma importação (padrão 5)

Notificações (docs/notificacoes.md):
  REMESSA_NOTIFY_SMTP_URL             servidor SMTP dos e-mails de aviso (padrão: a conta
                                      padrão da plataforma); REMESSA_NOTIFY_FROM, o remetente
  REMESSA_NOTIFY_ALLOW_HTTP=1         aceita webhooks http:// (só para testes)
  REMESSA_NOTIFY_ALLOW_PRIVATE=1      aceita webhooks em rede interna (só para testes)`;

/** /ready answers 503 when a file has been this long in one step (REMESSA_READY_STUCK_SECONDS). */
const DEFAULT_STUCK_SECONDS = 30 * 60;

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

/** `{ [key]: n }` when the environment variable holds a positive integer, else `{}` (the default applies). */
function positiveEnv<K extends string>(name: string, key: K): Partial<Record<K, number>> {
  const n = Number(process.env[name]);
  return Number.isInteger(n) && n > 0 ? ({ [key]: n } as Record<K, number>) : {};
}

/**
 * Which source is this data dir's drop box: its name, kept in the data dir.
 * Two `serve` on one database with different data dirs then never share (and
 * rewrite) one source; two sharing a data dir (workers over NFS) share its.
 */
const DROP_IDENTITY_FILE = "drop-source-name";

function readDropIdentity(file: string): string | null {
  try {
    const name = readFileSync(file, "utf8").trim();
    return isDropSourceName(name) ? name : null;
  } catch {
    return null;
  }
}

function writeDropIdentity(file: string, name: string): void {
  // Written aside and renamed: a crash never leaves half a name.
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${name}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

/**
 * The folder of a drop-box source from before identity files is gone, and
 * its data dir has no identity file: that data dir was moved (here, likely).
 * A live one elsewhere has its identity file from before its source existed.
 */
function movedAway(root: string): boolean {
  return !existsSync(root) && !existsSync(join(dirname(root), DROP_IDENTITY_FILE));
}

/**
 * The default tenant's drop folder `root` (DATA_DIR/drop) as a `local`
 * source, created or pointed at it. The first drop box on a database is
 * `caixa-ftp` (as before: an existing install keeps its source and records);
 * another data dir's gets `caixa-ftp-2`, `caixa-ftp-3`… The name is kept in
 * DATA_DIR/drop-source-name. Without that file yet (first start, or an
 * upgrade), the source is the drop-box source whose folder is this one, else
 * `caixa-ftp` when its folder no longer exists (the data dir was moved), else
 * a new one.
 */
async function ensureDropSource(store: Store, root: string): Promise<number> {
  const identityFile = join(dirname(root), DROP_IDENTITY_FILE);
  const saved = readDropIdentity(identityFile);
  for (let attempt = 1; ; attempt++) {
    const sources = await listSources(store.db, DEFAULT_TENANT_ID);
    let existing = saved ? sources.find((s) => s.name === saved) : undefined;
    if (!saved) {
      const main = sources.find((s) => s.name === DROP_SOURCE_NAME);
      existing =
        sources.find(
          (s) => s.protocol === "local" && s.root === root && isDropSourceName(s.name),
        ) ?? (main && movedAway(main.root) ? main : undefined);
    }
    let name = saved ?? existing?.name ?? DROP_SOURCE_NAME;
    for (let n = 2; !existing && sources.some((s) => s.name === name); n++) {
      name = `${DROP_SOURCE_NAME}-${n}`;
    }
    try {
      let id: number;
      if (existing) {
        if (existing.root !== root || existing.protocol !== "local" || !existing.enabled) {
          await updateSource(store.db, DEFAULT_TENANT_ID, existing.id, {
            protocol: "local",
            root,
            enabled: true,
          });
        }
        id = existing.id;
      } else {
        // The name is claimed in the data dir before the source exists, so a
        // serve starting meanwhile elsewhere never takes this one for moved away.
        if (saved !== name) writeDropIdentity(identityFile, name);
        id = (
          await createSource(store.db, DEFAULT_TENANT_ID, {
            name,
            ...localSourceConfig(root),
            allowPrivate: true,
            intervalSeconds: 5,
            stabilitySeconds: 10,
          })
        ).id;
      }
      if (saved !== name) writeDropIdentity(identityFile, name);
      return id;
    } catch (error) {
      // Another serve created that name meanwhile: look again.
      if (error instanceof ValidationError && attempt < 5) continue;
      throw error;
    }
  }
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
        role: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    console.error(`${describeArgsError(error)}\n\n${HELP}`);
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
  try {
    adminKeyDigest(process.env.REMESSA_ADMIN_KEY);
    metricsKeyDigest(process.env.REMESSA_METRICS_KEY);
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  const role = (values.role as string | undefined) ?? "all";
  if (role !== "all" && role !== "ingest" && role !== "dispatch") {
    console.error(`--role inválido: "${role}". Use all, ingest ou dispatch.`);
    return 2;
  }
  const ftpHost = (values["ftp-host"] as string | undefined) ?? "127.0.0.1";
  const dir = resolve((values["data-dir"] as string | undefined) ?? defaultDataDir());
  // Everything else (database default, secret key file) reads the data dir from here.
  process.env.REMESSA_DATA_DIR = dir;
  const log = createLogger({ service: "remessa" });
  // Personal data: everything created from here on is owner-only, and what an
  // older version left readable by every local user is fixed before starting.
  ownerOnlyUmask();
  const secured = await secureDataDir(dir);
  if (secured > 0) log.info("data dir made owner-only", { dataDir: dir, changed: secured });

  const store = await openStoreForCommand();
  if (store === null) return 1;

  // One set of counters for the whole process, served at /metrics.
  const prometheus = createPrometheus({ store, log });
  const progressSeconds = positiveEnv("REMESSA_LOG_PROGRESS_SECONDS", "s").s;
  const leaseSeconds = Number(process.env.REMESSA_LEASE_SECONDS ?? "60");
  // Role "dispatch": no drop box and no ingest, only the campaign dispatch below.
  const service =
    role === "dispatch"
      ? null
      : new IngestService({
          store,
          filesDir: join(dir, "files"),
          log,
          leaseMs: (Number.isFinite(leaseSeconds) && leaseSeconds > 0 ? leaseSeconds : 60) * 1000,
          crashAt: process.env.REMESSA_TEST_CRASH_AT || null,
          metrics: prometheus.metrics,
          ...(progressSeconds ? { progressEveryMs: progressSeconds * 1000 } : {}),
          ...positiveEnv("REMESSA_MAX_FILE_BYTES", "maxFileBytes"),
        });

  let dropBox: DropBox | null = null;
  let dropBoxInfo: DropBoxInfo | null = null;
  if (ftpPort !== 0 && service) {
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
        // The pipeline's own size limit: a larger upload is refused while it arrives.
        ...positiveEnv("REMESSA_MAX_FILE_BYTES", "maxUploadBytes"),
        ...positiveEnv("REMESSA_FTP_IDLE_TIMEOUT_MS", "controlIdleMs"),
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
      dropBoxInfo = { host: ftpHost, port: ftpPort, user: credentials.user, fingerprint };
      console.log(
        `Caixa FTPS em ftp://${ftpHost}:${ftpPort} (TLS explícito obrigatório), pasta ${dropRoot}`,
      );
      console.log(`  usuário: ${credentials.user}`);
      if (credentials.generatedPassword) {
        console.log(
          `  senha: ${credentials.generatedPassword}  (gerada agora; ${credentials.file} guarda só um hash dela, ela não será mostrada de novo)`,
        );
      } else if (credentials.file) {
        console.log(
          `  senha: a que foi mostrada na primeira execução (${credentials.file} guarda só um hash dela). Para trocar: pare o remessa, apague esse arquivo e inicie de novo (uma senha nova será gerada e mostrada), ou defina REMESSA_FTP_USER e REMESSA_FTP_PASSWORD.`,
        );
      } else {
        console.log("  senha: a de REMESSA_FTP_PASSWORD");
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

  service?.start();
  const dispatch: DispatchService | null =
    role === "ingest" ? null : startDispatch(store, log, { metrics: prometheus.metrics });
  // The return file is written when a campaign ends: the dispatch side's work.
  const returns = role === "ingest" ? null : startReturnFiles({ store, log });
  // Retention purge once a day (src/privacy/retention.ts); with the files, on the ingest side.
  const stopRetention = role === "dispatch" ? null : scheduleRetention(store, log);
  // Every role delivers notifications: the outbox's leases share the work.
  const notifier = new NotificationWorker({
    store,
    log: log.child({ part: "notifications" }),
    policy: notifyPolicyFromEnv(),
  });
  notifier.start();

  let api: FastifyInstance | null = null;
  let stopping = false;
  const httpHost = process.env.REMESSA_HTTP_HOST?.trim() || "127.0.0.1";
  const stuckSeconds =
    positiveEnv("REMESSA_READY_STUCK_SECONDS", "seconds").seconds ?? DEFAULT_STUCK_SECONDS;
  if (httpPort !== 0) {
    try {
      api = buildApi({
        store,
        log: log.child({ component: "api" }),
        ...apiOptionsFromEnv(),
        console: consoleDir(),
        dropBox: () => dropBoxInfo,
        metrics: prometheus,
        readiness: serveReadiness({
          store,
          dropBox: () => dropBox,
          stopping: () => stopping,
          stuckSeconds,
        }),
      });
      await api.listen({ port: httpPort, host: httpHost });
      console.log(
        `HTTP em http://${httpHost}:${httpPort} (API: /docs e /openapi.json; saúde: /healthz, /readyz)`,
      );
    } catch (error) {
      console.error(
        `Não foi possível abrir a porta HTTP ${httpPort}: ${(error as Error).message}. Escolha outra com --http-port ou 0 para desativar.`,
      );
      await api?.close().catch(() => undefined);
      api = null;
    }
  }
  // The handlers are in place before the ready line: a SIGTERM sent as soon as
  // it is read (a supervisor, a test under load) stops gracefully too.
  const stopped = new Promise<void>((done) => {
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info("stopping", { signal });
      void (async () => {
        stopRetention?.();
        await dropBox?.stop();
        await service?.stop();
        await dispatch?.stop();
        await returns?.stop();
        await notifier.stop();
        await api?.close().catch(() => undefined);
        await store.close();
        done();
      })();
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
  console.log(`remessa em execução (dados em ${dir}). Ctrl+C para parar.`);
  log.info("serve started", {
    dataDir: dir,
    database: store.dialect,
    role,
    owner: service?.owner ?? dispatch?.dispatcher.owner,
  });

  await stopped;
  console.log("remessa parado.");
  // Everything is closed; a library handle that lingers (ftp-srv keeps some)
  // must not keep the process alive after a stop was asked for.
  setTimeout(() => process.exit(0), 2000).unref();
  return 0;
}
