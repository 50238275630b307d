/**
 * `remessa audit list|settings`: the tenant's audit trail (who did what, to
 * which object, when; src/store/audit.ts) and its privacy settings: the
 * switch that requires a legal basis per wallet, and how long the trail is
 * kept.
 */
import { cliActor, markAudited } from "../privacy/cli-audit.js";
import { appendAudit, listAudit } from "../store/audit.js";
import { getPrivacySettings, setPrivacySettings } from "../store/privacy.js";
import { DATA_DIR_HELP, DATA_DIR_OPTION, EXIT, parseCommandLine, tenantOption } from "./args.js";
import { withStore } from "./store.js";

const HELP = `Uso:
  remessa audit list [--since DATA] [--limit N] [--json] [--tenant ID]
  remessa audit settings [--require-legal-basis sim|nao] [--retention-days DIAS] [--json] [--tenant ID]

list mostra a trilha de auditoria da empresa, da mais antiga para a mais
recente: quem (usuário do sistema, --actor, chave de API), o quê, em qual
objeto e quando. Ações do operador na linha de comando e na API e ações de
privacidade (listas de restrição, base legal) entram nela; ninguém altera ou
apaga um registro (só a retenção, depois do prazo).
  --since DATA   só a partir de DATA (ISO 8601, ex.: 2026-12-01 ou 2026-12-01T08:00:00Z)

settings mostra ou muda as configurações de privacidade da empresa:
  --require-legal-basis sim|nao  exige base legal (LGPD) na carteira para importar
                                 um arquivo (padrão: nao); sem ela, o arquivo é
                                 descartado com BASE_LEGAL_AUSENTE
  --retention-days DIAS          por quanto tempo a auditoria é guardada
                                 (padrão 1825 = 5 anos; mínimo 365)
Todas aceitam:
${DATA_DIR_HELP}`;

const OPTIONS = {
  allowPositionals: true,
  options: {
    ...DATA_DIR_OPTION,
    since: { type: "string" },
    limit: { type: "string" },
    "require-legal-basis": { type: "string" },
    "retention-days": { type: "string" },
    tenant: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  },
} as const;

const YES = new Set(["sim", "s", "yes", "on", "1", "true"]);
const NO = new Set(["nao", "não", "n", "no", "off", "0", "false"]);

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv, OPTIONS, HELP);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  const [action, ...extra] = positionals;
  const tenantId = tenantOption(values.tenant);
  if (tenantId === null) return EXIT.usage;
  if (!action || !["list", "settings"].includes(action) || extra.length > 0) {
    console.error(action ? `Ação desconhecida ou argumentos a mais.\n\n${HELP}` : HELP);
    return EXIT.usage;
  }
  let since: string | undefined;
  if (values.since !== undefined) {
    const at = Date.parse(values.since);
    if (Number.isNaN(at)) {
      console.error(
        `--since "${values.since}" não é uma data: use ISO 8601, ex.: 2026-12-01 ou 2026-12-01T08:00:00Z.`,
      );
      return EXIT.usage;
    }
    since = new Date(at).toISOString();
  }
  const limit = values.limit === undefined ? 1000 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100000) {
    console.error("--limit deve ser um número de 1 a 100000.");
    return EXIT.usage;
  }
  let require: boolean | undefined;
  const flag = values["require-legal-basis"]?.trim().toLowerCase();
  if (flag !== undefined) {
    if (YES.has(flag)) require = true;
    else if (NO.has(flag)) require = false;
    else {
      console.error('--require-legal-basis aceita "sim" ou "nao".');
      return EXIT.usage;
    }
  }
  const days =
    values["retention-days"] === undefined ? undefined : Number(values["retention-days"]);
  if (days !== undefined && !Number.isInteger(days)) {
    console.error("--retention-days deve ser um número inteiro de dias, por exemplo 1825.");
    return EXIT.usage;
  }

  return withStore(tenantId, async (store) => {
    if (action === "list") {
      const events = await listAudit(store.db, tenantId, {
        ...(since !== undefined ? { since } : {}),
        limit,
      });
      if (values.json) console.log(JSON.stringify(events));
      else if (events.length === 0) console.log("Nenhum registro de auditoria no período.");
      else {
        for (const e of events) {
          const subject = e.subject === null ? "" : ` ${e.subject}`;
          const details = e.details === null ? "" : ` ${JSON.stringify(e.details)}`;
          console.log(`${e.at}  ${e.actor.padEnd(20)} ${e.action}${subject}${details}`);
        }
      }
      return EXIT.ok;
    }
    const before = await getPrivacySettings(store.db, tenantId);
    const change = {
      ...(require !== undefined ? { requireLegalBasis: require } : {}),
      ...(days !== undefined ? { auditRetentionDays: days } : {}),
    };
    const after = (await setPrivacySettings(store.db, tenantId, change)) ?? before;
    if (Object.keys(change).length > 0) {
      await appendAudit(store.db, {
        tenantId,
        actor: cliActor(),
        action: "privacy.settings",
        subject: `tenant:${tenantId}`,
        details: { before, after },
      });
    }
    markAudited();
    if (values.json) console.log(JSON.stringify(after));
    else if (after) {
      console.log(
        `Base legal exigida para importar: ${after.requireLegalBasis ? "sim" : "não"}. Retenção da auditoria: ${after.auditRetentionDays} dias.`,
      );
    }
    return EXIT.ok;
  });
}
