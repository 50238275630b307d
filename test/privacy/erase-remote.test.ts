/**
 * Erasure on remote sources: a file imported from an FTP server (in-process
 * ftp-srv) or an SFTP server (the system OpenSSH, full mode) lands in LIDOS
 * with its reports; erasing a person rewrites them on the server without the
 * person's lines and keeps everyone else's. An unreachable server fails only
 * its files, the rest of the erasure is done, and running it again retries them.
 */
import assert from "node:assert/strict";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { erasePerson } from "../../src/privacy/erase.js";
import { type RemoteFileResult, scrubRemoteFile } from "../../src/privacy/erase-remote.js";
import { LocalSource, localSourceConfig } from "../../src/sources/local.js";
import type { SourceConfig } from "../../src/sources/types.js";
import { runCli } from "../cli/run-cli.js";
import { FULL } from "../helpers/env.js";
import {
  closedPort,
  ftpSrvConfig,
  startFtpSrv,
  systemConfig,
  systemServers,
  tempDir,
  userFolder,
} from "../sources/servers.js";
import { DATABASES, type TestStore } from "../store/harness.js";
import { buildBase, FILE_NAME, NOW, SOURCE_KEY, ZULEICA } from "./fixtures.js";

const NEEDLES = [
  ZULEICA.cpf,
  ZULEICA.cpfFormatted,
  ZULEICA.name.toLowerCase(),
  ZULEICA.phone,
  "98765-1234",
  ZULEICA.email,
];
const OTHERS = ["11991110001;Oi [NOME_CLIENTE];Ana Souza;11144477735;C1;plano A", "Caio Lima"];

const OPTIONS = { secretKey: SOURCE_KEY, sourceOptions: { timeoutMs: 10_000 } };

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else out.push(path);
  }
  return out;
}

/** Each file on the server's disk holding one of the person's identifiers. */
async function personOnServer(root: string): Promise<string[]> {
  const hits: string[] = [];
  for (const path of await filesUnder(root)) {
    const text = (await readFile(path)).toString("latin1").toLowerCase();
    const found = NEEDLES.filter((n) => text.includes(n));
    if (found.length > 0) hits.push(`${path}: ${found.join(", ")}`);
  }
  return hits;
}

function outcomes(files: RemoteFileResult[]): string[] {
  return files.map((f) => `${f.path}:${f.outcome}`).sort();
}

const erase = (ts: TestStore, reason = "pedido do titular") =>
  erasePerson(ts.store, 1, { kind: "cpf", value: ZULEICA.cpf }, "test", reason, NOW, OPTIONS);

interface Server {
  config: SourceConfig;
  root: string;
  stop(): Promise<void>;
}

const sftpSkip = FULL
  ? false
  : "precisa do OpenSSH de scripts/test-servers.sh: REMESSA_TEST_FULL=1";

const SERVERS: { name: string; skip: string | false; start: () => Promise<Server> }[] = [
  {
    name: "ftp-srv",
    skip: false,
    start: async () => {
      const root = await tempDir();
      const server = await startFtpSrv("plain", root);
      return {
        config: ftpSrvConfig(server),
        root,
        stop: async () => {
          await server.close();
          await rm(root, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: "OpenSSH sftp",
    skip: sftpSkip,
    start: async () => {
      const servers = await systemServers();
      const root = await userFolder(servers);
      return {
        config: systemConfig(servers, "sftp", { root }),
        root,
        stop: () => rm(root, { recursive: true, force: true }),
      };
    },
  },
];

for (const database of DATABASES) {
  for (const kind of SERVERS) {
    describe(`erasure on ${kind.name} (${database.name})`, {
      skip: database.skip || kind.skip,
    }, () => {
      const cleanups: (() => Promise<void>)[] = [];
      after(async () => {
        for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
      });

      test("the moved file and its reports are rewritten on the server without the person", async () => {
        const ts = await database.open();
        cleanups.push(() => ts.dispose());
        const server = await kind.start();
        cleanups.push(() => server.stop());
        const built = await buildBase(ts, { config: server.config, drop: server.root });
        assert.ok((await personOnServer(server.root)).length >= 2, "the person is on the server");

        const result = await erase(ts);
        assert.deepEqual(result.persons, [built.personId]);
        assert.deepEqual(outcomes(result.remoteFiles), [
          `LIDOS/${FILE_NAME}.rejeitados.csv:rewritten`,
          `LIDOS/${FILE_NAME}.resultado.txt:unchanged`,
          `LIDOS/${FILE_NAME}:rewritten`,
        ]);
        const moved = result.remoteFiles.find((f) => f.path === `LIDOS/${FILE_NAME}`);
        assert.equal(moved?.removedLines, 3);
        assert.match(moved?.description ?? "", /^reescrito/);

        assert.deepEqual(await personOnServer(server.root), []);
        const lidos = join(server.root, "LIDOS");
        const text = await readFile(join(lidos, FILE_NAME), "utf8");
        for (const other of OTHERS) assert.ok(text.includes(other), other);
        assert.ok(text.startsWith("TIPO_DE_REGISTRO;"), "header kept");
        assert.deepEqual(
          (await readdir(lidos, { withFileTypes: true }))
            .filter((e) => e.isFile())
            .map((e) => e.name)
            .sort(),
          [FILE_NAME, `${FILE_NAME}.rejeitados.csv`, `${FILE_NAME}.resultado.txt`],
          "no temporary file left",
        );

        // Audited with each file's outcome.
        const audit = await ts.store.db
          .selectFrom("audit_events")
          .select("details_json")
          .where("action", "=", "persons.erase")
          .executeTakeFirstOrThrow();
        assert.match(audit.details_json ?? "", /"outcome":"rewritten"/);
        assert.doesNotMatch(audit.details_json ?? "", new RegExp(ZULEICA.cpf));

        // Idempotent: nothing left to do, the files untouched.
        const again = await erase(ts, "pedido repetido");
        assert.deepEqual(again.persons, []);
        assert.equal(again.previouslyErased, true);
        assert.deepEqual(again.remoteFiles, []);
        assert.equal(await readFile(join(lidos, FILE_NAME), "utf8"), text);
      });
    });
  }

  describe(`erasure with an unreachable server (${database.name})`, { skip: database.skip }, () => {
    test("the base is erased, each remote file says it failed, and a later run cleans them", async () => {
      const ts = await database.open();
      const root = await tempDir();
      let server = await startFtpSrv("plain", root);
      try {
        const built = await buildBase(ts, { config: ftpSrvConfig(server), drop: root });
        await server.close();
        const port = await closedPort();
        await ts.store.db
          .updateTable("file_sources")
          .set({ port })
          .where("protocol", "=", "ftp")
          .execute();

        const result = await erase(ts);
        assert.deepEqual(result.persons, [built.personId]);
        assert.equal(result.remoteFiles.length, 3);
        for (const f of result.remoteFiles) {
          assert.equal(f.outcome, "failed");
          assert.match(f.description, /^falhou: .*recus/i);
        }
        // The base is done all the same.
        const person = await ts.store.db
          .selectFrom("persons")
          .select(["name", "document", "erased_at"])
          .where("id", "=", built.personId)
          .executeTakeFirstOrThrow();
        assert.equal(person.name, null);
        assert.equal(person.document, null);
        assert.ok(person.erased_at);
        assert.ok((await personOnServer(root)).length >= 2, "the server still has the person");
        // Pending work keeps the identifiers only sealed.
        const pending = await ts.store.db.selectFrom("erasure_remote_files").selectAll().execute();
        assert.equal(pending.length, 3);
        for (const row of pending) {
          assert.equal(row.attempts, 1);
          for (const needle of NEEDLES)
            assert.ok(!row.identifiers_enc.toLowerCase().includes(needle));
        }

        // The CLI says the erasure is not complete, and exits 1.
        const savedKey = process.env.REMESSA_SECRET_KEY;
        process.env.REMESSA_SECRET_KEY = SOURCE_KEY.toString("hex");
        try {
          const cli = await runCli(ts.url, [
            "persons",
            "erase",
            "--phone",
            "(11) 98765-1234",
            "--reason",
            "nova tentativa",
            "--yes",
          ]);
          assert.equal(cli.code, 1, cli.stderr);
          assert.match(cli.stdout, /falhou: /);
          assert.match(cli.stderr, /Apagamento incompleto: 3 arquivos em servidores/);
        } finally {
          if (savedKey === undefined) delete process.env.REMESSA_SECRET_KEY;
          else process.env.REMESSA_SECRET_KEY = savedKey;
        }

        // A run whose source cannot even be opened (here: its stored password
        // no longer decrypts) fails each file but keeps its work for the next run.
        const { password_enc } = await ts.store.db
          .selectFrom("file_sources")
          .select("password_enc")
          .where("protocol", "=", "ftp")
          .executeTakeFirstOrThrow();
        assert.ok(password_enc, "the test source has a password");
        const setPassword = (value: typeof password_enc) =>
          ts.store.db
            .updateTable("file_sources")
            .set({ password_enc: value })
            .where("protocol", "=", "ftp")
            .execute();
        await setPassword("estragada");
        const unopened = await erasePerson(
          ts.store,
          1,
          { kind: "phone", value: "(11) 98765-1234" },
          "test",
          "senha estragada",
          NOW,
          OPTIONS,
        );
        assert.equal(unopened.remoteFiles.length, 3);
        for (const f of unopened.remoteFiles) {
          assert.equal(f.outcome, "failed");
          assert.match(f.description, /não pôde ser aberta/);
        }
        assert.equal(
          (await ts.store.db.selectFrom("erasure_remote_files").selectAll().execute()).length,
          3,
          "the work stays for the next run",
        );
        await setPassword(password_enc);

        // The server is back (on another port): running the erasure again cleans the files.
        server = await startFtpSrv("plain", root);
        await ts.store.db
          .updateTable("file_sources")
          .set({ port: server.port })
          .where("protocol", "=", "ftp")
          .execute();
        const retry = await erasePerson(
          ts.store,
          1,
          { kind: "phone", value: "(11) 98765-1234" },
          "test",
          "nova tentativa",
          NOW,
          OPTIONS,
        );
        assert.deepEqual(retry.persons, []);
        assert.deepEqual(outcomes(retry.remoteFiles), [
          `LIDOS/${FILE_NAME}.rejeitados.csv:rewritten`,
          `LIDOS/${FILE_NAME}.resultado.txt:unchanged`,
          `LIDOS/${FILE_NAME}:rewritten`,
        ]);
        assert.deepEqual(await personOnServer(root), []);
        const text = await readFile(join(root, "LIDOS", FILE_NAME), "utf8");
        for (const other of OTHERS) assert.ok(text.includes(other), other);
        assert.equal(
          (await ts.store.db.selectFrom("erasure_remote_files").selectAll().execute()).length,
          0,
        );
        const last = await erase(ts, "terceira vez");
        assert.deepEqual(last.remoteFiles, []);
      } finally {
        await server.close().catch(() => undefined);
        await rm(root, { recursive: true, force: true });
        await ts.dispose();
      }
    });
  });
}

describe("scrubRemoteFile steps (on a local folder, the same Source contract)", () => {
  const ids = {
    document: ZULEICA.cpf,
    code: ZULEICA.code,
    names: [ZULEICA.name],
    phones: [ZULEICA.phone],
    emails: [ZULEICA.email],
  };
  const open = async () => {
    const root = await tempDir();
    const source = new LocalSource(localSourceConfig(root));
    return { root, pair: { reader: source, writer: source } };
  };

  test("a run cut after removing the original finishes by moving the clean copy in", async () => {
    const { root, pair } = await open();
    try {
      await mkdir(join(root, "LIDOS"));
      await writeFile(join(root, "LIDOS", "m.csv.limpo.tmp"), "A;B\nAna Souza;1\n");
      await writeFile(join(root, "LIDOS", "m.csv.parcial.tmp"), "A;B\n");
      const done = await scrubRemoteFile(pair, "LIDOS/m.csv", ids);
      assert.equal(done.outcome, "rewritten");
      assert.deepEqual(await readdir(join(root, "LIDOS")), ["m.csv"]);
      assert.equal(await readFile(join(root, "LIDOS", "m.csv"), "utf8"), "A;B\nAna Souza;1\n");
      assert.equal((await scrubRemoteFile(pair, "LIDOS/m.csv", ids)).outcome, "unchanged");
      assert.equal((await scrubRemoteFile(pair, "LIDOS/outro.csv", ids)).outcome, "missing");
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  test("a zip is deleted; stale work files of an earlier run go; a line naming the person only in a message deletes the file", async () => {
    const { root, pair } = await open();
    try {
      await mkdir(join(root, "LIDOS"));
      await writeFile(join(root, "LIDOS", "m.zip"), "PK\u0003\u0004");
      assert.equal((await scrubRemoteFile(pair, "LIDOS/m.zip", ids)).outcome, "deleted");
      await writeFile(
        join(root, "LIDOS", "r.txt"),
        `Resumo\nArquivo com ${ZULEICA.cpfFormatted} no meio do texto\n`,
      );
      await writeFile(join(root, "LIDOS", "r.txt.parcial.tmp"), "restos");
      assert.equal((await scrubRemoteFile(pair, "LIDOS/r.txt", ids)).outcome, "deleted");
      assert.deepEqual(await readdir(join(root, "LIDOS")), []);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
