import assert from "node:assert/strict";
import { test } from "node:test";
import { scrubLines } from "../../src/privacy/scrub.js";

const ids = {
  document: "52998224725",
  code: null,
  names: ["Maria Teste"],
  phones: ["11987654321"],
  emails: [],
};

async function collect(output: AsyncIterable<Buffer>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const b of output) parts.push(b);
  return Buffer.concat(parts).toString("latin1");
}

test("a scrub keeps the header and other people's lines, whatever the chunking, and counts what it wrote", async () => {
  const text = "CPF;NOME\n529.982.247-25;Maria Teste\n11144477735;Joao\n";
  async function* chunks() {
    for (let i = 0; i < text.length; i += 5) yield Buffer.from(text.slice(i, i + 5), "latin1");
  }
  const { output, progress } = scrubLines(chunks(), ids);
  const out = await collect(output);
  assert.equal(out, "CPF;NOME\n11144477735;Joao\n");
  assert.equal(progress.removed, 1);
  assert.equal(progress.bytes, Buffer.byteLength(out, "latin1"));
});

test("a file with no line break is refused past 64 MiB instead of being gathered whole", async () => {
  const mib = Buffer.alloc(1 << 20, 0x61);
  async function* endless() {
    for (let i = 0; i < 70; i++) yield mib;
  }
  const { output } = scrubLines(endless(), ids);
  await assert.rejects(collect(output), /linha de mais de 64 MiB/);
});
