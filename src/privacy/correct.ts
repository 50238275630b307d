/**
 * Correction of a person's data (LGPD art. 18, III): name, document, custom
 * fields and contacts. Who asked it and why go to the audit trail; the old
 * and new values do not (the trail outlives an erasure).
 */
import type { Kysely } from "kysely";
import { normalizeInboundAddress } from "../campaigns/interactions.js";
import { normalizeDocument } from "../mailing/document.js";
import { normalizePhone } from "../mailing/phone.js";
import type { Database } from "../store/schema.js";
import { ValidationError } from "../store/tenants.js";
import { type AuditActor, appendAudit } from "./audit.js";

export interface Correction {
  name?: string;
  document?: string;
  /** Custom fields (CORINGA1, extra columns); an empty value removes the field. */
  fields?: Record<string, string>;
  /** Contacts replaced: old value → new value (phone or e-mail, any usual format). */
  contacts?: { from: string; to: string }[];
  actor: AuditActor;
  reason: string;
}

export interface CorrectionResult {
  personId: number;
  changed: string[];
}

function contactOf(raw: string): { kind: string; value: string } {
  if (raw.includes("@")) return { kind: "email", value: normalizeInboundAddress("email", raw) };
  const value = normalizeInboundAddress("sms", raw);
  const phone = normalizePhone(value, false);
  return { kind: phone.ok ? phone.kind : "unknown", value };
}

export async function correctPerson(
  db: Kysely<Database>,
  tenantId: number,
  personId: number,
  correction: Correction,
  now: Date = new Date(),
): Promise<CorrectionResult> {
  if (correction.reason.trim() === "") {
    throw new ValidationError("Informe o motivo da correção (--reason): ele vai para a auditoria.");
  }
  const at = now.toISOString();
  return db.transaction().execute(async (trx) => {
    const person = await trx
      .selectFrom("persons")
      .select(["id", "fields_json", "erased_at"])
      .where("tenant_id", "=", tenantId)
      .where("id", "=", personId)
      .executeTakeFirst();
    if (!person) throw new ValidationError(`A pessoa ${personId} não existe nesta empresa.`);
    if (person.erased_at) {
      throw new ValidationError(
        `Os dados da pessoa ${personId} foram apagados em ${person.erased_at}: não há o que corrigir.`,
      );
    }
    const changed: string[] = [];
    const update: { name?: string | null; document?: string | null; fields_json?: string } = {};
    if (correction.name !== undefined) {
      update.name = correction.name.trim() === "" ? null : correction.name.trim();
      changed.push("name");
    }
    if (correction.document !== undefined) {
      if (correction.document.trim() === "") update.document = null;
      else {
        const doc = normalizeDocument(correction.document, true);
        if (!doc.ok) throw new ValidationError(`CPF/CNPJ inválido: ${doc.message}`);
        update.document = doc.value;
      }
      changed.push("document");
    }
    if (correction.fields && Object.keys(correction.fields).length > 0) {
      const fields = JSON.parse(person.fields_json) as Record<string, unknown>;
      for (const [key, value] of Object.entries(correction.fields)) {
        if (value === "") delete fields[key];
        else fields[key] = value;
        changed.push(`fields.${key}`);
      }
      update.fields_json = JSON.stringify(fields);
    }
    if (Object.keys(update).length > 0) {
      await trx
        .updateTable("persons")
        .set({ ...update, updated_at: at })
        .where("id", "=", personId)
        .execute();
    }
    for (const { from, to } of correction.contacts ?? []) {
      const old = contactOf(from);
      const next = contactOf(to);
      const held = await trx
        .selectFrom("person_channels")
        .select("value")
        .where("person_id", "=", personId)
        .where("value", "in", [old.value, old.value.toLowerCase()])
        .executeTakeFirst();
      if (!held) {
        throw new ValidationError(`A pessoa ${personId} não tem o contato "${from}".`);
      }
      await trx
        .deleteFrom("person_channels")
        .where("person_id", "=", personId)
        .where("value", "=", held.value)
        .execute();
      await trx
        .insertInto("person_channels")
        .values({
          tenant_id: tenantId,
          person_id: personId,
          kind: next.kind,
          value: next.value,
          created_at: at,
        })
        .onConflict((oc) => oc.columns(["person_id", "value"]).doNothing())
        .execute();
      changed.push(`contact:${old.kind === "email" ? "email" : "phone"}`);
    }
    if (changed.length === 0) {
      throw new ValidationError(
        "Nada a corrigir: informe --name, --document, --field CAMPO=VALOR ou --contact ANTIGO=NOVO.",
      );
    }
    await appendAudit(trx, {
      tenantId,
      actor: correction.actor,
      action: "persons.correct",
      subject: `person:${personId}`,
      details: { changed, reason: correction.reason.trim() },
      at,
    });
    return { personId, changed };
  });
}
