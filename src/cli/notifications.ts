/**
 * `remessa notifications set|show|test|log`: a tenant's notification
 * settings (webhook, e-mails, source-failure threshold), a test send and the
 * delivery log. The webhook's signing secret is printed once, when generated.
 */

import { silentLogger } from "../log.js";
import { listDeliveries } from "../notifications/deliveries.js";
import {
  getNotificationSettings,
  type NotificationSettings,
  notifyPolicyFromEnv,
  type SettingsChange,
  saveNotificationSettings,
} from "../notifications/settings.js";
import { NotificationWorker } from "../notifications/worker.js";
import { DATA_DIR_HELP, DATA_DIR_OPTION, EXIT, parseCommandLine, tenantOption } from "./args.js";
import { withStore } from "./store.js";

const HELP = `Uso:
  remessa notifications show [--tenant ID] [--json]
  remessa notifications set [--webhook URL | --no-webhook] [--rotate-secret]
                            [--email E1,E2 | --no-email] [--source-failure-minutes N]
                            [--tenant ID] [--json]
  remessa notifications test [--tenant ID] [--json]
  remessa notifications log [--limit N] [--tenant ID] [--json]

Avisos de uma empresa quando um arquivo é aceito, descartado ou falha, quando uma
campanha termina ou expira e quando uma origem não consegue ser lida há mais de
--source-failure-minutes (padrão 30; um aviso por período de falha).

  --webhook URL           recebe cada evento em JSON (POST), assinado com HMAC-SHA256
                          (cabeçalhos X-Remessa-Timestamp e X-Remessa-Signature; veja
                          docs/notificacoes.md). Só https://, em endereço público.
  --rotate-secret         gera um segredo de assinatura novo
  --email E1,E2           endereços que recebem os avisos por e-mail
  --no-webhook, --no-email  remove o webhook (e o segredo) ou os e-mails

O segredo de assinatura é mostrado UMA única vez, quando é gerado: guarde-o.
"test" envia um evento de teste a cada destino agora e mostra o resultado;
"log" mostra as últimas tentativas de entrega (padrão 20).
Sem --tenant, usa a empresa padrão (1). Todas aceitam:
${DATA_DIR_HELP}`;

const OPTIONS = {
  allowPositionals: true,
  options: {
    ...DATA_DIR_OPTION,
    webhook: { type: "string" },
    "no-webhook": { type: "boolean" },
    "rotate-secret": { type: "boolean" },
    email: { type: "string" },
    "no-email": { type: "boolean" },
    "source-failure-minutes": { type: "string" },
    limit: { type: "string" },
    tenant: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  },
} as const;

function describe(s: NotificationSettings): string {
  return [
    `Webhook: ${s.webhookUrl ?? "nenhum"}${s.webhookUrl ? (s.hasWebhookSecret ? " (assinado; segredo guardado)" : " (sem segredo)") : ""}`,
    `E-mails: ${s.emails.length > 0 ? s.emails.join(", ") : "nenhum"}`,
    `Aviso de origem sem leitura após: ${s.sourceFailureMinutes} min`,
  ].join("\n");
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv, OPTIONS, HELP);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  const [action, ...extra] = positionals;
  const tenantId = tenantOption(values.tenant);
  if (tenantId === null) return EXIT.usage;
  if (!action || !["set", "show", "test", "log"].includes(action) || extra.length > 0) {
    console.error(action ? `Ação desconhecida ou argumentos a mais.\n\n${HELP}` : HELP);
    return EXIT.usage;
  }
  const change: SettingsChange = {};
  if (action === "set") {
    if (values.webhook !== undefined && values["no-webhook"]) {
      console.error("Use --webhook URL ou --no-webhook, não os dois.");
      return EXIT.usage;
    }
    if (values.email !== undefined && values["no-email"]) {
      console.error("Use --email ou --no-email, não os dois.");
      return EXIT.usage;
    }
    if (values.webhook !== undefined) change.webhookUrl = values.webhook;
    if (values["no-webhook"]) change.webhookUrl = null;
    if (values["rotate-secret"]) change.rotateSecret = true;
    if (values.email !== undefined) {
      change.emails = values.email
        .split(",")
        .map((e) => e.trim())
        .filter((e) => e !== "");
    }
    if (values["no-email"]) change.emails = [];
    const minutes = values["source-failure-minutes"];
    if (minutes !== undefined) {
      if (!/^[1-9][0-9]*$/.test(minutes)) {
        console.error(`--source-failure-minutes "${minutes}" inválido: informe minutos (ex.: 30).`);
        return EXIT.usage;
      }
      change.sourceFailureMinutes = Number(minutes);
    }
    if (Object.keys(change).length === 0) {
      console.error(`Nada a alterar: informe ao menos uma opção.\n\n${HELP}`);
      return EXIT.usage;
    }
  }
  let limit = 20;
  if (values.limit !== undefined) {
    if (!/^[1-9][0-9]*$/.test(values.limit) || Number(values.limit) > 1000) {
      console.error(`--limit "${values.limit}" inválido: de 1 a 1000.`);
      return EXIT.usage;
    }
    limit = Number(values.limit);
  }
  const policy = notifyPolicyFromEnv();
  return withStore(tenantId, async (store) => {
    if (action === "show") {
      const settings = await getNotificationSettings(store.db, tenantId);
      console.log(values.json ? JSON.stringify(settings) : describe(settings));
      return EXIT.ok;
    }
    if (action === "set") {
      const saved = await saveNotificationSettings(store.db, tenantId, change, policy);
      if (values.json) {
        console.log(JSON.stringify({ ...saved.settings, webhookSecret: saved.webhookSecret }));
        return EXIT.ok;
      }
      console.log(`Notificações da empresa ${tenantId} salvas.\n${describe(saved.settings)}`);
      if (saved.webhookSecret) {
        console.log(
          `\nSegredo de assinatura do webhook:\n\n  ${saved.webhookSecret}\n\nGuarde-o agora: ele não será mostrado de novo. Use-o para conferir o cabeçalho X-Remessa-Signature (docs/notificacoes.md).`,
        );
      }
      return EXIT.ok;
    }
    if (action === "test") {
      const worker = new NotificationWorker({ store, log: silentLogger, policy });
      const outcomes = await worker.sendTest(tenantId);
      if (values.json) {
        console.log(
          JSON.stringify(
            outcomes.map((o) => ({
              notificationId: o.notificationId,
              target: o.target,
              ok: o.ok,
              statusCode: o.statusCode,
              error: o.error,
            })),
          ),
        );
      } else if (outcomes.length === 0) {
        console.log(
          'Nenhum destino configurado: cadastre um webhook ou e-mails com "remessa notifications set".',
        );
      } else {
        for (const o of outcomes) {
          const target = o.target === "webhook" ? "Webhook" : "E-mail";
          const code = o.statusCode !== null ? ` (${o.statusCode})` : "";
          console.log(
            o.ok ? `${target}: entregue${code}.` : `${target}: falhou${code}: ${o.error}`,
          );
        }
      }
      return outcomes.every((o) => o.ok) ? EXIT.ok : EXIT.refused;
    }
    const entries = await listDeliveries(store.db, tenantId, { limit });
    if (values.json) console.log(JSON.stringify(entries));
    else if (entries.length === 0) console.log("Nenhuma entrega registrada.");
    else {
      for (const e of entries) {
        const code = e.statusCode !== null ? ` ${e.statusCode}` : "";
        const state =
          e.notificationStatus === "pending"
            ? `nova tentativa em ${e.nextAttemptAt}`
            : e.notificationStatus === "failed"
              ? "desistiu"
              : "entregue";
        console.log(
          `${e.at}  ${e.event.padEnd(17)} ${e.target.padEnd(7)} tentativa ${e.attempt}: ${e.ok ? "ok" : "falhou"}${code}${e.error ? ` (${e.error})` : ""} [${state}]`,
        );
      }
    }
    return EXIT.ok;
  });
}
