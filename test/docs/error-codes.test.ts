import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { CODES_DOC, renderCodesDoc } from "../../scripts/error-codes.js";
import { CODE_SECTIONS } from "../../src/codes.js";

const SRC = fileURLToPath(new URL("../../src", import.meta.url));

/** Every .ts file under src, with its text. */
function sources(dir = SRC): { path: string; text: string }[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith(".ts") ? [{ path, text: readFileSync(path, "utf8") }] : [];
  });
}

/** The guides themselves: a code named only there is not a code the program uses. */
const isGuide = (path: string) => /(^|\/)codes\.ts$/.test(relative(SRC, path));

/**
 * Quoted upper-case words with `_` that are not codes a person sees: column names, environment
 * variables, and the system's and the databases' own error codes, which remessa translates.
 */
const NOT_CODES = [
  /^(TIPO_DE_REGISTRO|VALOR_DO_REGISTRO|NOME_CLIENTE|ENVIADO_EM|ULTIMA_SITUACAO_EM)$/,
  /^(REMESSA|SQLITE|ERR|EAI|FST)_/,
  // Meta's names of the WhatsApp messaging tiers, read from its answers.
  /^TIER_/,
  // Meta's template button type, read from its template listing.
  /^QUICK_REPLY$/,
];

/**
 * A string literal that looks like a code: upper case with `_` (Biome writes strings with double
 * quotes; backticks in comments name identifiers). Codes without `_` (PREFIXO, RESTRITO) cannot be
 * told from words such as "ALTA" here; they are caught by the Record types of the guides instead.
 */
const LITERAL = /"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)"/g;

/** Any upper-case string literal, to find where a documented code is used. */
const WORD = /["'`]([A-Z][A-Z0-9_]*)["'`]/g;

const documented = new Set(CODE_SECTIONS.flatMap((s) => Object.keys(s.codes)));

describe("docs/codigos.md", () => {
  test("is the table generated from the code's guides (npm run docs:codes)", () => {
    let committed = "";
    try {
      committed = readFileSync(CODES_DOC, "utf8");
    } catch {}
    assert.ok(
      committed === renderCodesDoc(),
      "docs/codigos.md está desatualizado em relação a src/codes.ts (e aos guias de códigos de cada módulo): rode `npm run docs:codes` e faça o commit do arquivo gerado.",
    );
  });

  test("every code written in src has a guide, so it is in the table", () => {
    const missing = new Map<string, string>();
    for (const { path, text } of sources()) {
      if (isGuide(path)) continue;
      for (const [, code] of text.matchAll(LITERAL)) {
        if (code === undefined || documented.has(code) || NOT_CODES.some((r) => r.test(code)))
          continue;
        if (!missing.has(code)) missing.set(code, relative(SRC, path));
      }
    }
    assert.deepEqual(
      [...missing].map(([code, path]) => `${code} (src/${path})`),
      [],
      "Códigos sem texto em docs/codigos.md: acrescente cada um ao guia do seu módulo (src/*/codes.ts, reunidos em src/codes.ts) e rode `npm run docs:codes`; se não for um código que uma pessoa vê, inclua-o em NOT_CODES neste teste.",
    );
  });

  test("every documented code is used somewhere in src", () => {
    const used = new Set<string>();
    for (const { path, text } of sources()) {
      if (isGuide(path)) continue;
      for (const [, code] of text.matchAll(WORD)) if (code) used.add(code);
    }
    assert.deepEqual(
      // Numeric codes are the WhatsApp Cloud API's: looked up from its answers, never written.
      [...documented].filter((code) => !used.has(code) && !/^\d+$/.test(code)),
      [],
      "Códigos documentados que o programa não usa mais: remova-os do guia e rode `npm run docs:codes`.",
    );
  });

  test("each code says what it means and what to do, in a sentence each", () => {
    for (const section of CODE_SECTIONS) {
      for (const [code, guide] of Object.entries(section.codes)) {
        assert.match(guide.meaning, /\S.{10,}\.\)?$/s, `${code}: meaning`);
        assert.match(guide.action, /\S.{10,}\.\)?$/s, `${code}: action`);
        assert.notEqual(guide.meaning, guide.action, code);
      }
    }
  });

  test("a code in two sections means one thing in each (COLUNAS_DEMAIS: header or row)", () => {
    const seen = new Map<string, string>();
    for (const section of CODE_SECTIONS) {
      for (const [code, guide] of Object.entries(section.codes)) {
        const other = seen.get(code);
        if (other !== undefined) assert.notEqual(guide.meaning, other, code);
        seen.set(code, guide.meaning);
      }
    }
  });
});
