import { readFileSync } from "node:fs";
import type { parseArgs } from "node:util";
import {
  displayDate,
  displayDateTime,
  isIsoDate,
  isIsoLocalDateTime,
} from "../filename/datetime.js";
import { defaultDescription } from "../filename/format.js";
import { buildName, type Mailing, type NameError } from "../filename/index.js";
import { mailingSchema } from "../filename/schema.js";
import { parseCommandLine } from "./args.js";
import { localClock, UsageError } from "./clock.js";
import {
  OFFLINE_CHECKS,
  offlineNotice,
  TENANT_NAME_OPTIONS,
  withNameChecker,
} from "./tenant-names.js";

const HELP = `Uso: remessa build-name [opções]
       remessa build-name --from-json JSON|-

Monta o nome canônico de um arquivo de mailing e recusa nomes que seriam descartados.
  --date AAAA-MM-DD|DDMMAA   data do arquivo (padrão: hoje)
  --seq N                    sequência do dia, 1 a 3 dígitos (obrigatória)
  --wallet CODIGO            carteira (_c); sem ela, informe --folder
  --folder PASTA             pasta (carteira) onde o arquivo será colocado
  --description TEXTO        descrição (_d)
  --sanitize                 higienizar (_h)
  --sms long|short           campanha SMS (_smslong / _smsshort)
  --whatsapp exclusivo|compartilhado|prospect
  --number DIGITOS           número WhatsApp exclusivo (_nw)
  --template NOME            template WhatsApp (_nt)
  --email                    campanha de e-mail (_email)
  --account ENDERECO         conta de e-mail (_ce)
  --subject TEXTO            assunto do e-mail (_te)
  --start AAAA-MM-DDTHH:MM   início da campanha (_i)
  --split PP/MMM             PP% do público a cada MMM minutos (_q)
  --exclude-hours N          pula quem teve contato receptivo nas últimas N horas (_x)
  --replace-tags             substitui as tags (_limpartag)
  --remove-other-wallets     remove das outras carteiras (_removercarteiras)
  --deadline AAAA-MM-DDTHH:MM  prazo limite de envio (_LE)
  --ext csv|txt|zip          extensão (padrão csv)
  --today, --now, --tz       relógio usado nas verificações (como em check-name)
  --data-dir PASTA           pasta de dados do remessa (banco SQLite); padrão: REMESSA_DATA_DIR ou ./data
  --tenant ID                empresa cujas carteiras e remetentes são consultados (padrão 1)
  --json                     resposta em JSON: { ok, name, errors, notChecked }

Com um banco de dados (DATABASE_URL, ou o banco SQLite da pasta de dados),
confere também carteira, sequência do dia, remetentes, templates e contas de
e-mail, como o servidor; sem banco, diz quais verificações não fez.

Código de saída: 0 nome montado, 1 recusado, 2 erro de uso.`;

const OPTIONS = {
  allowPositionals: false,
  options: {
    date: { type: "string" },
    seq: { type: "string" },
    wallet: { type: "string" },
    folder: { type: "string" },
    description: { type: "string" },
    sanitize: { type: "boolean" },
    sms: { type: "string" },
    whatsapp: { type: "string" },
    number: { type: "string" },
    template: { type: "string" },
    email: { type: "boolean" },
    account: { type: "string" },
    subject: { type: "string" },
    start: { type: "string" },
    split: { type: "string" },
    "exclude-hours": { type: "string" },
    "replace-tags": { type: "boolean" },
    "remove-other-wallets": { type: "boolean" },
    deadline: { type: "string" },
    ext: { type: "string" },
    "from-json": { type: "string" },
    today: { type: "string" },
    now: { type: "string" },
    tz: { type: "string" },
    json: { type: "boolean" },
    ...TENANT_NAME_OPTIONS,
    help: { type: "boolean", short: "h" },
  },
} as const;

type Options = ReturnType<typeof parseArgs<typeof OPTIONS>>["values"];

function invalid(param: string | null, message: string): NameError {
  return { code: "VALOR_INVALIDO", param, message };
}

/** Turns the command-line options into a mailing, collecting every bad value. */
function mailingFromOptions(
  o: Options,
  today: string,
): { mailing: Mailing | null; errors: NameError[] } {
  const errors: NameError[] = [];
  let date = today;
  if (o.date !== undefined) {
    if (isIsoDate(o.date)) date = o.date;
    else if (
      /^\d{6}$/.test(o.date) &&
      isIsoDate(`20${o.date.slice(4)}-${o.date.slice(2, 4)}-${o.date.slice(0, 2)}`)
    ) {
      date = `20${o.date.slice(4)}-${o.date.slice(2, 4)}-${o.date.slice(0, 2)}`;
    } else {
      errors.push({
        code: "DATA_INVALIDA",
        param: null,
        message: `--date "${o.date}" não é uma data válida: use AAAA-MM-DD ou DDMMAA.`,
      });
    }
  }
  let sequence = 0;
  if (o.seq === undefined || !/^\d{1,3}$/.test(o.seq)) {
    errors.push({
      code: "SEQUENCIA_INVALIDA",
      param: null,
      message:
        o.seq === undefined
          ? "Informe --seq com a sequência do arquivo no dia (1 a 3 dígitos)."
          : `--seq "${o.seq}" não é válida: use de 1 a 3 dígitos.`,
    });
  } else sequence = Number(o.seq);

  const ext = (o.ext ?? "csv").toLowerCase();
  if (ext !== "csv" && ext !== "txt" && ext !== "zip") {
    errors.push({
      code: "EXTENSAO",
      param: null,
      message: `--ext "${o.ext}" não é aceita: use csv, txt ou zip.`,
    });
  }
  let sms: Mailing["sms"] = null;
  if (o.sms !== undefined) {
    if (o.sms === "long" || o.sms === "short") sms = o.sms;
    else errors.push(invalid("smslong", `--sms "${o.sms}" não é válido: use long ou short.`));
  }
  let whatsapp: Mailing["whatsapp"] = null;
  if (o.whatsapp !== undefined) {
    if (o.whatsapp === "exclusivo" || o.whatsapp === "compartilhado" || o.whatsapp === "prospect") {
      whatsapp = { mode: o.whatsapp, number: o.number ?? null, template: o.template ?? null };
    } else {
      errors.push(
        invalid(
          "whatsappexclusivo",
          `--whatsapp "${o.whatsapp}" não é válido: use exclusivo, compartilhado ou prospect.`,
        ),
      );
    }
  }
  const orphan = (option: string, param: string, needs: string) =>
    errors.push({
      code: "PARAMETRO_SEM_CANAL",
      param,
      message: `${option} só vale com ${needs}.`,
    });
  if (o.number !== undefined && whatsapp?.mode !== "exclusivo")
    orphan("--number", "nw", "--whatsapp exclusivo");
  if (o.template !== undefined && o.whatsapp === undefined)
    orphan("--template", "nt", "--whatsapp");
  if (o.account !== undefined && !o.email) orphan("--account", "ce", "--email");
  if (o.subject !== undefined && !o.email) orphan("--subject", "te", "--email");

  const dateTime = (value: string | undefined, option: string, param: string): string | null => {
    if (value === undefined) return null;
    if (isIsoLocalDateTime(value)) return value;
    errors.push(invalid(param, `${option} "${value}" não é válido: use AAAA-MM-DDTHH:MM.`));
    return null;
  };
  const start = dateTime(o.start, "--start", "i");
  const deadline = dateTime(o.deadline, "--deadline", "LE");

  let split: Mailing["split"] = null;
  if (o.split !== undefined) {
    const match = /^(\d{1,2})\/(\d{1,3})$/.exec(o.split);
    const percent = Number(match?.[1]);
    const everyMinutes = Number(match?.[2]);
    if (match && percent >= 1 && percent <= 99 && everyMinutes >= 1)
      split = { percent, everyMinutes };
    else {
      errors.push(
        invalid(
          "q",
          `--split "${o.split}" não é válido: use PP/MMM, com PP de 1 a 99 (% por onda) e MMM de 1 a 999 (minutos), ex.: 15/20.`,
        ),
      );
    }
  }
  let excludeRecentHours: number | null = null;
  if (o["exclude-hours"] !== undefined) {
    const hours = o["exclude-hours"];
    if (/^\d{1,3}$/.test(hours) && Number(hours) >= 1) excludeRecentHours = Number(hours);
    else
      errors.push(invalid("x", `--exclude-hours "${hours}" não é válido: use de 1 a 999 horas.`));
  }
  if (errors.length > 0) return { mailing: null, errors };

  const wallet = o.wallet ?? o.folder ?? null;
  const mailing: Mailing = {
    date,
    sequence,
    extension: ext as Mailing["extension"],
    wallet,
    walletFrom: o.wallet !== undefined ? "name" : o.folder !== undefined ? "folder" : null,
    description: "",
    sanitize: o.sanitize ?? false,
    sms,
    whatsapp,
    email: o.email ? { account: o.account ?? null, subject: o.subject ?? null } : null,
    start,
    split,
    excludeRecentHours,
    replaceTags: o["replace-tags"] ?? false,
    removeOtherWallets: o["remove-other-wallets"] ?? false,
    deadline,
  };
  return { mailing, errors };
}

function readJsonArgument(value: string): unknown {
  const text = value === "-" ? readFileSync(0, "utf8") : value;
  return JSON.parse(text);
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv, OPTIONS, HELP);
  if (typeof parsed === "number") return parsed;
  const o: Options = parsed.values;
  let clock: { today: string; now: string };
  try {
    clock = localClock(o);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }

  let mailing: Mailing | null;
  let errors: NameError[];
  if (o["from-json"] !== undefined) {
    let input: unknown;
    try {
      input = readJsonArgument(o["from-json"]);
    } catch (error) {
      console.error(`--from-json não contém um JSON válido: ${(error as Error).message}`);
      return 2;
    }
    // Accept the whole `check-name --json` answer as well as its `mailing` object.
    if (input && typeof input === "object" && "mailing" in input) input = input.mailing;
    const parsed = mailingSchema.safeParse(input);
    if (!parsed.success) {
      errors = parsed.error.issues.map((issue) =>
        invalid(
          null,
          `Campo "${issue.path.join(".") || "(raiz)"}" do JSON inválido: ${issue.message}.`,
        ),
      );
      mailing = null;
    } else {
      mailing = parsed.data;
      errors = [];
    }
  } else {
    ({ mailing, errors } = mailingFromOptions(o, clock.today));
  }

  return withNameChecker(o, async (check) => {
    let name: string | null = null;
    if (mailing) {
      if (mailing.description === "") {
        // From options: without --description it defaults to the name itself (no `_d`).
        mailing.description = o.description ?? defaultDescription(mailing);
      }
      const folder = mailing.walletFrom === "folder" ? mailing.wallet : (o.folder ?? null);
      const built = buildName(mailing, { folder, ...clock });
      // Grammar and tenant data together, as the server reports them.
      errors = [...built.errors, ...(check ? await check(mailing, folder) : [])];
      name = errors.length === 0 ? built.name : null;
      if (o["from-json"] === undefined) {
        const m = mailing;
        errors = errors.map((e) => inOptionTerms(e, m, folder, clock.today));
      }
    }

    if (o.json) {
      console.log(
        JSON.stringify({
          ok: name !== null,
          name,
          errors,
          notChecked: check ? [] : OFFLINE_CHECKS,
        }),
      );
    } else if (name !== null) {
      console.log(name);
      if (!check) console.error(offlineNotice());
    } else {
      console.error("Não foi possível montar o nome:");
      errors.forEach((error, i) => {
        console.error(`  ${i + 1}. [${error.code}] ${error.message}`);
      });
      if (!check) console.error(`\n${offlineNotice()}`);
    }
    return name !== null ? 0 : 1;
  });
}

/** The build-name option that sets each name parameter, for messages in the command's terms. */
const OPTION_OF: Record<string, string> = {
  c: "--wallet",
  d: "--description",
  h: "--sanitize",
  smslong: "--sms long",
  smsshort: "--sms short",
  whatsappexclusivo: "--whatsapp exclusivo",
  whatsappcompartilhado: "--whatsapp compartilhado",
  whatsappprospect: "--whatsapp prospect",
  nw: "--number",
  nt: "--template",
  email: "--email",
  ce: "--account",
  te: "--subject",
  i: "--start",
  q: "--split",
  x: "--exclude-hours",
  limpartag: "--replace-tags",
  removercarteiras: "--remove-other-wallets",
  LE: "--deadline",
};

/** A parameter token standing alone in a message (`_q`, `(_d)`), not an example like `_cBRAD`. */
const TOKEN = new RegExp(
  `_(${Object.keys(OPTION_OF)
    .sort((a, b) => b.length - a.length)
    .join("|")})(?![\\p{L}\\p{N}@])`,
  "gu",
);

/**
 * The same error in build-name's own terms: the person typed options, not a
 * file name, so "remova _q" must read "retire --split".
 */
function inOptionTerms(
  error: NameError,
  m: Mailing,
  folder: string | null,
  today: string,
): NameError {
  const option = error.param === null ? null : (OPTION_OF[error.param] ?? null);
  const say = (message: string): NameError => ({ ...error, message });
  switch (error.code) {
    case "PARAMETRO_SEM_CANAL":
      if (option === null) break;
      return say(
        `${option} só vale com uma campanha: acrescente --sms, --whatsapp ou --email, ou retire ${option}.`,
      );
    case "TEMPLATE_OBRIGATORIO":
      return say(
        '--whatsapp prospect exige o nome do template: acrescente --template NOME, ex.: --template "AVISO COBRANCA".',
      );
    case "CARTEIRA_AUSENTE":
      return say(
        "Falta a carteira: informe --wallet CÓDIGO, ou --folder PASTA com a pasta da carteira onde o arquivo será colocado.",
      );
    case "CARTEIRA_CONFLITO":
      return say(
        `--wallet "${m.wallet}" e --folder "${folder}" indicam carteiras diferentes: informe só uma delas, ou a mesma carteira nas duas.`,
      );
    case "DATA_NAO_E_HOJE":
      return say(
        `--date ${displayDate(m.date)} não é a data de hoje (${displayDate(today)}): só mailings com a data do dia são importados. Retire --date ou informe a data de hoje.`,
      );
    case "PRAZO_ANTES_DO_INICIO":
      return say(
        `--deadline ${displayDateTime(m.deadline ?? "")} não é depois de --start ${displayDateTime(m.start ?? "")}: corrija um dos dois.`,
      );
    case "PRAZO_EXPIRADO":
      return say(
        `--deadline ${displayDateTime(m.deadline ?? "")} já passou: nada seria enviado. Informe uma data e hora futura.`,
      );
    default:
      break;
  }
  return say(error.message.replace(TOKEN, (_token, key: string) => OPTION_OF[key] ?? _token));
}
