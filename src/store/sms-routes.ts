/**
 * SMS routes (SPEC §8): a `senders` row of kind "sms" (mode long | short)
 * whose provider is "smpp" (or the embedded "outbox"). The SMPP connection
 * settings live in settings_json; the bind password, encrypted, in token_enc.
 * Nothing here prints or returns the password in clear except
 * `smppRouteConfig`, which the channel and `sms-routes test` use to bind.
 */
import type { Kysely } from "kysely";
import { type Database, nowIso } from "./schema.js";
import { decryptSecret, encryptSecret } from "./secrets.js";
import { addSender, getSender, listSenders, type SenderView } from "./senders.js";
import { ValidationError } from "./tenants.js";

export const SMS_ROUTE_PROVIDERS = ["smpp", "outbox"] as const;
export type SmsRouteProvider = (typeof SMS_ROUTE_PROVIDERS)[number];

/** Non-secret SMPP settings of a route (settings_json). */
export interface SmppSettings {
  host: string;
  port: number;
  systemId: string;
  systemType: string;
  /** The route's source address: long code digits, short code, or an alphanumeric name. */
  sourceAddr: string;
  sourceTon: number;
  sourceNpi: number;
  /** submit_sm in flight at once on the bind (the asynchronous window). */
  window: number;
}

export interface SmsRouteInput {
  mode: string;
  route: string;
  name?: string | null;
  wallet?: string | null;
  ratePerSecond?: number | null;
  provider?: string;
  host?: string | null;
  port?: number | null;
  systemId?: string | null;
  systemType?: string | null;
  sourceAddr?: string | null;
  sourceTon?: number | null;
  sourceNpi?: number | null;
  window?: number | null;
  password?: string | null;
}

export interface SmsRouteView extends SenderView {
  settings: SmppSettings | null;
  hasPassword: boolean;
}

export const DEFAULT_SMPP_PORT = 2775;
export const DEFAULT_SMPP_WINDOW = 10;

/** TON/NPI the source address gets when not configured: alphanumeric 5/0, short code 3/0, else 1/1. */
export function defaultSourceTonNpi(mode: string, sourceAddr: string): [number, number] {
  if (!/^\+?\d+$/.test(sourceAddr)) return [5, 0];
  if (mode === "short") return [3, 0];
  return [1, 1];
}

function smallInt(value: number | null | undefined, what: string, min: number, max: number) {
  if (value === null || value === undefined) return null;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(`${what} deve ser um número inteiro de ${min} a ${max}.`);
  }
  return value;
}

/** Checks the SMPP settings of a route (pt-BR ValidationError on the first problem). */
export function checkSmppSettings(mode: string, input: SmsRouteInput): SmppSettings {
  const host = input.host?.trim() ?? "";
  if (!host) throw new ValidationError("Informe o servidor SMPP da operadora: --host ENDEREÇO.");
  if (/\s/.test(host) || host.length > 255) {
    throw new ValidationError(`Servidor SMPP "${host}" inválido.`);
  }
  const port = smallInt(input.port, "A porta SMPP", 1, 65_535) ?? DEFAULT_SMPP_PORT;
  const systemId = input.systemId?.trim() ?? "";
  // SMPP 3.4 §5.2.1: system_id is a C-Octet String of up to 16 octets (with its NUL).
  if (!systemId || systemId.length > 15 || !/^[\x20-\x7e]+$/.test(systemId)) {
    throw new ValidationError(
      "Informe o usuário SMPP (system_id) dado pela operadora: --system-id, até 15 caracteres ASCII.",
    );
  }
  const systemType = input.systemType?.trim() ?? "";
  if (systemType.length > 12 || !/^[\x20-\x7e]*$/.test(systemType)) {
    throw new ValidationError("O system_type deve ter até 12 caracteres ASCII.");
  }
  const sourceAddr = input.sourceAddr?.trim() ?? "";
  if (!sourceAddr || sourceAddr.length > 20 || !/^[\x20-\x7e]+$/.test(sourceAddr)) {
    throw new ValidationError(
      "Informe o remetente (source address) da rota: --source, o número longo, o short code ou um nome de até 20 caracteres.",
    );
  }
  const [ton, npi] = defaultSourceTonNpi(mode, sourceAddr);
  return {
    host,
    port,
    systemId,
    systemType,
    sourceAddr,
    sourceTon: smallInt(input.sourceTon, "O TON do remetente", 0, 6) ?? ton,
    sourceNpi: smallInt(input.sourceNpi, "O NPI do remetente", 0, 18) ?? npi,
    window: smallInt(input.window, "A janela SMPP", 1, 1000) ?? DEFAULT_SMPP_WINDOW,
  };
}

function parseSettings(json: string | null): SmppSettings | null {
  if (!json) return null;
  try {
    const value = JSON.parse(json) as Partial<SmppSettings>;
    if (typeof value.host !== "string" || typeof value.systemId !== "string") return null;
    return {
      host: value.host,
      port: value.port ?? DEFAULT_SMPP_PORT,
      systemId: value.systemId,
      systemType: value.systemType ?? "",
      sourceAddr: value.sourceAddr ?? "",
      sourceTon: value.sourceTon ?? 1,
      sourceNpi: value.sourceNpi ?? 1,
      window: value.window ?? DEFAULT_SMPP_WINDOW,
    };
  } catch {
    return null;
  }
}

function view(sender: SenderView): SmsRouteView {
  return {
    ...sender,
    settings: parseSettings(sender.settings_json),
    hasPassword: sender.token_enc !== null,
  };
}

/**
 * Adds a route. Provider "smpp" (the default when a host is given) needs the
 * SMPP settings and a password; "outbox" needs neither.
 */
export async function addSmsRoute(
  db: Kysely<Database>,
  tenantId: number,
  input: SmsRouteInput,
): Promise<SmsRouteView> {
  const provider = (input.provider ?? (input.host ? "smpp" : "outbox")).trim().toLowerCase();
  if (!(SMS_ROUTE_PROVIDERS as readonly string[]).includes(provider)) {
    throw new ValidationError(
      `Provedor "${input.provider}" desconhecido para SMS: use smpp ou outbox.`,
    );
  }
  const mode = input.mode.trim().toLowerCase();
  let settings: SmppSettings | null = null;
  let tokenEnc: string | null = null;
  if (provider === "smpp") {
    settings = checkSmppSettings(mode, input);
    const password = input.password ?? "";
    if (!password) {
      throw new ValidationError(
        'Informe a senha SMPP (password) pela entrada padrão: echo "$SENHA" | remessa sms-routes add ... --password-stdin.',
      );
    }
    // SMPP 3.4 §5.2.2: password is a C-Octet String of up to 9 octets; SMSCs vary, be lenient.
    if (password.length > 64 || !/^[\x20-\x7e]+$/.test(password)) {
      throw new ValidationError("A senha SMPP deve ter até 64 caracteres ASCII imprimíveis.");
    }
    tokenEnc = encryptSecret(password);
  }
  return db.transaction().execute(async (trx) => {
    const sender = await addSender(trx, tenantId, {
      kind: "sms",
      mode,
      number: input.route,
      name: input.name ?? null,
      wallet: input.wallet ?? null,
      ratePerSecond: input.ratePerSecond ?? null,
      provider,
    });
    if (settings === null) return view(sender);
    await trx
      .updateTable("senders")
      .set({ settings_json: JSON.stringify(settings), token_enc: tokenEnc, updated_at: nowIso() })
      .where("id", "=", sender.id)
      .execute();
    return view({ ...sender, settings_json: JSON.stringify(settings), token_enc: tokenEnc });
  });
}

export async function listSmsRoutes(
  db: Kysely<Database>,
  tenantId: number,
  filter: { walletId?: number } = {},
): Promise<SmsRouteView[]> {
  return (await listSenders(db, tenantId, filter)).filter((s) => s.kind === "sms").map(view);
}

export async function getSmsRoute(
  db: Kysely<Database>,
  tenantId: number,
  id: number,
): Promise<SmsRouteView | null> {
  const sender = await getSender(db, tenantId, id);
  return sender && sender.kind === "sms" ? view(sender) : null;
}

/** What a bind needs: the settings and the decrypted password. */
export interface SmppRouteConfig {
  tenantId: number;
  senderId: number;
  name: string;
  mode: string;
  walletId: number | null;
  settings: SmppSettings;
  password: string;
}

/**
 * The bind configuration of an SMPP route, or a pt-BR reason why there is
 * none (no such route, not SMPP, settings or password missing or unreadable).
 */
export async function smppRouteConfig(
  db: Kysely<Database>,
  tenantId: number,
  senderId: number,
  decrypt: (envelope: string) => string = decryptSecret,
): Promise<SmppRouteConfig | { problem: string }> {
  const route = await getSmsRoute(db, tenantId, senderId);
  if (!route) return { problem: `A rota de SMS ${senderId} não existe.` };
  if (route.provider !== "smpp") {
    return { problem: `A rota de SMS ${senderId} não usa SMPP (provedor ${route.provider}).` };
  }
  if (!route.settings || !route.token_enc) {
    return {
      problem: `A rota de SMS ${senderId} não tem a configuração SMPP completa (servidor, usuário e senha). Cadastre-a de novo com "remessa sms-routes add".`,
    };
  }
  let password: string;
  try {
    password = decrypt(route.token_enc);
  } catch (error) {
    return { problem: (error as Error).message };
  }
  return {
    tenantId,
    senderId,
    name: route.number,
    mode: route.mode,
    walletId: route.wallet_id,
    settings: route.settings,
    password,
  };
}
