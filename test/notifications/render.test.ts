/**
 * What each event says: the body built from a file's final row (accepted,
 * discarded with every reason, failed with its reason) and the pt-BR e-mail
 * of every event.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { renderEmail } from "../../src/notifications/email.js";
import { EVENTS, type EventBody, fileEvent } from "../../src/notifications/events.js";
import { signWebhook } from "../../src/notifications/webhook.js";
import type { MailingRow } from "../../src/store/schema.js";

const NOW = "2026-12-07T13:30:00.000Z";

function row(values: Partial<MailingRow>): MailingRow {
  return {
    id: 7,
    tenant_id: 1,
    source_id: 2,
    folder: null,
    file_name: "mailing_071226_1_cBRAD.csv",
    path: "mailing_071226_1_cBRAD.csv",
    moved_to: "LIDOS/mailing_071226_1_cBRAD.csv",
    reports_json: '["LIDOS/mailing_071226_1_cBRAD.csv.resultado.txt"]',
    state: "reported",
    outcome: "accepted",
    rows: 10,
    persons: 8,
    inserted: 5,
    updated: 3,
    rejected: 2,
    rejected_json: '{"TELEFONE_INVALIDO":2}',
    errors_json: null,
    last_error: null,
    ...values,
  } as MailingRow;
}

test("a file's event follows its final row", () => {
  const accepted = fileEvent(row({}), NOW);
  assert.equal(accepted.event, "file.accepted");
  assert.equal(accepted.dedupKey, "mailing:7");
  assert.deepEqual(accepted.data.rejected, { TELEFONE_INVALIDO: 2 });
  assert.equal(accepted.data.persons, 8);

  const discarded = fileEvent(
    row({
      outcome: "discarded",
      moved_to: "DESCARTADOS/x.csv",
      errors_json: JSON.stringify([
        { code: "DATA_INVALIDA", message: "A data não existe.", param: "data", scope: "name" },
        { code: "SEM_LINHAS_VALIDAS", message: "Nenhuma linha válida.", scope: "content" },
      ]),
    }),
    NOW,
  );
  assert.equal(discarded.event, "file.discarded");
  assert.deepEqual(discarded.data.reasons, [
    { code: "DATA_INVALIDA", message: "A data não existe." },
    { code: "SEM_LINHAS_VALIDAS", message: "Nenhuma linha válida." },
  ]);

  const failed = fileEvent(row({ state: "failed", last_error: "nome muito longo" }), NOW);
  assert.equal(failed.event, "file.failed");
  assert.equal(failed.data.reason, "nome muito longo");
});

test("every event has a pt-BR e-mail that names it", () => {
  const subjects = EVENTS.map((event) => {
    const body: EventBody = { id: "evt_1", event, tenantId: 1, occurredAt: NOW, data: {} };
    const mail = renderEmail(body);
    assert.match(mail.text, new RegExp(`Evento: ${event.replace(".", "\\.")} \\(evt_1\\)`));
    return mail.subject;
  });
  assert.equal(new Set(subjects).size, EVENTS.length, "each event its own subject");
  for (const s of subjects) assert.match(s, /^\[remessa\] /);
  const discarded = renderEmail({
    id: "evt_2",
    event: "file.discarded",
    tenantId: 1,
    occurredAt: NOW,
    data: {
      fileName: "a.csv",
      movedTo: "DESCARTADOS/a.csv",
      reasons: [{ code: "X", message: "Motivo x." }],
    },
  });
  assert.equal(discarded.subject, "[remessa] Arquivo descartado: a.csv");
  assert.match(discarded.text, /- X: Motivo x\./);
});

test("the signature covers the timestamp and the body", () => {
  const a = signWebhook("s", 100, "{}");
  assert.match(a, /^v1=[0-9a-f]{64}$/);
  assert.notEqual(signWebhook("s", 101, "{}"), a);
  assert.notEqual(signWebhook("s", 100, "{ }"), a);
  assert.notEqual(signWebhook("t", 100, "{}"), a);
});
