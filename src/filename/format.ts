import { isDeepStrictEqual } from "node:util";
import { formatDdmmyy, formatDdmmyyhhmm } from "./datetime.js";
import { PARAM_LABEL, type ParamKey } from "./grammar.js";
import { parse } from "./parse.js";
import type { Mailing, NameError, ParseContext } from "./types.js";

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/** The parameter tokens of a mailing, in canonical (SPEC §3 table) order, without `_d`. */
function tokensWithoutDescription(m: Mailing): string[] {
  const tokens: string[] = [];
  if (m.walletFrom === "name" && m.wallet !== null) tokens.push(`c${m.wallet}`);
  if (m.sanitize) tokens.push("h");
  if (m.sms) tokens.push(m.sms === "long" ? "smslong" : "smsshort");
  if (m.whatsapp) {
    tokens.push(`whatsapp${m.whatsapp.mode}`);
    if (m.whatsapp.number !== null) tokens.push(`nw${m.whatsapp.number}`);
    if (m.whatsapp.template !== null) tokens.push(`nt${m.whatsapp.template}`);
  }
  if (m.email) {
    tokens.push("email");
    if (m.email.account !== null) tokens.push(`ce${m.email.account}`);
    if (m.email.subject !== null) tokens.push(`te${m.email.subject}`);
  }
  if (m.start !== null) tokens.push(`i${formatDdmmyyhhmm(m.start)}`);
  if (m.split) tokens.push(`q${pad(m.split.percent, 2)}${pad(m.split.everyMinutes, 3)}`);
  if (m.excludeRecentHours !== null) tokens.push(`x${m.excludeRecentHours}`);
  if (m.replaceTags) tokens.push("limpartag");
  if (m.removeOtherWallets) tokens.push("removercarteiras");
  if (m.deadline !== null) tokens.push(`LE${formatDdmmyyhhmm(m.deadline)}`);
  return tokens;
}

/** The description a mailing gets when its name has no `_d`: its canonical name without `_d`. */
export function defaultDescription(m: Mailing): string {
  const tokens = [
    "mailing",
    formatDdmmyy(m.date),
    String(m.sequence),
    ...tokensWithoutDescription(m),
  ];
  return `${tokens.join("_")}.${m.extension}`;
}

/**
 * The canonical file name of a mailing: lower-case prefix and keys (`LE` upper),
 * parameters in table order, sequence without leading zeros. `_d` is written
 * only when the description differs from the name itself (its default); a
 * description containing "_" can only be such a default (of a name written
 * differently) and is not written either.
 */
export function format(m: Mailing): string {
  const withoutDescription = defaultDescription(m);
  if (m.description === withoutDescription || m.description.includes("_")) {
    return withoutDescription;
  }
  const tokens = tokensWithoutDescription(m);
  const walletTokens = m.walletFrom === "name" && m.wallet !== null ? 1 : 0;
  tokens.splice(walletTokens, 0, `d${m.description}`);
  return `${["mailing", formatDdmmyy(m.date), String(m.sequence), ...tokens].join("_")}.${m.extension}`;
}

/** Characters a value may not carry: the separator, path separators, what Windows servers refuse. */
const FORBIDDEN = /[_/\\:*?"<>|\p{Cc}]/u;

function valueProblems(m: Mailing): NameError[] {
  const values: [ParamKey, string | null][] = [
    ["c", m.walletFrom === "name" ? m.wallet : null],
    ["nw", m.whatsapp?.number ?? null],
    ["nt", m.whatsapp?.template ?? null],
    ["ce", m.email?.account ?? null],
    ["te", m.email?.subject ?? null],
  ];
  const problems: NameError[] = [];
  for (const [key, value] of values) {
    if (value !== null && FORBIDDEN.test(value)) {
      problems.push({
        code: "VALOR_INVALIDO",
        param: key,
        message: `O valor de ${PARAM_LABEL[key]} ("${value}") contém um caractere que não pode ir no nome do arquivo (_ / \\ : * ? " < > |). Troque ou remova esse caractere.`,
      });
    }
  }
  return problems;
}

export interface BuildResult {
  ok: boolean;
  name: string | null;
  errors: NameError[];
}

/**
 * Builds the canonical name of a mailing and refuses, with the same codes as
 * `parse`, any name that `parse` would reject in this context — or that would
 * read back as something other than what was asked for.
 */
export function buildName(m: Mailing, context: ParseContext): BuildResult {
  const problems = valueProblems(m);
  // A description with "_" can only be the default one (the name itself).
  if (m.description.includes("_") && m.description !== format(m)) {
    problems.push({
      code: "VALOR_INVALIDO",
      param: "d",
      message: `A descrição ("${m.description}") não pode conter o caractere "_". Troque-o por espaço ou hífen.`,
    });
  }
  if (problems.length > 0) return { ok: false, name: null, errors: problems };
  const name = format(m);
  const parsed = parse(name, context);
  if (!parsed.ok) return { ok: false, name: null, errors: parsed.errors };
  if (!isDeepStrictEqual(parsed.mailing, m)) {
    return {
      ok: false,
      name: null,
      errors: [
        {
          code: "VALOR_INVALIDO",
          param: null,
          message: `O nome montado (${name}) seria lido de outra forma: confira os valores informados (por exemplo, um código de carteira que começa com "e" e contém "@" seria lido como conta de e-mail).`,
        },
      ],
    };
  }
  return { ok: true, name, errors: [] };
}
