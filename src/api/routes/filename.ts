/**
 * The file-name checker and builder, answering the CLI's JSON
 * (`check-name --json`, `build-name --from-json … --json`) with the tenant-data
 * checks always made (the API has the database): an integrator learns before
 * sending what the server would decide. The clock is "now" in the tenant's
 * time zone unless `today`/`now` are given, as --today/--now.
 */
import { basename } from "node:path";
import { DateTime } from "luxon";
import { z } from "zod";
import { isIsoDate, isIsoLocalDateTime } from "../../filename/datetime.js";
import { buildName, parse } from "../../filename/index.js";
import { mailingSchema } from "../../filename/schema.js";
import { checkNameFacts, databaseDirectory } from "../../ingest/tenant-checks.js";
import { getTenant } from "../../store/tenants.js";
import type { ApiDeps } from "../app.js";
import { type AnyRoute, route } from "../route.js";

const nameError = z
  .object({ code: z.string(), param: z.string().nullable(), message: z.string() })
  .meta({ id: "NameError" });

const clockFields = {
  folder: z
    .string()
    .min(1)
    .max(255)
    .nullable()
    .optional()
    .describe("Pasta (carteira) onde o arquivo estará; sem ela, a raiz"),
  today: z
    .string()
    .refine(isIsoDate, "use uma data no formato AAAA-MM-DD")
    .meta({ format: "date", examples: ["2026-12-07"] })
    .optional()
    .describe("Data de 'hoje' (padrão: hoje no fuso da empresa)"),
  now: z
    .string()
    .refine(isIsoLocalDateTime, "use data e hora no formato AAAA-MM-DDTHH:MM")
    .meta({ examples: ["2026-12-07T10:30"] })
    .optional()
    .describe("Data e hora de 'agora' no fuso da empresa"),
};

export function filenameRoutes(deps: ApiDeps): AnyRoute[] {
  const { db } = deps.store;
  /** As the CLI's localClock, in the tenant's zone and from the injected clock. */
  const clock = async (tenantId: number, given: { today?: string; now?: string }) => {
    const tenant = await getTenant(db, tenantId);
    const current = DateTime.fromJSDate(deps.now()).setZone(
      tenant?.time_zone ?? "America/Sao_Paulo",
    );
    const today = given.today ?? given.now?.slice(0, 10) ?? current.toFormat("yyyy-MM-dd");
    const now = given.now ?? `${today}T${current.toFormat("HH:mm")}`;
    return { today, now };
  };
  return [
    route({
      method: "POST",
      url: "/filename/check",
      summary: "Verifica um nome de arquivo de mailing",
      description:
        "A mesma resposta de `remessa check-name --json`: { ok, errors, mailing, notChecked }, com as verificações de carteira, sequência do dia, remetentes, templates e contas de e-mail da empresa (notChecked vem vazio). 200 também para nomes inválidos: ok diz o veredito.",
      tag: "nome do arquivo",
      access: "tenant",
      write: false,
      body: z.strictObject({ name: z.string().min(1).max(1000), ...clockFields }),
      response: z.object({
        ok: z.boolean(),
        errors: z.array(nameError),
        mailing: mailingSchema.nullable(),
        notChecked: z.array(z.string()),
      }),
      handler: async ({ tenantId, body }) => {
        const fileName = basename(body.name);
        const folder = body.folder ?? null;
        const result = parse(fileName, { folder, ...(await clock(tenantId, body)) });
        const directory = databaseDirectory(db, tenantId);
        const errors = [
          ...result.errors,
          ...(await checkNameFacts(result.mailing ?? result.facts ?? null, folder, directory)),
        ];
        return { ok: errors.length === 0, errors, mailing: result.mailing, notChecked: [] };
      },
    }),
    route({
      method: "POST",
      url: "/filename/build",
      summary: "Monta o nome canônico de um mailing",
      description:
        "A mesma resposta de `remessa build-name --from-json … --json`: { ok, name, errors, notChecked }. O corpo traz o objeto mailing (o de /filename/check serve como está, inclusive a resposta inteira). name é null quando o nome seria descartado; errors diz por quê.",
      tag: "nome do arquivo",
      access: "tenant",
      write: false,
      body: z.object({ mailing: mailingSchema, ...clockFields }),
      response: z.object({
        ok: z.boolean(),
        name: z.string().nullable(),
        errors: z.array(nameError),
        notChecked: z.array(z.string()),
      }),
      handler: async ({ tenantId, body }) => {
        const mailing = body.mailing;
        const folder = mailing.walletFrom === "folder" ? mailing.wallet : (body.folder ?? null);
        const built = buildName(mailing, { folder, ...(await clock(tenantId, body)) });
        const directory = databaseDirectory(db, tenantId);
        const errors = [...built.errors, ...(await checkNameFacts(mailing, folder, directory))];
        const name = errors.length === 0 ? built.name : null;
        return { ok: name !== null, name, errors, notChecked: [] };
      },
    }),
  ];
}
