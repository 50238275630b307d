import { displayDate, displayDateTime } from "./datetime.js";
import type { Mailing } from "./types.js";

const WHATSAPP_MODE = {
  exclusivo: "número exclusivo",
  compartilhado: "número compartilhado",
  prospect: "WhatsApp Prospect (remetente escolhido automaticamente)",
} as const;

/** What a mailing's name asks remessa to do, one pt-BR sentence per line. */
export function describeMailing(m: Mailing): string[] {
  const lines: string[] = [];
  lines.push(
    `Data ${displayDate(m.date)}, sequência ${m.sequence} do dia, arquivo ${m.extension.toUpperCase()}.`,
  );
  if (m.wallet !== null) {
    lines.push(
      `Carteira ${m.wallet} (${m.walletFrom === "name" ? "informada no nome" : "pela pasta onde o arquivo está"}).`,
    );
  }
  lines.push(`Descrição: "${m.description}".`);
  lines.push(
    m.sanitize
      ? "Higienização ligada: DDD, CPF/CNPJ e e-mails verificados; duplicados e contatos na lista de restrição removidos."
      : "Sem higienização (acrescente _h para higienizar).",
  );
  if (m.replaceTags)
    lines.push("As tags de cada pessoa do arquivo serão substituídas pelas do arquivo.");
  if (m.removeOtherWallets) {
    lines.push("As pessoas do arquivo serão retiradas de todas as outras carteiras.");
  }

  const campaigns: string[] = [];
  if (m.sms) campaigns.push(`SMS ${m.sms === "long" ? "long code" : "short code"}`);
  if (m.whatsapp) {
    let text = `WhatsApp Oficial, ${WHATSAPP_MODE[m.whatsapp.mode]}`;
    if (m.whatsapp.number) text += `, saindo do número ${m.whatsapp.number}`;
    else if (m.whatsapp.mode === "exclusivo") text += ", saindo do número exclusivo da carteira";
    text += m.whatsapp.template
      ? `, template "${m.whatsapp.template}"`
      : ", template padrão da carteira";
    campaigns.push(text);
  }
  if (m.email) {
    let text = "E-mail";
    text += m.email.account
      ? ` pela conta ${m.email.account}`
      : " pela conta ativa da carteira (ou a conta padrão)";
    text += m.email.subject ? `, assunto "${m.email.subject}"` : ", assunto igual à descrição";
    campaigns.push(text);
  }
  if (campaigns.length === 0) {
    lines.push("Só importação: nenhuma campanha será criada.");
    return lines;
  }
  for (const campaign of campaigns) lines.push(`Campanha: ${campaign}.`);
  lines.push(
    m.start
      ? `Início em ${displayDateTime(m.start)} (se já tiver passado, logo após a importação).`
      : "Início logo após a importação.",
  );
  lines.push(
    m.split
      ? `Envio em ondas: ${m.split.percent}% do público a cada ${m.split.everyMinutes === 1 ? "minuto" : `${m.split.everyMinutes} minutos`}.`
      : "Envio em uma única onda.",
  );
  if (m.excludeRecentHours !== null) {
    lines.push(
      `Pessoas com contato receptivo ${m.excludeRecentHours === 1 ? "na última hora" : `nas últimas ${m.excludeRecentHours} horas`} serão puladas.`,
    );
  }
  if (m.deadline) lines.push(`Nada será enviado depois de ${displayDateTime(m.deadline)}.`);
  return lines;
}
