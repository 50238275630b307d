/**
 * The deployment the README describes (`npm ci && npm run build && npm prune
 * --omit=dev`), in a scratch copy of the project: the build compiles, the
 * prune leaves no development package (tsx, typescript), and the built CLI
 * does real work from dist/ with the production dependencies alone.
 *
 * `npm ci` itself needs the registry, so the installed node_modules is copied
 * instead (what `npm ci` would have laid down from the same lock file); the
 * build and the prune are the real npm commands. Full mode only: it copies
 * ~350 MB and compiles the whole project (about a minute on a loaded machine).
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { needsFull } from "../helpers/env.js";
import { ddmmyy, mailingCsv, waitFor } from "../ingest/helpers.js";
import { freePort } from "../ingest/serve-harness.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const METRICS_KEY = "metrics-key-for-the-deploy-test-0123456789";
const skip = needsFull("uma cópia do node_modules e uma compilação completa");

const work = mkdtempSync(join(tmpdir(), "remessa-deploy-"));
const app = join(work, "app");
const data = join(work, "data");
after(() => rmSync(work, { recursive: true, force: true }));

/** The environment of a production run: nothing of the test runner's (no tsx loader). */
function prodEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...extra };
  return env;
}

function remessa(args: string[]) {
  const r = spawnSync(join(app, "bin/remessa"), args, {
    cwd: app,
    encoding: "utf8",
    env: prodEnv({ REMESSA_DATA_DIR: data }),
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("production build with production dependencies only", { skip }, () => {
  before(() => {
    for (const part of ["bin", "src", "web", "scripts", "package.json", "package-lock.json"]) {
      cpSync(join(ROOT, part), join(app, part), { recursive: true });
    }
    for (const file of ["tsconfig.json", "tsconfig.build.json"]) {
      cpSync(join(ROOT, file), join(app, file));
    }
    // The worktree's node_modules may be a symlink: copy what it points to,
    // keeping the links inside (node_modules/.bin) as they are.
    execFileSync("cp", ["-R", realpathSync(join(ROOT, "node_modules")), join(app, "node_modules")]);
    execFileSync("npm", ["run", "-s", "build"], { cwd: app, env: prodEnv(), stdio: "pipe" });
    execFileSync("npm", ["prune", "--omit=dev", "--offline", "--no-audit", "--no-fund"], {
      cwd: app,
      env: prodEnv(),
      stdio: "pipe",
    });
  });

  test("the build is in dist/ and the prune removed the development packages", () => {
    assert.ok(existsSync(join(app, "dist/cli/main.js")));
    assert.ok(existsSync(join(app, "dist/web/index.html")), "the console is built too");
    for (const dev of ["tsx", "typescript", "vite", "@biomejs/biome", "fast-check"]) {
      assert.equal(existsSync(join(app, "node_modules", dev)), false, `${dev} still installed`);
    }
  });

  test("the built CLI answers --help and --version", () => {
    const help = remessa(["--help"]);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /Uso: remessa <comando>/);
    assert.equal(help.stderr, "", "no warning: dist/ is up to date");
    const version = remessa(["--version"]);
    assert.equal(version.stdout.trim(), "0.1.0");
  });

  test("migrate, then a real import of a small mailing", () => {
    const migrate = remessa(["migrate", "--data-dir", data]);
    assert.equal(migrate.code, 0, migrate.stderr);
    assert.equal(remessa(["wallets", "add", "BRAD", "--data-dir", data]).code, 0);
    const name = `mailing_${ddmmyy()}_1_cBRAD.csv`;
    const file = join(work, name);
    writeFileSync(file, mailingCsv(3, 1));
    const imported = remessa(["import", "--json", "--data-dir", data, file]);
    assert.equal(imported.code, 0, imported.stderr);
    const result = JSON.parse(imported.stdout) as { ok: boolean; persons: number; rows: number };
    assert.equal(result.ok, true);
    assert.equal(result.persons, 3);
    assert.equal(result.rows, 4);
  });

  test("serve answers /healthz, /readyz and /metrics from the built code", async () => {
    const port = await freePort();
    const child: ChildProcess = spawn(
      join(app, "bin/remessa"),
      ["serve", "--data-dir", data, "--http-port", String(port), "--ftp-port", "0"],
      {
        cwd: app,
        env: prodEnv({ REMESSA_LOG_LEVEL: "warn", REMESSA_METRICS_KEY: METRICS_KEY }),
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
    const exited = new Promise<number | null>((ok) => child.once("exit", (code) => ok(code)));
    try {
      await waitFor("serve to start", () => out.includes("remessa em execução"), 60_000);
      const base = `http://127.0.0.1:${port}`;
      const health = await fetch(`${base}/healthz`);
      assert.deepEqual([health.status, await health.json()], [200, { status: "ok" }]);
      const ready = await fetch(`${base}/readyz`);
      assert.deepEqual([ready.status, await ready.json()], [200, { status: "ready" }]);
      const metrics = await fetch(`${base}/metrics`, {
        headers: { authorization: `Bearer ${METRICS_KEY}` },
      });
      assert.equal(metrics.status, 200);
      assert.match(await metrics.text(), /^remessa_files_total\{outcome="accepted"\} 0$/m);
      // The web console, built into dist/web, is found from dist/ and served at /.
      const page = await fetch(`${base}/`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<script[^>]+src="\/assets\//);
    } finally {
      child.kill("SIGTERM");
    }
    assert.equal(await exited, 0, out);
  });
});
