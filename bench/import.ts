/**
 * Benchmark of the import (reader + transactional writer) of a generated
 * long-layout mailing, on SQLite or PostgreSQL, into an empty base and into a
 * pre-filled one (about half the people already there), against a floor
 * measured in the same run: a raw bulk insert of the same rows into one plain
 * table (prepared statements in one transaction for SQLite; COPY of the file
 * for PostgreSQL).
 *
 * Each measurement runs in a fresh child process (and a fresh database) so
 * its peak RSS is its own.
 * The floor and the empty-base import run `--repeat` times each (default 2),
 * alternating, and the fastest run of each is compared: noise only slows runs.
 * Usage: npm run bench:import [-- --rows N] [--db sqlite|postgres] [--repeat N] [--keys sequential|random]
 * `--keys random`: CODCLIENTE in no order (as files keyed by CPF arrive), so
 * the person key index is written at random places instead of at its end.
 * The last line is JSON: {"db","rows","seconds","rowsPerSecond","floorRowsPerSecond","ratio","peakRssMB",...}
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { importOnlyMailing, type Mailing } from "../src/filename/index.js";
import { CsvSplitter } from "../src/mailing/csv.js";
import { readMailing } from "../src/mailing/reader.js";
import { createChunkDecoder } from "../src/mailing/text.js";
import { openMigrated, openSqliteConnection, type Store } from "../src/store/db.js";
import { importMailing, splitReader } from "../src/store/import.js";
import { createWallet } from "../src/store/wallets.js";
import { generateMailing } from "./generate-mailing.js";

const PG_URL = process.env.REMESSA_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
type Db = "sqlite" | "postgres";
type Phase = "floor" | "empty" | "prefilled";

interface Measure {
  phase: Phase;
  rows: number;
  seconds: number;
  persons: number;
  inserted: number;
  peakRssMB: number;
}

function mailing(sequence: number): Mailing {
  return importOnlyMailing({ date: "2026-11-26", sequence, wallet: "BENCH", description: "bench" });
}

/** A database of its own for one child: a temp SQLite file or a fresh PostgreSQL schema. */
async function scratch(db: Db): Promise<{ url: string; dispose: () => Promise<void> }> {
  if (db === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "remessa-bench-"));
    return {
      url: `sqlite:${join(dir, "bench.db")}`,
      dispose: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const schema = `bench_${randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  // Each run starts with no dirty pages left by the one before (its writes,
  // the schema it dropped): otherwise the checkpoint they trigger lands in
  // whichever run comes next, floor or import.
  await admin.query("checkpoint");
  await admin.end();
  const u = new URL(PG_URL);
  u.searchParams.set("options", `-c search_path=${schema}`);
  return {
    url: u.toString(),
    dispose: async () => {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`drop schema ${schema} cascade`);
      await c.end();
    },
  };
}

async function importFile(store: Store, file: string, sequence: number) {
  const reader = splitReader(readMailing(file, { extension: "csv", sanitize: false }));
  const result = await importMailing(store, {
    tenantId: 1,
    mailing: mailing(sequence),
    fileName: `mailing_261126_${sequence}_cBENCH.csv`,
    path: file,
    folder: null,
    content: reader.content,
    summary: reader.summary,
  });
  if (!result.ok) throw new Error(`import failed: ${JSON.stringify(result.errors)}`);
  return result;
}

const FLOOR_COLUMNS = 13;

async function floorSqlite(url: string, file: string): Promise<number> {
  const conn = openSqliteConnection(url.slice("sqlite:".length));
  const cols = Array.from({ length: FLOOR_COLUMNS }, (_, i) => `c${i}`);
  conn.exec(`CREATE TABLE plain (${cols.map((c) => `${c} TEXT`).join(", ")})`);
  const insert = conn.prepare(`INSERT INTO plain VALUES (${cols.map(() => "?").join(", ")})`);
  const values: (string | null)[] = new Array(FLOOR_COLUMNS).fill(null);
  let rows = -1; // the header
  const splitter = new CsvSplitter(";", (fields, count) => {
    rows++;
    if (rows === 0) return;
    for (let i = 0; i < FLOOR_COLUMNS; i++) values[i] = i < count ? (fields[i] ?? null) : null;
    insert.run(values);
  });
  const decoder = createChunkDecoder("windows-1252");
  conn.exec("BEGIN");
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    splitter.push(decoder.write(chunk as Buffer));
  }
  splitter.push(decoder.end());
  splitter.end();
  conn.exec("COMMIT");
  conn.close();
  return rows;
}

/** COPY text format cell. */
function copyCell(value: string | undefined): string {
  if (value === undefined) return "\\N";
  return /[\\\t\n\r]/.test(value)
    ? value.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r")
    : value;
}

async function floorPostgres(url: string, file: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const cols = Array.from({ length: FLOOR_COLUMNS }, (_, i) => `c${i} text`).join(", ");
  await client.query(`CREATE TABLE plain (${cols})`);
  const copy = client.query(copyFrom("COPY plain FROM STDIN"));
  const done = new Promise<void>((resolve, reject) => {
    copy.on("finish", resolve);
    copy.on("error", reject);
  });
  let rows = -1; // the header
  let pending: string[] = [];
  const splitter = new CsvSplitter(";", (fields, count) => {
    rows++;
    if (rows === 0) return;
    let line = copyCell(count > 0 ? fields[0] : undefined);
    for (let i = 1; i < FLOOR_COLUMNS; i++)
      line += `\t${copyCell(i < count ? fields[i] : undefined)}`;
    pending.push(`${line}\n`);
  });
  const decoder = createChunkDecoder("windows-1252");
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    splitter.push(decoder.write(chunk as Buffer));
    if (!copy.write(pending.join(""))) await once(copy, "drain");
    pending = [];
  }
  splitter.push(decoder.end());
  splitter.end();
  copy.end(pending.join(""));
  await done;
  await client.end();
  return rows;
}

async function measure(db: Db, phase: Phase, file: string, half: string): Promise<Measure> {
  const target = await scratch(db);
  try {
    if (phase === "floor") {
      const t0 = performance.now();
      const rows =
        db === "sqlite"
          ? await floorSqlite(target.url, file)
          : await floorPostgres(target.url, file);
      const seconds = (performance.now() - t0) / 1000;
      return { phase, rows, seconds, persons: 0, inserted: 0, peakRssMB: rss() };
    }
    const store = await openMigrated(target.url);
    try {
      await createWallet(store.db, 1, { code: "BENCH" });
      if (phase === "prefilled") await importFile(store, half, 1);
      const t0 = performance.now();
      const result = await importFile(store, file, 2);
      const seconds = (performance.now() - t0) / 1000;
      return {
        phase,
        rows: result.rows,
        seconds,
        persons: result.persons,
        inserted: result.inserted,
        peakRssMB: rss(),
      };
    } finally {
      await store.close();
    }
  } finally {
    await target.dispose();
  }
}

function rss(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

function runChild(db: Db, phase: Phase, file: string, half: string): Measure {
  const self = fileURLToPath(import.meta.url);
  const out = execFileSync(
    process.execPath,
    ["--import", "tsx", self, "--db", db, "--phase", phase, "--file", file, "--half", half],
    { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 20 },
  );
  return JSON.parse(out.trim().split("\n").pop() ?? "{}") as Measure;
}

/** The first half of the file's lines (header kept): the people of the pre-filled base. */
async function writeHalf(file: string, out: string, rows: number): Promise<void> {
  const input = createInterface({
    input: createReadStream(file, "latin1"),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  const output = createWriteStream(out, "latin1");
  let n = 0;
  for await (const line of input) {
    if (n++ > rows / 2) break;
    if (!output.write(`${line}\r\n`)) await once(output, "drain");
  }
  input.close();
  output.end();
  await once(output, "finish");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: "string", default: "1000000" },
      db: { type: "string", default: "sqlite" },
      phase: { type: "string" },
      file: { type: "string" },
      half: { type: "string" },
      repeat: { type: "string", default: "2" },
      keys: { type: "string", default: "sequential" },
    },
  });
  const db = values.db as Db;
  if (db !== "sqlite" && db !== "postgres") throw new Error("--db must be sqlite or postgres");
  if (values.phase) {
    console.log(
      JSON.stringify(await measure(db, values.phase as Phase, values.file!, values.half!)),
    );
    return;
  }
  const rows = Number(values.rows);
  const dir = join(process.cwd(), ".bench");
  mkdirSync(dir, { recursive: true });
  const keys = values.keys === "random" ? "random" : "sequential";
  const name = keys === "random" ? `import-${rows}-random` : `import-${rows}`;
  const file = join(dir, `${name}.csv`);
  const half = join(dir, `${name}-half.csv`);
  if (!existsSync(file)) {
    console.error(`gerando ${file} (${rows} linhas)...`);
    await generateMailing({
      rows,
      out: file,
      encoding: "windows-1252",
      badRowRatio: 0.02,
      seed: 7,
      keys,
    });
  }
  if (!existsSync(half)) await writeHalf(file, half, rows);

  // The floor and the empty-base import alternate, each run `repeat` times;
  // the fastest of each is kept (the machine's noise only ever slows a run down).
  const repeat = Math.max(1, Number(values.repeat));
  const floors: Measure[] = [];
  const empties: Measure[] = [];
  for (let i = 0; i < repeat; i++) {
    floors.push(runChild(db, "floor", file, half));
    empties.push(runChild(db, "empty", file, half));
  }
  const fastest = (runs: Measure[]) => runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  const floor = fastest(floors);
  const empty = { ...fastest(empties), peakRssMB: Math.max(...empties.map((m) => m.peakRssMB)) };
  const prefilled = runChild(db, "prefilled", file, half);
  const rate = (m: Measure) => Math.round(m.rows / m.seconds);
  const rowsPerSecond = rate(empty);
  const floorRowsPerSecond = rate(floor);
  const all = (runs: Measure[]) => runs.map((m) => m.seconds.toFixed(2)).join(" / ");
  console.log(`${db}: chaves ${keys === "random" ? "fora de ordem" : "em ordem"}`);
  console.log(`${db}: execuções (s): piso ${all(floors)}; base vazia ${all(empties)}`);
  console.log(
    `${db}: piso (inserção crua em uma tabela) ${floor.rows} linhas em ${floor.seconds.toFixed(2)} s = ${floorRowsPerSecond} linhas/s`,
  );
  console.log(
    `${db}: base vazia ${empty.rows} linhas (${empty.persons} pessoas) em ${empty.seconds.toFixed(2)} s = ${rowsPerSecond} linhas/s; razão ${(rowsPerSecond / floorRowsPerSecond).toFixed(3)}; pico RSS ${empty.peakRssMB} MB`,
  );
  console.log(
    `${db}: base pré-carregada ${prefilled.rows} linhas (${prefilled.persons} pessoas, ${prefilled.inserted} novas) em ${prefilled.seconds.toFixed(2)} s = ${rate(prefilled)} linhas/s; pico RSS ${prefilled.peakRssMB} MB`,
  );
  console.log(
    JSON.stringify({
      db,
      keys,
      rows: empty.rows,
      seconds: Number(empty.seconds.toFixed(3)),
      rowsPerSecond,
      floorRowsPerSecond,
      ratio: Number((rowsPerSecond / floorRowsPerSecond).toFixed(3)),
      peakRssMB: Math.max(empty.peakRssMB, prefilled.peakRssMB),
      prefilledRowsPerSecond: rate(prefilled),
      prefilledSeconds: Number(prefilled.seconds.toFixed(3)),
      persons: empty.persons,
    }),
  );
}

await main();
