/**
 * `<name>.resultado.txt` beside an accepted file (SPEC §2.2), in pt-BR,
 * built only from what the pipeline persisted (the mailing row and its
 * campaigns), so a report written after a crash and restart reads the same.
 * The `.erro.txt` and `.rejeitados.csv` texts come from src/mailing/reports.ts.
 */

export interface CampaignLine {
  channel: string;
  mode: string | null;
  startAt: string;
  deadlineAt: string | null;
  audience: number;
  waves: number;
}

const REJECT_LABEL: Record<string, string> = {
  TIPO_INVALIDO: "tipo de registro inválido",
  VALOR_VAZIO: "valor vazio",
  TELEFONE_INVALIDO: "telefone inválido",
  DDD_INVALIDO: "DDD inválido",
  EMAIL_INVALIDO: "e-mail inválido",
  DOCUMENTO_INVALIDO: "CPF/CNPJ inválido",
  CAMPO_LONGO: "campo longo demais",
  PRIORIDADE_INVALIDA: "prioridade inválida",
  COLUNAS_INCONSISTENTES: "número de colunas diferente do cabeçalho",
  DUPLICADO: "duplicado",
  RESTRITO: "na lista de restrição",
};

export function resultReportText(input: {
  fileName: string;
  movedTo: string;
  seenAt: string;
  wallet: string | null;
  description: string | null;
  rows: number;
  persons: number;
  inserted: number;
  updated: number;
  rejectedRows: number;
  rejectedByCode: Record<string, number>;
  campaigns: CampaignLine[];
  rejectedReport: string | null;
}): string {
  const lines = [
    `Arquivo: ${input.fileName}`,
    `Recebido em: ${input.seenAt}`,
    `Resultado: IMPORTADO (movido para ${input.movedTo})`,
  ];
  if (input.wallet) lines.push(`Carteira: ${input.wallet}`);
  if (input.description) lines.push(`Descrição: ${input.description}`);
  lines.push(
    "",
    `Linhas lidas: ${input.rows}`,
    `Pessoas importadas: ${input.persons} (${input.inserted} novas, ${input.updated} atualizadas)`,
    `Linhas rejeitadas: ${input.rejectedRows}`,
  );
  const codes = Object.entries(input.rejectedByCode).filter(([, n]) => n > 0);
  codes.sort((a, b) => b[1] - a[1]);
  for (const [code, count] of codes) {
    lines.push(`  - ${REJECT_LABEL[code] ?? code} [${code}]: ${count}`);
  }
  if (input.rejectedReport) {
    lines.push(`As linhas rejeitadas, com o motivo de cada uma, estão em ${input.rejectedReport}.`);
  }
  lines.push("");
  if (input.campaigns.length === 0) {
    lines.push("Campanhas: nenhuma (o nome do arquivo não pede SMS, WhatsApp nem e-mail).");
  } else {
    lines.push("Campanhas criadas:");
    for (const c of input.campaigns) {
      const mode = c.mode ? ` ${c.mode}` : "";
      const deadline = c.deadlineAt ? `, prazo limite ${c.deadlineAt}` : "";
      const waves = c.waves > 1 ? ` em ${c.waves} ondas` : "";
      lines.push(
        `  - ${c.channel}${mode}: ${c.audience} pessoas${waves}, início ${c.startAt}${deadline}`,
      );
    }
  }
  lines.push("");
  return lines.join("\n");
}
