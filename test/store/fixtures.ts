/** Builders for import tests: parsed names and PersonRecord batches without the reader. */
import { importOnlyMailing, type Mailing } from "../../src/filename/index.js";
import type { PersonRecord, RejectedRow } from "../../src/mailing/types.js";
import type { ContentSummary, ImportChunk, ImportRequest } from "../../src/store/import.js";

export function mailingName(overrides: Partial<Mailing> = {}): Mailing {
  return importOnlyMailing({
    date: "2026-11-26",
    sequence: 1,
    wallet: "BRAD",
    description: "teste",
    ...overrides,
  });
}

export function person(key: string, overrides: Partial<PersonRecord> = {}): PersonRecord {
  return {
    key,
    keyKind: "codcliente",
    codCliente: key,
    document: null,
    name: `Pessoa ${key}`,
    tags: [],
    message: null,
    fields: {},
    channels: [{ kind: "mobile", value: `119${key.padStart(8, "0")}`, line: 2 }],
    firstLine: 2,
    ...overrides,
  };
}

export function rejection(
  line: number,
  code: RejectedRow["code"] = "TELEFONE_INVALIDO",
): RejectedRow {
  return { line, code, message: "Telefone inválido.", raw: `TELEFONE;123;;x;;;;;;;;;` };
}

export async function* chunks(list: ImportChunk[]): AsyncGenerator<ImportChunk> {
  for (const c of list) yield c;
}

export function okSummary(overrides: Partial<ContentSummary> = {}): ContentSummary {
  return {
    ok: true,
    errors: [],
    rows: 0,
    rejected: {},
    rejectedRows: 0,
    bytes: 1234,
    sha256: "ab".repeat(32),
    ...overrides,
  };
}

/** A request for `importMailing` from a list of chunks. */
export function request(
  list: ImportChunk[],
  overrides: Partial<ImportRequest> & { mailing?: Mailing; summary?: () => ContentSummary } = {},
): ImportRequest {
  const mailing = overrides.mailing ?? mailingName();
  const name = `mailing_${mailing.date.slice(8, 10)}${mailing.date.slice(5, 7)}${mailing.date.slice(2, 4)}_${mailing.sequence}.csv`;
  return {
    tenantId: 1,
    fileName: name,
    path: `BRAD/${name}`,
    folder: "BRAD",
    content: chunks(list),
    summary: () => okSummary(),
    ...overrides,
    mailing,
  };
}
