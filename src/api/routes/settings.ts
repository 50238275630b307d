/**
 * Senders, templates and e-mail accounts of the caller's tenant (Configurações),
 * through the store functions the CLI uses, so the rules and the pt-BR
 * refusals are the same. Secrets (a sender's token, an account's password) are
 * write-only: accepted on create/update, stored encrypted, never returned
 * (`hasToken`, `hasPassword` say whether one is kept). The provider settings
 * are open (`settings`, optional SMTP fields) for the providers being added.
 */
import { z } from "zod";
import { walletFilter } from "../../cli/settings-args.js";
import { SourceError } from "../../sources/errors.js";
import { checkHostSyntax } from "../../sources/host-guard.js";
import {
  addEmailAccount,
  type EmailAccountAdded,
  type EmailAccountPatch,
  type EmailAccountView,
  getEmailAccount,
  listEmailAccounts,
  removeEmailAccount,
  SMTP_SECURITY,
  updateEmailAccount,
} from "../../store/email-accounts.js";
import {
  addSender,
  checkProvider,
  checkSettings,
  getSender,
  listSenders,
  parseSettings,
  removeSender,
  type SenderPatch,
  type SenderView,
  SMS_MODES,
  updateSender,
  WHATSAPP_MODES,
} from "../../store/senders.js";
import {
  addTemplate,
  getTemplate,
  listTemplates,
  removeTemplate,
  type TemplateView,
  templateParams,
  updateTemplate,
} from "../../store/templates.js";
import { ValidationError } from "../../store/tenants.js";
import type { ApiDeps } from "../app.js";
import { ApiError, notFound } from "../errors.js";
import { type AnyRoute, route } from "../route.js";
import { idParam } from "./tenants.js";

const walletQuery = z.strictObject({
  wallet: z.string().min(1).max(50).optional().describe("Só os da carteira (código)"),
});

const removed = z.object({ removed: z.literal(true), id: z.number().int() });

/** A removal refused because live campaigns use the item: a conflict with the current state. */
async function removing(remove: () => Promise<boolean>, missing: () => ApiError): Promise<void> {
  let done: boolean;
  try {
    done = await remove();
  } catch (error) {
    if (error instanceof ValidationError) throw new ApiError("CONFLITO", error.message);
    throw error;
  }
  if (!done) throw missing();
}

// ---- senders ----

const senderSchema = z
  .object({
    id: z.number().int(),
    kind: z.enum(["whatsapp", "sms"]),
    mode: z.string().describe("whatsapp: exclusivo, compartilhado, prospect; sms: long, short"),
    name: z.string(),
    number: z.string().describe("Número WhatsApp (dígitos) ou nome da rota de SMS"),
    wallet: z.string().nullable().describe("Carteira dona; null = todas"),
    ratePerSecond: z.number().nullable(),
    provider: z.string(),
    enabled: z.boolean(),
    phoneNumberId: z.string().nullable(),
    businessAccountId: z
      .string()
      .nullable()
      .describe(
        "WhatsApp Cloud API: a conta do WhatsApp Business (WABA) do número, onde templates test lê os templates",
      ),
    hasToken: z.boolean().describe("Há token guardado (o token nunca é devolvido)"),
    settings: z.record(z.string(), z.unknown()).nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: "Sender" });

function senderView(s: SenderView): z.input<typeof senderSchema> {
  const settings = parseSettings(s.settings_json);
  return {
    id: s.id,
    kind: s.kind as "whatsapp" | "sms",
    mode: s.mode,
    name: s.name,
    number: s.number,
    wallet: s.wallet_code,
    ratePerSecond: s.rate_per_second,
    provider: s.provider,
    enabled: s.enabled === 1,
    phoneNumberId: s.phone_number_id,
    businessAccountId:
      typeof settings?.businessAccountId === "string" ? settings.businessAccountId : null,
    hasToken: s.token_enc !== null && s.token_enc !== "",
    settings,
    createdAt: s.created_at,
    updatedAt: s.updated_at,
  };
}

const senderFields = {
  kind: z.enum(["whatsapp", "sms"]),
  mode: z.enum([...WHATSAPP_MODES, ...SMS_MODES]),
  number: z
    .string()
    .min(1)
    .max(100)
    .describe("WhatsApp: o número (10 a 13 dígitos, como no _nw); SMS: o nome da rota"),
  name: z.string().max(200).nullable(),
  wallet: z.string().min(1).max(50).nullable(),
  ratePerSecond: z.number().positive().max(100_000).nullable(),
  provider: z.string().min(1).max(40).describe("Quem envia: outbox (embutido) ou um provedor"),
  enabled: z.boolean(),
  phoneNumberId: z.string().max(30).nullable().describe("WhatsApp Cloud API: phone-number id"),
  businessAccountId: z
    .string()
    .max(30)
    .nullable()
    .describe(
      "WhatsApp Cloud API: o identificador numérico da conta do WhatsApp Business (WABA), como senders add --business-account; null apaga",
    ),
  token: z
    .string()
    .min(1)
    .max(4000)
    .nullable()
    .describe("Só escrita: o segredo do provedor (token, senha SMPP); null apaga"),
  settings: z
    .record(z.string(), z.unknown())
    .nullable()
    .describe("Configurações do provedor que não são segredo (endereço, porta…)"),
};

const senderCreate = z.strictObject({
  ...senderFields,
  name: senderFields.name.optional(),
  wallet: senderFields.wallet.optional(),
  ratePerSecond: senderFields.ratePerSecond.optional(),
  provider: senderFields.provider.optional(),
  enabled: senderFields.enabled.optional(),
  phoneNumberId: senderFields.phoneNumberId.optional(),
  businessAccountId: senderFields.businessAccountId.optional(),
  token: senderFields.token.optional(),
  settings: senderFields.settings.optional(),
});

function optionalAll<T extends Record<string, z.ZodType>>(fields: T) {
  return z.strictObject(
    Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v.optional()])) as {
      [K in keyof T]: z.ZodOptional<T[K]>;
    },
  );
}

const senderUpdate = optionalAll(senderFields);

/** The fields of a patch that addSender does not take (set right after, in the same transaction). */
function senderExtras(body: z.output<typeof senderCreate>): SenderPatch {
  const extras: SenderPatch = {};
  if (body.enabled !== undefined) extras.enabled = body.enabled;
  if (body.phoneNumberId !== undefined) extras.phoneNumberId = body.phoneNumberId;
  if (body.token !== undefined) extras.token = body.token;
  if (body.settings !== undefined) extras.settings = body.settings;
  if (body.businessAccountId !== undefined) extras.businessAccountId = body.businessAccountId;
  return extras;
}

// ---- templates ----

const templateSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    language: z.string(),
    wallet: z.string().nullable(),
    default: z.boolean().describe("Template padrão da carteira (usado sem _nt)"),
    body: z.string().nullable(),
    params: z
      .array(z.string())
      .describe(
        "Coluna do mailing de cada parâmetro do texto, na ordem; cabeçalho e botões com prefixo: header:1=COLUNA, header:image=COLUNA, button:0=COLUNA (final da URL), button:1:quick_reply=COLUNA (payload da resposta rápida)",
      ),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: "Template" });

function templateView(t: TemplateView): z.input<typeof templateSchema> {
  return {
    id: t.id,
    name: t.name,
    language: t.language,
    wallet: t.wallet_code,
    default: t.is_default === 1,
    body: t.body,
    params: templateParams(t),
    createdAt: t.created_at,
    updatedAt: t.updated_at,
  };
}

const templateFields = {
  name: z.string().min(1).max(200),
  language: z.string().min(2).max(10).nullable().describe("Padrão pt_BR"),
  body: z.string().min(1).max(4096).describe("Texto com {{1}}, {{2}}…"),
  params: z.array(z.string().min(1).max(100)).max(50),
  wallet: z.string().min(1).max(50).nullable(),
  default: z.boolean(),
};

const templateCreate = z.strictObject({
  ...templateFields,
  language: templateFields.language.optional(),
  params: templateFields.params.optional(),
  wallet: templateFields.wallet.optional(),
  default: templateFields.default.optional(),
});

const templateUpdate = optionalAll(templateFields);

const templateAnswer = z.object({
  template: templateSchema,
  replacedDefault: z
    .string()
    .nullable()
    .describe("O template que deixou de ser o padrão da carteira, se algum"),
});

// ---- e-mail accounts ----

const accountSchema = z
  .object({
    id: z.number().int(),
    address: z.string(),
    displayName: z.string().nullable(),
    wallet: z.string().nullable(),
    active: z.boolean().describe("Conta ativa da carteira (usada sem _ce)"),
    platformDefault: z.boolean(),
    ratePerSecond: z.number().nullable(),
    provider: z.string(),
    host: z.string().nullable().describe("Servidor SMTP; null quando não há"),
    port: z.number().int().nullable(),
    security: z.string(),
    username: z.string().nullable(),
    hasPassword: z.boolean().describe("Há senha guardada (a senha nunca é devolvida)"),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: "EmailAccount" });

function accountView(a: EmailAccountView): z.input<typeof accountSchema> {
  return {
    id: a.id,
    address: a.address,
    displayName: a.display_name,
    wallet: a.wallet_code,
    active: a.active === 1,
    platformDefault: a.is_platform_default === 1,
    ratePerSecond: a.rate_per_second,
    provider: a.provider,
    host: a.host === "" ? null : a.host,
    port: a.port === 0 ? null : a.port,
    security: a.security,
    username: a.username,
    hasPassword: a.password_enc !== null && a.password_enc !== "",
    createdAt: a.created_at,
    updatedAt: a.updated_at,
  };
}

const accountFields = {
  address: z.string().min(3).max(254),
  displayName: z.string().max(200).nullable(),
  wallet: z.string().min(1).max(50).nullable(),
  active: z.boolean(),
  platformDefault: z.boolean(),
  ratePerSecond: z.number().positive().max(100_000).nullable(),
  provider: z.string().min(1).max(40),
  host: z.string().max(253).describe("Servidor SMTP (provedor smtp)"),
  port: z.number().int().min(1).max(65535),
  security: z.enum(SMTP_SECURITY),
  username: z.string().max(200).nullable(),
  password: z.string().min(1).max(1000).nullable().describe("Só escrita: nunca é devolvida"),
};

const accountCreate = z.strictObject({
  ...accountFields,
  displayName: accountFields.displayName.optional(),
  wallet: accountFields.wallet.optional(),
  active: accountFields.active.optional(),
  platformDefault: accountFields.platformDefault.optional(),
  ratePerSecond: accountFields.ratePerSecond.optional(),
  provider: accountFields.provider.optional(),
  host: accountFields.host.optional(),
  port: accountFields.port.optional(),
  security: accountFields.security.optional(),
  username: accountFields.username.optional(),
  password: accountFields.password.optional(),
});

const accountUpdate = optionalAll(accountFields);

const accountAnswer = z.object({
  account: accountSchema,
  replacedActive: z.string().nullable().describe("A conta que deixou de ser a ativa da carteira"),
  replacedPlatformDefault: z
    .string()
    .nullable()
    .describe("A conta que deixou de ser a padrão da plataforma"),
});

function accountAdded(a: EmailAccountAdded): z.input<typeof accountAnswer> {
  return {
    account: accountView(a.account),
    replacedActive: a.replacedActive,
    replacedPlatformDefault: a.replacedPlatformDefault,
  };
}

/** The SMTP-only fields of a body (what addEmailAccount does not take). */
function smtpFields(body: Partial<z.output<typeof accountCreate>>): EmailAccountPatch {
  const patch: EmailAccountPatch = {};
  if (body.host !== undefined) patch.host = body.host;
  if (body.port !== undefined) patch.port = body.port;
  if (body.security !== undefined) patch.security = body.security;
  if (body.username !== undefined) patch.username = body.username;
  if (body.password !== undefined) patch.password = body.password;
  return patch;
}

export function settingsRoutes(deps: ApiDeps): AnyRoute[] {
  const { db } = deps.store;
  /** A host the server will connect to: judged as a source's host (no private networks). */
  const remoteHost = (host: string | undefined): string | undefined => {
    if (host === undefined || host.trim() === "") return host;
    try {
      return checkHostSyntax(host.trim(), { allowPrivate: deps.allowPrivateSources });
    } catch (error) {
      if (error instanceof SourceError) {
        throw new ApiError("VALOR_RECUSADO", error.message, { sourceCode: error.code });
      }
      throw error;
    }
  };
  /**
   * A sender's settings as a tenant sends them: no secret (checkSettings), and the
   * provider's address (an SMPP `host`, a Cloud API `baseUrl`) a public one, as a
   * source's: the dispatcher connects there with the sender's secret.
   */
  const senderSettings = (settings: Record<string, unknown>): void => {
    checkSettings(settings);
    if (typeof settings.host === "string") remoteHost(settings.host);
    if (typeof settings.baseUrl === "string") {
      let url: URL;
      try {
        url = new URL(settings.baseUrl);
      } catch {
        throw new ApiError(
          "VALOR_RECUSADO",
          `settings.baseUrl "${settings.baseUrl}" não é um endereço válido: use https://servidor/caminho.`,
        );
      }
      if (url.protocol !== "https:" && !(url.protocol === "http:" && deps.allowPrivateSources)) {
        throw new ApiError(
          "VALOR_RECUSADO",
          `settings.baseUrl precisa ser https:// (recebido ${url.protocol}//): o token do número vai nesse pedido.`,
        );
      }
      remoteHost(url.hostname.replace(/^\[(.*)\]$/, "$1"));
    }
  };
  const senderMissing = (id: number) => notFound(`O remetente ${id}`);
  const templateMissing = (id: number) => notFound(`O template ${id}`);
  const accountMissing = (id: number) => notFound(`A conta de e-mail ${id}`);
  return [
    route({
      method: "GET",
      url: "/senders",
      summary: "Lista os remetentes (WhatsApp e rotas de SMS)",
      tag: "remetentes",
      access: "tenant",
      query: walletQuery,
      response: z.object({ items: z.array(senderSchema) }),
      errors: [422],
      handler: async ({ tenantId, query }) => ({
        items: (
          await listSenders(db, tenantId, await walletFilter(db, tenantId, query.wallet))
        ).map(senderView),
      }),
    }),
    route({
      method: "GET",
      url: "/senders/:id",
      summary: "Um remetente",
      tag: "remetentes",
      access: "tenant",
      params: idParam,
      response: senderSchema,
      errors: [404],
      handler: async ({ tenantId, params }) => {
        const sender = await getSender(db, tenantId, params.id);
        if (!sender) throw senderMissing(params.id);
        return senderView(sender);
      },
    }),
    route({
      method: "POST",
      url: "/senders",
      summary: "Cadastra um remetente",
      description:
        'As regras de "remessa senders add": número WhatsApp de 10 a 13 dígitos, modos exclusivo, compartilhado ou prospect (WhatsApp) e long ou short (SMS), um número ou rota uma vez só. O token é guardado cifrado e nunca é devolvido.',
      tag: "remetentes",
      access: "tenant",
      status: 201,
      body: senderCreate,
      response: senderSchema,
      errors: [422],
      handler: async ({ tenantId, body }) => {
        const extras = senderExtras(body);
        // Refused before anything is written.
        if (body.settings) senderSettings(body.settings);
        const provider = body.provider === undefined ? undefined : checkProvider(body.provider);
        const created = await db.transaction().execute(async (trx) => {
          const sender = await addSender(trx, tenantId, {
            kind: body.kind,
            mode: body.mode,
            number: body.number,
            name: body.name ?? null,
            wallet: body.wallet ?? null,
            ratePerSecond: body.ratePerSecond ?? null,
            ...(provider !== undefined ? { provider } : {}),
          });
          if (Object.keys(extras).length === 0) return sender;
          return updateSender(trx, tenantId, sender.id, extras, deps.secretKey);
        });
        if (!created) throw new Error("sender vanished after insert");
        return senderView(created);
      },
    }),
    route({
      method: "PATCH",
      url: "/senders/:id",
      summary: "Altera um remetente",
      description:
        "Só os campos enviados mudam, com as mesmas regras do cadastro. token troca o segredo guardado (null apaga).",
      tag: "remetentes",
      access: "tenant",
      params: idParam,
      body: senderUpdate,
      response: senderSchema,
      errors: [404, 422],
      handler: async ({ tenantId, params, body }) => {
        if (body.settings) senderSettings(body.settings);
        const updated = await updateSender(db, tenantId, params.id, body, deps.secretKey);
        if (!updated) throw senderMissing(params.id);
        return senderView(updated);
      },
    }),
    route({
      method: "DELETE",
      url: "/senders/:id",
      summary: "Remove um remetente",
      description: "Recusado (409) enquanto uma campanha em andamento envia por ele.",
      tag: "remetentes",
      access: "tenant",
      params: idParam,
      response: removed,
      errors: [404, 409],
      handler: async ({ tenantId, params }) => {
        if (!(await getSender(db, tenantId, params.id))) throw senderMissing(params.id);
        await removing(
          () => removeSender(db, tenantId, params.id),
          () => senderMissing(params.id),
        );
        return { removed: true as const, id: params.id };
      },
    }),

    route({
      method: "GET",
      url: "/templates",
      summary: "Lista os templates de mensagem",
      tag: "templates",
      access: "tenant",
      query: walletQuery,
      response: z.object({ items: z.array(templateSchema) }),
      errors: [422],
      handler: async ({ tenantId, query }) => ({
        items: (
          await listTemplates(db, tenantId, await walletFilter(db, tenantId, query.wallet))
        ).map(templateView),
      }),
    }),
    route({
      method: "GET",
      url: "/templates/:id",
      summary: "Um template",
      tag: "templates",
      access: "tenant",
      params: idParam,
      response: templateSchema,
      errors: [404],
      handler: async ({ tenantId, params }) => {
        const template = await getTemplate(db, tenantId, params.id);
        if (!template) throw templateMissing(params.id);
        return templateView(template);
      },
    }),
    route({
      method: "POST",
      url: "/templates",
      summary: "Cadastra um template",
      description:
        'As regras de "remessa templates add": parâmetros {{1}}, {{2}}… em sequência, uma coluna do mailing em params para cada um, na ordem; um nome por carteira; o padrão (default) é de uma carteira e substitui o anterior.',
      tag: "templates",
      access: "tenant",
      status: 201,
      body: templateCreate,
      response: templateAnswer,
      errors: [422],
      handler: async ({ tenantId, body }) => {
        const added = await addTemplate(db, tenantId, {
          name: body.name,
          language: body.language ?? null,
          body: body.body,
          params: body.params ?? [],
          wallet: body.wallet ?? null,
          isDefault: body.default ?? false,
        });
        return { template: templateView(added.template), replacedDefault: added.replacedDefault };
      },
    }),
    route({
      method: "PATCH",
      url: "/templates/:id",
      summary: "Altera um template",
      description:
        "Só os campos enviados mudam, com as regras do cadastro. Um novo body sem params mantém as colunas guardadas (e precisa combinar com elas).",
      tag: "templates",
      access: "tenant",
      params: idParam,
      body: templateUpdate,
      response: templateAnswer,
      errors: [404, 422],
      handler: async ({ tenantId, params, body }) => {
        const updated = await updateTemplate(db, tenantId, params.id, {
          ...(body.name !== undefined ? { name: body.name } : {}),
          ...(body.language !== undefined ? { language: body.language } : {}),
          ...(body.body !== undefined ? { body: body.body } : {}),
          ...(body.params !== undefined ? { params: body.params } : {}),
          ...(body.wallet !== undefined ? { wallet: body.wallet } : {}),
          ...(body.default !== undefined ? { isDefault: body.default } : {}),
        });
        if (!updated) throw templateMissing(params.id);
        return {
          template: templateView(updated.template),
          replacedDefault: updated.replacedDefault,
        };
      },
    }),
    route({
      method: "DELETE",
      url: "/templates/:id",
      summary: "Remove um template",
      description: "Recusado (409) enquanto uma campanha em andamento o usa.",
      tag: "templates",
      access: "tenant",
      params: idParam,
      response: removed,
      errors: [404, 409],
      handler: async ({ tenantId, params }) => {
        if (!(await getTemplate(db, tenantId, params.id))) throw templateMissing(params.id);
        await removing(
          () => removeTemplate(db, tenantId, params.id),
          () => templateMissing(params.id),
        );
        return { removed: true as const, id: params.id };
      },
    }),

    route({
      method: "GET",
      url: "/email-accounts",
      summary: "Lista as contas de e-mail",
      tag: "contas de e-mail",
      access: "tenant",
      query: walletQuery,
      response: z.object({ items: z.array(accountSchema) }),
      errors: [422],
      handler: async ({ tenantId, query }) => ({
        items: (
          await listEmailAccounts(db, tenantId, await walletFilter(db, tenantId, query.wallet))
        ).map(accountView),
      }),
    }),
    route({
      method: "GET",
      url: "/email-accounts/:id",
      summary: "Uma conta de e-mail",
      tag: "contas de e-mail",
      access: "tenant",
      params: idParam,
      response: accountSchema,
      errors: [404],
      handler: async ({ tenantId, params }) => {
        const account = await getEmailAccount(db, tenantId, params.id);
        if (!account) throw accountMissing(params.id);
        return accountView(account);
      },
    }),
    route({
      method: "POST",
      url: "/email-accounts",
      summary: "Cadastra uma conta de e-mail",
      description:
        'As regras de "remessa email-accounts add": endereço válido e único; a conta ativa é de uma carteira e substitui a anterior; a padrão da plataforma é uma por empresa. A senha SMTP é guardada cifrada e nunca é devolvida.',
      tag: "contas de e-mail",
      access: "tenant",
      status: 201,
      body: accountCreate,
      response: accountAnswer,
      errors: [422],
      handler: async ({ tenantId, body }) => {
        const smtp = smtpFields({ ...body, host: remoteHost(body.host) });
        const provider = body.provider === undefined ? undefined : checkProvider(body.provider);
        const added = await addEmailAccount(db, tenantId, {
          address: body.address,
          displayName: body.displayName ?? null,
          wallet: body.wallet ?? null,
          active: body.active ?? false,
          platformDefault: body.platformDefault ?? false,
          ratePerSecond: body.ratePerSecond ?? null,
          ...(provider !== undefined ? { provider } : {}),
        });
        if (Object.keys(smtp).length === 0) return accountAdded(added);
        // addEmailAccount has its own transaction: an SMTP field refused here undoes the account.
        try {
          const updated = await updateEmailAccount(
            db,
            tenantId,
            added.account.id,
            smtp,
            deps.secretKey,
          );
          if (!updated) throw accountMissing(added.account.id);
          return accountAdded({ ...added, account: updated.account });
        } catch (error) {
          await removeEmailAccount(db, tenantId, added.account.id).catch(() => undefined);
          throw error;
        }
      },
    }),
    route({
      method: "PATCH",
      url: "/email-accounts/:id",
      summary: "Altera uma conta de e-mail",
      description:
        "Só os campos enviados mudam, com as regras do cadastro; password troca a senha guardada (null apaga). Ao mudar de carteira, a conta deixa de ser a ativa, a não ser que active venha true.",
      tag: "contas de e-mail",
      access: "tenant",
      params: idParam,
      body: accountUpdate,
      response: accountAnswer,
      errors: [404, 422],
      handler: async ({ tenantId, params, body }) => {
        const patch: EmailAccountPatch = {
          ...smtpFields({ ...body, host: remoteHost(body.host) }),
          ...(body.address !== undefined ? { address: body.address } : {}),
          ...(body.displayName !== undefined ? { displayName: body.displayName } : {}),
          ...(body.wallet !== undefined ? { wallet: body.wallet } : {}),
          ...(body.active !== undefined ? { active: body.active } : {}),
          ...(body.platformDefault !== undefined ? { platformDefault: body.platformDefault } : {}),
          ...(body.ratePerSecond !== undefined ? { ratePerSecond: body.ratePerSecond } : {}),
          ...(body.provider !== undefined ? { provider: body.provider } : {}),
        };
        const updated = await updateEmailAccount(db, tenantId, params.id, patch, deps.secretKey);
        if (!updated) throw accountMissing(params.id);
        return accountAdded(updated);
      },
    }),
    route({
      method: "DELETE",
      url: "/email-accounts/:id",
      summary: "Remove uma conta de e-mail",
      description: "Recusado (409) enquanto uma campanha em andamento envia por ela.",
      tag: "contas de e-mail",
      access: "tenant",
      params: idParam,
      response: removed,
      errors: [404, 409],
      handler: async ({ tenantId, params }) => {
        if (!(await getEmailAccount(db, tenantId, params.id))) throw accountMissing(params.id);
        await removing(
          () => removeEmailAccount(db, tenantId, params.id),
          () => accountMissing(params.id),
        );
        return { removed: true as const, id: params.id };
      },
    }),
  ];
}
