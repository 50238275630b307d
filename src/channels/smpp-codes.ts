/**
 * Codes `remessa sms-routes test` answers with when a bind fails (see
 * smpp-bind.ts), with what each means and what to do, in pt-BR, for
 * docs/codigos.md (see src/codes.ts).
 */
import type { CodeGuide } from "../codes.js";

export type SmppTestCode =
  | "CONEXAO_RECUSADA"
  | "TEMPO_ESGOTADO"
  | "HOST_DESCONHECIDO"
  | "SENHA_INCORRETA"
  | "USUARIO_INVALIDO"
  | "BIND_RECUSADO"
  | "CONEXAO_PERDIDA"
  | "CONFIGURACAO";

export const SMPP_TEST_CODE_GUIDE: Readonly<Record<SmppTestCode, CodeGuide>> = {
  CONEXAO_RECUSADA: {
    meaning:
      "O servidor SMPP recusou a conexão: nada escuta nessa porta, ou o IP do remessa está bloqueado.",
    action:
      "Confira --host e --port com a operadora e peça a liberação do IP do servidor do remessa.",
  },
  TEMPO_ESGOTADO: {
    meaning: "O servidor SMPP não respondeu a tempo (conexão ou bind).",
    action: "Verifique firewall e liberação de IP na operadora; confira o endereço e a porta.",
  },
  HOST_DESCONHECIDO: {
    meaning: "O endereço do servidor SMPP não foi encontrado (DNS).",
    action: "Confira a grafia de --host; cadastre a rota de novo com o endereço certo.",
  },
  SENHA_INCORRETA: {
    meaning: "A operadora recusou a senha SMPP (ESME_RINVPASWD).",
    action:
      "Remova a rota e cadastre-a de novo com a senha certa (pela entrada padrão, --password-stdin).",
  },
  USUARIO_INVALIDO: {
    meaning: "A operadora não reconhece o usuário SMPP (system_id, ESME_RINVSYSID).",
    action: "Confira o --system-id com a operadora e cadastre a rota de novo.",
  },
  BIND_RECUSADO: {
    meaning:
      "A operadora recusou o bind (ESME_RBINDFAIL ou outro código): senha errada, conta sem permissão de transceiver ou limite de conexões atingido.",
    action: "Confira a senha e fale com a operadora informando o código SMPP da mensagem.",
  },
  CONEXAO_PERDIDA: {
    meaning: "A conexão caiu antes de o bind terminar, ou falhou por outro motivo de rede.",
    action: "Tente de novo; se persistir, verifique a rede até a operadora.",
  },
  CONFIGURACAO: {
    meaning:
      "A rota não tem a configuração SMPP completa (servidor, usuário, senha) ou a senha guardada não pode ser decifrada com a chave atual.",
    action:
      'Cadastre a rota de novo com "remessa sms-routes add"; se a chave (REMESSA_SECRET_KEY ou secret.key) mudou, restaure a original.',
  },
};
