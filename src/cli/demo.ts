/**
 * `remessa demo`: a newcomer's first minute. Registers a DEMO wallet with
 * outbox senders for every channel, an e-mail account and a default template,
 * then drops a sample mailing (today's date, next free sequence, an SMS
 * campaign in two waves a minute apart) into the drop folder of `serve`'s
 * data dir, so file → LIDOS → campaign → messages in the outbox happen
 * within a minute. Running it again reuses what exists and drops a new file.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Kysely } from "kysely";
import { DateTime } from "luxon";
import { dataDir } from "../config.js";
import { buildName, defaultDescription, importOnlyMailing, parse } from "../filename/index.js";
import type { Store } from "../store/db.js";
import { addEmailAccount, listEmailAccounts } from "../store/email-accounts.js";
import type { Database } from "../store/schema.js";
import { addSender, listSenders } from "../store/senders.js";
import { addTemplate, listTemplates } from "../store/templates.js";
import { DEFAULT_TENANT_ID, getTenant, ValidationError } from "../store/tenants.js";
import { createWallet, getWalletByCode } from "../store/wallets.js";
import { DATA_DIR_HELP, DATA_DIR_OPTION, EXIT, parseCommandLine } from "./args.js";
import { withStore } from "./store.js";

export const DEMO_WALLET = "DEMO";
const PEOPLE = 30;

const HELP = `Uso: remessa demo [--data-dir PASTA]

Prepara uma demonstração completa, sem nenhuma conta externa:
  - a carteira ${DEMO_WALLET}, com remetentes de todos os canais (SMS long code e
    short code, WhatsApp exclusivo, compartilhado e prospecção), uma conta de
    e-mail e um template padrão, todos pelo provedor "outbox" (as mensagens
    ficam guardadas na caixa de saída, nada é enviado de verdade);
  - um mailing de exemplo (${PEOPLE} pessoas, com a data de hoje e a próxima
    sequência livre) com uma campanha SMS em duas ondas, um minuto entre elas,
    na caixa de entrada do "remessa serve" (PASTA/drop/${DEMO_WALLET}/).
Rode o serve em outro terminal (npm start) com a mesma pasta de dados e
acompanhe: o arquivo vai para LIDOS, a campanha aparece em
"remessa campaigns list" e as mensagens em "remessa outbox list".
Pode ser repetido: reaproveita a carteira e os remetentes e usa a próxima sequência.
${DATA_DIR_HELP}`;

const OPTIONS = {
  allowPositionals: false,
  options: {
    ...DATA_DIR_OPTION,
    help: { type: "boolean", short: "h" },
  },
} as const;

const FIRST_NAMES = [
  "Ana",
  "Bruno",
  "Carla",
  "Diego",
  "Elisa",
  "Fábio",
  "Gabriela",
  "Heitor",
  "Isabela",
  "João",
  "Larissa",
  "Marcos",
  "Natália",
  "Otávio",
  "Paula",
];
const LAST_NAMES = ["Silva", "Souza", "Oliveira", "Santos", "Pereira", "Lima", "Costa", "Ribeiro"];
const DDDS = [11, 21, 31, 41, 51, 61, 71, 81, 85, 92];

/** A valid CPF (check digits computed) from a 9-digit base. */
export function cpfFromBase(base: number): string {
  const digits = String(base).padStart(9, "0").split("").map(Number);
  for (const length of [9, 10]) {
    let sum = 0;
    for (let i = 0; i < length; i++) sum += (digits[i] as number) * (length + 1 - i);
    const rest = (sum * 10) % 11;
    digits.push(rest === 10 ? 0 : rest);
  }
  return digits.join("");
}

/**
 * The sample mailing: long layout, one mobile (with MENSAGEM) and one e-mail
 * per person, valid CPFs, `;`-separated UTF-8 with CRLF.
 */
export function demoMailingCsv(sequence: number, people = PEOPLE): string {
  const lines = ["TIPO_DE_REGISTRO;VALOR_DO_REGISTRO;NOME_CLIENTE;CPFCNPJ;CODCLIENTE;MENSAGEM"];
  for (let i = 0; i < people; i++) {
    const name = `${FIRST_NAMES[i % FIRST_NAMES.length]} ${LAST_NAMES[(i * 3) % LAST_NAMES.length]}`;
    const cpf = cpfFromBase(123_456_000 + i);
    const code = `DEMO-${sequence}-${String(i + 1).padStart(3, "0")}`;
    const ddd = DDDS[i % DDDS.length];
    const phone = `${ddd}9${String(8100_0000 + sequence * 1000 + i).slice(-8)}`;
    const email = `cliente${i + 1}@exemplo.com.br`;
    const message =
      "Olá [NOME_CLIENTE], esta é uma mensagem de demonstração do remessa (seu código: [CODCLIENTE]).";
    lines.push(`TELEFONE;${phone};${name};${cpf};${code};${message}`);
    lines.push(`EMAIL;${email};${name};${cpf};${code};`);
  }
  return `${lines.join("\r\n")}\r\n`;
}

/** What the demo registered (created now or found from an earlier run). */
interface Setup {
  created: string[];
  reused: number;
}

async function ensureSettings(db: Kysely<Database>): Promise<Setup> {
  const tenantId = DEFAULT_TENANT_ID;
  const setup: Setup = { created: [], reused: 0 };
  let wallet = await getWalletByCode(db, tenantId, DEMO_WALLET);
  if (!wallet) {
    wallet = await createWallet(db, tenantId, { code: DEMO_WALLET, name: "Demonstração" });
    setup.created.push(`carteira ${DEMO_WALLET}`);
  } else setup.reused++;

  const senders = await listSenders(db, tenantId);
  const wanted = [
    { kind: "sms", mode: "long", number: "demo-long-code", label: "rota SMS long code" },
    { kind: "sms", mode: "short", number: "demo-short-code", label: "rota SMS short code" },
    { kind: "whatsapp", mode: "exclusivo", number: "11900000001", label: "WhatsApp exclusivo" },
    {
      kind: "whatsapp",
      mode: "compartilhado",
      number: "11900000002",
      label: "WhatsApp compartilhado",
    },
    { kind: "whatsapp", mode: "prospect", number: "11900000003", label: "WhatsApp prospecção" },
  ];
  for (const s of wanted) {
    if (senders.some((x) => x.kind === s.kind && x.number === s.number)) {
      setup.reused++;
      continue;
    }
    await addSender(db, tenantId, {
      kind: s.kind,
      mode: s.mode,
      number: s.number,
      name: `Demonstração (${s.label})`,
      // The exclusive number is the wallet's own (so _whatsappexclusivo needs no _nw).
      wallet: s.mode === "exclusivo" ? DEMO_WALLET : null,
    });
    setup.created.push(s.label);
  }

  const templates = await listTemplates(db, tenantId, { walletId: wallet.id });
  if (templates.some((t) => t.name === "demo-boas-vindas")) setup.reused++;
  else {
    await addTemplate(db, tenantId, {
      name: "demo-boas-vindas",
      body: "Olá {{1}}, esta é uma mensagem de demonstração do remessa. Seu código: {{2}}.",
      params: ["NOME_CLIENTE", "CODCLIENTE"],
      wallet: DEMO_WALLET,
      isDefault: !templates.some((t) => t.is_default === 1),
    });
    setup.created.push("template padrão demo-boas-vindas");
  }

  const accounts = await listEmailAccounts(db, tenantId);
  if (accounts.some((a) => a.address === "demo@exemplo.com.br")) setup.reused++;
  else {
    await addEmailAccount(db, tenantId, {
      address: "demo@exemplo.com.br",
      displayName: "Demonstração remessa",
      wallet: DEMO_WALLET,
      active: !accounts.some((a) => a.wallet_id === wallet.id && a.active === 1),
      platformDefault: !accounts.some((a) => a.is_platform_default === 1),
    });
    setup.created.push("conta de e-mail demo@exemplo.com.br");
  }
  return setup;
}

/** Sequences of today's files already waiting in the drop folder (root and wallet folders). */
function sequencesWaiting(dropRoot: string, ddmmyy: string): number[] {
  const found: number[] = [];
  const pattern = /^mailing_(\d{6})_(\d{1,3})(?:[_.]|$)/i;
  const scan = (dir: string, depth: number) => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.isDirectory()) {
        if (depth === 0 && !entry.name.startsWith(".")) scan(join(dir, entry.name), 1);
        continue;
      }
      const m = pattern.exec(entry.name);
      if (m && m[1] === ddmmyy) found.push(Number(m[2]));
    }
  };
  scan(dropRoot, 0);
  return found;
}

/** The next sequence of `date` no mailing of the tenant holds (accepted or still in progress). */
async function nextSequence(
  db: Kysely<Database>,
  date: string,
  dropRoot: string,
  ddmmyy: string,
): Promise<number> {
  const row = await db
    .selectFrom("mailings")
    .select((eb) => eb.fn.max("sequence").as("max"))
    .where("tenant_id", "=", DEFAULT_TENANT_ID)
    .where("date", "=", date)
    .where((eb) => eb.or([eb("outcome", "is", null), eb("outcome", "=", "accepted")]))
    .executeTakeFirst();
  const used = [Number(row?.max ?? 0), ...sequencesWaiting(dropRoot, ddmmyy)];
  return Math.max(...used) + 1;
}

async function prepare(store: Store, dir: string): Promise<number> {
  const { db } = store;
  const setup = await ensureSettings(db);
  const zone = (await getTenant(db, DEFAULT_TENANT_ID))?.time_zone ?? "America/Sao_Paulo";
  const local = DateTime.now().setZone(zone);
  const today = local.toFormat("yyyy-MM-dd");
  const ddmmyy = local.toFormat("ddMMyy");
  const dropRoot = join(dir, "drop");
  const sequence = await nextSequence(db, today, dropRoot, ddmmyy);
  if (sequence > 999) {
    throw new ValidationError(
      "As 999 sequências de hoje já foram usadas: rode a demonstração de novo amanhã.",
    );
  }
  const mailing = importOnlyMailing({
    date: today,
    sequence,
    wallet: DEMO_WALLET,
    walletFrom: "folder",
    description: "",
    sms: "long",
    split: { percent: 50, everyMinutes: 1 },
  });
  // Without _d, the description is the name itself (what parse gives back).
  mailing.description = defaultDescription(mailing);
  const context = { folder: DEMO_WALLET, today, now: local.toFormat("yyyy-MM-dd'T'HH:mm") };
  const built = buildName(mailing, context);
  if (!built.ok || built.name === null || !parse(built.name, context).ok) {
    throw new Error(`demo file name refused: ${JSON.stringify(built.errors)}`);
  }
  const folder = join(dropRoot, DEMO_WALLET);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  // Written under a hidden name (never picked up) and renamed: serve never sees half a file.
  const temporary = join(folder, `.remessa-demo-${process.pid}.tmp`);
  const target = join(folder, built.name);
  try {
    writeFileSync(temporary, demoMailingCsv(sequence), { mode: 0o600 });
    renameSync(temporary, target);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }

  const lines = [
    setup.created.length > 0
      ? `Cadastrado para a demonstração: ${setup.created.join(", ")}${setup.reused > 0 ? ` (${setup.reused} já existiam e foram reaproveitados)` : ""}.`
      : `Carteira ${DEMO_WALLET}, remetentes, conta de e-mail e template da demonstração já existiam: reaproveitados.`,
    `Todos enviam pelo provedor "outbox": as mensagens ficam na caixa de saída, nada sai de verdade.`,
    "",
    `Mailing de exemplo (${PEOPLE} pessoas, campanha SMS long code em duas ondas de 50 %, um minuto entre elas):`,
    `  ${target}`,
    "",
    `Com o serve rodando (npm start, ou remessa serve --data-dir ${dir}), em até um minuto:`,
    `  - o arquivo vai para ${join(folder, "LIDOS")}, com o relatório .resultado.txt ao lado;`,
    `  - "remessa campaigns list" mostra a campanha e quantas mensagens já saíram;`,
    `  - "remessa outbox list" mostra as mensagens; a segunda onda sai um minuto depois da primeira.`,
  ];
  if (!existsSync(join(dir, "drop-source-name"))) {
    lines.push(
      "",
      `Atenção: o serve ainda não rodou com a pasta de dados ${dir}. Inicie-o em outro terminal (npm start, ou remessa serve --data-dir ${dir}); o arquivo espera na pasta até lá.`,
    );
  }
  console.log(lines.join("\n"));
  return EXIT.ok;
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv, OPTIONS, HELP);
  if (typeof parsed === "number") return parsed;
  const dir = dataDir();
  return withStore(DEFAULT_TENANT_ID, (store) => prepare(store, dir));
}
