/**
 * Benchmark of the mailing reader: full parse + validate + sanitize of a generated long-layout
 * mailing (Windows-1252, quoted fields, ~2% bad rows), against a floor measured in the same run:
 * reading and decoding the same bytes, nothing else, the fastest of several ways (streams of
 * 64 KiB, 256 KiB and 1 MiB chunks, synchronous reads of 1 MiB into one buffer) so the floor is
 * the machine's, not the reader's choice of chunk size. The floor runs in a child process of its own
 * so that its buffers do not count in the reader's peak RSS.
 *
 * Each measurement runs in a fresh child process so its peak RSS is its own.
 * Usage: npm run bench:parse [-- --rows N]
 * The last line is JSON: {"rows","seconds","rowsPerSecond","floorRowsPerSecond","ratio","peakRssMB",...}
 */
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import {
  closeSync,
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  openSync,
  readSync,
  statSync,
} from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import yazl from "yazl";
import { readMailing } from "../src/mailing/reader.js";
import { decodeWindows1252 } from "../src/mailing/text.js";
import { generateMailing } from "./generate-mailing.js";

interface Measure {
  rows: number;
  seconds: number;
  floorSeconds: number;
  /** Reference, not the floor: a JavaScript loop that only visits every byte of the file. */
  byteLoopSeconds: number;
  peakRssMB: number;
  persons: number;
  rejectedRows: number;
  ok: boolean;
}

/** Reads and decodes the file as a stream of `chunkSize` chunks. */
async function floorStream(path: string, chunkSize: number): Promise<number> {
  let chars = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: chunkSize }))
    chars += decodeWindows1252(chunk as Buffer).length;
  return chars;
}

/** Reads and decodes the file with synchronous reads into one reused buffer. */
function floorSync(path: string, chunkSize: number): number {
  const fd = openSync(path, "r");
  const buffer = Buffer.allocUnsafe(chunkSize);
  let chars = 0;
  try {
    for (;;) {
      const n = readSync(fd, buffer, 0, chunkSize, null);
      if (n === 0) break;
      chars += decodeWindows1252(buffer.subarray(0, n)).length;
    }
  } finally {
    closeSync(fd);
  }
  return chars;
}

/** Seconds of the fastest way to read and decode the file (each tried twice). */
async function floor(path: string): Promise<number> {
  const ways: (() => Promise<number> | number)[] = [
    () => floorStream(path, 1 << 16),
    () => floorStream(path, 1 << 18),
    () => floorStream(path, 1 << 20),
    () => floorSync(path, 1 << 20),
  ];
  if ((await floorStream(path, 1 << 20)) === 0) throw new Error("empty file"); // warms the page cache
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 2; round++) {
    for (const way of ways) {
      const t0 = performance.now();
      await way();
      best = Math.min(best, (performance.now() - t0) / 1000);
    }
  }
  return best;
}

/**
 * Seconds of the fastest of two passes of a JavaScript loop that reads the file (1 MiB synchronous
 * reads) and visits each byte once, counting line breaks and no more. Any reader written in
 * JavaScript on one thread visits every byte at least once, so this is its ceiling: it shows how
 * much of the floor's speed is left for a reader in this language at all.
 */
function byteLoop(path: string): number {
  const buffer = Buffer.allocUnsafe(1 << 20);
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 2; round++) {
    const t0 = performance.now();
    const fd = openSync(path, "r");
    let lines = 0;
    try {
      for (;;) {
        const n = readSync(fd, buffer, 0, buffer.length, null);
        if (n === 0) break;
        for (let i = 0; i < n; i++) if (buffer[i] === 10) lines++;
      }
    } finally {
      closeSync(fd);
    }
    if (lines === 0) throw new Error("no lines");
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return best;
}

async function measure(path: string, floorOnly: boolean): Promise<Measure> {
  if (floorOnly) {
    return {
      rows: 0,
      seconds: 0,
      floorSeconds: await floor(path),
      byteLoopSeconds: byteLoop(path),
      peakRssMB: 0,
      persons: 0,
      rejectedRows: 0,
      ok: true,
    };
  }
  // The floor's child, run just before, left the file in the page cache.
  const t0 = performance.now();
  const reader = readMailing(path, {
    extension: path.endsWith(".zip") ? "zip" : "csv",
    sanitize: true,
    isRestricted: (_kind, value) => value.endsWith("0000"),
  });
  let result = await reader.next();
  while (!result.done) result = await reader.next();
  const seconds = (performance.now() - t0) / 1000;
  const summary = result.value;
  return {
    rows: summary.rows,
    seconds,
    floorSeconds: 0,
    byteLoopSeconds: 0,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    persons: summary.persons,
    rejectedRows: summary.rejectedRows,
    ok: summary.ok,
  };
}

function runChild(path: string, floorOnly: boolean): Measure {
  const self = fileURLToPath(import.meta.url);
  const out = execFileSync(
    process.execPath,
    ["--import", "tsx", self, "--measure", path, ...(floorOnly ? ["--floor"] : [])],
    { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
  );
  const last = out.trim().split("\n").pop() ?? "{}";
  return JSON.parse(last) as Measure;
}

async function zipCopy(source: string, target: string): Promise<void> {
  const zip = new yazl.ZipFile();
  zip.addFile(source, "mailing.csv");
  zip.end();
  const out = createWriteStream(target);
  zip.outputStream.pipe(out);
  await once(out, "finish");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: "string", default: "1000000" },
      measure: { type: "string" },
      floor: { type: "boolean", default: false },
    },
  });
  if (values.measure) {
    console.log(JSON.stringify(await measure(values.measure, values.floor)));
    return;
  }
  const rows = Number(values.rows);
  const dir = join(process.cwd(), ".bench");
  mkdirSync(dir, { recursive: true });
  const csv = join(dir, `parse-${rows}.csv`);
  const zip = join(dir, `parse-${rows}.zip`);
  if (!existsSync(csv)) {
    console.error(`gerando ${csv} (${rows} linhas)...`);
    await generateMailing({ rows, out: csv, encoding: "windows-1252", badRowRatio: 0.02, seed: 7 });
  }
  if (!existsSync(zip)) {
    console.error(`compactando ${zip}...`);
    await zipCopy(csv, zip);
  }
  const bytes = statSync(csv).size;
  const { floorSeconds, byteLoopSeconds } = runChild(csv, true);
  const plain = runChild(csv, false);
  const zipped = runChild(zip, false);
  const rowsPerSecond = Math.round(plain.rows / plain.seconds);
  const floorRowsPerSecond = Math.round(plain.rows / floorSeconds);
  const zipRowsPerSecond = Math.round(zipped.rows / zipped.seconds);
  const byteLoopRowsPerSecond = Math.round(plain.rows / byteLoopSeconds);
  console.log(
    `csv: ${plain.rows} linhas, ${(bytes / 1e6).toFixed(1)} MB em ${plain.seconds.toFixed(2)} s = ${rowsPerSecond} linhas/s; piso (ler+decodificar) ${floorRowsPerSecond} linhas/s; razão ${(rowsPerSecond / floorRowsPerSecond).toFixed(3)}; pico RSS ${plain.peakRssMB} MB`,
  );
  console.log(
    `referência: um laço em JavaScript que só passa por cada byte faz ${byteLoopRowsPerSecond} linhas/s = ${(byteLoopRowsPerSecond / floorRowsPerSecond).toFixed(3)} do piso (o teto de qualquer leitor em JavaScript numa thread)`,
  );
  console.log(
    `zip: ${zipped.rows} linhas em ${zipped.seconds.toFixed(2)} s = ${zipRowsPerSecond} linhas/s; pico RSS ${zipped.peakRssMB} MB`,
  );
  console.log(
    JSON.stringify({
      rows: plain.rows,
      seconds: Number(plain.seconds.toFixed(3)),
      rowsPerSecond,
      floorRowsPerSecond,
      ratio: Number((rowsPerSecond / floorRowsPerSecond).toFixed(3)),
      peakRssMB: plain.peakRssMB,
      bytes,
      persons: plain.persons,
      rejectedRows: plain.rejectedRows,
      zipRowsPerSecond,
      zipPeakRssMB: zipped.peakRssMB,
      byteLoopRowsPerSecond,
      byteLoopRatio: Number((byteLoopRowsPerSecond / floorRowsPerSecond).toFixed(3)),
    }),
  );
}

await main();
