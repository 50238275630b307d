/**
 * Throughput of the contact validators the mailing reader calls per row.
 *
 * Prints, for normalizePhone / normalizeDocument / normalizeEmail, values per
 * second, a floor measured in the same run (a loop that only reads every char
 * of the same inputs: no validator can do less) and the ratio; for phones also
 * libphonenumber-js (max metadata), the reference a naive reader would use.
 * Last line: JSON with every figure and the peak RSS.
 *
 * Usage: tsx bench/validators.ts [--count 1000000] [--seed 7]
 */
import { parseArgs } from "node:util";
import { parsePhoneNumberFromString } from "libphonenumber-js/max";
import { BRAZIL_DDDS } from "../src/mailing/ddd.js";
import { normalizeDocument } from "../src/mailing/document.js";
import { normalizeEmail } from "../src/mailing/email.js";
import { normalizePhone } from "../src/mailing/phone.js";

const { values: args } = parseArgs({
  options: {
    count: { type: "string", default: "1000000" },
    seed: { type: "string", default: "7" },
  },
});
const COUNT = Number(args.count);
let state = Number(args.seed) >>> 0;

/** mulberry32: a small seeded PRNG so every run measures the same inputs. */
function random(): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const digits = (n: number): string => {
  let s = "";
  for (let i = 0; i < n; i++) s += Math.floor(random() * 10);
  return s;
};

/** Phones in the shapes mailings hold them, with a few bad ones. */
function phone(): string {
  const ddd = String(pick(BRAZIL_DDDS));
  const mobile = `9${digits(8)}`;
  const landline = `${2 + Math.floor(random() * 4)}${digits(7)}`;
  const r = random();
  if (r < 0.4) return `${ddd}${mobile}`;
  if (r < 0.65) return `(${ddd}) ${mobile.slice(0, 5)}-${mobile.slice(5)}`;
  if (r < 0.75) return `+55 ${ddd} ${mobile.slice(0, 5)}-${mobile.slice(5)}`;
  if (r < 0.85) return `${ddd} ${landline.slice(0, 4)}-${landline.slice(4)}`;
  if (r < 0.9) return `0 21 ${ddd} ${mobile}`;
  if (r < 0.95) return `${ddd}${digits(8)}`;
  return digits(Math.floor(random() * 14));
}

function cpfCheck(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) sum += Number(body[i]) * (body.length + 1 - i);
  const rest = sum % 11;
  return String(rest < 2 ? 0 : 11 - rest);
}
function document(): string {
  const body = digits(9);
  const first = cpfCheck(body);
  const cpf = `${body}${first}${cpfCheck(body + first)}`;
  const r = random();
  if (r < 0.5) return cpf;
  if (r < 0.9) return `${cpf.slice(0, 3)}.${cpf.slice(3, 6)}.${cpf.slice(6, 9)}-${cpf.slice(9)}`;
  return cpf.replace(/^0+/, "");
}

function email(): string {
  const user = pick(["maria", "joao.silva", "Ana.Souza", "contato", "financeiro+boleto"]);
  const domain = pick(["gmail.com", "hotmail.com", "Empresa.COM.BR", "uol.com.br", "yahoo.com.br"]);
  return `${user}${Math.floor(random() * 10000)}@${domain}`;
}

function build(make: () => string, count: number): string[] {
  const out = new Array<string>(count);
  for (let i = 0; i < count; i++) out[i] = make();
  return out;
}

let sink = 0;
/** Best of `rounds` timed passes over `inputs`, in values per second. */
function measure(inputs: readonly string[], run: (s: string) => number, rounds = 5): number {
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < inputs.length; i++) sink += run(inputs[i]!);
    const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    if (elapsed < best) best = elapsed;
  }
  return inputs.length / best;
}

/** The floor: read every character once, as any validator must. */
const readAll = (s: string): number => {
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum += s.charCodeAt(i);
  return sum;
};

const phones = build(phone, COUNT);
const documents = build(document, COUNT);
const emails = build(email, COUNT);
const libInputs = phones.slice(0, Math.min(COUNT, 100_000));

const results = {
  phone: {
    ours: measure(phones, (s) => (normalizePhone(s, true).ok ? 1 : 0)),
    floor: measure(phones, readAll),
    libphonenumber: measure(
      libInputs,
      (s) => (parsePhoneNumberFromString(s, "BR")?.isValid() ? 1 : 0),
      3,
    ),
  },
  document: {
    ours: measure(documents, (s) => (normalizeDocument(s, true).ok ? 1 : 0)),
    floor: measure(documents, readAll),
  },
  email: {
    ours: measure(emails, (s) => (normalizeEmail(s, true).ok ? 1 : 0)),
    floor: measure(emails, readAll),
  },
};

const fmt = (n: number): string => `${(n / 1e6).toFixed(2)} M/s`;
const ratio = (a: number, b: number): number => Math.round((a / b) * 100) / 100;
console.log(`inputs per validator: ${COUNT} (seed ${args.seed})`);
for (const [name, r] of Object.entries(results)) {
  console.log(
    `${name.padEnd(9)} ours ${fmt(r.ours)}  floor ${fmt(r.floor)}  floor/ours ${ratio(r.floor, r.ours)}x`,
  );
}
const lib = results.phone.libphonenumber;
console.log(
  `phone     libphonenumber-js/max ${fmt(lib)}  ours/lib ${ratio(results.phone.ours, lib)}x`,
);
const peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
console.log(`peak RSS ${peakRssMiB} MiB (sink ${sink > 0 ? "ok" : "empty"})`);
console.log(
  JSON.stringify({
    bench: "validators",
    count: COUNT,
    phonePerSecond: Math.round(results.phone.ours),
    phoneFloorPerSecond: Math.round(results.phone.floor),
    phoneFloorRatio: ratio(results.phone.floor, results.phone.ours),
    libphonenumberPerSecond: Math.round(lib),
    phoneVsLibphonenumber: ratio(results.phone.ours, lib),
    documentPerSecond: Math.round(results.document.ours),
    documentFloorRatio: ratio(results.document.floor, results.document.ours),
    emailPerSecond: Math.round(results.email.ours),
    emailFloorRatio: ratio(results.email.floor, results.email.ours),
    peakRssMiB,
  }),
);
