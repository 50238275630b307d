/**
 * `remessa restrictions add|remove|list|import`: the tenant's restriction
 * (opt-out) lists, for one wallet or the whole tenant, one channel or all, by
 * phone, e-mail or CPF/CNPJ (src/store/restrictions.ts). Every change is
 * written to the audit trail with the value masked (src/privacy/mask.ts).
 */
import { stat } from "node:fs/promises";
import { displayLocal } from "../local-time.js";
import { plural } from "../plural.js";
import { cliActor, markAudited } from "../privacy/cli-audit.js";
import { maskValue } from "../privacy/mask.js";
import { fileLines, importRestrictionLines } from "../privacy/restriction-import.js";
import { appendAudit } from "../store/audit.js";
import {
  addRestriction,
  listRestrictions,
  parseRestrictionValue,
  RESTRICTION_CHANNELS,
  RESTRICTION_ORIGINS,
  type Restriction,
  type RestrictionChannel,
  type RestrictionKind,
  removeRestriction,
} from "../store/restrictions.js";
import { getTenant } from "../store/tenants.js";
import { getWalletByCode } from "../store/wallets.js";
import { DATA_DIR_HELP, DATA_DIR_OPTION, EXIT, parseCommandLine, tenantOption } from "./args.js";
import { withStore } from "./store.js";

const HELP = `Uso:
  remessa restrictions add VALOR [--wallet CÓDIGO] [--channel CANAL] [--kind TIPO] [--reason TEXTO]
  remessa restrictions remove VALOR [--wallet CÓDIGO] [--channel CANAL] [--kind TIPO]
  remessa restrictions list [--wallet CÓDIGO | --whole-tenant] [--channel CANAL] [--value VALOR] [--limit N]
  remessa restrictions import ARQUIVO [--wallet CÓDIGO] [--channel CANAL] [--kind TIPO] [--reason TEXTO]

Listas de restrição (descadastro): quem está nelas não recebe mensagens. Na
importação com _h a pessoa ou o contato sai do mailing (RESTRITO); no envio,
uma restrição incluída depois da importação vale a partir da próxima mensagem.

VALOR é um telefone (com DDD), um e-mail ou um CPF/CNPJ; o tipo é reconhecido
pelo valor. Um número que é ao mesmo tempo celular e CPF válido é recusado:
escreva o CPF com pontuação (000.000.000-00) ou use --kind.
  --wallet CÓDIGO  só nessa carteira (sem --wallet: a empresa inteira)
  --channel CANAL  só nesse canal: sms, whatsapp ou email (sem --channel: todos)
  --kind TIPO      phone, email ou cpf (cpf vale também para CNPJ)
  --reason TEXTO   motivo, guardado com a restrição
  --whole-tenant   (list) só as restrições da empresa inteira

import lê um arquivo CSV ou texto com um valor por linha (a primeira coluna,
se houver mais), com centenas de milhares de linhas; linhas inválidas são
listadas com o número e ficam de fora, o resto entra de uma vez.
remove tira a restrição do valor naquele escopo (mesmos --wallet e --channel).
Todas aceitam --tenant ID (padrão 1), --json e:
${DATA_DIR_HELP}`;

const OPTIONS = {
  allowPositionals: true,
  options: {
    ...DATA_DIR_OPTION,
    wallet: { type: "string" },
    channel: { type: "string" },
    kind: { type: "string" },
    reason: { type: "string" },
    value: { type: "string" },
    limit: { type: "string" },
    "whole-tenant": { type: "boolean" },
    tenant: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  },
} as const;

const KINDS: Readonly<Record<string, RestrictionKind>> = {
  phone: "phone",
  telefone: "phone",
  email: "email",
  "e-mail": "email",
  cpf: "document",
  cnpj: "document",
  document: "document",
};

const KIND_LABEL: Readonly<Record<RestrictionKind, string>> = {
  phone: "telefone",
  email: "e-mail",
  document: "CPF/CNPJ",
};

function scopeText(r: { wallet: string | null; channel: RestrictionChannel | null }): string {
  const where = r.wallet === null ? "empresa inteira" : `carteira ${r.wallet}`;
  return `${where}, ${r.channel === null ? "todos os canais" : `canal ${r.channel}`}`;
}

function asJson(r: Restriction) {
  return {
    id: r.id,
    wallet: r.wallet,
    channel: r.channel,
    kind: r.kind,
    value: r.value,
    reason: r.reason,
    origin: r.origin,
    actor: r.actor,
    createdAt: r.createdAt,
  };
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv, OPTIONS, HELP);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  const [action, arg, ...extra] = positionals;
  const tenantId = tenantOption(values.tenant);
  if (tenantId === null) return EXIT.usage;
  const known = ["add", "remove", "list", "import"];
  if (!action || !known.includes(action)) {
    console.error(action ? `Ação desconhecida: "${action}".\n\n${HELP}` : HELP);
    return EXIT.usage;
  }
  if (extra.length > 0 || (action === "list" ? arg !== undefined : arg === undefined)) {
    console.error(
      action === "list"
        ? `Argumento inesperado: "${arg}".\n\n${HELP}`
        : `Informe ${action === "import" ? "o arquivo" : "o valor"}.\n\n${HELP}`,
    );
    return EXIT.usage;
  }
  const channel = (values.channel ?? null) as RestrictionChannel | null;
  if (channel !== null && !RESTRICTION_CHANNELS.includes(channel)) {
    console.error(`--channel "${values.channel}" não existe: use sms, whatsapp ou email.`);
    return EXIT.usage;
  }
  const kind = values.kind === undefined ? undefined : KINDS[values.kind.toLowerCase()];
  if (values.kind !== undefined && kind === undefined) {
    console.error(`--kind "${values.kind}" não existe: use phone, email ou cpf.`);
    return EXIT.usage;
  }
  if (values["whole-tenant"] && values.wallet !== undefined) {
    console.error("Use --wallet ou --whole-tenant, não os dois.");
    return EXIT.usage;
  }
  const limit = values.limit === undefined ? 1000 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100000) {
    console.error("--limit deve ser um número de 1 a 100000.");
    return EXIT.usage;
  }
  const json = values.json === true;

  return withStore(tenantId, async (store) => {
    const db = store.db;
    let walletId: number | null = null;
    if (values.wallet !== undefined) {
      const wallet = await getWalletByCode(db, tenantId, values.wallet);
      if (!wallet) {
        console.error(
          `A carteira "${values.wallet}" não existe. Veja as carteiras com "remessa wallets list".`,
        );
        return EXIT.refused;
      }
      walletId = wallet.id;
    }
    const actor = cliActor();
    const scope = { wallet: values.wallet ?? null, channel };

    if (action === "list") {
      const rows = await listRestrictions(db, tenantId, {
        ...(values.wallet !== undefined
          ? { walletId }
          : values["whole-tenant"]
            ? { walletId: null }
            : {}),
        ...(channel !== null ? { channel } : {}),
        ...(kind !== undefined ? { kind } : {}),
        ...(values.value !== undefined ? valueFilter(values.value, kind) : {}),
        limit,
      });
      if (json) console.log(JSON.stringify(rows.map(asJson)));
      else if (rows.length === 0) console.log("Nenhuma restrição encontrada.");
      else {
        const zone = (await getTenant(db, tenantId))?.time_zone ?? "America/Sao_Paulo";
        for (const r of rows) {
          console.log(
            `${String(r.id).padStart(6)}  ${KIND_LABEL[r.kind].padEnd(8)} ${r.value.padEnd(24)} ${scopeText(r)}; ${RESTRICTION_ORIGINS[r.origin] ?? r.origin}, desde ${displayLocal(r.createdAt, zone)}${r.reason ? ` (${r.reason})` : ""}`,
          );
        }
      }
      return EXIT.ok;
    }

    if (action === "import") {
      const path = arg as string;
      const info = await stat(path).catch(() => null);
      if (!info?.isFile()) {
        console.error(`O arquivo "${path}" não existe ou não é um arquivo. Confira o caminho.`);
        return EXIT.refused;
      }
      const started = performance.now();
      const result = await importRestrictionLines(db, store.dialect, tenantId, fileLines(path), {
        walletId,
        channel,
        ...(kind !== undefined ? { kind } : {}),
        origin: "import",
        actor,
        reason: values.reason ?? null,
      });
      const seconds = (performance.now() - started) / 1000;
      await appendAudit(db, {
        tenantId,
        actor,
        action: "restrictions.import",
        subject: scopeText(scope),
        details: {
          lines: result.lines,
          added: result.added,
          existing: result.existing,
          rejected: result.rejectedCount,
          byKind: result.byKind,
        },
      });
      markAudited();
      if (json) {
        console.log(JSON.stringify({ ...result, seconds: Math.round(seconds * 1000) / 1000 }));
      } else {
        console.log(
          `Lista importada (${scopeText(scope)}): ${plural(result.added, "restrição nova", "restrições novas")}, ${plural(result.existing, "já existia", "já existiam")}, ${plural(result.rejectedCount, "linha recusada", "linhas recusadas")} (${result.lines} linhas em ${seconds.toFixed(1)} s).`,
        );
        if (result.ambiguous > 0 && kind === undefined) {
          console.log(
            `  ${plural(result.ambiguous, "linha era", "linhas eram")} ao mesmo tempo celular e CPF válidos e ${result.ambiguous === 1 ? "entrou" : "entraram"} como telefone; se a lista for de CPFs, importe de novo com --kind cpf.`,
          );
        }
        for (const r of result.rejected) console.log(`  linha ${r.line}: ${r.message}`);
        if (result.rejectedCount > result.rejected.length) {
          console.log(
            `  … e mais ${result.rejectedCount - result.rejected.length} linhas recusadas.`,
          );
        }
      }
      return EXIT.ok;
    }

    const value = parseRestrictionValue(arg as string, kind);
    if (!value.ok) {
      console.error(`Valor recusado: ${value.message}.`);
      return EXIT.refused;
    }
    if (action === "add") {
      const added = await addRestriction(
        db,
        tenantId,
        walletId,
        value.kind,
        value.value,
        values.reason ?? null,
        { channel, origin: "operator", actor },
      );
      await appendAudit(db, {
        tenantId,
        actor,
        action: "restrictions.add",
        subject: maskValue(value.kind, value.value),
        details: { kind: value.kind, wallet: scope.wallet, channel, added },
      });
      markAudited();
      if (json)
        console.log(JSON.stringify({ added, kind: value.kind, value: value.value, ...scope }));
      else
        console.log(
          added
            ? `${KIND_LABEL[value.kind]} ${value.value} incluído na lista de restrição (${scopeText(scope)}).`
            : `${KIND_LABEL[value.kind]} ${value.value} já estava na lista de restrição (${scopeText(scope)}).`,
        );
      return EXIT.ok;
    }
    const removed = await removeRestriction(
      db,
      tenantId,
      walletId,
      value.kind,
      value.value,
      channel,
    );
    if (!removed) {
      console.error(
        `${KIND_LABEL[value.kind]} ${value.value} não está na lista de restrição com esse escopo (${scopeText(scope)}). Veja com "remessa restrictions list --value ${value.value}".`,
      );
      return EXIT.refused;
    }
    await appendAudit(db, {
      tenantId,
      actor,
      action: "restrictions.remove",
      subject: maskValue(value.kind, value.value),
      details: { kind: value.kind, wallet: scope.wallet, channel },
    });
    markAudited();
    if (json)
      console.log(JSON.stringify({ removed, kind: value.kind, value: value.value, ...scope }));
    else
      console.log(
        `${KIND_LABEL[value.kind]} ${value.value} retirado da lista de restrição (${scopeText(scope)}).`,
      );
    return EXIT.ok;
  });
}

/** `--value` as the list stores it (normalized); an unreadable one is searched as typed. */
function valueFilter(raw: string, kind: RestrictionKind | undefined) {
  const parsed = parseRestrictionValue(raw, kind);
  return parsed.ok ? { value: parsed.value, kind: parsed.kind } : { value: raw.trim() };
}
