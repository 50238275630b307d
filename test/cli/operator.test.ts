/**
 * What a new operator tripped over in the CLI (issue 16, items 4, 5, 9, 10,
 * 11, 15): every command runs as `bin/remessa` in a child process.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { confirmDestructive, describeArgsError } from "../../src/cli/args.js";
import { openMigrated } from "../../src/store/db.js";
import { needsFull, POSTGRES_URL } from "../helpers/env.js";
import { mailingCsv } from "../ingest/helpers.js";
import { startServe } from "../ingest/serve-harness.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = join(ROOT, "bin/remessa");
const work = mkdtempSync(join(tmpdir(), "remessa-operator-"));
after(() => rmSync(work, { recursive: true, force: true }));

let dirs = 0;
/** A fresh data dir under `work`. */
function dataDir(): string {
  return mkdtempSync(join(work, `d${++dirs}-`));
}

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs bin/remessa without a terminal. The default data dir (REMESSA_DATA_DIR)
 * is a directory of its own, so a command that ignored --data-dir shows up.
 */
function remessa(args: string[], env: NodeJS.ProcessEnv = {}, input = ""): Result {
  const base: NodeJS.ProcessEnv = {
    ...process.env,
    REMESSA_DATA_DIR: join(work, "default-data-dir"),
    ...env,
  };
  if (!("DATABASE_URL" in env)) delete base.DATABASE_URL;
  const r = spawnSync(BIN, args, { encoding: "utf8", env: base, input, cwd: ROOT });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("--version and --data-dir (item 11)", () => {
  test("--version prints the package.json version", () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    const r = remessa(["--version"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${version}\n`);
  });

  test("every command that opens the database uses --data-dir, the database serve uses", () => {
    const dir = dataDir();
    assert.equal(remessa(["migrate", "--data-dir", dir]).code, 0);
    assert.equal(remessa(["wallets", "add", "BRAD", "--data-dir", dir]).code, 0);
    assert.equal(remessa(["tenants", "add", "Loja", "--data-dir", dir]).code, 0);
    const root = join(dir, "pasta-local");
    const added = remessa(
      [
        "sources",
        "add",
        "--protocol",
        "local",
        "--root",
        root,
        "--name",
        "local",
        "--data-dir",
        dir,
      ],
      {},
    );
    assert.equal(added.code, 0, added.stderr);
    const file = join(work, "mailing_261126_1_cBRAD.csv");
    writeFileSync(file, mailingCsv(2));
    const imported = remessa(["import", "--today", "2026-11-26", "--data-dir", dir, file]);
    assert.equal(imported.code, 0, imported.stderr);

    assert.ok(existsSync(join(dir, "remessa.db")));
    assert.equal(existsSync(join(work, "default-data-dir", "remessa.db")), false);
    const wallets = JSON.parse(remessa(["wallets", "list", "--json", "--data-dir", dir]).stdout);
    assert.deepEqual(
      wallets.map((w: { code: string }) => w.code),
      ["BRAD"],
    );
    const tenants = JSON.parse(remessa(["tenants", "list", "--json", "--data-dir", dir]).stdout);
    assert.equal(tenants.length, 2);
    const sources = JSON.parse(remessa(["sources", "list", "--json", "--data-dir", dir]).stdout);
    assert.deepEqual(
      sources.map((s: { name: string }) => s.name),
      ["local"],
    );
    // The database is the one `serve --data-dir` opens (same file, same default).
    assert.equal(remessa(["wallets", "list", "--json"]).stdout, "[]\n");
  });

  test("an empty --data-dir is a usage error", () => {
    const r = remessa(["wallets", "list", "--data-dir", ""]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Informe a pasta de dados em --data-dir/);
  });
});

describe("unknown options in pt-BR with the command's usage (item 10)", () => {
  const commands = [
    "wallets list",
    "tenants list",
    "sources list",
    "migrate",
    "import x.csv",
    "check-name x.csv",
    "build-name",
    "inspect x.csv",
    "serve",
  ];
  for (const command of commands) {
    test(`remessa ${command} --foo`, () => {
      const r = remessa([...command.split(" "), "--foo"]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^Opção desconhecida: --foo\. Confira a grafia nas opções abaixo/);
      assert.match(r.stderr, /Uso: +remessa|Uso:\n +remessa/);
      assert.doesNotMatch(r.stderr, /Unknown option|positional/);
    });
  }

  test("a missing value, a value for a flag, an unexpected argument", () => {
    const missing = remessa(["wallets", "add", "BRAD", "--name"]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^A opção --name precisa de um valor: --name VALOR/);
    const flag = remessa(["wallets", "list", "--json=sim"]);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /^A opção --json não recebe valor: escreva só --json\./);
    const extra = remessa(["migrate", "agora"]);
    assert.equal(extra.code, 2);
    assert.match(extra.stderr, /^Argumento inesperado: "agora"\./);
    const leading = remessa(["--foo"]);
    assert.equal(leading.code, 2);
    assert.match(leading.stderr, /^Opção desconhecida: "--foo"\./);
  });

  test("a short option and an ambiguous value are translated too", () => {
    assert.match(
      describeArgsError(
        Object.assign(new Error("Unknown option '-x'. To specify ..."), {
          code: "ERR_PARSE_ARGS_UNKNOWN_OPTION",
        }),
      ),
      /^Opção desconhecida: -x\./,
    );
    assert.match(
      describeArgsError(
        Object.assign(
          new Error(
            "Option '-n, --name' argument is ambiguous.\nDid you forget to specify the option argument for '-n, --name'?",
          ),
          { code: "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" },
        ),
      ),
      /^A opção --name precisa de um valor/,
    );
  });
});

describe("a closed pipe ends quietly (item 9)", () => {
  /** Runs bin/remessa with its stdout closed before it writes anything (`… | head -0`). */
  function closedStdout(args: string[], env: NodeJS.ProcessEnv) {
    return new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(BIN, args, { env: { ...process.env, ...env }, cwd: ROOT });
      child.stdout.destroy();
      let stderr = "";
      child.stderr.on("data", (d) => {
        stderr += d;
      });
      child.on("close", (code) => resolve({ code, stderr }));
    });
  }

  test("remessa --help | head: exit 0, no stack trace", async () => {
    const r = await closedStdout(["--help"], {});
    assert.equal(r.stderr, "");
    assert.equal(r.code, 0);
  });

  test("remessa wallets list | head with many wallets: exit 0, no stack trace", async () => {
    const dir = dataDir();
    const store = await openMigrated(`sqlite:${join(dir, "remessa.db")}`);
    await store.db
      .insertInto("wallets")
      .values(
        Array.from({ length: 3000 }, (_, i) => ({
          tenant_id: 1,
          code: `W${i}`,
          name: `Carteira ${i} ${"x".repeat(40)}`,
          created_at: new Date().toISOString(),
        })),
      )
      .execute();
    await store.close();
    const shell = spawnSync(
      "bash",
      ["-c", `"${BIN}" wallets list --data-dir "${dir}" | head -1; echo "rc=\${PIPESTATUS[0]}"`],
      { encoding: "utf8", cwd: ROOT },
    );
    assert.equal(shell.stderr, "");
    assert.match(shell.stdout, /^W0 .*\nrc=0\n$/);
  });
});

describe("wallets remove says what goes and asks (item 5)", () => {
  const dir = dataDir();
  const at = (...args: string[]) => [...args, "--data-dir", dir];

  test("counts, refusal without a terminal, --yes", async () => {
    assert.equal(remessa(at("wallets", "add", "BRAD", "--name", "Bradesco")).code, 0);
    assert.equal(remessa(at("wallets", "add", "ITAU")).code, 0);
    const brad = join(work, "mailing_261126_1_cBRAD.csv");
    writeFileSync(brad, mailingCsv(3));
    const itau = join(work, "mailing_261126_2_cITAU.csv");
    writeFileSync(itau, mailingCsv(1)); // the first person of BRAD's file, also in ITAU
    for (const file of [brad, itau]) {
      const r = remessa(at("import", "--today", "2026-11-26", file));
      assert.equal(r.code, 0, r.stderr);
    }
    const store = await openMigrated(`sqlite:${join(dir, "remessa.db")}`);
    const wallet = await store.db
      .selectFrom("wallets")
      .select("id")
      .where("code", "=", "BRAD")
      .executeTakeFirstOrThrow();
    await store.db
      .insertInto("restrictions")
      .values({
        tenant_id: 1,
        wallet_id: wallet.id,
        channel_kind: "phone",
        value: "11999990000",
        reason: null,
        created_at: new Date().toISOString(),
      })
      .execute();
    await store.close();

    const refused = remessa(at("wallets", "remove", "BRAD"));
    assert.equal(refused.code, 2);
    assert.equal(refused.stdout, "");
    assert.equal(
      refused.stderr,
      [
        'A carteira "BRAD" (Bradesco) será removida. Isso não pode ser desfeito:',
        "  - 3 pessoas saem da carteira (continuam no cadastro; 2 ficam sem nenhuma carteira)",
        "  - 1 contato da lista de restrição da carteira é apagado",
        "  - 1 mailing do histórico deixa de indicar a carteira",
        "Nada foi feito: sem um terminal para confirmar, repita o comando com --yes.",
        "",
      ].join("\n"),
    );
    const kept = JSON.parse(remessa(at("wallets", "list", "--json")).stdout);
    assert.deepEqual(
      kept.map((w: { code: string }) => w.code),
      ["BRAD", "ITAU"],
    );

    const removed = remessa(at("wallets", "remove", "BRAD", "--yes"));
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(removed.stdout, 'Carteira "BRAD" removida (3 pessoas desvinculadas).\n');
    const left = JSON.parse(remessa(at("wallets", "list", "--json")).stdout);
    assert.deepEqual(
      left.map((w: { code: string }) => w.code),
      ["ITAU"],
    );
  });

  test("an empty wallet still asks", () => {
    assert.equal(remessa(at("wallets", "add", "VAZIA")).code, 0);
    const refused = remessa(at("wallets", "remove", "VAZIA"));
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /nenhuma pessoa está nesta carteira/);
  });

  test("on a terminal: only s/sim removes", {
    skip: hasScript() ? false : "sem o comando script",
  }, () => {
    assert.equal(remessa(at("wallets", "add", "TTY")).code, 0);
    const no = onTerminal(`"${BIN}" wallets remove TTY --data-dir "${dir}"`, "n\n");
    assert.match(no, /Confirma\? \[s\/N\]/);
    assert.match(no, /Nada foi feito\./);
    assert.match(remessa(at("wallets", "list")).stdout, /^TTY /m);
    const yes = onTerminal(`"${BIN}" wallets remove TTY --data-dir "${dir}"`, "s\n");
    assert.match(yes, /Carteira "TTY" removida/);
    assert.doesNotMatch(remessa(at("wallets", "list")).stdout, /^TTY /m);
  });

  test("confirmDestructive: --yes, a terminal's answer, no terminal, end of input", async () => {
    const terminal = (answer: string | null) => {
      const input = Object.assign(new PassThrough(), { isTTY: true });
      const output = new PassThrough();
      let written = "";
      output.on("data", (d) => {
        written += d;
      });
      if (answer === null) input.end();
      else input.write(answer);
      return { streams: { input, output }, written: () => written };
    };
    assert.equal(await confirmDestructive(true, terminal("n\n").streams), null);
    for (const answer of ["s\n", "S\n", "sim\n", " Sim \n"]) {
      assert.equal(await confirmDestructive(false, terminal(answer).streams), null, answer);
    }
    for (const answer of ["n\n", "\n", "y\n", "yes\n", "sair\n", null]) {
      const t = terminal(answer);
      assert.equal(await confirmDestructive(undefined, t.streams), 1, String(answer));
      assert.match(t.written(), /Confirma\? \[s\/N\] [\s\S]*Nada foi feito\./);
    }
    const pipe = { input: new PassThrough(), output: new PassThrough() };
    assert.equal(await confirmDestructive(undefined, pipe), 2);
    assert.match(String(pipe.output.read()), /repita o comando com --yes/);
  });
});

function hasScript(): boolean {
  return spawnSync("script", ["--version"], { encoding: "utf8" }).status === 0;
}

/** Runs a shell command under a pseudo-terminal (util-linux `script`), typing `input`. */
function onTerminal(command: string, input: string): string {
  const r = spawnSync("script", ["-qec", command, "/dev/null"], {
    encoding: "utf8",
    input,
    cwd: ROOT,
    env: { ...process.env, REMESSA_DATA_DIR: join(work, "default-data-dir") },
    timeout: 60_000,
  });
  return r.stdout + r.stderr;
}

describe("sources: names listed, the drop box's source protected (items 4, 15)", () => {
  test("sources list shows each source's name", () => {
    const dir = dataDir();
    const root = join(dir, "entrada");
    const added = remessa([
      "sources",
      "add",
      "--protocol",
      "local",
      "--root",
      root,
      "--name",
      "Entrada do banco",
      "--data-dir",
      dir,
    ]);
    assert.equal(added.code, 0, added.stderr);
    const listed = remessa(["sources", "list", "--data-dir", dir]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`^ +1  Entrada do banco  local ${root} \\(a cada`, "m"));
  });

  test("removing the drop box's own source needs --force, says what it does, and serve recreates it", async () => {
    const dir = dataDir();
    const env = { REMESSA_SECRET_KEY: randomBytes(32).toString("base64") };
    let serve = await startServe({ dataDir: dir, env });
    let dropId: number;
    try {
      const listed = remessa(["sources", "list", "--json", "--data-dir", dir], env);
      const sources = JSON.parse(listed.stdout) as { id: number; name: string }[];
      const drop = sources.find((s) => s.name === "caixa-ftp");
      assert.ok(drop, listed.stdout);
      dropId = drop.id;

      const refused = remessa(
        ["sources", "remove", String(dropId), "--yes", "--data-dir", dir],
        env,
      );
      assert.equal(refused.code, 2);
      assert.match(
        refused.stderr,
        /^A origem \d+ \("caixa-ftp"\) é a caixa FTPS embutida do "remessa serve" \(pasta .*\/drop\): removê-la faz o serve em execução parar de processar todos os arquivos enviados à caixa até ser reiniciado\. Nada foi feito\. Se é isso mesmo que quer, repita com --force: o serve recriará a origem na próxima vez que iniciar\.\n$/,
      );
      const noYes = remessa(
        ["sources", "remove", String(dropId), "--force", "--data-dir", dir],
        env,
      );
      assert.equal(noYes.code, 2);
      assert.match(noYes.stderr, /repita o comando com --yes/);

      const forced = remessa(
        ["sources", "remove", String(dropId), "--force", "--yes", "--data-dir", dir],
        env,
      );
      assert.equal(forced.code, 0, forced.stderr);
      assert.match(forced.stderr, /O serve recriará a origem na próxima vez que iniciar\./);
      assert.equal(forced.stdout, `Origem ${dropId} ("caixa-ftp") removida.\n`);
    } finally {
      await serve.stop();
    }
    serve = await startServe({ dataDir: dir, env });
    try {
      const again = JSON.parse(
        remessa(["sources", "list", "--json", "--data-dir", dir], env).stdout,
      ) as { id: number; name: string }[];
      assert.deepEqual(
        again.map((s) => s.name),
        ["caixa-ftp"],
      );
    } finally {
      await serve.stop();
    }
  });

  test("another source: what goes is said, --yes removes it", () => {
    const dir = dataDir();
    const added = remessa([
      "sources",
      "add",
      "--protocol",
      "local",
      "--root",
      join(dir, "x"),
      "--name",
      "caixa-ftp-manual",
      "--data-dir",
      dir,
    ]);
    assert.equal(added.code, 0, added.stderr);
    const refused = remessa(["sources", "remove", "1", "--data-dir", dir]);
    assert.equal(refused.code, 2);
    assert.match(
      refused.stderr,
      /^A origem 1 \("caixa-ftp-manual", local .*\) será removida\. Isso não pode ser desfeito:\n {2}- a configuração e a senha guardada são apagadas; os arquivos no servidor não são tocados\nNada foi feito: sem um terminal para confirmar, repita o comando com --yes\.\n$/,
    );
    const removed = remessa(["sources", "remove", "1", "--yes", "--data-dir", dir]);
    assert.equal(removed.code, 0, removed.stderr);
  });
});

describe("PostgreSQL schema (item 11)", { skip: needsFull("PostgreSQL em 127.0.0.1:5432") }, () => {
  async function admin(query: string): Promise<void> {
    const c = new pg.Client({ connectionString: POSTGRES_URL });
    await c.connect();
    try {
      await c.query(query);
    } finally {
      await c.end();
    }
  }
  const withQuery = (query: string) =>
    `${POSTGRES_URL}${POSTGRES_URL.includes("?") ? "&" : "?"}${query}`;

  test("the README's URL form puts the tables in that schema", async () => {
    const schema = `t_${randomBytes(6).toString("hex")}`;
    await admin(`create schema ${schema}`);
    try {
      const url = withQuery(`options=-c%20search_path%3D${schema}`);
      const r = remessa(["wallets", "add", "BRAD"], { DATABASE_URL: url });
      assert.equal(r.code, 0, r.stderr);
      const c = new pg.Client({ connectionString: POSTGRES_URL });
      await c.connect();
      const { rows } = await c.query(`select code from ${schema}.wallets`);
      await c.end();
      assert.deepEqual(
        rows.map((row) => row.code),
        ["BRAD"],
      );
    } finally {
      await admin(`drop schema if exists ${schema} cascade`);
    }
  });

  test("a schema that does not exist: a clear pt-BR error from every command", async () => {
    const schema = `nao_existe_${randomBytes(4).toString("hex")}`;
    const url = withQuery(`options=-c%20search_path%3D${schema}`);
    for (const args of [["wallets", "list"], ["migrate"]]) {
      const r = remessa(args, { DATABASE_URL: url });
      assert.equal(r.code, 1);
      assert.equal(
        r.stderr,
        `O schema do PostgreSQL indicado em DATABASE_URL (search_path=${schema}) não existe, ou o usuário não tem permissão de usá-lo. Crie-o uma vez (psql: CREATE SCHEMA ${schema}; e, para outro usuário, GRANT USAGE, CREATE ON SCHEMA ${schema} TO usuario;) ou corrija o parâmetro options=-c search_path=... da URL.\n`,
      );
    }
  });

  test("search_path as a URL parameter (which pg ignores) is refused, not sent to public", () => {
    // Read-only: were the parameter ever let through again, nothing lands in public.
    const url = withQuery("search_path=remessa&options=-c%20default_transaction_read_only%3Don");
    const r = remessa(["migrate"], { DATABASE_URL: url });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^DATABASE_URL: o parâmetro "search_path" não escolhe o schema no PostgreSQL .* Use options=-c%20search_path%3DNOME/,
    );
  });
});
