/** `remessa demo`: settings for every channel, a valid sample mailing in the drop folder, idempotent. */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { DateTime } from "luxon";
import { cpfFromBase, demoMailingCsv } from "../../src/cli/demo.js";
import { parse } from "../../src/filename/index.js";
import { normalizeDocument } from "../../src/mailing/document.js";
import { normalizeEmail } from "../../src/mailing/email.js";
import { normalizePhone } from "../../src/mailing/phone.js";
import { DATABASES } from "../store/harness.js";
import { cliJson, runCli } from "./run-cli.js";

const work = mkdtempSync(join(tmpdir(), "remessa-demo-"));
after(() => rmSync(work, { recursive: true, force: true }));

test("CPFs of the sample have valid check digits", () => {
  assert.equal(cpfFromBase(111_444_777), "11144477735");
  for (let i = 0; i < 50; i++) {
    const cpf = cpfFromBase(123_456_000 + i);
    const r = normalizeDocument(cpf, true);
    assert.ok(r.ok && r.kind === "cpf", cpf);
  }
});

test("the sample mailing: a few dozen people, valid mobiles and e-mails, MENSAGEM with [NOME_CLIENTE]", () => {
  const lines = demoMailingCsv(3).trimEnd().split("\r\n");
  assert.match(
    lines[0] ?? "",
    /^TIPO_DE_REGISTRO;VALOR_DO_REGISTRO;NOME_CLIENTE;CPFCNPJ;CODCLIENTE;MENSAGEM$/,
  );
  const rows = lines.slice(1).map((l) => l.split(";"));
  const phones = rows.filter((r) => r[0] === "TELEFONE");
  const emails = rows.filter((r) => r[0] === "EMAIL");
  assert.equal(phones.length, 30);
  assert.equal(emails.length, 30);
  for (const r of phones) {
    const phone = normalizePhone(r[1] ?? "", true);
    assert.ok(phone.ok && phone.kind === "mobile", r[1]);
    assert.match(r[5] ?? "", /\[NOME_CLIENTE\]/);
  }
  for (const r of emails) assert.ok(normalizeEmail(r[1] ?? "", true).ok, r[1]);
  assert.equal(new Set(phones.map((r) => r[1])).size, 30);
});

for (const database of DATABASES) {
  describe(`remessa demo on ${database.name}`, { skip: database.skip }, () => {
    test("registers every channel once and drops a file per run with the next sequence", async () => {
      const t = await database.open();
      try {
        const dir = mkdtempSync(join(work, "data-"));
        const first = await runCli(t.url, ["demo", "--data-dir", dir]);
        assert.equal(first.code, 0, first.stderr);
        assert.match(first.stdout, /Cadastrado para a demonstração: carteira DEMO/);
        assert.match(first.stdout, /remessa campaigns list/);
        assert.match(first.stdout, /remessa outbox list/);
        assert.match(first.stdout, /LIDOS/);

        const senders = (await cliJson(t.url, ["senders", "list", "--json"])) as {
          kind: string;
          mode: string;
          provider: string;
        }[];
        assert.deepEqual(senders.map((s) => `${s.kind}:${s.mode}:${s.provider}`).sort(), [
          "sms:long:outbox",
          "sms:short:outbox",
          "whatsapp:compartilhado:outbox",
          "whatsapp:exclusivo:outbox",
          "whatsapp:prospect:outbox",
        ]);
        const templates = (await cliJson(t.url, ["templates", "list", "--json"])) as {
          wallet: string;
          default: boolean;
        }[];
        assert.deepEqual(
          templates.map((x) => [x.wallet, x.default]),
          [["DEMO", true]],
        );
        const accounts = (await cliJson(t.url, ["email-accounts", "list", "--json"])) as {
          active: boolean;
          platformDefault: boolean;
        }[];
        assert.deepEqual(
          accounts.map((a) => [a.active, a.platformDefault]),
          [[true, true]],
        );

        const zone = "America/Sao_Paulo";
        const now = DateTime.now().setZone(zone);
        const today = now.toFormat("yyyy-MM-dd");
        const ddmmyy = now.toFormat("ddMMyy");
        const folder = join(dir, "drop", "DEMO");
        assert.deepEqual(readdirSync(folder), [`mailing_${ddmmyy}_1_smslong_q50001.csv`]);
        const parsed = parse(`mailing_${ddmmyy}_1_smslong_q50001.csv`, {
          folder: "DEMO",
          today,
          now: now.toFormat("yyyy-MM-dd'T'HH:mm"),
        });
        assert.ok(parsed.ok, JSON.stringify(parsed.errors));
        assert.deepEqual(parsed.mailing?.split, { percent: 50, everyMinutes: 1 });
        assert.equal(parsed.mailing?.sms, "long");
        assert.match(
          readFileSync(join(folder, readdirSync(folder)[0] as string), "utf8"),
          /\[NOME_CLIENTE\]/,
        );

        // Again: nothing registered twice, the next sequence.
        const second = await runCli(t.url, ["demo", "--data-dir", dir]);
        assert.equal(second.code, 0, second.stderr);
        assert.match(second.stdout, /já existiam: reaproveitados/);
        assert.equal(
          ((await cliJson(t.url, ["senders", "list", "--json"])) as unknown[]).length,
          5,
        );
        assert.equal(
          ((await cliJson(t.url, ["wallets", "list", "--json"])) as unknown[]).length,
          1,
        );
        assert.deepEqual(readdirSync(folder).sort(), [
          `mailing_${ddmmyy}_1_smslong_q50001.csv`,
          `mailing_${ddmmyy}_2_smslong_q50001.csv`,
        ]);

        // Sequences taken by mailings already imported today are skipped too.
        await t.store.db
          .insertInto("mailings")
          .values({
            tenant_id: 1,
            folder: "DEMO",
            file_name: `mailing_${ddmmyy}_7.csv`,
            path: `DEMO/LIDOS/mailing_${ddmmyy}_7.csv`,
            first_seen_at: new Date().toISOString(),
            seen_date: today,
            date: today,
            sequence: 7,
            state: "reported",
            outcome: "accepted",
            created_at: new Date().toISOString(),
            updated_at: new Date().toISOString(),
          })
          .execute();
        assert.equal((await runCli(t.url, ["demo", "--data-dir", dir])).code, 0);
        assert.ok(readdirSync(folder).includes(`mailing_${ddmmyy}_8_smslong_q50001.csv`));
        assert.ok(!readdirSync(folder).some((n) => n.startsWith(".")), "no temporary file left");
      } finally {
        await t.dispose();
      }
    });
  });
}
