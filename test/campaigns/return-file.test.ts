/** The return file's lines (pure): statuses, reasons, instants in the tenant's zone, quoting, encoding. */
import assert from "node:assert/strict";
import { test } from "node:test";
import iconv from "iconv-lite";
import { DateTime } from "luxon";
import {
  encodeReturn,
  type ReturnCampaign,
  type ReturnFormat,
  type ReturnMessage,
  returnFormat,
  returnHeader,
  returnInstant,
  returnLine,
} from "../../src/campaigns/return-file.js";

const SP = "America/Sao_Paulo";
const semicolon: ReturnFormat = { delimiter: ";", encoding: "windows-1252", timeZone: SP };
const comma: ReturnFormat = { delimiter: ",", encoding: "utf-8", timeZone: SP };
const sms: ReturnCampaign = {
  channel: "sms",
  state: "finished",
  deadlineAt: null,
  excludeRecentHours: null,
};

function message(overrides: Partial<ReturnMessage>): ReturnMessage {
  return {
    codCliente: "C1",
    document: "12345678909",
    address: "11987654321",
    state: "sent",
    skipReason: null,
    error: null,
    updatedAt: "2026-11-26T15:00:00.000Z",
    sentAt: null,
    deliveredAt: null,
    readAt: null,
    failedAt: null,
    skippedAt: null,
    expiredAt: null,
    ...overrides,
  };
}

test("header in the mailing's delimiter, CRLF", () => {
  assert.equal(
    returnHeader(semicolon),
    "CODCLIENTE;CPFCNPJ;CANAL;DESTINO;SITUACAO;MOTIVO;ENVIADO_EM;ULTIMA_SITUACAO_EM\r\n",
  );
  assert.equal(
    returnHeader(comma),
    "CODCLIENTE,CPFCNPJ,CANAL,DESTINO,SITUACAO,MOTIVO,ENVIADO_EM,ULTIMA_SITUACAO_EM\r\n",
  );
});

test("each final state becomes its SITUACAO, with instants in the tenant's zone", () => {
  const sent = "2026-11-26T15:00:01.000Z"; // 12:00:01 in São Paulo (UTC-3)
  const later = "2026-11-26T15:05:00.000Z";
  const cases: [Partial<ReturnMessage>, string][] = [
    [
      { state: "sent", sentAt: sent },
      "C1;12345678909;SMS;11987654321;ENVIADO;;26/11/2026 12:00:01;26/11/2026 12:00:01\r\n",
    ],
    [
      { state: "delivered", sentAt: sent, deliveredAt: later },
      "C1;12345678909;SMS;11987654321;ENTREGUE;;26/11/2026 12:00:01;26/11/2026 12:05:00\r\n",
    ],
    [
      { state: "read", sentAt: sent, deliveredAt: later, readAt: "2026-11-27T02:30:00.000Z" },
      "C1;12345678909;SMS;11987654321;LIDO;;26/11/2026 12:00:01;26/11/2026 23:30:00\r\n",
    ],
    [
      { state: "failed", error: "Número inexistente na operadora.", failedAt: later },
      "C1;12345678909;SMS;11987654321;FALHOU;Número inexistente na operadora.;;26/11/2026 12:05:00\r\n",
    ],
    [
      { state: "skipped", skipReason: "RESTRITO", skippedAt: later },
      "C1;12345678909;SMS;11987654321;NAO_ENVIADO;RESTRITO: o contato entrou na lista de restrição da carteira antes do envio.;;26/11/2026 12:05:00\r\n",
    ],
    [
      { state: "skipped", skipReason: "CAMPANHA_CANCELADA", skippedAt: later },
      "C1;12345678909;SMS;11987654321;NAO_ENVIADO;CAMPANHA_CANCELADA: a campanha foi cancelada antes do envio.;;26/11/2026 12:05:00\r\n",
    ],
  ];
  for (const [m, line] of cases) assert.equal(returnLine(message(m), sms, semicolon), line);
});

test("expired names the deadline; _x names the hours; an unknown skip code is kept as is", () => {
  const campaign: ReturnCampaign = {
    channel: "whatsapp",
    state: "expired",
    deadlineAt: "2026-11-26T21:00:00.000Z",
    excludeRecentHours: 48,
  };
  assert.equal(
    returnLine(
      message({ state: "expired", expiredAt: "2026-11-26T21:00:00.000Z" }),
      campaign,
      semicolon,
    ),
    "C1;12345678909;WHATSAPP;11987654321;EXPIRADO;PRAZO_ESGOTADO: o prazo limite da campanha (_LE) de 26/11/2026 18:00:00 passou antes do envio.;;26/11/2026 18:00:00\r\n",
  );
  assert.match(
    returnLine(message({ state: "skipped", skipReason: "CONTATO_RECENTE" }), campaign, semicolon),
    /;NAO_ENVIADO;CONTATO_RECENTE: a pessoa fez contato nas últimas 48 horas antes do envio \(_x\)\.;/,
  );
  assert.match(
    returnLine(message({ state: "skipped", skipReason: "OUTRO" }), campaign, semicolon),
    /;NAO_ENVIADO;OUTRO;/,
  );
});

test("left pending or sending when the campaign ended: NAO_ENVIADO / SEM_CONFIRMACAO", () => {
  const cancelled = { ...sms, state: "cancelled" };
  assert.match(
    returnLine(message({ state: "pending" }), cancelled, semicolon),
    /;NAO_ENVIADO;CAMPANHA_CANCELADA: /,
  );
  assert.match(
    returnLine(message({ state: "sending" }), cancelled, semicolon),
    /;SEM_CONFIRMACAO;/,
  );
});

test("cells holding the delimiter, quotes or line breaks are quoted; missing identifiers are empty", () => {
  const email: ReturnCampaign = { ...sms, channel: "email" };
  assert.equal(
    returnLine(
      message({
        codCliente: null,
        document: null,
        address: "ana@exemplo.com.br",
        state: "failed",
        error: 'Caixa cheia, tente depois; "quota"\nexcedida',
        failedAt: "2026-11-26T15:00:00.000Z",
      }),
      email,
      comma,
    ),
    ',,EMAIL,ana@exemplo.com.br,FALHOU,"Caixa cheia, tente depois; ""quota""\nexcedida",,26/11/2026 12:00:00\r\n',
  );
  // With ';' the comma needs no quotes, the ';' does.
  assert.match(
    returnLine(message({ state: "failed", error: "a, b; c" }), sms, semicolon),
    /;FALHOU;"a, b; c";/,
  );
});

test("encoded in Windows-1252 or UTF-8, accents right both ways", () => {
  const text = "restrição, não";
  const cp = encodeReturn(text, "windows-1252");
  assert.deepEqual([...cp.subarray(6, 8)], [0xe7, 0xe3]); // ç ã, one byte each
  assert.equal(iconv.decode(cp, "windows-1252"), text);
  const utf = encodeReturn(text, "utf-8");
  assert.equal(utf.toString("utf8"), text);
  assert.notEqual(utf.length, cp.length);
});

test("format from the mailing row: unknown or missing values fall back to UTF-8 and ';'", () => {
  assert.deepEqual(returnFormat({ encoding: "windows-1252", delimiter: "|" }, SP), {
    delimiter: "|",
    encoding: "windows-1252",
    timeZone: SP,
  });
  assert.deepEqual(returnFormat({ encoding: null, delimiter: null }, SP), {
    delimiter: ";",
    encoding: "utf-8",
    timeZone: SP,
  });
});

test("instants across a daylight-saving change and in other zones match luxon", () => {
  // São Paulo had DST until 2019 (-02:00 from 2018-11-04); Lord Howe moves by 30 minutes.
  const zones = ["America/Sao_Paulo", "America/Manaus", "Australia/Lord_Howe", "UTC"];
  const start = Date.parse("2018-11-03T00:00:00.000Z");
  for (const zone of zones) {
    for (let ms = start; ms < start + 3 * 86_400_000; ms += 7 * 60_000 + 13_000) {
      const iso = new Date(ms).toISOString();
      assert.equal(
        returnInstant(iso, zone),
        DateTime.fromISO(iso).setZone(zone).toFormat("dd/MM/yyyy HH:mm:ss"),
        `${zone} ${iso}`,
      );
    }
  }
  const lordHowe = Date.parse("2026-10-03T15:00:00.000Z");
  for (let ms = lordHowe; ms < lordHowe + 86_400_000; ms += 60_000) {
    const iso = new Date(ms).toISOString();
    assert.equal(
      returnInstant(iso, "Australia/Lord_Howe"),
      DateTime.fromISO(iso).setZone("Australia/Lord_Howe").toFormat("dd/MM/yyyy HH:mm:ss"),
    );
  }
  assert.equal(returnInstant(null, SP), "");
});
