/**
 * `remessa interactions add`: records an inbound contact (a reply, an SMS MO),
 * as a channel would, so `_x N` skips the person for N hours. For operators
 * (a customer called in) and tests.
 */

import { DateTime } from "luxon";
import type { ChannelKind } from "../campaigns/channel.js";
import { recordInbound } from "../campaigns/interactions.js";
import { displayLocal } from "../local-time.js";
import { getTenant, ValidationError } from "../store/tenants.js";
import { DATA_DIR_HELP, DATA_DIR_OPTION, EXIT, parseCommandLine, tenantOption } from "./args.js";
import { withStore } from "./store.js";

const HELP = `Uso:
  remessa interactions add --phone TELEFONE [--channel whatsapp|sms] [--at DATA] [--json]
  remessa interactions add --email E-MAIL [--at DATA] [--json]

Registra um contato recebido da pessoa (resposta no WhatsApp, SMS recebido,
e-mail). Numa campanha com _x N (por exemplo _x24), quem teve contato nas
últimas N horas não recebe a mensagem (fica como pulada, CONTATO_RECENTE).
--phone: o telefone em qualquer formato usual ("+55 (11) 98765-4321"); o canal
padrão é whatsapp. --email: o endereço (canal email).
--at: quando o contato aconteceu, em ISO-8601: 2026-12-07T14:30 (fuso da
empresa) ou com fuso (2026-12-07T17:30:00Z). Padrão: agora.
--json: { id, channel, address, personId, receivedAt }.
Aceita --tenant ID (padrão: a empresa 1) e:
${DATA_DIR_HELP}`;

const OPTIONS = {
  allowPositionals: true,
  options: {
    ...DATA_DIR_OPTION,
    phone: { type: "string" },
    email: { type: "string" },
    channel: { type: "string" },
    at: { type: "string" },
    json: { type: "boolean" },
    tenant: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
} as const;

/** `--at` as UTC ISO: with a zone as given, without one in the tenant's zone. */
export function parseAt(text: string, zone: string): string {
  const hasZone = /(Z|[+-]\d{2}(:?\d{2})?)$/i.test(text.trim());
  const parsed = DateTime.fromISO(text.trim(), hasZone ? { setZone: true } : { zone });
  if (!parsed.isValid) {
    throw new ValidationError(
      `--at "${text}" não é uma data válida: use AAAA-MM-DDTHH:MM (fuso da empresa) ou com fuso, por exemplo 2026-12-07T14:30 ou 2026-12-07T17:30:00Z.`,
    );
  }
  return parsed.toUTC().toISO() as string;
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv, OPTIONS, HELP);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  const tenantId = tenantOption(values.tenant);
  if (tenantId === null) return EXIT.usage;
  const [action, ...extra] = positionals;
  if (action !== "add" || extra.length > 0) {
    console.error(
      action
        ? `Ação desconhecida ou argumento a mais: "${positionals.join(" ")}".\n\n${HELP}`
        : HELP,
    );
    return EXIT.usage;
  }
  if ((values.phone === undefined) === (values.email === undefined)) {
    console.error(`Informe --phone TELEFONE ou --email E-MAIL (um dos dois).\n\n${HELP}`);
    return EXIT.usage;
  }
  const channel = (values.channel?.trim().toLowerCase() ??
    (values.email !== undefined ? "email" : "whatsapp")) as ChannelKind;
  if (values.email !== undefined && channel !== "email") {
    console.error("Um e-mail é do canal email: retire --channel ou use --channel email.");
    return EXIT.usage;
  }
  if (values.phone !== undefined && channel !== "whatsapp" && channel !== "sms") {
    console.error(`Um telefone é do canal whatsapp ou sms (recebido --channel ${values.channel}).`);
    return EXIT.usage;
  }
  return withStore(tenantId, async (store) => {
    const zone = (await getTenant(store.db, tenantId))?.time_zone ?? "America/Sao_Paulo";
    const recorded = await recordInbound(store.db, {
      tenantId,
      channel,
      address: values.phone ?? values.email ?? "",
      ...(values.at === undefined ? {} : { at: parseAt(values.at, zone) }),
    });
    if (values.json) {
      console.log(
        JSON.stringify({
          id: recorded.id,
          channel,
          address: recorded.address,
          personId: recorded.personId,
          receivedAt: recorded.receivedAt,
        }),
      );
      return EXIT.ok;
    }
    console.log(
      `Contato registrado: ${recorded.address} (${channel}) em ${displayLocal(recorded.receivedAt, zone, true)}${recorded.personId === null ? ", sem pessoa cadastrada com esse contato" : `, pessoa ${recorded.personId}`}. Campanhas com _x deixam de enviar para esse contato pelas horas indicadas.`,
    );
    return EXIT.ok;
  });
}
