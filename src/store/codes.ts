/**
 * Codes of the import writer's own refusals (not the reader's), with what each means and what to
 * do, in pt-BR, for docs/codigos.md (see src/codes.ts).
 */
import type { CodeGuide } from "../codes.js";

/** The database refused a value of the file (see `isDataRejection` in errors.ts). */
export type DataRefusalCode = "DADOS_RECUSADOS";

export const STORE_CODE_GUIDE: Readonly<Record<DataRefusalCode, CodeGuide>> = {
  DADOS_RECUSADOS: {
    meaning:
      "O banco de dados recusou um valor do arquivo: um valor longo demais para ser gravado (um código de cliente, documento ou contato com milhares de caracteres, por exemplo) ou um texto com caracteres que ele não aceita. O arquivo inteiro é descartado: nada é importado pela metade.",
    action:
      "Procure no arquivo o valor fora do comum que a mensagem descreve, corrija e envie de novo.",
  },
};
