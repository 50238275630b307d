import assert from "node:assert/strict";
import { test } from "node:test";
import { TextHashSet } from "../../src/mailing/text-set.js";

test("parts hash as their NUL-joined text, without building it", () => {
  const set = new TextHashSet();
  assert.equal(set.addParts("key", "123", "11987654321"), true);
  assert.equal(set.add("key\u0000123\u000011987654321"), false);
  assert.equal(set.addParts("key", "1231", "1987654321"), true, "the separator counts");
});

test("a bounded set keeps at most maxEntries, still finds them, and grows no further", () => {
  const set = new TextHashSet(3);
  for (const text of ["a", "b", "c"]) assert.equal(set.add(text), true);
  assert.equal(set.full, true);
  assert.equal(set.add("a"), false, "a kept entry is still found");
  assert.equal(set.add("d"), true);
  assert.equal(set.add("d"), true, "past the bound nothing new is kept");
  assert.equal(set.size, 3);
});

test("an unbounded set grows past its first table", () => {
  const set = new TextHashSet();
  for (let i = 0; i < 10_000; i++) assert.equal(set.add(`x${i}`), true);
  for (let i = 0; i < 10_000; i++) assert.equal(set.add(`x${i}`), false);
  assert.equal(set.size, 10_000);
});
