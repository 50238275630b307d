import { firstControl, showControl } from "./control.js";
import {
  displayDate,
  displayDateTime,
  isAllDigits,
  parseDdmmyy,
  parseDdmmyyhhmm,
} from "./datetime.js";
import {
  DIGIT_KEYS,
  EXACT_TOKENS,
  EXTENSIONS,
  type ExactToken,
  PARAM_LABEL,
  type ParamKey,
  VALUE_FORMAT,
  type ValueKey,
} from "./grammar.js";
import { MAX_NAME_BYTES } from "./length.js";
import type {
  Extension,
  Mailing,
  NameError,
  NameErrorCode,
  NameFacts,
  ParseContext,
  ParseResult,
  SmsRoute,
  WhatsappMode,
} from "./types.js";

const EXACT = new Set<string>(EXACT_TOKENS);
const PREFIX = "mailing";

/** Error codes after which the name cannot be represented as a `Mailing`. */
const LEXICAL: ReadonlySet<NameErrorCode> = new Set<NameErrorCode>([
  "NOME_INVALIDO",
  "NOME_LONGO",
  "PREFIXO",
  "DATA_INVALIDA",
  "SEQUENCIA_INVALIDA",
  "EXTENSAO",
  "PARAMETRO_DESCONHECIDO",
  "PARAMETRO_REPETIDO",
  "PARAMETRO_VAZIO",
  "VALOR_INVALIDO",
]);

interface Token {
  key: ParamKey;
  /** The value after the key (empty for exact tokens). */
  value: string;
  /** The token as written, for messages. */
  raw: string;
}

type Classified = Token | { unknown: string } | { empty: ValueKey; raw: string };

/** Decides which parameter a token is (SPEC §3 disambiguation). */
function classify(raw: string): Classified {
  const lower = raw.toLowerCase();
  if (EXACT.has(lower)) return { key: lower as ExactToken, value: "", raw };
  const keyed = (key: ValueKey, length: number): Classified => {
    const value = raw.slice(length);
    if (value === "") return { empty: key, raw };
    if (DIGIT_KEYS.has(key)) {
      const first = value.charCodeAt(0);
      if (first < 48 || first > 57) return { unknown: raw };
    }
    return { key, value, raw };
  };
  // Two-letter keys first; `ce` is the e-mail account only when its value has `@`,
  // otherwise the token is a wallet code starting with E (e.g. `cEXPRESSO`).
  if (lower.startsWith("ce") && raw.slice(2).includes("@")) return keyed("ce", 2);
  if (lower.startsWith("nw")) return keyed("nw", 2);
  if (lower.startsWith("nt")) return keyed("nt", 2);
  if (lower.startsWith("te")) return keyed("te", 2);
  if (lower.startsWith("le")) return keyed("LE", 2);
  switch (lower[0]) {
    case "c":
      return keyed("c", 1);
    case "d":
      return keyed("d", 1);
    case "i":
      return keyed("i", 1);
    case "q":
      return keyed("q", 1);
    case "x":
      return keyed("x", 1);
    default:
      return { unknown: raw };
  }
}

/** Edit distance, to suggest the exact token an operator probably meant. */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

function suggestion(raw: string): string {
  const lower = raw.toLowerCase();
  let best: string | null = null;
  let bestDistance = 3;
  for (const token of EXACT_TOKENS) {
    const d = editDistance(lower, token);
    if (d < bestDistance) {
      best = token;
      bestDistance = d;
    }
  }
  return best ? ` Você quis dizer "_${best}"?` : "";
}

const KNOWN_PARAMS =
  "_c, _d, _h, _smslong, _smsshort, _whatsappexclusivo, _whatsappcompartilhado, _whatsappprospect, _nw, _nt, _email, _ce, _te, _i, _q, _x, _limpartag, _removercarteiras, _LE";

function err(code: NameErrorCode, param: ParamKey | null, message: string): NameError {
  return { code, param, message };
}

/** Validates a value-carrying parameter; returns an error message or null. */
function checkValue(key: ValueKey, value: string): string | null {
  const invalid = (why: string) =>
    `Valor inválido em ${PARAM_LABEL[key]}: ${why}. Use ${VALUE_FORMAT[key]}.`;
  switch (key) {
    case "c":
    case "d":
    case "nt":
    case "te":
      return null;
    case "nw":
      return isAllDigits(value) && value.length >= 10 && value.length <= 13
        ? null
        : invalid(`"${value}" não é um número de 10 a 13 dígitos`);
    case "ce": {
      const at = value.indexOf("@");
      return at > 0 && at === value.lastIndexOf("@") && at < value.length - 1
        ? null
        : invalid(`"${value}" não é um endereço de e-mail`);
    }
    case "i":
    case "LE":
      return parseDdmmyyhhmm(value) !== null
        ? null
        : invalid(`"${value}" não é uma data e hora válida no formato DDMMAAHHMM`);
    case "q": {
      if (!isAllDigits(value) || value.length !== 5) {
        return invalid(`"${value}" não tem exatamente 5 dígitos`);
      }
      const percent = Number(value.slice(0, 2));
      const minutes = Number(value.slice(2));
      if (percent < 1) return invalid("o percentual por onda deve ser de 01 a 99");
      if (minutes < 1) return invalid("o intervalo entre ondas deve ser de 001 a 999 minutos");
      return null;
    }
    case "x":
      if (!isAllDigits(value) || value.length > 3) {
        return invalid(`"${value}" não é um número de 1 a 3 dígitos`);
      }
      return Number(value) >= 1 ? null : invalid("o número de horas deve ser pelo menos 1");
  }
}

/** NOME_INVALIDO (a control character) and NOME_LONGO (over MAX_NAME_BYTES). */
function unsafeNameErrors(fileName: string): NameError[] {
  const errors: NameError[] = [];
  const control = firstControl(fileName);
  if (control !== null) {
    const others = [...fileName].filter((c) => firstControl(c) !== null).length - 1;
    errors.push(
      err(
        "NOME_INVALIDO",
        null,
        `O nome tem um caractere de controle (${showControl(control.char)}) na posição ${control.position}${
          others > 0 ? ` e mais ${others} ${others === 1 ? "outro" : "outros"}` : ""
        }, como uma quebra de linha, que não pode fazer parte do nome de um arquivo. Renomeie o arquivo só com letras, números, espaços e sinais comuns e envie de novo.`,
      ),
    );
  }
  const bytes = Buffer.byteLength(fileName);
  if (bytes > MAX_NAME_BYTES) {
    errors.push(
      err(
        "NOME_LONGO",
        null,
        `O nome tem ${bytes} bytes e o limite é ${MAX_NAME_BYTES} (letras com acento ocupam 2 bytes). Encurte o nome, por exemplo a descrição (_d) ou o assunto (_te), e envie de novo.`,
      ),
    );
  }
  return errors;
}

const SMS: Partial<Record<ParamKey, SmsRoute>> = { smslong: "long", smsshort: "short" };
const WHATSAPP: Partial<Record<ParamKey, WhatsappMode>> = {
  whatsappexclusivo: "exclusivo",
  whatsappcompartilhado: "compartilhado",
  whatsappprospect: "prospect",
};

/**
 * Reads a mailing file name (base name only). Never throws: every problem is
 * collected as a `NameError` with a pt-BR message saying how to fix it.
 */
export function parse(fileName: string, context: ParseContext): ParseResult {
  // Checked before anything else, on the name as given (its bytes on disk): a name that cannot be
  // kept or reported safely is discarded with only these reasons, whatever else it holds.
  const unsafe = unsafeNameErrors(fileName);
  if (unsafe.length > 0) return { ok: false, errors: unsafe, mailing: null };
  const name = fileName.normalize("NFC");
  const errors: NameError[] = [];

  // Extension: after the last dot (values such as `_ce` addresses contain dots).
  const dot = name.lastIndexOf(".");
  let extension: Extension | null = null;
  const stem = dot >= 0 ? name.slice(0, dot) : name;
  const ext = dot >= 0 ? name.slice(dot + 1).toLowerCase() : "";
  if ((EXTENSIONS as readonly string[]).includes(ext)) {
    extension = ext as Extension;
  } else {
    errors.push(
      err(
        "EXTENSAO",
        null,
        dot < 0
          ? "O arquivo não tem extensão. Termine o nome com .csv, .txt ou .zip."
          : `A extensão ".${name.slice(dot + 1)}" não é aceita. Use .csv, .txt ou .zip.`,
      ),
    );
  }

  const parts = stem.split("_");
  const [prefix = "", dateText, sequenceText, ...params] = parts;
  const prefixOk = prefix.toLowerCase() === PREFIX;
  if (!prefixOk) {
    errors.push(
      err(
        "PREFIXO",
        null,
        `O nome deve começar com "mailing_" (começa com "${prefix}"). Renomeie para o formato mailing_DDMMAA_SEQ.csv, ex.: mailing_${context.today.slice(8, 10)}${context.today.slice(5, 7)}${context.today.slice(2, 4)}_1.csv.`,
      ),
    );
  }

  // A name that is not a mailing at all (e.g. "relatorio.pdf") gets only PREFIXO,
  // not a list of missing parts.
  const date = dateText === undefined ? null : parseDdmmyy(dateText);
  if (date === null && (prefixOk || dateText !== undefined)) {
    errors.push(
      err(
        "DATA_INVALIDA",
        null,
        dateText === undefined || dateText === ""
          ? "Falta a data depois de mailing_. Informe a data de hoje no formato DDMMAA, ex.: mailing_261126_1.csv."
          : `"${dateText}" não é uma data válida. Informe a data de hoje no formato DDMMAA (dia, mês e ano com 2 dígitos cada), ex.: 261126 para 26/11/2026.`,
      ),
    );
  }

  let sequence: number | null = null;
  if (sequenceText !== undefined && isAllDigits(sequenceText) && sequenceText.length <= 3) {
    sequence = Number(sequenceText);
  } else if (prefixOk || sequenceText !== undefined) {
    errors.push(
      err(
        "SEQUENCIA_INVALIDA",
        null,
        sequenceText === undefined || sequenceText === ""
          ? "Falta a sequência do arquivo no dia depois da data. Informe de 1 a 3 dígitos, ex.: mailing_261126_1.csv."
          : `"${sequenceText}" não é uma sequência válida. Informe de 1 a 3 dígitos (a ordem do arquivo no dia), ex.: _1 ou _002.`,
      ),
    );
  }

  // Parameters, in any order.
  const tokens = new Map<ParamKey, Token>();
  const order: ParamKey[] = [];
  for (const raw of params) {
    if (raw === "") {
      errors.push(
        err(
          "PARAMETRO_VAZIO",
          null,
          'O nome tem um parâmetro vazio ("__" ou "_" antes da extensão). Remova o "_" sobrando.',
        ),
      );
      continue;
    }
    const token = classify(raw);
    if ("unknown" in token) {
      errors.push(
        err(
          "PARAMETRO_DESCONHECIDO",
          null,
          `O parâmetro "_${token.unknown}" não existe.${suggestion(token.unknown)} Parâmetros aceitos: ${KNOWN_PARAMS}. Lembre que valores não podem conter "_".`,
        ),
      );
      continue;
    }
    if ("empty" in token) {
      errors.push(
        err(
          "PARAMETRO_VAZIO",
          token.empty,
          `O parâmetro "_${token.raw}" está sem valor. Use ${VALUE_FORMAT[token.empty]}.`,
        ),
      );
      continue;
    }
    if (tokens.has(token.key)) {
      errors.push(
        err(
          "PARAMETRO_REPETIDO",
          token.key,
          `O parâmetro ${PARAM_LABEL[token.key]} aparece mais de uma vez. Deixe só um.`,
        ),
      );
      continue;
    }
    if (!EXACT.has(token.key)) {
      const problem = checkValue(token.key as ValueKey, token.value);
      if (problem !== null) {
        errors.push(err("VALOR_INVALIDO", token.key, problem));
        continue;
      }
    }
    tokens.set(token.key, token);
    order.push(token.key);
  }

  const has = (key: ParamKey) => tokens.has(key);
  const value = (key: ValueKey) => tokens.get(key)?.value ?? null;

  // Channel conflicts: at most one SMS route and one WhatsApp mode.
  const smsKeys = order.filter((k) => SMS[k]);
  const whatsappKeys = order.filter((k) => WHATSAPP[k]);
  if (smsKeys.length > 1) {
    errors.push(
      err(
        "CANAL_CONFLITO",
        smsKeys[1]!,
        "O nome pede SMS long code (_smslong) e short code (_smsshort) ao mesmo tempo. Escolha só um.",
      ),
    );
  }
  if (whatsappKeys.length > 1) {
    errors.push(
      err(
        "CANAL_CONFLITO",
        whatsappKeys[1]!,
        `O nome pede mais de um tipo de campanha WhatsApp (${whatsappKeys.map((k) => `_${k}`).join(", ")}). Escolha só um.`,
      ),
    );
  }
  const sms = smsKeys.length > 0 ? SMS[smsKeys[0]!]! : null;
  const whatsappMode = whatsappKeys.length > 0 ? WHATSAPP[whatsappKeys[0]!]! : null;
  const email = has("email");

  // Parameters that only make sense with a channel.
  // `needs` is what to add, so the fix names it ("acrescente uma campanha … ou remova _q").
  const withoutChannel = (key: ParamKey, needs: string) =>
    errors.push(
      err(
        "PARAMETRO_SEM_CANAL",
        key,
        `O parâmetro ${PARAM_LABEL[key]} só vale com ${needs}. Acrescente ${needs} ou remova _${key}.`,
      ),
    );
  if (has("nw") && whatsappMode !== "exclusivo") withoutChannel("nw", "_whatsappexclusivo");
  if (has("nt") && whatsappMode === null) {
    withoutChannel(
      "nt",
      "uma campanha WhatsApp (_whatsappexclusivo, _whatsappcompartilhado ou _whatsappprospect)",
    );
  }
  if (has("ce") && !email) withoutChannel("ce", "_email");
  if (has("te") && !email) withoutChannel("te", "_email");
  const anyChannel = sms !== null || whatsappMode !== null || email;
  for (const key of ["i", "q", "x", "LE"] as const) {
    if (has(key) && !anyChannel) {
      withoutChannel(
        key,
        "uma campanha (_smsshort, _smslong, _whatsappexclusivo, _whatsappcompartilhado, _whatsappprospect ou _email)",
      );
    }
  }
  if (whatsappMode === "prospect" && !has("nt")) {
    errors.push(
      err(
        "TEMPLATE_OBRIGATORIO",
        "nt",
        "Campanhas _whatsappprospect exigem o nome do template. Acrescente _nt seguido do nome do template, ex.: _ntAVISO COBRANCA.",
      ),
    );
  }

  // Wallet: `_c`, or the folder the file sits in.
  const walletParam = value("c");
  let wallet: string | null = null;
  let walletFrom: Mailing["walletFrom"] = null;
  if (walletParam !== null) {
    wallet = walletParam;
    walletFrom = "name";
    if (context.folder !== null && context.folder !== walletParam) {
      errors.push(
        err(
          "CARTEIRA_CONFLITO",
          "c",
          `O nome indica a carteira "${walletParam}", mas o arquivo está na pasta da carteira "${context.folder}". Mova o arquivo para a pasta certa (ou para a raiz) ou corrija o _c.`,
        ),
      );
    }
  } else if (context.folder !== null) {
    wallet = context.folder;
    walletFrom = "folder";
  } else if (
    (prefixOk || parts.length >= 3) &&
    !errors.some((e) => e.code === "PARAMETRO_VAZIO" && e.param === "c")
  ) {
    errors.push(
      err(
        "CARTEIRA_AUSENTE",
        "c",
        "Não foi possível saber a carteira: o nome não tem _c e o arquivo está na pasta raiz. Acrescente _c seguido do código da carteira (ex.: _cBRAD) ou coloque o arquivo na pasta com o código da carteira.",
      ),
    );
  }

  if (date !== null && date !== context.today) {
    errors.push(
      err(
        "DATA_NAO_E_HOJE",
        null,
        `A data do nome (${displayDate(date)}) não é a de hoje (${displayDate(context.today)}). Por segurança só são importados mailings com a data do dia: gere o arquivo novamente com a data de hoje.`,
      ),
    );
  }

  const startText = value("i");
  const start = startText === null ? null : parseDdmmyyhhmm(startText);
  const deadlineText = value("LE");
  const deadline = deadlineText === null ? null : parseDdmmyyhhmm(deadlineText);
  if (deadline !== null) {
    if (start !== null && deadline <= start) {
      errors.push(
        err(
          "PRAZO_ANTES_DO_INICIO",
          "LE",
          `O prazo limite (${displayDateTime(deadline)}) não é depois do início da campanha (${displayDateTime(start)}). Corrija o _LE ou o _i.`,
        ),
      );
    }
    if (deadline <= context.now) {
      errors.push(
        err(
          "PRAZO_EXPIRADO",
          "LE",
          `O prazo limite (${displayDateTime(deadline)}) já passou (agora: ${displayDateTime(context.now)}): nada seria enviado. Informe em _LE uma data e hora futura.`,
        ),
      );
    }
  }

  const whatsapp =
    whatsappMode === null
      ? null
      : {
          mode: whatsappMode,
          number: whatsappMode === "exclusivo" ? value("nw") : null,
          template: value("nt"),
        };
  const emailRequest = email ? { account: value("ce"), subject: value("te") } : null;
  if (errors.some((e) => LEXICAL.has(e.code as NameErrorCode)) || date === null) {
    const unreadable = errors.flatMap((e) =>
      e.param !== null && (e.code === "VALOR_INVALIDO" || e.code === "PARAMETRO_VAZIO")
        ? [e.param]
        : [],
    );
    const facts: NameFacts = {
      date,
      sequence,
      wallet,
      sms,
      whatsapp,
      email: emailRequest,
      unreadable,
    };
    // A name that is not a mailing at all (PREFIXO) is not read further, as above.
    return prefixOk
      ? { ok: false, errors, mailing: null, facts }
      : { ok: false, errors, mailing: null };
  }

  const splitText = value("q");
  const mailing: Mailing = {
    date,
    sequence: sequence!,
    extension: extension!,
    wallet,
    walletFrom,
    description: value("d") ?? name,
    sanitize: has("h"),
    sms,
    whatsapp,
    email: emailRequest,
    start,
    split:
      splitText === null
        ? null
        : { percent: Number(splitText.slice(0, 2)), everyMinutes: Number(splitText.slice(2)) },
    excludeRecentHours: value("x") === null ? null : Number(value("x")),
    replaceTags: has("limpartag"),
    removeOtherWallets: has("removercarteiras"),
    deadline,
  };
  return { ok: errors.length === 0, errors, mailing };
}
