/**
 * `remessa campaigns list|show|pause|resume|cancel`: the campaigns the file
 * names ordered, their progress by message state and wave, and the operator's
 * control over them.
 */

import {
  CAMPAIGN_STATE_LABEL,
  cancelCampaign,
  pauseCampaign,
  resumeCampaign,
} from "../campaigns/control.js";
import {
  type CampaignExtras,
  type CampaignSummary,
  listCampaigns,
  MESSAGE_STATES,
  type StateCounts,
  showCampaign,
} from "../campaigns/overview.js";
import { displayLocal } from "../local-time.js";
import { plural } from "../plural.js";
import { getTenant } from "../store/tenants.js";
import { DATA_DIR_HELP, DATA_DIR_OPTION, EXIT, parseCommandLine, tenantOption } from "./args.js";
import { withStore } from "./store.js";

const HELP = `Uso:
  remessa campaigns list [--mailing ID] [--json]
  remessa campaigns show ID [--json]
  remessa campaigns pause ID
  remessa campaigns resume ID
  remessa campaigns cancel ID

Cada canal pedido no nome do arquivo (_smslong, _whatsapp…, _email) vira uma
campanha, criada na importação. Situações: agendada, em envio, pausada,
concluída, cancelada, expirada.
pause: para de enviar (só agendada ou em envio); mensagens já saindo terminam.
resume: retoma uma campanha pausada; nada é enviado duas vezes.
cancel: as mensagens pendentes ficam como puladas (CAMPANHA_CANCELADA) e a
campanha termina; as que já estavam saindo terminam.
Datas no fuso da empresa.
--json: list devolve [{ id, mailingId, channel, status, audience, counts }]
(counts: mensagens por situação: pending, sending, sent, delivered, read,
failed, skipped, expired); show devolve o mesmo objeto com
waves: [{ index, plannedAt, startedAt, size, counts }] e forecastEnd
(datas ISO-8601 em UTC).
Todas aceitam --tenant ID (padrão: a empresa 1) e:
${DATA_DIR_HELP}`;

const OPTIONS = {
  allowPositionals: true,
  options: {
    ...DATA_DIR_OPTION,
    mailing: { type: "string" },
    json: { type: "boolean" },
    tenant: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
} as const;

const ACTIONS = ["list", "show", "pause", "resume", "cancel"];

const CHANNEL_LABEL: Record<string, string> = {
  "sms:long": "SMS long code",
  "sms:short": "SMS short code",
  "whatsapp:exclusivo": "WhatsApp exclusivo",
  "whatsapp:compartilhado": "WhatsApp compartilhado",
  "whatsapp:prospect": "WhatsApp prospecção",
  email: "E-mail",
};

const STATE_WORDS: Record<string, [string, string]> = {
  pending: ["pendente", "pendentes"],
  sending: ["enviando", "enviando"],
  sent: ["enviada", "enviadas"],
  delivered: ["entregue", "entregues"],
  read: ["lida", "lidas"],
  failed: ["com falha", "com falha"],
  skipped: ["pulada", "puladas"],
  expired: ["expirada", "expiradas"],
};

function channelLabel(channel: string, mode: string | null): string {
  return (
    CHANNEL_LABEL[mode ? `${channel}:${mode}` : channel] ?? `${channel}${mode ? ` ${mode}` : ""}`
  );
}

/** "3 enviadas, 2 pendentes" (states with messages only), or "nenhuma mensagem". */
export function describeCounts(counts: StateCounts): string {
  const parts = MESSAGE_STATES.filter((s) => counts[s] > 0).map((s) => {
    const [one, many] = STATE_WORDS[s] ?? [s, s];
    return plural(counts[s], one, many);
  });
  return parts.length > 0 ? parts.join(", ") : "nenhuma mensagem";
}

function describeReasons(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([reason, n]) => `${reason} ${n.toLocaleString("pt-BR")}`)
    .join(", ");
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv, OPTIONS, HELP);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  const tenantId = tenantOption(values.tenant);
  if (tenantId === null) return EXIT.usage;
  const [action, idText, ...extra] = positionals;
  if (!action) {
    console.error(HELP);
    return EXIT.usage;
  }
  if (!ACTIONS.includes(action)) {
    console.error(
      `Ação desconhecida: "${action}". Use list, show, pause, resume ou cancel.\n\n${HELP}`,
    );
    return EXIT.usage;
  }
  if (extra.length > 0 || (action === "list" && idText !== undefined)) {
    console.error(
      `Argumento inesperado: "${[idText, ...extra].filter(Boolean).join(" ")}".\n\n${HELP}`,
    );
    return EXIT.usage;
  }
  let id = 0;
  if (action !== "list") {
    id = Number(idText);
    if (idText === undefined || !/^\d+$/.test(idText) || id < 1 || !Number.isSafeInteger(id)) {
      console.error(`Informe o número da campanha (veja "remessa campaigns list").\n\n${HELP}`);
      return EXIT.usage;
    }
  }
  let mailingId: number | undefined;
  if (values.mailing !== undefined) {
    mailingId = Number(values.mailing);
    if (!/^\d+$/.test(values.mailing) || !Number.isSafeInteger(mailingId)) {
      console.error("--mailing deve ser o número do mailing (por exemplo --mailing 12).");
      return EXIT.usage;
    }
  }

  return withStore(tenantId, async (store) => {
    const { db } = store;
    const zone = (await getTenant(db, tenantId))?.time_zone ?? "America/Sao_Paulo";
    const when = (iso: string | null): string => (iso ? displayLocal(iso, zone, true) : "—");

    if (action === "pause") {
      const r = await pauseCampaign(db, tenantId, id);
      console.log(
        `Campanha ${id} pausada (estava ${CAMPAIGN_STATE_LABEL[r.from]}). Nenhuma mensagem nova sai até "remessa campaigns resume ${id}"; as que já estavam saindo terminam.`,
      );
      return EXIT.ok;
    }
    if (action === "resume") {
      const r = await resumeCampaign(db, tenantId, id);
      console.log(
        `Campanha ${id} retomada: ${r.to === "running" ? "o envio continua de onde parou" : "segue agendada, o envio começa no horário previsto"}. Nada é enviado duas vezes.`,
      );
      return EXIT.ok;
    }
    if (action === "cancel") {
      const r = await cancelCampaign(db, tenantId, id);
      const inFlight =
        r.inFlight > 0
          ? ` ${plural(r.inFlight, "mensagem que já estava saindo termina", "mensagens que já estavam saindo terminam")} normalmente.`
          : "";
      console.log(
        `Campanha ${id} cancelada: ${plural(r.skipped, "mensagem pendente não será enviada", "mensagens pendentes não serão enviadas")} (CAMPANHA_CANCELADA).${inFlight}`,
      );
      return EXIT.ok;
    }
    if (action === "show") {
      const shown = await showCampaign(db, tenantId, id);
      if (!shown) {
        console.error(
          `A campanha ${id} não existe. Veja as campanhas com "remessa campaigns list".`,
        );
        return EXIT.refused;
      }
      const { detail, extras } = shown;
      if (values.json) {
        console.log(JSON.stringify(detail));
        return EXIT.ok;
      }
      console.log(showText(detail, extras, when));
      console.log(`Previsão de término: ${when(detail.forecastEnd)}`);
      if (detail.waves.length > 0) {
        console.log("Ondas:");
        for (const w of detail.waves) {
          console.log(
            `  ${String(w.index + 1).padStart(3)}  prevista ${when(w.plannedAt)}  ${w.startedAt ? `iniciada ${when(w.startedAt)}` : "não iniciada"}  ${plural(w.size, "mensagem", "mensagens")}: ${describeCounts(w.counts)}`,
          );
        }
      }
      return EXIT.ok;
    }
    const campaigns = await listCampaigns(
      db,
      tenantId,
      mailingId === undefined ? {} : { mailingId },
    );
    if (values.json) {
      console.log(JSON.stringify(campaigns.map((c) => c.summary)));
    } else if (campaigns.length === 0) {
      console.log(
        'Nenhuma campanha ainda. Uma campanha nasce ao importar um arquivo com canal no nome (por exemplo _smslong); experimente "remessa demo".',
      );
    } else {
      for (const { summary: s, extras } of campaigns) {
        const state = CAMPAIGN_STATE_LABEL[s.status] ?? s.status;
        console.log(
          `${String(s.id).padStart(4)}  ${channelLabel(s.channel, extras.mode).padEnd(22)} ${state.padEnd(10)} início ${when(extras.startAt)}  ${plural(s.audience, "pessoa", "pessoas")}: ${describeCounts(s.counts)}${extras.mailingFile ? `  (${extras.mailingFile})` : ""}`,
        );
      }
    }
    return EXIT.ok;
  });
}

function showText(
  detail: CampaignSummary,
  extras: CampaignExtras,
  when: (iso: string | null) => string,
): string {
  const { id, status, audience, counts } = detail;
  const lines = [
    `Campanha ${id} — ${channelLabel(detail.channel, extras.mode)}, ${CAMPAIGN_STATE_LABEL[status] ?? status}`,
    `Mailing: ${extras.mailingFile ?? "—"}${extras.wallet ? ` (carteira ${extras.wallet})` : ""}`,
    `Início: ${when(extras.startAt)}   Prazo (_LE): ${when(extras.deadlineAt)}${extras.endedAt ? `   Terminou: ${when(extras.endedAt)}` : ""}`,
    `Público: ${plural(audience, "pessoa", "pessoas")}${Object.keys(extras.excluded).length > 0 ? ` (fora do público: ${describeReasons(extras.excluded)})` : ""}`,
    `Mensagens: ${describeCounts(counts)}`,
  ];
  if (Object.keys(extras.skipReasons).length > 0) {
    lines.push(`Puladas por motivo: ${describeReasons(extras.skipReasons)}`);
  }
  if (extras.forecastLate > 0 && !extras.endedAt) {
    lines.push(
      `Atenção: ${plural(extras.forecastLate, "mensagem prevista", "mensagens previstas")} para depois do prazo.`,
    );
  }
  return lines.join("\n");
}
