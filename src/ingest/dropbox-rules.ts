/**
 * What an FTP user of the drop box may do where: pure rules, no I/O.
 *
 * The drop box root is the pipeline's drop folder. The pipeline reads files
 * directly in the root and directly in its sub-folders (one per wallet), never
 * hidden names and never deeper (SPEC §2.1); `LIDOS` and `DESCARTADOS` hold
 * what it has processed. So an upload anywhere else would sit forever unread,
 * and a change inside `LIDOS`/`DESCARTADOS` would make read files be processed
 * again or delete reports: both are refused with a reply saying where files go.
 * Paths here are relative POSIX paths under the root ("" is the root itself).
 */

/** Prefix of the hidden names uploads are received under until complete. */
export const UPLOAD_TEMP_PREFIX = ".remessa-envio-";

/** The longest file name a Linux file system stores (bytes, not characters). */
export const MAX_NAME_BYTES = 255;

const RESERVED = new Set(["LIDOS", "DESCARTADOS"]);

export function isReservedFolder(segment: string): boolean {
  return RESERVED.has(segment.toUpperCase());
}

function isHidden(segment: string): boolean {
  return segment.startsWith(".") || segment.startsWith("~");
}

/** A character shown as an escape in messages (a control character must never be echoed raw). */
function visible(char: string): string {
  const named: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };
  return named[char] ?? `U+${char.codePointAt(0)?.toString(16).toUpperCase().padStart(4, "0")}`;
}

// C0 controls, DEL and C1 controls: none belongs in a file name, and a line
// break in one would split an FTP reply or forge a report line.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find them
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;

/**
 * Problems with a name a client asks to create (upload, rename, folder), from
 * the raw command text: ftp-srv drops every `"` of a command before it parses
 * it, so a name with quotes would silently be saved under another name.
 */
export function nameProblem(rawArgument: string): string | null {
  if (rawArgument.includes('"')) {
    return 'Nomes com aspas (") não são aceitos: o arquivo seria gravado com outro nome. Renomeie sem aspas e envie de novo.';
  }
  const control = CONTROL.exec(rawArgument);
  if (control) {
    return `O nome tem um caractere de controle (${visible(control[0])}) na posição ${control.index + 1}: nomes não podem ter quebras de linha, tabulações nem outros caracteres de controle. Renomeie e envie de novo.`;
  }
  for (const segment of rawArgument.split(/[/\\]/)) {
    const bytes = Buffer.byteLength(segment, "utf8");
    if (bytes > MAX_NAME_BYTES) {
      return `Nome longo demais: ${bytes} bytes, o máximo é ${MAX_NAME_BYTES}. Encurte a descrição (_d) ou outros parâmetros e envie de novo.`;
    }
  }
  return null;
}

const WHERE_FILES_GO =
  "Envie os arquivos para a raiz (/) ou para a pasta da carteira (ex.: /BRAD/mailing_261126_1.csv).";

export type Placement = { ok: true } | { ok: false; reason: string };

/** Where a file may be uploaded to, or renamed to: somewhere the pipeline reads. */
export function uploadPlacement(rel: string): Placement {
  const parts = rel.split("/").filter((p) => p !== "");
  const name = parts.at(-1);
  if (!name) return { ok: false, reason: `Informe o nome do arquivo. ${WHERE_FILES_GO}` };
  if (parts.slice(0, -1).some(isReservedFolder)) {
    return { ok: false, reason: readOnlyReason(parts) };
  }
  if (parts.length > 2) {
    return {
      ok: false,
      reason: `Arquivos em pastas dentro de pastas nunca são lidos. ${WHERE_FILES_GO}`,
    };
  }
  if (parts.length === 2 && isHidden(parts[0] as string)) {
    return {
      ok: false,
      reason: `Pastas começando com "." ou "~" nunca são lidas. ${WHERE_FILES_GO}`,
    };
  }
  if (isHidden(name)) {
    return {
      ok: false,
      reason: `Arquivos com nome começando com "." ou "~" nunca são lidos: use o nome final (mailing_DDMMAA_SEQ...). ${WHERE_FILES_GO}`,
    };
  }
  if (parts.length === 1 && isReservedFolder(name)) {
    return { ok: false, reason: readOnlyReason(parts) };
  }
  return { ok: true };
}

function readOnlyReason(parts: string[]): string {
  const folder = parts.find(isReservedFolder) ?? "LIDOS";
  return `${folder} é só para consulta: baixe os arquivos e relatórios, mas não envie, renomeie nem apague nada ali. ${WHERE_FILES_GO}`;
}

/** Where a folder may be created or removed: a wallet folder directly in the root. */
export function folderPlacement(rel: string): Placement {
  const parts = rel.split("/").filter((p) => p !== "");
  if (parts.length === 0) return { ok: false, reason: "A raiz não pode ser criada nem removida." };
  if (parts.some(isReservedFolder)) return { ok: false, reason: readOnlyReason(parts) };
  if (parts.length > 1) {
    return {
      ok: false,
      reason:
        "Só é possível criar pastas de carteira direto na raiz (ex.: /BRAD): pastas dentro de pastas nunca são lidas.",
    };
  }
  if (isHidden(parts[0] as string)) {
    return { ok: false, reason: 'Pastas começando com "." ou "~" nunca são lidas.' };
  }
  return { ok: true };
}

/** Whether an existing file may be deleted or renamed: not in LIDOS/DESCARTADOS, not ours. */
export function changePlacement(rel: string): Placement {
  const parts = rel.split("/").filter((p) => p !== "");
  // DELE / would rmdir an empty drop folder: every later upload failed until a restart.
  if (parts.length === 0) {
    return { ok: false, reason: "A raiz da caixa não pode ser apagada nem renomeada." };
  }
  if (parts.some(isReservedFolder)) return { ok: false, reason: readOnlyReason(parts) };
  if (parts.at(-1)?.startsWith(UPLOAD_TEMP_PREFIX)) {
    return { ok: false, reason: "Arquivo ou pasta não encontrado." };
  }
  return { ok: true };
}
