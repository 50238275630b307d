/**
 * GET /metrics: Prometheus' text format (src/ops/prometheus.ts). Not open:
 * the counts say how much each tenant's sources fail and what the platform
 * sends. The scraper sends `Authorization: Bearer` with REMESSA_METRICS_KEY
 * (a key that opens nothing else, for the monitoring server to hold) or the
 * admin key. Checked here rather than by the API's key layer: neither is a
 * tenant's key, and a scrape every few seconds takes no rate-limit token.
 */

import type { MetricsEndpoint } from "../../ops/prometheus.js";
import { hashApiKey, sameDigest } from "../../store/api-keys.js";
import type { ApiDeps } from "../app.js";
import { bearer, MIN_ADMIN_KEY_LENGTH } from "../auth.js";
import { ApiError } from "../errors.js";
import { type AnyRoute, route } from "../route.js";

/** REMESSA_METRICS_KEY's digest (null when unset); a short one is refused, as the admin key. */
export function metricsKeyDigest(key: string | null | undefined): string | null {
  const trimmed = key?.trim();
  if (!trimmed) return null;
  if (trimmed.length < MIN_ADMIN_KEY_LENGTH) {
    throw new Error(
      `REMESSA_METRICS_KEY curta demais: use ao menos ${MIN_ADMIN_KEY_LENGTH} caracteres aleatórios (ex.: openssl rand -base64 32).`,
    );
  }
  return hashApiKey(trimmed);
}

export function metricsRoutes(
  _deps: ApiDeps,
  extra: { endpoint: MetricsEndpoint; digests: readonly (string | null)[] },
): AnyRoute[] {
  const digests = extra.digests.filter((d): d is string => d !== null);
  return [
    route({
      method: "GET",
      url: "/metrics",
      summary: "Métricas no formato do Prometheus",
      description:
        "Pede `Authorization: Bearer` com a chave de métricas (REMESSA_METRICS_KEY) ou a de administrador. Arquivos por resultado e motivo, linhas e tempo das importações, mensagens por canal e situação, falhas e atraso da leitura de cada origem, mensagens na fila e concessões perdidas.",
      tag: "sistema",
      access: "none",
      raw: {
        contentTypes: ["text/plain"],
        description: "Métricas (formato de texto do Prometheus 0.0.4)",
      },
      errors: [401],
      handler: async ({ request, reply }) => {
        const token = bearer(request);
        const digest = token === null ? null : hashApiKey(token);
        if (digest === null || !digests.some((d) => sameDigest(digest, d))) {
          throw new ApiError(
            "NAO_AUTENTICADO",
            digests.length === 0
              ? "Métricas desativadas: defina REMESSA_METRICS_KEY (ou REMESSA_ADMIN_KEY) no serve e envie-a em Authorization: Bearer."
              : "Chave ausente ou inválida: envie a chave de métricas (REMESSA_METRICS_KEY) ou a de administrador em Authorization: Bearer.",
          );
        }
        await reply.type(extra.endpoint.contentType).send(await extra.endpoint.render());
        return undefined;
      },
    }),
  ];
}
