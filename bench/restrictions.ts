import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  BATCH,
  fileLines,
  importRestrictionLines,
  insertRestrictionRows,
} from "../src/privacy/restriction-import.js";
import { openMigrated } from "../src/store/db.js";
import { parseRestrictionValue, type RestrictionKind } from "../src/store/restrictions.js";
import { nowIso } from "../src/store/schema.js";
import { median, peakRssMb, round, runPhaseChild, scratchDatabase } from "./measure.js";

type Db = "sqlite" | "postgres";
type Phase = "import" | "floor";

interface Measure {
  phase: Phase;
  seconds: number;
  rows: number;
  peakRssMB: number;
}

function cpf(n: number): string {
  const d = String(100000000 + (n % 899999999))
    .padStart(9, "0")
    .split("")
    .map(Number);
  const check = (digits: number[]) => {
    const sum = digits.reduce((s, x, i) => s + x * (digits.length + 1 - i), 0);
    const r = (sum * 10) % 11;
    return r === 10 ? 0 : r;
  };
  const d1 = check(d);
  const d2 = check([...d, d1]);
  const all = [...d, d1, d2].join("");
  return `${all.slice(0, 3)}.${all.slice(3, 6)}.${all.slice(6, 9)}-${all.slice(9)}`;
}

/** Writes the list and, beside it, its rows normalized ("kind;value"), for the floor. */
async function generate(dir: string, lines: number): Promise<{ list: string; rows: string }> {
  const list = join(dir, "lista.csv");
  const rows = join(dir, "rows.txt");
  const a = createWriteStream(list);
  const b = createWriteStream(rows);
  const write = (s: NodeJS.WritableStream, text: string) =>
    s.write(text) ? Promise.resolve() : new Promise<void>((r) => s.once("drain", () => r()));
  await write(a, "telefone\n");
  for (let i = 0; i < lines; i++) {
    const k = i % 1000;
    let value: string;
    if (k === 0) value = "sem valor aqui";
    else if (k < 700) {
      const n = String(70000000 + i).padStart(8, "0");
      value =
        k % 3 === 0
          ? `(11) 9${n.slice(0, 4)}-${n.slice(4)}`
          : k % 3 === 1
            ? `+55 11 9${n}`
            : `119${n}`;
    } else if (k < 900) value = `pessoa${i}@exemplo${k % 7}.com.br`;
    else value = cpf(i);
    await write(a, `${value}\n`);
    const parsed = parseRestrictionValue(value);
    if (parsed.ok) await write(b, `${parsed.kind};${parsed.value}\n`);
  }
  await new Promise<void>((r) => a.end(r));
  await new Promise<void>((r) => b.end(r));
  return { list, rows };
}

async function phase(db: Db, which: Phase, file: string): Promise<Measure> {
  const target = await scratchDatabase(db, { prefix: "remessa-bench-restr-db" });
  try {
    const store = await openMigrated(target.url);
    try {
      const started = performance.now();
      let rows = 0;
      if (which === "import") {
        const r = await importRestrictionLines(store.db, store.dialect, 1, fileLines(file), {
          walletId: null,
          channel: null,
          origin: "import",
          actor: "bench",
          reason: null,
        });
        rows = r.added;
      } else {
        // The same INSERT the import runs, fed rows already normalized: what is left is the
        // database's own cost of storing them.
        const at = nowIso();
        const scope = {
          walletId: null,
          channel: null,
          origin: "import",
          actor: "bench",
          reason: null,
        } as const;
        await store.db.transaction().execute(async (trx) => {
          let batch: [RestrictionKind, string][] = [];
          for await (const line of fileLines(file)) {
            const sep = line.indexOf(";");
            batch.push([line.slice(0, sep) as RestrictionKind, line.slice(sep + 1)]);
            if (batch.length >= BATCH) {
              rows += await insertRestrictionRows(trx, store.dialect, 1, scope, at, batch);
              batch = [];
            }
          }
          if (batch.length > 0)
            rows += await insertRestrictionRows(trx, store.dialect, 1, scope, at, batch);
        });
      }
      const seconds = (performance.now() - started) / 1000;
      return { phase: which, seconds, rows, peakRssMB: peakRssMb() };
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
      lines: { type: "string", default: "300000" },
      db: { type: "string", default: "both" },
      runs: { type: "string", default: "3" },
      phase: { type: "string" },
      file: { type: "string" },
      target: { type: "string" },
    },
  });
  if (values.phase) {
    const m = await phase(values.target as Db, values.phase as Phase, values.file as string);
    console.log(JSON.stringify(m));
    return;
  }
  const lines = Number(values.lines);
  const runs = Number(values.runs);
  const dbs: Db[] = values.db === "both" ? ["sqlite", "postgres"] : [values.db as Db];
  const dir = mkdtempSync(join(tmpdir(), "remessa-bench-restr-"));
  try {
    const files = await generate(dir, lines);
    for (const db of dbs) {
      const results: Record<Phase, Measure[]> = { import: [], floor: [] };
      for (let r = 0; r < runs; r++) {
        for (const which of ["floor", "import"] as const) {
          results[which].push(
            runPhaseChild<Measure>(import.meta.url, [
              "--phase",
              which,
              "--target",
              db,
              "--file",
              which === "import" ? files.list : files.rows,
            ]),
          );
        }
      }
      const imp = median(results.import.map((m) => m.seconds));
      const floor = median(results.floor.map((m) => m.seconds));
      console.log(
        JSON.stringify({
          db,
          lines,
          rows: results.import[0]?.rows,
          importSeconds: round(imp),
          linesPerSecond: Math.round(lines / imp),
          floorSeconds: round(floor),
          floorRowsPerSecond: Math.round((results.floor[0]?.rows ?? 0) / floor),
          ratioToFloor: round(imp / floor, 2),
          peakRssMB: {
            import: Math.max(...results.import.map((m) => m.peakRssMB)),
            floor: Math.max(...results.floor.map((m) => m.peakRssMB)),
          },
        }),
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
