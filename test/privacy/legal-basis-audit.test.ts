/**
 * Legal basis per wallet (BASE_LEGAL_AUSENTE once required, the basis kept
 * on each mailing, a person's bases) and the append-only audit trail, on both
 * databases; migration 0015 down and up.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { sql } from "kysely";
import { parse } from "../../src/filename/index.js";
import { checkTenantData, databaseDirectory } from "../../src/ingest/tenant-checks.js";
import { LEGAL_BASES, LEGAL_BASIS_CODES } from "../../src/privacy/legal-basis.js";
import { appendAudit, listAudit } from "../../src/store/audit.js";
import { migrateTo, migrateToLatest } from "../../src/store/migrations.js";
import { getPrivacySettings, legalBasesOfPerson } from "../../src/store/privacy.js";
import { addRestriction, listRestrictions } from "../../src/store/restrictions.js";
import { createWallet } from "../../src/store/wallets.js";
import { runCli } from "../cli/run-cli.js";
import { DATABASES } from "../store/harness.js";

const work = mkdtempSync(join(tmpdir(), "remessa-lgpd-"));
after(() => rmSync(work, { recursive: true, force: true }));

function mailingFile(name: string, keys: string[]): string {
  const path = join(work, name);
  const header = "TIPO_DE_REGISTRO;VALOR_DO_REGISTRO;NOME_CLIENTE;CPFCNPJ;CODCLIENTE;MENSAGEM";
  const rows = keys.map((k, i) => `CELULAR;1198765${String(i).padStart(4, "0")};Nome ${k};;${k};`);
  writeFileSync(path, `${[header, ...rows].join("\n")}\n`);
  return path;
}

test("the list has art. 7's ten hypotheses and art. 11's eight, each labelled in pt-BR", () => {
  const codes = LEGAL_BASIS_CODES;
  assert.equal(codes.filter((c) => !LEGAL_BASES[c].sensitive).length, 10);
  assert.equal(codes.filter((c) => LEGAL_BASES[c].sensitive).length, 8);
  assert.equal(LEGAL_BASES["protecao-credito"].article, "art. 7º, X");
  for (const c of codes) assert.match(LEGAL_BASES[c].label, /^[A-ZÁÉÍÓÚÇ]/);
});

for (const database of DATABASES) {
  describe(`legal basis and audit on ${database.name}`, { skip: database.skip }, () => {
    test("off by default; switched on, a wallet without a basis has its file discarded (BASE_LEGAL_AUSENTE) before anything is imported; with one, each mailing keeps the basis in force", async () => {
      const t = await database.open();
      try {
        const db = t.store.db;
        const cli = (...args: string[]) => runCli(t.url, args);
        assert.equal((await cli("wallets", "add", "BRAD")).code, 0);
        assert.equal((await getPrivacySettings(db, 1))?.requireLegalBasis, false);
        const first = await cli(
          "import",
          "--json",
          "--today",
          "2026-11-26",
          mailingFile("mailing_261126_1_cBRAD.csv", ["P1"]),
        );
        assert.equal(first.code, 0, first.stderr + first.stdout);

        const on = await cli("audit", "settings", "--require-legal-basis", "sim", "--json");
        assert.equal(on.code, 0, on.stderr);
        assert.deepEqual(JSON.parse(on.stdout), {
          requireLegalBasis: true,
          auditRetentionDays: 1825,
        });
        const refused = await cli(
          "import",
          "--json",
          "--today",
          "2026-11-26",
          mailingFile("mailing_261126_2_cBRAD.csv", ["P2"]),
        );
        assert.equal(refused.code, 1);
        assert.match(refused.stdout + refused.stderr, /BASE_LEGAL_AUSENTE/);
        assert.match(refused.stdout + refused.stderr, /wallets legal-basis BRAD --basis/);
        const p2 = await db.selectFrom("persons").select("id").where("key", "=", "P2").execute();
        assert.equal(p2.length, 0, "nothing imported");
        // The pipeline's name checks say it too, with the other name errors.
        const name = parse("mailing_261126_3_cBRAD.csv", {
          folder: null,
          today: "2026-11-26",
          now: "2026-11-26T10:00",
        });
        assert.ok(name.mailing);
        const errors = await checkTenantData(name.mailing, null, null, databaseDirectory(db, 1));
        assert.deepEqual(
          errors.map((e) => e.code),
          ["BASE_LEGAL_AUSENTE"],
        );

        const bad = await cli("wallets", "legal-basis", "BRAD", "--basis", "vontade");
        assert.equal(bad.code, 1);
        assert.match(bad.stderr, /Base legal "vontade" desconhecida/);
        const set = await cli(
          "wallets",
          "legal-basis",
          "BRAD",
          "--basis",
          "protecao-credito",
          "--note",
          "contrato de cessão 42",
        );
        assert.equal(set.code, 0, set.stderr);
        assert.match(set.stdout, /Proteção do crédito \(art\. 7º, X\)/);
        const ok = await cli(
          "import",
          "--json",
          "--today",
          "2026-11-26",
          mailingFile("mailing_261126_4_cBRAD.csv", ["P1", "P3"]),
        );
        assert.equal(ok.code, 0, ok.stderr + ok.stdout);
        assert.equal(
          (await checkTenantData(name.mailing, null, null, databaseDirectory(db, 1))).length,
          0,
        );
        // A later change of the wallet's basis leaves the imported mailing's as it was.
        assert.equal((await cli("wallets", "legal-basis", "BRAD", "--basis", "contrato")).code, 0);
        const mailings = await db
          .selectFrom("mailings")
          .select(["file_name", "legal_basis", "legal_basis_note"])
          .where("outcome", "=", "accepted")
          .orderBy("id")
          .execute();
        assert.deepEqual(
          mailings.map((m) => [m.file_name, m.legal_basis, m.legal_basis_note]),
          [
            ["mailing_261126_1_cBRAD.csv", null, null],
            ["mailing_261126_4_cBRAD.csv", "protecao-credito", "contrato de cessão 42"],
          ],
        );
        const p1 = await db
          .selectFrom("persons")
          .select("id")
          .where("key", "=", "P1")
          .executeTakeFirstOrThrow();
        const bases = await legalBasesOfPerson(db, 1, p1.id);
        assert.deepEqual(
          bases
            .map((b) => [b.wallet, b.basis, b.mailings, b.current])
            .sort((x, y) => String(x[1]).localeCompare(String(y[1]))),
          [
            ["BRAD", null, 1, false],
            ["BRAD", "protecao-credito", 1, false],
          ],
        );
        const credit = bases.find((b) => b.basis === "protecao-credito");
        assert.equal(credit?.label, "Proteção do crédito (art. 7º, X)");
        assert.equal(credit?.mailings, 1);
        assert.equal(credit?.current, false, "the wallet's basis is now contrato");
        assert.match(credit?.since ?? "", /^\d{4}-\d{2}-\d{2}T/);
      } finally {
        await t.dispose();
      }
    });

    test("CLI changes are audited (who, what, which object, when), reads are not; audit list --since; events can be neither updated nor deleted within retention", async () => {
      const t = await database.open();
      try {
        const db = t.store.db;
        const cli = (...args: string[]) => runCli(t.url, args);
        assert.equal((await cli("wallets", "add", "BRAD", "--actor", "joana")).code, 0);
        assert.equal((await cli("wallets", "list")).code, 0);
        assert.equal(
          (
            await cli(
              "wallets",
              "window",
              "BRAD",
              "--days",
              "1-5",
              "--from",
              "08:00",
              "--to",
              "18:00",
              "--actor=joana",
            )
          ).code,
          0,
        );
        assert.equal(
          (
            await cli(
              "restrictions",
              "add",
              "fulano@exemplo.com.br",
              "--wallet",
              "BRAD",
              "--actor",
              "dpo",
            )
          ).code,
          0,
        );
        assert.equal((await cli("restrictions", "list")).code, 0);
        assert.equal(
          (await cli("audit", "settings", "--retention-days", "2000", "--actor", "dpo")).code,
          0,
        );
        const events = JSON.parse((await cli("audit", "list", "--json")).stdout) as {
          actor: string;
          action: string;
          subject: string | null;
          at: string;
          details: Record<string, unknown> | null;
        }[];
        assert.deepEqual(
          events.map((e) => [e.actor, e.action, e.subject]),
          [
            ["cli:joana", "cli:wallets add", "BRAD"],
            ["cli:joana", "cli:wallets window", "BRAD"],
            ["cli:dpo", "restrictions.add", "f***@exemplo.com.br"],
            ["cli:dpo", "privacy.settings", "tenant:1"],
          ],
        );
        assert.deepEqual(events[1]?.details, { options: ["days", "from", "to"] });
        assert.doesNotMatch(JSON.stringify(events), /fulano/, "no person's data in the trail");
        for (const e of events) assert.ok(Date.now() - Date.parse(e.at) < 60_000);
        // Without --actor: the OS user.
        assert.equal((await cli("wallets", "add", "ITAU")).code, 0);
        const last = (await listAudit(db, 1)).at(-1);
        assert.match(last?.actor ?? "", /^cli:\S+$/);
        assert.notEqual(last?.actor, "cli:joana");

        const since = JSON.parse(
          (await cli("audit", "list", "--since", last?.at ?? "", "--json")).stdout,
        ) as unknown[];
        assert.equal(since.length, 1);
        assert.equal((await cli("audit", "list", "--since", "ontem")).code, 2);
        assert.equal((await getPrivacySettings(db, 1))?.auditRetentionDays, 2000);

        // Append-only, enforced by the database itself.
        await assert.rejects(
          sql`UPDATE audit_events SET actor = 'outro'`.execute(db),
          /append-only/,
        );
        await assert.rejects(sql`DELETE FROM audit_events`.execute(db), /append-only/);
        assert.equal((await listAudit(db, 1)).length, events.length + 1);
        // Past the tenant's retention, the retention job may purge.
        await appendAudit(db, {
          tenantId: 1,
          actor: "cli:antigo",
          action: "cli:wallets add",
          at: "2019-01-01T00:00:00.000Z",
        });
        await sql`DELETE FROM audit_events WHERE at < '2020-01-01'`.execute(db);
        assert.equal((await listAudit(db, 1)).length, events.length + 1);
      } finally {
        await t.dispose();
      }
    });

    test("0015 down keeps what the old model holds, up again keeps the entries", async () => {
      const t = await database.open();
      try {
        const { db, dialect, pgSchema } = t.store;
        const w = (await createWallet(db, 1, { code: "BRAD" })).id;
        await addRestriction(db, 1, w, "phone", "11911110001", "SAIR");
        await addRestriction(db, 1, w, "phone", "11911110001", null, { channel: "sms" });
        await addRestriction(db, 1, null, "phone", "11911110002");
        await addRestriction(db, 1, w, "document", "52998224725");
        // Down to the one before 0015, through whatever came after it.
        const down = await migrateTo(db, dialect, "0010_messages_lean", pgSchema ?? undefined);
        assert.equal(down.error, null);
        assert.ok(down.applied.includes("0015_privacy_lists"), down.applied.join(", "));
        const old = await sql<{ value: string; reason: string | null }>`
          SELECT value, reason FROM restrictions ORDER BY id`.execute(db);
        assert.deepEqual(old.rows, [{ value: "11911110001", reason: "SAIR" }]);
        const up = await migrateToLatest(db, dialect, pgSchema ?? undefined);
        assert.equal(up.error, null);
        const rows = await listRestrictions(db, 1);
        assert.deepEqual(
          rows.map((r) => [r.wallet, r.channel, r.value, r.origin]),
          [["BRAD", null, "11911110001", "operator"]],
        );
      } finally {
        await t.dispose();
      }
    });
  });
}
