/** `remessa campaigns|outbox|interactions`: JSON shapes, pt-BR output and refusals, on both databases. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { addPerson, seedCampaign } from "../campaigns/fixtures.js";
import { DATABASES } from "../store/harness.js";
import { cliJson, runCli } from "./run-cli.js";

const BIN = fileURLToPath(new URL("../../bin/remessa", import.meta.url));
const ZERO = {
  pending: 0,
  sending: 0,
  sent: 0,
  delivered: 0,
  read: 0,
  failed: 0,
  skipped: 0,
  expired: 0,
};

for (const database of DATABASES) {
  describe(`campaign commands on ${database.name}`, { skip: database.skip }, () => {
    test("campaigns list and show: the issue's JSON shapes, human output in pt-BR", async () => {
      const t = await database.open();
      try {
        const { db } = t.store;
        const a = await seedCampaign(db, {
          state: "running",
          forecastEnd: "2026-12-07T13:05:00.000Z",
          waves: [
            { states: ["sent", "sent", "failed"], started: true },
            { states: ["pending", "pending"] },
          ],
        });
        const b = await seedCampaign(db, {
          channel: "email",
          mode: null,
          waves: [{ states: ["pending"] }],
        });
        const list = await cliJson(t.url, ["campaigns", "list", "--json"]);
        assert.deepEqual(list, [
          {
            id: a.campaignId,
            mailingId: null,
            channel: "sms",
            status: "running",
            audience: 5,
            counts: { ...ZERO, sent: 2, failed: 1, pending: 2 },
          },
          {
            id: b.campaignId,
            mailingId: null,
            channel: "email",
            status: "scheduled",
            audience: 1,
            counts: { ...ZERO, pending: 1 },
          },
        ]);
        const show = await cliJson(t.url, ["campaigns", "show", String(a.campaignId), "--json"]);
        assert.deepEqual(show, {
          id: a.campaignId,
          mailingId: null,
          channel: "sms",
          status: "running",
          audience: 5,
          counts: { ...ZERO, sent: 2, failed: 1, pending: 2 },
          waves: [
            {
              index: 0,
              plannedAt: "2026-12-07T13:00:00.000Z",
              startedAt: "2026-12-07T13:00:00.000Z",
              size: 3,
              counts: { ...ZERO, sent: 2, failed: 1 },
            },
            {
              index: 1,
              plannedAt: "2026-12-07T13:01:00.000Z",
              startedAt: null,
              size: 2,
              counts: { ...ZERO, pending: 2 },
            },
          ],
          forecastEnd: "2026-12-07T13:05:00.000Z",
        });

        const human = await runCli(t.url, ["campaigns", "list"]);
        assert.equal(human.code, 0);
        // Dates in the tenant's zone (America/Sao_Paulo, UTC−3), pt-BR format.
        assert.match(
          human.stdout,
          /SMS long code\s+em envio\s+início 07\/12\/2026 10:00:00 {2}5 pessoas: 2 pendentes, 2 enviadas, 1 com falha/,
        );
        assert.match(human.stdout, /E-mail\s+agendada/);
        const detail = await runCli(t.url, ["campaigns", "show", String(a.campaignId)]);
        assert.match(detail.stdout, /Campanha \d+ — SMS long code, em envio/);
        assert.match(detail.stdout, /Previsão de término: 07\/12\/2026 10:05:00/);
        assert.match(
          detail.stdout,
          / {2}1 {2}prevista 07\/12\/2026 10:00:00 {2}iniciada 07\/12\/2026 10:00:00 {2}3 mensagens: 2 enviadas, 1 com falha/,
        );
        assert.match(
          detail.stdout,
          / {2}2 {2}prevista 07\/12\/2026 10:01:00 {2}não iniciada {2}2 mensagens: 2 pendentes/,
        );

        // --mailing: only the campaigns of one mailing.
        const now = new Date().toISOString();
        const mailing = await db
          .insertInto("mailings")
          .values({
            tenant_id: 1,
            file_name: "mailing_071226_1_smslong.csv",
            path: "BRAD/mailing_071226_1_smslong.csv",
            first_seen_at: now,
            seen_date: "2026-12-07",
            state: "reported",
            outcome: "accepted",
            created_at: now,
            updated_at: now,
          })
          .returning("id")
          .executeTakeFirstOrThrow();
        const c = await seedCampaign(db, {
          mailingId: mailing.id,
          waves: [{ states: ["pending"] }],
        });
        const ofMailing = (await cliJson(t.url, [
          "campaigns",
          "list",
          "--mailing",
          String(mailing.id),
          "--json",
        ])) as {
          id: number;
          mailingId: number;
        }[];
        assert.deepEqual(
          ofMailing.map((x) => [x.id, x.mailingId]),
          [[c.campaignId, mailing.id]],
        );
        assert.match(
          (await runCli(t.url, ["campaigns", "list"])).stdout,
          /\(mailing_071226_1_smslong\.csv\)/,
        );
        const missing = await runCli(t.url, ["campaigns", "show", "999"]);
        assert.equal(missing.code, 1);
        assert.match(missing.stderr, /A campanha 999 não existe/);
        const badId = await runCli(t.url, ["campaigns", "show", "x"]);
        assert.equal(badId.code, 2);
        assert.match(badId.stderr, /Informe o número da campanha/);
        const badAction = await runCli(t.url, ["campaigns", "stop", "1"]);
        assert.equal(badAction.code, 2);
        assert.match(badAction.stderr, /Ação desconhecida: "stop"/);
      } finally {
        await t.dispose();
      }
    });

    test("campaigns pause, resume, cancel through the CLI", async () => {
      const t = await database.open();
      try {
        const { db } = t.store;
        const { campaignId } = await seedCampaign(db, {
          state: "running",
          waves: [
            { states: ["sent", "sending"], started: true },
            { states: ["pending", "pending"] },
          ],
        });
        const id = String(campaignId);
        const paused = await runCli(t.url, ["campaigns", "pause", id]);
        assert.equal(paused.code, 0, paused.stderr);
        assert.match(paused.stdout, /Campanha \d+ pausada \(estava em envio\)/);
        const twice = await runCli(t.url, ["campaigns", "pause", id]);
        assert.equal(twice.code, 1);
        assert.match(twice.stderr, /já está pausada/);
        const resumed = await runCli(t.url, ["campaigns", "resume", id]);
        assert.match(resumed.stdout, /o envio continua de onde parou/);
        const cancelled = await runCli(t.url, ["campaigns", "cancel", id]);
        assert.equal(cancelled.code, 0, cancelled.stderr);
        assert.match(
          cancelled.stdout,
          /2 mensagens pendentes não serão enviadas \(CAMPANHA_CANCELADA\)\. 1 mensagem que já estava saindo termina normalmente\./,
        );
        const after = (await cliJson(t.url, ["campaigns", "show", id, "--json"])) as {
          status: string;
          counts: Record<string, number>;
        };
        assert.equal(after.status, "cancelled");
        assert.deepEqual(after.counts, { ...ZERO, sent: 1, sending: 1, skipped: 2 });
        const shown = await runCli(t.url, ["campaigns", "show", id]);
        assert.match(shown.stdout, /Puladas por motivo: CAMPANHA_CANCELADA 2/);
        const again = await runCli(t.url, ["campaigns", "cancel", id]);
        assert.equal(again.code, 1);
        assert.match(again.stderr, /já terminou \(cancelada\)/);
        // Another tenant does not see it.
        assert.equal((await runCli(t.url, ["tenants", "add", "Loja"])).code, 0);
        assert.deepEqual(
          await cliJson(t.url, ["campaigns", "list", "--json", "--tenant", "2"]),
          [],
        );
        assert.equal((await runCli(t.url, ["campaigns", "pause", id, "--tenant", "2"])).code, 1);
      } finally {
        await t.dispose();
      }
    });

    test("outbox list: text or template, campaign filter, limit", async () => {
      const t = await database.open();
      try {
        const { db } = t.store;
        const a = await seedCampaign(db, {
          state: "running",
          waves: [{ states: ["sent", "sent"], started: true }],
        });
        const b = await seedCampaign(db, {
          channel: "whatsapp",
          mode: "exclusivo",
          waves: [{ states: ["sent"] }],
        });
        const rows = [
          {
            message: a.messageIds[0],
            channel: "sms",
            address: "5511900000001",
            payload: { text: "Olá Ana", campaignId: a.campaignId },
            at: "2026-12-07T13:00:01.000Z",
          },
          {
            message: a.messageIds[1],
            channel: "sms",
            address: "5511900000002",
            payload: { text: "Olá Bia", campaignId: a.campaignId },
            at: "2026-12-07T13:00:02.000Z",
          },
          {
            message: b.messageIds[0],
            channel: "whatsapp",
            address: "5511900000003",
            payload: {
              text: null,
              template: { name: "cobranca", language: "pt_BR", params: ["Caio", "R$ 10"] },
            },
            at: "2026-12-07T13:00:03.000Z",
          },
        ];
        for (const r of rows) {
          await db
            .insertInto("outbox")
            .values({
              tenant_id: 1,
              message_id: r.message ?? null,
              channel: r.channel,
              address: r.address,
              payload_json: JSON.stringify(r.payload),
              created_at: r.at,
            })
            .execute();
        }
        const all = (await cliJson(t.url, ["outbox", "list", "--json"])) as Record<
          string,
          unknown
        >[];
        assert.equal(all.length, 3);
        assert.deepEqual(all[2], {
          id: all[2]?.id,
          channel: "whatsapp",
          to: "5511900000003",
          text: null,
          subject: null,
          template: { name: "cobranca", language: "pt_BR", params: ["Caio", "R$ 10"] },
          campaignId: b.campaignId,
          messageId: b.messageIds[0],
          at: "2026-12-07T13:00:03.000Z",
        });
        const ofA = (await cliJson(t.url, [
          "outbox",
          "list",
          "--campaign",
          String(a.campaignId),
          "--json",
        ])) as { text: string }[];
        assert.deepEqual(
          ofA.map((e) => e.text),
          ["Olá Ana", "Olá Bia"],
        );
        const last = (await cliJson(t.url, ["outbox", "list", "--limit", "1", "--json"])) as {
          to: string;
        }[];
        assert.deepEqual(
          last.map((e) => e.to),
          ["5511900000003"],
        );
        const human = await runCli(t.url, ["outbox", "list"]);
        assert.match(
          human.stdout,
          /07\/12\/2026 10:00:01 {2}SMS {6}5511900000001 {3}campanha \d+ {2}Olá Ana/,
        );
        assert.match(
          human.stdout,
          /WhatsApp 5511900000003 {3}campanha \d+ {2}template "cobranca" \(\{\{1\}\}=Caio, \{\{2\}\}=R\$ 10\)/,
        );
        const bad = await runCli(t.url, ["outbox", "list", "--limit", "0"]);
        assert.equal(bad.code, 2);
        assert.match(bad.stderr, /--limit deve ser um número inteiro maior que zero/);
        // Another tenant's outbox is apart.
        assert.equal((await runCli(t.url, ["tenants", "add", "Loja"])).code, 0);
        await db
          .insertInto("outbox")
          .values({
            tenant_id: 2,
            message_id: null,
            channel: "sms",
            address: "5511900000009",
            payload_json: JSON.stringify({ text: "de outra empresa" }),
            created_at: "2026-12-07T13:00:04.000Z",
          })
          .execute();
        assert.equal(((await cliJson(t.url, ["outbox", "list", "--json"])) as unknown[]).length, 3);
        assert.deepEqual(
          (
            (await cliJson(t.url, ["outbox", "list", "--json", "--tenant", "2"])) as {
              text: string;
            }[]
          ).map((e) => e.text),
          ["de outra empresa"],
        );
        const empty = await runCli(t.url, ["outbox", "list", "--campaign", "999"]);
        assert.match(empty.stdout, /Nenhuma mensagem da campanha 999/);
      } finally {
        await t.dispose();
      }
    });

    test("interactions add: phone or e-mail, --at in the tenant's zone, pt-BR refusals", async () => {
      const t = await database.open();
      try {
        const { db } = t.store;
        const person = await addPerson(db, 1, "X", [{ kind: "mobile", value: "11987654321" }]);
        const added = await cliJson(t.url, [
          "interactions",
          "add",
          "--phone",
          "+55 (11) 98765-4321",
          "--at",
          "2026-12-07T10:30",
          "--json",
        ]);
        assert.deepEqual(added, {
          id: (added as { id: number }).id,
          channel: "whatsapp",
          address: "11987654321",
          personId: person,
          receivedAt: "2026-12-07T13:30:00.000Z",
        });
        const sms = await runCli(t.url, [
          "interactions",
          "add",
          "--phone",
          "11987654321",
          "--channel",
          "sms",
          "--at",
          "2026-12-07T13:30:00Z",
        ]);
        assert.equal(sms.code, 0, sms.stderr);
        assert.match(
          sms.stdout,
          /Contato registrado: 11987654321 \(sms\) em 07\/12\/2026 10:30:00, pessoa \d+\./,
        );
        const email = await runCli(t.url, [
          "interactions",
          "add",
          "--email",
          "ninguem@exemplo.com.br",
        ]);
        assert.equal(email.code, 0, email.stderr);
        assert.match(email.stdout, /sem pessoa cadastrada com esse contato/);
        const both = await runCli(t.url, [
          "interactions",
          "add",
          "--phone",
          "1",
          "--email",
          "a@b.com",
        ]);
        assert.equal(both.code, 2);
        assert.match(both.stderr, /Informe --phone TELEFONE ou --email E-MAIL/);
        const wrongChannel = await runCli(t.url, [
          "interactions",
          "add",
          "--email",
          "a@b.com",
          "--channel",
          "sms",
        ]);
        assert.equal(wrongChannel.code, 2);
        const badPhone = await runCli(t.url, ["interactions", "add", "--phone", "12"]);
        assert.equal(badPhone.code, 1);
        assert.match(badPhone.stderr, /Telefone "12" inválido/);
        const badAt = await runCli(t.url, [
          "interactions",
          "add",
          "--phone",
          "11987654321",
          "--at",
          "amanhã",
        ]);
        assert.equal(badAt.code, 1);
        assert.match(badAt.stderr, /--at "amanhã" não é uma data válida/);
        const n = await db
          .selectFrom("inbound_interactions")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .executeTakeFirst();
        assert.equal(Number(n?.n), 3);
      } finally {
        await t.dispose();
      }
    });
  });
}

describe("usage of the campaign commands", () => {
  const commands = [
    "senders list",
    "templates list",
    "email-accounts list",
    "campaigns list",
    "outbox list",
    "interactions add",
    "demo",
  ];
  for (const command of commands) {
    test(`remessa ${command}: --foo is refused in pt-BR, --help shows the usage`, async () => {
      const unknown = await runCli("sqlite::memory:", [...command.split(" "), "--foo"]);
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /^Opção desconhecida: --foo\./);
      assert.match(unknown.stderr, /Uso:/);
      const help = await runCli("sqlite::memory:", [...command.split(" ").slice(0, 1), "--help"]);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /^Uso:/);
      assert.match(help.stdout, /--data-dir/);
    });
  }

  test("the binary runs them (bin/remessa campaigns list --json on a fresh data dir)", () => {
    const dir = mkdtempSync(join(tmpdir(), "remessa-campaigns-bin-"));
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, REMESSA_DATA_DIR: dir };
      delete env.DATABASE_URL;
      const r = spawnSync(BIN, ["campaigns", "list", "--json"], { encoding: "utf8", env });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, "[]\n");
      const main = spawnSync(BIN, ["--help"], { encoding: "utf8", env });
      for (const name of [
        "senders",
        "templates",
        "email-accounts",
        "campaigns",
        "outbox",
        "interactions",
        "demo",
      ]) {
        assert.match(main.stdout, new RegExp(`^ {2}${name} +\\S`, "m"));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
