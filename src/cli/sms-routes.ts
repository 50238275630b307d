/**
 * `remessa sms-routes add|list|remove|test`: the SMS routes campaigns send
 * through (`_smslong`, `_smsshort`), each a sender of kind "sms" with its
 * SMPP connection (provider "smpp") or the embedded outbox. The SMPP
 * password is read from stdin only, stored encrypted and never printed.
 */
import { DEFAULT_RATE_PER_SECOND } from "../campaigns/rates.js";
import { testBind } from "../channels/smpp-bind.js";
import type { SmppTestCode } from "../channels/smpp-codes.js";
import { SecretError } from "../store/secrets.js";
import { removeSender } from "../store/senders.js";
import {
  addSmsRoute,
  DEFAULT_SMPP_PORT,
  DEFAULT_SMPP_WINDOW,
  getSmsRoute,
  listSmsRoutes,
  type SmsRouteView,
  smppRouteConfig,
} from "../store/sms-routes.js";
import { DATA_DIR_HELP, DATA_DIR_OPTION, EXIT, parseCommandLine, tenantOption } from "./args.js";
import { listSettings, rateOption, removeSetting } from "./settings-args.js";
import { withStore } from "./store.js";

const HELP = `Uso:
  remessa sms-routes add --mode long|short --route ROTA --host SERVIDOR --system-id USUÁRIO
                         --source REMETENTE --password-stdin [--port N] [--system-type TIPO]
                         [--source-ton N] [--source-npi N] [--window N] [--name NOME]
                         [--wallet CÓDIGO] [--rate N] [--json]
  remessa sms-routes add --mode long|short --route ROTA --provider outbox [--wallet CÓDIGO] [--rate N]
  remessa sms-routes list [--wallet CÓDIGO] [--json]
  remessa sms-routes remove ID
  remessa sms-routes test ID [--timeout SEGUNDOS] [--json]

Uma rota de SMS é a conexão SMPP 3.4 com a operadora (ou agregador) por onde
saem as campanhas _smslong (--mode long, número longo) e _smsshort (--mode
short, short code). Os dados vêm do contrato com a operadora:
  --host, --port      servidor SMPP (porta padrão ${DEFAULT_SMPP_PORT})
  --system-id         usuário SMPP (system_id)
  --system-type       system_type, se a operadora pedir (padrão: vazio)
  --source            remetente (source address): o número longo, o short code
                      ou um nome alfanumérico
  --source-ton/-npi   TON/NPI do remetente (padrão: nome 5/0, short code 3/0,
                      número 1/1)
  --window            mensagens aguardando resposta ao mesmo tempo (padrão ${DEFAULT_SMPP_WINDOW})
A senha SMPP é lida da entrada padrão, guardada cifrada e nunca exibida:
  echo "$SENHA" | remessa sms-routes add ... --password-stdin
--provider outbox: a rota "envia" para a caixa de saída embutida (sem operadora).
--rate: mensagens por segundo contratadas (padrão ${DEFAULT_RATE_PER_SECOND.sms}).
test ID: faz um bind real na operadora e diz o que falhou (conexão recusada,
tempo esgotado, senha ou usuário recusados); --timeout: espera máxima (padrão 10 s).
Uma rota usada por uma campanha em andamento não é removida.
--json: saída em JSON ({ id, route, mode, name, wallet, provider, host, port,
systemId, systemType, source, sourceTon, sourceNpi, window, ratePerSecond,
hasPassword, createdAt }; list devolve uma lista; test devolve { ok, code, message }).
Todas aceitam --tenant ID (padrão: a empresa 1) e:
${DATA_DIR_HELP}`;

const OPTIONS = {
  allowPositionals: true,
  options: {
    ...DATA_DIR_OPTION,
    mode: { type: "string" },
    route: { type: "string" },
    name: { type: "string" },
    provider: { type: "string" },
    host: { type: "string" },
    port: { type: "string" },
    "system-id": { type: "string" },
    "system-type": { type: "string" },
    source: { type: "string" },
    "source-ton": { type: "string" },
    "source-npi": { type: "string" },
    window: { type: "string" },
    timeout: { type: "string" },
    "password-stdin": { type: "boolean" },
    wallet: { type: "string" },
    rate: { type: "string" },
    json: { type: "boolean" },
    tenant: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
} as const;

export function smsRouteJson(r: SmsRouteView) {
  return {
    id: r.id,
    route: r.number,
    mode: r.mode,
    name: r.name,
    wallet: r.wallet_code,
    provider: r.provider,
    host: r.settings?.host ?? null,
    port: r.settings?.port ?? null,
    systemId: r.settings?.systemId ?? null,
    systemType: r.settings?.systemType ?? null,
    source: r.settings?.sourceAddr ?? null,
    sourceTon: r.settings?.sourceTon ?? null,
    sourceNpi: r.settings?.sourceNpi ?? null,
    window: r.settings?.window ?? null,
    ratePerSecond: r.rate_per_second,
    hasPassword: r.hasPassword,
    createdAt: r.created_at,
  };
}

function describe(r: SmsRouteView): string {
  const mode = r.mode === "short" ? "short code" : "long code";
  const wallet = r.wallet_code ? `carteira ${r.wallet_code}` : "todas as carteiras";
  const rate = r.rate_per_second
    ? `${r.rate_per_second.toLocaleString("pt-BR")} msg/s`
    : `${DEFAULT_RATE_PER_SECOND.sms} msg/s (padrão)`;
  const link = r.settings
    ? `SMPP ${r.settings.systemId}@${r.settings.host}:${r.settings.port}, remetente ${r.settings.sourceAddr}, janela ${r.settings.window}`
    : `provedor ${r.provider}`;
  return `rota ${r.number} (${mode}) — ${link} — ${wallet}, ${rate}`;
}

/** A non-negative integer option, or a pt-BR problem. */
function intOption(name: string, value: string | undefined): number | null | { problem: string } {
  if (value === undefined) return null;
  if (!/^\d+$/.test(value.trim())) {
    return { problem: `--${name} deve ser um número inteiro (recebido "${value}").` };
  }
  return Number(value.trim());
}

/** The whole of stdin, without the final line break `echo` adds. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

function usage(problem: string): number {
  console.error(`${problem}\n\n${HELP}`);
  return EXIT.usage;
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv, OPTIONS, HELP);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  const tenantId = tenantOption(values.tenant);
  if (tenantId === null) return EXIT.usage;
  const [action, idText, ...extra] = positionals;
  if (!action) {
    console.error(HELP);
    return EXIT.usage;
  }
  if (!["add", "list", "remove", "test"].includes(action)) {
    return usage(`Ação desconhecida: "${action}". Use add, list, remove ou test.`);
  }
  if (extra.length > 0 || ((action === "add" || action === "list") && idText !== undefined)) {
    return usage(`Argumento inesperado: "${[idText, ...extra].filter(Boolean).join(" ")}".`);
  }
  let id = 0;
  if (action === "remove" || action === "test") {
    if (idText === undefined || !/^[1-9]\d*$/.test(idText)) {
      return usage('Informe o número da rota (veja "remessa sms-routes list").');
    }
    id = Number(idText);
  }
  const timeout = intOption("timeout", values.timeout);
  if (timeout !== null && (typeof timeout === "object" || timeout < 1)) {
    return usage("--timeout deve ser um número inteiro de segundos, 1 ou mais.");
  }

  if (action === "add") {
    if (!values.mode || values.route === undefined) {
      return usage("Informe o modo e o nome da rota: --mode long|short --route ROTA.");
    }
    const rate = rateOption(values.rate);
    if (rate !== null && typeof rate === "object") return usage(rate.problem);
    const numbers: Record<string, number | null> = {};
    for (const name of ["port", "source-ton", "source-npi", "window"] as const) {
      const n = intOption(name, values[name]);
      if (n !== null && typeof n === "object") return usage(n.problem);
      numbers[name] = n;
    }
    const provider = values.provider ?? (values.host !== undefined ? "smpp" : undefined);
    if (provider === undefined) {
      return usage("Informe o servidor SMPP (--host ...) ou --provider outbox.");
    }
    let password: string | null = null;
    if (provider.trim().toLowerCase() === "smpp") {
      if (!values["password-stdin"]) {
        return usage(
          'Informe a senha SMPP pela entrada padrão: echo "$SENHA" | remessa sms-routes add ... --password-stdin.',
        );
      }
      password = await readStdin();
    } else if (values["password-stdin"]) {
      return usage("A rota outbox não tem senha: tire --password-stdin.");
    }
    return withStore(tenantId, async (store) => {
      const route = await addSmsRoute(store.db, tenantId, {
        mode: values.mode ?? "",
        route: values.route ?? "",
        name: values.name ?? null,
        wallet: values.wallet ?? null,
        ratePerSecond: rate,
        provider,
        host: values.host ?? null,
        port: numbers.port ?? null,
        systemId: values["system-id"] ?? null,
        systemType: values["system-type"] ?? null,
        sourceAddr: values.source ?? null,
        sourceTon: numbers["source-ton"] ?? null,
        sourceNpi: numbers["source-npi"] ?? null,
        window: numbers.window ?? null,
        password,
      });
      if (values.json) console.log(JSON.stringify(smsRouteJson(route)));
      else {
        console.log(`Rota de SMS ${route.id} cadastrada: ${describe(route)}.`);
        if (route.provider === "smpp") {
          console.log(`Teste a conexão com "remessa sms-routes test ${route.id}".`);
        }
      }
      return EXIT.ok;
    });
  }

  return withStore(tenantId, async (store) => {
    const { db } = store;
    if (action === "list") {
      return listSettings(db, tenantId, values, (filter) => listSmsRoutes(db, tenantId, filter), {
        json: smsRouteJson,
        empty:
          'Nenhuma rota de SMS cadastrada. Cadastre uma com "remessa sms-routes add" (veja --help).',
        print: (r) => console.log(`${String(r.id).padStart(4)}  ${describe(r)}`),
      });
    }
    const missing = `A rota de SMS ${id} não existe. Veja as rotas com "remessa sms-routes list".`;
    if (action === "remove") {
      return removeSetting(
        id,
        (n) => getSmsRoute(db, tenantId, n),
        (n) => removeSender(db, tenantId, n),
        { missing, removed: (r) => `Rota de SMS ${r.id} removida (${describe(r)}).` },
      );
    }
    // test
    const route = await getSmsRoute(db, tenantId, id);
    if (!route) {
      console.error(missing);
      return EXIT.refused;
    }
    let config: Awaited<ReturnType<typeof smppRouteConfig>>;
    try {
      config = await smppRouteConfig(db, tenantId, id);
    } catch (error) {
      if (error instanceof SecretError) config = { problem: error.message };
      else throw error;
    }
    if ("problem" in config) return report(false, "CONFIGURACAO", config.problem, values.json);
    const { settings } = config;
    const problem = await testBind(
      {
        host: settings.host,
        port: settings.port,
        systemId: settings.systemId,
        password: config.password,
        systemType: settings.systemType,
      },
      (timeout ?? 10) * 1000,
    );
    if (problem) return report(false, problem.code, problem.message, values.json);
    return report(
      true,
      "OK",
      `Bind SMPP feito em ${settings.host}:${settings.port} como ${settings.systemId}: a rota ${route.number} está pronta.`,
      values.json,
    );
  });
}

function report(
  ok: boolean,
  code: SmppTestCode | "OK",
  message: string,
  json: boolean | undefined,
): number {
  if (json) console.log(JSON.stringify({ ok, code, message }));
  else if (ok) console.log(message);
  else console.error(`[${code}] ${message}`);
  return ok ? EXIT.ok : EXIT.refused;
}
