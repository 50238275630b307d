/**
 * Audit of operator actions made through the CLI (issue 15). `main` records
 * the invocation (command, arguments, who: `--actor NAME` or the OS user);
 * `withStore` (src/cli/store.ts) appends one event when a command that
 * changes something ends well, so every command is covered without each one
 * having to remember. A command that writes its own, richer event (the
 * restriction lists) calls `markAudited` so the invocation is not recorded
 * twice. Reads (list, show, …) are not recorded, except for commands about
 * people (`persons`), whose every use is a privacy action.
 *
 * Argument values can be personal data (a phone, a CPF): only option names
 * are kept, and the object (the positional after the action) is kept only
 * for commands that do not name people.
 */
import { userInfo } from "node:os";
import type { Kysely } from "kysely";
import { appendAudit } from "../store/audit.js";
import type { Database } from "../store/schema.js";

interface CliInvocation {
  command: string;
  argv: string[];
  actor: string;
  audited: boolean;
}

let current: CliInvocation | null = null;

/** Commands that change nothing (or nothing an operator answers for). */
const READ_COMMANDS = new Set([
  "check-name",
  "build-name",
  "inspect",
  "outbox",
  "audit",
  "serve",
  "migrate",
]);
const READ_ACTIONS = new Set(["list", "show", "test", "help", "search"]);
/** Commands whose arguments name a person (their use is recorded without the object). */
const PEOPLE_COMMANDS = new Set(["persons", "interactions"]);
/** Options that take no value (so the next argument is a positional). */
const FLAGS = new Set([
  "active",
  "all",
  "allow-private",
  "clear",
  "default",
  "email",
  "force",
  "help",
  "json",
  "password-stdin",
  "platform-default",
  "remove-other-wallets",
  "replace-tags",
  "sanitize",
  "tls-insecure",
  "yes",
]);

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? "desconhecido";
  }
}

/**
 * Records the invocation and returns its arguments without the global
 * `--actor NAME` (who acts, when the OS user is a shared service account).
 */
export function beginCliInvocation(command: string, argv: readonly string[]): string[] {
  const rest: string[] = [];
  let actor: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "--") {
      rest.push(...argv.slice(i));
      break;
    }
    if (a === "--actor" && i + 1 < argv.length) {
      actor = argv[++i] as string;
    } else if (a.startsWith("--actor=")) {
      actor = a.slice("--actor=".length);
    } else {
      rest.push(a);
    }
  }
  const who = actor?.trim() || process.env.REMESSA_ACTOR?.trim() || osUser();
  current = { command, argv: rest, actor: `cli:${who}`, audited: false };
  return rest;
}

/** Who is acting in this CLI process ("cli:<name>"). */
export function cliActor(): string {
  return current?.actor ?? `cli:${osUser()}`;
}

/** The command wrote its own audit event: do not record the invocation again. */
export function markAudited(): void {
  if (current) current.audited = true;
}

/** Positional arguments and option names, told apart without the command's option table. */
function split(argv: readonly string[]): { positionals: string[]; options: string[] } {
  const positionals: string[] = [];
  const options: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith("--")) {
      const [name, inline] = a.slice(2).split("=", 2) as [string, string | undefined];
      options.push(name);
      if (inline === undefined && !FLAGS.has(name)) i++;
      continue;
    }
    if (a.startsWith("-") && a.length > 1) continue;
    positionals.push(a);
  }
  return { positionals, options };
}

/**
 * Appends the event of the finished invocation when it is an operator
 * action, for `tenantId` (or, for `tenants set ID`, that tenant).
 */
export async function auditCliInvocation(
  db: Kysely<Database>,
  tenantId: number | null,
): Promise<void> {
  const inv = current;
  if (!inv || inv.audited || READ_COMMANDS.has(inv.command)) return;
  const { positionals, options } = split(inv.argv);
  if (options.includes("help")) return;
  const people = PEOPLE_COMMANDS.has(inv.command);
  const action = positionals[0];
  if (!people && action !== undefined && READ_ACTIONS.has(action)) return;
  let tenant = tenantId;
  if (tenant === null && inv.command === "tenants" && action === "set") {
    const id = Number(positionals[1]);
    tenant = Number.isInteger(id) && id > 0 ? id : null;
  }
  if (tenant === null) return;
  inv.audited = true;
  // `import FILE` has no action word: the file is its object.
  const hasAction =
    action !== undefined && /^[a-z][a-z-]*$/.test(action) && inv.command !== "import";
  await appendAudit(db, {
    tenantId: tenant,
    actor: inv.actor,
    action: `cli:${inv.command}${hasAction ? ` ${action}` : ""}`,
    subject: people ? null : ((hasAction ? positionals[1] : positionals[0]) ?? null),
    details: options.length > 0 ? { options: [...new Set(options)] } : null,
  });
}
