/**
 * Generates a realistic long-layout mailing (one row per channel of a person) for benchmarks and
 * tests: Brazilian names with accents, valid CPFs/CNPJs (some with their leading zeros lost, as
 * spreadsheets do), phones in the many shapes operators send them, quoted MENSAGEM fields holding
 * delimiters and quotes, CRLF line ends, and a share of bad rows.
 *
 * Usage: tsx bench/generate-mailing.ts --rows N --out FILE [--encoding utf-8|windows-1252]
 *        [--bad-ratio 0.02] [--scatter-ratio 0.01] [--seed 42] [--keys sequential|random]
 *        [--order together|shuffled|blocks] [--day-before]
 */
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import iconv from "iconv-lite";

export interface GenerateMailingOptions {
  rows: number;
  out: string;
  encoding?: "windows-1252" | "utf-8";
  /** Share of rows made invalid on purpose (bad DDD, bad CPF, empty value, unknown type). */
  badRowRatio?: number;
  seed?: number;
  /** Share of people whose e-mail row is written far from their other rows. */
  scatterRatio?: number;
  /**
   * CODCLIENTE in file order (`sequential`, the default: an export sorted by
   * code) or in no order (`random`: as files keyed by CPF, or sorted by
   * anything else, arrive). Each person's code is unique either way.
   */
  keys?: "sequential" | "random";
  /**
   * Where each row goes: `together` (the default: a person's rows next to
   * each other, a few e-mails scattered, see `scatterRatio`), `shuffled`
   * (every row at a random place) or `blocks` (every phone row, then every
   * e-mail row: the `UNION ALL` of two queries many exports are).
   */
  order?: MailingOrder;
  /**
   * The same people (same seed) as the previous day's file: about 10% of the
   * messages, 2% of the contacts and 5% of the people's tags differ, so
   * importing this file first and then the normal one is a day's changes.
   */
  dayBefore?: boolean;
}

export type MailingOrder = "together" | "shuffled" | "blocks";

const HEADER =
  "TIPO_DE_REGISTRO;VALOR_DO_REGISTRO;MENSAGEM;NOME_CLIENTE;CPFCNPJ;CODCLIENTE;TAG;CORINGA1;CORINGA2;CORINGA3;CORINGA4;CORINGA5;PRIORIDADE";

const FIRST_NAMES = [
  "João",
  "Maria",
  "José",
  "Ana",
  "Antônio",
  "Francisca",
  "Conceição",
  "Luís",
  "Márcia",
  "Sebastião",
  "Fábio",
  "Letícia",
  "Cláudio",
  "Patrícia",
  "André",
  "Débora",
  "Vinícius",
  "Júlia",
  "Otávio",
  "Raquel",
];
const LAST_NAMES = [
  "da Silva",
  "Santos",
  "Oliveira",
  "Souza",
  "Conceição",
  "Araújo",
  "Gonçalves",
  "Pereira",
  "Magalhães",
  "Assunção",
  "Brandão",
  "Simões",
  "Lima",
  "Guimarães",
  "Ribeiro",
];
const VALID_DDDS = [11, 12, 19, 21, 24, 27, 31, 35, 41, 47, 48, 51, 61, 62, 71, 81, 85, 91, 92, 98];
const BAD_DDDS = [10, 20, 23, 25, 29, 30];
const DOMAINS = ["gmail.com", "hotmail.com", "uol.com.br", "yahoo.com.br", "terra.com.br"];
const TAGS = ["cobranca", "atraso-30", "atraso-60", "vip", "renegociacao", ""];
const PRIORITIES = ["ALTA", "MEDIA", "BAIXA", "1", "2", "3", ""];

/** Small, fast, seedable PRNG (mulberry32) so every run produces the same file. */
function makeRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function checkDigit(digits: number[], weights: number[]): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) sum += (digits[i] ?? 0) * (weights[i] ?? 0);
  const rest = sum % 11;
  return rest < 2 ? 0 : 11 - rest;
}

function makeCpf(rand: () => number): string {
  const d: number[] = [];
  for (let i = 0; i < 9; i++) d.push(Math.floor(rand() * 10));
  d.push(checkDigit(d, [10, 9, 8, 7, 6, 5, 4, 3, 2]));
  d.push(checkDigit(d, [11, 10, 9, 8, 7, 6, 5, 4, 3, 2]));
  return d.join("");
}

function makeCnpj(rand: () => number): string {
  const d: number[] = [];
  for (let i = 0; i < 8; i++) d.push(Math.floor(rand() * 10));
  d.push(0, 0, 0, 1);
  d.push(checkDigit(d, [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]));
  d.push(checkDigit(d, [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]));
  return d.join("");
}

function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)] as T;
}

function digits(rand: () => number, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += Math.floor(rand() * 10);
  return s;
}

/** A phone written the way operators send it: bare, masked, with country code or carrier prefix. */
function formatPhone(rand: () => number, ddd: number, number: string): string {
  const r = rand();
  if (r < 0.5) return `${ddd}${number}`;
  if (r < 0.7) return `(${ddd}) ${number.slice(0, -4)}-${number.slice(-4)}`;
  if (r < 0.85) return `+55 ${ddd} ${number.slice(0, -4)} ${number.slice(-4)}`;
  if (r < 0.95) return `0${ddd}${number}`;
  return `0 21 ${ddd} ${number}`;
}

function quote(field: string): string {
  return `"${field.replace(/"/g, '""')}"`;
}

interface Person {
  name: string;
  document: string;
  code: string;
  tag: string;
  priority: string;
  mobile: string;
  landline: string | null;
  email: string | null;
}

/** Codes below 10^8, each index its own: a multiplier coprime to 10^8 permutes them. */
const CODE_SPACE = 100_000_000;
function scrambledCode(index: number): number {
  return (index * 48_271 + 12_345) % CODE_SPACE;
}

function makePerson(rand: () => number, index: number, code: number): Person {
  const first = pick(rand, FIRST_NAMES);
  const last = pick(rand, LAST_NAMES);
  let document = rand() < 0.9 ? makeCpf(rand) : makeCnpj(rand);
  // Spreadsheets drop leading zeros of numeric cells.
  if (rand() < 0.3) document = document.replace(/^0+/, "");
  const ddd = pick(rand, VALID_DDDS);
  const mobile = formatPhone(rand, ddd, `9${digits(rand, 8)}`);
  const landline =
    rand() < 0.3 ? formatPhone(rand, ddd, `${2 + Math.floor(rand() * 4)}${digits(rand, 7)}`) : null;
  const user = `${first}.${last}`
    .normalize("NFD")
    .replace(/[^A-Za-z.]/g, "")
    .toLowerCase();
  const email = rand() < 0.6 ? `${user}${index}@${pick(rand, DOMAINS)}` : null;
  return {
    name: `${first} ${last}`,
    document,
    code: `C${String(code).padStart(8, "0")}`,
    tag: pick(rand, TAGS),
    priority: pick(rand, PRIORITIES),
    mobile,
    landline,
    email,
  };
}

const MESSAGE = `Olá [NOME_CLIENTE]; seu boleto "vence" hoje. Código [CODCLIENTE]`;
const MESSAGE_BEFORE = `Olá [NOME_CLIENTE]; seu boleto vence amanhã. Código [CODCLIENTE]`;

function row(
  p: Person,
  type: string,
  value: string,
  withMessage: boolean,
  message: string = MESSAGE,
): string {
  const messageCell = withMessage ? quote(message) : "";
  return [
    type,
    value,
    messageCell,
    p.name,
    p.document,
    p.code,
    p.tag,
    "contrato 12345",
    "R$ 1.234,56",
    "",
    "",
    "",
    p.priority,
  ].join(";");
}

function breakRow(rand: () => number, line: string, p: Person): string {
  const r = rand();
  if (r < 0.25) return row(p, "TELEFONE", `${pick(rand, BAD_DDDS)}9${digits(rand, 8)}`, false);
  if (r < 0.5)
    return row({ ...p, document: `${p.document.slice(0, -1)}x` }, "TELEFONE", p.mobile, false);
  if (r < 0.75) return row(p, "TELEFONE", "", false);
  if (r < 0.9) return row(p, "FAX", p.mobile, false);
  return line.split(";").slice(0, 5).join(";");
}

/** Every row at a random place (Fisher-Yates, seeded), or the phone rows and then the e-mail rows. */
function reorder(lines: string[], order: MailingOrder, seed: number): string[] {
  if (order === "blocks") {
    const isEmail = (line: string) => line.startsWith("EMAIL;") || line.startsWith("E-MAIL;");
    return [...lines.filter((l) => !isEmail(l)), ...lines.filter(isEmail)];
  }
  const rand = makeRandom(seed ^ 0x5417);
  for (let i = lines.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = lines[i] as string;
    lines[i] = lines[j] as string;
    lines[j] = t;
  }
  return lines;
}

/** Writes the mailing and resolves with its size in bytes. */
export async function generateMailing(options: GenerateMailingOptions): Promise<{ bytes: number }> {
  const rand = makeRandom(options.seed ?? 42);
  const encoding = options.encoding ?? "windows-1252";
  const badRatio = options.badRowRatio ?? 0.02;
  const scatterRatio = options.scatterRatio ?? 0.01;
  const out = createWriteStream(options.out);
  let bytes = 0;
  let pending: string[] = [];
  let pendingChars = 0;
  const flush = async () => {
    if (pending.length === 0) return;
    const buf =
      encoding === "utf-8"
        ? Buffer.from(pending.join(""), "utf8")
        : iconv.encode(pending.join(""), "windows-1252");
    pending = [];
    pendingChars = 0;
    bytes += buf.length;
    if (!out.write(buf)) await once(out, "drain");
  };
  const emit = async (line: string) => {
    pending.push(line, "\r\n");
    pendingChars += line.length + 2;
    if (pendingChars > 1 << 20) await flush();
  };

  await emit(HEADER);
  // Rows of a file in another order are gathered first, then written in it.
  const order = options.order ?? "together";
  const held: string[] | null = order === "together" ? null : [];
  const put = async (line: string) => {
    if (held) held.push(line);
    else await emit(line);
  };
  // The day before's differences come from a PRNG of their own: the main one
  // (hence the people, their order and the bad rows) stays the same.
  const change = options.dayBefore ? makeRandom((options.seed ?? 42) ^ 0x5eed) : null;
  const contact = (value: string) => {
    if (!change || change() >= 0.02) return value;
    // Yesterday's contact was another one: today's is new to the base.
    if (value.includes("@")) return `ontem.${value}`;
    const last = value.charCodeAt(value.length - 1) - 48;
    return `${value.slice(0, -1)}${(last + 1) % 10}`;
  };
  let written = 0;
  let index = 0;
  const scattered: string[] = [];
  while (written < options.rows) {
    let p = makePerson(rand, index, options.keys === "random" ? scrambledCode(index) : index);
    index++;
    if (change && change() < 0.05) p = { ...p, tag: p.tag === "vip" ? "cobranca" : "vip" };
    const message = change && change() < 0.1 ? MESSAGE_BEFORE : MESSAGE;
    const lines: string[] = [row(p, "CELULAR", contact(p.mobile), true, message)];
    if (p.landline) lines.push(row(p, "TELEFONE", contact(p.landline), false));
    let scatteredEmail: string | null = null;
    if (p.email) {
      const emailRow = row(p, rand() < 0.5 ? "EMAIL" : "E-MAIL", contact(p.email), false);
      if (rand() < scatterRatio) scatteredEmail = emailRow;
      else lines.push(emailRow);
    }
    for (const line of lines) {
      if (written >= options.rows) break;
      await put(rand() < badRatio ? breakRow(rand, line, p) : line);
      written++;
    }
    if (scatteredEmail) scattered.push(scatteredEmail);
    // Scattered rows come back a little later, after other people.
    while (
      scattered.length > 0 &&
      written < options.rows &&
      (rand() < 0.1 || scattered.length > 64)
    ) {
      await put(scattered.shift() as string);
      written++;
    }
  }
  if (held) for (const line of reorder(held, order, options.seed ?? 42)) await emit(line);
  await flush();
  out.end();
  await once(out, "finish");
  return { bytes };
}

export function parseOrder(value: string | undefined): MailingOrder {
  if (value === undefined || value === "together") return "together";
  if (value === "shuffled" || value === "blocks") return value;
  throw new Error(`--order deve ser together, shuffled ou blocks (veio "${value}")`);
}

async function cli(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: "string", default: "100000" },
      out: { type: "string" },
      encoding: { type: "string", default: "windows-1252" },
      "bad-ratio": { type: "string", default: "0.02" },
      "scatter-ratio": { type: "string", default: "0.01" },
      seed: { type: "string", default: "42" },
      keys: { type: "string", default: "sequential" },
      order: { type: "string", default: "together" },
      "day-before": { type: "boolean", default: false },
    },
  });
  if (!values.out) {
    console.error("Uso: tsx bench/generate-mailing.ts --rows N --out ARQUIVO");
    process.exitCode = 2;
    return;
  }
  const encoding = values.encoding === "utf-8" ? "utf-8" : "windows-1252";
  const result = await generateMailing({
    rows: Number(values.rows),
    out: values.out,
    encoding,
    badRowRatio: Number(values["bad-ratio"]),
    scatterRatio: Number(values["scatter-ratio"]),
    seed: Number(values.seed),
    keys: values.keys === "random" ? "random" : "sequential",
    order: parseOrder(values.order),
    dayBefore: values["day-before"],
  });
  console.log(JSON.stringify({ rows: Number(values.rows), bytes: result.bytes, out: values.out }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await cli();
}
