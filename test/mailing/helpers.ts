/** Test helpers for the mailing reader: temp files, reading everything, building zips. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import iconv from "iconv-lite";
import yazl from "yazl";
import {
  type MailingSummary,
  type ReadMailingOptions,
  readMailing,
} from "../../src/mailing/reader.js";
import type { PersonRecord, RejectedRow } from "../../src/mailing/types.js";

const dir = mkdtempSync(join(tmpdir(), "remessa-mailing-"));
let counter = 0;

export function tempFile(content: string | Buffer, ext = "csv"): string {
  const path = join(dir, `f${++counter}.${ext}`);
  writeFileSync(path, content);
  return path;
}

export const cp1252 = (text: string): Buffer => iconv.encode(text, "windows-1252");

export interface ReadAll {
  persons: PersonRecord[];
  rejected: RejectedRow[];
  summary: MailingSummary;
  chunks: number;
}

export async function readAll(
  path: string,
  options: Partial<ReadMailingOptions> = {},
): Promise<ReadAll> {
  const ext = path.endsWith(".zip") ? "zip" : path.endsWith(".txt") ? "txt" : "csv";
  const reader = readMailing(path, { extension: ext, sanitize: false, ...options });
  const persons: PersonRecord[] = [];
  const rejected: RejectedRow[] = [];
  let chunks = 0;
  for (;;) {
    const r = await reader.next();
    if (r.done) return { persons, rejected, summary: r.value, chunks };
    chunks++;
    persons.push(...r.value.persons);
    rejected.push(...r.value.rejected);
  }
}

export async function readText(
  text: string | Buffer,
  options: Partial<ReadMailingOptions> = {},
): Promise<ReadAll> {
  return readAll(tempFile(text), options);
}

export const LONG_HEADER =
  "TIPO_DE_REGISTRO;VALOR_DO_REGISTRO;MENSAGEM;NOME_CLIENTE;CPFCNPJ;CODCLIENTE;TAG;CORINGA1;CORINGA2;CORINGA3;CORINGA4;CORINGA5;PRIORIDADE";

/** A long-layout row from the fields that matter, the rest empty. */
export function longRow(r: {
  type?: string;
  value: string;
  name?: string;
  doc?: string;
  code?: string;
  tag?: string;
  message?: string;
  coringa1?: string;
  coringa5?: string;
  priority?: string;
}): string {
  return [
    r.type ?? "TELEFONE",
    r.value,
    r.message ?? "",
    r.name ?? "",
    r.doc ?? "",
    r.code ?? "",
    r.tag ?? "",
    r.coringa1 ?? "",
    "",
    "",
    "",
    r.coringa5 ?? "",
    r.priority ?? "",
  ].join(";");
}

export async function buildZip(
  entries: { name: string; data: Buffer | string; compress?: boolean }[],
): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const e of entries) {
    if (e.name.endsWith("/")) {
      zip.addEmptyDirectory(e.name);
      continue;
    }
    zip.addBuffer(Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data), e.name, {
      compress: e.compress ?? true,
    });
  }
  zip.end();
  const parts: Buffer[] = [];
  for await (const chunk of zip.outputStream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/** Offsets of every central-directory header and local header in a zip buffer. */
export function zipHeaders(zip: Buffer): { central: number[]; local: number[] } {
  const central: number[] = [];
  const local: number[] = [];
  for (let i = 0; i + 4 <= zip.length; i++) {
    const sig = zip.readUInt32LE(i);
    if (sig === 0x02014b50) central.push(i);
    else if (sig === 0x04034b50) local.push(i);
  }
  return { central, local };
}

/** Replaces an entry's name bytes (same length) in both headers, clearing the UTF-8 flag. */
export function patchZipName(zip: Buffer, from: string, to: Buffer): Buffer {
  const out = Buffer.from(zip);
  const fromBytes = Buffer.from(from, "latin1");
  if (fromBytes.length !== to.length) throw new Error("same length only");
  const { central, local } = zipHeaders(out);
  for (const at of central) {
    const nameLength = out.readUInt16LE(at + 28);
    const nameAt = at + 46;
    if (nameLength === to.length && out.subarray(nameAt, nameAt + nameLength).equals(fromBytes)) {
      to.copy(out, nameAt);
      out.writeUInt16LE(out.readUInt16LE(at + 8) & ~0x800, at + 8);
    }
  }
  for (const at of local) {
    const nameLength = out.readUInt16LE(at + 26);
    const nameAt = at + 30;
    if (nameLength === to.length && out.subarray(nameAt, nameAt + nameLength).equals(fromBytes)) {
      to.copy(out, nameAt);
      out.writeUInt16LE(out.readUInt16LE(at + 6) & ~0x800, at + 6);
    }
  }
  return out;
}
