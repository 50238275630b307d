/**
 * Reasons a campaign message was not sent (messages.skip_reason), with what
 * each means and what to do, in pt-BR, for docs/codigos.md (see src/codes.ts).
 * The planning and dispatch reasons (SEM_CONTATO, RESTRITO, SEM_MENSAGEM,
 * CONTATO_RECENTE) join this guide with the code that writes them.
 */
import type { CodeGuide } from "../codes.js";

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
