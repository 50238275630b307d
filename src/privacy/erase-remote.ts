/**
 * Erasure on remote sources (FTP, FTPS, SFTP): the mailing moved to
 * LIDOS/DESCARTADOS and the reports written beside it are rewritten without
 * the person's lines, or deleted when that cannot be done, through the same
 * Source interface the import uses.
 *
 * A file is rewritten in three steps, each safe to be cut short:
 *   1. the scrubbed content is written beside the original as
 *      `<name>.parcial.tmp`, streamed from one connection to another (a file
 *      may be 1 GiB: never held whole, never spooled to local disk);
 *   2. once complete and verified it is renamed `<name>.limpo.tmp`;
 *   3. the original is removed and the clean copy moved into its name.
 * SFTP's rename refuses an existing target and FTP's may or may not replace
 * it, so "remove, then move" is the one replacement every server does alike.
 * A run cut between the removal and the move leaves only `<name>.limpo.tmp`,
 * which the next run moves into place. Both names end in `.tmp`, which the
 * scanner never takes for a mailing.
 *
 * The work is recorded first (erasure_remote_files, with the identifiers
 * sealed) and each row removed once its file is done, so an unreachable
 * server never stops the erasure of the base and the local files, and running
 * the erasure again retries what failed.
 */
import type { Kysely } from "kysely";
import { SourceError } from "../sources/errors.js";
import { openSource } from "../sources/open.js";
import { baseName, joinRelative, parentOf } from "../sources/paths.js";
import type { OpenSourceOptions, Source } from "../sources/types.js";
import type { Database } from "../store/schema.js";
import { decryptSecret, encryptSecret } from "../store/secrets.js";
import { getSourceWithSecret } from "../store/sources.js";
import type { PersonSelector } from "./persons.js";
import { type Identifiers, isRewritable, scrubLines } from "./scrub.js";

export type RemoteOutcome = "rewritten" | "deleted" | "unchanged" | "missing" | "failed";

export interface RemoteFileResult {
  mailingId: number;
  source: string;
  path: string;
  outcome: RemoteOutcome;
  removedLines: number;
  /** The outcome in pt-BR: "reescrito", "apagado", "não encontrado", "falhou: <motivo>", … */
  description: string;
}

export interface RemoteErasureOptions {
  /** The installation's secret key (source passwords, sealed identifiers); default: secretKey(). */
  secretKey?: Buffer;
  /** Passed to openSource (tests shorten the timeouts). */
  sourceOptions?: OpenSourceOptions;
}

/** Records the remote files of one mailing to clean of one person (before any is touched). */
export async function recordRemoteFiles(
  db: Kysely<Database>,
  entry: {
    tenantId: number;
    personId: number;
    mailingId: number;
    sourceId: number;
    paths: string[];
    ids: Identifiers;
    at: string;
  },
  key?: Buffer,
): Promise<void> {
  if (entry.paths.length === 0) return;
  const sealed = encryptSecret(JSON.stringify(entry.ids), key);
  for (const path of entry.paths) {
    await db
      .insertInto("erasure_remote_files")
      .values({
        tenant_id: entry.tenantId,
        person_id: entry.personId,
        mailing_id: entry.mailingId,
        source_id: entry.sourceId,
        path,
        identifiers_enc: sealed,
        created_at: entry.at,
        updated_at: entry.at,
      })
      .onConflict((oc) => oc.columns(["tenant_id", "person_id", "mailing_id", "path"]).doNothing())
      .execute();
  }
}

type PendingRow = Awaited<ReturnType<typeof pendingRows>>[number];

function pendingRows(db: Kysely<Database>, tenantId: number) {
  return db
    .selectFrom("erasure_remote_files")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .orderBy("id")
    .execute();
}

function readIdentifiers(row: PendingRow, key?: Buffer): Identifiers | null {
  try {
    return JSON.parse(decryptSecret(row.identifiers_enc, key)) as Identifiers;
  } catch {
    return null;
  }
}

/**
 * The files still to clean for these people, or for whoever the selector
 * names (after the erasure nothing in `persons` does any more: the sealed
 * identifiers are compared instead).
 */
async function pendingFor(
  db: Kysely<Database>,
  tenantId: number,
  personIds: number[],
  selector: PersonSelector,
  key?: Buffer,
): Promise<{ row: PendingRow; ids: Identifiers | null }[]> {
  const out: { row: PendingRow; ids: Identifiers | null }[] = [];
  for (const row of await pendingRows(db, tenantId)) {
    const ids = readIdentifiers(row, key);
    if (personIds.includes(row.person_id) || (ids !== null && names(ids, selector, row))) {
      out.push({ row, ids });
    }
  }
  return out;
}

function names(ids: Identifiers, selector: PersonSelector, row: PendingRow): boolean {
  switch (selector.kind) {
    case "cpf":
      return ids.document === selector.value;
    case "code":
      return ids.code === selector.value;
    case "phone":
      return ids.phones.includes(selector.value);
    case "email":
      return ids.emails.includes(selector.value);
    case "id":
      return String(row.person_id) === selector.value;
  }
}

/** Connection problems: every other file of that source would fail the same way, so it is not tried. */
const SOURCE_DOWN = new Set([
  "HOST_INVALIDO",
  "HOST_PROIBIDO",
  "HOST_NAO_ENCONTRADO",
  "CONEXAO_RECUSADA",
  "TEMPO_ESGOTADO",
  "TLS_EXIGIDO",
  "TLS_NAO_SUPORTADO",
  "CERTIFICADO_NAO_CONFIAVEL",
  "LOGIN_INVALIDO",
  "RAIZ_INEXISTENTE",
  "CONEXAO_PERDIDA",
]);

/** The source cannot be used now (its password could not be opened, the database failed): kept, tried again next run. */
interface Unopened {
  failure: string;
}

interface OpenedPair {
  name: string;
  /** Two connections: the original streams down one while the scrubbed copy goes up the other. */
  reader: Source;
  writer: Source;
  down: string | null;
}

/**
 * Cleans the pending remote files of the given people (or named by the
 * selector): each one's outcome, and its row removed once it needs nothing
 * more. Never throws for a file or a server: the reason is in the outcome.
 */
export async function eraseRemoteFiles(
  db: Kysely<Database>,
  tenantId: number,
  personIds: number[],
  selector: PersonSelector,
  at: string,
  options: RemoteErasureOptions = {},
): Promise<RemoteFileResult[]> {
  const key = options.secretKey;
  const pending = await pendingFor(db, tenantId, personIds, selector, key);
  const results: RemoteFileResult[] = [];
  const opened = new Map<number, OpenedPair | Unopened | string>();
  try {
    for (const { row, ids } of pending) {
      const pair = await openPair(db, tenantId, row.source_id, opened, options);
      const base = {
        mailingId: row.mailing_id,
        source: typeof pair === "string" || "failure" in pair ? "" : pair.name,
        path: row.path,
      };
      let outcome: { outcome: RemoteOutcome; removed: number; reason?: string };
      let keep = false;
      if (typeof pair === "string") {
        // The source is no longer registered: nothing remessa can reach again.
        outcome = { outcome: "failed", removed: 0, reason: pair };
      } else if ("failure" in pair) {
        outcome = { outcome: "failed", removed: 0, reason: pair.failure };
        keep = true;
      } else if (ids === null) {
        outcome = {
          outcome: "failed",
          removed: 0,
          reason:
            "os dados para achar as linhas da pessoa não puderam ser abertos (a chave secreta da instalação mudou): apague ou edite o arquivo no servidor",
        };
      } else if (pair.down !== null) {
        outcome = { outcome: "failed", removed: 0, reason: pair.down };
        keep = true;
      } else {
        try {
          const done = await scrubRemoteFile(pair, row.path, ids);
          outcome = { outcome: done.outcome, removed: done.removed };
        } catch (error) {
          const reason =
            error instanceof SourceError
              ? error.message
              : `erro inesperado: ${(error as Error)?.message ?? String(error)}`;
          if (error instanceof SourceError && SOURCE_DOWN.has(error.code)) pair.down = reason;
          outcome = { outcome: "failed", removed: 0, reason };
          keep = true;
        }
      }
      if (keep) {
        await db
          .updateTable("erasure_remote_files")
          .set((eb) => ({
            attempts: eb("attempts", "+", 1),
            last_error: outcome.reason ?? null,
            updated_at: at,
          }))
          .where("id", "=", row.id)
          .execute();
      } else {
        await db.deleteFrom("erasure_remote_files").where("id", "=", row.id).execute();
      }
      results.push({
        ...base,
        outcome: outcome.outcome,
        removedLines: outcome.removed,
        description: describe(outcome.outcome, outcome.removed, outcome.reason),
      });
    }
  } finally {
    for (const pair of opened.values()) {
      if (typeof pair === "string" || "failure" in pair) continue;
      await pair.reader.close().catch(() => undefined);
      await pair.writer.close().catch(() => undefined);
    }
  }
  return results;
}

async function openPair(
  db: Kysely<Database>,
  tenantId: number,
  sourceId: number | null,
  opened: Map<number, OpenedPair | Unopened | string>,
  options: RemoteErasureOptions,
): Promise<OpenedPair | Unopened | string> {
  const missing =
    "a origem não está mais cadastrada no remessa: apague ou edite o arquivo no servidor";
  if (sourceId === null) return missing;
  const known = opened.get(sourceId);
  if (known !== undefined) return known;
  let pair: OpenedPair | Unopened | string;
  try {
    const config = await getSourceWithSecret(db, tenantId, sourceId, options.secretKey);
    pair = config
      ? {
          name: config.name,
          // Nothing connects here: the first operation does.
          reader: await openSource(config, options.sourceOptions),
          writer: await openSource(config, options.sourceOptions),
          down: null,
        }
      : missing;
  } catch (error) {
    // Not only a password: the database may have failed. Either way the file
    // still holds the person, so its row stays for the next run.
    pair = {
      failure: `a origem não pôde ser aberta (senha cifrada ou banco de dados): ${(error as Error)?.message ?? String(error)}`,
    };
  }
  opened.set(sourceId, pair);
  return pair;
}

export function describe(outcome: RemoteOutcome, removed: number, reason?: string): string {
  switch (outcome) {
    case "rewritten":
      return removed > 0
        ? `reescrito sem as linhas da pessoa (${removed} ${removed === 1 ? "linha removida" : "linhas removidas"})`
        : "reescrito sem as linhas da pessoa";
    case "deleted":
      return "apagado (não dava para reescrever só sem a pessoa)";
    case "unchanged":
      return "sem dados da pessoa (não alterado)";
    case "missing":
      return "não encontrado no servidor";
    case "failed":
      return `falhou: ${reason ?? "motivo desconhecido"}; rode o apagamento de novo para tentar outra vez`;
  }
}

/** Names beside the original: written (maybe cut short), then complete and verified. */
function workNames(path: string): { folder: string; name: string; partial: string; clean: string } {
  const folder = parentOf(path);
  const name = baseName(path);
  return {
    folder,
    name,
    partial: joinRelative(folder, `${name}.parcial.tmp`),
    clean: joinRelative(folder, `${name}.limpo.tmp`),
  };
}

/** One remote file without the person (see the module comment for the steps). */
export async function scrubRemoteFile(
  pair: { reader: Source; writer: Source },
  path: string,
  ids: Identifiers,
): Promise<{ outcome: Exclude<RemoteOutcome, "failed">; removed: number }> {
  const { reader, writer } = pair;
  const { folder, name, partial, clean } = workNames(path);
  const original = await reader.stat(path);
  if (original === null || original.isFolder) {
    // A run cut between removing the original and moving the clean copy in.
    if ((await reader.stat(clean))?.isFolder === false) {
      await writer.move(clean, folder, name);
      await writer.remove(partial);
      return { outcome: "rewritten", removed: 0 };
    }
    return { outcome: "missing", removed: 0 };
  }
  // Left by an earlier run that stopped half-way: the original is still the truth.
  await writer.remove(partial);
  await writer.remove(clean);
  if (!isRewritable(name)) {
    await writer.remove(path);
    return { outcome: "deleted", removed: 0 };
  }
  const input = await reader.read(path);
  const { output, progress } = scrubLines(input, ids);
  let written: string;
  try {
    written = await writer.write(partial, output);
  } catch (error) {
    input.destroy();
    await writer.remove(partial).catch(() => false);
    throw error;
  }
  if (progress.leftover) {
    await writer.remove(written);
    await writer.remove(path);
    return { outcome: "deleted", removed: progress.removed };
  }
  if (progress.removed === 0) {
    await writer.remove(written);
    return { outcome: "unchanged", removed: 0 };
  }
  // The original goes only once the server holds the whole clean copy: an
  // upload cut short but reported as done must not take the original's place.
  const uploaded = await writer.stat(written);
  if (uploaded?.size !== progress.bytes) {
    await writer.remove(written).catch(() => false);
    throw new Error(
      `a cópia limpa chegou incompleta ao servidor (${uploaded?.size ?? 0} de ${progress.bytes} bytes); o original foi mantido`,
    );
  }
  await writer.move(written, folder, baseName(clean));
  await writer.remove(path);
  const placed = await writer.move(clean, folder, name);
  if (placed !== path) {
    // Another file took the name between the removal and the move: ours did not replace it.
    throw new Error(`outro arquivo apareceu com o nome ${name}; a cópia limpa ficou em ${placed}`);
  }
  return { outcome: "rewritten", removed: progress.removed };
}
