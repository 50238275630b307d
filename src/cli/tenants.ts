import { createTenant, listTenants, updateTenant } from "../store/tenants.js";
import { DATA_DIR_HELP, DATA_DIR_OPTION, parseCommandLine } from "./args.js";
import { withStore } from "./store.js";

const HELP = `Uso:
  remessa tenants list [--json]
  remessa tenants add NOME [--zone FUSO] [--reject-ratio FRAÇÃO]
  remessa tenants set ID [--name NOME] [--zone FUSO] [--reject-ratio FRAÇÃO]

FUSO é um nome IANA (padrão America/Sao_Paulo); FRAÇÃO é o limite de linhas
rejeitadas acima do qual o arquivo é descartado (padrão 0.5 = 50 %).
Todas aceitam:
${DATA_DIR_HELP}`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv, OPTIONS, HELP);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  const [action, arg, ...extra] = positionals;
  const known = ["list", "add", "set"];
  if (!action || !known.includes(action) || extra.length > 0 || (action !== "list" && !arg)) {
    console.error(HELP);
    return 2;
  }
  const ratio = values["reject-ratio"] === undefined ? undefined : Number(values["reject-ratio"]);
  if (ratio !== undefined && Number.isNaN(ratio)) {
    console.error("--reject-ratio deve ser um número entre 0 e 1, por exemplo 0.5.");
    return 2;
  }
  return withStore(null, async (store) => {
    if (action === "add") {
      const t = await createTenant(store.db, {
        name: arg ?? "",
        ...(values.zone ? { timeZone: values.zone } : {}),
        ...(ratio !== undefined ? { rejectRatio: ratio } : {}),
      });
      console.log(`Empresa ${t.id} "${t.name}" criada (fuso ${t.time_zone}).`);
      return 0;
    }
    if (action === "set") {
      const id = Number(arg);
      if (!Number.isInteger(id)) {
        console.error(
          "Informe o número da empresa, por exemplo: remessa tenants set 1 --zone America/Manaus",
        );
        return 2;
      }
      const t = await updateTenant(store.db, id, {
        ...(values.name ? { name: values.name } : {}),
        ...(values.zone ? { timeZone: values.zone } : {}),
        ...(ratio !== undefined ? { rejectRatio: ratio } : {}),
      });
      if (!t) {
        console.error(`A empresa ${id} não existe. Veja as empresas com "remessa tenants list".`);
        return 1;
      }
      console.log(
        `Empresa ${t.id} "${t.name}": fuso ${t.time_zone}, limite de rejeição ${t.reject_ratio}.`,
      );
      return 0;
    }
    const tenants = await listTenants(store.db);
    if (values.json) {
      console.log(
        JSON.stringify(
          tenants.map((t) => ({
            id: t.id,
            name: t.name,
            timeZone: t.time_zone,
            rejectRatio: t.reject_ratio,
            locale: t.locale,
          })),
        ),
      );
    } else {
      for (const t of tenants) {
        console.log(
          `${String(t.id).padStart(4)}  ${t.name.padEnd(24)} ${t.time_zone}  ${t.reject_ratio}`,
        );
      }
    }
    return 0;
  });
}

const OPTIONS = {
  allowPositionals: true,
  options: {
    ...DATA_DIR_OPTION,
    name: { type: "string" },
    zone: { type: "string" },
    "reject-ratio": { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  },
} as const;
