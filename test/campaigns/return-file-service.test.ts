/**
 * ReturnFiles on both databases: the file written beside the moved mailing through its own source
 * (a local folder and an in-process ftp-srv), in the mailing's encoding and delimiter, page by
 * page; only once every campaign of the mailing ended; crash-safe (same single name), shared by
 * two workers, retried when the source is unreachable.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import iconv from "iconv-lite";
import {
  ReturnFiles,
  type ReturnFilesOptions,
  SimulatedCrash,
  startReturnFiles,
} from "../../src/campaigns/return-files.js";
import { silentLogger } from "../../src/log.js";
import { openSource } from "../../src/sources/open.js";
import type { Source, SourceConfig } from "../../src/sources/types.js";
import { openDatabase, type Store } from "../../src/store/db.js";
import { createSource } from "../../src/store/sources.js";
import { waitFor } from "../ingest/helpers.js";
import {
  closedPort,
  ftpSrvConfig,
  type RunningFtpSrv,
  startFtpSrv,
  tempDir,
} from "../sources/servers.js";
import { DATABASES } from "../store/harness.js";
import {
  insertCampaign,
  insertMailing,
  insertMessages,
  insertPerson,
  localSourceRow,
  T0,
} from "./return-file-fixtures.js";

// Source passwords are encrypted with this key (getSourceWithSecret reads it from the environment).
process.env.REMESSA_SECRET_KEY ??= randomBytes(32).toString("base64");

const ENDED = "2026-11-26T20:00:00.000Z";
/** The service's clock: after every campaign ended. */
const NOW = Date.parse("2026-11-26T21:00:00.000Z");
const HEADER = "CODCLIENTE;CPFCNPJ;CANAL;DESTINO;SITUACAO;MOTIVO;ENVIADO_EM;ULTIMA_SITUACAO_EM";

/** A source wrapper that counts writes (to tell a rewrite from a record of an earlier write). */
function counting(open: (c: SourceConfig) => Promise<Source>, writes: { n: number }) {
  return async (config: SourceConfig): Promise<Source> => {
    const source = await open(config);
    return new Proxy(source, {
      get(target, prop, receiver) {
        if (prop === "write") {
          return (...args: Parameters<Source["write"]>) => {
            writes.n++;
            return target.write(...args);
          };
        }
        const value = Reflect.get(target, prop, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  };
}

function service(store: Store, overrides: Partial<ReturnFilesOptions> = {}): ReturnFiles {
  return new ReturnFiles({ store, log: silentLogger, clock: () => NOW, ...overrides });
}

/** A mailing with one SMS campaign ended and messages in every final state. */
async function seedMixed(
  store: Store,
  sourceId: number | null,
  format: { encoding: string | null; delimiter: string | null },
) {
  const mailingId = await insertMailing(store, { sourceId, ...format });
  const campaignId = await insertCampaign(store, {
    mailingId,
    channel: "sms",
    state: "expired",
    endedAt: ENDED,
    deadlineAt: ENDED,
  });
  const people = [];
  for (const [i, p] of [
    { codCliente: "AÇÃO-1", document: "12345678909" },
    { codCliente: "C2", document: null },
    { codCliente: "C3", document: "11222333000181" },
    { codCliente: "C4", document: null },
    { codCliente: "C5", document: null },
  ].entries()) {
    people.push(await insertPerson(store, p, `k${mailingId}-${i}`));
  }
  const sent = "2026-11-26T15:00:00.000Z";
  await insertMessages(store, campaignId, [
    {
      personId: people[0]!,
      address: "11987654321",
      state: "delivered",
      sentAt: sent,
      at: "2026-11-26T15:01:00.000Z",
    },
    {
      personId: people[1]!,
      address: "21987654321",
      state: "failed",
      error: "Número inválido, não é celular",
      at: sent,
    },
    {
      personId: people[2]!,
      address: "31987654321",
      state: "skipped",
      skipReason: "RESTRITO",
      at: sent,
    },
    { personId: people[3]!, address: "41987654321", state: "expired", at: ENDED },
    {
      personId: people[4]!,
      address: "51987654321",
      state: "read",
      sentAt: sent,
      at: "2026-11-26T16:00:00.000Z",
    },
  ]);
  const mailing = await store.db
    .selectFrom("mailings")
    .select(["moved_to", "file_name"])
    .where("id", "=", mailingId)
    .executeTakeFirstOrThrow();
  return { mailingId, campaignId, movedTo: mailing.moved_to as string };
}

function expectedLines(d: string): string[] {
  const row = (cells: string[]) => cells.join(d);
  return [
    HEADER.split(";").join(d),
    row([
      "AÇÃO-1",
      "12345678909",
      "SMS",
      "11987654321",
      "ENTREGUE",
      "",
      "26/11/2026 12:00:00",
      "26/11/2026 12:01:00",
    ]),
    row([
      "C2",
      "",
      "SMS",
      "21987654321",
      "FALHOU",
      d === "," ? '"Número inválido, não é celular"' : "Número inválido, não é celular",
      "",
      "26/11/2026 12:00:00",
    ]),
    row([
      "C3",
      "11222333000181",
      "SMS",
      "31987654321",
      "NAO_ENVIADO",
      "RESTRITO: o contato entrou na lista de restrição da carteira antes do envio.",
      "",
      "26/11/2026 12:00:00",
    ]),
    row([
      "C4",
      "",
      "SMS",
      "41987654321",
      "EXPIRADO",
      "PRAZO_ESGOTADO: o prazo limite da campanha (_LE) de 26/11/2026 17:00:00 passou antes do envio.",
      "",
      "26/11/2026 17:00:00",
    ]),
    row(["C5", "", "SMS", "51987654321", "LIDO", "", "26/11/2026 12:00:00", "26/11/2026 13:00:00"]),
  ];
}

async function campaignRow(store: Store, id: number) {
  return store.db
    .selectFrom("campaigns")
    .select([
      "return_written_at",
      "return_path",
      "return_error",
      "return_lease_owner",
      "return_lease_expires_at",
    ])
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
}

for (const db of DATABASES) {
  describe(`return files (${db.name})`, { skip: db.skip }, () => {
    let ftp: RunningFtpSrv;
    let ftpRoot: string;
    before(async () => {
      ftpRoot = await tempDir("remessa-retorno-ftp-");
      ftp = await startFtpSrv("plain", ftpRoot);
    });
    after(async () => {
      await ftp.close();
      await rm(ftpRoot, { recursive: true, force: true });
    });

    test("Windows-1252 ';' mailing on a local source: a Windows-1252 ';' file beside it, recorded once", async () => {
      const t = await db.open();
      const root = await tempDir("remessa-retorno-");
      try {
        const sourceId = await localSourceRow(t.store, root);
        const { campaignId, movedTo } = await seedMixed(t.store, sourceId, {
          encoding: "windows-1252",
          delimiter: ";",
        });
        const writes = { n: 0 };
        const files = service(t.store, { openSource: counting(openSource, writes) });
        assert.equal(await files.runOnce(), 1);
        const path = `${movedTo}.retorno.csv`;
        const bytes = readFileSync(join(root, path));
        // ç and ã as single Windows-1252 bytes, not UTF-8 pairs.
        assert.ok(bytes.includes(Buffer.from([0x41, 0xc7, 0xc3, 0x4f]))); // "AÇÃO"
        assert.ok(!bytes.includes(Buffer.from("Ç", "utf8")));
        const text = iconv.decode(bytes, "windows-1252");
        assert.ok(text.endsWith("\r\n"));
        assert.deepEqual(text.split("\r\n").slice(0, -1), expectedLines(";"));
        const row = await campaignRow(t.store, campaignId);
        assert.equal(row.return_path, path);
        assert.equal(row.return_written_at, new Date(NOW).toISOString());
        assert.equal(row.return_lease_owner, null);
        // Done: not written again.
        assert.equal(await files.runOnce(), 0);
        assert.equal(writes.n, 1);
        const lidos = readdirSync(join(root, "BRAD", "LIDOS")).filter((n) => !n.startsWith("."));
        assert.deepEqual(lidos, [path.split("/").pop()]);
      } finally {
        await t.dispose();
        await rm(root, { recursive: true, force: true });
      }
    });

    test("UTF-8 ',' mailing on an ftp-srv source: a UTF-8 ',' file beside it", async () => {
      const t = await db.open();
      const folder = `s${randomBytes(4).toString("hex")}`;
      await mkdir(join(ftpRoot, folder));
      try {
        const source = await createSource(t.store.db, 1, {
          ...ftpSrvConfig(ftp, { root: `/${folder}` }),
          name: "ftp",
        });
        const { campaignId, movedTo } = await seedMixed(t.store, source.id, {
          encoding: "utf-8",
          delimiter: ",",
        });
        assert.equal(await service(t.store).runOnce(), 1);
        const text = readFileSync(join(ftpRoot, folder, `${movedTo}.retorno.csv`), "utf8");
        assert.ok(!text.startsWith("\uFEFF"), "no BOM");
        assert.deepEqual(text.split("\r\n").slice(0, -1), expectedLines(","));
        assert.equal(
          (await campaignRow(t.store, campaignId)).return_path,
          `${movedTo}.retorno.csv`,
        );
      } finally {
        await t.dispose();
      }
    });

    test("nothing until every campaign of the mailing ended; then one file with both, campaign by campaign, across pages", async () => {
      const t = await db.open();
      const root = await tempDir("remessa-retorno-");
      try {
        const sourceId = await localSourceRow(t.store, root);
        const mailingId = await insertMailing(t.store, {
          sourceId,
          encoding: "utf-8",
          delimiter: ";",
        });
        const sms = await insertCampaign(t.store, {
          mailingId,
          channel: "sms",
          state: "finished",
          endedAt: ENDED,
        });
        const email = await insertCampaign(t.store, {
          mailingId,
          channel: "email",
          state: "running",
          endedAt: null,
        });
        // 7 SMS and 4 e-mails, pages of 3: page boundaries inside both campaigns.
        const smsPeople = [];
        const emailPeople = [];
        for (let i = 0; i < 7; i++) {
          smsPeople.push(
            await insertPerson(t.store, { codCliente: `S${i}`, document: null }, `s${i}`),
          );
        }
        for (let i = 0; i < 4; i++) {
          emailPeople.push(
            await insertPerson(t.store, { codCliente: `E${i}`, document: null }, `e${i}`),
          );
        }
        await insertMessages(
          t.store,
          sms,
          smsPeople.map((personId, i) => ({
            personId,
            address: `1198765432${i}`,
            state: "sent",
            sentAt: T0,
          })),
        );
        await insertMessages(
          t.store,
          email,
          emailPeople.map((personId, i) => ({
            personId,
            address: `p${i}@exemplo.com.br`,
            state: "sent",
            sentAt: T0,
          })),
        );
        const files = service(t.store, { pageSize: 3 });
        assert.equal(await files.runOnce(), 0, "the e-mail campaign is still running");
        await t.store.db
          .updateTable("campaigns")
          .set({ state: "finished", ended_at: ENDED })
          .where("id", "=", email)
          .execute();
        assert.equal(await files.runOnce(), 1);
        const lines = readFileSync(
          join(
            root,
            "BRAD",
            "LIDOS",
            readdirSync(join(root, "BRAD", "LIDOS")).find((n) => n.endsWith(".retorno.csv"))!,
          ),
          "utf8",
        )
          .split("\r\n")
          .slice(1, -1);
        assert.deepEqual(
          lines.map((l) => l.split(";").slice(0, 3).join(";")),
          [...smsPeople.map((_, i) => `S${i};;SMS`), ...emailPeople.map((_, i) => `E${i};;EMAIL`)],
        );
        for (const id of [sms, email]) {
          assert.match((await campaignRow(t.store, id)).return_path ?? "", /\.retorno\.csv$/);
        }
      } finally {
        await t.dispose();
        await rm(root, { recursive: true, force: true });
      }
    });

    test("a campaign that ends before its file is moved waits for the pipeline, then writes", async () => {
      const t = await db.open();
      const root = await tempDir("remessa-retorno-");
      try {
        const sourceId = await localSourceRow(t.store, root);
        const mailingId = await insertMailing(t.store, {
          sourceId,
          encoding: "utf-8",
          delimiter: ";",
          state: "imported",
          movedTo: null,
        });
        const c = await insertCampaign(t.store, {
          mailingId,
          channel: "sms",
          state: "finished",
          endedAt: ENDED,
        });
        const p = await insertPerson(t.store, { codCliente: "W", document: null }, "w");
        await insertMessages(t.store, c, [
          { personId: p, address: "11987654321", state: "sent", sentAt: T0 },
        ]);
        let now = NOW;
        const files = service(t.store, { clock: () => now, retryBaseMs: 30_000 });
        assert.equal(await files.runOnce(), 0);
        assert.equal((await campaignRow(t.store, c)).return_written_at, null);
        // The pipeline moves and reports it (the move was retried meanwhile).
        const fileName = (
          await t.store.db
            .selectFrom("mailings")
            .select("file_name")
            .where("id", "=", mailingId)
            .executeTakeFirstOrThrow()
        ).file_name;
        await t.store.db
          .updateTable("mailings")
          .set({ state: "reported", moved_to: `BRAD/LIDOS/${fileName}` })
          .where("id", "=", mailingId)
          .execute();
        assert.equal(await files.runOnce(), 0, "not before the retry time");
        now = NOW + 30_000;
        assert.equal(await files.runOnce(), 1);
        assert.equal(
          (await campaignRow(t.store, c)).return_path,
          `BRAD/LIDOS/${fileName}.retorno.csv`,
        );
        assert.ok(existsSync(join(root, "BRAD", "LIDOS", `${fileName}.retorno.csv`)));
      } finally {
        await t.dispose();
        await rm(root, { recursive: true, force: true });
      }
    });

    test("a send still in flight holds the file back until its lease ends", async () => {
      const t = await db.open();
      const root = await tempDir("remessa-retorno-");
      try {
        const sourceId = await localSourceRow(t.store, root);
        const mailingId = await insertMailing(t.store, {
          sourceId,
          encoding: "utf-8",
          delimiter: ";",
        });
        const c = await insertCampaign(t.store, {
          mailingId,
          channel: "sms",
          state: "cancelled",
          endedAt: ENDED,
        });
        const p = await insertPerson(t.store, { codCliente: "X", document: null }, "x");
        const leaseEnd = NOW + 60_000;
        await insertMessages(t.store, c, [
          {
            personId: p,
            address: "11987654321",
            state: "sending",
            leaseExpiresAt: new Date(leaseEnd).toISOString(),
          },
        ]);
        let now = NOW;
        const files = service(t.store, { clock: () => now });
        assert.equal(await files.runOnce(), 0);
        assert.equal((await campaignRow(t.store, c)).return_written_at, null);
        // Waiting is not a failed attempt.
        const attempts = await t.store.db
          .selectFrom("campaigns")
          .select("return_attempts")
          .where("id", "=", c)
          .executeTakeFirstOrThrow();
        assert.equal(attempts.return_attempts, 0);
        now = leaseEnd + 1;
        assert.equal(await files.runOnce(), 1);
        const name = readdirSync(join(root, "BRAD", "LIDOS")).find((n) =>
          n.endsWith(".retorno.csv"),
        )!;
        assert.match(readFileSync(join(root, "BRAD", "LIDOS", name), "utf8"), /;SEM_CONFIRMACAO;/);
      } finally {
        await t.dispose();
        await rm(root, { recursive: true, force: true });
      }
    });

    test("a crash after the write and before the record: the next run records the same single file", async () => {
      const t = await db.open();
      const root = await tempDir("remessa-retorno-");
      try {
        const sourceId = await localSourceRow(t.store, root);
        const { campaignId, movedTo } = await seedMixed(t.store, sourceId, {
          encoding: "windows-1252",
          delimiter: ";",
        });
        const writes = { n: 0 };
        const first = service(t.store, {
          owner: "first",
          openSource: counting(openSource, writes),
          afterWrite: () => {
            throw new SimulatedCrash();
          },
        });
        await assert.rejects(first.runOnce(), SimulatedCrash);
        const path = `${movedTo}.retorno.csv`;
        const written = readFileSync(join(root, path));
        assert.equal((await campaignRow(t.store, campaignId)).return_written_at, null);
        // Another process, while the dead one's lease still runs: waits.
        const second = service(t.store, {
          owner: "second",
          openSource: counting(openSource, writes),
        });
        assert.equal(await second.runOnce(), 0);
        // After the lease: recorded, not written again, and no second name.
        const later = service(t.store, {
          owner: "second",
          clock: () => NOW + 61_000,
          openSource: counting(openSource, writes),
        });
        assert.equal(await later.runOnce(), 1);
        assert.equal(writes.n, 1);
        assert.equal((await campaignRow(t.store, campaignId)).return_path, path);
        assert.deepEqual(readFileSync(join(root, path)), written);
        const names = readdirSync(join(root, "BRAD", "LIDOS")).filter((n) =>
          n.includes(".retorno"),
        );
        assert.deepEqual(names, [path.split("/").pop()]);
      } finally {
        await t.dispose();
        await rm(root, { recursive: true, force: true });
      }
    });

    test("two workers at once: one file, written by one of them", async () => {
      const t = await db.open();
      const root = await tempDir("remessa-retorno-");
      try {
        const sourceId = await localSourceRow(t.store, root);
        const mailings = [];
        for (let i = 0; i < 3; i++) {
          mailings.push(await seedMixed(t.store, sourceId, { encoding: "utf-8", delimiter: ";" }));
        }
        const writes = { n: 0 };
        // Each worker with its own connection(s), as two processes would have.
        const other = await openDatabase(t.url);
        const a = service(t.store, { owner: "a", openSource: counting(openSource, writes) });
        const b = service(other, { owner: "b", openSource: counting(openSource, writes) });
        const [na, nb] = await Promise.all([a.runOnce(), b.runOnce()]).finally(() => other.close());
        assert.equal(na + nb, 3);
        assert.equal(writes.n, 3);
        const names = readdirSync(join(root, "BRAD", "LIDOS")).filter((n) =>
          n.includes(".retorno"),
        );
        assert.equal(names.length, 3);
        for (const m of mailings)
          assert.ok(names.includes(`${m.movedTo.split("/").pop()}.retorno.csv`));
      } finally {
        await t.dispose();
        await rm(root, { recursive: true, force: true });
      }
    });

    test("a worker that lost its lease while writing leaves the file to the one that took over", async () => {
      const t = await db.open();
      const root = await tempDir("remessa-retorno-");
      try {
        const sourceId = await localSourceRow(t.store, root);
        const { campaignId, movedTo } = await seedMixed(t.store, sourceId, {
          encoding: "utf-8",
          delimiter: ";",
        });
        // While the slow worker writes, its lease runs out and another worker takes the mailing.
        const stealing = async (config: SourceConfig): Promise<Source> => {
          const source = await openSource(config);
          return new Proxy(source, {
            get(target, prop, receiver) {
              if (prop === "write") {
                return async (...args: Parameters<Source["write"]>) => {
                  const path = await target.write(...args);
                  await t.store.db
                    .updateTable("campaigns")
                    .set({ return_lease_owner: "other" })
                    .where("id", "=", campaignId)
                    .execute();
                  return path;
                };
              }
              const value = Reflect.get(target, prop, receiver);
              return typeof value === "function" ? value.bind(target) : value;
            },
          });
        };
        assert.equal(await service(t.store, { owner: "slow", openSource: stealing }).runOnce(), 0);
        assert.equal(existsSync(join(root, `${movedTo}.retorno.csv`)), false);
        const row = await campaignRow(t.store, campaignId);
        assert.equal(row.return_written_at, null);
        assert.equal(row.return_lease_owner, "other");
      } finally {
        await t.dispose();
        await rm(root, { recursive: true, force: true });
      }
    });

    test("startReturnFiles runs the service periodically until stopped (the hook for serve)", async () => {
      const t = await db.open();
      const root = await tempDir("remessa-retorno-");
      try {
        const sourceId = await localSourceRow(t.store, root);
        const { campaignId, movedTo } = await seedMixed(t.store, sourceId, {
          encoding: null,
          delimiter: null,
        });
        const loop = startReturnFiles({ store: t.store, log: silentLogger, intervalMs: 20 });
        try {
          await waitFor(
            "the return file",
            async () => (await campaignRow(t.store, campaignId)).return_path,
          );
        } finally {
          await loop.stop();
        }
        // Unknown format (imported before it was recorded): UTF-8 and ';'.
        assert.match(
          readFileSync(join(root, `${movedTo}.retorno.csv`), "utf8"),
          /^CODCLIENTE;CPFCNPJ;.*\r\nAÇÃO-1;/,
        );
      } finally {
        await t.dispose();
        await rm(root, { recursive: true, force: true });
      }
    });

    test("an unreachable source is retried later with the reason kept, then written", async () => {
      const t = await db.open();
      const folder = `s${randomBytes(4).toString("hex")}`;
      await mkdir(join(ftpRoot, folder));
      try {
        const source = await createSource(t.store.db, 1, {
          ...ftpSrvConfig(ftp, { root: `/${folder}`, port: await closedPort() }),
          name: "ftp-fora",
        });
        const { campaignId, movedTo } = await seedMixed(t.store, source.id, {
          encoding: "utf-8",
          delimiter: ";",
        });
        let now = NOW;
        const files = service(t.store, { clock: () => now, retryBaseMs: 30_000 });
        assert.equal(await files.runOnce(), 0);
        let row = await campaignRow(t.store, campaignId);
        assert.equal(row.return_written_at, null);
        assert.match(row.return_error ?? "", /\S/);
        assert.equal(row.return_lease_expires_at, new Date(NOW + 30_000).toISOString());
        // The server is back (its port fixed), but the retry is not due yet.
        await t.store.db
          .updateTable("file_sources")
          .set({ port: ftp.port })
          .where("id", "=", source.id)
          .execute();
        assert.equal(await files.runOnce(), 0);
        now = NOW + 30_000;
        assert.equal(await files.runOnce(), 1);
        row = await campaignRow(t.store, campaignId);
        assert.equal(row.return_path, `${movedTo}.retorno.csv`);
        assert.equal(row.return_error, null);
        assert.ok(existsSync(join(ftpRoot, folder, `${movedTo}.retorno.csv`)));
      } finally {
        await t.dispose();
      }
    });

    test("remessa import of a local file: beside it when its folder is here; a relative path is recorded as not written", async () => {
      const t = await db.open();
      const dir = await tempDir("remessa-retorno-local-");
      try {
        const file = join(dir, "mailing_261126_9_cBRAD_smsshort.csv");
        await writeFile(file, "x");
        const here = await insertMailing(t.store, {
          sourceId: null,
          path: file,
          movedTo: null,
          encoding: "utf-8",
          delimiter: ";",
        });
        const c1 = await insertCampaign(t.store, {
          mailingId: here,
          channel: "sms",
          state: "finished",
          endedAt: ENDED,
        });
        const p = await insertPerson(t.store, { codCliente: "L", document: null }, "l");
        await insertMessages(t.store, c1, [
          { personId: p, address: "11987654321", state: "sent", sentAt: T0 },
        ]);
        const elsewhere = await insertMailing(t.store, {
          sourceId: null,
          path: "relativo/mailing.csv",
          movedTo: null,
          encoding: "utf-8",
          delimiter: ";",
        });
        const c2 = await insertCampaign(t.store, {
          mailingId: elsewhere,
          channel: "sms",
          state: "finished",
          endedAt: ENDED,
        });
        assert.equal(await service(t.store).runOnce(), 2);
        assert.equal((await campaignRow(t.store, c1)).return_path, `${file}.retorno.csv`);
        assert.match(
          readFileSync(`${file}.retorno.csv`, "utf8"),
          /^CODCLIENTE;.*\r\nL;;SMS;11987654321;ENVIADO;/,
        );
        const r2 = await campaignRow(t.store, c2);
        assert.equal(r2.return_path, null);
        assert.notEqual(r2.return_written_at, null);
        assert.match(r2.return_error ?? "", /local/);
        assert.match(r2.return_error ?? "", /caminho relativo "relativo\/mailing\.csv"/);
      } finally {
        await t.dispose();
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
}
