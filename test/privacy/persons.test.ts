/**
 * A person's rights through the real CLI on both databases: export holds
 * everything, correct is audited, erase leaves no trace of the person in any
 * table (every text column) nor in any file under the data dir, keeps the
 * totals, is idempotent and leaves the contacts recognisable as restricted.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { PersonExport } from "../../src/privacy/persons.js";
import { openStoredFile } from "../../src/privacy/sealed.js";
import { loadRestrictionLookup } from "../../src/store/restrictions.js";
import { cliJson, runCli } from "../cli/run-cli.js";
import { DATABASES } from "../store/harness.js";
import { buildBase, FILE_NAME, ZULEICA } from "./fixtures.js";
import { scanFiles, scanTables } from "./scan.js";

for (const database of DATABASES) {
  describe(`persons (LGPD art. 18) on ${database.name}`, { skip: database.skip }, () => {
    test("export, correct, erase: nothing of the person left anywhere, totals kept", async () => {
      const ts = await database.open();
      const savedDir = process.env.REMESSA_DATA_DIR;
      process.env.REMESSA_DATA_DIR = ts.dataDir;
      try {
        const built = await buildBase(ts);
        const db = ts.store.db;
        assert.ok(scanFiles(ts.dataDir).length > 0, "the person is in the files before erasure");
        assert.ok((await scanTables(ts)).length > 0, "and in the tables");

        // Export: one document with everything, found by any identifier.
        const byPhone = (await cliJson(ts.url, [
          "persons",
          "export",
          "--phone",
          "+55 (11) 98765-1234",
        ])) as { persons: PersonExport[] };
        assert.equal(byPhone.persons.length, 1);
        const p = byPhone.persons[0] as PersonExport;
        assert.equal(p.name, ZULEICA.name);
        assert.equal(p.document, ZULEICA.cpf);
        assert.deepEqual(
          (p.contacts as { value: string }[]).map((c) => c.value).sort(),
          [ZULEICA.phone, ZULEICA.email].sort(),
        );
        assert.deepEqual(
          (p.wallets as { code: string }[]).map((w) => w.code),
          ["BRAD"],
        );
        assert.equal((p.fields as Record<string, string>).CORINGA1, "divida 42");
        assert.deepEqual(
          (p.mailings as { fileName: string }[]).map((m) => m.fileName),
          [FILE_NAME],
        );
        const messages = p.messages as { state: string; address: string }[];
        assert.deepEqual(
          messages.map((m) => [m.state, m.address]),
          [["sent", ZULEICA.phone]],
        );
        assert.deepEqual(
          (p.restrictions as { value: string; reason: string }[]).map((r) => [r.value, r.reason]),
          [[ZULEICA.phone, "SMS SAIR"]],
        );
        assert.equal((p.inbound as unknown[]).length, 1);
        // Held in BRAD since the file, with no basis recorded (the wallet had none then).
        assert.deepEqual(
          (p.legalBases as { wallet: string; basis: string | null; mailings: number }[]).map(
            (b) => [b.wallet, b.basis, b.mailings],
          ),
          [["BRAD", null, 1]],
        );
        for (const selector of [
          ["--cpf", "529.982.247-25"],
          ["--code", ZULEICA.code],
          ["--email", "Zuleica.Q@EXEMPLO.com.br"],
        ]) {
          const doc = (await cliJson(ts.url, ["persons", "export", ...selector])) as {
            persons: { id: number }[];
          };
          assert.deepEqual(
            doc.persons.map((x) => x.id),
            [built.personId],
            selector.join(" "),
          );
        }

        // Correct: a field, audited with who and why (not the values).
        const corrected = (await cliJson(ts.url, [
          "persons",
          "correct",
          "--code",
          ZULEICA.code,
          "--field",
          "CORINGA1=acordo fechado",
          "--reason",
          "pedido do titular, protocolo 9",
          "--by",
          "dpo-maria",
          "--json",
        ])) as { changed: string[] };
        assert.deepEqual(corrected.changed, ["fields.CORINGA1"]);
        const audit = await db
          .selectFrom("audit_events")
          .selectAll()
          .where("action", "=", "persons.correct")
          .executeTakeFirstOrThrow();
        assert.equal(audit.actor, "cli:dpo-maria");
        assert.equal(audit.subject, `person:${built.personId}`);
        assert.match(audit.details_json ?? "", /protocolo 9/);
        assert.doesNotMatch(audit.details_json ?? "", /acordo fechado/);

        const audienceBefore = await db
          .selectFrom("campaigns")
          .select(["audience"])
          .where("id", "=", built.campaignId)
          .executeTakeFirstOrThrow();
        const mailingBefore = await db
          .selectFrom("mailings")
          .select(["rows", "persons", "rejected"])
          .where("id", "=", built.mailingId)
          .executeTakeFirstOrThrow();

        // Erase: without --yes and no terminal, nothing happens.
        const refused = await runCli(ts.url, [
          "persons",
          "erase",
          "--cpf",
          ZULEICA.cpf,
          "--reason",
          "pedido do titular",
        ]);
        assert.equal(refused.code, 2, refused.stderr);
        assert.equal((await scanTables(ts)).length > 0, true);

        const erased = (await cliJson(ts.url, [
          "persons",
          "erase",
          "--cpf",
          ZULEICA.cpf,
          "--reason",
          "pedido do titular",
          "--yes",
          "--json",
        ])) as {
          persons: number[];
          messages: number;
          rejections: number;
          files: { where: string; path: string; outcome: string }[];
        };
        assert.deepEqual(erased.persons, [built.personId]);
        assert.equal(erased.messages, 1);
        assert.equal(erased.rejections, 1);
        const outcomes = erased.files.map(
          (f) => `${f.where}:${f.path.split("/").pop()}:${f.outcome}`,
        );
        assert.ok(
          outcomes.some((o) => /^stored:.*\.bin:rewritten$/.test(o)),
          outcomes.join("\n"),
        );
        assert.ok(outcomes.includes(`source:${FILE_NAME}:rewritten`), outcomes.join("\n"));
        assert.ok(
          outcomes.includes(`source:${FILE_NAME}.rejeitados.csv:rewritten`),
          outcomes.join("\n"),
        );

        // Nothing left: every text column of every table, every file under the data dir.
        assert.deepEqual(await scanTables(ts), []);
        assert.deepEqual(scanFiles(ts.dataDir), []);

        // The others are untouched, in the base and in the files.
        const stored = await db
          .selectFrom("mailings")
          .select("stored_path")
          .where("id", "=", built.mailingId)
          .executeTakeFirstOrThrow();
        assert.ok(stored.stored_path);
        const copy = Buffer.concat(await openStoredFile(stored.stored_path).toArray()).toString();
        assert.match(copy, /Ana Souza/);
        assert.match(copy, /Caio Lima/);
        assert.match(readFileSync(join(built.drop, "LIDOS", FILE_NAME), "utf8"), /Ana Souza/);
        const ana = await cliJson(ts.url, ["persons", "export", "--code", "C1"]);
        assert.equal((ana as { persons: { name: string }[] }).persons[0]?.name, "Ana Souza");

        // Totals kept.
        assert.deepEqual(
          await db
            .selectFrom("campaigns")
            .select(["audience"])
            .where("id", "=", built.campaignId)
            .executeTakeFirstOrThrow(),
          audienceBefore,
        );
        assert.deepEqual(
          await db
            .selectFrom("mailings")
            .select(["rows", "persons", "rejected"])
            .where("id", "=", built.mailingId)
            .executeTakeFirstOrThrow(),
          mailingBefore,
        );
        const states = await db
          .selectFrom("messages")
          .select(["state"])
          .where("campaign_id", "=", built.campaignId)
          .orderBy("id")
          .execute();
        assert.equal(states.filter((s) => s.state === "sent").length, 1);

        // The contacts come back restricted in a later file (keyed hash), in any wallet.
        const restricted = await loadRestrictionLookup(db, 1, built.walletId);
        assert.equal(restricted("phone", ZULEICA.phone), true);
        assert.equal(restricted("email", ZULEICA.email), true);
        assert.equal(restricted("phone", "11991110001"), false);

        // Idempotent: again, nothing more to do; both runs audited.
        const again = await runCli(ts.url, [
          "persons",
          "erase",
          "--phone",
          ZULEICA.phone,
          "--reason",
          "pedido repetido",
          "--yes",
        ]);
        assert.equal(again.code, 0, again.stderr);
        assert.match(again.stdout, /já tinham sido apagados/);
        const erasures = await db
          .selectFrom("audit_events")
          .select(["details_json"])
          .where("action", "=", "persons.erase")
          .orderBy("id")
          .execute();
        assert.equal(erasures.length, 2);
        assert.deepEqual(await scanTables(ts), []);
      } finally {
        if (savedDir === undefined) delete process.env.REMESSA_DATA_DIR;
        else process.env.REMESSA_DATA_DIR = savedDir;
        await ts.dispose();
      }
    });
  });
}
