/** The name checks that need tenant data, over an in-memory directory. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parse } from "../../src/filename/index.js";
import type { Mailing } from "../../src/filename/types.js";
import { checkTenantData, type TenantDirectory } from "../../src/ingest/tenant-checks.js";

interface Registry {
  wallets: Record<string, number>;
  accepted: { date: string; sequence: number; file: string; id: number }[];
  senders: { kind: string; mode: string; number: string; wallet: number | null }[];
  templates: { name: string; wallet: number | null; isDefault: boolean }[];
  accounts: string[];
}

function directory(r: Registry): TenantDirectory {
  return {
    walletId: async (code) => r.wallets[code] ?? null,
    sequenceHolder: async (date, sequence, exceptId) =>
      r.accepted.find((a) => a.date === date && a.sequence === sequence && a.id !== exceptId)
        ?.file ?? null,
    hasSender: async (kind, mode, number) =>
      r.senders.some(
        (s) => s.kind === kind && s.mode === mode && (number === null || s.number === number),
      ),
    exclusiveNumbers: async (walletId) =>
      r.senders
        .filter((s) => s.kind === "whatsapp" && s.mode === "exclusivo" && s.wallet === walletId)
        .map((s) => s.number),
    hasTemplate: async (name, walletId) =>
      r.templates.some((t) => t.name === name && (t.wallet === null || t.wallet === walletId)),
    hasDefaultTemplate: async (walletId) =>
      r.templates.some((t) => t.wallet === walletId && t.isDefault),
    hasEmailAccount: async (address) =>
      r.accounts.some((a) => a.toLowerCase() === address.toLowerCase()),
  };
}

const today = "2026-11-26";
function mailing(name: string, folder: string | null = null): Mailing {
  const result = parse(name, { folder, today, now: `${today}T10:00` });
  assert.ok(result.mailing, JSON.stringify(result.errors));
  return result.mailing;
}

const base: Registry = {
  wallets: { BRAD: 1, ITAU: 2 },
  accepted: [{ date: today, sequence: 1, file: "mailing_261126_1_cBRAD.csv", id: 10 }],
  senders: [
    { kind: "sms", mode: "short", number: "ROTA1", wallet: null },
    { kind: "whatsapp", mode: "exclusivo", number: "11998877665", wallet: 1 },
  ],
  templates: [{ name: "AVISO COBRANCA", wallet: null, isDefault: false }],
  accounts: ["aviso@empresa.com.br"],
};

const codes = async (name: string, registry = base, folder: string | null = null, id = 99) =>
  (await checkTenantData(mailing(name, folder), folder, id, directory(registry))).map(
    (e) => e.code,
  );

describe("tenant-data name checks", () => {
  test("a registered wallet, a free sequence and registered senders pass", async () => {
    assert.deepEqual(await codes("mailing_261126_2_cBRAD_smsshort.csv"), []);
    assert.deepEqual(
      await codes("mailing_261126_2_cBRAD_whatsappexclusivo_ntAVISO COBRANCA.csv"),
      [],
    );
    assert.deepEqual(await codes("mailing_261126_2_cBRAD_email_ceAVISO@EMPRESA.COM.BR.csv"), []);
  });

  test("unknown wallet, used sequence and missing senders are all listed together", async () => {
    assert.deepEqual(await codes("mailing_261126_1_cXPTO_smslong.csv"), [
      "CARTEIRA_INEXISTENTE",
      "SEQUENCIA_REPETIDA",
      "REMETENTE_INEXISTENTE",
    ]);
  });

  test("the file's own record never holds its sequence against itself", async () => {
    assert.deepEqual(await codes("mailing_261126_1_cBRAD.csv", base, null, 10), []);
  });

  test("a folder that is not a wallet is reported once", async () => {
    assert.deepEqual(await codes("mailing_261126_3.csv", base, "OUTRA"), ["CARTEIRA_INEXISTENTE"]);
  });

  test("WhatsApp: unregistered _nw, missing template, no default template", async () => {
    assert.deepEqual(
      await codes("mailing_261126_3_cBRAD_whatsappexclusivo_nw11900000000_ntAVISO COBRANCA.csv"),
      ["REMETENTE_INEXISTENTE"],
    );
    assert.deepEqual(await codes("mailing_261126_3_cBRAD_whatsappexclusivo_ntOUTRO.csv"), [
      "TEMPLATE_INEXISTENTE",
    ]);
    assert.deepEqual(await codes("mailing_261126_3_cBRAD_whatsappexclusivo.csv"), [
      "TEMPLATE_INEXISTENTE",
    ]);
    // ITAU has no exclusive number of its own.
    assert.deepEqual(await codes("mailing_261126_3_cITAU_whatsappexclusivo_ntAVISO COBRANCA.csv"), [
      "REMETENTE_INEXISTENTE",
    ]);
    assert.deepEqual(
      await codes("mailing_261126_3_cBRAD_whatsappcompartilhado_ntAVISO COBRANCA.csv"),
      ["REMETENTE_INEXISTENTE"],
    );
  });

  test("e-mail: an unregistered _ce is refused; without _ce the platform default is used", async () => {
    assert.deepEqual(await codes("mailing_261126_3_cBRAD_email_ceoutra@empresa.com.br.csv"), [
      "CONTA_EMAIL_INEXISTENTE",
    ]);
    assert.deepEqual(await codes("mailing_261126_3_cBRAD_email.csv"), []);
  });
});
