/**
 * Codes of campaign planning, with what each means and what to do, in pt-BR,
 * for docs/codigos.md (see src/codes.ts).
 */
import type { CodeGuide } from "../codes.js";

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
