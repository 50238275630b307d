/**
 * `remessa senders add|list|remove|test`: the WhatsApp numbers and SMS routes
 * a campaign sends from (`_whatsapp…`, `_nw`, `_smslong`, `_smsshort`). A
 * WhatsApp number sends through the Cloud API with `--provider cloudapi`:
 * its access token is read from standard input (`--token-stdin`), stored
 * encrypted and never printed; `test ID` looks the number up on the Cloud API.
 */
import { DEFAULT_RATE_PER_SECOND } from "../campaigns/rates.js";
import { cloudApiSenderFrom, probeCloudApi, tierFromMeta } from "../channels/cloud-api.js";
import {
  addSender,
  getSender,
  listSenders,
  parseMessagingTier,
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
  remessa senders add --kind whatsapp ... --provider cloudapi --phone-number-id ID --token-stdin
                      [--tier 250|1k|10k|100k|ilimitado] [--base-url URL] [--api-version v21.0]
                      [--business-account ID]
  remessa senders list [--wallet CÓDIGO] [--json]
  remessa senders remove ID
  remessa senders test ID [--json]

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
--provider: quem envia. Padrão "outbox", a caixa de saída embutida (veja
"remessa outbox list"); "cloudapi" envia pelo WhatsApp Cloud API da Meta:
  --phone-number-id  identificador do número (WhatsApp Manager > Números de telefone)
  --token-stdin      o token de acesso é lido da entrada padrão, guardado cifrado
                     e nunca mostrado: echo "$TOKEN" | remessa senders add ... --token-stdin
  --tier             nível de mensagens do número (pessoas diferentes por 24 h):
                     250, 1k, 10k, 100k ou ilimitado (padrão); o remessa não passa dele
  --business-account identificador da conta do WhatsApp Business (WABA; WhatsApp
                     Manager > Visão geral da conta): "remessa templates test" lê os
                     templates aprovados dessa conta
  --base-url, --api-version  padrão REMESSA_WHATSAPP_BASE_URL (https://graph.facebook.com)
                     e REMESSA_WHATSAPP_API_VERSION (v21.0)
test ID: consulta o número na Cloud API com o token cadastrado e diz o que falhou.
Um remetente usado por uma campanha em andamento não é removido.
--json: saída em JSON ({ id, kind, mode, name, number, wallet, ratePerSecond,
provider, messagingTier, phoneNumberId, enabled, createdAt }; list devolve uma lista;
o token nunca aparece).
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
    provider: { type: "string" },
    "phone-number-id": { type: "string" },
    "token-stdin": { type: "boolean" },
    tier: { type: "string" },
    "base-url": { type: "string" },
    "api-version": { type: "string" },
    "business-account": { type: "string" },
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
    messagingTier: s.messaging_tier,
    phoneNumberId: s.phone_number_id,
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
  const tier =
    s.messaging_tier !== null
      ? `, nível ${s.messaging_tier.toLocaleString("pt-BR")} pessoas/24 h`
      : "";
  const cloud = s.phone_number_id ? ` (número ${s.phone_number_id} na Cloud API)` : "";
  return `${label}: ${what}${name} — ${wallet}, ${rate}${tier}, provedor ${s.provider}${cloud}${s.enabled ? "" : " (desativado)"}`;
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv, OPTIONS, HELP);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  const command = settingsCommand(positionals, values, "remessa senders list", HELP, [
    "add",
    "list",
    "remove",
    "test",
  ]);
  if (typeof command === "number") return command;
  const { tenantId, action, id, rate } = command;
  let number = "";
  let tier: number | null = null;
  let token: string | null = null;
  const provider = values.provider?.trim().toLowerCase() || "outbox";
  if (action === "add") {
    if (provider !== "outbox" && provider !== "cloudapi") {
      console.error(
        `Provedor "${values.provider}" desconhecido para remetentes: use outbox ou cloudapi.`,
      );
      return EXIT.usage;
    }
    try {
      tier = values.tier === undefined ? null : parseMessagingTier(values.tier);
    } catch (error) {
      console.error((error as Error).message);
      return EXIT.usage;
    }
    if (provider === "cloudapi") {
      if (!values["token-stdin"]) {
        console.error(
          'Informe o token de acesso da Cloud API pela entrada padrão com --token-stdin (echo "$TOKEN" | remessa senders add ... --token-stdin).',
        );
        return EXIT.usage;
      }
      token = await readStdin();
    } else if (values["phone-number-id"] !== undefined || values["token-stdin"]) {
      console.error("--phone-number-id e --token-stdin só valem com --provider cloudapi.");
      return EXIT.usage;
    }
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
        provider,
        messagingTier: tier,
        phoneNumberId: values["phone-number-id"] ?? null,
        token,
        baseUrl: values["base-url"] ?? null,
        apiVersion: values["api-version"] ?? null,
        businessAccountId: values["business-account"] ?? null,
      });
      if (values.json) console.log(JSON.stringify(senderJson(sender)));
      else console.log(`Remetente ${sender.id} cadastrado: ${describe(sender)}.`);
      return EXIT.ok;
    }
    if (action === "test") {
      return testSender(db, tenantId, id as number, values.json === true);
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

/** The whole of stdin, without the final line break `echo` adds. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

/** `senders test ID`: one real round trip to the sender's provider, with a pt-BR verdict. */
async function testSender(
  db: Parameters<typeof getSender>[0],
  tenantId: number,
  id: number,
  json: boolean,
): Promise<number> {
  const sender = await getSender(db, tenantId, id);
  if (!sender) {
    console.error(`O remetente ${id} não existe. Veja os remetentes com "remessa senders list".`);
    return EXIT.refused;
  }
  if (sender.provider !== "cloudapi") {
    const message = `O remetente ${id} usa o provedor ${sender.provider}: não há conexão a testar${sender.provider === "outbox" ? " (as mensagens ficam na caixa de saída embutida)" : ""}.`;
    if (json) console.log(JSON.stringify({ id, ok: true, provider: sender.provider, message }));
    else console.log(message);
    return EXIT.ok;
  }
  const settings = cloudApiSenderFrom(sender);
  if (typeof settings === "string") {
    if (json)
      console.log(JSON.stringify({ id, ok: false, provider: "cloudapi", message: settings }));
    else console.error(settings);
    return EXIT.refused;
  }
  const probe = await probeCloudApi(settings);
  let message = probe.message;
  if (probe.ok && probe.number) {
    const metaTier = tierFromMeta(probe.number.messagingLimitTier);
    if (metaTier !== undefined && metaTier !== sender.messaging_tier) {
      const shown = (n: number | null) => (n === null ? "ilimitado" : n.toLocaleString("pt-BR"));
      message += ` Atenção: a Meta informa o nível ${shown(metaTier)}, mas o remetente está cadastrado com ${shown(sender.messaging_tier)}; cadastre-o de novo com --tier.`;
    }
  }
  if (json) {
    console.log(
      JSON.stringify({
        id,
        ok: probe.ok,
        provider: "cloudapi",
        message,
        number: probe.number ?? null,
      }),
    );
  } else if (probe.ok) console.log(`Remetente ${id}: ${message}`);
  else console.error(`Remetente ${id}: ${message}`);
  return probe.ok ? EXIT.ok : EXIT.refused;
}
