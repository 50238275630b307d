/**
 * LGPD legal bases (Lei 13.709/2018): the hypotheses of art. 7 (personal data)
 * and art. 11 (sensitive data) under which a tenant holds a wallet's people.
 * The code is what the operator types (`wallets legal-basis CODE --basis X`)
 * and what is stored on the wallet and on each mailing; the label is what a
 * DPO reads.
 */

export interface LegalBasis {
  /** The provision: "art. 7º, IX". */
  article: string;
  /** pt-BR label. */
  label: string;
  /** Whether it is a basis for sensitive data (art. 11). */
  sensitive: boolean;
}

export const LEGAL_BASES = {
  consentimento: {
    article: "art. 7º, I",
    label: "Consentimento do titular",
    sensitive: false,
  },
  "obrigacao-legal": {
    article: "art. 7º, II",
    label: "Cumprimento de obrigação legal ou regulatória",
    sensitive: false,
  },
  "politicas-publicas": {
    article: "art. 7º, III",
    label: "Execução de políticas públicas pela administração pública",
    sensitive: false,
  },
  pesquisa: {
    article: "art. 7º, IV",
    label: "Realização de estudos por órgão de pesquisa",
    sensitive: false,
  },
  contrato: {
    article: "art. 7º, V",
    label: "Execução de contrato ou de procedimentos preliminares a pedido do titular",
    sensitive: false,
  },
  "exercicio-direitos": {
    article: "art. 7º, VI",
    label: "Exercício regular de direitos em processo judicial, administrativo ou arbitral",
    sensitive: false,
  },
  "protecao-vida": {
    article: "art. 7º, VII",
    label: "Proteção da vida ou da incolumidade física do titular ou de terceiro",
    sensitive: false,
  },
  "tutela-saude": {
    article: "art. 7º, VIII",
    label: "Tutela da saúde, por profissionais ou serviços de saúde ou autoridade sanitária",
    sensitive: false,
  },
  "interesse-legitimo": {
    article: "art. 7º, IX",
    label: "Interesse legítimo do controlador ou de terceiro",
    sensitive: false,
  },
  "protecao-credito": {
    article: "art. 7º, X",
    label: "Proteção do crédito",
    sensitive: false,
  },
  "sensivel-consentimento": {
    article: "art. 11, I",
    label: "Dados sensíveis: consentimento específico e destacado do titular",
    sensitive: true,
  },
  "sensivel-obrigacao-legal": {
    article: "art. 11, II, a",
    label: "Dados sensíveis: cumprimento de obrigação legal ou regulatória",
    sensitive: true,
  },
  "sensivel-politicas-publicas": {
    article: "art. 11, II, b",
    label: "Dados sensíveis: execução de políticas públicas pela administração pública",
    sensitive: true,
  },
  "sensivel-pesquisa": {
    article: "art. 11, II, c",
    label: "Dados sensíveis: realização de estudos por órgão de pesquisa",
    sensitive: true,
  },
  "sensivel-exercicio-direitos": {
    article: "art. 11, II, d",
    label: "Dados sensíveis: exercício regular de direitos, inclusive em contrato e em processo",
    sensitive: true,
  },
  "sensivel-protecao-vida": {
    article: "art. 11, II, e",
    label: "Dados sensíveis: proteção da vida ou da incolumidade física",
    sensitive: true,
  },
  "sensivel-tutela-saude": {
    article: "art. 11, II, f",
    label: "Dados sensíveis: tutela da saúde",
    sensitive: true,
  },
  "sensivel-prevencao-fraude": {
    article: "art. 11, II, g",
    label:
      "Dados sensíveis: prevenção à fraude e segurança do titular em identificação e autenticação",
    sensitive: true,
  },
} as const satisfies Record<string, LegalBasis>;

export type LegalBasisCode = keyof typeof LEGAL_BASES;

export const LEGAL_BASIS_CODES = Object.keys(LEGAL_BASES) as LegalBasisCode[];

export function isLegalBasisCode(code: string): code is LegalBasisCode {
  return Object.hasOwn(LEGAL_BASES, code);
}

/** "Proteção do crédito (art. 7º, X)", or the code itself for one not (or no longer) listed. */
export function describeLegalBasis(code: string): string {
  if (!isLegalBasisCode(code)) return code;
  const basis: LegalBasis = LEGAL_BASES[code];
  return `${basis.label} (${basis.article})`;
}

/** The list for help texts: one "  code  label (article)" per line. */
export function legalBasisHelp(): string {
  const width = Math.max(...LEGAL_BASIS_CODES.map((c) => c.length));
  return LEGAL_BASIS_CODES.map((c) => `  ${c.padEnd(width)}  ${describeLegalBasis(c)}`).join("\n");
}
