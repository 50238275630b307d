/**
 * LGPD through the API (issue 15), over the same functions as the CLI's
 * `persons`, `audit`, `wallets legal-basis` and `retention` commands: a
 * person's rights (see, export, correct, erase), the audit trail, each
 * wallet's legal basis, the tenant's privacy settings and retention.
 *
 * A person is named in the query by exactly one identifier, as in GET
 * /people; a person of another tenant is never found (404). The rights
 * routes need a key with scope write, even to read: each use is a privacy
 * action answered by the tenant's DPO, and each one is recorded in the audit
 * trail as the CLI records it, with the key (id, name) and the caller's
 * address in `via`.
 */
import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { type AuditActor, appendAudit } from "../../privacy/audit.js";
import { correctPerson } from "../../privacy/correct.js";
import { erasePerson } from "../../privacy/erase.js";
import {
  describeLegalBasis,
  isLegalBasisCode,
  LEGAL_BASES,
  LEGAL_BASIS_CODES,
  type LegalBasisCode,
} from "../../privacy/legal-basis.js";
import {
  accessSubject,
  findPersonIds,
  normalizeSelector,
  type PersonExport,
  type PersonSelector,
} from "../../privacy/persons.js";
import { getRetention, type Retention, setRetention } from "../../privacy/retention.js";
import { listAudit } from "../../store/audit.js";
import {
  getPrivacySettings,
  setPrivacySettings,
  setWalletLegalBasis,
} from "../../store/privacy.js";
import type { Wallet } from "../../store/schema.js";
import { ValidationError } from "../../store/tenants.js";
import { getWalletByCode } from "../../store/wallets.js";
import type { ApiDeps } from "../app.js";
import { ApiError, notFound } from "../errors.js";
import { type AnyRoute, type Caller, route } from "../route.js";
import { attachment } from "./mailings.js";

const TAG = "privacidade (LGPD)";

const SELECTOR_KINDS = ["document", "code", "phone", "email", "id"] as const;

const personQuery = z.strictObject({
  document: z.string().min(1).max(30).optional().describe("CPF ou CNPJ, com ou sem pontuação"),
  code: z.string().min(1).max(200).optional().describe("CODCLIENTE"),
  phone: z.string().min(1).max(40).optional().describe("Telefone com DDD, em qualquer formato"),
  email: z.string().min(1).max(254).optional(),
  id: z
    .string()
    .regex(/^\d{1,15}$/, "deve ser um número")
    .optional()
    .describe("Id da pessoa"),
});

const PERSON_HELP =
  "A pessoa vai na consulta, por um critério e só um: document (CPF ou CNPJ), code (CODCLIENTE), phone, email ou id. Um CPF pode ter mais de um cadastro (um por CODCLIENTE, por exemplo); um dado em mais de 50 cadastros não é de uma só pessoa e responde 409.";

/** The query's one identifier as the CLI's selector, normalised (400 when malformed). */
function selectorOf(query: z.output<typeof personQuery>): PersonSelector {
  const given = SELECTOR_KINDS.filter((k) => query[k] !== undefined);
  const kind = given[0];
  if (given.length !== 1 || kind === undefined) {
    throw new ApiError(
      "DADOS_INVALIDOS",
      "Informe a pessoa por um critério, e só um: document, code, phone, email ou id.",
      [{ in: "query", path: given.join(",") || "document", message: "um critério" }],
    );
  }
  const value = query[kind] as string;
  try {
    return normalizeSelector({ kind: kind === "document" ? "cpf" : kind, value });
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    throw new ApiError(
      "DADOS_INVALIDOS",
      `Dados inválidos na consulta da requisição (campo "${kind}"): ${error.message}`,
      [{ in: "query", path: kind, message: error.message }],
    );
  }
}

function personMissing(): ApiError {
  return new ApiError("NAO_ENCONTRADO", "Nenhuma pessoa encontrada com esse dado nesta empresa.");
}

const contactSchema = z.object({
  kind: z.string().describe("mobile, landline, unknown ou email"),
  value: z.string(),
  createdAt: z.string(),
});

const privacyPerson = z
  .object({
    id: z.number().int(),
    keyKind: z.string().describe("codcliente, cpfcnpj ou channel"),
    codCliente: z.string().nullable(),
    document: z.string().nullable().describe("CPF ou CNPJ, só dígitos"),
    name: z.string().nullable(),
    erasedAt: z.string().nullable().describe("Quando os dados foram apagados a pedido do titular"),
    createdAt: z.string(),
    updatedAt: z.string(),
    fields: z.record(z.string(), z.unknown()).describe("CORINGA1..5 e colunas extras do mailing"),
    contacts: z.array(contactSchema),
    wallets: z.array(
      z.object({
        code: z.string(),
        name: z.string(),
        joinedAt: z.string(),
        mailingId: z.number().int().nullable(),
      }),
    ),
    tags: z.array(z.object({ tag: z.string(), createdAt: z.string() })),
    counts: z.object({
      mailings: z.number().int(),
      messages: z.number().int(),
      inbound: z.number().int().describe("Contatos recebidos (respostas, descadastros)"),
    }),
    restrictions: z.array(
      z.object({
        wallet: z.string().nullable().describe("null: a empresa inteira"),
        channel: z.string().nullable().describe("null: todos os canais"),
        kind: z.string().describe("phone, email ou document"),
        value: z.string(),
        reason: z.string().nullable(),
        origin: z.string(),
        createdAt: z.string(),
      }),
    ),
    legalBases: z.array(
      z.object({
        wallet: z.string(),
        walletName: z.string(),
        basis: z.string().nullable().describe("Código da base legal; null: nenhuma registrada"),
        label: z.string().nullable().describe("A base em português, com o artigo da LGPD"),
        since: z.string(),
        last: z.string(),
        mailings: z.number().int(),
        current: z.boolean().describe("É a base da carteira hoje e a pessoa ainda está nela"),
      }),
    ),
  })
  .meta({ id: "PrivacyPerson", description: "O que o remessa guarda de uma pessoa, resumido" });

function personView(p: PersonExport): z.input<typeof privacyPerson> {
  return {
    id: p.id,
    keyKind: p.keyKind,
    codCliente: p.codCliente,
    document: p.document,
    name: p.name,
    erasedAt: p.erasedAt,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
    fields: p.fields,
    contacts: p.contacts,
    wallets: p.wallets,
    tags: p.tags,
    counts: { mailings: p.mailings.length, messages: p.messages.length, inbound: p.inbound.length },
    restrictions: p.restrictions,
    legalBases: p.legalBases,
  };
}

const reasonSchema = z
  .string()
  .trim()
  .min(1, "informe o motivo (vai para a auditoria)")
  .max(500)
  .describe("O motivo, para a auditoria (não escreva nele dados da pessoa)");

const correctionBody = z
  .strictObject({
    reason: reasonSchema,
    name: z.string().max(200).optional().describe("Vazio: tira o nome"),
    document: z.string().max(30).optional().describe("CPF ou CNPJ; vazio: tira o documento"),
    fields: z
      .record(z.string().min(1).max(100), z.string().max(1000))
      .refine((f) => Object.keys(f).length <= 50, { error: "no máximo 50 campos por correção" })
      .optional()
      .describe("CORINGA1..5 ou colunas extras (até 50); valor vazio tira o campo"),
    contacts: z
      .array(
        z.strictObject({
          from: z.string().min(1).max(254).describe("O contato como está (telefone ou e-mail)"),
          to: z.string().min(1).max(254).describe("O contato correto"),
        }),
      )
      .max(20)
      .optional(),
  })
  .refine(
    (b) =>
      b.name !== undefined ||
      b.document !== undefined ||
      Object.keys(b.fields ?? {}).length > 0 ||
      (b.contacts ?? []).length > 0,
    { error: "nada a corrigir: informe name, document, fields ou contacts" },
  );

const erasureAnswer = z
  .object({
    erased: z.array(z.number().int()).describe("Pessoas apagadas agora"),
    alreadyErased: z.array(z.number().int()).describe("Pessoas que já tinham sido apagadas"),
    previouslyErased: z
      .boolean()
      .describe("Ninguém encontrado agora, mas o dado é de uma pessoa apagada antes"),
    anonymised: z.object({
      messages: z
        .number()
        .int()
        .describe("Mensagens sem destino e texto (situação e horários ficam)"),
      inbound: z.number().int().describe("Contatos recebidos sem endereço e texto"),
      rejections: z.number().int().describe("Linhas rejeitadas dos mailings apagadas"),
      restrictions: z
        .number()
        .int()
        .describe("Restrições mantidas só como código (hash com chave)"),
    }),
    files: z.array(
      z.object({
        mailingId: z.number().int(),
        where: z
          .enum(["stored", "source"])
          .describe("stored: a cópia guardada; source: na origem local"),
        file: z.string().nullable().describe("O arquivo na origem; null para a cópia guardada"),
        outcome: z
          .enum(["rewritten", "deleted", "unchanged", "missing"])
          .describe(
            "rewritten: reescrito sem as linhas da pessoa; deleted: apagado; unchanged: sem dados dela; missing: já não existia",
          ),
        removedLines: z.number().int(),
      }),
    ),
    remoteFiles: z
      .array(
        z.object({
          mailingId: z.number().int(),
          source: z.string(),
          path: z.string(),
          outcome: z
            .enum(["rewritten", "deleted", "unchanged", "missing", "failed"])
            .describe(
              "rewritten: reescrito sem as linhas da pessoa; deleted: apagado; unchanged: sem dados dela; missing: não encontrado no servidor; failed: não alcançado (apague de novo para tentar)",
            ),
          removedLines: z.number().int(),
          description: z.string().describe("O resultado em português"),
        }),
      )
      .describe(
        "Arquivos nos servidores FTP/SFTP da empresa (LIDOS/DESCARTADOS e relatórios), limpos da pessoa",
      ),
  })
  .meta({ id: "Erasure" });

const auditEvent = z
  .object({
    id: z.number().int(),
    at: z.string(),
    actor: z.string().describe('Quem: "cli:<usuário>", "api:<prefixo da chave>", "retention"…'),
    action: z.string(),
    subject: z.string().nullable().describe("Em qual objeto (nunca dados de uma pessoa)"),
    details: z.record(z.string(), z.unknown()).nullable(),
  })
  .meta({ id: "AuditEvent" });

const auditCursor = z.object({ at: z.string(), id: z.number().int().min(1) });

function encodeAuditCursor(at: string, id: number): string {
  return Buffer.from(JSON.stringify({ at, id })).toString("base64url");
}

function decodeAuditCursor(text: string): { at: string; id: number } {
  try {
    return auditCursor.parse(JSON.parse(Buffer.from(text, "base64url").toString("utf8")));
  } catch {
    throw new ApiError(
      "DADOS_INVALIDOS",
      "Cursor inválido: use o valor de nextCursor da página anterior, sem alterá-lo.",
      [{ in: "query", path: "cursor", message: "cursor inválido" }],
    );
  }
}

const legalBasisCode = z.enum(LEGAL_BASIS_CODES as [LegalBasisCode, ...LegalBasisCode[]]);

const walletLegalBasis = z
  .object({
    wallet: z.string(),
    basis: legalBasisCode.nullable().describe("null: nenhuma registrada"),
    article: z.string().nullable().describe('O dispositivo da LGPD: "art. 7º, X"'),
    label: z.string().nullable(),
    sensitive: z.boolean().nullable().describe("Base para dados sensíveis (art. 11)"),
    note: z.string().nullable(),
    since: z.string().nullable().describe("Quando foi registrada"),
  })
  .meta({ id: "WalletLegalBasis" });

function legalBasisView(w: Wallet): z.input<typeof walletLegalBasis> {
  const code = w.legal_basis !== null && isLegalBasisCode(w.legal_basis) ? w.legal_basis : null;
  const basis = code === null ? null : LEGAL_BASES[code];
  return {
    wallet: w.code,
    basis: code,
    article: basis?.article ?? null,
    label: basis?.label ?? null,
    sensitive: basis?.sensitive ?? null,
    note: w.legal_basis_note,
    since: w.legal_basis_at,
  };
}

const privacySettings = z
  .object({
    requireLegalBasis: z
      .boolean()
      .describe("Exige base legal na carteira para importar (sem ela: BASE_LEGAL_AUSENTE)"),
    auditRetentionDays: z.number().int().describe("Por quantos dias a auditoria é guardada"),
  })
  .meta({ id: "PrivacySettings" });

const retentionSchema = z
  .object({
    originalsDays: z
      .number()
      .int()
      .describe("Cópias guardadas e relatórios dos arquivos importados, após a chegada"),
    messagesDays: z
      .number()
      .int()
      .describe("Textos e destinos das mensagens, após o fim da campanha"),
    discardedDays: z.number().int().describe("Os mesmos arquivos, dos descartados"),
    auditDays: z
      .number()
      .int()
      .describe("Eventos da auditoria (o mesmo prazo de /privacy/settings, 365 a 36500)"),
  })
  .meta({ id: "Retention" });

const days = (min: number, max: number) => z.number().int().min(min).max(max);

const codeParam = z.object({ code: z.string().min(1).max(50).describe("Código da carteira") });

export function privacyRoutes(deps: ApiDeps): AnyRoute[] {
  const { db } = deps.store;
  /** The key that acts, with its name and the caller's address, for the audit trail. */
  const actorOf = async (caller: Caller, request: FastifyRequest): Promise<AuditActor> => {
    if (caller.kind !== "tenant") return "api:admin";
    const key = await db
      .selectFrom("api_keys")
      .select("name")
      .where("id", "=", caller.keyId)
      .executeTakeFirst();
    return {
      actor: `api:${caller.prefix}`,
      via: { keyId: caller.keyId, keyName: key?.name ?? null, remoteAddress: request.ip },
    };
  };
  const audit = async (
    tenantId: number,
    actor: AuditActor,
    action: string,
    subject: string,
    details: Record<string, unknown>,
  ) => {
    await appendAudit(db, {
      tenantId,
      actor,
      action,
      subject,
      details,
      at: deps.now().toISOString(),
    });
  };
  const walletOf = async (tenantId: number, code: string): Promise<Wallet> => {
    const wallet = await getWalletByCode(db, tenantId, code);
    if (!wallet) throw notFound(`A carteira "${code}"`);
    return wallet;
  };
  return [
    route({
      method: "GET",
      url: "/privacy/people",
      summary: "O que o remessa guarda de uma pessoa (LGPD)",
      description: `${PERSON_HELP} Cada cadastro com contatos, carteiras, tags, campos, restrições e as bases legais sob as quais a pessoa é tratada (como "remessa persons show"). Precisa de chave write; fica na auditoria (persons.show).`,
      tag: TAG,
      access: "tenant",
      write: true,
      audited: true,
      query: personQuery,
      response: z.object({ items: z.array(privacyPerson) }),
      errors: [404, 409],
      handler: async ({ tenantId, query, caller, request }) => {
        const selector = selectorOf(query);
        const actor = await actorOf(caller, request);
        const doc = await accessSubject(db, tenantId, selector, actor, "show", deps.now());
        if (doc.persons.length === 0) throw personMissing();
        return { items: doc.persons.map(personView) };
      },
    }),
    route({
      method: "GET",
      url: "/privacy/people/export",
      summary: "Exporta tudo o que o remessa guarda de uma pessoa (LGPD)",
      description: `${PERSON_HELP} O mesmo documento JSON de "remessa persons export" (contatos, carteiras, tags, campos, mailings, mensagens com situação, restrições, contatos recebidos e bases legais), como arquivo para entregar ao titular. Precisa de chave write; fica na auditoria (persons.export).`,
      tag: TAG,
      access: "tenant",
      write: true,
      audited: true,
      query: personQuery,
      errors: [404, 409],
      raw: { contentTypes: ["application/json"], description: "O documento do titular" },
      handler: async ({ tenantId, query, caller, request, reply }) => {
        const selector = selectorOf(query);
        const actor = await actorOf(caller, request);
        const doc = await accessSubject(db, tenantId, selector, actor, "export", deps.now());
        if (doc.persons.length === 0) throw personMissing();
        await reply
          .type("application/json; charset=utf-8")
          .header(
            "content-disposition",
            attachment(`dados-do-titular-${doc.generatedAt.slice(0, 10)}.json`),
          )
          .send(JSON.stringify(doc, null, 2));
        return undefined;
      },
    }),
    route({
      method: "POST",
      url: "/privacy/people/correct",
      summary: "Corrige os dados de uma pessoa (LGPD)",
      description: `${PERSON_HELP} Corrige nome, documento, campos (valor vazio tira o campo) ou troca contatos (from → to). Um dado em mais de um cadastro: 409, escolha um com id. O motivo é obrigatório e vai para a auditoria (persons.correct), sem os valores antigos nem os novos.`,
      tag: TAG,
      access: "tenant",
      audited: true,
      query: personQuery,
      body: correctionBody,
      response: z.object({
        personId: z.number().int(),
        changed: z
          .array(z.string())
          .describe('O que mudou: "name", "fields.CORINGA1", "contact:phone"…'),
      }),
      errors: [404, 409, 422],
      handler: async ({ tenantId, query, body, caller, request }) => {
        const selector = selectorOf(query);
        const ids = await findPersonIds(db, tenantId, selector);
        if (ids.length === 0) throw personMissing();
        if (ids.length > 1) {
          throw new ApiError(
            "CONFLITO",
            `Esse dado está em ${ids.length} cadastros (${ids.join(", ")}): escolha um com id.`,
            { personIds: ids },
          );
        }
        const actor = await actorOf(caller, request);
        return correctPerson(
          db,
          tenantId,
          ids[0] as number,
          {
            ...(body.name !== undefined ? { name: body.name } : {}),
            ...(body.document !== undefined ? { document: body.document } : {}),
            fields: body.fields ?? {},
            contacts: body.contacts ?? [],
            actor,
            reason: body.reason,
          },
          deps.now(),
        );
      },
    }),
    route({
      method: "POST",
      url: "/privacy/people/erase",
      summary: "Apaga os dados de uma pessoa (LGPD)",
      description: `${PERSON_HELP} Apaga todos os cadastros que o critério encontra, como "remessa persons erase": nome, documento, contatos, campos, destinos e textos das mensagens, contatos recebidos, linhas dos arquivos guardados e dos relatórios nas origens locais (reescritos sem a pessoa ou apagados). Totais ficam; os contatos ficam como código (hash com chave), para serem tratados como restritos se voltarem. Não pode ser desfeito. Idempotente: de novo, responde 200 com alreadyErased ou previouslyErased. O motivo é obrigatório e vai para a auditoria (persons.erase).`,
      tag: TAG,
      access: "tenant",
      audited: true,
      query: personQuery,
      body: z.strictObject({ reason: reasonSchema }),
      response: erasureAnswer,
      errors: [404, 409],
      handler: async ({ tenantId, query, body, caller, request }) => {
        const selector = selectorOf(query);
        const actor = await actorOf(caller, request);
        const result = await erasePerson(
          deps.store,
          tenantId,
          selector,
          actor,
          body.reason,
          deps.now(),
        );
        if (
          result.persons.length === 0 &&
          result.alreadyErased.length === 0 &&
          !result.previouslyErased
        ) {
          throw personMissing();
        }
        return {
          erased: result.persons,
          alreadyErased: result.alreadyErased,
          previouslyErased: result.previouslyErased,
          anonymised: {
            messages: result.messages,
            inbound: result.inbound,
            rejections: result.rejections,
            restrictions: result.restrictions,
          },
          // The data dir's own paths stay in the server; a source's file is the tenant's.
          files: result.files.map((f) => ({
            mailingId: f.mailingId,
            where: f.where,
            file: f.where === "source" ? (f.path.split("/").pop() ?? f.path) : null,
            outcome: f.outcome,
            removedLines: f.removedLines,
          })),
          remoteFiles: result.remoteFiles,
        };
      },
    }),
    route({
      method: "GET",
      url: "/audit",
      summary: "A trilha de auditoria da empresa",
      description:
        'Quem fez o quê, em qual objeto e quando, da mais antiga à mais recente (como "remessa audit list"): ações na linha de comando e na API e ações de privacidade. `since`: só a partir dessa data (ISO 8601, ex.: 2026-12-01 ou 2026-12-01T08:00:00Z). Paginação: envie o nextCursor recebido em cursor.',
      tag: TAG,
      access: "tenant",
      query: z.strictObject({
        since: z
          .string()
          .max(40)
          .refine((v) => !Number.isNaN(Date.parse(v)), {
            error: "não é uma data: use ISO 8601, ex.: 2026-12-01 ou 2026-12-01T08:00:00Z",
          })
          .optional(),
        limit: z.coerce.number().int().min(1).max(1000).default(100),
        cursor: z.string().max(300).optional(),
      }),
      response: z.object({ items: z.array(auditEvent), nextCursor: z.string().nullable() }),
      handler: async ({ tenantId, query }) => {
        const events = await listAudit(db, tenantId, {
          ...(query.since !== undefined
            ? { since: new Date(Date.parse(query.since)).toISOString() }
            : {}),
          ...(query.cursor !== undefined ? { after: decodeAuditCursor(query.cursor) } : {}),
          limit: query.limit + 1,
        });
        const page = events.slice(0, query.limit);
        const last = page[page.length - 1];
        return {
          items: page,
          nextCursor:
            events.length > query.limit && last ? encodeAuditCursor(last.at, last.id) : null,
        };
      },
    }),
    route({
      method: "GET",
      url: "/privacy/legal-bases",
      summary: "As bases legais da LGPD (art. 7º e 11)",
      description:
        "Os códigos aceitos em PUT /wallets/{code}/legal-basis, com o dispositivo e o texto.",
      tag: TAG,
      access: "tenant",
      response: z.object({
        items: z.array(
          z.object({
            code: legalBasisCode,
            article: z.string(),
            label: z.string(),
            description: z.string(),
            sensitive: z.boolean(),
          }),
        ),
      }),
      handler: () => ({
        items: LEGAL_BASIS_CODES.map((code) => ({
          code,
          ...LEGAL_BASES[code],
          description: describeLegalBasis(code),
        })),
      }),
    }),
    route({
      method: "GET",
      url: "/wallets/:code/legal-basis",
      summary: "A base legal (LGPD) de uma carteira",
      tag: TAG,
      access: "tenant",
      params: codeParam,
      response: walletLegalBasis,
      errors: [404],
      handler: async ({ tenantId, params }) =>
        legalBasisView(await walletOf(tenantId, params.code)),
    }),
    route({
      method: "PUT",
      url: "/wallets/:code/legal-basis",
      summary: "Registra a base legal (LGPD) de uma carteira",
      description:
        'Como "remessa wallets legal-basis": `basis` é um código de GET /privacy/legal-bases (null tira a base), `note` uma observação (o contrato, por exemplo). Vale para os próximos mailings; os já importados guardam a base da época. Fica na auditoria (wallets.legal-basis).',
      tag: TAG,
      access: "tenant",
      audited: true,
      params: codeParam,
      body: z.strictObject({
        basis: legalBasisCode.nullable(),
        note: z.string().max(1000).nullable().optional(),
      }),
      response: walletLegalBasis,
      errors: [404, 422],
      handler: async ({ tenantId, params, body, caller, request }) => {
        const before = await walletOf(tenantId, params.code);
        const wallet = await setWalletLegalBasis(
          db,
          tenantId,
          before.code,
          body.basis,
          body.note ?? null,
        );
        if (!wallet) throw notFound(`A carteira "${params.code}"`);
        await audit(
          tenantId,
          await actorOf(caller, request),
          "wallets.legal-basis",
          `wallet:${wallet.code}`,
          {
            before: before.legal_basis,
            after: wallet.legal_basis,
          },
        );
        return legalBasisView(wallet);
      },
    }),
    route({
      method: "GET",
      url: "/privacy/settings",
      summary: "As configurações de privacidade da empresa",
      description:
        'Como "remessa audit settings": se a empresa exige base legal na carteira para importar e por quanto tempo guarda a auditoria.',
      tag: TAG,
      access: "tenant",
      response: privacySettings,
      handler: async ({ tenantId }) => {
        const settings = await getPrivacySettings(db, tenantId);
        if (!settings) throw notFound("A empresa");
        return settings;
      },
    }),
    route({
      method: "PUT",
      url: "/privacy/settings",
      summary: "Muda as configurações de privacidade da empresa",
      description:
        "Só o que vier no corpo muda. `requireLegalBasis`: com true, um arquivo de carteira sem base legal é descartado com BASE_LEGAL_AUSENTE. `auditRetentionDays`: de 365 a 36500 (padrão 1825, 5 anos). Fica na auditoria (privacy.settings, com o antes e o depois).",
      tag: TAG,
      access: "tenant",
      audited: true,
      body: z.strictObject({
        requireLegalBasis: z.boolean().optional(),
        auditRetentionDays: days(365, 36500).optional(),
      }),
      response: privacySettings,
      handler: async ({ tenantId, body, caller, request }) => {
        const before = await getPrivacySettings(db, tenantId);
        const change = {
          ...(body.requireLegalBasis !== undefined
            ? { requireLegalBasis: body.requireLegalBasis }
            : {}),
          ...(body.auditRetentionDays !== undefined
            ? { auditRetentionDays: body.auditRetentionDays }
            : {}),
        };
        const after = await setPrivacySettings(db, tenantId, change);
        if (!before || !after) throw notFound("A empresa");
        if (Object.keys(change).length > 0) {
          await audit(
            tenantId,
            await actorOf(caller, request),
            "privacy.settings",
            `tenant:${tenantId}`,
            {
              before,
              after,
            },
          );
        }
        return after;
      },
    }),
    route({
      method: "GET",
      url: "/privacy/retention",
      summary: "Por quanto tempo a empresa guarda dados pessoais",
      description:
        'Como "remessa retention show", em dias. Arquivos em servidores remotos são da empresa e não são apagados.',
      tag: TAG,
      access: "tenant",
      response: retentionSchema,
      handler: async ({ tenantId }) => getRetention(db, tenantId),
    }),
    route({
      method: "PUT",
      url: "/privacy/retention",
      summary: "Muda por quanto tempo a empresa guarda dados pessoais",
      description:
        'Como "remessa retention set": só o que vier no corpo muda, em dias (1 a 36500; a auditoria, 365 a 36500). Vale na próxima limpeza diária do "remessa serve". Fica na auditoria (retention.settings, com o antes e o depois).',
      tag: TAG,
      access: "tenant",
      audited: true,
      body: z.strictObject({
        originalsDays: days(1, 36500).optional(),
        messagesDays: days(1, 36500).optional(),
        discardedDays: days(1, 36500).optional(),
        auditDays: days(365, 36500).optional(),
      }),
      response: retentionSchema,
      handler: async ({ tenantId, body, caller, request }) => {
        const before = await getRetention(db, tenantId);
        const change: Partial<Retention> = {};
        if (body.originalsDays !== undefined) change.originalsDays = body.originalsDays;
        if (body.messagesDays !== undefined) change.messagesDays = body.messagesDays;
        if (body.discardedDays !== undefined) change.discardedDays = body.discardedDays;
        if (body.auditDays !== undefined) change.auditDays = body.auditDays;
        if (Object.keys(change).length === 0) return before;
        const after = await setRetention(db, tenantId, change, deps.now());
        await audit(
          tenantId,
          await actorOf(caller, request),
          "retention.settings",
          `tenant:${tenantId}`,
          {
            before,
            after,
          },
        );
        return after;
      },
    }),
  ];
}
