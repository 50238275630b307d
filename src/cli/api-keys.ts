/**
 * `remessa api-keys create|list|revoke`: a tenant's keys for the HTTP API.
 * The key is printed once, at creation; only its hash is stored.
 */
import { createApiKey, listApiKeys, revokeApiKey } from "../store/api-keys.js";
import type { ApiKeyScope } from "../store/schema.js";
import { DATA_DIR_HELP, DATA_DIR_OPTION, EXIT, parseCommandLine, tenantOption } from "./args.js";
import { withStore } from "./store.js";

const HELP = `Uso:
  remessa api-keys create [--name NOME] [--scope read|write] [--tenant ID] [--json]
  remessa api-keys list [--tenant ID] [--json]
  remessa api-keys revoke ID [--tenant ID] [--json]

Chaves de API de uma empresa, para a API HTTP (cabeçalho Authorization: Bearer CHAVE).
--scope read: só leitura (padrão); write: leitura e alterações.
A chave é mostrada uma única vez, ao ser criada: guarde-a num cofre de senhas.
Sem --tenant, usa a empresa padrão (1). Todas aceitam:
${DATA_DIR_HELP}`;

const OPTIONS = {
  allowPositionals: true,
  options: {
    ...DATA_DIR_OPTION,
    name: { type: "string" },
    scope: { type: "string" },
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
  if (!action || !["create", "list", "revoke"].includes(action) || extra.length > 0) {
    console.error(action ? `Ação desconhecida ou argumentos a mais.\n\n${HELP}` : HELP);
    return EXIT.usage;
  }
  if (action === "revoke" && !(id !== undefined && /^[1-9][0-9]*$/.test(id))) {
    console.error(`Informe o número da chave (veja "remessa api-keys list").\n\n${HELP}`);
    return EXIT.usage;
  }
  if (action !== "revoke" && id !== undefined) {
    console.error(`Argumento inesperado: "${id}".\n\n${HELP}`);
    return EXIT.usage;
  }
  const scope = values.scope ?? "read";
  if (scope !== "read" && scope !== "write") {
    console.error(
      `--scope "${scope}" não é válido: use read (só leitura) ou write (leitura e escrita).`,
    );
    return EXIT.usage;
  }
  return withStore(tenantId, async (store) => {
    if (action === "create") {
      const { key, summary } = await createApiKey(store.db, tenantId, {
        name: values.name ?? `chave ${new Date().toISOString().slice(0, 10)}`,
        scope: scope as ApiKeyScope,
      });
      if (values.json) {
        console.log(JSON.stringify({ ...summary, key }));
      } else {
        console.log(
          `Chave ${summary.id} "${summary.name}" criada (escopo ${summary.scope === "write" ? "write: leitura e escrita" : "read: só leitura"}, empresa ${tenantId}):\n\n  ${key}\n\nGuarde-a agora: ela não será mostrada de novo (o remessa guarda só um hash dela).`,
        );
      }
      return EXIT.ok;
    }
    if (action === "revoke") {
      const revoked = await revokeApiKey(store.db, tenantId, Number(id));
      if (!revoked) {
        console.error(
          `A chave ${id} não existe nesta empresa. Veja as chaves com "remessa api-keys list".`,
        );
        return EXIT.refused;
      }
      if (values.json) console.log(JSON.stringify(revoked));
      else console.log(`Chave ${revoked.id} ("${revoked.name}", ${revoked.prefix}…) revogada.`);
      return EXIT.ok;
    }
    const keys = await listApiKeys(store.db, tenantId);
    if (values.json) console.log(JSON.stringify(keys));
    else if (keys.length === 0) {
      console.log('Nenhuma chave cadastrada. Crie uma com "remessa api-keys create".');
    } else {
      for (const k of keys) {
        const state = k.revokedAt ? `revogada em ${k.revokedAt}` : "ativa";
        const used = k.lastUsedAt ? `, último uso ${k.lastUsedAt}` : "";
        console.log(
          `${String(k.id).padStart(4)}  ${k.prefix}…  ${k.scope.padEnd(5)}  ${k.name}  (${state}${used})`,
        );
      }
    }
    return EXIT.ok;
  });
}
