/**
 * What `remessa email-accounts test` (and the reason of an e-mail put back
 * in the queue) says about an SMTP server, with what to do, in pt-BR, for
 * docs/codigos.md (see src/codes.ts).
 */
import type { CodeGuide } from "../codes.js";
import type { SmtpProblemCode } from "./smtp.js";

export const SMTP_CODE_GUIDE: Readonly<Record<SmtpProblemCode, CodeGuide>> = {
  SMTP_DNS: {
    meaning: "O nome do servidor SMTP não foi encontrado no DNS.",
    action:
      "Confira o --host da conta (ex.: smtp.empresa.com.br) e se este servidor consegue resolver nomes.",
  },
  SMTP_RECUSADA: {
    meaning: "O servidor SMTP recusou a conexão: nada escuta nessa porta, ou um firewall bloqueia.",
    action:
      "Confira a --port (587 com starttls, 465 com tls, 25 sem criptografia) e se a saída para ela está liberada.",
  },
  SMTP_CERTIFICADO: {
    meaning:
      "O certificado TLS do servidor não foi aceito: vencido, autoassinado, ou emitido para outro nome.",
    action:
      "Use no --host o nome que está no certificado. Um certificado de uma autoridade própria entra com NODE_EXTRA_CA_CERTS=arquivo.pem no ambiente do remessa.",
  },
  SMTP_TLS: {
    meaning:
      "Não foi possível estabelecer TLS: o servidor não oferece STARTTLS (com --security starttls) ou a porta não fala TLS desde o início (com --security tls).",
    action:
      "Ajuste --security e --port ao que o provedor indica: em geral starttls na 587 e tls na 465.",
  },
  SMTP_AUTENTICACAO: {
    meaning: "O servidor recusou o usuário ou a senha (ou exige outro método de autenticação).",
    action:
      "Confira o --user e cadastre a conta de novo com a senha certa (lida da entrada padrão). Alguns provedores exigem uma senha de aplicativo.",
  },
  SMTP_TEMPO_ESGOTADO: {
    meaning: "O servidor não respondeu a tempo (conexão, saudação ou comando).",
    action: "Confira o servidor e a porta; se o servidor estiver sobrecarregado, tente mais tarde.",
  },
  SMTP_CONEXAO_CAIU: {
    meaning: "A conexão com o servidor caiu no meio da conversa.",
    action:
      "Em campanhas as mensagens são reenviadas sozinhas. Se acontecer sempre, confira se a porta e a segurança são as certas.",
  },
  SMTP_FALHA: {
    meaning: "Outra falha ao falar com o servidor SMTP; a mensagem traz o detalhe.",
    action: "Leia o detalhe; se não for claro, teste de novo com remessa email-accounts test ID.",
  },
};
