import { DISCARDED_FOLDER, listCandidates, READ_FOLDER } from "./candidates.js";
import { SourceError, type SourceErrorCode, UntrustedServerError } from "./errors.js";
import { checkHostSyntax } from "./host-guard.js";
import { openSource } from "./open.js";
import type { OpenSourceOptions, Source, SourceConfig } from "./types.js";

export type ConnectionTestCode = SourceErrorCode | "OK";

export interface ConnectionTestResult {
  ok: boolean;
  code: ConnectionTestCode;
  /** One pt-BR sentence for the operator: what happened and what to do. */
  message: string;
  /** Candidate files seen (root and wallet folders), when the test got that far. */
  candidates?: number;
  /** An untrusted certificate or host key: its SHA-256 fingerprint, to pin after checking it. */
  fingerprint?: string;
}

/**
 * "Testar conexão": connects, logs in, lists the root, makes sure LIDOS and
 * DESCARTADOS exist at the root and counts the candidate files.
 *
 * LIDOS/DESCARTADOS are CREATED when missing: "may this user create them" can
 * only be answered for sure by creating them, and the ingest pipeline would
 * create them on the first processed file anyway, so the test leaves the
 * server exactly as the first poll would.
 */
export async function testConnection(
  config: SourceConfig,
  options: OpenSourceOptions = {},
): Promise<ConnectionTestResult> {
  let source: Source | null = null;
  try {
    if (config.protocol !== "local") checkHostSyntax(config.host, config);
    source = await openSource(config, options);
    const rootEntries = await source.list("");
    for (const wanted of [READ_FOLDER, DISCARDED_FOLDER]) {
      const existing = rootEntries.find(
        (entry) => entry.isFolder && entry.name.toUpperCase() === wanted,
      );
      if (!existing) await source.mkdir(wanted);
    }
    const candidates = (await listCandidates(source)).length;
    const files =
      candidates === 0
        ? "nenhum arquivo aguardando importação"
        : candidates === 1
          ? "1 arquivo aguardando importação"
          : `${candidates} arquivos aguardando importação`;
    return {
      ok: true,
      code: "OK",
      message: `Conexão OK: login aceito, pasta raiz lida e pastas ${READ_FOLDER} e ${DISCARDED_FOLDER} prontas; ${files}.`,
      candidates,
    };
  } catch (error) {
    if (error instanceof UntrustedServerError)
      return {
        ok: false,
        code: error.code,
        message: error.message,
        fingerprint: error.fingerprint,
      };
    if (error instanceof SourceError)
      return { ok: false, code: error.code, message: error.message };
    return {
      ok: false,
      code: "ERRO_SERVIDOR",
      message: `O teste de conexão falhou com um erro inesperado (${(error as Error)?.message ?? error}): confira protocolo, servidor e porta e tente de novo.`,
    };
  } finally {
    await source?.close().catch(() => undefined);
  }
}
