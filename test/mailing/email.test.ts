import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { type EmailResult, normalizeEmail } from "../../src/mailing/email.js";

const ok = (value: string): EmailResult => ({ ok: true, value });

function assertRejected(result: EmailResult, messagePart: string): void {
  assert.equal(result.ok, false, `expected a rejection, got ${JSON.stringify(result)}`);
  if (result.ok) return;
  assert.equal(result.code, "EMAIL_INVALIDO");
  assert.ok(
    result.message.includes(messagePart),
    `message "${result.message}" should include "${messagePart}"`,
  );
}

describe("normalizeEmail: always", () => {
  test("trims and lower-cases only the domain", () => {
    assert.deepEqual(
      normalizeEmail("  Maria.Silva@Empresa.COM.BR \t", false),
      ok("Maria.Silva@empresa.com.br"),
    );
    assert.deepEqual(
      normalizeEmail("AVISO@COMUNICADO.COM.BR", true),
      ok("AVISO@comunicado.com.br"),
    );
  });

  test("an already normalized address comes back unchanged", () => {
    assert.deepEqual(normalizeEmail("joao@example.com", true), ok("joao@example.com"));
  });

  test("IDN domains are lower-cased too", () => {
    assert.deepEqual(normalizeEmail("ana@ÁGUA.com.br", false), ok("ana@água.com.br"));
  });

  test("exactly one @ with text on both sides", () => {
    assertRejected(normalizeEmail("maria.gmail.com", false), "sem @");
    assertRejected(normalizeEmail("maria@@gmail.com", false), "mais de um @");
    assertRejected(normalizeEmail("a@b@c.com", true), "mais de um @");
    assertRejected(normalizeEmail("@gmail.com", false), "nada antes do @");
    assertRejected(normalizeEmail("maria@", false), "sem domínio");
    assertRejected(normalizeEmail("  maria@  ", false), "sem domínio");
  });

  test("empty", () => {
    assertRejected(normalizeEmail("", false), "vazio");
    assertRejected(normalizeEmail("   ", true), "vazio");
  });

  test("without sanitize, the syntax is not checked", () => {
    assert.deepEqual(normalizeEmail("maria@localhost", false), ok("maria@localhost"));
    assert.deepEqual(normalizeEmail("ma ria@x", false), ok("ma ria@x"));
  });
});

describe("normalizeEmail: sanitize", () => {
  test("accepts the usual addresses", () => {
    for (const address of [
      "a@b.co",
      "joao.silva+promo@mail.empresa.com.br",
      "o'brien@example.org",
      "user_name-1@sub-domain.example.com",
      "x@xn--gua-zna.com.br",
      "1234@123.com",
      "!#$%&'*+-/=?^_`{|}~@example.com",
      "contato@münchen.de",
      "usuario@пример.рф",
    ]) {
      assert.deepEqual(normalizeEmail(address, true), ok(address), address);
    }
  });

  test("spaces and control characters", () => {
    assertRejected(normalizeEmail("maria silva@gmail.com", true), "espaço");
    assertRejected(normalizeEmail("maria@gmail .com", true), "espaço");
    assertRejected(normalizeEmail("maria\u00a0@gmail.com", true), "espaço");
    assertRejected(normalizeEmail("maria\u0000@gmail.com", true), "controle");
  });

  test("RFC 5321 lengths", () => {
    const local64 = "a".repeat(64);
    assert.equal(normalizeEmail(`${local64}@example.com`, true).ok, true);
    assertRejected(normalizeEmail(`${"a".repeat(65)}@example.com`, true), "64 caracteres");
    const label = "b".repeat(63);
    const domain250 = `${label}.${label}.${label}.${"c".repeat(56)}.br`; // 63*3 + 56 + 2 + 4 dots = 251
    assertRejected(normalizeEmail(`abc@${domain250}`, true), "254 caracteres");
    assert.equal(
      normalizeEmail(`a@${label}.${label}.${label}.${"c".repeat(55)}.br`, true).ok,
      true,
    );
    assertRejected(normalizeEmail(`a@${"d".repeat(64)}.com`, true), "63 caracteres");
    const domain256 = `${Array(64).fill("abc").join(".")}.br`;
    assertRejected(normalizeEmail(`a@${domain256}`, true), "255 caracteres");
  });

  test("local part", () => {
    assertRejected(normalizeEmail(".maria@gmail.com", true), "ponto no início ou no fim");
    assertRejected(normalizeEmail("maria.@gmail.com", true), "ponto no início ou no fim");
    assertRejected(normalizeEmail("ma..ria@gmail.com", true), "dois pontos seguidos antes do @");
    assertRejected(normalizeEmail("joão@gmail.com", true), "acento");
    assertRejected(normalizeEmail("maria(casa)@gmail.com", true), 'caractere inválido "("');
    assertRejected(normalizeEmail('"maria"@gmail.com', true), 'caractere inválido """');
    assertRejected(normalizeEmail("maria,silva@gmail.com", true), 'caractere inválido ","');
  });

  test("domain", () => {
    assertRejected(normalizeEmail("maria@gmail", true), "sem ponto");
    assertRejected(normalizeEmail("maria@gmail,com", true), 'caractere inválido ","');
    assertRejected(normalizeEmail("maria@gmail..com", true), "dois pontos seguidos");
    assertRejected(normalizeEmail("maria@.gmail.com", true), "começa ou termina com ponto");
    assertRejected(normalizeEmail("maria@gmail.com.", true), "começa ou termina com ponto");
    assertRejected(normalizeEmail("maria@-gmail.com", true), "hífen");
    assertRejected(normalizeEmail("maria@gmail-.com", true), "hífen");
    assertRejected(normalizeEmail("maria@gmail.com-", true), "hífen");
    assertRejected(normalizeEmail("maria@gmail_mail.com", true), 'caractere inválido "_"');
    assertRejected(normalizeEmail("maria@[10.0.0.1]", true), 'caractere inválido "["');
    assertRejected(normalizeEmail("maria@10.0.0.1", true), "termina em número");
    assertRejected(normalizeEmail("maria@gmail.c", true), "uma letra só");
    assertRejected(normalizeEmail("maria@gmail.com😀", true), 'caractere inválido "😀"');
  });
});

describe("normalizeEmail: properties", () => {
  const atext = fc.constantFrom(..."abcXYZ019!#$%&'*+-/=?^_`{|}~".split(""));
  const word = (chars: fc.Arbitrary<string>) =>
    fc.array(chars, { minLength: 1, maxLength: 10 }).map((a) => a.join(""));
  const local = fc.array(word(atext), { minLength: 1, maxLength: 3 }).map((w) => w.join("."));
  const labelChars = fc.constantFrom(..."abcdeXYZ0189ção".split(""));
  const label = fc
    .tuple(word(labelChars), fc.boolean(), word(labelChars))
    .map(([a, hyphen, b]) => (hyphen ? `${a}-${b}` : a));
  const tld = fc.constantFrom("com", "br", "org", "COM", "Net", "io");
  const address = fc
    .tuple(local, fc.array(label, { minLength: 1, maxLength: 3 }), tld)
    .map(([l, labels, t]) => `${l}@${labels.join(".")}.${t}`);

  test("well-formed addresses pass and only the domain changes case", () => {
    fc.assert(
      fc.property(address, fc.constantFrom("", " ", "\t"), (text, pad) => {
        const result = normalizeEmail(`${pad}${text}${pad}`, true);
        assert.ok(result.ok, text);
        if (!result.ok) return;
        const at = text.indexOf("@");
        assert.equal(result.value, `${text.slice(0, at)}@${text.slice(at + 1).toLowerCase()}`);
      }),
      { numRuns: 2000 },
    );
  });

  test("a space inserted anywhere inside is rejected with sanitize", () => {
    fc.assert(
      fc.property(address, fc.nat(), (text, position) => {
        const i = 1 + (position % (text.length - 1));
        const spaced = `${text.slice(0, i)} ${text.slice(i)}`;
        assert.equal(normalizeEmail(spaced, true).ok, false, spaced);
      }),
    );
  });

  test("never throws; successes hold exactly one @ and are trimmed; normalizing twice changes nothing", () => {
    const anyText = fc.oneof(
      fc.string({ unit: "binary", maxLength: 40 }),
      fc.stringMatching(/^[a-zA-Z0-9@. \-_+]{0,30}$/),
    );
    fc.assert(
      fc.property(anyText, fc.boolean(), (raw, sanitize) => {
        const result = normalizeEmail(raw, sanitize);
        if (!result.ok) {
          assert.ok(result.message.length > 0);
          return;
        }
        assert.equal(result.value.split("@").length, 2);
        assert.equal(result.value, result.value.trim());
        assert.deepEqual(normalizeEmail(result.value, sanitize), result);
      }),
      { numRuns: 5000 },
    );
  });
});
