/**
 * The parameters a mailing file name may carry (SPEC §3), in canonical
 * (table) order. One place for their keys, so the parser, the formatter and
 * the messages agree.
 */

/** Tokens that are a whole parameter on their own (matched case-insensitively). */
export const EXACT_TOKENS = [
  "h",
  "smslong",
  "smsshort",
  "whatsappexclusivo",
  "whatsappcompartilhado",
  "whatsappprospect",
  "email",
  "limpartag",
  "removercarteiras",
] as const;
export type ExactToken = (typeof EXACT_TOKENS)[number];

/** Keys followed by a value. `LE` is written in upper case in canonical names. */
export const VALUE_KEYS = ["c", "d", "nw", "nt", "ce", "te", "i", "q", "x", "LE"] as const;
export type ValueKey = (typeof VALUE_KEYS)[number];

export type ParamKey = ExactToken | ValueKey;

/** Canonical order of the table in SPEC §3. */
export const CANONICAL_ORDER: readonly ParamKey[] = [
  "c",
  "d",
  "h",
  "smslong",
  "smsshort",
  "whatsappexclusivo",
  "whatsappcompartilhado",
  "whatsappprospect",
  "nw",
  "nt",
  "email",
  "ce",
  "te",
  "i",
  "q",
  "x",
  "limpartag",
  "removercarteiras",
  "LE",
];

/** Keys whose value must start with a digit; otherwise the token is not that parameter. */
export const DIGIT_KEYS: ReadonlySet<ValueKey> = new Set<ValueKey>(["i", "q", "x", "LE"]);

/** What each parameter is for, in pt-BR, for messages and the CLI explanation. */
export const PARAM_LABEL: Record<ParamKey, string> = {
  c: "carteira (_c)",
  d: "descrição (_d)",
  h: "higienização (_h)",
  smslong: "campanha SMS long code (_smslong)",
  smsshort: "campanha SMS short code (_smsshort)",
  whatsappexclusivo: "campanha WhatsApp número exclusivo (_whatsappexclusivo)",
  whatsappcompartilhado: "campanha WhatsApp número compartilhado (_whatsappcompartilhado)",
  whatsappprospect: "campanha WhatsApp Prospect (_whatsappprospect)",
  nw: "número WhatsApp de saída (_nw)",
  nt: "template WhatsApp (_nt)",
  email: "campanha de e-mail (_email)",
  ce: "conta de e-mail (_ce)",
  te: "assunto do e-mail (_te)",
  i: "início da campanha (_i)",
  q: "envio em ondas (_q)",
  x: "exclusão por contato recente (_x)",
  limpartag: "substituição de tags (_limpartag)",
  removercarteiras: "remoção das outras carteiras (_removercarteiras)",
  LE: "prazo limite de envio (_LE)",
};

/** How each value is written, in pt-BR, for "how to fix it" hints. */
export const VALUE_FORMAT: Record<ValueKey, string> = {
  c: "_c seguido do código da carteira, ex.: _cBRAD",
  d: "_d seguido da descrição, sem o caractere _, ex.: _dRégua 60 dias",
  nw: "_nw seguido de 10 a 13 dígitos, ex.: _nw11998877665",
  nt: "_nt seguido do nome do template, ex.: _ntAVISO COBRANCA",
  ce: "_ce seguido do endereço da conta, ex.: _ceaviso@empresa.com.br",
  te: "_te seguido do assunto, ex.: _teSua fatura chegou",
  i: "_i seguido de DDMMAAHHMM, ex.: _i2611260830 para 26/11/26 às 08:30",
  q: "_q seguido de 5 dígitos: 2 para o % por onda (01 a 99) e 3 para os minutos entre ondas (001 a 999), ex.: _q15020",
  x: "_x seguido de 1 a 3 dígitos com as horas (mínimo 1), ex.: _x36",
  LE: "_LE seguido de DDMMAAHHMM, ex.: _LE2611261800 para 26/11/26 às 18:00",
};

export const EXTENSIONS = ["csv", "txt", "zip"] as const;
