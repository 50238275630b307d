/**
 * End to end over the ingest pipeline (in-process service, local drop folder): a Windows-1252
 * ','-separated mailing is imported and moved to LIDOS with its format recorded; once its
 * campaign ends (rows written here as planning and dispatch would), its `.retorno.csv` lands
 * beside it in LIDOS, in Windows-1252 with ',', one line per audience person.
 */
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import iconv from "iconv-lite";
import { ReturnFiles } from "../../src/campaigns/return-files.js";
import { IngestService } from "../../src/ingest/service.js";
import { silentLogger } from "../../src/log.js";
import { createSource } from "../../src/store/sources.js";
import { createWallet } from "../../src/store/wallets.js";
import { ddmmyy, waitFor, waitReported, whereDone } from "../ingest/helpers.js";
import { DATABASES } from "../store/harness.js";
import { insertCampaign } from "./return-file-fixtures.js";

for (const database of DATABASES) {
  describe(`return file after a real import (${database.name})`, { skip: database.skip }, () => {
    test("Windows-1252 ',' file in, Windows-1252 ',' return file beside it in LIDOS", async () => {
      const ts = await database.open();
      const drop = join(ts.dataDir, "drop");
      mkdirSync(drop, { recursive: true });
      await createWallet(ts.store.db, 1, { code: "BRAD" });
      const source = await createSource(ts.store.db, 1, {
        protocol: "local",
        host: "",
        port: null,
        user: "",
        password: "",
        root: drop,
        allowPrivate: true,
        tlsFingerprint: null,
        tlsInsecure: false,
        intervalSeconds: 5,
        stabilitySeconds: 0,
      });
      const service = new IngestService({
        store: ts.store,
        filesDir: join(ts.dataDir, "files"),
        log: silentLogger,
        tickMs: 100,
      });
      service.start();
      const name = `mailing_${ddmmyy()}_1_cBRAD.csv`;
      try {
        const csv = [
          "TIPO_DE_REGISTRO,VALOR_DO_REGISTRO,NOME_CLIENTE,CPFCNPJ,CODCLIENTE",
          "CELULAR,11987654321,João,529.982.247-25,AÇÃO-1",
          "CELULAR,21987654321,Conceição,,Nº 2",
        ].join("\r\n");
        writeFileSync(join(drop, name), iconv.encode(`${csv}\r\n`, "windows-1252"));
        service.notifyUploadComplete(source.id, name);
        assert.equal(await waitFor("the file in LIDOS", () => whereDone(drop, name)), "LIDOS");
        await waitReported(ts.store.db, [name]);
      } finally {
        await service.stop();
      }
      try {
        const db = ts.store.db;
        const mailing = await db
          .selectFrom("mailings")
          .select(["id", "encoding", "delimiter", "moved_to"])
          .executeTakeFirstOrThrow();
        assert.deepEqual(
          { encoding: mailing.encoding, delimiter: mailing.delimiter },
          { encoding: "windows-1252", delimiter: "," },
        );
        // The campaign as planning writes it, ended as dispatch leaves it.
        const campaignId = await insertCampaign(ts.store, {
          mailingId: mailing.id,
          channel: "whatsapp",
          state: "finished",
          endedAt: "2026-11-26T20:00:00.000Z",
        });
        const people = await db
          .selectFrom("mailing_persons as mp")
          .innerJoin("person_channels as c", "c.person_id", "mp.person_id")
          .select(["mp.person_id", "c.value", "mp.first_line"])
          .where("mp.mailing_id", "=", mailing.id)
          .orderBy("mp.first_line")
          .execute();
        assert.equal(people.length, 2);
        await db
          .insertInto("messages")
          .values(
            people.map((p, i) => ({
              tenant_id: 1,
              campaign_id: campaignId,
              person_id: p.person_id,
              channel_kind: "mobile",
              address: p.value,
              state: i === 0 ? ("read" as const) : ("failed" as const),
              error: i === 0 ? null : "Número sem WhatsApp.",
              created_at: "2026-11-26T12:00:00.000Z",
              updated_at: "2026-11-26T15:10:00.000Z",
              sent_at: i === 0 ? "2026-11-26T15:00:00.000Z" : null,
              read_at: i === 0 ? "2026-11-26T15:10:00.000Z" : null,
              failed_at: i === 0 ? null : "2026-11-26T15:10:00.000Z",
            })),
          )
          .execute();
        const files = new ReturnFiles({ store: ts.store, log: silentLogger });
        assert.equal(await files.runOnce(), 1);
        const path = `${mailing.moved_to}.retorno.csv`;
        assert.equal(path, `LIDOS/${name}.retorno.csv`);
        assert.ok(readdirSync(join(drop, "LIDOS")).includes(`${name}.retorno.csv`));
        const text = iconv.decode(readFileSync(join(drop, path)), "windows-1252");
        assert.deepEqual(text.split("\r\n"), [
          "CODCLIENTE,CPFCNPJ,CANAL,DESTINO,SITUACAO,MOTIVO,ENVIADO_EM,ULTIMA_SITUACAO_EM",
          "AÇÃO-1,52998224725,WHATSAPP,11987654321,LIDO,,26/11/2026 12:00:00,26/11/2026 12:10:00",
          "Nº 2,,WHATSAPP,21987654321,FALHOU,Número sem WhatsApp.,,26/11/2026 12:10:00",
          "",
        ]);
      } finally {
        await ts.dispose();
      }
    });
  });
}
