/**
 * `remessa templates add|list|remove`: message templates (WhatsApp `_nt`, or
 * the wallet's default) with `{{1}}`-style parameters filled from mailing columns.
 */
import {
  addTemplate,
  getTemplate,
  listTemplates,
  removeTemplate,
  type TemplateView,
  templateParams,
} from "../store/templates.js";
import { DATA_DIR_HELP, DATA_DIR_OPTION, EXIT, parseCommandLine } from "./args.js";
import { listSettings, removeSetting, settingsCommand } from "./settings-args.js";
import { withStore } from "./store.js";

const HELP = `Uso:
  remessa templates add --name NOME --body TEXTO [--param COLUNA]... [--language pt_BR]
                        [--wallet CÓDIGO] [--default] [--json]
  remessa templates list [--wallet CÓDIGO] [--json]
  remessa templates remove ID

Um template tem um nome (o do _nt no nome do arquivo e o aprovado no WhatsApp),
um idioma (padrão pt_BR) e um texto com parâmetros {{1}}, {{2}}…; cada --param
diz qual coluna do mailing preenche um parâmetro, na ordem: o primeiro --param
preenche {{1}}, o segundo {{2}} e assim por diante. O número de --param deve
ser igual ao maior {{n}} do texto. Exemplo:
  remessa templates add --name cobranca --wallet BRAD --default \\
    --body "Olá {{1}}, sua fatura de {{2}} está disponível." \\
    --param NOME_CLIENTE --param CORINGA1
--wallet: a carteira do template (sem ela, vale para todas as carteiras).
--default: o template padrão da carteira, usado quando o nome do arquivo não
tem _nt (um por carteira: o novo substitui o anterior). Exige --wallet.
Um template usado por uma campanha em andamento não é removido.
--json: saída em JSON ({ id, name, language, wallet, default, body, params,
createdAt }; list devolve uma lista).
Todas aceitam --tenant ID (padrão: a empresa 1) e:
${DATA_DIR_HELP}`;

const OPTIONS = {
  allowPositionals: true,
  options: {
    ...DATA_DIR_OPTION,
    name: { type: "string" },
    body: { type: "string" },
    param: { type: "string", multiple: true },
    language: { type: "string" },
    wallet: { type: "string" },
    default: { type: "boolean" },
    json: { type: "boolean" },
    tenant: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
} as const;

export function templateJson(t: TemplateView) {
  return {
    id: t.id,
    name: t.name,
    language: t.language,
    wallet: t.wallet_code,
    default: t.is_default === 1,
    body: t.body,
    params: templateParams(t),
    createdAt: t.created_at,
  };
}

function describe(t: TemplateView): string {
  const params = templateParams(t);
  const where = t.wallet_code
    ? `carteira ${t.wallet_code}${t.is_default ? " (padrão)" : ""}`
    : "todas as carteiras";
  const mapping =
    params.length === 0
      ? "sem parâmetros"
      : params.map((column, i) => `{{${i + 1}}}=${column}`).join(", ");
  return `"${t.name}" (${t.language}) — ${where}; ${mapping}`;
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv, OPTIONS, HELP);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  const command = settingsCommand(positionals, values, "remessa templates list", HELP);
  if (typeof command === "number") return command;
  const { tenantId, action, id } = command;
  if (action === "add" && (values.name === undefined || values.body === undefined)) {
    console.error(`Informe o nome e o texto: --name NOME --body TEXTO.\n\n${HELP}`);
    return EXIT.usage;
  }
  return withStore(tenantId, async (store) => {
    const { db } = store;
    if (action === "add") {
      const { template, replacedDefault } = await addTemplate(db, tenantId, {
        name: values.name ?? "",
        body: values.body ?? "",
        params: values.param ?? [],
        language: values.language ?? null,
        wallet: values.wallet ?? null,
        isDefault: values.default === true,
      });
      if (values.json) console.log(JSON.stringify(templateJson(template)));
      else {
        console.log(`Template ${template.id} cadastrado: ${describe(template)}.`);
        if (replacedDefault) {
          console.log(
            `O template "${replacedDefault}" deixou de ser o padrão da carteira ${template.wallet_code}.`,
          );
        }
      }
      return EXIT.ok;
    }
    if (action === "remove") {
      return removeSetting(
        id as number,
        (n) => getTemplate(db, tenantId, n),
        (n) => removeTemplate(db, tenantId, n),
        {
          missing: `O template ${id} não existe. Veja os templates com "remessa templates list".`,
          removed: (t) => `Template ${t.id} removido (${describe(t)}).`,
        },
      );
    }
    return listSettings(db, tenantId, values, (filter) => listTemplates(db, tenantId, filter), {
      json: templateJson,
      empty: 'Nenhum template cadastrado. Cadastre um com "remessa templates add" (veja --help).',
      print: (t) => {
        console.log(`${String(t.id).padStart(4)}  ${describe(t)}`);
        console.log(`      ${t.body ?? ""}`);
      },
    });
  });
}
