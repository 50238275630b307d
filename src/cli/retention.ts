/**
 * `remessa retention show|set|run`: per-tenant retention of stored files and
 * message texts (src/privacy/retention.ts), and the purge the `serve` runs daily.
 */
import { createLogger } from "../log.js";
import {
  getRetention,
  RETENTION_DEFAULTS,
  runRetention,
  setRetention,
} from "../privacy/retention.js";
import { ValidationError } from "../store/tenants.js";
import { DATA_DIR_HELP, DATA_DIR_OPTION, EXIT, parseCommandLine, tenantOption } from "./args.js";
import { withStore } from "./store.js";

const HELP = `Uso:
  remessa retention show [--json]
  remessa retention set [--originals DIAS] [--messages DIAS] [--discarded DIAS] [--audit DIAS]
  remessa retention run [--dry-run] [--all-tenants] [--json]

Por quanto tempo o remessa guarda dados pessoais, por empresa:
--originals: cópias guardadas e relatórios de arquivos importados (padrão ${RETENTION_DEFAULTS.originalsDays} dias
             após a chegada); nas origens locais (caixa FTPS embutida) também o
             arquivo movido, seus relatórios e o arquivo de retorno;
--discarded: o mesmo para arquivos descartados (padrão ${RETENTION_DEFAULTS.discardedDays} dias);
--messages:  textos e destinos das mensagens (padrão ${RETENTION_DEFAULTS.messagesDays} dias após o fim da
             campanha; situação e horários ficam, e os totais também);
--audit:     registros da auditoria (padrão ${RETENTION_DEFAULTS.auditDays} dias = 5 anos; mínimo 365,
             máximo 36500); o mesmo que "remessa audit settings --retention-days".
Arquivos em servidores remotos são da empresa e não são apagados.
run: apaga agora o que passou do prazo (o "remessa serve" faz isso uma vez por
dia); --dry-run só conta. Sem --all-tenants, só a empresa de --tenant.
Aceita --tenant ID (padrão: a empresa 1) e:
${DATA_DIR_HELP}`;

const OPTIONS = {
  allowPositionals: true,
  options: {
    ...DATA_DIR_OPTION,
    originals: { type: "string" },
    messages: { type: "string" },
    discarded: { type: "string" },
    audit: { type: "string" },
    "dry-run": { type: "boolean" },
    "all-tenants": { type: "boolean" },
    json: { type: "boolean" },
    tenant: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
} as const;

function days(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim())) {
    throw new ValidationError(`${option} "${value}": informe um número inteiro de dias.`);
  }
  return Number(value.trim());
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv, OPTIONS, HELP);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  const tenantId = tenantOption(values.tenant);
  if (tenantId === null) return EXIT.usage;
  const [action, ...extra] = positionals;
  if (!action || !["show", "set", "run"].includes(action) || extra.length > 0) {
    console.error(
      action
        ? `Ação desconhecida ou argumento a mais: "${positionals.join(" ")}".\n\n${HELP}`
        : HELP,
    );
    return EXIT.usage;
  }
  return withStore(tenantId, async (store) => {
    if (action === "show" || action === "set") {
      const retention =
        action === "set"
          ? await setRetention(store.db, tenantId, {
              originalsDays: days(values.originals, "--originals"),
              messagesDays: days(values.messages, "--messages"),
              discardedDays: days(values.discarded, "--discarded"),
              auditDays: days(values.audit, "--audit"),
            } as Parameters<typeof setRetention>[2])
          : await getRetention(store.db, tenantId);
      if (values.json) console.log(JSON.stringify(retention));
      else
        console.log(
          `Retenção da empresa ${tenantId}: arquivos importados e relatórios ${retention.originalsDays} dias; descartados ${retention.discardedDays} dias; textos e destinos de mensagens ${retention.messagesDays} dias; auditoria ${retention.auditDays} dias.`,
        );
      return EXIT.ok;
    }
    const reports = await runRetention(store, {
      dryRun: values["dry-run"] === true,
      log: createLogger({ service: "remessa-retention" }),
      ...(values["all-tenants"] ? {} : { tenantId }),
    });
    if (values.json) {
      console.log(JSON.stringify(reports, null, 2));
      return EXIT.ok;
    }
    const verb = values["dry-run"] ? "seriam apagados" : "apagados";
    for (const r of reports) {
      console.log(
        `Empresa ${r.tenantId}: ${r.originals.mailings} arquivos importados (${r.originals.files} arquivos ${verb}), ${r.discarded.mailings} descartados (${r.discarded.files} arquivos ${verb}), ${r.messages.messages} mensagens de ${r.messages.campaigns} campanhas com texto e destino ${verb}, ${r.audit.events} registros de auditoria ${verb}.`,
      );
    }
    return EXIT.ok;
  });
}
