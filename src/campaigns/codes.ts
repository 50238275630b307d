/**
 * Reasons a campaign message was not sent (messages.skip_reason), with what
 * each means and what to do, in pt-BR, for docs/codigos.md (see src/codes.ts).
 * The planning and dispatch reasons (SEM_CONTATO, RESTRITO, SEM_MENSAGEM,
 * CONTATO_RECENTE) join this guide with the code that writes them.
 */
import type { CodeGuide } from "../codes.js";
import type { ReturnReasonCode, ReturnStatus } from "./return-file.js";

/** Written by `remessa campaigns cancel` (src/campaigns/control.ts). */
export type CampaignSkipCode = "CAMPANHA_CANCELADA";

export const CAMPAIGN_SKIP_CODE_GUIDE: Readonly<Record<CampaignSkipCode, CodeGuide>> = {
  CAMPANHA_CANCELADA: {
    meaning:
      "A campanha foi cancelada (remessa campaigns cancel) antes de esta mensagem sair: ela não foi nem será enviada. As mensagens que já estavam saindo no momento do cancelamento terminaram normalmente.",
    action:
      "Nada a corrigir. Para falar com essas pessoas, envie um novo arquivo com a campanha (com a próxima sequência do dia).",
  },
};

/**
 * Codes of the return file (`<nome>.retorno.csv`, return-file.ts): the SITUACAO of each line and
 * the codes that start a MOTIVO, in pt-BR, for docs/codigos.md (see src/codes.ts).
 */
export const RETURN_CODE_GUIDE: Readonly<Record<ReturnStatus | ReturnReasonCode, CodeGuide>> = {
  ENVIADO: {
    meaning:
      "SITUACAO: a mensagem foi entregue ao provedor (operadora, WhatsApp ou servidor de e-mail), sem confirmação de entrega até a campanha terminar.",
    action:
      "Nada a fazer. ENVIADO_EM diz quando; uma confirmação que chegar depois não muda o arquivo já escrito.",
  },
  ENTREGUE: {
    meaning: "SITUACAO: o provedor confirmou a entrega da mensagem no aparelho ou na caixa postal.",
    action: "Nada a fazer. ULTIMA_SITUACAO_EM diz quando a entrega foi confirmada.",
  },
  LIDO: {
    meaning: "SITUACAO: o provedor informou que a pessoa leu a mensagem (WhatsApp, e-mail).",
    action: "Nada a fazer. ULTIMA_SITUACAO_EM diz quando a leitura foi informada.",
  },
  FALHOU: {
    meaning:
      "SITUACAO: o provedor recusou a mensagem; o MOTIVO traz o motivo que ele deu (número inexistente, caixa cheia, …).",
    action:
      "Corrija o contato no seu cadastro conforme o MOTIVO e envie a pessoa num próximo mailing.",
  },
  NAO_ENVIADO: {
    meaning:
      "SITUACAO: a mensagem não foi enviada; o MOTIVO começa pelo código do porquê (RESTRITO, CONTATO_RECENTE, CAMPANHA_CANCELADA ou NAO_ENVIADO quando a campanha terminou antes da vez dela).",
    action:
      "Veja o código no começo do MOTIVO. Se a pessoa ainda deve receber a mensagem, inclua-a num próximo mailing.",
  },
  EXPIRADO: {
    meaning:
      "SITUACAO: o prazo limite da campanha (_LE) passou antes de a mensagem ser enviada; depois do prazo nada é enviado.",
    action:
      "Para alcançar essas pessoas, envie um novo mailing com um prazo maior, ondas mais próximas (_q) ou sem _LE.",
  },
  SEM_CONFIRMACAO: {
    meaning:
      "SITUACAO: o envio da mensagem começou, mas o processo que enviava parou antes de saber se ela saiu, e a campanha terminou assim.",
    action:
      "Considere que a mensagem pode ter chegado. Se precisar ter certeza, fale com o suporte informando a campanha.",
  },
  RESTRITO: {
    meaning:
      "MOTIVO de NAO_ENVIADO: o contato entrou na lista de restrição (opt-out) da carteira depois da importação e antes do envio.",
    action:
      "Nada a fazer: a pessoa pediu para não receber mensagens. Não a inclua em novos mailings dessa carteira.",
  },
  CONTATO_RECENTE: {
    meaning:
      "MOTIVO de NAO_ENVIADO: a pessoa fez contato (respondeu, mandou mensagem) nas horas pedidas por _x antes do envio, e a campanha pedia para não enviar nesse caso.",
    action:
      "Nada a fazer: a pessoa já está em conversa. Se quiser enviar mesmo assim, mande um novo mailing sem _x.",
  },
  CAMPANHA_CANCELADA: {
    meaning: "MOTIVO de NAO_ENVIADO: a campanha foi cancelada antes de a mensagem ser enviada.",
    action:
      "Se a campanha deve continuar, envie de novo as pessoas que ficaram sem mensagem num novo mailing.",
  },
  PRAZO_ESGOTADO: {
    meaning:
      "MOTIVO de EXPIRADO: diz qual era o prazo limite (_LE) da campanha, no fuso horário da empresa.",
    action:
      "Envie um novo mailing com um prazo maior, ondas mais próximas (_q) ou sem _LE para alcançar essas pessoas.",
  },
};

/** Planning: why a person of the mailing is not in a campaign's audience. */
/** Why a person of the mailing is not in a campaign's audience (campaigns.excluded_json). */
export type PlanningExclusion = "SEM_CONTATO" | "RESTRITO" | "SEM_MENSAGEM";

export const PLANNING_EXCLUSION_GUIDE: Readonly<Record<PlanningExclusion, CodeGuide>> = {
  SEM_CONTATO: {
    meaning:
      "A pessoa não tem contato que sirva para o canal da campanha: nenhum celular válido (SMS e WhatsApp só vão para celulares; telefone fixo ou de tipo desconhecido não serve) ou nenhum e-mail válido (campanha de e-mail). Ela foi importada normalmente, mas não recebe essa campanha.",
    action:
      "Inclua no arquivo um celular (DDD + 9 dígitos começando por 9) ou um e-mail da pessoa e envie um novo arquivo, se ela deve receber a campanha.",
  },
  RESTRITO: {
    meaning:
      "Todos os contatos da pessoa que serviriam para o canal estão na lista de restrição da carteira (pediram para não receber mensagens). Ela não recebe a campanha.",
    action:
      "Nada a fazer se a restrição vale. Se ela foi incluída por engano, retire o contato da lista de restrição da carteira antes de reenviar.",
  },
  SEM_MENSAGEM: {
    meaning:
      "Campanha de SMS ou e-mail e a pessoa não tem texto na coluna MENSAGEM do arquivo, nem há um template com texto para usar no lugar. Sem texto, nada é enviado para ela.",
    action:
      "Preencha a coluna MENSAGEM nas linhas dessa pessoa (pode usar [NOME_CLIENTE] e outras colunas) e envie um novo arquivo.",
  },
};
