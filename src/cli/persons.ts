/**
 * `remessa persons show|export|correct|erase`: a data subject's requests
 * (LGPD art. 18), answered by the tenant's DPO. Every action is audited.
 */
import { userInfo } from "node:os";
import { correctPerson } from "../privacy/correct.js";
import { erasePerson } from "../privacy/erase.js";
import {
  accessSubject,
  findPersonIds,
  normalizeSelector,
  type PersonExport,
  type PersonSelector,
} from "../privacy/persons.js";
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

const HELP = `Uso:
  remessa persons show    PESSOA [--json]
  remessa persons export  PESSOA
  remessa persons correct PESSOA --reason MOTIVO [--name NOME] [--document CPF]
                          [--field CAMPO=VALOR]... [--contact ANTIGO=NOVO]... [--by QUEM] [--json]
  remessa persons erase   PESSOA --reason MOTIVO [--by QUEM] [--yes] [--json]

PESSOA é uma destas opções: --cpf CPF/CNPJ, --code CODCLIENTE, --phone TELEFONE,
--email E-MAIL ou --id NÚMERO (qualquer formato usual; um CPF pode ter mais de um
cadastro, por exemplo um por CODCLIENTE: todos são tratados).

show: o que o remessa guarda da pessoa, resumido. export: tudo, num documento JSON
(contatos, carteiras, tags, campos, mailings em que veio, mensagens com situação,
restrições, contatos recebidos), para entregar ao titular.
correct: corrige nome, documento, campos (--field CORINGA1=valor; valor vazio
remove o campo) ou troca um contato (--contact 11987654321=11912345678).
erase: apaga a pessoa: nome, documento, contatos, campos, destinos e textos das
mensagens, contatos recebidos, linhas dos arquivos guardados e relatórios nas
origens locais. Totais de campanhas e contagens ficam. Um código (hash com chave)
dos contatos é guardado para que, se voltarem num arquivo, sejam tratados como
restritos. Não pode ser desfeito; pede confirmação (ou --yes). Se um arquivo num
servidor (FTP/SFTP) não pôde ser limpo, o resto é apagado assim mesmo, o comando
termina com código 1 e rodar de novo tenta esses arquivos outra vez.
--reason: o motivo (vai para a auditoria; não escreva nele dados da pessoa).
--by: quem pediu/fez (padrão: o usuário do sistema).
Aceita --tenant ID (padrão: a empresa 1) e:
${DATA_DIR_HELP}`;

const OPTIONS = {
  allowPositionals: true,
  options: {
    ...DATA_DIR_OPTION,
    cpf: { type: "string" },
    code: { type: "string" },
    phone: { type: "string" },
    email: { type: "string" },
    id: { type: "string" },
    name: { type: "string" },
    document: { type: "string" },
    field: { type: "string", multiple: true },
    contact: { type: "string", multiple: true },
    reason: { type: "string" },
    by: { type: "string" },
    yes: { type: "boolean" },
    json: { type: "boolean" },
    tenant: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
} as const;

function selectorOf(values: Record<string, unknown>): PersonSelector | null {
  const given = (["cpf", "code", "phone", "email", "id"] as const).filter(
    (k) => typeof values[k] === "string",
  );
  if (given.length !== 1) return null;
  const kind = given[0] as PersonSelector["kind"];
  return { kind, value: values[kind] as string } as PersonSelector;
}

function pairs(list: string[] | undefined, what: string): [string, string][] {
  return (list ?? []).map((item) => {
    const at = item.indexOf("=");
    if (at <= 0)
      throw new ValidationError(
        `${what} "${item}": use ANTES=DEPOIS (por exemplo CORINGA1=valor).`,
      );
    return [item.slice(0, at).trim(), item.slice(at + 1).trim()];
  });
}

function actorOf(by: string | undefined): string {
  let user = by?.trim();
  if (!user) {
    try {
      user = userInfo().username;
    } catch {
      user = "desconhecido";
    }
  }
  return `cli:${user}`;
}

const CONTACT_KIND: Readonly<Record<string, string>> = {
  mobile: "celular",
  landline: "fixo",
  unknown: "telefone",
  email: "e-mail",
};
const RESTRICTION_KIND: Readonly<Record<string, string>> = {
  phone: "telefone",
  email: "e-mail",
  document: "CPF/CNPJ",
};

function summary(p: PersonExport): string {
  const bases = p.legalBases.map(
    (b) =>
      `${b.wallet}: ${b.label ?? "nenhuma registrada"} (desde ${b.since.slice(0, 10).split("-").reverse().join("/")})`,
  );
  const lines = [
    `Pessoa ${p.id}${p.erasedAt ? ` (dados apagados em ${p.erasedAt})` : ""}`,
    `  nome: ${p.name ?? "-"}`,
    `  CPF/CNPJ: ${p.document ?? "-"}   CODCLIENTE: ${p.codCliente ?? "-"}`,
    `  contatos: ${p.contacts.map((c) => `${c.value} (${CONTACT_KIND[c.kind] ?? c.kind})`).join(", ") || "-"}`,
    `  carteiras: ${p.wallets.map((w) => w.code).join(", ") || "-"}`,
    `  tags: ${p.tags.map((t) => t.tag).join(", ") || "-"}`,
    `  campos: ${Object.keys(p.fields).join(", ") || "-"}`,
    `  mailings: ${p.mailings.length}   mensagens: ${p.messages.length}   contatos recebidos: ${p.inbound.length}`,
    `  restrições: ${p.restrictions.map((r) => `${r.value} (${RESTRICTION_KIND[r.kind] ?? r.kind}; ${r.wallet ? `carteira ${r.wallet}` : "empresa inteira"}, ${r.channel ?? "todos os canais"})`).join(", ") || "-"}`,
    `  bases legais (LGPD): ${bases.join("; ") || "-"}`,
  ];
  return lines.join("\n");
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv, OPTIONS, HELP);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  const tenantId = tenantOption(values.tenant);
  if (tenantId === null) return EXIT.usage;
  const [action, ...extra] = positionals;
  if (!action || !["show", "export", "correct", "erase"].includes(action) || extra.length > 0) {
    console.error(
      action
        ? `Ação desconhecida ou argumento a mais: "${positionals.join(" ")}".\n\n${HELP}`
        : HELP,
    );
    return EXIT.usage;
  }
  const selector = selectorOf(values);
  if (!selector) {
    console.error(
      `Informe a pessoa com uma (e só uma) destas opções: --cpf, --code, --phone, --email ou --id.\n\n${HELP}`,
    );
    return EXIT.usage;
  }
  if ((action === "correct" || action === "erase") && !values.reason?.trim()) {
    console.error(`Informe o motivo com --reason (vai para a auditoria).\n\n${HELP}`);
    return EXIT.usage;
  }
  const actor = actorOf(values.by);
  return withStore(tenantId, async (store) => {
    const db = store.db;
    if (action === "show" || action === "export") {
      const doc = await accessSubject(db, tenantId, selector, actor, action);
      if (doc.persons.length === 0) {
        if (values.json || action === "export") console.log(JSON.stringify(doc, null, 2));
        else console.error("Nenhuma pessoa encontrada com esse dado.");
        return values.json || action === "export" ? EXIT.ok : EXIT.refused;
      }
      if (values.json || action === "export") console.log(JSON.stringify(doc, null, 2));
      else console.log(doc.persons.map(summary).join("\n\n"));
      return EXIT.ok;
    }
    if (action === "correct") {
      const ids = await findPersonIds(db, tenantId, normalizeSelector(selector));
      if (ids.length !== 1) {
        console.error(
          ids.length === 0
            ? "Nenhuma pessoa encontrada com esse dado."
            : `Esse dado está em ${ids.length} cadastros (${ids.join(", ")}): escolha um com --id.`,
        );
        return EXIT.refused;
      }
      const result = await correctPerson(db, tenantId, ids[0] as number, {
        ...(values.name !== undefined ? { name: values.name } : {}),
        ...(values.document !== undefined ? { document: values.document } : {}),
        fields: Object.fromEntries(pairs(values.field, "--field")),
        contacts: pairs(values.contact, "--contact").map(([from, to]) => ({ from, to })),
        actor,
        reason: values.reason as string,
      });
      if (values.json) console.log(JSON.stringify(result));
      else
        console.log(
          `Pessoa ${result.personId} corrigida: ${result.changed.join(", ")}. Registrado na auditoria.`,
        );
      return EXIT.ok;
    }
    // erase
    const ids = await findPersonIds(db, tenantId, normalizeSelector(selector));
    if (ids.length > 0) {
      console.error(
        `Serão apagados os dados de ${ids.length === 1 ? "1 cadastro" : `${ids.length} cadastros`} (pessoa ${ids.join(", ")}). Isso não pode ser desfeito.`,
      );
      const stop = await confirmDestructive(values.yes);
      if (stop !== null) return stop;
    }
    const result = await erasePerson(store, tenantId, selector, actor, values.reason as string);
    // A remote file that could not be cleaned still holds the person: not done.
    const failed = result.remoteFiles.filter((f) => f.outcome === "failed").length;
    const done = (): number => {
      if (failed === 0) return EXIT.ok;
      console.error(
        `Apagamento incompleto: ${failed === 1 ? "1 arquivo num servidor ainda tem" : `${failed} arquivos em servidores ainda têm`} dados da pessoa. Rode o mesmo comando de novo para tentar outra vez.`,
      );
      return EXIT.refused;
    };
    if (values.json) {
      console.log(JSON.stringify(result, null, 2));
      return done();
    }
    const remote = result.remoteFiles.map(
      (f) =>
        `  mailing ${f.mailingId}: ${f.path} na origem "${f.source}" (servidor): ${f.description}`,
    );
    if (result.persons.length === 0) {
      const before = result.alreadyErased.length > 0 || result.previouslyErased;
      if (remote.length > 0) {
        // An earlier run could not reach a server: this one tried those files again.
        console.log(
          [
            "Os dados dessa pessoa já tinham sido apagados; arquivos nos servidores pendentes do apagamento anterior:",
            ...remote,
          ].join("\n"),
        );
        return done();
      }
      console.log(
        before
          ? "Os dados dessa pessoa já tinham sido apagados: nada mais a fazer."
          : "Nenhuma pessoa encontrada com esse dado.",
      );
      return before ? EXIT.ok : EXIT.refused;
    }
    const out = [
      `Dados apagados: pessoa ${result.persons.join(", ")}. Mensagens: ${result.messages}; contatos recebidos: ${result.inbound}; linhas rejeitadas: ${result.rejections}; restrições mantidas só como código: ${result.restrictions}.`,
    ];
    const said: Record<string, string> = {
      rewritten: "reescrito sem as linhas da pessoa",
      deleted: "apagado (não dava para reescrever só sem a pessoa)",
      unchanged: "sem dados da pessoa",
      missing: "já não existia",
    };
    for (const f of result.files) {
      out.push(
        `  mailing ${f.mailingId}: ${f.where === "stored" ? "cópia guardada" : "arquivo na origem"} ${f.path}: ${said[f.outcome]}`,
      );
    }
    out.push(...remote);
    console.log(out.join("\n"));
    return done();
  });
}
