/**
 * bench:dropbox — does password guessing stall real work? A real
 * `remessa serve` child (SQLite, fresh data dir) receives a 40 MB mailing (280,000 rows) by
 * curl over FTPS twice:
 *
 *  (a) quietly;
 *  (b) while 16 connections guess passwords as fast as the server answers.
 *
 * The attackers connect from 127.0.0.2 (Linux routes all of 127/8 to lo), the
 * legitimate client from 127.0.0.1: the attackers' address gets locked out
 * after a few failures, and they keep trying while locked, reconnecting when
 * the server closes them, as a real attack would. They stop by themselves
 * (when the upload ends, after --attack-seconds, or after --max-tries).
 *
 * Prints both upload times, the ratio (target ≤ 1.5), each import's time
 * (upload end → LIDOS), the attack's tries and answers, serve's CPU during the
 * attacked upload and its peak RSS; last line JSON.
 *
 * --impatient MS makes the attackers drop a connection whose answer takes
 * longer than MS (the growing delay) and reconnect at once.
 *
 * Usage: npm run bench:dropbox [-- --rows 280000 --attackers 16 --attack-seconds 120 --no-lockout --impatient 200]
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { parseArgs } from "node:util";
import { createWallet } from "../src/store/wallets.js";
import { FtpProbe } from "../test/ingest/dropbox-guard-client.js";
import { ddmmyy, waitFor, whereDone } from "../test/ingest/helpers.js";
import {
  curlUpload,
  FTP_USER,
  openServeStore,
  type ServeProcess,
  startServe,
} from "../test/ingest/serve-harness.js";
import { generateMailing } from "./generate-mailing.js";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "280000" },
    attackers: { type: "string", default: "16" },
    "attack-seconds": { type: "string", default: "120" },
    "max-tries": { type: "string", default: "100000" },
    "no-lockout": { type: "boolean", default: false },
    impatient: { type: "string", default: "0" },
  },
});
const rows = Number(values.rows);
const attackers = Number(values.attackers);
const attackSeconds = Number(values["attack-seconds"]);
const maxTries = Number(values["max-tries"]);
const ATTACKER_ADDRESS = "127.0.0.2";
/** --impatient MS: an attacker that drops a connection whose answer takes longer and reconnects. */
const impatientMs = Number(values.impatient);
/**
 * --no-lockout: no delays and no lockout, so every guess reaches scrypt; shows
 * what the single scrypt worker alone does for the upload.
 */
const NO_LOCKOUT = {
  REMESSA_FTP_LOCKOUT_FAILURES: "1000000000",
  REMESSA_FTP_FAILURE_DELAY_MS: "0",
};

const round = (n: number) => Math.round(n * 1000) / 1000;

function peakRssMb(pid: number | undefined): number | null {
  try {
    const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
    return Number.isFinite(kb) ? Math.round(kb / 1024) : null;
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    // utime and stime are fields 14 and 15 of /proc/pid/stat (11, 12 after the name).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

interface AttackStats {
  tries: number;
  connections: number;
  answers: Record<string, number>;
}

/** 16 loops guessing passwords until `stop` says so; every answer is counted by code. */
function attack(
  port: number,
  shouldStop: (stats: AttackStats) => boolean,
): { done: Promise<void>; stats: AttackStats } {
  const stats: AttackStats = { tries: 0, connections: 0, answers: {} };
  const stop = () => shouldStop(stats);
  const count = (reply: string | null) => {
    const code = reply?.slice(0, 3) ?? "closed";
    stats.answers[code] = (stats.answers[code] ?? 0) + 1;
  };
  const loop = async (n: number) => {
    while (!stop()) {
      let probe: FtpProbe | null = null;
      try {
        probe = await FtpProbe.open(port, ATTACKER_ADDRESS);
        stats.connections++;
        const greeting = await probe.reply();
        if (impatientMs > 0) probe.replyTimeoutMs = impatientMs;
        if (!greeting?.startsWith("220")) {
          count(greeting);
          // A patient attacker backs off a little; an impatient one reconnects at once.
          if (impatientMs === 0) await delay(100);
          continue;
        }
        await probe.secure();
        while (!stop() && !probe.isClosed) {
          stats.tries++;
          const reply = await probe.login(FTP_USER, `chute-${n}-${stats.tries}`);
          count(reply);
          if (!reply?.startsWith("530")) break;
        }
      } catch (error) {
        const kind = /no FTP reply in time/.test(String(error)) ? "gave up" : "error";
        stats.answers[kind] = (stats.answers[kind] ?? 0) + 1;
        if (kind === "error") await delay(50);
      } finally {
        probe?.destroy();
      }
    }
  };
  const done = Promise.all(Array.from({ length: attackers }, (_, n) => loop(n))).then(() => {});
  return { done, stats };
}

async function timedUpload(serve: ServeProcess, file: string, name: string) {
  const started = performance.now();
  await curlUpload(serve.ftpPort, file, name);
  const uploaded = performance.now();
  const where = await waitFor(
    `${name} to be processed`,
    () => whereDone(serve.drop, name),
    600_000,
  );
  return {
    uploadS: (uploaded - started) / 1000,
    importS: (performance.now() - uploaded) / 1000,
    where,
  };
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "remessa-bench-dropbox-"));
  const serve = await startServe({
    env: { REMESSA_LOG_LEVEL: "error", ...(values["no-lockout"] ? NO_LOCKOUT : {}) },
  });
  try {
    const store = await openServeStore(serve.dataDir);
    await createWallet(store.db, 1, { code: "BRAD" });
    await store.close();
    const file = join(work, "mailing.csv");
    await generateMailing({ rows, out: file, seed: 3 });
    const megabytes = statSync(file).size / 1e6;
    const today = ddmmyy();

    // Twice quietly (the first also warms up the server); the faster one counts.
    const quietRuns = [
      await timedUpload(serve, file, `mailing_${today}_1_cBRAD.csv`),
      await timedUpload(serve, file, `mailing_${today}_2_cBRAD.csv`),
    ];
    const quiet = quietRuns.reduce((a, b) => (b.uploadS < a.uploadS ? b : a));
    console.log(
      `(a) quiet: ${megabytes.toFixed(1)} MB upload ${quiet.uploadS.toFixed(2)} s (best of ${quietRuns.map((r) => r.uploadS.toFixed(2)).join(", ")}); upload end → ${quiet.where} ${quiet.importS.toFixed(2)} s`,
    );

    let stopped = false;
    const deadline = Date.now() + attackSeconds * 1000;
    const { done, stats } = attack(
      serve.ftpPort,
      (s) => stopped || Date.now() > deadline || s.tries >= maxTries,
    );
    // Let the attack reach full speed (and get its address locked out) first.
    await delay(2000);
    const triesBefore = stats.tries;
    const cpuBefore = cpuSeconds(serve.child.pid);
    const attackedStarted = performance.now();
    const attacked = await timedUpload(serve, file, `mailing_${today}_3_cBRAD.csv`);
    const wallS = (performance.now() - attackedStarted) / 1000;
    const cpuPercent = ((cpuSeconds(serve.child.pid) - cpuBefore) / wallS) * 100;
    const triesPerSecond = (stats.tries - triesBefore) / wallS;
    stopped = true;
    await done;
    const ratio = attacked.uploadS / quiet.uploadS;
    console.log(
      `(b) under ${attackers} guessing connections from ${ATTACKER_ADDRESS}: upload ${attacked.uploadS.toFixed(2)} s; upload end → ${attacked.where} ${attacked.importS.toFixed(2)} s`,
    );
    console.log(
      `attack: ${stats.tries} tries on ${stats.connections} connections (${triesPerSecond.toFixed(1)} tries/s during the upload and import); answers ${JSON.stringify(stats.answers)}; serve CPU ${cpuPercent.toFixed(0)}%`,
    );
    console.log(
      `upload under attack / quiet: ${ratio.toFixed(2)} (target ≤ 1.5); import ${(attacked.importS / quiet.importS).toFixed(2)}×`,
    );
    const rss = peakRssMb(serve.child.pid);
    console.log(`peak RSS of serve: ${rss ?? "?"} MB`);
    console.log(
      JSON.stringify({
        bench: "dropbox",
        lockout: !values["no-lockout"],
        impatient_ms: impatientMs,
        upload_mb: round(megabytes),
        quiet_upload_s: round(quiet.uploadS),
        attacked_upload_s: round(attacked.uploadS),
        ratio: round(ratio),
        quiet_import_s: round(quiet.importS),
        attacked_import_s: round(attacked.importS),
        attackers,
        attack_tries: stats.tries,
        attack_connections: stats.connections,
        attack_tries_per_s: round(triesPerSecond),
        attack_answers: stats.answers,
        serve_cpu_percent_under_attack: Math.round(cpuPercent),
        serve_peak_rss_mb: rss,
      }),
    );
  } finally {
    await serve.stop();
    rmSync(work, { recursive: true, force: true });
    rmSync(serve.dataDir, { recursive: true, force: true });
  }
}

await main();
