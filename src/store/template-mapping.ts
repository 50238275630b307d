/**
 * Which mailing column fills which parameter of a WhatsApp template (SPEC §8):
 * the body's `{{n}}`, the header (one text `{{1}}`, or the link of an image,
 * video or document header), the dynamic suffix of a URL button and the
 * payload of a quick-reply button (what Meta's webhook returns when the
 * person taps it).
 *
 * Stored in templates.params_json as a list of strings, so the rows written
 * before headers and buttons existed read unchanged (no migration):
 *   "COLUNA"                 the next body parameter ({{1}}, {{2}}… in order)
 *   "header:1=COLUNA"        the header's text parameter {{1}}
 *   "header:image=COLUNA"    image header, link from the column (also video, document)
 *   "button:0=COLUNA"        URL button 0 (the button's position, from 0): its {{1}}
 *   "button:1:quick_reply=COLUNA"  quick-reply button 1: its payload
 * `body:2=COLUNA` and `button:0:url=COLUNA` are accepted as input and stored
 * in the plain form (a URL button stays `button:N=COLUNA`, as rows written
 * before quick replies existed say).
 */
import type { FilledTemplate } from "../campaigns/channel.js";
import { normalizeColumnName } from "../mailing/header.js";
import { ValidationError } from "./tenants.js";

export const HEADER_MEDIA = ["image", "video", "document"] as const;
export type HeaderMedia = (typeof HEADER_MEDIA)[number];

export type HeaderMapping =
  | { kind: "text"; columns: string[] }
  | { kind: HeaderMedia; column: string };

export interface TemplateMapping {
  /** Body parameters in order: the first fills {{1}}. */
  body: string[];
  header: HeaderMapping | null;
  /** Buttons by position (from 0), sorted: a URL's dynamic suffix or a quick reply's payload. */
  buttons: ButtonMapping[];
}

/** Button kinds a mapping fills, as Meta's send request names them (`sub_type`). */
export const BUTTON_KINDS = ["url", "quick_reply"] as const;
export type ButtonKind = (typeof BUTTON_KINDS)[number];

export interface ButtonMapping {
  index: number;
  column: string;
  /** Absent: url (the only kind before quick replies). */
  kind?: ButtonKind;
}

/** The button's kind, url when the mapping does not say. */
export function buttonKind(b: { kind?: ButtonKind | undefined }): ButtonKind {
  return b.kind ?? "url";
}

/** Meta allows at most 10 buttons in a template. */
const MAX_BUTTONS = 10;

const PREFIXED = /^\s*(header|body|button)\s*:\s*([^=]*?)\s*=\s*(.*)$/i;

function column(raw: string): string {
  return raw
    .trim()
    .replace(/^\[(.*)\]$/, "$1")
    .trim();
}

/** The columns a mapping reads, each once (for loading a person's values). */
export function mappingColumns(mapping: TemplateMapping): string[] {
  const all = [...mapping.body, ...mapping.buttons.map((b) => b.column)];
  if (mapping.header?.kind === "text") all.push(...mapping.header.columns);
  else if (mapping.header) all.push(mapping.header.column);
  return [...new Set(all)];
}

/**
 * Reads a stored or typed list into a mapping. Throws ValidationError (pt-BR)
 * on a malformed entry; `bodyCount` is checked by the caller (it knows the text).
 */
export function parseTemplateMapping(entries: readonly string[]): TemplateMapping {
  const plainBody: string[] = [];
  const numberedBody = new Map<number, string>();
  const headerText = new Map<number, string>();
  let headerMedia: { kind: HeaderMedia; column: string } | null = null;
  const buttons = new Map<number, { column: string; kind: ButtonKind }>();
  for (const entry of entries) {
    const prefixed = PREFIXED.exec(entry);
    if (!prefixed) {
      const c = column(entry);
      if (normalizeColumnName(c) === "") {
        throw new ValidationError(
          "Cada --param deve ser o nome de uma coluna do mailing (por exemplo NOME_CLIENTE ou CORINGA1).",
        );
      }
      plainBody.push(c);
      continue;
    }
    const part = (prefixed[1] as string).toLowerCase();
    const slot = (prefixed[2] as string).toLowerCase();
    const c = column(prefixed[3] as string);
    if (normalizeColumnName(c) === "") throw badColumn(entry);
    if (part === "header") {
      if ((HEADER_MEDIA as readonly string[]).includes(slot)) {
        if (headerMedia) {
          throw new ValidationError(
            `"${entry}": o cabeçalho já tem mídia (${headerMedia.kind}=${headerMedia.column}); um template tem um só cabeçalho.`,
          );
        }
        headerMedia = { kind: slot as HeaderMedia, column: c };
        continue;
      }
      if (slot !== "1") {
        throw new ValidationError(
          `"${entry}": o cabeçalho de texto do WhatsApp tem um só parâmetro, {{1}} (use header:1=COLUNA), ou é uma mídia (header:image=COLUNA, header:video=COLUNA ou header:document=COLUNA com o link).`,
        );
      }
      if (headerText.has(1)) throw repeated(entry, "header:1");
      headerText.set(1, c);
      continue;
    }
    if (part === "button") {
      const b = /^(\d{1,3})(?:\s*:\s*(.*))?$/.exec(slot);
      const n = b ? Number(b[1]) : Number.NaN;
      if (!(n >= 0 && n < MAX_BUTTONS)) {
        throw new ValidationError(
          `"${entry}": o botão é indicado pela posição, de 0 a ${MAX_BUTTONS - 1} (button:0=COLUNA preenche o final da URL do primeiro botão; button:0:quick_reply=COLUNA, o payload de uma resposta rápida).`,
        );
      }
      const kind = (b?.[2] ?? "url").trim();
      if (!(BUTTON_KINDS as readonly string[]).includes(kind)) {
        throw new ValidationError(
          `"${entry}": tipo de botão "${kind}" desconhecido; use button:${n}=COLUNA (final da URL) ou button:${n}:quick_reply=COLUNA (payload da resposta rápida).`,
        );
      }
      if (buttons.has(n)) throw repeated(entry, `button:${n}`);
      buttons.set(n, { column: c, kind: kind as ButtonKind });
      continue;
    }
    const n = /^\d{1,3}$/.test(slot) ? Number(slot) : Number.NaN;
    if (part === "body") {
      if (!(n >= 1)) {
        throw new ValidationError(
          `"${entry}": o número do parâmetro do texto vem depois de body: e começa em 1 (body:1=COLUNA).`,
        );
      }
      if (numberedBody.has(n)) throw repeated(entry, `body:${n}`);
      numberedBody.set(n, c);
    }
  }
  if (headerMedia && headerText.size > 0) {
    throw new ValidationError(
      "Um template tem um só cabeçalho: de texto (header:1=COLUNA) ou de mídia (header:image=COLUNA), não os dois.",
    );
  }
  let body = plainBody;
  if (numberedBody.size > 0) {
    if (plainBody.length > 0) {
      throw new ValidationError(
        "Informe os parâmetros do texto todos só com a coluna, na ordem, ou todos numerados (body:1=COLUNA), não misturados.",
      );
    }
    body = [];
    for (let n = 1; n <= numberedBody.size; n++) {
      const c = numberedBody.get(n);
      if (c === undefined) {
        throw new ValidationError(
          `Falta body:${n}=COLUNA: numere os parâmetros do texto em sequência, a partir de 1.`,
        );
      }
      body.push(c);
    }
  }
  return {
    body,
    header: headerMedia
      ? headerMedia
      : headerText.size > 0
        ? { kind: "text", columns: [headerText.get(1) as string] }
        : null,
    buttons: [...buttons]
      .sort(([a], [b]) => a - b)
      .map(([index, b]) =>
        b.kind === "url" ? { index, column: b.column } : { index, column: b.column, kind: b.kind },
      ),
  };
}

/** The stored form: body columns plain and in order, then header, then buttons. */
export function serializeTemplateMapping(mapping: TemplateMapping): string[] {
  const out = [...mapping.body];
  if (mapping.header?.kind === "text") {
    mapping.header.columns.forEach((c, i) => {
      out.push(`header:${i + 1}=${c}`);
    });
  } else if (mapping.header) out.push(`header:${mapping.header.kind}=${mapping.header.column}`);
  for (const b of mapping.buttons) {
    const kind = buttonKind(b);
    out.push(`button:${b.index}${kind === "url" ? "" : `:${kind}`}=${b.column}`);
  }
  return out;
}

/** A mapping read from storage: never throws (what was stored was checked when written). */
export function storedTemplateMapping(entries: readonly string[]): TemplateMapping {
  try {
    return parseTemplateMapping(entries);
  } catch {
    return { body: entries.map(String), header: null, buttons: [] };
  }
}

/** One line per part, pt-BR: `{{1}}=NOME, cabeçalho {{1}}=X, botão 0=Y`. */
export function describeTemplateMapping(mapping: TemplateMapping): string {
  const parts = mapping.body.map((c, i) => `{{${i + 1}}}=${c}`);
  if (mapping.header?.kind === "text") parts.push(`cabeçalho {{1}}=${mapping.header.columns[0]}`);
  else if (mapping.header) parts.push(`cabeçalho ${mapping.header.kind}=${mapping.header.column}`);
  for (const b of mapping.buttons) {
    parts.push(
      `botão ${b.index}${buttonKind(b) === "quick_reply" ? " (resposta rápida)" : ""}=${b.column}`,
    );
  }
  return parts.length > 0 ? parts.join(", ") : "sem parâmetros";
}

function badColumn(entry: string): ValidationError {
  return new ValidationError(
    `"${entry}": cada --param deve ser o nome de uma coluna do mailing (por exemplo NOME_CLIENTE ou CORINGA1), com header:, body: ou button: na frente quando não for do texto.`,
  );
}

function repeated(entry: string, slot: string): ValidationError {
  return new ValidationError(`"${entry}": ${slot} foi informado mais de uma vez.`);
}

/**
 * A template with one person's values (`columnValue` gives a column's value, ""
 * when the person has none), or a pt-BR reason the message cannot go: a
 * media header needs a link, which Meta fetches.
 */
export function fillTemplate(
  template: { name: string; language: string; params: readonly string[] },
  columnValue: (column: string) => string,
  /** `template.params` already parsed (a dispatcher fills one template per message of a batch). */
  mapping: TemplateMapping = storedTemplateMapping(template.params),
): FilledTemplate | string {
  const filled: FilledTemplate = {
    name: template.name,
    language: template.language,
    params: mapping.body.map(columnValue),
  };
  if (mapping.header?.kind === "text") {
    filled.header = { type: "text", params: mapping.header.columns.map(columnValue) };
  } else if (mapping.header) {
    const link = columnValue(mapping.header.column).trim();
    if (!/^https?:\/\/\S+$/i.test(link)) {
      return link === ""
        ? `A coluna ${mapping.header.column} está vazia: o cabeçalho (${mapping.header.kind}) do template "${template.name}" precisa do link do arquivo.`
        : `A coluna ${mapping.header.column} não tem um link http(s) para o cabeçalho (${mapping.header.kind}) do template "${template.name}".`;
    }
    filled.header = { type: mapping.header.kind, link };
  }
  if (mapping.buttons.length > 0) {
    const buttons: NonNullable<FilledTemplate["buttons"]> = [];
    for (const b of mapping.buttons) {
      const param = columnValue(b.column);
      if (buttonKind(b) === "url") {
        buttons.push({ index: b.index, param });
        continue;
      }
      // Meta refuses a quick reply without a payload (it is what its webhook returns).
      if (param.trim() === "") {
        return `A coluna ${b.column} está vazia: o botão ${b.index} (resposta rápida) do template "${template.name}" precisa do payload.`;
      }
      buttons.push({ index: b.index, param, type: "quick_reply" });
    }
    filled.buttons = buttons;
  }
  return filled;
}
