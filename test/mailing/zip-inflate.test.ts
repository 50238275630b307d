/**
 * Deflated entries are inflated by the reader itself (in big steps) and their inflated size is
 * checked against the declared one, as yauzl's own check did.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  buildZip,
  cp1252,
  LONG_HEADER,
  longRow,
  readAll,
  tempFile,
  zipHeaders,
} from "./helpers.js";

/** A mailing of a few MiB: many inflate steps, rows across their boundaries. */
function bigMailing(): Buffer {
  const rows = [LONG_HEADER];
  for (let i = 0; i < 40_000; i++) {
    const code = `C${String(Math.floor(i / 2)).padStart(6, "0")}`;
    rows.push(
      longRow({
        type: i % 2 === 0 ? "CELULAR" : "EMAIL",
        value: i % 2 === 0 ? `119${String(i).padStart(8, "0")}` : `p${i}@exemplo.com.br`,
        name: "Conceição Araújo",
        code,
        message: i % 2 === 0 ? '"Olá; ""você"" tem um boleto"' : "",
        coringa1: i % 97 === 0 ? "x".repeat(301) : "contrato",
      }),
    );
  }
  return cp1252(`${rows.join("\r\n")}\r\n`);
}

/** Sets the declared unpacked size of every entry. */
function declare(zip: Buffer, size: number): Buffer {
  const out = Buffer.from(zip);
  const { central, local } = zipHeaders(out);
  for (const at of central) out.writeUInt32LE(size, at + 24);
  for (const at of local) out.writeUInt32LE(size, at + 22);
  return out;
}

describe("zip entries inflated by the reader", () => {
  test("a deflated entry of several MiB reads as the same file unzipped", async () => {
    const data = bigMailing();
    const zipped = await readAll(tempFile(await buildZip([{ name: "m.csv", data }]), "zip"));
    const plain = await readAll(tempFile(data));
    assert.equal(zipped.summary.ok, true);
    assert.equal(zipped.summary.rows, 40_000);
    assert.deepEqual(zipped.persons, plain.persons);
    assert.deepEqual(
      zipped.rejected.map(({ entry: _entry, ...r }) => r),
      plain.rejected,
    );
    const { sha256: _a, bytes: _b, ...zippedSummary } = zipped.summary;
    const { sha256: _c, bytes: _d, ...plainSummary } = plain.summary;
    assert.deepEqual(zippedSummary, plainSummary);
  });

  test("an entry holding more than it declares: ZIP_PERIGOSO (size does not match)", async () => {
    const data = bigMailing();
    const zip = declare(await buildZip([{ name: "m.csv", data }]), data.length - 1);
    const { summary } = await readAll(tempFile(zip, "zip"));
    assert.equal(summary.ok, false);
    assert.equal(summary.errors[0]?.code, "ZIP_PERIGOSO");
    assert.match(summary.errors[0]?.message ?? "", /tamanho declarado/);
  });

  test("an entry holding less than it declares: ZIP_PERIGOSO (size does not match)", async () => {
    const data = bigMailing();
    const zip = declare(await buildZip([{ name: "m.csv", data }]), data.length + 1);
    const { summary } = await readAll(tempFile(zip, "zip"));
    assert.equal(summary.ok, false);
    assert.equal(summary.errors[0]?.code, "ZIP_PERIGOSO");
    assert.match(summary.errors[0]?.message ?? "", /tamanho declarado/);
  });

  test("a stored (not deflated) entry is read as before", async () => {
    const data = bigMailing();
    const zipped = await readAll(
      tempFile(await buildZip([{ name: "m.csv", data, compress: false }]), "zip"),
    );
    const plain = await readAll(tempFile(data));
    assert.equal(zipped.summary.ok, true);
    assert.deepEqual(zipped.persons, plain.persons);
  });
});
