/** The API's error codes (errors.ts), with what each means and what to do, in pt-BR, for docs/codigos.md. */
import type { CodeGuide } from "../codes.js";
import type { ApiErrorCode } from "./errors.js";

export const API_CODE_GUIDE: Readonly<Record<ApiErrorCode, CodeGuide>> = {
  NAO_AUTENTICADO: {
    meaning:
      "HTTP 401: a requisição veio sem chave de API, com uma chave desconhecida ou com uma chave revogada (a resposta é a mesma nos três casos).",
    action:
      'Envie o cabeçalho "Authorization: Bearer <chave>" com uma chave ativa; crie uma com `bin/remessa api-keys create`.',
  },
  SEM_PERMISSAO: {
    meaning:
      "HTTP 403: a chave é válida mas não pode fazer isto: uma chave só de leitura pedindo uma alteração, uma chave de empresa numa rota de administração, ou a chave de administrador numa rota de empresa.",
    action:
      "Use uma chave com escopo write para alterações, a chave de administrador (REMESSA_ADMIN_KEY) para empresas, e uma chave da empresa para os dados dela.",
  },
  NAO_ENCONTRADO: {
    meaning:
      "HTTP 404: o recurso pedido não existe nesta empresa (um recurso de outra empresa recebe a mesma resposta), ou o arquivo a baixar não está mais guardado.",
    action: "Confira o identificador na listagem correspondente (por exemplo GET /sources).",
  },
  ROTA_INEXISTENTE: {
    meaning: "HTTP 404: não há rota com esse método e caminho na API.",
    action: "Confira o método e o caminho na referência em /docs ou em /openapi.json.",
  },
  DADOS_INVALIDOS: {
    meaning:
      "HTTP 400: o caminho, a consulta ou o corpo da requisição não seguem o formato da rota; `details` lista cada campo e o problema.",
    action: "Corrija os campos indicados em `details` e envie de novo.",
  },
  JSON_INVALIDO: {
    meaning: "HTTP 400: o corpo da requisição não é um JSON válido (ou está vazio).",
    action: 'Envie um JSON válido com "Content-Type: application/json".',
  },
  VALOR_RECUSADO: {
    meaning:
      "HTTP 422: o formato está certo, mas um valor fere uma regra (carteira que já existe, servidor de rede interna, fuso desconhecido…); a mensagem diz qual.",
    action: "Corrija o valor como a mensagem indica e envie de novo.",
  },
  CONFLITO: {
    meaning:
      "HTTP 409: não é possível no estado atual do recurso (alterar a caixa FTPS embutida, remover o que uma campanha em andamento usa, pausar uma campanha já pausada…).",
    action:
      "Leia o motivo na mensagem: espere a campanha terminar (ou cancele-a) antes de remover o que ela usa.",
  },
  CORPO_GRANDE_DEMAIS: {
    meaning: "HTTP 413: o corpo da requisição passa do tamanho máximo aceito pela API.",
    action: "Envie menos dados por requisição.",
  },
  TIPO_NAO_SUPORTADO: {
    meaning: "HTTP 415: o corpo veio num tipo de conteúdo que a rota não aceita.",
    action: 'Envie o corpo em JSON, com "Content-Type: application/json".',
  },
  LIMITE_DE_REQUISICOES: {
    meaning:
      "HTTP 429: a chave fez requisições demais em pouco tempo; o cabeçalho Retry-After diz quantos segundos esperar.",
    action: "Espere o tempo indicado e reduza o ritmo das requisições com essa chave.",
  },
  ERRO_INTERNO: {
    meaning:
      "HTTP 500: um erro inesperado no servidor; a mensagem traz o id da requisição e nenhum detalhe interno.",
    action:
      "Tente de novo; se continuar, informe ao suporte o id da requisição que a mensagem mostra.",
  },
  BANCO_OCUPADO: {
    meaning:
      "HTTP 503: o banco de dados SQLite ficou ocupado tempo demais (uma importação grande em andamento segura a escrita) e a alteração não foi feita.",
    action: "Tente de novo depois do tempo indicado em Retry-After; nada foi alterado.",
  },
};
