/**
 * Every code a person can meet in remessa (reports, CLI, console), with what it means and what to
 * do, in pt-BR. Each module declares the guide of its codes beside their union type, as a Record
 * over that union, so a new code does not compile without its text; this file only gathers them
 * into the sections of docs/codigos.md, which `npm run docs:codes` generates from here (and a test
 * fails when the committed file is stale).
 */
import { API_CODE_GUIDE } from "./api/codes.js";
import {
  CAMPAIGN_SKIP_CODE_GUIDE,
  PLANNING_EXCLUSION_GUIDE,
  RETURN_CODE_GUIDE,
} from "./campaigns/codes.js";
import { CLOUD_API_ERROR_GUIDE } from "./channels/cloud-api-errors.js";
import { SMTP_CODE_GUIDE } from "./channels/codes.js";
import { SMPP_TEST_CODE_GUIDE } from "./channels/smpp-codes.js";
import { NAME_CODE_GUIDE, TENANT_NAME_CODE_GUIDE } from "./filename/codes.js";
import { FILE_CODE_GUIDE, ROW_CODE_GUIDE } from "./mailing/codes.js";
import { SOURCE_CODE_GUIDE } from "./sources/codes.js";
import { STORE_CODE_GUIDE } from "./store/codes.js";

/** One code, for a person: what happened, and how to fix it. Both pt-BR, plain text. */
export interface CodeGuide {
  meaning: string;
  action: string;
}

export interface CodeSection {
  title: string;
  /** Where a person sees these codes (pt-BR, Markdown). */
  where: string;
  codes: Readonly<Record<string, CodeGuide>>;
}

export const CODE_SECTIONS: readonly CodeSection[] = [
  {
    title: "Nome do arquivo",
    where:
      "Conferidos só pelo nome, sem consultar cadastros. Aparecem no `<nome>.erro.txt` (em **Nome do arquivo**) de um arquivo descartado e nas respostas de `bin/remessa check-name` e `bin/remessa build-name`. Um arquivo com qualquer um deles vai para `DESCARTADOS` e nada é importado.",
    codes: NAME_CODE_GUIDE,
  },
  {
    title: "Nome do arquivo, conferido com os cadastros",
    where:
      "Conferidos com os cadastros da empresa (carteiras, mailings já importados, remetentes, templates, contas de e-mail) quando o arquivo chega. Também descartam o arquivo e aparecem no `<nome>.erro.txt`, em **Nome do arquivo**, junto com os erros acima.",
    codes: TENANT_NAME_CODE_GUIDE,
  },
  {
    title: "Conteúdo: o arquivo inteiro é descartado",
    where:
      "Problemas do arquivo como um todo. Aparecem no `<nome>.erro.txt` (em **Conteúdo do arquivo**); o arquivo vai para `DESCARTADOS` e nada é importado. `bin/remessa inspect` mostra os mesmos problemas sem enviar o arquivo.",
    codes: { ...FILE_CODE_GUIDE, ...STORE_CODE_GUIDE },
  },
  {
    title: "Linhas rejeitadas",
    where:
      "Problemas de uma linha (ou, com uma linha por pessoa, de um contato da linha). O resto do arquivo é importado; cada ocorrência vai para o `<nome>.rejeitados.csv` (coluna `codigo`) e o `<nome>.resultado.txt` conta quantas houve de cada código.",
    codes: ROW_CODE_GUIDE,
  },
  {
    title: "Origens (servidores de arquivos)",
    where:
      "Falhas ao falar com um servidor FTP, FTPS ou SFTP cadastrado (ou com a pasta local). Aparecem em `bin/remessa sources add` e `bin/remessa sources test` (também no `--json`), no log do `serve` e, quando um arquivo não pôde ser processado, no motivo do relatório `-falha-<id>.erro.txt`.",
    codes: SOURCE_CODE_GUIDE,
  },
  {
    title: "Servidores de e-mail (SMTP)",
    where:
      "Falhas ao falar com o servidor SMTP de uma conta de e-mail. Aparecem em `bin/remessa email-accounts test ID` (também no `--json`, campo `code`) e, descritas, no motivo de uma mensagem de e-mail que voltou para a fila.",
    codes: SMTP_CODE_GUIDE,
  },
  {
    title: "Campanhas: pessoas fora do público",
    where:
      "Pessoas de um mailing importado que ficaram fora do público de uma campanha pedida no nome do arquivo. O `<nome>.resultado.txt` conta quantas houve de cada código em cada campanha; elas foram importadas normalmente na carteira.",
    codes: PLANNING_EXCLUSION_GUIDE,
  },
  {
    title: "Campanhas: mensagens não enviadas",
    where:
      "O motivo de uma mensagem de campanha que ficou como pulada. Aparece em `bin/remessa campaigns show ID` (em **Puladas por motivo**) e na coluna de motivo do `<nome>.retorno.csv`.",
    codes: CAMPAIGN_SKIP_CODE_GUIDE,
  },
  {
    title: "Arquivo de retorno",
    where:
      "O `<nome>.retorno.csv`, escrito em `LIDOS` ao lado do mailing quando as campanhas dele terminam (veja [relatorios.md](relatorios.md#nomeretornocsv--o-resultado-das-campanhas)): a coluna `SITUACAO` traz um dos códigos abaixo, e a coluna `MOTIVO`, quando o remessa deu o motivo, começa por um deles.",
    codes: RETURN_CODE_GUIDE,
  },
  {
    title: "Rotas de SMS (SMPP)",
    where:
      "A resposta de `bin/remessa sms-routes test ID` quando o bind na operadora falha (`[CÓDIGO] mensagem`, ou o campo `code` com `--json`). Veja [sms.md](sms.md).",
    codes: SMPP_TEST_CODE_GUIDE,
  },
  {
    title: "WhatsApp (Cloud API)",
    where:
      "Códigos de erro da Cloud API da Meta, no motivo de uma mensagem de WhatsApp (`WhatsApp <código>: …`, em `bin/remessa campaigns show ID` e na coluna `MOTIVO` do `<nome>.retorno.csv`): devolvidos no envio ou num status `failed` do webhook. Erros do número (token, conta, pagamento) não fazem a mensagem falhar: ela espera e o número para de enviar por 15 minutos. Veja [whatsapp.md](whatsapp.md).",
    codes: CLOUD_API_ERROR_GUIDE,
  },
  {
    title: "API HTTP",
    where:
      "O campo `code` das respostas de erro da API HTTP (`{ code, message, details }`; veja [api.md](api.md)). O status HTTP acompanha o código.",
    codes: API_CODE_GUIDE,
  },
];
