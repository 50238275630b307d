import { basename } from "node:path";
import { describeMailing } from "../filename/describe.js";
import { escapeControls, parse } from "../filename/index.js";
import { parseCommandLine } from "./args.js";
import { localClock, UsageError } from "./clock.js";
import {
  OFFLINE_CHECKS,
  offlineNotice,
  TENANT_NAME_HELP,
  TENANT_NAME_OPTIONS,
  withNameChecker,
} from "./tenant-names.js";

const HELP = `Uso: remessa check-name [--json] [--folder PASTA] [--today AAAA-MM-DD] [--now AAAA-MM-DDTHH:MM] [--tz FUSO] [--data-dir PASTA] [--tenant ID] NOME

Verifica o nome de um arquivo de mailing e explica o que acontecerá com ele.
Com um banco de dados (DATABASE_URL, ou o banco SQLite da pasta de dados),
confere também carteira, sequência do dia, remetentes, templates e contas de
e-mail, como o servidor; sem banco, diz quais verificações não fez.
  --folder PASTA     pasta (carteira) onde o arquivo está; sem ela, a raiz
  --today, --now     data/hora "de hoje" (padrão: agora no fuso --tz)
  --tz FUSO          fuso horário do cliente (padrão America/Sao_Paulo)
${TENANT_NAME_HELP}
  --json             um objeto JSON na saída: { ok, errors, mailing, notChecked }

Código de saída: 0 nome válido, 1 nome inválido, 2 erro de uso.`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv, OPTIONS, HELP);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) {
    console.error(`Informe exatamente um nome de arquivo.\n\n${HELP}`);
    return 2;
  }
  let clock: { today: string; now: string };
  try {
    clock = localClock(values);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
  // Accept a path too: only the base name is the mailing's name.
  const fileName = basename(positionals[0]!);
  const folder = values.folder ?? null;
  const result = parse(fileName, { folder, ...clock });
  // A name with a line break (refused as NOME_INVALIDO) is printed on one line, as the reports do.
  const shown = escapeControls(fileName);

  return withNameChecker(values, async (check) => {
    // Grammar and tenant data together: the server reports them in one .erro.txt.
    const errors = [
      ...result.errors,
      ...(check ? await check(result.mailing ?? result.facts ?? null, folder) : []),
    ];
    const ok = errors.length === 0;
    if (values.json) {
      console.log(
        JSON.stringify({
          ok,
          errors,
          mailing: result.mailing,
          notChecked: check ? [] : OFFLINE_CHECKS,
        }),
      );
      return ok ? 0 : 1;
    }
    if (ok && result.mailing) {
      console.log(`Nome válido: ${shown}\n\nO que vai acontecer:`);
      for (const line of describeMailing(result.mailing)) console.log(`  - ${line}`);
      if (check) {
        console.log(
          "\nSe o conteúdo também estiver correto, o arquivo será importado e irá para LIDOS.",
        );
      } else {
        console.log(`\n${offlineNotice()}`);
        console.log(
          "\nSe elas passarem e o conteúdo estiver correto, o arquivo será importado e irá para LIDOS.",
        );
      }
      return 0;
    }
    console.log(`Nome inválido: ${shown}\n`);
    console.log(
      `O arquivo iria para DESCARTADOS ${errors.length === 1 ? "pelo motivo" : "pelos motivos"} abaixo:`,
    );
    errors.forEach((error, i) => {
      console.log(`  ${i + 1}. [${error.code}] ${error.message}`);
    });
    if (!check) console.log(`\n${offlineNotice()}`);
    return 1;
  });
}

const OPTIONS = {
  allowPositionals: true,
  options: {
    json: { type: "boolean" },
    folder: { type: "string" },
    today: { type: "string" },
    now: { type: "string" },
    tz: { type: "string" },
    ...TENANT_NAME_OPTIONS,
    help: { type: "boolean", short: "h" },
  },
} as const;
