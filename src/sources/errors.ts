/**
 * Every failure a Source reports carries a stable code (for the API, the CLI's
 * --json and the ingest pipeline) and one pt-BR sentence that says what to do.
 */
export type SourceErrorCode =
  | "HOST_INVALIDO"
  | "HOST_PROIBIDO"
  | "HOST_NAO_ENCONTRADO"
  | "CONEXAO_RECUSADA"
  | "TEMPO_ESGOTADO"
  | "TLS_EXIGIDO"
  | "TLS_NAO_SUPORTADO"
  | "CERTIFICADO_NAO_CONFIAVEL"
  | "LOGIN_INVALIDO"
  | "RAIZ_INEXISTENTE"
  | "SEM_PERMISSAO"
  | "ARQUIVO_INEXISTENTE"
  | "CAMINHO_INVALIDO"
  | "CONEXAO_PERDIDA"
  | "ERRO_SERVIDOR";

export class SourceError extends Error {
  override readonly name = "SourceError";
  constructor(
    readonly code: SourceErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The certificate (FTPS) or host key (SFTP) is not trusted; carries what to pin. */
export class UntrustedServerError extends SourceError {
  constructor(
    /** SHA-256 fingerprint in the form the user should pass to --tls-fingerprint. */
    readonly fingerprint: string,
    reason: string,
    kind: "certificate" | "hostKey",
  ) {
    const what =
      kind === "certificate" ? "O certificado TLS do servidor" : "A chave do servidor SSH (SFTP)";
    super(
      "CERTIFICADO_NAO_CONFIAVEL",
      `${what} não é confiável (${reason}). Confirme com o responsável pelo servidor que a impressão digital SHA-256 é ${fingerprint} e, se for, cadastre a origem com --tls-fingerprint ${fingerprint}.`,
    );
  }
}

export function isSourceError(error: unknown): error is SourceError {
  return error instanceof SourceError;
}

/** Node's system error code (ECONNREFUSED, ENOTFOUND, ...), when there is one. */
export function systemCode(error: unknown): string | undefined {
  if (typeof error === "object" && error !== null && "code" in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

/** Maps socket-level failures shared by every network protocol. */
export function networkError(error: unknown, host: string, port: number): SourceError | null {
  const code = systemCode(error);
  const where = `${host}:${port}`;
  switch (code) {
    case "ECONNREFUSED":
      return new SourceError(
        "CONEXAO_RECUSADA",
        `O servidor ${where} recusou a conexão: confira o protocolo e a porta (FTP/FTPS explícito usam 21, FTPS implícito 990, SFTP 22) e se o serviço está no ar.`,
        { cause: error },
      );
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_NONAME":
    case "EAI_NODATA":
      return new SourceError(
        "HOST_NAO_ENCONTRADO",
        `O endereço "${host}" não foi encontrado no DNS: confira se o nome do servidor está escrito corretamente.`,
        { cause: error },
      );
    case "ETIMEDOUT":
    case "ESOCKETTIMEDOUT":
      return timeoutError(host, port, error);
    case "ECONNRESET":
    case "EPIPE":
      return new SourceError(
        "CONEXAO_PERDIDA",
        `A conexão com ${where} foi interrompida pelo servidor: confira o protocolo escolhido (FTP, FTPS ou SFTP) e tente de novo.`,
        { cause: error },
      );
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return new SourceError(
        "TEMPO_ESGOTADO",
        `Não há rota até ${where}: confira o endereço e se um firewall libera o acesso do remessa.`,
        { cause: error },
      );
    default:
      return null;
  }
}

export function timeoutError(host: string, port: number, cause?: unknown): SourceError {
  return new SourceError(
    "TEMPO_ESGOTADO",
    `O servidor ${host}:${port} não respondeu a tempo: confira o endereço, a porta e se um firewall libera o acesso do remessa (no FTP, também as portas do modo passivo).`,
    { cause },
  );
}

/** A file that is no longer where it was listed (removed or renamed by someone else). */
export function fileVanished(path: string): SourceError {
  return new SourceError(
    "ARQUIVO_INEXISTENTE",
    `O arquivo "${path}" não existe mais na origem (foi removido ou renomeado).`,
  );
}
