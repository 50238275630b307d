/**
 * The console's only way to the server: the HTTP API on the same origin
 * (docs/api.md), with the signed-in key as a bearer token. Errors come back in
 * the API's one shape, { code, message, details }, whose message is already
 * pt-BR and says what to fix: the pages show it as it is.
 */

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown = null,
  ) {
    super(message);
  }
}

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

export interface Api {
  get<T>(path: string): Promise<T>;
  send<T>(method: "POST" | "PUT" | "PATCH" | "DELETE", path: string, body?: unknown): Promise<T>;
  /** A file the API serves (original, reports): fetched with the key, handed back as a Blob. */
  blob(path: string): Promise<Blob>;
  /** Posts a file's text as it is (a CSV upload), answering the API's JSON. */
  upload<T>(path: string, text: string, type: string): Promise<T>;
}

export function createApi(key: string, fetchImpl: Fetch = (i, r) => fetch(i, r)): Api {
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    raw?: { text: string; type: string },
  ): Promise<Response> => {
    let response: Response;
    try {
      response = await fetchImpl(path, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(raw ? { "content-type": raw.type } : {}),
          ...(body === undefined || raw ? {} : { "content-type": "application/json" }),
        },
        ...(raw ? { body: raw.text } : body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch {
      throw new ApiFailure(
        0,
        "SEM_CONEXAO",
        "Sem conexão com o servidor do remessa. Verifique a rede e tente de novo.",
      );
    }
    if (!response.ok) throw await failureOf(response);
    return response;
  };
  return {
    async get<T>(path: string) {
      return (await (await call("GET", path)).json()) as T;
    },
    async send<T>(method: string, path: string, body?: unknown) {
      const response = await call(method, path, body);
      const text = await response.text();
      return (text === "" ? null : JSON.parse(text)) as T;
    },
    async blob(path: string) {
      return (await call("GET", path)).blob();
    },
    async upload<T>(path: string, text: string, type: string) {
      return (await (await call("POST", path, undefined, { text, type })).json()) as T;
    },
  };
}

async function failureOf(response: Response): Promise<ApiFailure> {
  try {
    const body = (await response.json()) as { code?: string; message?: string; details?: unknown };
    if (typeof body.code === "string" && typeof body.message === "string") {
      return new ApiFailure(response.status, body.code, body.message, body.details ?? null);
    }
  } catch {
    // Not the API's JSON (a proxy's page, say): described below by its status.
  }
  return new ApiFailure(
    response.status,
    "RESPOSTA_INESPERADA",
    `O servidor respondeu ${response.status} ${response.statusText}. Tente de novo em instantes.`,
  );
}

/** A message for a person, whatever was thrown. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiFailure) return error.message;
  return "Algo deu errado no console. Recarregue a página e tente de novo.";
}
