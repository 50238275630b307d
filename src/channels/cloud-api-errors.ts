/**
 * WhatsApp Cloud API error codes (the Graph API error object's `code`, and
 * the `errors[].code` of a failed status webhook) → what the dispatcher does
 * with the message and the pt-BR text a person reads in the return file.
 * Also the guide of docs/codigos.md (src/codes.ts gathers it).
 *
 * - fail: the message can never go as it is (recipient, template, policy).
 * - retry: transient, per message (server trouble, the recipient's pair limit).
 * - throttle: the number sends too fast for Meta; every worker slows down.
 * - sender: the number itself cannot send now (token, account, payment,
 *   registration): no message is wrong, so none fails; the channel stops
 *   calling Meta for that number for a while (SENDER_PAUSE_MS) and the
 *   messages wait. A campaign failed because a token expired overnight could
 *   not be undone; one that waits resumes as soon as the token is replaced.
 */
import type { CodeGuide } from "../codes.js";

export type CloudErrorAction = "fail" | "retry" | "throttle" | "sender";

export interface CloudErrorInfo {
  action: CloudErrorAction;
  /** pt-BR, for the message's reason. */
  meaning: string;
  /** Wait before the next attempt (retry, throttle). */
  afterMs?: number;
}

/** How long a number whose token or account is refused is left alone. */
export const SENDER_PAUSE_MS = 15 * 60_000;

/** Keyed by the Graph API code (as text: docs/codigos.md lists them as codes). */
const TABLE: Record<
  string,
  { do: CloudErrorAction; afterMs?: number; meaning: string; fix: string }
> = {
  "130429": {
    do: "throttle",
    // Meta gives no time; the channel works the pause out from how many
    // requests were refused (throughputPauseMs). This is the pause when it cannot.
    afterMs: 300,
    meaning: "Limite de vazão do número atingido (mensagens por segundo da Cloud API).",
    fix: "Nada a fazer: o remessa reduz o ritmo e reenvia. Se for frequente, baixe a taxa do remetente (--rate).",
  },
  "80007": {
    do: "throttle",
    afterMs: 60_000,
    meaning: "Limite de chamadas da conta WhatsApp Business atingido.",
    fix: "Nada a fazer: o remessa espera e reenvia. Se for frequente, baixe a taxa dos remetentes da conta.",
  },
  "4": {
    do: "throttle",
    afterMs: 60_000,
    meaning: "Limite de chamadas do aplicativo da Meta atingido.",
    fix: "Nada a fazer: o remessa espera e reenvia.",
  },
  "131048": {
    do: "throttle",
    afterMs: 10 * 60_000,
    meaning:
      "A Meta limitou o número por excesso de mensagens marcadas como spam ou bloqueadas pelos destinatários.",
    fix: "Reveja o conteúdo do template e a lista de destinatários; o remessa espera e reenvia mais devagar.",
  },
  "131056": {
    do: "retry",
    afterMs: 60_000,
    meaning:
      "Muitas mensagens do mesmo número para a mesma pessoa em pouco tempo (limite por par remetente-destinatário).",
    fix: "Nada a fazer: a mensagem é reenviada depois. Evite campanhas simultâneas para as mesmas pessoas.",
  },
  "131000": {
    do: "retry",
    meaning: "Erro desconhecido na Cloud API.",
    fix: "Nada a fazer: a mensagem é reenviada. Se persistir, veja o status da plataforma da Meta.",
  },
  "1": {
    do: "retry",
    meaning: "Erro desconhecido na Cloud API.",
    fix: "Nada a fazer: a mensagem é reenviada.",
  },
  "2": {
    do: "retry",
    meaning: "Serviço da Cloud API temporariamente indisponível.",
    fix: "Nada a fazer: a mensagem é reenviada.",
  },
  "131016": {
    do: "retry",
    afterMs: 60_000,
    meaning: "Serviço da Cloud API sobrecarregado.",
    fix: "Nada a fazer: a mensagem é reenviada.",
  },
  "190": {
    do: "sender",
    meaning: "Token de acesso da Cloud API expirado ou inválido.",
    fix: 'Gere um token novo (de preferência de usuário do sistema, sem validade) e cadastre o remetente de novo; "remessa senders test ID" confere. As mensagens esperam, não falham.',
  },
  "10": {
    do: "sender",
    meaning: "O token não tem permissão para enviar por este número.",
    fix: "Dê ao token as permissões whatsapp_business_messaging e whatsapp_business_management para a conta do número.",
  },
  "200": {
    do: "sender",
    meaning: "O token não tem permissão para enviar por este número.",
    fix: "Dê ao token as permissões whatsapp_business_messaging e whatsapp_business_management para a conta do número.",
  },
  "131005": {
    do: "sender",
    meaning: "Acesso negado ao número pela Cloud API.",
    fix: "Confira as permissões do token e se o número pertence à conta do aplicativo.",
  },
  "131031": {
    do: "sender",
    meaning: "A conta WhatsApp Business do número está bloqueada.",
    fix: "Resolva o bloqueio no WhatsApp Manager (Qualidade da conta); as mensagens esperam.",
  },
  "131042": {
    do: "sender",
    meaning: "Problema de pagamento na conta WhatsApp Business.",
    fix: "Regularize a forma de pagamento no WhatsApp Manager; as mensagens esperam.",
  },
  "133010": {
    do: "sender",
    meaning: "O número não está registrado na Cloud API.",
    fix: "Registre o número (POST /<phone-number-id>/register) e tente de novo.",
  },
  "131026": {
    do: "fail",
    meaning:
      "Mensagem não entregue: o telefone não tem WhatsApp, não aceitou os termos atuais ou usa uma versão antiga do aplicativo.",
    fix: "Confira o número da pessoa ou use outro canal (SMS).",
  },
  "131030": {
    do: "fail",
    meaning: "O destinatário não está na lista de números de teste permitidos.",
    fix: "Com um número de teste da Meta, só números da lista permitida recebem: cadastre-os ou use um número de produção.",
  },
  "131021": {
    do: "fail",
    meaning: "O destinatário é o próprio número remetente.",
    fix: "Retire o número do remetente do mailing.",
  },
  "131047": {
    do: "fail",
    meaning:
      "Mais de 24 horas desde a última resposta da pessoa: só um template aprovado pode ser enviado.",
    fix: "Envie a campanha com um template aprovado (_nt).",
  },
  "131049": {
    do: "fail",
    meaning:
      "A Meta não entregou esta mensagem de marketing para preservar o engajamento da pessoa (limite de mensagens de marketing por pessoa).",
    fix: "Nada a corrigir no cadastro: tente essa pessoa mais tarde ou por outro canal.",
  },
  "131050": {
    do: "fail",
    meaning: "A pessoa optou por não receber mensagens de marketing desta empresa.",
    fix: "Não insista: use outro canal, se houver consentimento.",
  },
  "131051": {
    do: "fail",
    meaning: "Tipo de mensagem não suportado.",
    fix: "Informe o suporte do remessa.",
  },
  "131008": {
    do: "fail",
    meaning: "Falta um parâmetro obrigatório do template.",
    fix: "Confira se as colunas mapeadas no template têm valor para todas as pessoas.",
  },
  "131009": {
    do: "fail",
    meaning: "Valor de parâmetro inválido (vazio, longo demais ou com caracteres não aceitos).",
    fix: "Confira os valores das colunas mapeadas no template (sem quebras de linha, tabulações ou mais de 4 espaços seguidos).",
  },
  "100": {
    do: "fail",
    meaning: "Parâmetro inválido na chamada à Cloud API.",
    fix: "Confira o template e os valores das colunas mapeadas.",
  },
  "132000": {
    do: "fail",
    meaning: "O número de parâmetros não bate com o template aprovado.",
    fix: 'Ajuste o mapeamento de colunas do template ("remessa templates") à quantidade de variáveis aprovada.',
  },
  "132001": {
    do: "fail",
    meaning: "O template não existe neste idioma ou ainda não foi aprovado.",
    fix: "Confira o nome e o idioma do template no WhatsApp Manager.",
  },
  "132005": {
    do: "fail",
    meaning: "O texto do template, com os parâmetros preenchidos, ficou longo demais.",
    fix: "Encurte os valores das colunas mapeadas.",
  },
  "132007": {
    do: "fail",
    meaning: "O conteúdo viola a política de formatação do template.",
    fix: "Confira os valores das colunas mapeadas (formatação, links).",
  },
  "132012": {
    do: "fail",
    meaning: "Formato de parâmetro diferente do aprovado no template.",
    fix: "Confira o tipo das variáveis do template (texto, moeda, data).",
  },
  "132015": {
    do: "fail",
    meaning: "O template está pausado pela Meta por baixa qualidade.",
    fix: "Melhore o template ou use outro; ele volta depois da pausa.",
  },
  "132016": {
    do: "fail",
    meaning: "O template foi desativado pela Meta por baixa qualidade.",
    fix: "Crie e aprove outro template.",
  },
  "368": {
    do: "fail",
    meaning: "O número foi bloqueado temporariamente por violar políticas da Meta.",
    fix: "Veja o motivo em Qualidade da conta no WhatsApp Manager; envie de novo depois do bloqueio.",
  },
  "131045": {
    do: "fail",
    meaning: "Número sem certificado de exibição válido.",
    fix: "Registre o número de novo no WhatsApp Manager.",
  },
  "131052": {
    do: "fail",
    meaning: "Não foi possível baixar a mídia enviada.",
    fix: "Confira a mídia do template.",
  },
  "131053": {
    do: "fail",
    meaning: "Não foi possível enviar a mídia do template.",
    fix: "Confira o formato e o tamanho da mídia do template.",
  },
};

// The family rules for codes not listed one by one.
function family(code: number): { do: CloudErrorAction; meaning: string } | null {
  if (code >= 132000 && code < 133000) {
    return { do: "fail", meaning: "Erro no template da mensagem." };
  }
  if (code >= 131000 && code < 132000) {
    return { do: "fail", meaning: "Mensagem recusada pela Cloud API." };
  }
  return null;
}

/** What to do with a Cloud API error code (unknown codes: by family, else retry). */
export function cloudError(code: number | null): CloudErrorInfo {
  const known = code === null ? undefined : TABLE[String(code)];
  if (known) {
    return {
      action: known.do,
      ...(known.afterMs !== undefined ? { afterMs: known.afterMs } : {}),
      meaning: known.meaning,
    };
  }
  const fam = code === null ? null : family(code);
  if (fam) return { action: fam.do, meaning: fam.meaning };
  return { action: "retry", meaning: "Erro inesperado da Cloud API." };
}

/** Longest pause after 130429 (throughput) when Meta gives no Retry-After. */
export const THROUGHPUT_PAUSE_MAX_MS = 2000;

/**
 * How long a number pauses after `refused` of its requests were answered
 * 130429 in one call, at its rate of `ratePerSecond`. The dispatcher already
 * paces each number at its rate, so a refusal means requests reached Meta
 * bunched (late ones from the previous second next to timely ones), over the
 * cap by about the refused count, not a rate far too high: the number waits
 * the time those requests take at its rate, which lets the late ones leave
 * Meta's one-second window. A flat pause (300 ms) cost 24 messages of an
 * 80 msg/s number per refusal, most of the shortfall from the cap. Each
 * `streak` (a refusal again within a second after the previous pause)
 * doubles it, so a rate that is really above what Meta allows backs off fast.
 */
export function throughputPauseMs(refused: number, ratePerSecond: number, streak = 0): number {
  const perMessage = 1000 / Math.max(ratePerSecond, 0.001);
  return Math.min(
    THROUGHPUT_PAUSE_MAX_MS,
    Math.ceil(Math.max(1, refused) * perMessage * 2 ** Math.min(streak, 10)),
  );
}

/** The pt-BR reason stored on the message: our text, then Meta's detail (English) for support. */
export function cloudReason(code: number | null, meaning: string, detail?: string | null): string {
  const extra = detail?.replace(/\s+/g, " ").trim().slice(0, 200);
  return `WhatsApp${code === null ? "" : ` ${code}`}: ${meaning}${extra ? ` (Meta: ${extra})` : ""}`;
}

/** docs/codigos.md: "WhatsApp (Cloud API)". */
export const CLOUD_API_ERROR_GUIDE: Readonly<Record<string, CodeGuide>> = Object.fromEntries(
  Object.entries(TABLE).map(([code, e]) => [code, { meaning: e.meaning, action: e.fix }]),
);
