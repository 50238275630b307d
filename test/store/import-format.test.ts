/**
 * The content's encoding and delimiter are kept on the mailing by a real import (reader →
 * writer), for the return file to be written the same way.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import iconv from "iconv-lite";
import { readMailing } from "../../src/mailing/reader.js";
import { importMailing, splitReader } from "../../src/store/import.js";
import { createWallet } from "../../src/store/wallets.js";
import { buildZip } from "../mailing/helpers.js";
import { mailingName } from "./fixtures.js";
import { DATABASES } from "./harness.js";

const CASES: {
  name: string;
  bytes: Buffer | (() => Promise<Buffer>);
  encoding: string;
  delimiter: string;
  zip?: boolean;
}[] = [
  {
    name: "Windows-1252 with ';'",
    bytes: iconv.encode(
      "TIPO_DE_REGISTRO;VALOR_DO_REGISTRO;NOME_CLIENTE;CODCLIENTE\r\nCELULAR;11987654321;João Ação;C1\r\n",
      "windows-1252",
    ),
    encoding: "windows-1252",
    delimiter: ";",
  },
  {
    name: "UTF-8 with ','",
    bytes: Buffer.from(
      "TIPO_DE_REGISTRO,VALOR_DO_REGISTRO,NOME_CLIENTE,CODCLIENTE\nCELULAR,11987654321,João Ação,C1\n",
    ),
    encoding: "utf-8",
    delimiter: ",",
  },
  {
    name: "UTF-8 with TAB",
    bytes: Buffer.from(
      "TIPO_DE_REGISTRO\tVALOR_DO_REGISTRO\tCODCLIENTE\nCELULAR\t11987654321\tC1\n",
    ),
    encoding: "utf-8",
    delimiter: "\t",
  },
  {
    // A zip: the first entry's delimiter; Windows-1252 when any entry is (the reader's summary).
    name: "zip: first entry's delimiter, Windows-1252 if any entry is",
    bytes: () =>
      buildZip([
        {
          name: "a.csv",
          data: "TIPO_DE_REGISTRO|VALOR_DO_REGISTRO|CODCLIENTE\nCELULAR|11987654321|C1\n",
        },
        {
          name: "b.csv",
          data: iconv.encode(
            "TIPO_DE_REGISTRO;VALOR_DO_REGISTRO;CODCLIENTE\nCELULAR;21987654321;Ç2\n",
            "windows-1252",
          ),
        },
      ]),
    encoding: "windows-1252",
    delimiter: "|",
    zip: true,
  },
];

for (const db of DATABASES) {
  describe(`import keeps the content's format (${db.name})`, { skip: db.skip }, () => {
    for (const [i, c] of CASES.entries()) {
      test(c.name, async () => {
        const t = await db.open();
        const dir = await mkdtemp(join(tmpdir(), "remessa-format-"));
        try {
          await createWallet(t.store.db, 1, { code: "BRAD" });
          const extension = c.zip ? "zip" : "csv";
          const file = join(dir, `mailing.${extension}`);
          await writeFile(file, typeof c.bytes === "function" ? await c.bytes() : c.bytes);
          const reader = splitReader(readMailing(file, { extension, sanitize: false }));
          const mailing = mailingName({ sequence: i + 1 });
          const result = await importMailing(t.store, {
            tenantId: 1,
            mailing,
            fileName: "mailing.csv",
            path: file,
            folder: null,
            content: reader.content,
            summary: reader.summary,
          });
          assert.equal(result.ok, true, JSON.stringify(result.errors));
          const row = await t.store.db
            .selectFrom("mailings")
            .select(["encoding", "delimiter"])
            .where("id", "=", result.mailingId as number)
            .executeTakeFirstOrThrow();
          assert.deepEqual(row, { encoding: c.encoding, delimiter: c.delimiter });
        } finally {
          await rm(dir, { recursive: true, force: true });
          await t.dispose();
        }
      });
    }
  });
}
