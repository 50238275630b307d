/**
 * The API's one error shape, `{ code, message, details }`: a stable code
 * (documented in docs/api.md), a pt-BR message saying what to do, and details
 * (validation issues, limits) or null. 4xx for the caller's mistakes; a 5xx
 * never carries a stack trace or an internal message.
 */
import { z } from "zod";

export const API_ERROR_CODES = {
  NAO_AUTENTICADO: 401,
  SEM_PERMISSAO: 403,
  NAO_ENCONTRADO: 404,
  ROTA_INEXISTENTE: 404,
  DADOS_INVALIDOS: 400,
  JSON_INVALIDO: 400,
  VALOR_RECUSADO: 422,
  CONFLITO: 409,
  CORPO_GRANDE_DEMAIS: 413,
  TIPO_NAO_SUPORTADO: 415,
  LIMITE_DE_REQUISICOES: 429,
  ERRO_INTERNO: 500,
  BANCO_OCUPADO: 503,
} as const;

export type ApiErrorCode = keyof typeof API_ERROR_CODES;

export const errorSchema = z
  .object({
    code: z.enum(Object.keys(API_ERROR_CODES) as [ApiErrorCode, ...ApiErrorCode[]]),
    message: z.string(),
    details: z.unknown().nullable(),
  })
  .meta({ id: "Error", description: "Erro: código estável, mensagem em português e detalhes." });

export type ApiErrorBody = z.infer<typeof errorSchema>;

export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details: unknown = null,
    status?: number,
  ) {
    super(message);
    this.status = status ?? API_ERROR_CODES[code];
  }

  body(): ApiErrorBody {
    return { code: this.code, message: this.message, details: this.details ?? null };
  }
}

/** The same answer for a missing, unknown, malformed or revoked key: nothing tells them apart. */
export function unauthenticated(): ApiError {
  return new ApiError(
    "NAO_AUTENTICADO",
    'Chave de API ausente ou inválida. Envie o cabeçalho "Authorization: Bearer <chave>" com uma chave ativa (crie uma com "remessa api-keys create").',
  );
}

/** A resource of the tenant that does not exist, or belongs to another tenant (indistinguishable). */
export function notFound(what: string): ApiError {
  return new ApiError("NAO_ENCONTRADO", `${what} não existe.`);
}

/** Zod issues as the `details` of DADOS_INVALIDOS: where and what. */
export function invalidInput(where: "body" | "query" | "params", issues: z.core.$ZodIssue[]) {
  const place = { body: "no corpo", query: "na consulta", params: "no caminho" }[where];
  const details = issues.map((issue) => ({
    in: where,
    path: issue.path.map(String).join("."),
    message: issue.message,
  }));
  const first = details[0];
  const at = first?.path ? ` (campo "${first.path}")` : "";
  return new ApiError(
    "DADOS_INVALIDOS",
    `Dados inválidos ${place} da requisição${at}: ${first?.message ?? "formato inesperado"}. Corrija e envie de novo.`,
    details,
  );
}
