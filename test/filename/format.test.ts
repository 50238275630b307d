import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  buildName,
  defaultDescription,
  format,
  type Mailing,
  type ParseContext,
  parse,
} from "../../src/filename/index.js";

/** Text allowed inside a value: no "_", "@" or characters a file name cannot carry. */
const valueChars = fc.constantFrom(
  ..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 -!.çãõáéíóúâêôÇÃÉ",
);
const valueText = fc
  .array(valueChars, { minLength: 1, maxLength: 20 })
  .map((cs) => cs.join(""))
  // A value ending in "." before the extension dot would still parse, but keep names tidy.
  .filter((s) => s.trim() !== "");

const pad = (n: number) => String(n).padStart(2, "0");
const localDateTime = fc
  .record({
    y: fc.integer({ min: 2000, max: 2099 }),
    mo: fc.integer({ min: 1, max: 12 }),
    d: fc.integer({ min: 1, max: 28 }),
    h: fc.integer({ min: 0, max: 23 }),
    mi: fc.integer({ min: 0, max: 59 }),
  })
  .map(({ y, mo, d, h, mi }) => `${y}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}`);

/** Generated valid mailings, each with a context in which it is valid. */
const validMailing: fc.Arbitrary<{ mailing: Mailing; context: ParseContext }> = fc
  .record({
    now: localDateTime,
    sequence: fc.integer({ min: 0, max: 999 }),
    extension: fc.constantFrom("csv", "txt", "zip" as const),
    wallet: valueText,
    walletFrom: fc.constantFrom("name", "folder" as const),
    folderToo: fc.boolean(),
    description: fc.option(valueText),
    sanitize: fc.boolean(),
    sms: fc.constantFrom(null, "long", "short" as const),
    whatsappMode: fc.constantFrom(null, "exclusivo", "compartilhado", "prospect" as const),
    number: fc.option(fc.stringMatching(/^\d{10,13}$/)),
    template: fc.option(valueText),
    email: fc.boolean(),
    account: fc.option(fc.tuple(valueText, valueText).map(([a, b]) => `${a}@${b}.com.br`)),
    subject: fc.option(valueText),
    startOffset: fc.option(fc.integer({ min: -5000, max: 5000 })),
    split: fc.option(
      fc
        .record({
          percent: fc.integer({ min: 1, max: 99 }),
          everyMinutes: fc.integer({ min: 1, max: 999 }),
        })
        .map((s) => ({ ...s })),
    ),
    excludeRecentHours: fc.option(fc.integer({ min: 1, max: 999 })),
    replaceTags: fc.boolean(),
    removeOtherWallets: fc.boolean(),
    deadlineOffset: fc.option(fc.integer({ min: 1, max: 100000 })),
  })
  .map((g) => {
    const date = g.now.slice(0, 10);
    const addMinutes = (base: string, minutes: number) => {
      const t = new Date(`${base}:00Z`).getTime() + minutes * 60_000;
      const iso = new Date(t).toISOString().slice(0, 16);
      return iso.startsWith("20") ? iso : base;
    };
    const anyChannel = g.sms !== null || g.whatsappMode !== null || g.email;
    const start = anyChannel && g.startOffset !== null ? addMinutes(g.now, g.startOffset) : null;
    const latest = start !== null && start > g.now ? start : g.now;
    const deadline =
      anyChannel && g.deadlineOffset !== null ? addMinutes(latest, g.deadlineOffset) : null;
    const mailing: Mailing = {
      date,
      sequence: g.sequence,
      extension: g.extension,
      wallet: g.wallet,
      walletFrom: g.walletFrom,
      description: "",
      sanitize: g.sanitize,
      sms: g.sms,
      whatsapp:
        g.whatsappMode === null
          ? null
          : {
              mode: g.whatsappMode,
              number: g.whatsappMode === "exclusivo" ? g.number : null,
              template: g.whatsappMode === "prospect" ? (g.template ?? "T") : g.template,
            },
      email: g.email ? { account: g.account, subject: g.subject } : null,
      start,
      split: anyChannel ? g.split : null,
      excludeRecentHours: anyChannel ? g.excludeRecentHours : null,
      replaceTags: g.replaceTags,
      removeOtherWallets: g.removeOtherWallets,
      deadline: deadline !== null && deadline > latest ? deadline : null,
    };
    mailing.description = g.description ?? defaultDescription(mailing);
    const folder = g.walletFrom === "folder" || g.folderToo ? g.wallet : null;
    return { mailing, context: { folder, today: date, now: g.now } };
  });

describe("format", () => {
  test("parse(format(m)) equals m for generated valid mailings", () => {
    fc.assert(
      fc.property(validMailing, ({ mailing, context }) => {
        const name = format(mailing);
        const parsed = parse(name, context);
        assert.deepEqual(parsed.errors, [], name);
        assert.deepEqual(parsed.mailing, mailing);
      }),
      { numRuns: 2000 },
    );
  });

  test("format is canonical: reordering or re-casing the parameters formats back the same", () => {
    fc.assert(
      fc.property(validMailing, fc.integer(), ({ mailing, context }, seed) => {
        const name = format(mailing);
        const dot = name.lastIndexOf(".");
        const [prefix, date, seq, ...params] = name.slice(0, dot).split("_");
        // Shuffle deterministically by seed.
        const shuffled = params
          .map((p, i) => ({ p, k: (i * 7919 + seed) % 101 }))
          .sort((a, b) => a.k - b.k)
          .map(({ p }) => p);
        const scrambled = `${prefix!.toUpperCase()}_${date}_${seq!.padStart(3, "0")}_${shuffled.join("_")}${name.slice(dot).toUpperCase()}`;
        const parsed = parse(scrambled.replace(/_\./, "."), context);
        if (!parsed.mailing) assert.fail(`${scrambled}: ${JSON.stringify(parsed.errors)}`);
        // The description of a name without `_d` is the name as written, so compare the rest.
        assert.equal(
          format({ ...parsed.mailing, description: mailing.description }),
          format(mailing),
        );
      }),
      { numRuns: 500 },
    );
  });

  test("seed example formats into table order", () => {
    const ctx = { folder: null, today: "2026-11-26", now: "2026-11-26T10:00" };
    const parsed = parse(
      "mailing_261126_1_c123_email_teAportunidade!!!_ceAVISO@COMUNICADO.COM.BR.csv",
      ctx,
    );
    assert.ok(parsed.mailing);
    // Without `_d` the description is the name given, which is not canonical: not written.
    assert.equal(
      format(parsed.mailing),
      "mailing_261126_1_c123_email_ceAVISO@COMUNICADO.COM.BR_teAportunidade!!!.csv",
    );
  });
});

describe("parse", () => {
  test("never throws on arbitrary strings, and ok means no errors and a mailing", () => {
    const ctx = { folder: null, today: "2026-11-26", now: "2026-11-26T10:00" };
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: "binary", maxLength: 200 }),
          fc
            .array(
              fc.constantFrom(
                "mailing",
                "261126",
                "1",
                "cA",
                "h",
                "smslong",
                "q15020",
                "",
                "x",
                "LE",
                "ce@",
                "nw1",
              ),
              { maxLength: 12 },
            )
            .map((parts) => `${parts.join("_")}.csv`),
        ),
        fc.option(fc.string({ maxLength: 10 })),
        (name, folder) => {
          const r = parse(name, { ...ctx, folder });
          assert.equal(r.ok, r.errors.length === 0 && r.mailing !== null);
          for (const e of r.errors) assert.ok(e.message.length > 10);
        },
      ),
      { numRuns: 5000 },
    );
  });
});

describe("buildName", () => {
  const ctx = { folder: null, today: "2026-11-26", now: "2026-11-26T10:00" };
  const base: Mailing = {
    date: "2026-11-26",
    sequence: 3,
    extension: "csv",
    wallet: "BRAD",
    walletFrom: "name",
    description: "mailing_261126_3_cBRAD_smsshort_q15020.csv",
    sanitize: false,
    sms: "short",
    whatsapp: null,
    email: null,
    start: null,
    split: { percent: 15, everyMinutes: 20 },
    excludeRecentHours: null,
    replaceTags: false,
    removeOtherWallets: false,
    deadline: null,
  };

  test("builds the canonical name of a valid mailing", () => {
    assert.deepEqual(buildName(base, ctx), {
      ok: true,
      name: "mailing_261126_3_cBRAD_smsshort_q15020.csv",
      errors: [],
    });
  });

  test("refuses with parse's codes what check-name would reject", () => {
    const r = buildName({ ...base, date: "2026-11-25", description: "Régua" }, ctx);
    assert.deepEqual(
      r.errors.map((e) => e.code),
      ["DATA_NAO_E_HOJE"],
    );
    const prospect = buildName(
      {
        ...base,
        description: "x",
        sms: null,
        whatsapp: { mode: "prospect", number: null, template: null },
      },
      ctx,
    );
    assert.deepEqual(
      prospect.errors.map((e) => e.code),
      ["TEMPLATE_OBRIGATORIO"],
    );
  });

  test("refuses values that cannot be written in a file name", () => {
    for (const wallet of ["A_B", "A/B", "A:B"]) {
      const r = buildName({ ...base, wallet, description: "x" }, ctx);
      assert.deepEqual(
        r.errors.map((e) => [e.code, e.param]),
        [["VALOR_INVALIDO", "c"]],
      );
    }
    const r = buildName({ ...base, description: "com_sublinhado" }, ctx);
    assert.deepEqual(
      r.errors.map((e) => [e.code, e.param]),
      [["VALOR_INVALIDO", "d"]],
    );
  });

  test("refuses a wallet that would read back as an e-mail account", () => {
    const r = buildName({ ...base, wallet: "e@x", description: "x" }, ctx);
    assert.equal(r.ok, false);
    assert.equal(r.errors[0]?.code, "VALOR_INVALIDO");
  });
});
