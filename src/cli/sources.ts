/**
 * `remessa sources add|list|remove|test`: the file sources of a tenant
 * (Configurações > FTP). The password is read from stdin only (never from
 * the command line, where `ps` and shell history would keep it), stored
 * encrypted by the store, and never printed.
 */

import type { parseArgs } from "node:util";
import { plural } from "../plural.js";
import { SourceError } from "../sources/errors.js";
import { isValidFingerprint } from "../sources/fingerprint.js";
import { checkHostSyntax } from "../sources/host-guard.js";
import { type ConnectionTestResult, testConnection } from "../sources/test-connection.js";
import type { SourceConfig, SourceProtocol } from "../sources/types.js";
import { describeDbError } from "../store/errors.js";
import {
  createSource,
  DEFAULT_INTERVAL_SECONDS,
  DEFAULT_STABILITY_SECONDS,
  getSource,
  getSourceWithSecret,
  isDropBoxSource,
  listSources,
  MIN_INTERVAL_SECONDS,
  removeSource,
  type SourceRemovalImpact,
  type SourceSummary,
  sourceRemovalImpact,
} from "../store/sources.js";
import { ValidationError } from "../store/tenants.js";
import {
  confirmDestructive,
  DATA_DIR_HELP,
  DATA_DIR_OPTION,
  EXIT,
  parseCommandLine,
  tenantOption,
} from "./args.js";
import { withStore } from "./store.js";

const PROTOCOLS: readonly SourceProtocol[] = [
  "ftp",
  "ftps-explicit",
  "ftps-implicit",
  "sftp",
  "local",
];

const HELP = `Uso:
  remessa sources add --protocol P --host H [--port N] --user U --password-stdin
                      [--root /] [--interval 30] [--stable 10] [--name NOME]
                      [--allow-private] [--tls-fingerprint SHA256 | --tls-insecure]
  remessa sources list [--json]
  remessa sources remove ID [--yes] [--force]
  remessa sources test ID [--json]
  remessa sources test --protocol P --host H ... (as mesmas opções do add) [--json]

Protocolos: ftp, ftps-explicit (AUTH TLS, porta 21 — o caso comum),
ftps-implicit (porta 990), sftp (porta 22) e local (uma pasta desta máquina,
informada em --root).
A senha é lida da entrada padrão: echo "$SENHA" | remessa sources add ... --password-stdin
--interval: segundos entre leituras (mínimo ${MIN_INTERVAL_SECONDS}, padrão ${DEFAULT_INTERVAL_SECONDS}).
--stable: segundos que um arquivo deve ficar sem mudar antes de ser lido (padrão ${DEFAULT_STABILITY_SECONDS}).
--allow-private: aceita endereços de rede interna (instalação local, testes).
--tls-fingerprint: fixa o certificado (FTPS) ou a chave do servidor (SFTP) pela
impressão digital SHA-256; --tls-insecure aceita qualquer certificado.
remove mostra o que será apagado e pede confirmação; --yes confirma sem
perguntar (obrigatório fora de um terminal, em scripts). A origem da caixa
FTPS embutida (caixa-ftp, caixa-ftp-2…) só é removida com --force.
Todas aceitam --tenant ID (padrão: a empresa 1) e:
${DATA_DIR_HELP}`;

type Values = ReturnType<typeof parseArgs<typeof OPTIONS>>["values"];

class UsageError extends Error {}

const OPTIONS = {
  allowPositionals: true,
  options: {
    ...DATA_DIR_OPTION,
    yes: { type: "boolean", short: "y" },
    force: { type: "boolean" },
    protocol: { type: "string" },
    host: { type: "string" },
    port: { type: "string" },
    user: { type: "string" },
    "password-stdin": { type: "boolean" },
    root: { type: "string" },
    interval: { type: "string" },
    stable: { type: "string" },
    name: { type: "string" },
    "allow-private": { type: "boolean" },
    "tls-fingerprint": { type: "string" },
    "tls-insecure": { type: "boolean" },
    tenant: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  },
} as const;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv, OPTIONS, HELP);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  const [action, id, ...extra] = positionals;
  const tenantId = tenantOption(values.tenant);
  if (tenantId === null) return EXIT.usage;
  if (!action || !["add", "list", "remove", "test"].includes(action) || extra.length > 0) {
    console.error(
      action ? `Ação desconhecida ou argumentos a mais: "${argv.join(" ")}".\n\n${HELP}` : HELP,
    );
    return 2;
  }
  if ((action === "remove" || (action === "test" && values.protocol === undefined)) && !isId(id)) {
    console.error(`Informe o número da origem (veja "remessa sources list").\n\n${HELP}`);
    return 2;
  }

  try {
    // A connection test from flags needs no database.
    if (action === "test" && values.protocol !== undefined) {
      if (id !== undefined) throw new UsageError("Use ID ou --protocol ..., não os dois.");
      const config = await configFromFlags(values);
      return report(await testConnection(config), values.json === true);
    }
    if (action === "add") {
      if (id !== undefined) throw new UsageError("sources add não recebe argumentos soltos.");
      // Validated (and the password read) before the database is opened.
      const config = await configFromFlags(values);
      const timing = timingFromFlags(values);
      return await withStore(tenantId, async (store) => {
        const created = await createSource(store.db, tenantId, {
          ...config,
          ...timing,
          name: values.name ?? null,
        });
        if (values.json) console.log(JSON.stringify(publicView(created)));
        else {
          console.log(
            `Origem ${created.id} criada: ${describe(created)}. Teste com "remessa sources test ${created.id}".`,
          );
        }
        return 0;
      });
    }
    return await withStore(tenantId, async (store) => {
      if (action === "list") {
        const sources = await listSources(store.db, tenantId);
        if (values.json) console.log(JSON.stringify(sources.map(publicView)));
        else if (sources.length === 0) {
          console.log('Nenhuma origem cadastrada. Cadastre uma com "remessa sources add".');
        } else {
          const width = Math.max(...sources.map((source) => source.name.length));
          for (const source of sources) {
            console.log(
              `${String(source.id).padStart(4)}  ${source.name.padEnd(width)}  ${describe(source)}`,
            );
          }
        }
        return 0;
      }
      const sourceId = Number(id);
      if (action === "remove") {
        const source = await getSource(store.db, tenantId, sourceId);
        if (!source) {
          console.error(
            `A origem ${sourceId} não existe. Veja as origens com "remessa sources list".`,
          );
          return 1;
        }
        const dropBox = isDropBoxSource(source);
        if (dropBox && !values.force) {
          console.error(
            `${dropBoxWarning(source)} Nada foi feito. Se é isso mesmo que quer, repita com --force: o serve recriará a origem na próxima vez que iniciar.`,
          );
          return EXIT.usage;
        }
        const impact = await sourceRemovalImpact(store.db, tenantId, sourceId);
        console.error(describeRemoval(source, impact));
        if (dropBox) {
          console.error(
            `${dropBoxWarning(source)} O serve recriará a origem na próxima vez que iniciar.`,
          );
        }
        const stop = await confirmDestructive(values.yes);
        if (stop !== null) return stop;
        if (!(await removeSource(store.db, tenantId, sourceId))) {
          console.error(`A origem ${sourceId} já tinha sido removida.`);
          return 1;
        }
        console.log(`Origem ${sourceId} ("${source.name}") removida.`);
        return 0;
      }
      const stored = await getSourceWithSecret(store.db, tenantId, sourceId);
      if (!stored) {
        console.error(
          `A origem ${sourceId} não existe. Veja as origens com "remessa sources list".`,
        );
        return 1;
      }
      return report(await testConnection(stored), values.json === true);
    });
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n\n${HELP}`);
      return 2;
    }
    if (error instanceof ValidationError || error instanceof SourceError) {
      console.error(error.message);
      return 1;
    }
    console.error(describeDbError(error));
    return 1;
  }
}

function isId(text: string | undefined): boolean {
  return text !== undefined && /^[1-9][0-9]*$/.test(text);
}

function report(result: ConnectionTestResult, json: boolean): number {
  if (json) {
    console.log(JSON.stringify({ ok: result.ok, code: result.code, message: result.message }));
  } else if (result.ok) {
    console.log(result.message);
  } else {
    console.error(`[${result.code}] ${result.message}`);
  }
  return result.ok ? 0 : 1;
}

/** Builds and validates a SourceConfig from the flags; reads the password from stdin. */
async function configFromFlags(values: Values): Promise<SourceConfig> {
  const protocol = values.protocol as SourceProtocol | undefined;
  if (!protocol || !PROTOCOLS.includes(protocol)) {
    throw new UsageError(
      `Informe --protocol com um de: ${PROTOCOLS.join(", ")}${values.protocol ? ` (recebido "${values.protocol}")` : ""}.`,
    );
  }
  if (values["tls-fingerprint"] !== undefined && values["tls-insecure"]) {
    throw new UsageError("Use --tls-fingerprint ou --tls-insecure, não os dois.");
  }
  const allowPrivate = values["allow-private"] === true;
  if (protocol === "local") {
    if (!values.root) throw new UsageError("Para o protocolo local, informe a pasta em --root.");
    return {
      protocol,
      host: "",
      port: null,
      user: "",
      password: "",
      root: values.root,
      allowPrivate,
      tlsFingerprint: null,
      tlsInsecure: false,
    };
  }
  if (!values.host) throw new UsageError("Informe o servidor em --host (ex.: ftp.empresa.com.br).");
  if (!values.user) throw new UsageError("Informe o usuário em --user.");
  if (!values["password-stdin"]) {
    throw new UsageError("Informe a senha pela entrada padrão com --password-stdin.");
  }
  const host = checkHostSyntax(values.host, { allowPrivate });
  let port: number | null = null;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!/^[0-9]+$/.test(values.port) || port < 1 || port > 65535) {
      throw new ValidationError(`Porta "${values.port}" inválida: use um número de 1 a 65535.`);
    }
  }
  const fingerprint = values["tls-fingerprint"]?.trim() ?? null;
  if (fingerprint !== null && !isValidFingerprint(fingerprint)) {
    throw new ValidationError(
      `Impressão digital "${fingerprint}" inválida: use o SHA-256 em hexadecimal (AB:CD:...) ou no formato SHA256:... que o servidor SSH mostra.`,
    );
  }
  if (protocol === "ftp" && (fingerprint !== null || values["tls-insecure"])) {
    throw new UsageError("--tls-fingerprint e --tls-insecure valem só para FTPS e SFTP.");
  }
  const password = await readPassword();
  if (password === "") {
    throw new ValidationError(
      'A senha lida da entrada padrão está vazia: envie a senha, ex.: echo "$SENHA" | remessa sources ...',
    );
  }
  return {
    protocol,
    host,
    port,
    user: values.user,
    password,
    root: values.root ?? "/",
    allowPrivate,
    tlsFingerprint: fingerprint,
    tlsInsecure: values["tls-insecure"] === true,
  };
}

function timingFromFlags(values: Values): { intervalSeconds: number; stabilitySeconds: number } {
  const intervalSeconds = Number(values.interval ?? DEFAULT_INTERVAL_SECONDS);
  if (!Number.isInteger(intervalSeconds) || intervalSeconds < MIN_INTERVAL_SECONDS) {
    throw new ValidationError(
      `--interval deve ser um número inteiro de segundos, no mínimo ${MIN_INTERVAL_SECONDS} (recebido "${values.interval}").`,
    );
  }
  const stabilitySeconds = Number(values.stable ?? DEFAULT_STABILITY_SECONDS);
  if (!Number.isInteger(stabilitySeconds) || stabilitySeconds < 0) {
    throw new ValidationError(
      `--stable deve ser um número inteiro de segundos, 0 ou mais (recebido "${values.stable}").`,
    );
  }
  return { intervalSeconds, stabilitySeconds };
}

/** The whole of stdin, without the final line break `echo` adds. */
async function readPassword(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

function publicView(source: SourceSummary) {
  return {
    id: source.id,
    name: source.name,
    protocol: source.protocol,
    host: source.host,
    port: source.port,
    user: source.user,
    root: source.root,
    intervalSeconds: source.intervalSeconds,
    stabilitySeconds: source.stabilitySeconds,
    allowPrivate: source.allowPrivate,
    tlsFingerprint: source.tlsFingerprint,
    tlsInsecure: source.tlsInsecure,
    enabled: source.enabled,
    lastError: source.lastError,
  };
}

function dropBoxWarning(source: SourceSummary): string {
  return `A origem ${source.id} ("${source.name}") é a caixa FTPS embutida do "remessa serve" (pasta ${source.root}): removê-la faz o serve em execução parar de processar todos os arquivos enviados à caixa até ser reiniciado.`;
}

/** What goes with the source, told before asking (on stderr: stdout stays for results). */
function describeRemoval(source: SourceSummary, impact: SourceRemovalImpact): string {
  const lines = [
    "a configuração e a senha guardada são apagadas; os arquivos no servidor não são tocados",
  ];
  if (impact.mailings > 0) {
    lines.push(
      `${plural(impact.mailings, "arquivo registrado fica", "arquivos registrados ficam")} no histórico sem a origem`,
    );
  }
  if (impact.unfinished > 0) {
    lines.push(
      `${plural(impact.unfinished, "arquivo ainda não terminado deixa de ser processado (não vai", "arquivos ainda não terminados deixam de ser processados (não vão")} para LIDOS nem DESCARTADOS)`,
    );
  }
  return `A origem ${source.id} ("${source.name}", ${describe(source)}) será removida. Isso não pode ser desfeito:\n${lines.map((l) => `  - ${l}`).join("\n")}`;
}

function describe(source: SourceSummary): string {
  if (source.protocol === "local")
    return `local ${source.root} (a cada ${source.intervalSeconds} s)`;
  const port = source.port === null ? "" : `:${source.port}`;
  const trust = source.tlsFingerprint
    ? ", certificado fixado"
    : source.tlsInsecure
      ? ", aceita qualquer certificado"
      : "";
  return `${source.protocol}://${source.user}@${source.host}${port}${source.root} (a cada ${source.intervalSeconds} s${trust})`;
}
