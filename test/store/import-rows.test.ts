import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { PersonRecord } from "../../src/mailing/types.js";
import {
  channelsJson,
  fieldsJson,
  jsonString,
  PersonCounter,
} from "../../src/store/import-rows.js";

// Any text: control characters, quotes, backslashes, accents, emoji and lone surrogates.
const text = fc.oneof(
  fc.string({ unit: "binary" }),
  fc.string({ unit: fc.constantFrom("a", "ç", '"', "\\", "\t", "\n", "\u0001", "😀", "\ud800") }),
);

test("jsonString writes exactly what JSON.stringify writes", () => {
  fc.assert(fc.property(text, (s) => jsonString(s) === JSON.stringify(s)));
});

test("fieldsJson is JSON.stringify of the non-empty fields", () => {
  fc.assert(
    fc.property(fc.dictionary(text, fc.oneof(fc.constant(""), text)), (fields) => {
      const kept = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== ""));
      assert.equal(fieldsJson(fields), JSON.stringify(kept));
      assert.deepEqual(JSON.parse(fieldsJson(fields)), kept);
    }),
  );
});

test("channelsJson is JSON.stringify of the stored channels", () => {
  const channel = fc.record({
    kind: fc.constantFrom("mobile", "landline", "email", "unknown"),
    value: text,
    line: fc.nat(),
  });
  fc.assert(
    fc.property(fc.array(channel), (channels) => {
      const record = { channels } as unknown as PersonRecord;
      assert.equal(channelsJson(record), JSON.stringify(channels));
    }),
  );
});

test("PersonCounter counts distinct people by kind and key, across growth", () => {
  const counter = new PersonCounter();
  const record = (keyKind: PersonRecord["keyKind"], key: string) =>
    ({ keyKind, key }) as PersonRecord;
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 200_000; i++) counter.add(record("codcliente", `C${i}`));
  }
  assert.equal(counter.size, 200_000);
  // The same key under another kind is another person.
  counter.add(record("cpfcnpj", "C1"));
  counter.add(record("cpfcnpj", "C1"));
  assert.equal(counter.size, 200_001);
});
