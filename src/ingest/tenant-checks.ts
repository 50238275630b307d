/**
 * The file-name checks that need the tenant's registrations (SPEC §3): the
 * wallet exists, the sequence is free today, and the senders, templates and
 * e-mail accounts the name asks for are registered. The rules are pure over a
 * `TenantDirectory`; `databaseDirectory` answers it from the store.
 */
import type { Kysely } from "kysely";
import type { NameError, NameFacts } from "../filename/types.js";
import { legalBasisMissing, legalBasisMissingMessage } from "../store/privacy.js";
import type { Database } from "../store/schema.js";

/** What the checks need to know about one tenant. */
export interface TenantDirectory {
  walletId(code: string): Promise<number | null>;
  /**
   * The registered wallet code equal to `code` but for letter case, if any: a
   * folder `itau` next to the wallet `ITAU` is told to be renamed, not to be registered.
   */
  walletCodeIgnoringCase?(code: string): Promise<string | null>;
  /** File name of the accepted mailing holding date+sequence (other than `exceptId`), if any. */
  sequenceHolder(date: string, sequence: number, exceptId: number | null): Promise<string | null>;
  /** A registered sender of this kind/mode with this number (digits), if any. */
  hasSender(kind: "whatsapp" | "sms", mode: string, number: string | null): Promise<boolean>;
  /** The wallet's exclusive WhatsApp numbers. */
  exclusiveNumbers(walletId: number): Promise<string[]>;
  hasTemplate(name: string, walletId: number | null): Promise<boolean>;
  hasDefaultTemplate(walletId: number): Promise<boolean>;
  hasEmailAccount(address: string): Promise<boolean>;
  /** The tenant requires an LGPD legal basis and this wallet has none (BASE_LEGAL_AUSENTE). */
  legalBasisMissing?(walletId: number): Promise<boolean>;
}

function displayDate(iso: string): string {
  const [y, m, d] = iso.split("-");
  return `${d}/${m}/${y}`;
}

/** The wallet folder a file sits in must be a wallet, even when the name cannot be read. */
export async function checkFolder(
  folder: string | null,
  directory: TenantDirectory,
): Promise<NameError | null> {
  if (folder === null || (await directory.walletId(folder)) !== null) return null;
  const registered = (await directory.walletCodeIgnoringCase?.(folder)) ?? null;
  return {
    code: "CARTEIRA_INEXISTENTE",
    param: null,
    message:
      registered !== null
        ? `A pasta "${folder}" difere só em maiúsculas/minúsculas da carteira "${registered}": renomeie a pasta para "${registered}" (ou mova o arquivo para a pasta "${registered}").`
        : `A pasta "${folder}" não é uma carteira cadastrada. Cadastre a carteira "${folder}" ou mova o arquivo para a pasta de uma carteira existente (ou para a raiz, com _c no nome).`,
  };
}

/**
 * Tenant-data errors for what a name says: a name the grammar accepted, or the
 * parts of a refused one that did parse (`ParseResult.facts`), so the operator
 * sees every error at once. A check on a part that could not be read is left
 * to that part's grammar error. `mailingId` is the file's own record, which
 * never conflicts with itself.
 */
export async function checkTenantData(
  mailing: NameFacts,
  folder: string | null,
  mailingId: number | null,
  directory: TenantDirectory,
): Promise<NameError[]> {
  const errors: NameError[] = [];
  const folderError = await checkFolder(folder, directory);
  if (folderError) errors.push(folderError);

  let walletId: number | null = null;
  if (mailing.wallet !== null) {
    walletId = await directory.walletId(mailing.wallet);
    // A folder that is not a wallet was reported above; say it once.
    if (walletId === null && !(folderError && mailing.wallet === folder)) {
      const registered = (await directory.walletCodeIgnoringCase?.(mailing.wallet)) ?? null;
      errors.push({
        code: "CARTEIRA_INEXISTENTE",
        param: "c",
        message:
          registered !== null
            ? `A carteira "${mailing.wallet}" (_c) difere só em maiúsculas/minúsculas da carteira "${registered}": escreva _c${registered} no nome.`
            : `A carteira "${mailing.wallet}" não está cadastrada. Corrija o código em _c (ele deve ser igual ao da manutenção de carteiras) ou cadastre a carteira.`,
      });
    }
  }

  if (walletId !== null && mailing.wallet !== null) {
    if (await directory.legalBasisMissing?.(walletId)) {
      errors.push({
        code: "BASE_LEGAL_AUSENTE",
        param: "c",
        message: legalBasisMissingMessage(mailing.wallet),
      });
    }
  }

  const unreadable = new Set(mailing.unreadable ?? []);
  const holder =
    mailing.date === null || mailing.sequence === null
      ? null
      : await directory.sequenceHolder(mailing.date, mailing.sequence, mailingId);
  if (holder !== null && mailing.date !== null) {
    errors.push({
      code: "SEQUENCIA_REPETIDA",
      param: null,
      message: `A sequência ${mailing.sequence} de ${displayDate(mailing.date)} já foi usada pelo arquivo "${holder}". Envie o arquivo com a próxima sequência livre do dia.`,
    });
  }

  if (mailing.sms) {
    if (!(await directory.hasSender("sms", mailing.sms, null))) {
      errors.push({
        code: "REMETENTE_INEXISTENTE",
        param: mailing.sms === "long" ? "smslong" : "smsshort",
        message: `Não há rota de SMS ${mailing.sms === "long" ? "long code" : "short code"} cadastrada. Cadastre a rota ou troque o tipo de SMS no nome.`,
      });
    }
  }

  const whatsapp = mailing.whatsapp;
  if (whatsapp) {
    const flag = `whatsapp${whatsapp.mode}`;
    if (whatsapp.mode === "exclusivo") {
      if (unreadable.has("nw")) {
        // A bad _nw was reported by the grammar: which number was meant is unknown.
      } else if (whatsapp.number !== null) {
        if (!(await directory.hasSender("whatsapp", "exclusivo", whatsapp.number))) {
          errors.push({
            code: "REMETENTE_INEXISTENTE",
            param: "nw",
            message: `O número WhatsApp ${whatsapp.number} (_nw) não está cadastrado como número exclusivo. Corrija o número ou cadastre-o.`,
          });
        }
      } else if (walletId !== null) {
        const numbers = await directory.exclusiveNumbers(walletId);
        if (numbers.length !== 1) {
          errors.push({
            code: "REMETENTE_INEXISTENTE",
            param: "nw",
            message:
              numbers.length === 0
                ? `A carteira "${mailing.wallet}" não tem número WhatsApp exclusivo. Cadastre um ou informe o número com _nw.`
                : `A carteira "${mailing.wallet}" tem ${numbers.length} números WhatsApp exclusivos. Informe qual usar com _nw.`,
          });
        }
      }
    } else if (!(await directory.hasSender("whatsapp", whatsapp.mode, null))) {
      errors.push({
        code: "REMETENTE_INEXISTENTE",
        param: flag,
        message: `Não há número WhatsApp ${whatsapp.mode === "compartilhado" ? "compartilhado" : "de prospecção"} cadastrado. Cadastre um ou escolha outro tipo de campanha WhatsApp.`,
      });
    }
    if (unreadable.has("nt")) {
      // A bad _nt was reported by the grammar.
    } else if (whatsapp.template !== null) {
      if (!(await directory.hasTemplate(whatsapp.template, walletId))) {
        errors.push({
          code: "TEMPLATE_INEXISTENTE",
          param: "nt",
          message: `O template WhatsApp "${whatsapp.template}" (_nt) não está cadastrado. Confira o nome exato (maiúsculas, espaços) ou cadastre o template.`,
        });
      }
    } else if (walletId !== null && !(await directory.hasDefaultTemplate(walletId))) {
      errors.push({
        code: "TEMPLATE_INEXISTENTE",
        param: "nt",
        message: `A carteira "${mailing.wallet}" não tem template WhatsApp padrão. Informe o template com _nt ou defina um padrão para a carteira.`,
      });
    }
  }

  const email = mailing.email;
  if (email) {
    if (email.account !== null && !unreadable.has("ce")) {
      if (!(await directory.hasEmailAccount(email.account))) {
        errors.push({
          code: "CONTA_EMAIL_INEXISTENTE",
          param: "ce",
          message: `A conta de e-mail "${email.account}" (_ce) não está cadastrada. Corrija o endereço ou cadastre a conta.`,
        });
      }
    }
    // Without _ce the wallet's active account is used, else the platform default
    // account, which always exists (SPEC §1): nothing to refuse.
  }
  return errors;
}

/**
 * What `check-name`, `build-name` and the API's /filename routes add to the
 * grammar's errors: the tenant-data checks of what the name says, or, for a
 * name that could not be read at all, only the folder's.
 */
export async function checkNameFacts(
  facts: NameFacts | null,
  folder: string | null,
  directory: TenantDirectory,
): Promise<NameError[]> {
  if (facts !== null) return checkTenantData(facts, folder, null, directory);
  const folderError = await checkFolder(folder, directory);
  return folderError ? [folderError] : [];
}

/**
 * The registrations a name refers to, as rows: the name checks ask whether
 * they exist (`databaseDirectory`), campaign planning takes the one to use
 * (src/campaigns/create.ts), with the same queries so a file the checks let
 * through always finds what it asked for.
 */
export interface SenderChoice {
  id: number;
  name: string;
  number: string;
  mode: string;
  wallet_id: number | null;
  rate_per_second: number | null;
  provider: string;
  messaging_tier: number | null;
}

const SENDER_COLUMNS = [
  "id",
  "name",
  "number",
  "mode",
  "wallet_id",
  "rate_per_second",
  "provider",
  "messaging_tier",
] as const;

/**
 * An enabled sender of this kind and mode (and number, when given): the
 * wallet's own first, then one of no wallet, then any other; the oldest of
 * those.
 */
export async function findSender(
  db: Kysely<Database>,
  tenantId: number,
  kind: "whatsapp" | "sms",
  mode: string,
  number: string | null,
  walletId: number | null = null,
): Promise<SenderChoice | null> {
  let query = db
    .selectFrom("senders")
    .select([...SENDER_COLUMNS])
    .where("tenant_id", "=", tenantId)
    .where("kind", "=", kind)
    .where("mode", "=", mode)
    .where("enabled", "=", 1);
  if (number !== null) query = query.where("number", "=", number);
  const rows = await query.orderBy("id").execute();
  const rank = (r: SenderChoice) =>
    walletId !== null && r.wallet_id === walletId ? 0 : r.wallet_id === null ? 1 : 2;
  return rows.sort((a, b) => rank(a) - rank(b))[0] ?? null;
}

/** The wallet's enabled exclusive WhatsApp numbers. */
export async function findExclusiveSenders(
  db: Kysely<Database>,
  tenantId: number,
  walletId: number,
): Promise<SenderChoice[]> {
  return db
    .selectFrom("senders")
    .select([...SENDER_COLUMNS])
    .where("tenant_id", "=", tenantId)
    .where("kind", "=", "whatsapp")
    .where("mode", "=", "exclusivo")
    .where("wallet_id", "=", walletId)
    .where("enabled", "=", 1)
    .orderBy("id")
    .execute();
}

export interface TemplateChoice {
  id: number;
  name: string;
  body: string | null;
}

/** A template with this exact name, of the wallet or of no wallet (the wallet's own first). */
export async function findTemplate(
  db: Kysely<Database>,
  tenantId: number,
  name: string,
  walletId: number | null,
): Promise<TemplateChoice | null> {
  const rows = await db
    .selectFrom("templates")
    .select(["id", "name", "body", "wallet_id"])
    .where("tenant_id", "=", tenantId)
    .where("name", "=", name)
    .where((eb) =>
      walletId === null
        ? eb("wallet_id", "is", null)
        : eb.or([eb("wallet_id", "is", null), eb("wallet_id", "=", walletId)]),
    )
    .orderBy("id")
    .execute();
  const row = rows.find((r) => r.wallet_id !== null) ?? rows[0];
  return row ? { id: row.id, name: row.name, body: row.body } : null;
}

/** The wallet's default template. */
export async function findDefaultTemplate(
  db: Kysely<Database>,
  tenantId: number,
  walletId: number,
): Promise<TemplateChoice | null> {
  return (
    (await db
      .selectFrom("templates")
      .select(["id", "name", "body"])
      .where("tenant_id", "=", tenantId)
      .where("wallet_id", "=", walletId)
      .where("is_default", "=", 1)
      .orderBy("id")
      .executeTakeFirst()) ?? null
  );
}

export interface EmailAccountChoice {
  id: number;
  address: string;
  rate_per_second: number | null;
  provider: string;
}

/** The account with this address, compared ignoring case. */
export async function findEmailAccount(
  db: Kysely<Database>,
  tenantId: number,
  address: string,
): Promise<EmailAccountChoice | null> {
  const rows = await db
    .selectFrom("email_accounts")
    .select(["id", "address", "rate_per_second", "provider"])
    .where("tenant_id", "=", tenantId)
    .orderBy("id")
    .execute();
  const wanted = address.toLowerCase();
  return rows.find((r) => r.address.toLowerCase() === wanted) ?? null;
}

export function databaseDirectory(db: Kysely<Database>, tenantId: number): TenantDirectory {
  return {
    async walletId(code) {
      const row = await db
        .selectFrom("wallets")
        .select("id")
        .where("tenant_id", "=", tenantId)
        .where("code", "=", code)
        .executeTakeFirst();
      return row?.id ?? null;
    },
    async walletCodeIgnoringCase(code) {
      // Few wallets per tenant: compared here the same way on SQLite and PostgreSQL.
      const rows = await db
        .selectFrom("wallets")
        .select("code")
        .where("tenant_id", "=", tenantId)
        .execute();
      const wanted = code.toUpperCase();
      return rows.find((r) => r.code.toUpperCase() === wanted)?.code ?? null;
    },
    async sequenceHolder(date, sequence, exceptId) {
      let query = db
        .selectFrom("mailings")
        .select("file_name")
        .where("tenant_id", "=", tenantId)
        .where("date", "=", date)
        .where("sequence", "=", sequence)
        .where("outcome", "=", "accepted");
      if (exceptId !== null) query = query.where("id", "!=", exceptId);
      return (await query.executeTakeFirst())?.file_name ?? null;
    },
    async hasSender(kind, mode, number) {
      return (await findSender(db, tenantId, kind, mode, number)) !== null;
    },
    async exclusiveNumbers(walletId) {
      return (await findExclusiveSenders(db, tenantId, walletId)).map((r) => r.number);
    },
    async hasTemplate(name, walletId) {
      return (await findTemplate(db, tenantId, name, walletId)) !== null;
    },
    async hasDefaultTemplate(walletId) {
      return (await findDefaultTemplate(db, tenantId, walletId)) !== null;
    },
    async hasEmailAccount(address) {
      return (await findEmailAccount(db, tenantId, address)) !== null;
    },
    async legalBasisMissing(walletId) {
      return legalBasisMissing(db, tenantId, walletId);
    },
  };
}
