/**
 * bench:ingest — the whole pickup pipeline through a real `remessa serve`
 * child process (SQLite in a fresh data dir) and real FTPS uploads (curl):
 *
 *  (a) latency from the end of an upload to the drop box until the file is in
 *      LIDOS, for a 1,000-row file: median of 20 (target ≤ 1 s). Floor: the
 *      median time curl itself takes to upload the same bytes.
 *  (b) 500 small files uploaded at once (one curl session): files per second
 *      from the upload start until the last one is in LIDOS. Floor: the
 *      upload alone, as files per second.
 * Floors upload the same bytes into a folder two levels deep, which remessa
 * never scans, in the same run against the same server.
 *  (c) one large file (1,000,000 rows; --rows N to shrink): seconds from the
 *      end of its upload until it is in LIDOS. Floor: its upload time.
 *
 * Prints a line per figure and, last, one JSON object with every figure and
 * the peak RSS of the serve process.
 *
 * Usage: npm run bench:ingest [-- --rows 1000000 --latency-runs 20 --burst 500]
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { parseArgs } from "node:util";
import { DateTime } from "luxon";
import { openMigrated } from "../src/store/db.js";
import { createWallet } from "../src/store/wallets.js";
import { generateMailing } from "./generate-mailing.js";

const ROOT = resolve(import.meta.dirname, "..");
const USER = "bench";
const PASSWORD = "bench-senha-1";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "1000000" },
    "latency-runs": { type: "string", default: "20" },
    burst: { type: "string", default: "500" },
  },
});
const bigRows = Number(values.rows);
const latencyRuns = Number(values["latency-runs"]);
const burst = Number(values.burst);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", () => ok()));
  const address = server.address();
  await new Promise<void>((ok) => server.close(() => ok()));
  if (!address || typeof address === "string") throw new Error("no free port");
  return address.port;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function curl(args: string[]): Promise<number> {
  const started = performance.now();
  return new Promise((ok, fail) => {
    execFile(
      "curl",
      [
        "--silent",
        "--show-error",
        "--ssl-reqd",
        "--insecure",
        "--user",
        `${USER}:${PASSWORD}`,
        ...args,
      ],
      { maxBuffer: 1 << 20, timeout: 3_600_000 },
      (error) => (error ? fail(error) : ok((performance.now() - started) / 1000)),
    );
  });
}

function upload(port: number, file: string, remote: string): Promise<number> {
  return curl([
    "--ftp-create-dirs",
    "-T",
    file,
    `ftp://127.0.0.1:${port}/${remote.split("/").map(encodeURIComponent).join("/")}`,
  ]);
}

async function waitIn(dir: string, name: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const path = join(dir, name);
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`${name} did not reach ${dir}`);
    await delay(2);
  }
  return performance.now();
}

function peakRssMb(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]);
    return Number.isFinite(kb) ? Math.round(kb / 1024) : null;
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "remessa-bench-ingest-"));
  const work = mkdtempSync(join(tmpdir(), "remessa-bench-files-"));
  const store = await openMigrated(`sqlite:${join(dataDir, "remessa.db")}`);
  await createWallet(store.db, 1, { code: "BRAD" });
  await store.close();

  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [
      join(ROOT, "bin/remessa"),
      "serve",
      "--data-dir",
      dataDir,
      "--http-port",
      "0",
      "--ftp-port",
      String(port),
      "--ftp-pasv-ports",
      "47000-47049",
    ],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        REMESSA_FTP_USER: USER,
        REMESSA_FTP_PASSWORD: PASSWORD,
        REMESSA_LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let out = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const deadline = Date.now() + 60_000;
  while (!out.includes("remessa em execução")) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`serve failed:\n${out}`);
    await delay(50);
  }
  const drop = join(dataDir, "drop");
  const lidos = join(drop, "LIDOS");
  const today = DateTime.now().setZone("America/Sao_Paulo").toFormat("ddMMyy");
  let seq = 0;
  const nextName = () => `mailing_${today}_${++seq}_cBRAD.csv`;

  try {
    // (a) latency, 1,000-row file.
    const small = join(work, "small.csv");
    await generateMailing({ rows: 1000, out: small, seed: 1 });
    const latencies: number[] = [];
    const totals: number[] = [];
    const uploads: number[] = [];
    for (let i = 0; i < latencyRuns; i++) {
      // Floor: the same bytes into a folder two levels deep, which is never scanned.
      const floor = await upload(port, small, `piso/fundo/floor-${i}.csv`);
      const name = nextName();
      const started = performance.now();
      await upload(port, small, name);
      const inLidos = await waitIn(lidos, name, 120_000);
      // curl exits only after the server's 226, by which time the pipeline has often
      // finished: the latency is the whole time minus the upload alone (the floor).
      const total = (inLidos - started) / 1000;
      totals.push(total);
      uploads.push(floor);
      latencies.push(Math.max(0, total - floor));
    }
    const latency = median(latencies);
    const uploadFloor = median(uploads);
    console.log(
      `(a) upload end → LIDOS, 1,000 rows: median ${latency.toFixed(3)} s of ${latencyRuns} (max ${Math.max(...latencies).toFixed(3)} s; upload start → LIDOS median ${median(totals).toFixed(3)} s); floor (curl upload of the same bytes) ${uploadFloor.toFixed(3)} s; target ≤ 1 s`,
    );

    // (b) a burst of small files in one curl session.
    const burstDir = join(work, "burst");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(burstDir);
    const rowsOf = (i: number) =>
      `TIPO_DE_REGISTRO;VALOR_DO_REGISTRO;NOME_CLIENTE\r\nTELEFONE;119${String(70000000 + i)};Pessoa ${i}\r\n`;
    const burstNames: string[] = [];
    for (let i = 0; i < burst; i++) {
      const name = nextName();
      writeFileSync(join(burstDir, name), rowsOf(i));
      burstNames.push(name);
    }
    const burstUpload = await curl([
      "--ftp-create-dirs",
      "-T",
      `{${burstNames.map((n) => join(burstDir, n)).join(",")}}`,
      `ftp://127.0.0.1:${port}/piso/rajada/`,
    ]);
    const started = performance.now();
    await curl([
      "-T",
      `{${burstNames.map((n) => join(burstDir, n)).join(",")}}`,
      `ftp://127.0.0.1:${port}/`,
    ]);
    for (const name of burstNames) await waitIn(lidos, name, 600_000);
    const burstSeconds = (performance.now() - started) / 1000;
    const filesPerSecond = burst / burstSeconds;
    const uploadFilesPerSecond = burst / burstUpload;
    console.log(
      `(b) ${burst} small files at once: ${filesPerSecond.toFixed(1)} files/s through the pipeline (${burstSeconds.toFixed(2)} s); floor (upload alone) ${uploadFilesPerSecond.toFixed(1)} files/s; ratio ${(uploadFilesPerSecond / filesPerSecond).toFixed(2)}`,
    );

    // (c) one large file.
    const big = join(work, "big.csv");
    const { bytes } = await generateMailing({ rows: bigRows, out: big, seed: 7 });
    const bigUpload = await upload(port, big, "piso/fundo/big.csv");
    const bigName = nextName();
    await upload(port, big, bigName);
    const bigEnded = performance.now();
    await waitIn(lidos, bigName, 3_600_000);
    const bigSeconds = (performance.now() - bigEnded) / 1000;
    console.log(
      `(c) ${bigRows.toLocaleString("en-US")} rows (${(bytes / 1e6).toFixed(1)} MB): ${bigSeconds.toFixed(2)} s from upload end to LIDOS (${Math.round(bigRows / bigSeconds).toLocaleString("en-US")} rows/s); floor (upload) ${bigUpload.toFixed(2)} s; ratio ${(bigSeconds / bigUpload).toFixed(2)}`,
    );
    const rss = peakRssMb(child.pid);
    console.log(`peak RSS of serve: ${rss ?? "?"} MB`);
    console.log(
      JSON.stringify({
        bench: "ingest",
        latency_median_s: round(latency),
        latency_max_s: round(Math.max(...latencies)),
        latency_runs: latencyRuns,
        latency_total_median_s: round(median(totals)),
        latency_upload_floor_s: round(uploadFloor),
        burst_files: burst,
        burst_files_per_s: round(filesPerSecond),
        burst_upload_floor_files_per_s: round(uploadFilesPerSecond),
        burst_ratio: round(uploadFilesPerSecond / filesPerSecond),
        big_rows: bigRows,
        big_bytes: bytes,
        big_seconds: round(bigSeconds),
        big_upload_floor_s: round(bigUpload),
        big_ratio: round(bigSeconds / bigUpload),
        serve_peak_rss_mb: rss,
      }),
    );
  } finally {
    child.kill("SIGTERM");
    await new Promise((ok) => child.once("exit", ok));
    rmSync(work, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

await main();
