import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  buildZip,
  cp1252,
  LONG_HEADER,
  longRow,
  patchZipName,
  readAll,
  tempFile,
  zipHeaders,
} from "./helpers.js";

const mailing = (...values: string[]) =>
  [LONG_HEADER, ...values.map((v) => longRow({ value: v }))].join("\r\n");

describe("readMailing: zip", () => {
  test("entries are read in name order as one mailing, each with its own header and encoding", async () => {
    const zip = await buildZip([
      { name: "b/segunda.csv", data: mailing("11987654322", "11987654323") },
      {
        name: "a.csv",
        data: cp1252(`${LONG_HEADER}\r\n${longRow({ value: "11987654321", name: "José" })}\r\n`),
      },
      { name: "c.txt", data: "VALOR_DO_REGISTRO;TIPO_DE_REGISTRO\nfulano@x.com;EMAIL\nruim;FAX\n" },
      { name: "pasta/", data: "" },
    ]);
    const { summary, persons, rejected } = await readAll(tempFile(zip, "zip"));
    assert.equal(summary.ok, true, JSON.stringify(summary.errors));
    assert.deepEqual(
      persons.map((p) => p.channels[0]?.value),
      ["11987654321", "11987654322", "11987654323", "fulano@x.com"],
    );
    assert.equal(persons[0]?.name, "José");
    assert.equal(summary.encoding, "windows-1252");
    assert.deepEqual(
      rejected.map((r) => [r.entry, r.line, r.code]),
      [["c.txt", 3, "TIPO_INVALIDO"]],
    );
    assert.equal(summary.rows, 5);
  });

  test("sha256 and bytes are those of the .zip itself", async () => {
    const zip = await buildZip([{ name: "m.csv", data: mailing("11987654321") }]);
    const { summary } = await readAll(tempFile(zip, "zip"));
    const { createHash } = await import("node:crypto");
    assert.equal(summary.sha256, createHash("sha256").update(zip).digest("hex"));
    assert.equal(summary.bytes, zip.length);
  });

  test("a name in CP850 without the UTF-8 flag (Windows) is decoded", async () => {
    const zip = await buildZip([{ name: "cobranXa.csv", data: mailing("11987654321", "FAX") }]);
    const patched = patchZipName(zip, "cobranXa.csv", Buffer.from("cobran\x87a.csv", "latin1"));
    // A bad row so the entry name shows up in a rejection.
    const withBad = await buildZip([
      {
        name: "cobranXa.csv",
        data: `${LONG_HEADER}\n${longRow({ value: "11987654321" })}\n${longRow({ type: "FAX", value: "1" })}\n${longRow({ value: "11987654322" })}\n`,
      },
    ]);
    const patchedBad = patchZipName(
      withBad,
      "cobranXa.csv",
      Buffer.from("cobran\x87a.csv", "latin1"),
    );
    const { rejected, summary } = await readAll(tempFile(patchedBad, "zip"));
    assert.equal(summary.ok, true, JSON.stringify(summary.errors));
    assert.equal(rejected[0]?.entry, "cobrança.csv");
    assert.ok(patched.length > 0);
  });

  test("path traversal entry: ZIP_PERIGOSO before reading anything", async () => {
    const zip = await buildZip([{ name: "aa/x.csv", data: mailing("11987654321") }]);
    const evil = patchZipName(zip, "aa/x.csv", Buffer.from("../x.csv"));
    const { summary, persons } = await readAll(tempFile(evil, "zip"));
    assert.equal(summary.errors[0]?.code, "ZIP_PERIGOSO");
    assert.match(summary.errors[0]?.message ?? "", /\.\.\/x\.csv/);
    assert.equal(persons.length, 0);
    const absolute = patchZipName(zip, "aa/x.csv", Buffer.from("/etc/x.c"));
    assert.equal(
      (await readAll(tempFile(absolute, "zip"))).summary.errors[0]?.code,
      "ZIP_PERIGOSO",
    );
  });

  test("an encrypted entry (flag bit 0): ZIP_PERIGOSO", async () => {
    const zip = Buffer.from(await buildZip([{ name: "m.csv", data: mailing("11987654321") }]));
    const { central, local } = zipHeaders(zip);
    for (const at of central) zip.writeUInt16LE(zip.readUInt16LE(at + 8) | 1, at + 8);
    for (const at of local) zip.writeUInt16LE(zip.readUInt16LE(at + 6) | 1, at + 6);
    const { summary } = await readAll(tempFile(zip, "zip"));
    assert.equal(summary.errors[0]?.code, "ZIP_PERIGOSO");
    assert.match(summary.errors[0]?.message ?? "", /senha/);
  });

  test("a zip bomb is refused from its declared sizes", async () => {
    const zeros = Buffer.alloc(30 * 1024 * 1024, "0");
    const zip = await buildZip([{ name: "bomba.csv", data: zeros }]);
    const { summary } = await readAll(tempFile(zip, "zip"));
    assert.equal(summary.errors[0]?.code, "ZIP_PERIGOSO");
  });

  test("a zip bomb that lies about its size is stopped while inflating", async () => {
    const zeros = Buffer.concat([
      Buffer.from(`${LONG_HEADER}\n`),
      Buffer.alloc(30 * 1024 * 1024, "0"),
    ]);
    const zip = Buffer.from(await buildZip([{ name: "bomba.csv", data: zeros }]));
    const { central, local } = zipHeaders(zip);
    // Declare 1000 bytes unpacked in both headers.
    for (const at of central) zip.writeUInt32LE(1000, at + 24);
    for (const at of local) zip.writeUInt32LE(1000, at + 22);
    const { summary } = await readAll(tempFile(zip, "zip"));
    assert.equal(summary.ok, false);
    assert.equal(summary.errors[0]?.code, "ZIP_PERIGOSO");
    assert.ok(process.memoryUsage().rss < 1024 ** 3);
  });

  test("the unpacked total limit is counted while streaming", async () => {
    const zip = await buildZip([
      {
        name: "m.csv",
        data: mailing(
          ...Array.from({ length: 3000 }, (_, i) => `119${String(i).padStart(8, "0")}`),
        ),
      },
    ]);
    const { summary } = await readAll(tempFile(zip, "zip"), {
      zipLimits: { maxUnpackedBytes: 10_000 },
    });
    assert.equal(summary.errors[0]?.code, "ZIP_PERIGOSO");
  });

  test("nested archive: ZIP_PERIGOSO; other file type: ZIP_INVALIDO; no csv: ZIP_SEM_MAILING", async () => {
    const inner = await buildZip([{ name: "m.csv", data: mailing("11987654321") }]);
    const nested = await buildZip([
      { name: "m.csv", data: mailing("11987654321") },
      { name: "dentro.zip", data: inner },
    ]);
    assert.equal((await readAll(tempFile(nested, "zip"))).summary.errors[0]?.code, "ZIP_PERIGOSO");
    const other = await buildZip([
      { name: "m.csv", data: mailing("11987654321") },
      { name: "planilha.xlsx", data: "x" },
    ]);
    assert.equal((await readAll(tempFile(other, "zip"))).summary.errors[0]?.code, "ZIP_INVALIDO");
    const none = await buildZip([
      { name: "pasta/", data: "" },
      { name: "__MACOSX/._m.csv", data: "x" },
    ]);
    assert.equal((await readAll(tempFile(none, "zip"))).summary.errors[0]?.code, "ZIP_SEM_MAILING");
  });

  test("macOS metadata entries are ignored", async () => {
    const zip = await buildZip([
      { name: "m.csv", data: mailing("11987654321") },
      { name: "__MACOSX/._m.csv", data: Buffer.from([0, 5, 22, 7, 0, 2]) },
      { name: ".DS_Store", data: Buffer.from([0, 0, 0, 1]) },
    ]);
    const { summary } = await readAll(tempFile(zip, "zip"));
    assert.equal(summary.ok, true, JSON.stringify(summary.errors));
  });

  test("a corrupt zip and a non-zip with .zip extension: ZIP_INVALIDO", async () => {
    const zip = await buildZip([{ name: "m.csv", data: mailing("11987654321") }]);
    assert.equal(
      (await readAll(tempFile(zip.subarray(0, zip.length - 30), "zip"))).summary.errors[0]?.code,
      "ZIP_INVALIDO",
    );
    assert.equal(
      (await readAll(tempFile(mailing("11987654321"), "zip"))).summary.errors[0]?.code,
      "ZIP_INVALIDO",
    );
  });

  test("missing columns in one entry are reported with the entry name", async () => {
    const zip = await buildZip([
      { name: "a.csv", data: mailing("11987654321") },
      { name: "b.csv", data: "NOME;FONE_FIXO_X\nAna;1\n" },
    ]);
    const { summary } = await readAll(tempFile(zip, "zip"));
    assert.equal(summary.errors[0]?.code, "COLUNAS_OBRIGATORIAS");
    assert.match(summary.errors[0]?.message ?? "", /b\.csv/);
  });
});
