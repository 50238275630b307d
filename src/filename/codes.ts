/**
 * What each file-name error code means and what to do about it, in pt-BR, for docs/codigos.md
 * (see src/codes.ts). A parse error's own message says the same for the case at hand; these are
 * the general texts. Records over the unions in types.ts: a new code needs its entry to compile.
 */
import type { CodeGuide } from "../codes.js";
import { MAX_NAME_BYTES } from "./length.js";
import type { NameErrorCode, TenantNameErrorCode } from "./types.js";

export const NAME_CODE_GUIDE: Readonly<Record<NameErrorCode, CodeGuide>> = {
  NOME_INVALIDO: {
    meaning:
      "O nome tem um caractere de controle, invisível, como uma quebra de linha ou uma tabulação. Nenhum outro problema do nome é conferido.",
    action:
      "Renomeie o arquivo só com letras, números, espaços e sinais comuns e envie de novo. O arquivo descartado aparece em DESCARTADOS com cada caractere de controle trocado por -.",
  },
  NOME_LONGO: {
    meaning: `O nome tem mais de ${MAX_NAME_BYTES} bytes em UTF-8 (uma letra com acento ocupa 2 bytes). Esse limite garante que o arquivo movido, com um sufixo de conflito, e os seus relatórios caibam num nome de arquivo. Nenhum outro problema do nome é conferido.`,
    action: `Encurte o nome para até ${MAX_NAME_BYTES} bytes (a descrição _d e o assunto _te costumam ser os trechos mais longos) e envie de novo. O arquivo descartado aparece em DESCARTADOS com o nome encurtado, terminado em ~ e 8 letras e números.`,
  },
  PREFIXO: {
    meaning: "O nome não começa com mailing_ (maiúsculas e minúsculas tanto faz).",
    action: "Renomeie no formato mailing_DDMMAA_SEQ.csv, por exemplo mailing_261126_1.csv.",
  },
  DATA_INVALIDA: {
    meaning:
      "Falta a data depois de mailing_, ou o que está lá não é uma data real com 6 dígitos no formato DDMMAA.",
    action:
      "Escreva a data de hoje como dia, mês e ano com 2 dígitos cada: 261126 para 26/11/2026.",
  },
  DATA_NAO_E_HOJE: {
    meaning:
      "A data do nome é válida, mas não é a do dia em que o arquivo chegou, no fuso horário da empresa. Por segurança, um mailing com a data de outro dia nunca é importado.",
    action: "Gere o arquivo de novo com a data de hoje e envie.",
  },
  SEQUENCIA_INVALIDA: {
    meaning:
      "Falta a sequência depois da data, ou ela não é um número de 1 a 3 dígitos (001 e 1 são a mesma sequência).",
    action: "Informe a ordem do arquivo no dia com 1 a 3 dígitos, por exemplo _1 ou _002.",
  },
  EXTENSAO: {
    meaning:
      "O nome não termina em .csv, .txt ou .zip (maiúsculas e minúsculas tanto faz), ou não tem extensão.",
    action:
      "Termine o nome com .csv, .txt ou .zip. Uma planilha .xlsx ou .xls precisa antes ser salva como CSV no Excel.",
  },
  PARAMETRO_DESCONHECIDO: {
    meaning:
      "Um trecho entre dois _ não é nenhum dos parâmetros aceitos. Quando parece um erro de digitação, a mensagem sugere o parâmetro mais próximo (_smslonge: você quis dizer _smslong?). Como o _ separa os parâmetros, um valor com _ também cai aqui.",
    action:
      "Corrija ou remova o trecho. Nenhum valor (descrição, template, assunto) pode conter _: troque-o por espaço ou -.",
  },
  PARAMETRO_REPETIDO: {
    meaning: "O mesmo parâmetro aparece mais de uma vez no nome.",
    action: "Deixe só uma ocorrência do parâmetro.",
  },
  PARAMETRO_VAZIO: {
    meaning:
      'Sobrou um _ ("__" no meio do nome ou "_" antes da extensão), ou um parâmetro que precisa de valor veio sem ele, como _c sozinho.',
    action:
      "Remova o _ sobrando, ou escreva o valor logo depois da chave, sem espaço: _cBRAD, _dRégua 60 dias.",
  },
  VALOR_INVALIDO: {
    meaning:
      "O valor de um parâmetro não está no formato: _nw sem 10 a 13 dígitos; _ce sem exatamente um @ com texto dos dois lados; _i ou _LE que não são uma data e hora reais em DDMMAAHHMM; _q sem exatamente 5 dígitos, ou com percentual 00 ou intervalo 000; _x com mais de 3 dígitos ou igual a 0.",
    action:
      "Corrija o valor no formato que a mensagem mostra (por exemplo _nw11998877665, _i2611260830, _q15020, _x36).",
  },
  CARTEIRA_AUSENTE: {
    meaning:
      "Não dá para saber a carteira: o nome não tem _c e o arquivo está na pasta raiz, fora de uma pasta de carteira.",
    action:
      "Acrescente _c com o código da carteira (_cBRAD) ou envie o arquivo para dentro da pasta com o código da carteira.",
  },
  CARTEIRA_CONFLITO: {
    meaning:
      "O _c do nome indica uma carteira e o arquivo está na pasta de outra (o código é comparado exatamente, com maiúsculas e minúsculas).",
    action: "Mova o arquivo para a pasta da carteira certa (ou para a raiz) ou corrija o _c.",
  },
  CANAL_CONFLITO: {
    meaning:
      "O nome pede SMS long code e short code ao mesmo tempo (_smslong e _smsshort), ou mais de um tipo de campanha WhatsApp.",
    action:
      "Escolha um só tipo de SMS e um só tipo de WhatsApp. Canais diferentes (SMS, WhatsApp e e-mail) podem vir juntos.",
  },
  PARAMETRO_SEM_CANAL: {
    meaning:
      "Um parâmetro de campanha veio sem a campanha a que pertence: _nw sem _whatsappexclusivo; _nt sem campanha WhatsApp; _ce ou _te sem _email; _i, _q, _x ou _LE sem nenhuma campanha. Sozinho ele não teria efeito, o que costuma indicar um engano.",
    action:
      "Acrescente a campanha que falta (por exemplo _smsshort ou _email) ou remova o parâmetro.",
  },
  TEMPLATE_OBRIGATORIO: {
    meaning: "Uma campanha _whatsappprospect precisa do nome do template, e o nome não tem _nt.",
    action: "Acrescente _nt com o nome do template, por exemplo _ntAVISO COBRANCA.",
  },
  PRAZO_ANTES_DO_INICIO: {
    meaning: "O prazo limite (_LE) não é depois do início da campanha (_i).",
    action: "Corrija _LE ou _i para que o prazo fique depois do início.",
  },
  PRAZO_EXPIRADO: {
    meaning:
      "O prazo limite (_LE) já tinha passado quando o arquivo foi conferido (no fuso horário da empresa): nada seria enviado.",
    action: "Informe em _LE uma data e hora no futuro e envie de novo.",
  },
};

export const TENANT_NAME_CODE_GUIDE: Readonly<Record<TenantNameErrorCode, CodeGuide>> = {
  CARTEIRA_INEXISTENTE: {
    meaning:
      "A carteira do _c, ou a pasta de carteira onde o arquivo está, não está cadastrada na empresa. O código é comparado exatamente: brad e BRAD são carteiras diferentes.",
    action:
      "Corrija o código (igual ao do cadastro de carteiras) ou cadastre a carteira (bin/remessa wallets add CÓDIGO) e envie de novo.",
  },
  SEQUENCIA_REPETIDA: {
    meaning:
      "Já foi importado um arquivo com a mesma data e a mesma sequência. A mensagem diz qual. Um arquivo descartado não ocupa a sequência.",
    action:
      "Envie o arquivo com a próxima sequência livre do dia. Se for o mesmo mailing, ele já foi importado: não precisa reenviar.",
  },
  REMETENTE_INEXISTENTE: {
    meaning:
      "O canal pedido não tem remetente ativo cadastrado: não há rota de SMS do tipo pedido; o número do _nw não é um número WhatsApp exclusivo cadastrado; sem _nw, a carteira não tem exatamente um número exclusivo; ou não há número WhatsApp compartilhado ou de prospecção.",
    action:
      "Peça o cadastro do remetente, informe o número exclusivo com _nw, ou escolha outro canal no nome.",
  },
  TEMPLATE_INEXISTENTE: {
    meaning:
      "O template do _nt não está cadastrado (nem para a carteira, nem para todas as carteiras), ou, sem _nt, a carteira não tem template WhatsApp padrão.",
    action:
      "Confira o nome exato do template (maiúsculas e espaços contam), informe-o com _nt, ou peça o cadastro do template ou de um padrão para a carteira.",
  },
  CONTA_EMAIL_INEXISTENTE: {
    meaning:
      "A conta de e-mail do _ce não está cadastrada na empresa (maiúsculas e minúsculas tanto faz no endereço).",
    action:
      "Corrija o endereço ou peça o cadastro da conta. Sem _ce, o e-mail sai pela conta ativa da carteira ou, sem ela, pela conta padrão da plataforma.",
  },
  BASE_LEGAL_AUSENTE: {
    meaning:
      "A empresa exige uma base legal da LGPD (art. 7º ou 11) em cada carteira antes de importar, e a carteira do arquivo não tem uma. Nada foi importado.",
    action:
      "Cadastre a base legal da carteira (bin/remessa wallets legal-basis CÓDIGO --basis BASE; veja as bases com bin/remessa wallets legal-basis --help) e envie o arquivo de novo.",
  },
};
