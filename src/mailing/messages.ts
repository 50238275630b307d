/** pt-BR texts of file-level errors: each says what is wrong and how to fix it. */
import type { FileError } from "./types.js";

const MiB = 1024 * 1024;

function size(bytes: number): string {
  if (bytes >= 1024 * MiB) return `${(bytes / (1024 * MiB)).toFixed(1).replace(".", ",")} GB`;
  if (bytes >= MiB) return `${(bytes / MiB).toFixed(1).replace(".", ",")} MB`;
  return `${bytes} bytes`;
}

export const fileErrors = {
  empty: (): FileError => ({
    code: "ARQUIVO_VAZIO",
    message:
      "O arquivo está vazio: envie um CSV com o cabeçalho (TIPO_DE_REGISTRO;VALOR_DO_REGISTRO;...) e ao menos uma linha de contato.",
  }),
  headerOnly: (): FileError => ({
    code: "ARQUIVO_VAZIO",
    message:
      "O arquivo só tem o cabeçalho, sem nenhuma linha de contato: inclua as linhas com os telefones ou e-mails e envie de novo.",
  }),
  unreadable: (detail: string): FileError => ({
    code: "ARQUIVO_ILEGIVEL",
    message: `Não foi possível ler o arquivo (${detail}). Envie um arquivo de texto CSV ou TXT.`,
  }),
  notText: (
    kind: "xlsx" | "xls" | "pdf" | "utf16" | "gzip" | "binary",
    entry?: string,
  ): FileError => {
    const where = entry ? ` "${entry}"` : "";
    const what: Record<typeof kind, string> = {
      xlsx: `O arquivo${where} é uma planilha do Excel (.xlsx) ou um zip com outra extensão, não um texto CSV. No Excel, use "Salvar como" > "CSV (separado por vírgulas)" ou "CSV UTF-8" e envie esse arquivo.`,
      xls: `O arquivo${where} é uma planilha do Excel (.xls), não um texto CSV. No Excel, use "Salvar como" > "CSV UTF-8" e envie esse arquivo.`,
      pdf: `O arquivo${where} é um PDF, não um texto CSV. Exporte os contatos da planilha ou do sistema de origem em formato CSV.`,
      gzip: `O arquivo${where} está compactado em gzip. Descompacte-o ou envie-o como .zip.`,
      utf16: `O arquivo${where} está em UTF-16 ("Texto Unicode" do Excel), que não é aceito. No Excel, use "Salvar como" > "CSV UTF-8".`,
      binary: `O arquivo${where} não é texto (contém bytes binários). Envie um arquivo CSV ou TXT salvo como texto.`,
    };
    return { code: "ARQUIVO_ILEGIVEL", message: what[kind] };
  },
  missingColumns: (missing: string[], found: string[], entry?: string): FileError => ({
    code: "COLUNAS_OBRIGATORIAS",
    message: `${entry ? `No arquivo "${entry}", f` : "F"}altam as colunas obrigatórias ${missing.join(" e ")}. Colunas encontradas no cabeçalho: ${
      found.length > 0 ? found.slice(0, 20).join(", ") : "nenhuma"
    }. A primeira linha deve ser o cabeçalho, por exemplo TIPO_DE_REGISTRO;VALOR_DO_REGISTRO;NOME_CLIENTE;CPFCNPJ — ou, com uma linha por pessoa, colunas TELEFONE, CELULAR ou EMAIL.`,
  }),
  nulByte: (offset: number, entry?: string): FileError => ({
    code: "ARQUIVO_ILEGIVEL",
    message: `O arquivo${entry ? ` "${entry}"` : ""} tem um byte nulo (0x00) na posição ${offset.toLocaleString("pt-BR")}: texto não tem esse byte, então o arquivo está corrompido ou não é um CSV. Gere o arquivo de novo (salvo como texto CSV) e envie outra vez.`,
  }),
  headerTooLong: (): FileError => ({
    code: "ARQUIVO_ILEGIVEL",
    message:
      "Não foi encontrado um cabeçalho legível (a primeira linha é longa demais ou não termina). Confira se o arquivo é um CSV com uma linha por registro.",
  }),
  lineTooLong: (line: number, limit: number, entry?: string): FileError => ({
    code: "LINHA_LONGA",
    message: `${entry ? `No arquivo "${entry}", a` : "A"} linha ${line.toLocaleString("pt-BR")} tem mais de ${limit.toLocaleString("pt-BR")} caracteres, o limite por linha, e o arquivo não foi lido além dela. Um mailing tem uma linha por registro, de poucos milhares de caracteres: confira se o arquivo é mesmo um CSV com uma quebra de linha no fim de cada registro (ou se as aspas de um campo não ficaram abertas) e gere-o de novo.`,
  }),
  tooManyColumns: (limit: number, entry?: string): FileError => ({
    code: "COLUNAS_DEMAIS",
    message: `${entry ? `No arquivo "${entry}", o` : "O"} cabeçalho tem mais de ${limit.toLocaleString("pt-BR")} colunas, o limite. Deixe no arquivo só as colunas do mailing (apague as colunas vazias ou sobrando no fim da planilha) e envie de novo.`,
  }),
  noValidRows: (rows: number): FileError => ({
    code: "SEM_LINHAS_VALIDAS",
    message:
      rows === 1
        ? "A única linha do arquivo não pôde ser importada. Veja o motivo no relatório de rejeitados, corrija a linha e envie de novo."
        : `Nenhuma das ${count(rows)} linhas do arquivo pôde ser importada. Veja os motivos no relatório de rejeitados, corrija as linhas e envie de novo.`,
  }),
  tooManyRejected: (rejected: number, rows: number, ratio: number): FileError => ({
    code: "REJEICAO_EXCESSIVA",
    message: `${count(rejected)} de ${count(rows)} ${rows === 1 ? "linha" : "linhas"} (${percent(rejected / rows)}) ${rejected === 1 ? "foi rejeitada" : "foram rejeitadas"}, acima do limite de ${percent(ratio)}. Isso costuma indicar colunas trocadas ou um arquivo exportado errado: confira os motivos no relatório de rejeitados, corrija e envie de novo.`,
  }),
  tooLarge: (bytes: number, limit: number): FileError => ({
    code: "ARQUIVO_GRANDE",
    message: `O arquivo tem ${size(bytes)}, acima do limite de ${size(limit)}. Divida os contatos em vários arquivos (com sequências diferentes no nome) ou envie-o compactado em .zip.`,
  }),
  zipInvalid: (detail: string): FileError => ({
    code: "ZIP_INVALIDO",
    message: `O zip não pôde ser aberto ou contém algo não aceito: ${detail}`,
  }),
  zipDangerous: (detail: string): FileError => ({
    code: "ZIP_PERIGOSO",
    message: `O zip foi recusado por segurança: ${detail}`,
  }),
  zipNoMailing: (): FileError => ({
    code: "ZIP_SEM_MAILING",
    message:
      "O zip não contém nenhum arquivo .csv ou .txt. Coloque o mailing (CSV ou TXT) dentro do zip e envie de novo.",
  }),
};

function count(n: number): string {
  return n.toLocaleString("pt-BR");
}

function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(ratio < 0.1 ? 1 : 0).replace(".", ",")}%`;
}

export { percent as formatPercent, size as formatSize };
