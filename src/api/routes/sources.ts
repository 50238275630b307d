/**
 * File sources (Configurações > FTP) of the caller's tenant. The password is
 * write-only: accepted on create/update, stored encrypted, never returned.
 * `local` sources (a folder of the server) and the drop box's are the
 * platform operator's (CLI): the API lists and tests them but does not
 * create, change or remove them. Hosts on private networks are refused unless
 * the deployment allows them (REMESSA_API_ALLOW_PRIVATE=1).
 */
import { z } from "zod";
import { SourceError } from "../../sources/errors.js";
import { isValidFingerprint } from "../../sources/fingerprint.js";
import { checkHostSyntax } from "../../sources/host-guard.js";
import {
  createSource,
  getSource,
  getSourceWithSecret,
  isDropBoxSource,
  listSources,
  MIN_INTERVAL_SECONDS,
  removeSource,
  type SourceSummary,
  sourceRemovalImpact,
  updateSource,
} from "../../store/sources.js";
import type { ApiDeps } from "../app.js";
import { ApiError, notFound } from "../errors.js";
import { type AnyRoute, route } from "../route.js";
import { idParam } from "./tenants.js";

const REMOTE_PROTOCOLS = ["ftp", "ftps-explicit", "ftps-implicit", "sftp"] as const;
type RemoteProtocol = (typeof REMOTE_PROTOCOLS)[number];

const sourceSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    protocol: z.enum(["local", ...REMOTE_PROTOCOLS]),
    host: z.string(),
    port: z.number().int().nullable(),
    user: z.string(),
    root: z.string(),
    hasPassword: z.boolean().describe("Há senha guardada (a senha nunca é devolvida)"),
    intervalSeconds: z.number().int(),
    stabilitySeconds: z.number().int(),
    allowPrivate: z.boolean(),
    tlsFingerprint: z.string().nullable(),
    tlsInsecure: z.boolean(),
    enabled: z.boolean(),
    lastError: z.string().nullable(),
    lastErrorAt: z.string().nullable(),
    failureCount: z.number().int(),
    lastPollAt: z.string().nullable(),
    lastSuccessAt: z.string().nullable(),
    nextPollAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: "Source" });

function view(s: SourceSummary): z.input<typeof sourceSchema> {
  return {
    id: s.id,
    name: s.name,
    protocol: s.protocol,
    host: s.host,
    port: s.port,
    user: s.user,
    root: s.root,
    hasPassword: s.hasPassword,
    intervalSeconds: s.intervalSeconds,
    stabilitySeconds: s.stabilitySeconds,
    allowPrivate: s.allowPrivate,
    tlsFingerprint: s.tlsFingerprint,
    tlsInsecure: s.tlsInsecure,
    enabled: s.enabled,
    lastError: s.lastError,
    lastErrorAt: s.lastErrorAt,
    failureCount: s.failureCount,
    lastPollAt: s.lastPollAt,
    lastSuccessAt: s.lastSuccessAt,
    nextPollAt: s.nextPollAt,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}

const fields = {
  name: z.string().min(1).max(200).nullable(),
  protocol: z.enum(REMOTE_PROTOCOLS),
  host: z.string().min(1).max(253),
  port: z.number().int().min(1).max(65535).nullable(),
  user: z.string().min(1).max(200),
  password: z.string().min(1).max(1000).describe("Só escrita: nunca é devolvida"),
  root: z.string().min(1).max(1000),
  intervalSeconds: z.number().int().min(MIN_INTERVAL_SECONDS),
  stabilitySeconds: z.number().int().min(0),
  allowPrivate: z.boolean(),
  tlsFingerprint: z.string().max(200).nullable(),
  tlsInsecure: z.boolean(),
  enabled: z.boolean(),
};

const createBody = z.strictObject({
  ...fields,
  name: fields.name.optional(),
  port: fields.port.optional(),
  root: fields.root.optional(),
  intervalSeconds: fields.intervalSeconds.optional(),
  stabilitySeconds: fields.stabilitySeconds.optional(),
  allowPrivate: fields.allowPrivate.optional(),
  tlsFingerprint: fields.tlsFingerprint.optional(),
  tlsInsecure: fields.tlsInsecure.optional(),
  enabled: fields.enabled.optional(),
});

const updateBody = z.strictObject(
  Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v.optional()])) as {
    [K in keyof typeof fields]: z.ZodOptional<(typeof fields)[K]>;
  },
);

interface Connection {
  protocol: RemoteProtocol;
  host: string;
  allowPrivate: boolean;
  tlsFingerprint: string | null;
  tlsInsecure: boolean;
}

function refused(message: string): ApiError {
  return new ApiError("VALOR_RECUSADO", message);
}

/**
 * The CLI's rules for a connection (sources add), in the API's terms. Returns
 * the normalised host. `keptHost`: the host and its allowPrivate are the
 * stored ones (registered by the operator), not the caller's: not re-judged.
 */
function checkConnection(c: Connection, deps: ApiDeps, keptHost = false): string {
  if (c.allowPrivate && !keptHost && !deps.allowPrivateSources) {
    throw refused(
      "allowPrivate não é aceito pela API nesta instalação: cadastre o endereço público do servidor de arquivos (ou peça ao operador da plataforma para cadastrar a origem pela linha de comando).",
    );
  }
  if (c.tlsFingerprint !== null && c.tlsInsecure) {
    throw refused("Use tlsFingerprint ou tlsInsecure, não os dois.");
  }
  if (c.protocol === "ftp" && (c.tlsFingerprint !== null || c.tlsInsecure)) {
    throw refused("tlsFingerprint e tlsInsecure valem só para FTPS e SFTP.");
  }
  if (c.tlsFingerprint !== null && !isValidFingerprint(c.tlsFingerprint)) {
    throw refused(
      `Impressão digital "${c.tlsFingerprint}" inválida: use o SHA-256 em hexadecimal (AB:CD:...) ou no formato SHA256:... que o servidor SSH mostra.`,
    );
  }
  if (keptHost) return c.host;
  try {
    return checkHostSyntax(c.host, { allowPrivate: c.allowPrivate });
  } catch (error) {
    if (error instanceof SourceError) {
      throw new ApiError("VALOR_RECUSADO", error.message, { sourceCode: error.code });
    }
    throw error;
  }
}

function platformOwned(source: SourceSummary, action: string): ApiError | null {
  if (isDropBoxSource(source)) {
    return new ApiError(
      "CONFLITO",
      `A origem ${source.id} ("${source.name}") é a caixa FTPS embutida do remessa: ela não pode ser ${action} pela API.`,
    );
  }
  if (source.protocol === "local") {
    return new ApiError(
      "CONFLITO",
      `A origem ${source.id} ("${source.name}") é uma pasta do servidor (protocolo local), mantida pelo operador da plataforma: ela não pode ser ${action} pela API.`,
    );
  }
  return null;
}

export function sourceRoutes(deps: ApiDeps): AnyRoute[] {
  const { db } = deps.store;
  const find = async (tenantId: number, id: number) => {
    const source = await getSource(db, tenantId, id);
    if (!source) throw notFound(`A origem ${id}`);
    return source;
  };
  return [
    route({
      method: "GET",
      url: "/sources",
      summary: "Lista as origens de arquivos",
      tag: "origens",
      access: "tenant",
      response: z.object({ items: z.array(sourceSchema) }),
      handler: async ({ tenantId }) => {
        return { items: (await listSources(db, tenantId)).map(view) };
      },
    }),
    route({
      method: "GET",
      url: "/sources/:id",
      summary: "Uma origem de arquivos",
      tag: "origens",
      access: "tenant",
      params: idParam,
      response: sourceSchema,
      errors: [404],
      handler: async ({ tenantId, params }) => view(await find(tenantId, params.id)),
    }),
    route({
      method: "POST",
      url: "/sources",
      summary: "Cadastra uma origem (FTP, FTPS ou SFTP)",
      description: "A senha é guardada cifrada e nunca é devolvida.",
      tag: "origens",
      access: "tenant",
      status: 201,
      body: createBody,
      response: sourceSchema,
      errors: [422],
      handler: async ({ tenantId, body }) => {
        const connection: Connection = {
          protocol: body.protocol,
          host: body.host,
          allowPrivate: body.allowPrivate ?? false,
          tlsFingerprint: body.tlsFingerprint?.trim() ?? null,
          tlsInsecure: body.tlsInsecure ?? false,
        };
        const host = checkConnection(connection, deps);
        const created = await createSource(
          db,
          tenantId,
          {
            ...connection,
            host,
            name: body.name ?? null,
            port: body.port ?? null,
            user: body.user,
            password: body.password,
            root: body.root ?? "/",
            ...(body.intervalSeconds !== undefined
              ? { intervalSeconds: body.intervalSeconds }
              : {}),
            ...(body.stabilitySeconds !== undefined
              ? { stabilitySeconds: body.stabilitySeconds }
              : {}),
            ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
          },
          deps.secretKey,
        );
        return view(created);
      },
    }),
    route({
      method: "PATCH",
      url: "/sources/:id",
      summary: "Altera uma origem",
      description: "Só os campos enviados mudam; password troca a senha guardada.",
      tag: "origens",
      access: "tenant",
      params: idParam,
      body: updateBody,
      response: sourceSchema,
      errors: [404, 409, 422],
      handler: async ({ tenantId, params, body }) => {
        const current = await find(tenantId, params.id);
        const owned = platformOwned(current, "alterada");
        if (owned) throw owned;
        const connection: Connection = {
          protocol: body.protocol ?? (current.protocol as RemoteProtocol),
          host: body.host ?? current.host,
          allowPrivate: body.allowPrivate ?? current.allowPrivate,
          tlsFingerprint:
            body.tlsFingerprint === undefined
              ? current.tlsFingerprint
              : (body.tlsFingerprint?.trim() ?? null),
          tlsInsecure: body.tlsInsecure ?? current.tlsInsecure,
        };
        // A host registered by the operator (maybe private) stays; a new one is judged.
        const keptHost = body.allowPrivate === undefined && body.host === undefined;
        const host = checkConnection(connection, deps, keptHost);
        const patch = { ...body };
        if (body.host !== undefined) patch.host = host;
        if (body.tlsFingerprint !== undefined) patch.tlsFingerprint = connection.tlsFingerprint;
        const updated = await updateSource(db, tenantId, params.id, patch, deps.secretKey);
        if (!updated) throw notFound(`A origem ${params.id}`);
        return view(updated);
      },
    }),
    route({
      method: "DELETE",
      url: "/sources/:id",
      summary: "Remove uma origem",
      description:
        "A configuração e a senha guardada são apagadas; os arquivos no servidor não são tocados. Os arquivos registrados ficam no histórico sem a origem.",
      tag: "origens",
      access: "tenant",
      params: idParam,
      response: z.object({
        removed: z.literal(true),
        impact: z.object({ mailings: z.number().int(), unfinished: z.number().int() }),
      }),
      errors: [404, 409],
      handler: async ({ tenantId, params }) => {
        const current = await find(tenantId, params.id);
        const owned = platformOwned(current, "removida");
        if (owned) throw owned;
        const impact = await sourceRemovalImpact(db, tenantId, params.id);
        if (!(await removeSource(db, tenantId, params.id))) throw notFound(`A origem ${params.id}`);
        return { removed: true as const, impact };
      },
    }),
    route({
      method: "POST",
      url: "/sources/:id/test",
      summary: "Testa a conexão de uma origem",
      description:
        'O mesmo teste de "remessa sources test": conecta, faz login, lê a raiz, garante LIDOS e DESCARTADOS e conta os arquivos aguardando. A resposta é 200 com o veredito (ok, code, message), também quando a conexão falha.',
      tag: "origens",
      access: "tenant",
      write: true,
      params: idParam,
      response: z.object({
        ok: z.boolean(),
        code: z.string().describe("OK ou o código do problema (HOST_PROIBIDO, LOGIN_INVALIDO…)"),
        message: z.string(),
        candidates: z.number().int().optional(),
        fingerprint: z
          .string()
          .optional()
          .describe(
            "Certificado ou chave do servidor não confiável: a impressão digital SHA-256 a fixar em tlsFingerprint, depois de conferida com o responsável",
          ),
      }),
      errors: [404],
      handler: async ({ tenantId, params }) => {
        const stored = await getSourceWithSecret(db, tenantId, params.id, deps.secretKey);
        if (!stored) throw notFound(`A origem ${params.id}`);
        const result = await deps.testConnection(stored);
        return {
          ok: result.ok,
          code: result.code,
          message: result.message,
          ...(result.candidates !== undefined ? { candidates: result.candidates } : {}),
          ...(result.fingerprint !== undefined ? { fingerprint: result.fingerprint } : {}),
        };
      },
    }),
  ];
}
