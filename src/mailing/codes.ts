/**
 * What each file-level and row-level code of the mailing reader means and what to do about it,
 * in pt-BR, for docs/codigos.md (see src/codes.ts). The reader's messages (messages.ts, the
 * per-row texts) say the same for the case at hand; these are the general texts. Records over the
 * unions in types.ts: a new code needs its entry to compile.
 */
import type { CodeGuide } from "../codes.js";
import { MAX_COLUMNS, MAX_RECORD_CHARS } from "./csv.js";
import { FILE_CONTACTS_TRACKED } from "./records.js";
import type { FileErrorCode, RowRejectCode } from "./types.js";
import { DEFAULT_ZIP_LIMITS, MAX_ENTRIES } from "./zip.js";

const count = (n: number): string => n.toLocaleString("pt-BR");

export const FILE_CODE_GUIDE: Readonly<Record<FileErrorCode, CodeGuide>> = {
  ARQUIVO_VAZIO: {
    meaning:
      "O arquivo não tem nenhum conteúdo, ou só tem o cabeçalho, sem nenhuma linha de contato (linhas em branco não contam).",
    action: "Gere o arquivo de novo com o cabeçalho e as linhas de contato e envie.",
  },
  ARQUIVO_ILEGIVEL: {
    meaning: `O conteúdo não é um texto CSV: uma planilha do Excel (.xlsx ou .xls, mesmo renomeada para .csv), um PDF, um arquivo gzip, um texto UTF-16 ("Texto Unicode" do Excel), bytes binários ou um byte nulo em qualquer ponto; ou a primeira linha não termina em até ${count(MAX_RECORD_CHARS)} caracteres.`,
    action:
      'No Excel, use "Salvar como" > "CSV UTF-8" (ou "CSV (separado por vírgulas)") e envie esse arquivo. Se o arquivo vem de um sistema, exporte-o de novo como texto CSV.',
  },
  COLUNAS_OBRIGATORIAS: {
    meaning:
      "O cabeçalho não tem as colunas TIPO_DE_REGISTRO e VALOR_DO_REGISTRO (uma linha por contato) nem nenhuma coluna de contato TELEFONE, CELULAR, FONE ou EMAIL (uma linha por pessoa). A mensagem lista as colunas encontradas.",
    action:
      "Confira se a primeira linha do arquivo é o cabeçalho e se os nomes das colunas estão escritos como em docs/conteudo.md.",
  },
  SEM_LINHAS_VALIDAS: {
    meaning: "Nenhuma das linhas do arquivo pôde ser importada: todas foram rejeitadas.",
    action:
      "Veja o motivo de cada linha no .rejeitados.csv ao lado do arquivo em DESCARTADOS (ou com bin/remessa inspect ARQUIVO), corrija o arquivo e envie de novo.",
  },
  REJEICAO_EXCESSIVA: {
    meaning:
      "A parte das linhas rejeitadas por erro passou do limite da empresa (por padrão, metade das linhas). Contatos repetidos (DUPLICADO) e na lista de restrição (RESTRITO) não entram nessa conta. Tantos erros costumam indicar colunas trocadas ou um arquivo exportado errado, então nada é importado.",
    action:
      "Confira se as colunas estão no lugar certo e se o arquivo é o certo: as linhas rejeitadas, com o número da linha e o motivo, estão no .rejeitados.csv ao lado do arquivo em DESCARTADOS (ou em bin/remessa inspect ARQUIVO). Corrija e envie de novo.",
  },
  ARQUIVO_GRANDE: {
    meaning:
      "O arquivo passa do tamanho máximo aceito (1 GiB por padrão, REMESSA_MAX_FILE_BYTES). Ele é descartado pelo tamanho, sem ser copiado nem lido; na caixa FTPS, o envio já é interrompido quando passa do limite.",
    action:
      "Divida os contatos em vários arquivos, com sequências diferentes no nome, ou envie o mailing compactado em .zip.",
  },
  ZIP_INVALIDO: {
    meaning:
      "O .zip não abre (corrompido ou incompleto), tem dentro um arquivo que não é .csv nem .txt, ou usa um método de compressão diferente do padrão (Deflate).",
    action:
      'Compacte de novo só os arquivos .csv ou .txt do mailing, com o compactador padrão (no Windows, "Enviar para" > "Pasta compactada"), e envie.',
  },
  ZIP_PERIGOSO: {
    meaning: `O .zip foi recusado por segurança: tem senha, caminhos que saem da pasta (absolutos ou com ..), links simbólicos, outro arquivo compactado dentro, mais de ${count(MAX_ENTRIES)} arquivos, um item que se expande mais de ${DEFAULT_ZIP_LIMITS.maxRatio} vezes, ou conteúdo que descompactado passaria de ${DEFAULT_ZIP_LIMITS.maxUnpackedBytes / 1024 ** 3} GiB.`,
    action:
      "Compacte só os arquivos .csv ou .txt do mailing, sem senha, e envie. Um mailing maior que o limite precisa ser dividido em vários arquivos.",
  },
  ZIP_SEM_MAILING: {
    meaning:
      "O .zip não tem nenhum arquivo .csv ou .txt (pastas e arquivos do macOS como __MACOSX e .DS_Store são ignorados).",
    action: "Coloque dentro do .zip o mailing em .csv ou .txt e envie de novo.",
  },
  LINHA_LONGA: {
    meaning: `Uma linha tem mais de ${count(MAX_RECORD_CHARS)} caracteres, o limite por linha. O arquivo não é lido além dela. Costuma ser um arquivo sem quebras de linha ou com aspas abertas que engolem o resto do arquivo.`,
    action:
      "Confira se o arquivo tem uma quebra de linha no fim de cada registro e se as aspas de cada campo estão fechadas, gere-o de novo e envie.",
  },
  COLUNAS_DEMAIS: {
    meaning: `O cabeçalho tem mais de ${count(MAX_COLUMNS)} colunas, o limite (o mesmo do Excel). Numa linha de dados, o mesmo código rejeita só aquela linha (veja em Linhas rejeitadas).`,
    action:
      "Deixe no arquivo só as colunas do mailing (apague as colunas vazias ou sobrando no fim da planilha) e envie de novo.",
  },
};

export const ROW_CODE_GUIDE: Readonly<Record<RowRejectCode, CodeGuide>> = {
  TIPO_INVALIDO: {
    meaning:
      "Com uma linha por contato: o TIPO_DE_REGISTRO está vazio ou não é TELEFONE, CELULAR, FONE, EMAIL ou E-MAIL.",
    action: "Preencha o tipo com um desses valores (maiúsculas, acentos e espaços tanto faz).",
  },
  VALOR_VAZIO: {
    meaning:
      "Com uma linha por contato: o VALOR_DO_REGISTRO está vazio. Com uma linha por pessoa: nenhuma coluna de contato da linha está preenchida.",
    action: "Preencha o telefone com DDD ou o e-mail, ou apague a linha.",
  },
  TELEFONE_INVALIDO: {
    meaning:
      "O telefone não vira um número do Brasil com DDD + número (10 ou 11 dígitos): dígitos de menos ou de mais, texto no meio dos dígitos, notação científica do Excel (1,19E+10), código de país diferente de +55 ou discagem internacional (00). Com _h, também um número que não pode existir (por exemplo 9 dígitos que não começam com 9).",
    action:
      "Corrija o número no formato (11) 98765-4321. Na planilha, formate a coluna de telefones como texto antes de salvar, para o Excel não mudar os números.",
  },
  DDD_INVALIDO: {
    meaning:
      "Só com _h: o DDD do telefone não existe no Brasil. (Sem _h, um DDD que não existe é aceito; um DDD começando com 0 é sempre recusado, como TELEFONE_INVALIDO.)",
    action: "Corrija o DDD do telefone.",
  },
  EMAIL_INVALIDO: {
    meaning:
      "O e-mail está vazio, não tem exatamente um @ com texto dos dois lados, ou passa de 254 caracteres. Com _h, a sintaxe inteira é conferida: espaços, acentos antes do @, pontos repetidos, domínio sem ponto, entre outros.",
    action: "Corrija o endereço no formato nome@empresa.com.br.",
  },
  DOCUMENTO_INVALIDO: {
    meaning:
      "O CPFCNPJ tem mais de 14 letras e números, está zerado, está em notação científica do Excel, é um CPF (até 11 caracteres) com letras, ou é um CNPJ com letra nos 2 últimos caracteres. Pontos, traços e barras são ignorados e os zeros à esquerda que a planilha tirou são repostos. Com _h, também são recusados documentos com todos os dígitos iguais ou com dígito verificador errado (inclusive o CNPJ alfanumérico). O campo fica em branco e a linha e o contato são importados; o .rejeitados.csv registra a linha.",
    action:
      "Corrija o documento, ou deixe a coluna vazia quando a pessoa não tiver. Na planilha, formate a coluna como texto para não perder os zeros à esquerda.",
  },
  CAMPO_LONGO: {
    meaning:
      "Um campo passa do tamanho máximo: CODCLIENTE 100 caracteres, NOME_CLIENTE 300, CORINGA1 a CORINGA4 300, CORINGA5 3000. O campo fica em branco e a linha e o contato são importados; o .rejeitados.csv registra a linha.",
    action: "Encurte o campo. A mensagem diz qual campo e quantos caracteres ele tem.",
  },
  PRIORIDADE_INVALIDA: {
    meaning:
      "A PRIORIDADE não é ALTA, MEDIA, BAIXA, 1, 2 ou 3. O campo fica em branco e a linha e o contato são importados; o .rejeitados.csv registra a linha.",
    action: "Use um desses valores, ou deixe a coluna vazia.",
  },
  COLUNAS_INCONSISTENTES: {
    meaning:
      "A linha tem um número de colunas diferente do cabeçalho, ou tem aspas abertas que não fecham. Colunas vazias sobrando no fim da linha não contam.",
    action:
      'Confira se algum campo tem o separador (; , TAB ou |) sem estar entre aspas, e se cada campo entre aspas termina com outra aspa (uma aspa dentro do campo se escreve "").',
  },
  COLUNAS_DEMAIS: {
    meaning: `A linha tem mais de ${count(MAX_COLUMNS)} colunas, o limite por linha.`,
    action:
      "Confira se algum campo tem o separador sem estar entre aspas, ou apague as colunas sobrando.",
  },
  DUPLICADO: {
    meaning: `Só com _h: o contato se repete para a mesma pessoa (na mesma linha ou em qualquer outra linha do arquivo, em qualquer ordem) e a repetição foi ignorada. Sem _h a repetição é juntada sem aviso. Num arquivo com mais de ${count(FILE_CONTACTS_TRACKED)} contatos, uma repetição longe das outras linhas da pessoa pode não ser apontada (o contato é gravado uma vez só do mesmo jeito).`,
    action: "Nada a fazer: a pessoa foi importada com o contato uma vez só.",
  },
  RESTRITO: {
    meaning:
      "Só com _h: o telefone ou e-mail está na lista de restrição da carteira (quem pediu para não receber mensagens) e foi retirado.",
    action: "Nada a fazer: o contato não pode receber mensagens desta carteira.",
  },
};
