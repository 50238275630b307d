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

async function* once(text: string) {
  yield Buffer.from(text, "utf8");
}

test("another person whose name or e-mail contains the erased one's is kept, and the file is not taken for holding the person", async () => {
  const ana = {
    document: null,
    code: null,
    names: ["Ana Paula"],
    phones: [],
    emails: ["ana@x.com"],
  };
  const text =
    "NOME;EMAIL;MENSAGEM\nAna Paula;ana@x.com;oi\nAna Paula Souza;joana@x.com;oi\nBeto;ana@x.com.br;Oi Ana Paula\n";
  const { output, progress } = scrubLines(once(text), ana);
  assert.equal(
    await collect(output),
    "NOME;EMAIL;MENSAGEM\nAna Paula Souza;joana@x.com;oi\nBeto;ana@x.com.br;Oi Ana Paula\n",
  );
  assert.equal(progress.removed, 1);
  assert.equal(progress.leftover, false, "no kept line holds the erased person's data");
});

test("a kept line that still holds the person's CPF, phone or e-mail inside longer text is a leftover", async () => {
  for (const [line, what] of [
    ["Beto;pago pelo CPF 529.982.247-25 em marco", "punctuated CPF"],
    ["Beto;ref 52998224725/2026", "plain CPF"],
    ["Beto;ligar 5511987654321 ou 1133334444", "phone with country code"],
    ["Beto;copiar maria@x.com.br, urgente", "e-mail"],
  ] as const) {
    const person = { ...ids, emails: ["maria@x.com.br"] };
    const { output, progress } = scrubLines(once(`NOME;OBS\n${line}\n`), person);
    await collect(output);
    assert.equal(progress.removed, 0, what);
    assert.equal(progress.leftover, true, what);
  }
});
