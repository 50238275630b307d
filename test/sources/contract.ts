/**
 * The behaviour every Source implementation must have, run against each real
 * server by the *.test.ts files: `sourceContract("ftp-srv plain", open)`.
 */
import assert from "node:assert/strict";
import { open as openFile } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { listCandidates } from "../../src/sources/candidates.js";
import { SourceError } from "../../src/sources/errors.js";
import type { Source } from "../../src/sources/types.js";

export interface ContractTarget {
  source: Source;
  /** The source root on this machine's disk (all test servers are local), to plant big files. */
  diskRoot: string;
  cleanup(): Promise<void>;
}

export interface ContractOptions {
  /** Run the 200 MB streaming check (full mode: it takes a while). */
  bigFile: boolean | string;
  /** Skip the whole suite with this reason (a server that is not available). */
  skip?: string | false;
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function readText(source: Source, path: string): Promise<string> {
  return (await readAll(await source.read(path))).toString("utf8");
}

function rejectsWith(code: string) {
  return (error: unknown) => error instanceof SourceError && error.code === code;
}

export function sourceContract(
  name: string,
  openTarget: () => Promise<ContractTarget>,
  options: ContractOptions,
): void {
  describe(`Source contract: ${name}`, { skip: options.skip ?? false }, () => {
    let target: ContractTarget;
    let source: Source;
    before(async () => {
      target = await openTarget();
      source = target.source;
    });
    after(async () => {
      await source?.close();
      await target?.cleanup();
    });

    test("writes a file, then lists, stats and reads it", async () => {
      assert.equal(await source.write("basico/a.txt", "olá\n"), "basico/a.txt");
      const entries = await source.list("basico");
      assert.deepEqual(
        entries.map((e) => [e.name, e.path, e.isFolder, e.size]),
        [["a.txt", "basico/a.txt", false, 5]],
      );
      const entry = await source.stat("basico/a.txt");
      assert.equal(entry?.size, 5);
      assert.equal(entry?.isFolder, false);
      assert.equal((await source.stat("basico"))?.isFolder, true);
      assert.equal(await readText(source, "basico/a.txt"), "olá\n");
    });

    test("stat of a missing path is null; listing or reading it fails with ARQUIVO_INEXISTENTE", async () => {
      assert.equal(await source.stat("nao-existe.csv"), null);
      assert.equal(await source.stat("nao-existe/x.csv"), null);
      await assert.rejects(source.list("nao-existe"), rejectsWith("ARQUIVO_INEXISTENTE"));
      await assert.rejects(source.read("nao-existe.csv"), rejectsWith("ARQUIVO_INEXISTENTE"));
    });

    test("the root is a folder and lists its entries", async () => {
      assert.equal((await source.stat(""))?.isFolder, true);
      await source.mkdir("raiz-visivel");
      const names = (await source.list("")).map((e) => e.name);
      assert.ok(names.includes("raiz-visivel"), names.join(","));
    });

    test("write never overwrites: a clash gets -2, -3 before the extension", async () => {
      assert.equal(await source.write("relatorio/r.erro.txt", "um"), "relatorio/r.erro.txt");
      assert.equal(await source.write("relatorio/r.erro.txt", "dois"), "relatorio/r.erro-2.txt");
      assert.equal(await source.write("relatorio/r.erro.txt", "três"), "relatorio/r.erro-3.txt");
      assert.equal(await readText(source, "relatorio/r.erro.txt"), "um");
      assert.equal(await readText(source, "relatorio/r.erro-3.txt"), "três");
    });

    test("write takes content produced in chunks (text and bytes) without holding it whole", async () => {
      async function* chunks() {
        yield "linha;código\r\n";
        for (let i = 0; i < 3000; i++) yield Buffer.from(`${i};ação ${i}\r\n`, "utf8");
      }
      assert.equal(await source.write("fluxo/r.csv", chunks()), "fluxo/r.csv");
      const text = await readText(source, "fluxo/r.csv");
      assert.ok(text.startsWith("linha;código\r\n0;ação 0\r\n"));
      assert.ok(text.endsWith("2999;ação 2999\r\n"));
      assert.equal(text.split("\r\n").length, 3002);
      // A clash is found before anything is consumed.
      assert.equal(await source.write("fluxo/r.csv", chunks()), "fluxo/r-2.csv");
    });

    test("move can rename on the way, still never overwriting", async () => {
      await source.write("renomear/tmp/x1.tmp", "primeiro");
      await source.write("renomear/tmp/x2.tmp", "segundo");
      assert.equal(
        await source.move("renomear/tmp/x1.tmp", "renomear", "r.erro.txt"),
        "renomear/r.erro.txt",
      );
      assert.equal(
        await source.move("renomear/tmp/x2.tmp", "renomear", "r.erro.txt"),
        "renomear/r.erro-2.txt",
      );
      assert.equal(await readText(source, "renomear/r.erro.txt"), "primeiro");
      assert.equal(await source.stat("renomear/tmp/x1.tmp"), null);
    });

    test("move creates the folder and never overwrites: -2, -3 on clashes", async () => {
      await source.write("mov/a/mailing_261126_1.csv", "primeiro");
      await source.write("mov/b/mailing_261126_1.csv", "segundo");
      await source.write("mov/c/mailing_261126_1.csv", "terceiro");
      assert.equal(
        await source.move("mov/a/mailing_261126_1.csv", "mov/LIDOS"),
        "mov/LIDOS/mailing_261126_1.csv",
      );
      assert.equal(
        await source.move("mov/b/mailing_261126_1.csv", "mov/LIDOS"),
        "mov/LIDOS/mailing_261126_1-2.csv",
      );
      assert.equal(
        await source.move("mov/c/mailing_261126_1.csv", "mov/LIDOS"),
        "mov/LIDOS/mailing_261126_1-3.csv",
      );
      assert.equal(await source.stat("mov/a/mailing_261126_1.csv"), null);
      assert.equal(await readText(source, "mov/LIDOS/mailing_261126_1.csv"), "primeiro");
      assert.equal(await readText(source, "mov/LIDOS/mailing_261126_1-2.csv"), "segundo");
      assert.equal(await readText(source, "mov/LIDOS/mailing_261126_1-3.csv"), "terceiro");
    });

    test("moving a file that vanished fails with ARQUIVO_INEXISTENTE", async () => {
      await assert.rejects(
        source.move("sumiu.csv", "DESCARTADOS"),
        rejectsWith("ARQUIVO_INEXISTENTE"),
      );
    });

    test("remove deletes a file, answers false when nothing is there, never removes a folder", async () => {
      await source.write("apagar/LIDOS/mailing_261126_1.csv", "original");
      await source.write("apagar/LIDOS/mailing_261126_1.csv.limpo.tmp", "limpo");
      assert.equal(await source.remove("apagar/LIDOS/mailing_261126_1.csv"), true);
      assert.equal(await source.stat("apagar/LIDOS/mailing_261126_1.csv"), null);
      assert.equal(await source.remove("apagar/LIDOS/mailing_261126_1.csv"), false);
      assert.equal(await source.remove("apagar/nunca-existiu.csv"), false);
      await assert.rejects(source.remove("apagar/LIDOS"), rejectsWith("ARQUIVO_INEXISTENTE"));
      assert.equal((await source.stat("apagar/LIDOS"))?.isFolder, true);
      // Remove then move: how an erasure puts a rewritten file in the original's place.
      assert.equal(
        await source.move(
          "apagar/LIDOS/mailing_261126_1.csv.limpo.tmp",
          "apagar/LIDOS",
          "mailing_261126_1.csv",
        ),
        "apagar/LIDOS/mailing_261126_1.csv",
      );
      assert.equal(await readText(source, "apagar/LIDOS/mailing_261126_1.csv"), "limpo");
      assert.deepEqual(
        (await source.list("apagar/LIDOS")).map((e) => e.name),
        ["mailing_261126_1.csv"],
      );
    });

    test("mkdir creates parents and accepts an existing folder", async () => {
      await source.mkdir("x/y/z");
      await source.mkdir("x/y/z");
      assert.equal((await source.stat("x/y/z"))?.isFolder, true);
      assert.deepEqual(
        (await source.list("x")).map((e) => e.name),
        ["y"],
      );
    });

    test("names with accents and spaces survive list, read, write and move", async () => {
      const folder = "Cobrança São Paulo";
      const file = "mailing_261126_1_dCampanha de Março çãõ.csv";
      assert.equal(await source.write(`${folder}/${file}`, "conteúdo"), `${folder}/${file}`);
      assert.deepEqual(
        (await source.list(folder)).map((e) => e.name),
        [file],
      );
      assert.ok((await source.list("")).some((e) => e.name === folder && e.isFolder));
      assert.equal(await readText(source, `${folder}/${file}`), "conteúdo");
      assert.equal(
        await source.move(`${folder}/${file}`, `${folder}/DESCARTADOS`),
        `${folder}/DESCARTADOS/${file}`,
      );
      assert.equal(await readText(source, `${folder}/DESCARTADOS/${file}`), "conteúdo");
    });

    test("paths cannot climb out of the root", async () => {
      await assert.rejects(source.list("../"), rejectsWith("CAMINHO_INVALIDO"));
      await assert.rejects(source.read("a/../../etc/passwd"), rejectsWith("CAMINHO_INVALIDO"));
    });

    test("names that are not one plain segment are left out of listings, not fatal to them", async () => {
      // Legal names on a Linux server; remessa reads a backslash as a separator.
      await source.write("estranhos/bom.csv", "x\n");
      const { writeFile } = await import("node:fs/promises");
      await writeFile(join(target.diskRoot, "estranhos", "..\\fora.csv"), "x\n");
      await writeFile(join(target.diskRoot, "estranhos", "a\\b.csv"), "x\n");
      const names = (await source.list("estranhos")).map((e) => e.name);
      assert.deepEqual(names, ["bom.csv"]);
    });

    test("a binary file reads back byte for byte", async () => {
      const bytes = Buffer.alloc(300_000);
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + (i >> 8)) & 255;
      await source.write("bin/dados.zip", bytes);
      assert.ok((await readAll(await source.read("bin/dados.zip"))).equals(bytes));
    });

    test("a reader that stops early does not break the next operations", async () => {
      const bytes = Buffer.alloc(2_000_000, 65);
      await source.write("parcial/grande.csv", bytes);
      const stream = await source.read("parcial/grande.csv");
      for await (const _chunk of stream) break;
      assert.equal((await source.stat("parcial/grande.csv"))?.size, bytes.length);
      assert.equal((await readAll(await source.read("parcial/grande.csv"))).length, bytes.length);
    });

    test("candidates: root and wallet folders, no hidden, temporary or outcome files", async () => {
      // A fresh sub-root keeps earlier tests' files out of the count.
      await source.write("cand/mailing_261126_1.csv", "x");
      await source.write("cand/.oculto.csv", "x");
      await source.write("cand/~lock.csv", "x");
      await source.write("cand/mailing_261126_2.csv.filepart", "x");
      await source.write("cand/mailing_261126_3.CSV.PART", "x");
      await source.write("cand/BRAD/mailing_261126_4.csv", "x");
      await source.write("cand/BRAD/fundo/mailing_261126_5.csv", "x");
      await source.write("cand/BRAD/LIDOS/mailing_261126_6.csv", "x");
      await source.write("cand/lidos/mailing_261126_7.csv", "x");
      await source.write("cand/Descartados/mailing_261126_8.csv", "x");
      const scoped: Source = {
        ...source,
        protocol: source.protocol,
        list: (folder: string) => source.list(folder === "" ? "cand" : folder),
      };
      const found = await listCandidates(scoped);
      assert.deepEqual(
        found.map((f) => [f.folder, f.name]),
        [
          ["", "mailing_261126_1.csv"],
          ["BRAD", "mailing_261126_4.csv"],
        ],
      );
    });

    test("a 200 MB file streams with flat memory", {
      skip: options.bigFile === true ? false : options.bigFile || "only in full mode",
    }, async () => {
      const size = 200 * 1024 * 1024;
      const handle = await openFile(join(target.diskRoot, "grande.csv"), "w", 0o644);
      // Written in 1 MiB blocks of varied bytes (not a sparse file), streamed from disk.
      const block = Buffer.alloc(1024 * 1024);
      for (let i = 0; i < block.length; i++) block[i] = 48 + (i % 10);
      for (let written = 0; written < size; written += block.length) await handle.write(block);
      await handle.close();
      global.gc?.();
      const baseline = process.memoryUsage().rss;
      let peak = baseline;
      let total = 0;
      let checksum = 0;
      for await (const chunk of await source.read("grande.csv")) {
        const buffer = chunk as Buffer;
        total += buffer.length;
        checksum = (checksum + (buffer[0] ?? 0)) % 1_000_003;
        peak = Math.max(peak, process.memoryUsage().rss);
      }
      assert.equal(total, size);
      assert.ok(checksum > 0);
      const growth = (peak - baseline) / (1024 * 1024);
      assert.ok(growth < 100, `RSS grew ${growth.toFixed(1)} MB while streaming 200 MB`);
    });
  });
}
