/**
 * End to end: a `remessa serve` child process, real FTPS clients (curl, lftp)
 * uploading to its drop box, files ending in LIDOS or DESCARTADOS with the
 * right reports.
 */
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import type { Store } from "../../src/store/db.js";
import { createWallet } from "../../src/store/wallets.js";
import { ddmmyy, mailingCsv, namesIn, waitFor, whereDone, whereIs } from "./helpers.js";
import {
  curlUpload,
  FTP_PASSWORD,
  FTP_USER,
  lftp,
  openServeStore,
  type ServeProcess,
  startServe,
} from "./serve-harness.js";

describe("remessa serve with the FTPS drop box", () => {
  let serve: ServeProcess;
  let store: Store;
  const work = mkdtempSync(join(tmpdir(), "remessa-upload-"));
  const today = ddmmyy();

  before(async () => {
    serve = await startServe();
    store = await openServeStore(serve.dataDir);
    await createWallet(store.db, 1, { code: "BRAD" });
    await createWallet(store.db, 1, { code: "ITAU" });
  });

  after(async () => {
    await serve.stop();
    await store.close();
  });

  function local(name: string, content: string): string {
    const path = join(work, name.replaceAll("/", "_"));
    writeFileSync(path, content);
    return path;
  }

  async function done(folder: string, name: string) {
    return waitFor(`${name} to be moved and reported`, () =>
      whereDone(join(serve.drop, folder), name),
    );
  }

  test("curl: a good file goes to LIDOS with its result report", async () => {
    const name = `mailing_${today}_1_cBRAD_dRégua 60 dias.csv`;
    await curlUpload(serve.ftpPort, local(name, mailingCsv(10, 2, 1)), name);
    assert.equal(await done("", name), "LIDOS");
    const report = readFileSync(join(serve.drop, "LIDOS", `${name}.resultado.txt`), "utf8");
    assert.match(report, /Pessoas importadas: 10/);
    assert.match(report, /Linhas rejeitadas: 2/);
    assert.ok(namesIn(join(serve.drop, "LIDOS")).includes(`${name}.rejeitados.csv`));
  });

  test("lftp: a good file in a wallet folder goes to that folder's LIDOS", async () => {
    const name = `mailing_${today}_2.csv`;
    const file = local(name, mailingCsv(4, 0, 2));
    await lftp(serve.ftpPort, `mkdir -p ITAU; cd ITAU; put ${file} -o ${name}`);
    assert.equal(await done("ITAU", name), "LIDOS");
    const row = await store.db
      .selectFrom("mailings")
      .select(["persons", "folder", "outcome"])
      .where("file_name", "=", name)
      .executeTakeFirstOrThrow();
    assert.deepEqual(row, { persons: 4, folder: "ITAU", outcome: "accepted" });
  });

  const discards: [string, string, () => string, string][] = [
    ["yesterday's date", "", () => `mailing_${ddmmyy(-1)}_3_cBRAD.csv`, "DATA_NAO_E_HOJE"],
    ["an unknown wallet", "", () => `mailing_${today}_4_cNAOEXISTE.csv`, "CARTEIRA_INEXISTENTE"],
    ["a used sequence", "", () => `mailing_${today}_001_cBRAD.csv`, "SEQUENCIA_REPETIDA"],
    [
      "_c against a different folder",
      "ITAU",
      () => `mailing_${today}_5_cBRAD.csv`,
      "CARTEIRA_CONFLITO",
    ],
    [
      "a folder that is not a wallet",
      "OUTRA",
      () => `mailing_${today}_6.csv`,
      "CARTEIRA_INEXISTENTE",
    ],
    ["a non-mailing file", "", () => "planilha final.xlsx", "PREFIXO"],
  ];
  for (const [what, folder, nameOf, code] of discards) {
    test(`curl: ${what} → DESCARTADOS with ${code} in .erro.txt`, async () => {
      const name = nameOf();
      const remote = folder ? `${folder}/${name}` : name;
      await curlUpload(serve.ftpPort, local(name, mailingCsv(2, 0, 3)), remote);
      assert.equal(await done(folder, name), "DESCARTADOS");
      const text = readFileSync(
        join(serve.drop, folder, "DESCARTADOS", `${name}.erro.txt`),
        "utf8",
      );
      assert.match(text, new RegExp(`\\[${code}\\]`));
      assert.match(text, /DESCARTADO/);
    });
  }

  test("lftp: bad content → DESCARTADOS with the content's reason", async () => {
    const name = `mailing_${today}_7_cBRAD.csv`;
    const file = local(name, "TIPO_DE_REGISTRO;VALOR_DO_REGISTRO\r\nTELEFONE;12\r\nEMAIL;x\r\n");
    await lftp(serve.ftpPort, `put ${file} -o ${name}`);
    assert.equal(await done("", name), "DESCARTADOS");
    const text = readFileSync(join(serve.drop, "DESCARTADOS", `${name}.erro.txt`), "utf8");
    assert.match(text, /\[(SEM_LINHAS_VALIDAS|REJEICAO_EXCESSIVA)\]/);
  });

  test("lftp: a .filepart is ignored until it is renamed to its final name", async () => {
    const name = `mailing_${today}_8_cBRAD.csv`;
    const file = local(name, mailingCsv(3, 0, 8));
    await lftp(serve.ftpPort, `put ${file} -o ${name}.filepart`);
    // A later file processed proves the drop box was scanned meanwhile.
    const sentinel = `mailing_${today}_9_cBRAD.csv`;
    await curlUpload(serve.ftpPort, local(sentinel, mailingCsv(1, 0, 9)), sentinel);
    assert.equal(await done("", sentinel), "LIDOS");
    assert.ok(namesIn(serve.drop).includes(`${name}.filepart`));
    assert.equal(whereIs(serve.drop, `${name}.filepart`), null);
    await lftp(serve.ftpPort, `mv ${name}.filepart ${name}`);
    assert.equal(await done("", name), "LIDOS");
  });

  test("a file uploaded slowly over several stability windows is taken only once complete", async () => {
    // Shorten the drop folder's stability window so the upload spans several of them.
    await store.db
      .updateTable("file_sources")
      .set({ stability_seconds: 1 })
      .where("name", "=", "caixa-ftp")
      .execute();
    const name = `mailing_${today}_10_cBRAD.csv`;
    const people = 5000;
    const content = mailingCsv(people, 0, 10);
    const file = local(name, content);
    // ~215 KB at 32 KB/s: several 1 s windows while the file grows on the server.
    const upload = curlUpload(serve.ftpPort, file, name, ["--limit-rate", "32K"]);
    let finished = false;
    void upload.finally(() => {
      finished = true;
    });
    // The bytes arrive under a hidden name; the real name appears only complete.
    let partialSeen = 0;
    const { readdirSync, statSync } = await import("node:fs");
    const size = Buffer.byteLength(content);
    while (!finished) {
      // The real name appears only once the server holds every byte. curl may still be
      // closing its session then (a busy machine widens that gap), so the name may show
      // up before curl exits, but never short: what carries it is the whole file.
      for (const path of [join(serve.drop, name), join(serve.drop, "LIDOS", name)]) {
        let bytes: number | null = null;
        try {
          bytes = statSync(path).size;
        } catch {
          // Not there (yet, or already moved on): nothing to check.
        }
        if (bytes !== null) assert.equal(bytes, size, `named before the upload ended: ${path}`);
      }
      if (readdirSync(serve.drop).some((n) => n.startsWith(".remessa-envio-"))) partialSeen++;
      await delay(100);
    }
    await upload;
    assert.ok(partialSeen > 0, "the upload was never seen in progress on the server");
    assert.equal(await done("", name), "LIDOS");
    const row = await store.db
      .selectFrom("mailings")
      .select(["persons", "bytes"])
      .where("file_name", "=", name)
      .executeTakeFirstOrThrow();
    assert.deepEqual(row, { persons: people, bytes: Buffer.byteLength(content) });
  });

  test("a file written into the drop folder by other means waits for its size to settle", async () => {
    const name = `mailing_${today}_11_cBRAD.csv`;
    const path = join(serve.drop, name);
    const lines = mailingCsv(300, 0, 11).split("\r\n");
    writeFileSync(path, `${lines[0]}\r\n`);
    // Grows every 300 ms for ~4 s (four 1 s windows): never picked up meanwhile.
    for (let i = 1; i < lines.length - 1; i += 25) {
      appendFileSync(path, `${lines.slice(i, i + 25).join("\r\n")}\r\n`);
      assert.equal(whereIs(serve.drop, name), null, "moved while still growing");
      await delay(300);
    }
    assert.equal(await done("", name), "LIDOS");
    const row = await store.db
      .selectFrom("mailings")
      .select("persons")
      .where("file_name", "=", name)
      .executeTakeFirstOrThrow();
    assert.equal(row.persons, 300);
  });

  test("a plain FTP login (without TLS) is refused", async () => {
    const { execFile } = await import("node:child_process");
    const code = await new Promise<number>((ok) => {
      execFile(
        "curl",
        ["--silent", "--user", "caixa:Senha-da-caixa-1", `ftp://127.0.0.1:${serve.ftpPort}/`],
        (error) => ok(error ? Number((error as { code?: number }).code ?? 1) : 0),
      );
    });
    assert.notEqual(code, 0);
  });

  test("a wrong password or user over FTPS is refused with curl's login error (67)", async () => {
    const { execFile } = await import("node:child_process");
    const login = (user: string) =>
      new Promise<number>((ok) => {
        execFile(
          "curl",
          [
            "--silent",
            "--ssl-reqd",
            "--insecure",
            "--user",
            user,
            `ftp://127.0.0.1:${serve.ftpPort}/`,
          ],
          (error) => ok(error ? Number((error as { code?: number }).code ?? 1) : 0),
        );
      });
    assert.equal(await login(`${FTP_USER}:${FTP_PASSWORD}x`), 67);
    assert.equal(await login(`outro:${FTP_PASSWORD}`), 67);
    assert.equal(await login(`${FTP_USER}:${FTP_PASSWORD}`), 0);
  });

  test("paths outside the drop folder are refused", async () => {
    const out = await lftp(serve.ftpPort, "cd /; cls -1 ../..; cls -1 ../../").catch(
      (e: Error) => e.message,
    );
    assert.ok(!String(out).includes("remessa.db"), "listed the data dir");
    await assert.rejects(lftp(serve.ftpPort, "get ../remessa.db -o /dev/null"));
  });
});
