/**
 * `remessa senders add|list|remove`: the WhatsApp numbers and SMS routes a
 * campaign sends from (`_whatsapp…`, `_nw`, `_smslong`, `_smsshort`).
 */
import { DEFAULT_RATE_PER_SECOND } from "../campaigns/rates.js";
import {
  addSender,
  getSender,
  listSenders,
  removeSender,
  type SenderView,
} from "../store/senders.js";
import { DATA_DIR_HELP, DATA_DIR_OPTION, EXIT, parseCommandLine } from "./args.js";
import { listSettings, removeSetting, settingsCommand } from "./settings-args.js";
import { withStore } from "./store.js";

const HELP = `Uso:
  remessa senders add --kind whatsapp --mode exclusivo|compartilhado|prospect --number NÚMERO
                      [--name NOME] [--wallet CÓDIGO] [--rate N] [--json]
  remessa senders add --kind sms --mode long|short --route ROTA
                      [--name NOME] [--wallet CÓDIGO] [--rate N] [--json]
  remessa senders list [--wallet CÓDIGO] [--json]
  remessa senders remove ID

Remetentes são os números WhatsApp e as rotas de SMS das campanhas:
  whatsapp exclusivo      número da carteira (_whatsappexclusivo; _nw escolhe entre
                          vários; sem _nw, a carteira precisa ter um só)
  whatsapp compartilhado  número compartilhado (_whatsappcompartilhado)
  whatsapp prospect       número do pool de prospecção (_whatsappprospect)
  sms long | short        rota long code (_smslong) ou short code (_smsshort)
--number: o número WhatsApp, de 10 a 13 dígitos (DDD + número, com ou sem 55;
pontuação é ignorada), igual ao que vai no _nw.
--wallet: a carteira dona do remetente (sem ela, serve a todas as carteiras).
--rate: mensagens por segundo (padrão: WhatsApp ${DEFAULT_RATE_PER_SECOND.whatsapp}, SMS ${DEFAULT_RATE_PER_SECOND.sms}).
Por enquanto todo remetente envia pela caixa de saída embutida (provedor
"outbox"; veja "remessa outbox list"). Um remetente usado por uma campanha em
andamento não é removido.
--json: saída em JSON ({ id, kind, mode, name, number, wallet, ratePerSecond,
provider, enabled, createdAt }; list devolve uma lista).
Todas aceitam --tenant ID (padrão: a empresa 1) e:
${DATA_DIR_HELP}`;

const OPTIONS = {
  allowPositionals: true,
  options: {
    ...DATA_DIR_OPTION,
    kind: { type: "string" },
    mode: { type: "string" },
    number: { type: "string" },
    route: { type: "string" },
    name: { type: "string" },
    wallet: { type: "string" },
    rate: { type: "string" },
    json: { type: "boolean" },
    tenant: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
} as const;

export function senderJson(s: SenderView) {
  return {
    id: s.id,
    kind: s.kind,
    mode: s.mode,
    name: s.name,
    number: s.number,
    wallet: s.wallet_code,
    ratePerSecond: s.rate_per_second,
    provider: s.provider,
    enabled: s.enabled === 1,
    createdAt: s.created_at,
  };
}

const MODE_LABEL: Record<string, string> = {
  exclusivo: "WhatsApp exclusivo",
  compartilhado: "WhatsApp compartilhado",
  prospect: "WhatsApp prospecção",
  long: "SMS long code",
  short: "SMS short code",
};

function describe(s: SenderView): string {
  const label = MODE_LABEL[s.mode] ?? `${s.kind} ${s.mode}`;
  const what = s.kind === "sms" ? `rota ${s.number}` : s.number;
  const name = s.name !== s.number ? ` "${s.name}"` : "";
  const wallet = s.wallet_code ? `carteira ${s.wallet_code}` : "todas as carteiras";
  const rate = s.rate_per_second
    ? `${s.rate_per_second.toLocaleString("pt-BR")} msg/s`
    : `${DEFAULT_RATE_PER_SECOND[s.kind as "sms" | "whatsapp"] ?? "?"} msg/s (padrão)`;
  return `${label}: ${what}${name} — ${wallet}, ${rate}, provedor ${s.provider}${s.enabled ? "" : " (desativado)"}`;
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv, OPTIONS, HELP);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  const command = settingsCommand(positionals, values, "remessa senders list", HELP);
  if (typeof command === "number") return command;
  const { tenantId, action, id, rate } = command;
  let number = "";
  if (action === "add") {
    const kind = values.kind?.trim().toLowerCase();
    if (!kind || !values.mode) {
      console.error(`Informe o tipo e o modo: --kind whatsapp|sms --mode MODO.\n\n${HELP}`);
      return EXIT.usage;
    }
    if (kind === "sms") {
      if (values.number !== undefined || values.route === undefined) {
        console.error(
          'Para SMS, informe a rota com --route ROTA (por exemplo --route "rota-principal"), não --number.',
        );
        return EXIT.usage;
      }
      number = values.route;
    } else {
      if (values.route !== undefined || values.number === undefined) {
        console.error(
          "Para WhatsApp, informe o número com --number (10 a 13 dígitos), não --route.",
        );
        return EXIT.usage;
      }
      number = values.number;
    }
  }

  return withStore(tenantId, async (store) => {
    const { db } = store;
    if (action === "add") {
      const sender = await addSender(db, tenantId, {
        kind: values.kind ?? "",
        mode: values.mode ?? "",
        number,
        name: values.name ?? null,
        wallet: values.wallet ?? null,
        ratePerSecond: rate,
      });
      if (values.json) console.log(JSON.stringify(senderJson(sender)));
      else console.log(`Remetente ${sender.id} cadastrado: ${describe(sender)}.`);
      return EXIT.ok;
    }
    if (action === "remove") {
      return removeSetting(
        id as number,
        (n) => getSender(db, tenantId, n),
        (n) => removeSender(db, tenantId, n),
        {
          missing: `O remetente ${id} não existe. Veja os remetentes com "remessa senders list".`,
          removed: (s) => `Remetente ${s.id} removido (${describe(s)}).`,
        },
      );
    }
    return listSettings(db, tenantId, values, (filter) => listSenders(db, tenantId, filter), {
      json: senderJson,
      empty: 'Nenhum remetente cadastrado. Cadastre um com "remessa senders add" (veja --help).',
      print: (s) => console.log(`${String(s.id).padStart(4)}  ${describe(s)}`),
    });
  });
}
