/**
 * Message templates of a tenant (SPEC §1): WhatsApp templates (`_nt`, or the
 * wallet's default) with a body whose `{{1}}`, `{{2}}`… parameters are filled,
 * at send time, from the mailing columns listed in `params_json`, in order;
 * header and URL-button parameters are entries with a prefix
 * (template-mapping.ts: `header:1=COL`, `header:image=COL`, `button:0=COL`).
 * A template belongs to one wallet or (wallet null) to every wallet; a wallet
 * has at most one default.
 */
import type { Kysely, Selectable } from "kysely";
import { takeExclusiveFlag } from "./exclusive-flag.js";
import { type Database, nowIso, type TemplateTable } from "./schema.js";
import { inUseMessage, liveCampaignsUsing } from "./senders.js";
import {
  parseTemplateMapping,
  serializeTemplateMapping,
  storedTemplateMapping,
  type TemplateMapping,
} from "./template-mapping.js";
import { ValidationError } from "./tenants.js";
import { resolveWalletCode } from "./wallet-ref.js";

export type TemplateRow = Selectable<TemplateTable>;

export interface TemplateView extends TemplateRow {
  wallet_code: string | null;
}

export interface TemplateInput {
  name: string;
  /** pt_BR by default; "pt-BR" is written pt_BR, as WhatsApp names languages. */
  language?: string | null;
  body: string;
  /** The mailing column filling each parameter, in order ({{1}} first). */
  params?: string[];
  wallet?: string | null;
  /** The wallet's default template (used without `_nt`); needs a wallet. */
  isDefault?: boolean;
}

export interface TemplateAdded {
  template: TemplateView;
  /** The wallet's previous default, which stopped being it. */
  replacedDefault: string | null;
}

/** A wallet's default template: one (exclusive-flag.ts). */
const DEFAULT_TEMPLATE = { table: "templates", flag: "is_default", label: "name" } as const;

const PARAMETER = /\{\{\s*(\d+)\s*\}\}/g;

/** The parameter numbers a body uses ({{1}} → 1), sorted and without repeats. */
export function bodyParameters(body: string): number[] {
  const found = new Set<number>();
  for (const match of body.matchAll(PARAMETER)) found.add(Number(match[1]));
  return [...found].sort((a, b) => a - b);
}

function checkLanguage(raw: string | null | undefined): string {
  const language = (raw ?? "pt_BR").trim().replace("-", "_");
  if (!/^[a-z]{2,3}(_[A-Z]{2})?$/.test(language)) {
    throw new ValidationError(
      `Idioma "${raw}" inválido: use o código do WhatsApp, como pt_BR, en_US ou es.`,
    );
  }
  return language;
}

function checkParams(body: string, params: string[]): string[] {
  const used = bodyParameters(body);
  const highest = used.length > 0 ? (used[used.length - 1] as number) : 0;
  if (used.includes(0)) {
    throw new ValidationError("Os parâmetros do texto começam em {{1}}: não use {{0}}.");
  }
  const missing: number[] = [];
  for (let n = 1; n <= highest; n++) if (!used.includes(n)) missing.push(n);
  if (missing.length > 0) {
    throw new ValidationError(
      `O texto usa {{${highest}}} mas não ${missing.map((n) => `{{${n}}}`).join(", ")}: numere os parâmetros em sequência, a partir de {{1}}.`,
    );
  }
  const mapping = parseTemplateMapping(params);
  const columns = mapping.body;
  if (columns.length !== highest) {
    throw new ValidationError(
      highest === 0
        ? `O texto não tem parâmetros ({{1}}, {{2}}…), mas ${columns.length === 1 ? "foi informada 1 coluna" : `foram informadas ${columns.length} colunas`} em --param. Retire os --param ou ponha os parâmetros no texto.`
        : `O texto usa ${highest === 1 ? "1 parâmetro" : `${highest} parâmetros`} ({{1}}${highest > 1 ? ` a {{${highest}}}` : ""}), mas ${columns.length === 0 ? "nenhuma coluna foi informada" : columns.length === 1 ? "foi informada 1 coluna" : `foram informadas ${columns.length} colunas`}: informe um --param COLUNA para cada parâmetro, na ordem.`,
    );
  }
  return serializeTemplateMapping(mapping);
}

export async function addTemplate(
  db: Kysely<Database>,
  tenantId: number,
  input: TemplateInput,
): Promise<TemplateAdded> {
  const name = input.name.trim();
  if (!name) throw new ValidationError("Informe o nome do template.");
  if (name.length > 200 || /\p{Cc}/u.test(name)) {
    throw new ValidationError(
      "O nome do template deve ter até 200 caracteres, sem caracteres de controle.",
    );
  }
  const language = checkLanguage(input.language);
  const body = input.body.trim();
  if (!body) throw new ValidationError("Informe o texto do template (--body).");
  const params = checkParams(body, input.params ?? []);
  const wallet = await resolveWalletCode(db, tenantId, input.wallet ?? null);
  if (input.isDefault && wallet === null) {
    throw new ValidationError(
      "O template padrão é de uma carteira: informe a carteira com --wallet CÓDIGO.",
    );
  }
  return db.transaction().execute(async (trx) => {
    const same = await trx
      .selectFrom("templates")
      .select("id")
      .where("tenant_id", "=", tenantId)
      .where("name", "=", name)
      .where((eb) =>
        wallet === null ? eb("wallet_id", "is", null) : eb("wallet_id", "=", wallet.id),
      )
      .executeTakeFirst();
    if (same) {
      throw new ValidationError(
        `Já existe o template "${name}"${wallet ? ` na carteira ${wallet.code}` : " para todas as carteiras"} (número ${same.id}). Use outro nome ou remova o existente.`,
      );
    }
    let replacedDefault: string | null = null;
    if (input.isDefault && wallet !== null) {
      replacedDefault = await takeExclusiveFlag(trx, {
        ...DEFAULT_TEMPLATE,
        tenantId,
        walletId: wallet.id,
        now: nowIso(),
      });
    }
    const now = nowIso();
    const row = await trx
      .insertInto("templates")
      .values({
        tenant_id: tenantId,
        name,
        language,
        wallet_id: wallet?.id ?? null,
        is_default: input.isDefault ? 1 : 0,
        params_json: JSON.stringify(params),
        body,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { template: { ...row, wallet_code: wallet?.code ?? null }, replacedDefault };
  });
}

function viewQuery(db: Kysely<Database>, tenantId: number) {
  return db
    .selectFrom("templates as t")
    .leftJoin("wallets as w", "w.id", "t.wallet_id")
    .selectAll("t")
    .select("w.code as wallet_code")
    .where("t.tenant_id", "=", tenantId);
}

export async function listTemplates(
  db: Kysely<Database>,
  tenantId: number,
  filter: { walletId?: number } = {},
): Promise<TemplateView[]> {
  let query = viewQuery(db, tenantId);
  if (filter.walletId !== undefined) query = query.where("t.wallet_id", "=", filter.walletId);
  return query.orderBy("t.name").orderBy("t.id").execute();
}

export async function getTemplate(
  db: Kysely<Database>,
  tenantId: number,
  id: number,
): Promise<TemplateView | null> {
  return (await viewQuery(db, tenantId).where("t.id", "=", id).executeTakeFirst()) ?? null;
}

/** The parameter columns of a template row. */
export function templateParams(row: Pick<TemplateRow, "params_json">): string[] {
  try {
    const value = JSON.parse(row.params_json) as unknown;
    return Array.isArray(value) ? value.map(String) : [];
  } catch {
    return [];
  }
}

/** The parameter mapping of a template row (body, header, URL buttons). */
export function templateMapping(row: Pick<TemplateRow, "params_json">): TemplateMapping {
  return storedTemplateMapping(templateParams(row));
}

/** Removes a template; refused while a live campaign uses it. False when absent. */
export async function removeTemplate(
  db: Kysely<Database>,
  tenantId: number,
  id: number,
): Promise<boolean> {
  const live = await liveCampaignsUsing(db, tenantId, "template_id", id);
  if (live.length > 0) throw new ValidationError(inUseMessage(`O template ${id}`, live));
  const result = await db
    .deleteFrom("templates")
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** What an update may change; absent fields stay. */
export interface TemplatePatch {
  name?: string;
  language?: string | null;
  body?: string;
  params?: string[];
  wallet?: string | null;
  isDefault?: boolean;
}

/**
 * Changes a template with the rules of `addTemplate` applied to the result:
 * the body's parameters and the columns (a new body without `params` keeps the
 * stored columns, and must still match them), one name per wallet, one
 * default per wallet (a new default takes the place of the previous one).
 * Returns null when the tenant has no such template.
 */
export async function updateTemplate(
  db: Kysely<Database>,
  tenantId: number,
  id: number,
  patch: TemplatePatch,
): Promise<TemplateAdded | null> {
  const current = await getTemplate(db, tenantId, id);
  if (!current) return null;
  const name = (patch.name ?? current.name).trim();
  if (!name) throw new ValidationError("Informe o nome do template.");
  if (name.length > 200 || /\p{Cc}/u.test(name)) {
    throw new ValidationError(
      "O nome do template deve ter até 200 caracteres, sem caracteres de controle.",
    );
  }
  const language = checkLanguage(patch.language === undefined ? current.language : patch.language);
  const body = (patch.body ?? current.body ?? "").trim();
  if (!body) throw new ValidationError("Informe o texto do template.");
  const params = checkParams(body, patch.params ?? templateParams(current));
  const wallet =
    patch.wallet === undefined
      ? current.wallet_id === null
        ? null
        : { id: current.wallet_id, code: current.wallet_code ?? "" }
      : await resolveWalletCode(db, tenantId, patch.wallet);
  const isDefault = patch.isDefault ?? current.is_default === 1;
  if (isDefault && wallet === null) {
    throw new ValidationError(
      "O template padrão é de uma carteira: informe a carteira (wallet) ou retire o padrão (isDefault false).",
    );
  }
  return db.transaction().execute(async (trx) => {
    const same = await trx
      .selectFrom("templates")
      .select("id")
      .where("tenant_id", "=", tenantId)
      .where("name", "=", name)
      .where("id", "!=", id)
      .where((eb) =>
        wallet === null ? eb("wallet_id", "is", null) : eb("wallet_id", "=", wallet.id),
      )
      .executeTakeFirst();
    if (same) {
      throw new ValidationError(
        `Já existe o template "${name}"${wallet ? ` na carteira ${wallet.code}` : " para todas as carteiras"} (número ${same.id}). Use outro nome.`,
      );
    }
    let replacedDefault: string | null = null;
    const now = nowIso();
    if (isDefault && wallet !== null) {
      replacedDefault = await takeExclusiveFlag(trx, {
        ...DEFAULT_TEMPLATE,
        tenantId,
        walletId: wallet.id,
        exceptId: id,
        now,
      });
    }
    await trx
      .updateTable("templates")
      .set({
        name,
        language,
        body,
        params_json: JSON.stringify(params),
        wallet_id: wallet?.id ?? null,
        is_default: isDefault ? 1 : 0,
        updated_at: now,
      })
      .where("tenant_id", "=", tenantId)
      .where("id", "=", id)
      .execute();
    const template = await viewQuery(trx, tenantId)
      .where("t.id", "=", id)
      .executeTakeFirstOrThrow();
    return { template, replacedDefault };
  });
}
