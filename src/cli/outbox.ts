/**
 * `remessa outbox list`: what the embedded outbox "sent" (no external account):
 * channel, destination, rendered text or template with its parameters, campaign, time.
 */

import { listOutbox, type OutboxEntry } from "../campaigns/overview.js";
import { displayLocal } from "../local-time.js";
import { getTenant } from "../store/tenants.js";
import { DATA_DIR_HELP, DATA_DIR_OPTION, EXIT, parseCommandLine, tenantOption } from "./args.js";
import { withStore } from "./store.js";

const DEFAULT_LIMIT = 50;

const HELP = `Uso:
  remessa outbox list [--campaign ID] [--limit N] [--json]

Mostra as mensagens que a caixa de saída embutida recebeu (o provedor "outbox",
que guarda as mensagens em vez de enviá-las: serve para testar e demonstrar sem
conta de SMS, WhatsApp ou e-mail). Mostra as últimas N (padrão ${DEFAULT_LIMIT}),
da mais antiga para a mais nova; horários no fuso da empresa.
--campaign: só as mensagens de uma campanha (veja "remessa campaigns list").
--json: [{ id, channel, to, text, subject, template, campaignId, messageId, at }]
(template: { name, language, params } numa mensagem WhatsApp com template,
senão null; at em ISO-8601 UTC).
Aceita --tenant ID (padrão: a empresa 1) e:
${DATA_DIR_HELP}`;

const OPTIONS = {
  allowPositionals: true,
  options: {
    ...DATA_DIR_OPTION,
    campaign: { type: "string" },
    limit: { type: "string" },
    json: { type: "boolean" },
    tenant: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
} as const;

const CHANNEL = { sms: "SMS", whatsapp: "WhatsApp", email: "E-mail" } as Record<string, string>;

function content(e: OutboxEntry): string {
  if (e.template) {
    const params = e.template.params.map((p, i) => `{{${i + 1}}}=${p}`).join(", ");
    return `template "${e.template.name}"${params ? ` (${params})` : ""}`;
  }
  const text = (e.text ?? "").replace(/\s+/g, " ").trim();
  return `${e.subject ? `[${e.subject}] ` : ""}${text}`;
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv, OPTIONS, HELP);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  const tenantId = tenantOption(values.tenant);
  if (tenantId === null) return EXIT.usage;
  const [action, ...extra] = positionals;
  if (action !== "list" || extra.length > 0) {
    console.error(
      action
        ? `Ação desconhecida ou argumento a mais: "${positionals.join(" ")}".\n\n${HELP}`
        : HELP,
    );
    return EXIT.usage;
  }
  const positive = (text: string | undefined, option: string): number | null | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < 1 || !Number.isSafeInteger(n)) {
      console.error(`${option} deve ser um número inteiro maior que zero (recebido "${text}").`);
      return null;
    }
    return n;
  };
  const campaignId = positive(values.campaign, "--campaign");
  const limit = positive(values.limit, "--limit");
  if (campaignId === null || limit === null) return EXIT.usage;

  return withStore(tenantId, async (store) => {
    const entries = await listOutbox(store.db, tenantId, {
      limit: limit ?? DEFAULT_LIMIT,
      ...(campaignId === undefined ? {} : { campaignId }),
    });
    if (values.json) {
      console.log(JSON.stringify(entries));
      return EXIT.ok;
    }
    if (entries.length === 0) {
      console.log(
        campaignId === undefined
          ? 'A caixa de saída está vazia. Ela recebe as mensagens das campanhas enviadas pelo provedor "outbox" enquanto o "remessa serve" roda.'
          : `Nenhuma mensagem da campanha ${campaignId} na caixa de saída (ainda).`,
      );
      return EXIT.ok;
    }
    const zone = (await getTenant(store.db, tenantId))?.time_zone ?? "America/Sao_Paulo";
    for (const e of entries) {
      const time = displayLocal(e.at, zone, true);
      const campaign = e.campaignId === null ? "" : `campanha ${e.campaignId}  `;
      console.log(
        `${time}  ${(CHANNEL[e.channel] ?? e.channel).padEnd(8)} ${e.to.padEnd(15)} ${campaign}${content(e)}`,
      );
    }
    return EXIT.ok;
  });
}
