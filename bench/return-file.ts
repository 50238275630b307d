import { once } from "node:events";
import { createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { sql } from "kysely";
import { ReturnFiles } from "../src/campaigns/return-files.js";
import { silentLogger } from "../src/log.js";
import { localSourceConfig } from "../src/sources/local.js";
import { openDatabase, openMigrated } from "../src/store/db.js";
import { createSource } from "../src/store/sources.js";
import { createWallet } from "../src/store/wallets.js";
import { median, peakRssMb, round, runPhaseChild, scratchDatabase } from "./measure.js";

type Db = "sqlite" | "postgres";
const PAGE = 5000;
const T = "2026-11-26T15:00:00.000Z";

interface Measure {
  phase: "floor" | "ours";
  seconds: number;
  bytes: number;
  peakRssMB: number;
}

/**
 * One mailing on a local source with one ended SMS campaign of `n` messages in mixed final
 * states, plus a second campaign of the same size around it (so the pages are not the whole
 * table).
 */
async function seed(url: string, root: string, n: number): Promise<number> {
  const store = await openMigrated(url);
  try {
    const db = store.db;
    const wallet = await createWallet(db, 1, { code: "BENCH" });
    const source = await createSource(db, 1, {
      name: "bench",
      ...localSourceConfig(root),
    });
    const mailing = await db
      .insertInto("mailings")
      .values({
        tenant_id: 1,
        source_id: source.id,
        folder: null,
        file_name: "mailing_261126_1_cBENCH_smsshort.csv",
        path: "mailing_261126_1_cBENCH_smsshort.csv",
        first_seen_at: T,
        seen_date: "2026-11-26",
        wallet_id: wallet.id,
        state: "reported",
        outcome: "accepted",
        moved_to: "LIDOS/mailing_261126_1_cBENCH_smsshort.csv",
        encoding: "windows-1252",
        delimiter: ";",
        created_at: T,
        updated_at: T,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    const gen =
      store.dialect === "postgres"
        ? sql`select g as n from generate_series(1, ${n}) g`
        : sql`with recursive g(n) as (select 1 union all select n + 1 from g where n < ${n}) select n from g`;
    await sql`insert into persons (tenant_id, key_kind, key, cod_cliente, document, name, created_at, updated_at)
      select 1, 'codcliente', 'C' || n, 'CLIENTE-' || n, case when n % 3 = 0 then '52998224725' else null end, 'Pessoa', ${T}, ${T}
      from (${gen}) s`.execute(db);
    const campaign = async (mailingId: number | null, state: string) =>
      (
        await db
          .insertInto("campaigns")
          .values({
            tenant_id: 1,
            mailing_id: mailingId,
            wallet_id: wallet.id,
            channel: "sms",
            mode: "short",
            name: "bench",
            start_at: T,
            deadline_at: "2026-11-26T21:00:00.000Z",
            state,
            ended_at: "2026-11-26T21:00:00.000Z",
            created_at: T,
            updated_at: T,
          })
          .returning("id")
          .executeTakeFirstOrThrow()
      ).id;
    const messages = async (campaignId: number) =>
      sql`insert into messages (tenant_id, campaign_id, person_id, channel_kind, address, state, error, skip_reason,
          created_at, updated_at, sent_at, delivered_at, failed_at, skipped_at, expired_at)
        select 1, ${campaignId}, p.id, 'mobile', '119' || (10000000 + p.id),
          case p.id % 5 when 0 then 'delivered' when 1 then 'sent' when 2 then 'failed' when 3 then 'skipped' else 'expired' end,
          case when p.id % 5 = 2 then 'Número inexistente na operadora.' else null end,
          case when p.id % 5 = 3 then 'RESTRITO' else null end,
          ${T}, ${T}, case when p.id % 5 < 2 then ${T} else null end,
          case when p.id % 5 = 0 then ${T} else null end, case when p.id % 5 = 2 then ${T} else null end,
          case when p.id % 5 = 3 then ${T} else null end, case when p.id % 5 = 4 then ${T} else null end
        from persons p order by p.id`.execute(db);
    await messages(await campaign(null, "finished"));
    await messages(await campaign(mailing.id, "expired"));
    await messages(await campaign(null, "finished"));
    await sql`analyze`.execute(db);
    return mailing.id;
  } finally {
    await store.close();
  }
}

async function measure(phase: "floor" | "ours", url: string, root: string): Promise<Measure> {
  const store = await openDatabase(url);
  try {
    const started = performance.now();
    if (phase === "ours") {
      const written = await new ReturnFiles({ store, log: silentLogger, pageSize: PAGE }).runOnce();
      if (written !== 1) throw new Error(`expected one file, got ${written}`);
      const file = join(root, "LIDOS", "mailing_261126_1_cBENCH_smsshort.csv.retorno.csv");
      return {
        phase,
        seconds: (performance.now() - started) / 1000,
        bytes: statSync(file).size,
        peakRssMB: peakRssMb(),
      };
    }
    const db = store.db;
    const campaign = await db
      .selectFrom("campaigns")
      .select("id")
      .where("mailing_id", "is not", null)
      .executeTakeFirstOrThrow();
    const range = await db
      .selectFrom("messages")
      .select((eb) => [eb.fn.min<number>("id").as("first"), eb.fn.max<number>("id").as("last")])
      .where("campaign_id", "=", campaign.id)
      .executeTakeFirstOrThrow();
    const file = join(root, "floor.csv");
    const out = createWriteStream(file);
    let after = Number(range.first) - 1;
    for (;;) {
      const page = await db
        .selectFrom("messages as m")
        .leftJoin("persons as p", "p.id", "m.person_id")
        .select([
          "m.id",
          "m.address",
          "m.state",
          "m.skip_reason",
          "m.error",
          "m.updated_at",
          "m.sent_at",
          "m.delivered_at",
          "m.read_at",
          "m.failed_at",
          "m.skipped_at",
          "m.expired_at",
          "p.cod_cliente",
          "p.document",
        ])
        .where("m.campaign_id", "=", campaign.id)
        .where("m.id", ">", after)
        .where("m.id", "<=", Number(range.last))
        .orderBy("m.id")
        .limit(PAGE)
        .execute();
      if (page.length === 0) break;
      let text = "";
      for (const r of page) {
        text += `${r.cod_cliente};${r.document};${r.address};${r.state};${r.skip_reason};${r.error};${r.sent_at};${r.updated_at}\r\n`;
      }
      if (!out.write(text)) await once(out, "drain");
      if (page.length < PAGE) break;
      after = Number(page[page.length - 1]?.id);
    }
    out.end();
    await once(out, "finish");
    return {
      phase,
      seconds: (performance.now() - started) / 1000,
      bytes: statSync(file).size,
      peakRssMB: peakRssMb(),
    };
  } finally {
    await store.close();
  }
}

function runChild(phase: "floor" | "ours", url: string, root: string): Measure {
  return runPhaseChild<Measure>(import.meta.url, ["--phase", phase, "--url", url, "--root", root]);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      messages: { type: "string", default: "1000000" },
      db: { type: "string", default: "sqlite" },
      repeat: { type: "string", default: "1" },
      phase: { type: "string" },
      url: { type: "string" },
      root: { type: "string" },
    },
  });
  if (values.phase) {
    const phase = values.phase === "ours" ? "ours" : "floor";
    console.log(JSON.stringify(await measure(phase, values.url!, values.root!)));
    return;
  }
  const db = values.db as Db;
  if (db !== "sqlite" && db !== "postgres") throw new Error("--db must be sqlite or postgres");
  const n = Number(values.messages);
  const repeat = Math.max(1, Number(values.repeat));
  const target = await scratchDatabase(db, { prefix: "remessa-bench" });
  const root = mkdtempSync(join(tmpdir(), "remessa-bench-return-"));
  try {
    console.error(`preparando ${n} mensagens (${db})...`);
    await seed(target.url, root, n);
    const floors: Measure[] = [];
    const ours: Measure[] = [];
    for (let i = 0; i < repeat; i++) {
      floors.push(runChild("floor", target.url, root));
      // Each run writes the file anew.
      const store = await openDatabase(target.url);
      await store.db
        .updateTable("campaigns")
        .set({ return_written_at: null, return_path: null, return_lease_expires_at: null })
        .execute();
      await store.close();
      rmSync(join(root, "LIDOS"), { recursive: true, force: true });
      ours.push(runChild("ours", target.url, root));
    }
    const floorSeconds = median(floors.map((m) => m.seconds));
    const seconds = median(ours.map((m) => m.seconds));
    const result = {
      db,
      messages: n,
      floorSeconds: round(floorSeconds),
      seconds: round(seconds),
      ratio: round(floorSeconds / seconds),
      linesPerSecond: Math.round(n / seconds),
      bytes: ours[0]?.bytes ?? 0,
      peakRssMB: Math.max(...ours.map((m) => m.peakRssMB)),
      floorPeakRssMB: Math.max(...floors.map((m) => m.peakRssMB)),
    };
    console.log(
      `retorno de ${n} mensagens (${db}): ${result.seconds} s (${result.linesPerSecond} linhas/s), piso ${result.floorSeconds} s, razão ${result.ratio}, pico de memória ${result.peakRssMB} MB (piso ${result.floorPeakRssMB} MB)`,
    );
    console.log(JSON.stringify(result));
  } finally {
    rmSync(root, { recursive: true, force: true });
    await target.dispose();
  }
}

await main();
