/**
 * Mailings (the file history) of the caller's tenant: list with filters and
 * cursor pagination, detail (parsed name, counts, every reason), download of
 * the stored original and of each report written beside the moved file, and
 * the next free sequence of a day.
 */

import { stat } from "node:fs/promises";
import type { Readable } from "node:stream";
import { DateTime } from "luxon";
import { z } from "zod";
import { isIsoDate } from "../../filename/datetime.js";
import { mailingSchema } from "../../filename/schema.js";
import { TERMINAL_STATES } from "../../ingest/ledger.js";
import { openStoredFile } from "../../privacy/sealed.js";
import { openSource } from "../../sources/open.js";
import type { Source } from "../../sources/types.js";
import type { MailingRow } from "../../store/schema.js";
import { getSourceWithSecret } from "../../store/sources.js";
import { getTenant } from "../../store/tenants.js";
import type { ApiDeps } from "../app.js";
import { notFound } from "../errors.js";
import { type AnyRoute, route } from "../route.js";
import { decodeIdCursor, encodeIdCursor } from "./cursor.js";
import { idParam } from "./tenants.js";

export const isoDate = z
  .string()
  .refine(isIsoDate, "use uma data no formato AAAA-MM-DD")
  .meta({ format: "date", examples: ["2026-12-07"] });

const OUTCOMES = ["accepted", "discarded", "failed", "processing"] as const;
const REPORT_KINDS = ["resultado", "rejeitados", "erro"] as const;
type ReportKind = (typeof REPORT_KINDS)[number];

const mailingItem = z
  .object({
    id: z.number().int(),
    fileName: z.string(),
    folder: z.string().nullable(),
    sourceId: z.number().int().nullable(),
    seenAt: z.string().describe("Quando o remessa viu o arquivo pela primeira vez (UTC)"),
    seenDate: z.string().describe("O 'hoje' do arquivo, no fuso da empresa (AAAA-MM-DD)"),
    date: z.string().nullable().describe("Data do nome do arquivo"),
    sequence: z.number().int().nullable(),
    wallet: z.string().nullable().describe("Código da carteira"),
    description: z.string().nullable(),
    state: z.string(),
    outcome: z.enum(["accepted", "discarded"]).nullable(),
    rows: z.number().int().nullable(),
    persons: z.number().int().nullable(),
    inserted: z.number().int().nullable(),
    updated: z.number().int().nullable(),
    rejected: z.number().int().nullable(),
    lastError: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: "MailingSummary" });

const reason = z.object({
  code: z.string(),
  message: z.string(),
  param: z.string().nullable().optional(),
  scope: z.enum(["name", "content"]).optional(),
});

const mailingDetail = mailingItem
  .extend({
    path: z.string(),
    movedTo: z.string().nullable(),
    sha256: z.string().nullable(),
    bytes: z.number().int().nullable(),
    parameters: mailingSchema.nullable().describe("O que o nome do arquivo pede (nome lido)"),
    rejectedByCode: z.record(z.string(), z.number()).describe("Linhas rejeitadas por código"),
    changes: z.record(z.string(), z.number()).describe("Ajustes do _h e contatos descartados"),
    reasons: z.array(reason).describe("Todos os motivos de descarte (nome e conteúdo)"),
    timings: z.record(z.string(), z.number()).describe("Segundos por etapa"),
    original: z.object({ available: z.boolean(), url: z.string() }),
    reports: z.array(z.object({ kind: z.enum(REPORT_KINDS), name: z.string(), url: z.string() })),
  })
  .meta({ id: "MailingDetail" });

type Row = MailingRow & { wallet_code: string | null };

function json<T>(text: string | null, fallback: T): T {
  if (text === null) return fallback;
  try {
    return (JSON.parse(text) as T) ?? fallback;
  } catch {
    return fallback;
  }
}

function summary(r: Row): z.input<typeof mailingItem> {
  return {
    id: r.id,
    fileName: r.file_name,
    folder: r.folder,
    sourceId: r.source_id,
    seenAt: r.first_seen_at,
    seenDate: r.seen_date,
    date: r.date,
    sequence: r.sequence,
    wallet: r.wallet_code,
    description: r.description,
    state: r.state,
    outcome: r.outcome,
    rows: r.rows,
    persons: r.persons,
    inserted: r.inserted,
    updated: r.updated,
    rejected: r.rejected,
    lastError: r.last_error,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** The report kind of a report's path, from its suffix. */
export function reportKind(path: string): ReportKind | null {
  if (path.endsWith(".resultado.txt")) return "resultado";
  if (path.endsWith(".rejeitados.csv")) return "rejeitados";
  if (path.endsWith(".erro.txt")) return "erro";
  return null;
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** Content-Disposition for a customer's file name: ASCII fallback plus the UTF-8 name. */
export function attachment(name: string): string {
  const ascii = name
    .normalize("NFKD")
    .replace(/[^\x20-\x7e]/g, "")
    .replace(/["\\]/g, "_");
  return `attachment; filename="${ascii || "arquivo"}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

export function mailingRoutes(deps: ApiDeps): AnyRoute[] {
  const { db } = deps.store;
  const base = (tenantId: number) =>
    db
      .selectFrom("mailings as m")
      .leftJoin("wallets as w", (join) =>
        join.onRef("w.id", "=", "m.wallet_id").on("w.tenant_id", "=", tenantId),
      )
      .selectAll("m")
      .select("w.code as wallet_code")
      .where("m.tenant_id", "=", tenantId);
  const find = async (tenantId: number, id: number): Promise<Row> => {
    const row = await base(tenantId).where("m.id", "=", id).executeTakeFirst();
    if (!row) throw notFound(`O mailing ${id}`);
    return row as Row;
  };
  const today = async (tenantId: number): Promise<string> => {
    const tenant = await getTenant(db, tenantId);
    const zone = tenant?.time_zone ?? "America/Sao_Paulo";
    return DateTime.fromJSDate(deps.now()).setZone(zone).toFormat("yyyy-MM-dd");
  };

  return [
    route({
      method: "GET",
      url: "/mailings",
      summary: "Lista os mailings (histórico de arquivos)",
      description:
        "Do mais recente ao mais antigo. Filtros: from/to (dia em que o arquivo foi visto, no fuso da empresa), wallet (código), outcome (accepted, discarded, failed = falha no processamento, processing = ainda em andamento) e source (id da origem). Paginação: envie o nextCursor recebido em cursor.",
      tag: "mailings",
      access: "tenant",
      query: z.strictObject({
        from: isoDate.optional(),
        to: isoDate.optional(),
        wallet: z.string().min(1).max(50).optional(),
        outcome: z.enum(OUTCOMES).optional(),
        source: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
        limit: z.coerce.number().int().min(1).max(200).default(50),
        cursor: z.string().max(200).optional(),
      }),
      response: z.object({ items: z.array(mailingItem), nextCursor: z.string().nullable() }),
      handler: async ({ tenantId, query }) => {
        let q = base(tenantId);
        if (query.from !== undefined) q = q.where("m.seen_date", ">=", query.from);
        if (query.to !== undefined) q = q.where("m.seen_date", "<=", query.to);
        if (query.wallet !== undefined) q = q.where("w.code", "=", query.wallet);
        if (query.source !== undefined) q = q.where("m.source_id", "=", query.source);
        if (query.outcome === "accepted" || query.outcome === "discarded") {
          q = q.where("m.outcome", "=", query.outcome).where("m.state", "!=", "failed");
        } else if (query.outcome === "failed") {
          q = q.where("m.state", "=", "failed");
        } else if (query.outcome === "processing") {
          q = q.where("m.state", "not in", TERMINAL_STATES);
        }
        if (query.cursor !== undefined) q = q.where("m.id", "<", decodeIdCursor(query.cursor));
        const rows = (await q
          .orderBy("m.id", "desc")
          .limit(query.limit + 1)
          .execute()) as Row[];
        const page = rows.slice(0, query.limit);
        const last = page[page.length - 1];
        return {
          items: page.map(summary),
          nextCursor: rows.length > query.limit && last ? encodeIdCursor(last.id) : null,
        };
      },
    }),
    route({
      method: "GET",
      url: "/mailings/next-sequence",
      summary: "A próxima sequência livre de um dia",
      description:
        "A sequência seguinte à maior já usada no dia (por arquivos aceitos ou ainda em processamento); passada a 999, a menor livre. sequence é null quando todas as 999 estão usadas. date: padrão hoje no fuso da empresa.",
      tag: "mailings",
      access: "tenant",
      query: z.strictObject({ date: isoDate.optional() }),
      response: z.object({
        date: z.string(),
        sequence: z.number().int().nullable(),
        used: z.array(z.number().int()),
      }),
      handler: async ({ tenantId, query }) => {
        const date = query.date ?? (await today(tenantId));
        const rows = await db
          .selectFrom("mailings")
          .select("sequence")
          .distinct()
          .where("tenant_id", "=", tenantId)
          .where("date", "=", date)
          .where("sequence", "is not", null)
          .where((eb) =>
            eb.or([
              eb.and([eb("outcome", "=", "accepted"), eb("state", "!=", "failed")]),
              eb("state", "not in", TERMINAL_STATES),
            ]),
          )
          .execute();
        const used = [...new Set(rows.map((r) => Number(r.sequence)))].sort((a, b) => a - b);
        const max = used.length > 0 ? (used[used.length - 1] ?? 0) : 0;
        let sequence: number | null = max + 1;
        if (sequence > 999) {
          const taken = new Set(used);
          sequence = null;
          for (let n = 1; n <= 999; n++) {
            if (!taken.has(n)) {
              sequence = n;
              break;
            }
          }
        }
        return { date, sequence, used };
      },
    }),
    route({
      method: "GET",
      url: "/mailings/:id",
      summary: "Detalhe de um mailing",
      tag: "mailings",
      access: "tenant",
      params: idParam,
      response: mailingDetail,
      errors: [404],
      handler: async ({ tenantId, params }) => {
        const r = await find(tenantId, params.id);
        const parsed = mailingSchema.safeParse(json<unknown>(r.parsed_json, null));
        const reports = json<string[]>(r.reports_json, [])
          .map((path) => ({ path, kind: reportKind(path) }))
          .filter((x): x is { path: string; kind: ReportKind } => x.kind !== null)
          .map((x) => ({
            kind: x.kind,
            name: baseName(x.path),
            url: `/mailings/${r.id}/reports/${x.kind}`,
          }));
        return {
          ...summary(r),
          path: r.path,
          movedTo: r.moved_to,
          sha256: r.sha256,
          bytes: r.bytes,
          parameters: parsed.success ? parsed.data : null,
          rejectedByCode: json<Record<string, number>>(r.rejected_json, {}),
          changes: json<Record<string, number>>(r.changes_json, {}),
          reasons: json<z.input<typeof reason>[]>(r.errors_json, []),
          timings: json<Record<string, number>>(r.timings_json, {}),
          original: {
            available: r.stored_path !== null && (await isFile(r.stored_path)),
            url: `/mailings/${r.id}/original`,
          },
          reports,
        };
      },
    }),
    route({
      method: "GET",
      url: "/mailings/:id/original",
      summary: "Baixa o arquivo original recebido",
      description:
        "A cópia guardada do arquivo como chegou. Arquivos descartados não guardam cópia depois do relatório: 404.",
      tag: "mailings",
      access: "tenant",
      params: idParam,
      errors: [404],
      raw: { contentTypes: ["application/octet-stream"], description: "O arquivo" },
      handler: async ({ tenantId, params, reply }) => {
        const r = await find(tenantId, params.id);
        if (r.stored_path === null || !(await isFile(r.stored_path))) {
          throw notFound(`A cópia guardada do mailing ${params.id}`);
        }
        await reply
          .type("application/octet-stream")
          .header("content-disposition", attachment(r.file_name))
          .send(openStoredFile(r.stored_path));
        return undefined;
      },
    }),
    route({
      method: "GET",
      url: "/mailings/:id/reports/:kind",
      summary: "Baixa um relatório do mailing",
      description:
        "resultado (.resultado.txt), rejeitados (.rejeitados.csv) ou erro (.erro.txt), lido de onde foi escrito: ao lado do arquivo movido, na origem. 404 quando o relatório não existe ou não está mais lá.",
      tag: "mailings",
      access: "tenant",
      params: idParam.extend({ kind: z.enum(REPORT_KINDS) }),
      errors: [404],
      raw: { contentTypes: ["text/plain", "text/csv"], description: "O relatório" },
      handler: async ({ tenantId, params, reply }) => {
        const r = await find(tenantId, params.id);
        const path = json<string[]>(r.reports_json, []).find((p) => reportKind(p) === params.kind);
        const missing = () => notFound(`O relatório "${params.kind}" do mailing ${params.id}`);
        if (path === undefined || r.source_id === null) throw missing();
        const config = await getSourceWithSecret(db, tenantId, r.source_id, deps.secretKey);
        if (!config) throw missing();
        let source: Source | null = null;
        let stream: Readable;
        try {
          source = await openSource(config);
          stream = await source.read(path);
        } catch {
          await source?.close().catch(() => undefined);
          throw missing();
        }
        const opened = source;
        stream.once("close", () => void opened.close().catch(() => undefined));
        await reply
          .type(
            params.kind === "rejeitados" ? "text/csv; charset=utf-8" : "text/plain; charset=utf-8",
          )
          .header("content-disposition", attachment(baseName(path)))
          .send(stream);
        return undefined;
      },
    }),
  ];
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
