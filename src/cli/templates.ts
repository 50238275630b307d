/**
 * `remessa templates add|list|remove|test`: message templates (WhatsApp `_nt`,
 * or the wallet's default) with `{{1}}`-style parameters filled from mailing
 * columns — the body's, the header's and URL buttons' (template-mapping.ts).
 * `test ID` checks the template on the Cloud API (exists, approved, the same
 * parameters as the mapping) or, without a Cloud API number, renders it with
 * a sample row and says which placeholders name no column.
 */
import type { Kysely } from "kysely";
import { cloudApiSenderFrom } from "../channels/cloud-api.js";
import { checkCloudApiTemplate, type TemplateCheck } from "../channels/cloud-api-templates.js";
import { normalizeColumnName } from "../mailing/header.js";
import { renderMessage, unknownPlaceholders } from "../mailing/placeholders.js";
import type { PersonRecord } from "../mailing/types.js";
import type { Database } from "../store/schema.js";
import { getSender, type SenderView } from "../store/senders.js";
import {
  describeTemplateMapping,
  mappingColumns,
  type TemplateMapping,
} from "../store/template-mapping.js";
import {
  addTemplate,
  getTemplate,
  listTemplates,
  removeTemplate,
  type TemplateView,
  templateMapping,
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
  remessa templates test ID [--sender ID] [--business-account ID] [--json]

Um template tem um nome (o do _nt no nome do arquivo e o aprovado no WhatsApp),
um idioma (padrão pt_BR) e um texto com parâmetros {{1}}, {{2}}…; cada --param
diz qual coluna do mailing preenche um parâmetro, na ordem: o primeiro --param
preenche {{1}}, o segundo {{2}} e assim por diante. O número de --param deve
ser igual ao maior {{n}} do texto. Exemplo:
  remessa templates add --name cobranca --wallet BRAD --default \\
    --body "Olá {{1}}, sua fatura de {{2}} está disponível." \\
    --param NOME_CLIENTE --param CORINGA1
Cabeçalho e botões do WhatsApp: um --param com prefixo.
  --param header:1=COLUNA        o parâmetro {{1}} do cabeçalho de texto
  --param header:image=COLUNA    cabeçalho de imagem com o link da coluna
                                 (também header:video= e header:document=)
  --param button:0=COLUNA        o final da URL do botão 0 (o primeiro botão)
  --param button:1:quick_reply=COLUNA
                                 o payload do botão de resposta rápida 1 (volta
                                 no webhook quando a pessoa toca no botão)
  --param body:2=COLUNA          o mesmo que um --param COLUNA na 2ª posição
--wallet: a carteira do template (sem ela, vale para todas as carteiras).
--default: o template padrão da carteira, usado quando o nome do arquivo não
tem _nt (um por carteira: o novo substitui o anterior). Exige --wallet.
Um template usado por uma campanha em andamento não é removido.
test ID: com um número WhatsApp do provedor cloudapi (--sender ID, ou o primeiro
que serve à carteira do template), lê o template na conta do WhatsApp Business
(--business-account ID, ou a cadastrada no remetente) e confere: existe no
idioma, está aprovado (APPROVED) e tem os parâmetros que o mapeamento preenche
(cabeçalho, texto e botões). Sem número cloudapi, mostra o texto com uma linha
de exemplo e diz quais marcadores não são colunas do mailing.
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
    sender: { type: "string" },
    "business-account": { type: "string" },
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
  const where = t.wallet_code
    ? `carteira ${t.wallet_code}${t.is_default ? " (padrão)" : ""}`
    : "todas as carteiras";
  return `"${t.name}" (${t.language}) — ${where}; ${describeTemplateMapping(templateMapping(t))}`;
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv, OPTIONS, HELP);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  const command = settingsCommand(positionals, values, "remessa templates list", HELP, [
    "add",
    "list",
    "remove",
    "test",
  ]);
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
    if (action === "test") {
      return testTemplate(db, tenantId, id as number, {
        sender: values.sender,
        businessAccount: values["business-account"],
        json: values.json === true,
      });
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

/** The columns every mailing may have (SPEC §4): a sample row fills them. */
const SAMPLE_PERSON: PersonRecord = {
  key: "C0001",
  keyKind: "codcliente",
  codCliente: "C0001",
  document: "12345678909",
  name: "Maria da Silva",
  tags: ["VIP"],
  message: null,
  fields: {
    CORINGA1: "R$ 150,00",
    CORINGA2: "10/12/2026",
    CORINGA3: "coringa 3",
    CORINGA4: "coringa 4",
    CORINGA5: "coringa 5",
    PRIORIDADE: "ALTA",
  },
  channels: [],
  firstLine: 2,
};
const SAMPLE_COLUMNS = [
  "NOME_CLIENTE",
  "CPFCNPJ",
  "CODCLIENTE",
  "TAG",
  "CORINGA1",
  "CORINGA2",
  "CORINGA3",
  "CORINGA4",
  "CORINGA5",
  "PRIORIDADE",
];

/** The template's text with the sample row: `[COLUNA]` and the mapped `{{n}}` filled. */
function localCheck(
  t: TemplateView,
  mapping: TemplateMapping,
): TemplateCheck & { preview: string } {
  const body = t.body ?? "";
  const columnValue = (column: string) => {
    const v = renderMessage(`[${column}]`, SAMPLE_PERSON);
    return v === `[${column}]` ? `[${column}]` : v;
  };
  const preview = renderMessage(body, SAMPLE_PERSON).replace(
    /\{\{\s*(\d+)\s*\}\}/g,
    (whole, n: string) => {
      const column = mapping.body[Number(n) - 1];
      return column === undefined ? whole : columnValue(column);
    },
  );
  const known = new Set(SAMPLE_COLUMNS.map(normalizeColumnName));
  const problems = unknownPlaceholders(body, SAMPLE_COLUMNS).map(
    (p) =>
      `O marcador ${p} não é coluna do mailing: fica escrito assim na mensagem, a não ser que o arquivo tenha uma coluna ${p.slice(1, -1)}.`,
  );
  for (const column of mappingColumns(mapping)) {
    if (!known.has(normalizeColumnName(column))) {
      problems.push(
        `A coluna ${column} do mapeamento não é uma coluna padrão do mailing: o parâmetro fica vazio quando o arquivo não a tiver.`,
      );
    }
  }
  return {
    ok: problems.length === 0,
    problems,
    message:
      problems.length === 0
        ? `Template "${t.name}": todos os marcadores e parâmetros têm coluna.`
        : `Template "${t.name}": ${problems.length === 1 ? "1 marcador sem coluna" : `${problems.length} marcadores sem coluna`}.`,
    preview,
  };
}

/** The Cloud API number to check a template with: the one asked for, or the first serving its wallet. */
async function cloudSenderFor(
  db: Kysely<Database>,
  tenantId: number,
  t: TemplateView,
  asked: string | undefined,
): Promise<SenderView | null | string> {
  if (asked !== undefined) {
    const id = Number(asked);
    const sender = /^\d+$/.test(asked) ? await getSender(db, tenantId, id) : null;
    if (!sender) {
      return `O remetente ${asked} não existe. Veja os remetentes com "remessa senders list".`;
    }
    if (sender.kind !== "whatsapp") return `O remetente ${asked} não é um número WhatsApp.`;
    return sender.provider === "cloudapi" ? sender : null;
  }
  let query = db
    .selectFrom("senders")
    .select("id")
    .where("tenant_id", "=", tenantId)
    .where("kind", "=", "whatsapp")
    .where("provider", "=", "cloudapi")
    .where("enabled", "=", 1);
  const walletId = t.wallet_id;
  if (walletId !== null) {
    query = query.where((eb) =>
      eb.or([eb("wallet_id", "is", null), eb("wallet_id", "=", walletId)]),
    );
  }
  const row = await query.orderBy("id").executeTakeFirst();
  return row ? getSender(db, tenantId, Number(row.id)) : null;
}

/** `templates test ID`: one round trip to Meta, or a local render; a pt-BR verdict. */
async function testTemplate(
  db: Kysely<Database>,
  tenantId: number,
  id: number,
  options: { sender: string | undefined; businessAccount: string | undefined; json: boolean },
): Promise<number> {
  const t = await getTemplate(db, tenantId, id);
  if (!t) {
    console.error(`O template ${id} não existe. Veja os templates com "remessa templates list".`);
    return EXIT.refused;
  }
  const mapping = templateMapping(t);
  const sender = await cloudSenderFor(db, tenantId, t, options.sender);
  if (typeof sender === "string") {
    console.error(sender);
    return EXIT.refused;
  }
  let result: TemplateCheck & { preview?: string; sender?: number };
  if (sender) {
    const settings = cloudApiSenderFrom(sender);
    if (typeof settings === "string") {
      result = { ok: false, problems: [settings], message: settings, sender: sender.id };
    } else {
      if (options.businessAccount !== undefined) {
        settings.businessAccountId = options.businessAccount.trim();
      }
      result = {
        ...(await checkCloudApiTemplate(settings, t, mapping)),
        sender: sender.id,
      };
    }
  } else {
    result = localCheck(t, mapping);
  }
  if (options.json) {
    console.log(
      JSON.stringify({
        id,
        ok: result.ok,
        provider: sender ? "cloudapi" : "local",
        sender: result.sender ?? null,
        message: result.message,
        problems: result.problems,
        ...(result.preview !== undefined ? { preview: result.preview } : {}),
      }),
    );
  } else {
    const print = result.ok ? console.log : console.error;
    const via = sender ? ` (Cloud API, remetente ${sender.id})` : "";
    print(`Template ${id}${via}: ${result.message}`);
    if (result.preview !== undefined) print(`Com uma linha de exemplo: ${result.preview}`);
    // A single problem is the message itself.
    if (
      result.problems.length > 1 ||
      (result.problems.length === 1 && result.problems[0] !== result.message)
    ) {
      for (const p of result.problems) print(`  - ${p}`);
    }
  }
  return result.ok ? EXIT.ok : EXIT.refused;
}
