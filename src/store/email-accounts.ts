/**
 * E-mail accounts of a tenant (SPEC §1, §3): `_ce` names one; without it the
 * wallet's active account is used, else the tenant's platform default. Each
 * wallet has at most one active account and the tenant at most one platform
 * default: registering a new one takes the place of the previous.
 * Provider "outbox" (embedded) for now: host/port/credentials stay empty until
 * the SMTP provider exists.
 */
import type { Kysely, Selectable } from "kysely";
import { normalizeEmail } from "../mailing/email.js";
import { isUniqueViolation } from "./errors.js";
import { type Database, type EmailAccountTable, nowIso } from "./schema.js";
import { checkRate, inUseMessage, liveCampaignsUsing } from "./senders.js";
import { ValidationError } from "./tenants.js";
import { resolveWalletCode } from "./wallet-ref.js";

export type EmailAccountRow = Selectable<EmailAccountTable>;

export interface EmailAccountView extends EmailAccountRow {
  wallet_code: string | null;
}

export interface EmailAccountInput {
  address: string;
  displayName?: string | null;
  wallet?: string | null;
  /** The wallet's active account (needs a wallet). */
  active?: boolean;
  /** The tenant's platform default account (fallback of every wallet). */
  platformDefault?: boolean;
  ratePerSecond?: number | null;
  provider?: string;
}

export interface EmailAccountAdded {
  account: EmailAccountView;
  /** The address that stopped being the wallet's active account, if any. */
  replacedActive: string | null;
  /** The address that stopped being the platform default, if any. */
  replacedPlatformDefault: string | null;
}

export async function addEmailAccount(
  db: Kysely<Database>,
  tenantId: number,
  input: EmailAccountInput,
): Promise<EmailAccountAdded> {
  const normalized = normalizeEmail(input.address, true);
  if (!normalized.ok) {
    throw new ValidationError(
      `Endereço "${input.address}" inválido: ${normalized.message.charAt(0).toLowerCase()}${normalized.message.slice(1)}.`,
    );
  }
  const address = normalized.value;
  checkRate(input.ratePerSecond);
  const displayName = input.displayName?.trim() || null;
  if (displayName !== null && (displayName.length > 200 || /\p{Cc}/u.test(displayName))) {
    throw new ValidationError(
      "O nome de exibição deve ter até 200 caracteres, sem caracteres de controle.",
    );
  }
  const wallet = await resolveWalletCode(db, tenantId, input.wallet ?? null);
  if (input.active && wallet === null) {
    throw new ValidationError(
      "A conta ativa é de uma carteira: informe a carteira com --wallet CÓDIGO (ou use --platform-default para a conta padrão da plataforma).",
    );
  }
  // Compared ignoring case, as `_ce` is matched (tenant-checks).
  const existing = await db
    .selectFrom("email_accounts")
    .select(["id", "address"])
    .where("tenant_id", "=", tenantId)
    .execute();
  const same = existing.find((e) => e.address.toLowerCase() === address.toLowerCase());
  if (same) {
    throw new ValidationError(
      `A conta de e-mail ${same.address} já está cadastrada (número ${same.id}). Veja as contas com "remessa email-accounts list".`,
    );
  }
  try {
    return await db.transaction().execute(async (trx) => {
      let replacedActive: string | null = null;
      let replacedPlatformDefault: string | null = null;
      const now = nowIso();
      if (input.active && wallet !== null) {
        const previous = await trx
          .selectFrom("email_accounts")
          .select("address")
          .where("tenant_id", "=", tenantId)
          .where("wallet_id", "=", wallet.id)
          .where("active", "=", 1)
          .execute();
        if (previous.length > 0) {
          replacedActive = previous.map((p) => p.address).join(", ");
          await trx
            .updateTable("email_accounts")
            .set({ active: 0, updated_at: now })
            .where("tenant_id", "=", tenantId)
            .where("wallet_id", "=", wallet.id)
            .where("active", "=", 1)
            .execute();
        }
      }
      if (input.platformDefault) {
        const previous = await trx
          .selectFrom("email_accounts")
          .select("address")
          .where("tenant_id", "=", tenantId)
          .where("is_platform_default", "=", 1)
          .execute();
        if (previous.length > 0) {
          replacedPlatformDefault = previous.map((p) => p.address).join(", ");
          await trx
            .updateTable("email_accounts")
            .set({ is_platform_default: 0, updated_at: now })
            .where("tenant_id", "=", tenantId)
            .where("is_platform_default", "=", 1)
            .execute();
        }
      }
      const row = await trx
        .insertInto("email_accounts")
        .values({
          tenant_id: tenantId,
          address,
          display_name: displayName,
          host: "",
          port: 0,
          wallet_id: wallet?.id ?? null,
          active: input.active ? 1 : 0,
          is_platform_default: input.platformDefault ? 1 : 0,
          rate_per_second: input.ratePerSecond ?? null,
          provider: input.provider ?? "outbox",
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return {
        account: { ...row, wallet_code: wallet?.code ?? null },
        replacedActive,
        replacedPlatformDefault,
      };
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new ValidationError(`A conta de e-mail ${address} já está cadastrada.`);
    }
    throw error;
  }
}

function viewQuery(db: Kysely<Database>, tenantId: number) {
  return db
    .selectFrom("email_accounts as a")
    .leftJoin("wallets as w", "w.id", "a.wallet_id")
    .selectAll("a")
    .select("w.code as wallet_code")
    .where("a.tenant_id", "=", tenantId);
}

export async function listEmailAccounts(
  db: Kysely<Database>,
  tenantId: number,
  filter: { walletId?: number } = {},
): Promise<EmailAccountView[]> {
  let query = viewQuery(db, tenantId);
  if (filter.walletId !== undefined) query = query.where("a.wallet_id", "=", filter.walletId);
  return query.orderBy("a.address").orderBy("a.id").execute();
}

export async function getEmailAccount(
  db: Kysely<Database>,
  tenantId: number,
  id: number,
): Promise<EmailAccountView | null> {
  return (await viewQuery(db, tenantId).where("a.id", "=", id).executeTakeFirst()) ?? null;
}

/** Removes an account; refused while a live campaign sends through it. False when absent. */
export async function removeEmailAccount(
  db: Kysely<Database>,
  tenantId: number,
  id: number,
): Promise<boolean> {
  const live = await liveCampaignsUsing(db, tenantId, "email_account_id", id);
  if (live.length > 0)
    throw new ValidationError(inUseMessage(`A conta de e-mail ${id}`, live, true));
  const result = await db
    .deleteFrom("email_accounts")
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
