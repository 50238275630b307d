/**
 * The OpenAPI 3.1 document, built from the same zod schemas the routes
 * validate with (z.toJSONSchema, JSON Schema 2020-12, which OpenAPI 3.1
 * uses as is). Schemas with a `meta({ id })` become components.
 */
import { z } from "zod";
import { API_ERROR_CODES, errorSchema } from "./errors.js";
import { type AnyRoute, isWrite } from "./route.js";

type Json = Record<string, unknown>;

/** /sources/:id → /sources/{id} */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
}

const STATUS_TEXT: Record<number, string> = {
  400: "Dados inválidos (DADOS_INVALIDOS, JSON_INVALIDO)",
  401: "Chave ausente, desconhecida ou revogada (NAO_AUTENTICADO)",
  403: "A chave não pode fazer isto (SEM_PERMISSAO)",
  404: "Não existe, ou não é desta empresa (NAO_ENCONTRADO)",
  409: "Conflito com o estado atual (CONFLITO)",
  413: "Corpo da requisição grande demais (CORPO_GRANDE_DEMAIS)",
  415: "Tipo de conteúdo não suportado (TIPO_NAO_SUPORTADO)",
  422: "Valor recusado por uma regra (VALOR_RECUSADO)",
  429: "Limite de requisições da chave (LIMITE_DE_REQUISICOES)",
  500: "Erro interno (ERRO_INTERNO)",
  503: "Banco de dados ocupado, nada foi alterado (BANCO_OCUPADO)",
};

/**
 * One schema as JSON Schema 2020-12 for the document: its `$defs` (schemas
 * with a meta id, and cycles) move to components.schemas and its refs point there.
 */
function toSchema(
  schema: z.ZodType,
  io: "input" | "output",
  components: Record<string, Json>,
): Json {
  const json = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Json;
  const {
    $schema: _schema,
    $defs,
    id: _id,
    ...rest
  } = json as Json & { $defs?: Record<string, Json> };
  const text = (value: unknown) =>
    JSON.parse(JSON.stringify(value).replaceAll('"#/$defs/', '"#/components/schemas/')) as Json;
  for (const [id, def] of Object.entries($defs ?? {})) components[id] = text(def);
  return text(rest);
}

export function buildOpenApi(routes: AnyRoute[], info: { version: string }): Json {
  const refs: { target: Json; key: string; schema: z.ZodType; io: "input" | "output" }[] = [];
  const later = (target: Json, key: string, schema: z.ZodType, io: "input" | "output") =>
    refs.push({ target, key, schema, io });

  const paths: Record<string, Record<string, Json>> = {};
  for (const spec of routes) {
    const path = openApiPath(spec.url);
    const operation: Json = {
      operationId: `${spec.method.toLowerCase()}${path.replace(/[{}]/g, "").replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ""))}`,
      summary: spec.summary,
      tags: [spec.tag],
    };
    const description = [
      spec.description,
      spec.access === "admin"
        ? "Chave de administrador da plataforma (REMESSA_ADMIN_KEY)."
        : spec.access === "tenant"
          ? isWrite(spec)
            ? "Chave de API da empresa com escopo write."
            : "Chave de API da empresa (read ou write)."
          : null,
    ]
      .filter(Boolean)
      .join("\n\n");
    if (description) operation.description = description;
    operation.security = spec.access === "none" ? [] : [{ bearer: [] }];
    const parameters: Json[] = [];
    for (const [where, schema] of [
      ["path", spec.params],
      ["query", spec.query],
    ] as const) {
      if (!schema) continue;
      const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Json;
      const properties = (json.properties ?? {}) as Record<string, Json>;
      const required = new Set((json.required as string[] | undefined) ?? []);
      for (const [key, property] of Object.entries(properties)) {
        const { description: about, ...rest } = property;
        parameters.push({
          name: key,
          in: where,
          required: where === "path" || required.has(key),
          ...(about ? { description: about } : {}),
          schema: rest,
        });
      }
    }
    if (parameters.length > 0) operation.parameters = parameters;
    if (spec.body) {
      const content: Json = {};
      operation.requestBody = { required: true, content: { "application/json": content } };
      later(content, "schema", spec.body, "input");
    }
    const responses: Record<string, Json> = {};
    const ok = String(spec.status ?? 200);
    if (spec.raw) {
      const raw = spec.raw;
      for (const status of [ok, ...(raw.alsoStatuses ?? []).map(String)]) {
        responses[status] = {
          description: status === ok ? raw.description : "Não pronto (mesmo formato, com o motivo)",
          content: Object.fromEntries(
            raw.contentTypes.map((type) => [
              type,
              type === "application/json" ? { schema: {} } : { schema: { type: "string" } },
            ]),
          ),
        };
      }
    } else if (spec.response) {
      const content: Json = {};
      responses[ok] = { description: "OK", content: { "application/json": content } };
      later(content, "schema", spec.response, "output");
    } else {
      responses[ok] = { description: "OK" };
    }
    const errors = new Set<number>(spec.errors ?? []);
    if (spec.params || spec.query || spec.body) errors.add(400);
    if (spec.body) {
      errors.add(413);
      errors.add(415);
    }
    if (spec.access !== "none") {
      errors.add(401);
      errors.add(403);
      errors.add(429);
    }
    errors.add(500);
    if (isWrite(spec) && spec.access !== "none") errors.add(503);
    for (const status of [...errors].sort()) {
      if (responses[String(status)]) continue;
      responses[String(status)] = {
        description: STATUS_TEXT[status] ?? "Erro",
        content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
      };
    }
    operation.responses = responses;
    paths[path] ??= {};
    (paths[path] as Record<string, Json>)[spec.method.toLowerCase()] = operation;
  }

  const components: Record<string, Json> = {};
  for (const r of refs) r.target[r.key] = toSchema(r.schema, r.io, components);
  // errorSchema has a meta id: converting it files it under components.schemas.Error.
  toSchema(errorSchema, "output", components);

  return {
    openapi: "3.1.0",
    info: {
      title: "remessa API",
      version: info.version,
      description: `API HTTP do remessa. Autenticação: cabeçalho Authorization: Bearer <chave>. Erros: { code, message, details } com os códigos ${Object.keys(API_ERROR_CODES).join(", ")}.`,
    },
    servers: [{ url: "/" }],
    paths,
    components: {
      schemas: components,
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
    },
  };
}
