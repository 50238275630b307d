import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { sql } from "kysely";
import { createCampaigns } from "../src/campaigns/create.js";
import { importOnlyMailing, type Mailing } from "../src/filename/index.js";
import { readMailing } from "../src/mailing/reader.js";
import { contactHash } from "../src/privacy/erased.js";
import { openMigrated, type Store } from "../src/store/db.js";
import { importMailing, splitReader } from "../src/store/import.js";
import { generateMailing } from "./generate-mailing.js";
import {
  median,
  peakRssMb,
  round,
  runPhaseChild,
  scratchDatabase,
  seedBenchWallet,
} from "./measure.js";

type Db = "sqlite" | "postgres";
type Phase = "without" | "with" | "floor";

interface Measure {
  phase: Phase;
  seconds: number;
  hookSeconds: number;
  /** From the hook's end to the import's return: the commit. */
  commitSeconds: number;
  /** CPU time of this process (user + system) for the import, and for the hook alone. */
  cpuSeconds: number;
  hookCpuSeconds: number;
  persons: number;
  audience: number;
  peakRssMB: number;
}

/** Rows the generator writes per person (mobile, 30% landline, 60% e-mail). */
const ROWS_PER_PERSON = 1.9;

function mailing(): Mailing {
  return importOnlyMailing({
    date: "2026-11-26",
    sequence: 1,
    wallet: "BENCH",
    description: "bench",
    sms: "short",
    split: { percent: 10, everyMinutes: 5 },
    deadline: "2026-11-26T20:00",
  });
}

/**
 * Erased contacts of the tenant (`--erased N`): with any, planning hashes the
 * mailing's mobiles to find those that came back (src/privacy/erased.ts).
 * Hashes of numbers outside the generated file, so the audience is the same.
 */
async function seedErased(store: Store, count: number): Promise<void> {
  // A fixed key for the bench, so no key file is written in a data dir.
  process.env.REMESSA_SECRET_KEY ??= Buffer.alloc(32, 9).toString("base64");
  const at = "2026-11-01T00:00:00.000Z";
  for (let i = 0; i < count; i += 1000) {
    const rows = [];
    for (let k = i; k < Math.min(count, i + 1000); k++) {
      const hash = contactHash("phone", `0000${String(k).padStart(7, "0")}`);
      rows.push({ tenant_id: 1, kind: "phone", hash, erased_at: at });
    }
    await store.db.insertInto("erased_contacts").values(rows).execute();
  }
}

async function measure(db: Db, phase: Phase, file: string, erased: number): Promise<Measure> {
  const target = await scratchDatabase(db, { prefix: "remessa-bench-plan", checkpoint: true });
  try {
    const store: Store = await openMigrated(target.url);
    try {
      await seedBenchWallet(store);
      if (erased > 0) await seedErased(store, erased);
      let hookSeconds = 0;
      let hookCpuSeconds = 0;
      let hookEnd = 0;
      let audience = 0;
      const reader = splitReader(readMailing(file, { extension: "csv", sanitize: false }));
      const t0 = performance.now();
      const c0 = cpu();
      const result = await importMailing(store, {
        tenantId: 1,
        mailing: mailing(),
        fileName: "mailing_261126_1_cBENCH_smsshort_q10005.csv",
        path: file,
        folder: null,
        content: reader.content,
        summary: reader.summary,
        ...(phase === "with"
          ? {
              afterImport: async (imported) => {
                const h0 = performance.now();
                const hc0 = cpu();
                // Clock at the name's date, before the deadline.
                const created = await createCampaigns(imported, {
                  clock: () => Date.parse("2026-11-26T12:00:00Z"),
                  env: {},
                });
                hookEnd = performance.now();
                hookSeconds = (hookEnd - h0) / 1000;
                hookCpuSeconds = cpu() - hc0;
                audience = created[0]?.audience ?? 0;
              },
            }
          : phase === "floor"
            ? {
                // The physical floor of planning: the same number of message
                // rows written into the same table (its indexes included) by one
                // plain INSERT … SELECT in the import's transaction, with no
                // contact lookup, restriction or wave arithmetic.
                afterImport: async (imported) => {
                  const h0 = performance.now();
                  audience = await writeMessagesFloor(imported.db, imported.mailingId);
                  hookEnd = performance.now();
                  hookSeconds = (hookEnd - h0) / 1000;
                },
              }
            : {
                // The same point in time without a hook, for the commit's time.
                afterImport: async () => {
                  hookEnd = performance.now();
                },
              }),
      });
      const end = performance.now();
      const cpuSeconds = cpu() - c0;
      const seconds = (end - t0) / 1000;
      if (!result.ok) throw new Error(`import failed: ${JSON.stringify(result.errors)}`);
      const commitSeconds = hookEnd > 0 ? (end - hookEnd) / 1000 : 0;
      return {
        phase,
        seconds,
        hookSeconds,
        commitSeconds,
        cpuSeconds,
        hookCpuSeconds,
        persons: result.persons,
        audience,
        peakRssMB: peakRssMb(),
      };
    } finally {
      await store.close();
    }
  } finally {
    await target.dispose();
  }
}

/**
 * One campaign and wave, then one message per person of the mailing with a
 * stand-in address: the least work that writes planning's rows. Returns the
 * rows written.
 */
async function writeMessagesFloor(db: Store["db"], mailingId: number): Promise<number> {
  const at = "2026-11-26T12:00:00.000Z";
  const campaign = await db
    .insertInto("campaigns")
    .values({
      tenant_id: 1,
      mailing_id: mailingId,
      wallet_id: null,
      channel: "sms",
      mode: "short",
      sender_id: null,
      template_id: null,
      email_account_id: null,
      subject: null,
      name: "floor",
      start_at: at,
      deadline_at: null,
      split_percent: null,
      split_every_minutes: null,
      exclude_recent_hours: null,
      state: "scheduled",
      created_at: at,
      updated_at: at,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  const wave = await db
    .insertInto("waves")
    .values({
      tenant_id: 1,
      campaign_id: campaign.id,
      number: 0,
      start_at: at,
      size: 0,
      state: "scheduled",
      created_at: at,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  const result = await sql`INSERT INTO messages (tenant_id, campaign_id, wave_id, person_id,
      channel_kind, address, body, state, next_attempt_at, created_at, updated_at)
    SELECT 1, ${campaign.id}, ${wave.id}, mp.person_id, 'mobile',
      CAST(mp.first_line AS text), mp.message, 'pending', ${at}, ${at}, ${at}
    FROM mailing_persons mp WHERE mp.mailing_id = ${mailingId}`.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}

/** User + system CPU seconds of this process (SQLite works in it; PostgreSQL does not). */
function cpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function runChild(db: Db, phase: Phase, file: string, erased: number): Measure {
  return runPhaseChild<Measure>(import.meta.url, [
    "--db",
    db,
    "--phase",
    phase,
    "--file",
    file,
    "--erased",
    String(erased),
  ]);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: "string", default: "1000000" },
      db: { type: "string", default: "both" },
      repeat: { type: "string", default: "1" },
      phase: { type: "string" },
      file: { type: "string" },
      erased: { type: "string", default: "0" },
    },
  });
  const erased = Number(values.erased);
  if (!Number.isInteger(erased) || erased < 0) throw new Error("--erased must be a count");
  if (values.phase) {
    const db = values.db as Db;
    console.log(JSON.stringify(await measure(db, values.phase as Phase, values.file!, erased)));
    return;
  }
  const dbs: Db[] =
    values.db === "both" ? ["sqlite", "postgres"] : [values.db as Db].filter(Boolean);
  if (!dbs.every((d) => d === "sqlite" || d === "postgres"))
    throw new Error("--db must be sqlite, postgres or both");
  const persons = Number(values.rows);
  const dir = join(process.cwd(), ".bench");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `plan-${persons}.csv`);
  if (!existsSync(file)) {
    console.error(`gerando ${file} (${persons} pessoas)...`);
    await generateMailing({
      rows: Math.round(persons * ROWS_PER_PERSON),
      out: file,
      encoding: "windows-1252",
      badRowRatio: 0.02,
      seed: 11,
    });
  }
  const repeat = Math.max(1, Number(values.repeat));
  const results: Record<string, unknown> = {};
  for (const db of dbs) {
    const without: Measure[] = [];
    const withHook: Measure[] = [];
    const floor: Measure[] = [];
    for (let i = 0; i < repeat; i++) {
      without.push(runChild(db, "without", file, erased));
      withHook.push(runChild(db, "with", file, erased));
      floor.push(runChild(db, "floor", file, erased));
    }
    const floorSeconds = median(floor.map((m) => m.hookSeconds));
    const base = median(without.map((m) => m.seconds));
    const full = median(withHook.map((m) => m.seconds));
    const hook = median(withHook.map((m) => m.hookSeconds));
    const all = (list: Measure[], pick: (m: Measure) => number) =>
      list.map((m) => pick(m).toFixed(2)).join(" / ");
    console.error(
      `${db}: corridas sem campanha ${all(without, (m) => m.seconds)} s (commit ${all(without, (m) => m.commitSeconds)} s, CPU ${all(without, (m) => m.cpuSeconds)} s); com ${all(withHook, (m) => m.seconds)} s (planejamento ${all(withHook, (m) => m.hookSeconds)} s, commit ${all(withHook, (m) => m.commitSeconds)} s, CPU ${all(withHook, (m) => m.cpuSeconds)} s, CPU do planejamento ${all(withHook, (m) => m.hookCpuSeconds)} s)`,
    );
    const last = withHook[withHook.length - 1]!;
    const baseCpu = median(without.map((m) => m.cpuSeconds));
    const fullCpu = median(withHook.map((m) => m.cpuSeconds));
    const entry = {
      withoutSeconds: round(base),
      withSeconds: round(full),
      hookSeconds: round(hook),
      addedRatio: round((full - base) / base),
      hookRatio: round(hook / base),
      // Writing the same number of message rows and nothing else: planning can
      // not cost less, so floorRatio above 0.30 means the target is out of reach.
      floorSeconds: round(floorSeconds),
      floorRows: floor[floor.length - 1]!.audience,
      floorRatio: round(floorSeconds / base),
      hookVsFloor: round(hook / floorSeconds),
      // SQLite runs in this process, so its CPU time is the work done, whatever else the machine
      // does; on PostgreSQL the work is the server's and this is only the client's share.
      cpuWithoutSeconds: round(baseCpu),
      cpuWithSeconds: round(fullCpu),
      cpuAddedRatio: round((fullCpu - baseCpu) / baseCpu),
      persons: last.persons,
      audience: last.audience,
      peakRssMB: Math.max(...[...without, ...withHook].map((m) => m.peakRssMB)),
      peakRssWithoutMB: Math.max(...without.map((m) => m.peakRssMB)),
    };
    results[db] = entry;
    console.log(
      `${db}: importação sem campanha ${entry.withoutSeconds} s; com o planejamento (SMS em ondas, público de ${entry.audience} de ${entry.persons} pessoas) ${entry.withSeconds} s, dos quais o planejamento ${entry.hookSeconds} s; piso (só gravar ${entry.floorRows} mensagens) ${entry.floorSeconds} s = ${entry.floorRatio} da importação, planejamento ÷ piso ${entry.hookVsFloor}; acréscimo ${entry.addedRatio} (só o planejamento: ${entry.hookRatio}; meta ≤ 0,30); em CPU deste processo ${entry.cpuAddedRatio}; pico RSS ${entry.peakRssMB} MB (sem campanha ${entry.peakRssWithoutMB} MB)`,
    );
  }
  console.log(JSON.stringify({ rows: persons, erased, results }));
}

await main();
