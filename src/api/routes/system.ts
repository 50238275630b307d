/** Health, readiness, the OpenAPI document and the reference page: open, no key. */
import { sql } from "kysely";
import { z } from "zod";
import type { Store } from "../../store/db.js";
import { pendingMigrations } from "../../store/migrations.js";
import type { ApiDeps } from "../app.js";
import { DOCS_HTML } from "../docs-page.js";
import { type AnyRoute, route } from "../route.js";

/** Whether the process can take work: the HTTP status is 200 when `ok`, else 503. */
export type Readiness = () => Promise<{ ok: boolean; body: Record<string, unknown> }>;

/** Database reachable and every migration applied. */
export function defaultReadiness(store: Store): Readiness {
  return async () => {
    try {
      await sql`select 1`.execute(store.db);
    } catch {
      return { ok: false, body: { status: "database unavailable" } };
    }
    const pending = await pendingMigrations(store.db, store.dialect, store.pgSchema ?? undefined);
    if (pending.length > 0) return { ok: false, body: { status: "migrations pending", pending } };
    return { ok: true, body: { status: "ready" } };
  };
}

const healthSchema = z.object({ status: z.literal("ok") });
const readySchema = z.looseObject({ status: z.string() });

export function systemRoutes(
  _deps: ApiDeps,
  extra: { readiness: Readiness; openApi: () => Record<string, unknown> },
): AnyRoute[] {
  const health = (url: string, summary: string) =>
    route({
      method: "GET",
      url,
      summary,
      tag: "sistema",
      access: "none",
      response: healthSchema,
      handler: () => ({ status: "ok" as const }),
    });
  const ready = (url: string, summary: string) =>
    route({
      method: "GET",
      url,
      summary,
      description:
        "503 quando não está pronto: banco inacessível, migrações pendentes, caixa FTPS parada, arquivo parado numa etapa ou o processo encerrando.",
      tag: "sistema",
      access: "none",
      raw: {
        contentTypes: ["application/json"],
        description: "Pronto ({ status: ready })",
        alsoStatuses: [503],
      },
      handler: async ({ reply }) => {
        const { ok, body } = await extra.readiness().catch(() => ({
          ok: false,
          body: { status: "error" },
        }));
        readySchema.parse(body);
        await reply.code(ok ? 200 : 503).send(body);
        return undefined;
      },
    });
  return [
    health("/healthz", "O processo está no ar"),
    health("/health", "O processo está no ar (nome antigo de /healthz)"),
    ready("/readyz", "O processo está pronto para trabalhar"),
    ready("/ready", "O processo está pronto (nome antigo de /readyz)"),
    route({
      method: "GET",
      url: "/openapi.json",
      summary: "Este documento OpenAPI 3.1",
      tag: "sistema",
      access: "none",
      raw: { contentTypes: ["application/json"], description: "Documento OpenAPI 3.1" },
      handler: async ({ reply }) => {
        await reply.type("application/json; charset=utf-8").send(extra.openApi());
        return undefined;
      },
    }),
    route({
      method: "GET",
      url: "/docs",
      summary: "Referência navegável da API",
      tag: "sistema",
      access: "none",
      raw: { contentTypes: ["text/html"], description: "Página HTML" },
      handler: async ({ reply }) => {
        await reply
          .type("text/html; charset=utf-8")
          .header(
            "content-security-policy",
            "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'",
          )
          .send(DOCS_HTML);
        return undefined;
      },
    }),
  ];
}
