import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createCampaigns } from "../src/campaigns/create.js";
import { importOnlyMailing } from "../src/filename/index.js";
import { readMailing } from "../src/mailing/reader.js";
import { exportSubject, type PersonSelector } from "../src/privacy/persons.js";
import { openMigrated } from "../src/store/db.js";
import { importMailing, splitReader } from "../src/store/import.js";
import { generateMailing } from "./generate-mailing.js";
import { peakRssMb, round, scratchDatabase, seedBenchWallet } from "./measure.js";

type Db = "sqlite" | "postgres";

async function measure(db: Db, file: string): Promise<Record<string, unknown>> {
  const target = await scratchDatabase(db, { prefix: "remessa-bench-privacy" });
  try {
    const store = await openMigrated(target.url);
    try {
      await seedBenchWallet(store);
      const t0 = performance.now();
      const reader = splitReader(readMailing(file, { extension: "csv", sanitize: false }));
      const result = await importMailing(store, {
        tenantId: 1,
        mailing: importOnlyMailing({
          date: "2026-11-26",
          sequence: 1,
          wallet: "BENCH",
          description: "bench",
          sms: "short",
        }),
        fileName: "mailing_261126_1_cBENCH_smsshort.csv",
        path: file,
        folder: null,
        content: reader.content,
        summary: reader.summary,
        afterImport: async (imported) => {
          await createCampaigns(imported, {
            clock: () => Date.parse("2026-11-26T12:00:00Z"),
            env: {},
          });
        },
      });
      if (!result.ok) throw new Error(`import failed: ${JSON.stringify(result.errors)}`);
      const buildSeconds = (performance.now() - t0) / 1000;
      // Someone in the middle of the base, with a phone and, when the generator gave one, an e-mail.
      const middle = Math.floor(result.persons / 2);
      const person = await store.db
        .selectFrom("persons")
        .select(["id", "cod_cliente", "document"])
        .orderBy("id")
        .offset(middle)
        .limit(1)
        .executeTakeFirstOrThrow();
      const contacts = await store.db
        .selectFrom("person_channels")
        .select(["kind", "value"])
        .where("person_id", "=", person.id)
        .execute();
      const messages = await store.db
        .selectFrom("messages")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow();
      const selectors: [string, PersonSelector][] = [
        person.document
          ? ["cpf", { kind: "cpf", value: person.document }]
          : ["code", { kind: "code", value: person.cod_cliente ?? "" }],
      ];
      const phone = contacts.find((c) => c.kind !== "email");
      const email = contacts.find((c) => c.kind === "email");
      if (phone) selectors.push(["phone", { kind: "phone", value: phone.value }]);
      if (email) selectors.push(["email", { kind: "email", value: email.value }]);
      const timings: Record<string, number> = {};
      for (const [name, selector] of selectors) {
        const s0 = performance.now();
        const doc = await exportSubject(store.db, 1, selector);
        timings[name] = round((performance.now() - s0) / 1000);
        if (doc.persons.length === 0) throw new Error(`${name}: no person found`);
      }
      return {
        db,
        persons: result.persons,
        messages: Number(messages.n),
        buildSeconds: round(buildSeconds, 1),
        exportSeconds: timings,
        peakRssMB: peakRssMb(),
      };
    } finally {
      await store.close();
    }
  } finally {
    await target.dispose();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: "string", default: "1000000" },
      db: { type: "string", default: "both" },
    },
  });
  const dbs: Db[] = values.db === "both" ? ["sqlite", "postgres"] : [values.db as Db];
  const persons = Number(values.rows);
  const dir = join(process.cwd(), ".bench");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `privacy-${persons}.csv`);
  if (!existsSync(file)) {
    console.error(`gerando ${file} (${persons} pessoas)...`);
    await generateMailing({ rows: Math.round(persons * 1.9), out: file, seed: 5 });
  }
  for (const db of dbs) {
    const r = await measure(db, file);
    const times = Object.entries(r.exportSeconds as Record<string, number>)
      .map(([k, v]) => `por ${k} ${v} s`)
      .join(", ");
    console.log(
      `${db}: base de ${r.persons} pessoas e ${r.messages} mensagens (montada em ${r.buildSeconds} s); exportação de uma pessoa: ${times} (meta < 2 s); pico RSS ${r.peakRssMB} MB`,
    );
    console.log(JSON.stringify(r));
  }
}

await main();
