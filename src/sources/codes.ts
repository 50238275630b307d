/**
 * What each Source error code means and what to do about it, in pt-BR, for docs/codigos.md (see
 * src/codes.ts). Each SourceError's own message says the same for the case at hand; these are the
 * general texts. A Record over SourceErrorCode: a new code needs its entry to compile.
 */
import type { CodeGuide } from "../codes.js";
import type { SourceErrorCode } from "./errors.js";
import { MAX_CLASH_ATTEMPTS } from "./paths.js";

export const SOURCE_CODE_GUIDE: Readonly<Record<SourceErrorCode, CodeGuide>> = {
  HOST_INVALIDO: {
    meaning: "O endereço do servidor informado não é um nome ou IP válido.",
    action: "Informe só o nome ou o IP do servidor, sem protocolo nem caminho: ftp.empresa.com.br.",
  },
  HOST_PROIBIDO: {
    meaning:
      "O servidor é (ou o nome aponta para) um endereço de rede interna: privado, loopback ou link-local. Por segurança o remessa não acessa esses endereços.",
    action:
      "Use o endereço público do servidor de arquivos; numa instalação local, cadastre a origem com --allow-private.",
  },
  HOST_NAO_ENCONTRADO: {
    meaning: "O nome do servidor não foi encontrado no DNS.",
    action: "Confira se o nome do servidor está escrito corretamente.",
  },
  CONEXAO_RECUSADA: {
    meaning: "O servidor recusou a conexão na porta informada.",
    action:
      "Confira o protocolo e a porta (FTP e FTPS explícito usam 21, FTPS implícito 990, SFTP 22) e se o serviço está no ar.",
  },
  TEMPO_ESGOTADO: {
    meaning: "O servidor não respondeu a tempo, ou não há rota de rede até ele.",
    action:
      "Confira o endereço, a porta e se um firewall libera o acesso do remessa (no FTP, também as portas do modo passivo).",
  },
  TLS_EXIGIDO: {
    meaning:
      "O servidor só aceita conexão criptografada e a origem foi cadastrada como FTP simples.",
    action: "Cadastre a origem com o protocolo ftps-explicit (FTPS explícito, porta 21).",
  },
  TLS_NAO_SUPORTADO: {
    meaning:
      "A conexão criptografada não pôde ser feita: o servidor não aceita FTPS explícito, não apresentou certificado, ou a negociação TLS falhou.",
    action:
      "Confira o protocolo: FTPS implícito é ftps-implicit (porta 990), explícito é ftps-explicit (porta 21), e um servidor sem TLS é ftp.",
  },
  CERTIFICADO_NAO_CONFIAVEL: {
    meaning:
      "O certificado TLS (FTPS) ou a chave do servidor SSH (SFTP) não é confiável, ou mudou desde o cadastro. A mensagem mostra a impressão digital SHA-256 recebida.",
    action:
      "Confirme com o responsável pelo servidor que a impressão digital é a mostrada e, se for, cadastre a origem com --tls-fingerprint e esse valor.",
  },
  LOGIN_INVALIDO: {
    meaning: "O servidor recusou o usuário ou a senha.",
    action:
      "Confira os dois (maiúsculas e minúsculas contam) e se o usuário está ativo e pode usar o protocolo escolhido.",
  },
  RAIZ_INEXISTENTE: {
    meaning:
      "A pasta raiz configurada na origem não existe no servidor, ou o usuário não pode abri-la.",
    action: "Corrija a pasta raiz da origem ou crie a pasta no servidor.",
  },
  SEM_PERMISSAO: {
    meaning:
      "O usuário não tem permissão para uma operação: ler a pasta, mover o arquivo ou criar LIDOS e DESCARTADOS.",
    action:
      "Dê ao usuário permissão de leitura e escrita na pasta raiz e nas pastas das carteiras.",
  },
  ARQUIVO_INEXISTENTE: {
    meaning:
      "O arquivo (ou a pasta) não existe mais onde foi listado: foi removido ou renomeado por outra pessoa ou programa.",
    action:
      "Nada a fazer se foi de propósito; para processar o arquivo, envie-o de novo. Em bin/remessa import, confira o caminho do arquivo.",
  },
  CAMINHO_INVALIDO: {
    meaning: "Um caminho sai da pasta raiz da origem (com ..) ou tem um caractere nulo.",
    action: "Use caminhos dentro da pasta raiz, sem .. nem caracteres de controle.",
  },
  CONEXAO_PERDIDA: {
    meaning: "A conexão com o servidor caiu no meio de uma operação.",
    action:
      "Confira o protocolo escolhido (FTP, FTPS ou SFTP); o remessa tenta de novo sozinho ao processar arquivos.",
  },
  ERRO_SERVIDOR: {
    meaning: `O servidor respondeu de um jeito inesperado ou recusou uma operação por outro motivo (a mensagem traz a resposta dele), ou já há ${MAX_CLASH_ATTEMPTS.toLocaleString("pt-BR")} arquivos com o mesmo nome no destino.`,
    action:
      "Leia a resposta do servidor na mensagem; confira protocolo, servidor e porta e tente de novo. Se continuar, fale com o responsável pelo servidor.",
  },
};
