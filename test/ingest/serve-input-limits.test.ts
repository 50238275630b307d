/**
 * End to end (issue 17, items 5 and 18): hostile content uploaded to a real `serve` child's
 * drop box. One line without a line break, or a line of 10M columns, is discarded with
 * LINHA_LONGA while serve's peak RSS stays under 300 MB, and the next upload is processed; a
 * rejected row that holds a formula reaches `.rejeitados.csv` neutralised.
 */
import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CsvSplitter } from "../../src/mailing/csv.js";
import type { Store } from "../../src/store/db.js";
import { createWallet } from "../../src/store/wallets.js";
import { ddmmyy, mailingCsv, waitFor, whereDone } from "./helpers.js";
import { curlUpload, openServeStore, type ServeProcess, startServe } from "./serve-harness.js";

/** Peak resident set size of a process, in MB (Linux: VmHWM). */
function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1]);
  assert.ok(kb > 0, "no VmHWM");
  return kb / 1024;
}

describe("serve: one hostile file does not wedge the drop box", () => {
  let serve: ServeProcess;
  let store: Store;
  const work = mkdtempSync(join(tmpdir(), "remessa-limits-"));
  const today = ddmmyy();

  before(async () => {
    serve = await startServe();
    store = await openServeStore(serve.dataDir);
    await createWallet(store.db, 1, { code: "BRAD" });
  });

  after(async () => {
    await serve.stop();
    await store.close();
  });

  /** A header, one good row, `pieces` MiB of `piece` and `tail`. */
  function hostile(name: string, piece: string, pieces: number, tail: string): string {
    const path = join(work, name);
    const fd = openSync(path, "w");
    try {
      writeSync(fd, "TIPO_DE_REGISTRO;VALOR_DO_REGISTRO\r\nTELEFONE;11987654321\r\nTELEFONE;");
      const chunk = piece.repeat(Math.ceil((1 << 20) / piece.length));
      for (let i = 0; i < pieces; i++) writeSync(fd, chunk);
      writeSync(fd, tail);
    } finally {
      closeSync(fd);
    }
    return path;
  }

  async function discarded(name: string): Promise<string> {
    const where = await waitFor(`${name} to be reported`, () => whereDone(serve.drop, name));
    assert.equal(where, "DESCARTADOS");
    return readFileSync(join(serve.drop, "DESCARTADOS", `${name}.erro.txt`), "utf8");
  }

  test("64 MB without a line break, then a 20 MB line of 10M columns: LINHA_LONGA, bounded memory", async () => {
    const pid = serve.child.pid as number;
    // serve's own high-water mark after start-up (API, console, migrations,
    // dispatcher) is about 185 MB; what is asserted is what the hostile files
    // add to it (560 to 895 MB before the line limits, about 75 MB now). The
    // total's peak moves by some 40 MB with GC timing on a loaded machine, so
    // the absolute bound is looser than the growth's.
    const startPeak = peakRssMb(pid);
    const long = `mailing_${today}_1_cBRAD.csv`;
    await curlUpload(serve.ftpPort, hostile(long, "1", 64, ""), long);
    assert.match(await discarded(long), /\[LINHA_LONGA\] A linha 3 tem mais de 1\.048\.576/);
    const columns = `mailing_${today}_2_cBRAD.csv`;
    await curlUpload(
      serve.ftpPort,
      hostile(columns, "1;", 20, "\r\nTELEFONE;11987654322\r\n"),
      columns,
    );
    assert.match(await discarded(columns), /\[LINHA_LONGA\] A linha 3/);
    const rss = peakRssMb(pid);
    if (process.env.SHOW_RSS)
      console.log(`serve peak RSS ${startPeak.toFixed(0)} -> ${rss.toFixed(0)} MB`);
    assert.ok(
      rss - startPeak < 150,
      `the files added ${(rss - startPeak).toFixed(0)} MB to serve's peak`,
    );
    assert.ok(rss < 350, `serve peaked at ${rss.toFixed(0)} MB`);
    // The drop box still works: the next file is imported.
    const good = `mailing_${today}_3_cBRAD.csv`;
    writeFileSync(join(work, good), mailingCsv(3, 0, 3));
    await curlUpload(serve.ftpPort, join(work, good), good);
    assert.equal(
      await waitFor(`${good} to be reported`, () => whereDone(serve.drop, good)),
      "LIDOS",
    );
  });

  test("a rejected row holding a formula is written with a ' in .rejeitados.csv", async () => {
    const name = `mailing_${today}_4_cBRAD.csv`;
    const evil = '=HYPERLINK("http://evil.example/","clique")';
    const csv = `${mailingCsv(4, 0, 4)}${evil};11987650000\r\n-12;+5511987654321\r\n`;
    writeFileSync(join(work, name), csv);
    await curlUpload(serve.ftpPort, join(work, name), name);
    assert.equal(
      await waitFor(`${name} to be reported`, () => whereDone(serve.drop, name)),
      "LIDOS",
    );
    const report = readFileSync(join(serve.drop, "LIDOS", `${name}.rejeitados.csv`), "utf8");
    assert.ok(report.includes(`"'${evil.replaceAll('"', '""')};11987650000"`), report);
    assert.ok(report.includes(`"'-12;+5511987654321"`), report);
    const cells: string[] = [];
    const splitter = new CsvSplitter(";", (fields, count) => cells.push(...fields.slice(0, count)));
    splitter.push(report);
    splitter.end();
    assert.ok(cells.length > 10);
    for (const cell of cells) assert.doesNotMatch(cell, /^[=+\-@]/);
  });
});
