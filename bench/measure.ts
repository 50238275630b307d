/**
 * What every benchmark that times phases in child processes shares: a phase
 * run as a fresh process of the same script (so one phase's memory and caches
 * never colour another's, and its peak RSS is its own), the median of
 * repeated runs, and rounding for the printed figures.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** This process's peak resident set, in MB. */
export function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/** Runs the script at `scriptUrl` (import.meta.url) again with `args`; its last stdout line is JSON. */
export function runPhaseChild<T>(scriptUrl: string, args: string[]): T {
  const out = execFileSync(
    process.execPath,
    ["--import", "tsx", fileURLToPath(scriptUrl), ...args],
    {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
      maxBuffer: 1 << 20,
    },
  );
  return JSON.parse(out.trim().split("\n").pop() ?? "{}") as T;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export const round = (n: number, digits = 3) => Number(n.toFixed(digits));
