/**
 * Runs `remessa` commands in this process against a test store (either
 * database), capturing what they print: faster than a child process per
 * command, and the same dispatcher (`main`) the binary calls.
 */
import { main } from "../../src/cli/main.js";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(url: string, args: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const saved = { log: console.log, error: console.error, url: process.env.DATABASE_URL };
  const text = (parts: unknown[]) => `${parts.map(String).join(" ")}\n`;
  console.log = (...parts: unknown[]) => out.push(text(parts));
  console.error = (...parts: unknown[]) => err.push(text(parts));
  process.env.DATABASE_URL = url;
  try {
    const code = await main(args);
    return { code, stdout: out.join(""), stderr: err.join("") };
  } finally {
    console.log = saved.log;
    console.error = saved.error;
    if (saved.url === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = saved.url;
  }
}

/** `runCli` that must succeed; returns its stdout parsed as JSON. */
export async function cliJson(url: string, args: string[]): Promise<unknown> {
  const r = await runCli(url, args);
  if (r.code !== 0) throw new Error(`remessa ${args.join(" ")} → ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}
