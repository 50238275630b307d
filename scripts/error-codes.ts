/**
 * Generates docs/codigos.md, the table of every code a person can meet, from the guides declared
 * in the code (src/codes.ts), so the documentation cannot drift from what remessa reports.
 *
 *   npm run docs:codes            writes docs/codigos.md
 *   npm run docs:codes -- --check  exits 1 when docs/codigos.md is stale
 *
 * test/docs/error-codes.test.ts runs the same check.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CODE_SECTIONS, type CodeSection } from "../src/codes.js";

export const CODES_DOC = fileURLToPath(new URL("../docs/codigos.md", import.meta.url));

/**
 * A table cell: one line, plain text. `|` would end the cell, `_` and `*` would start emphasis
 * (the texts are full of `_c`, `mailing_`), `<` an HTML tag: each is escaped.
 */
function cell(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").replace(/[|_*<]/g, (c) => `\\${c}`);
}

/**
 * The anchor GitHub gives a heading: lower case, only letters (accents kept), digits, spaces,
 * `_` and `-`, each space a `-` ("Conteúdo: o arquivo" → "conteúdo-o-arquivo").
 */
export function headingAnchor(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

function section(s: CodeSection): string[] {
  const codes = Object.keys(s.codes).sort();
  const lines = [`## ${s.title}`, "", s.where, "", "| Código | O que significa | O que fazer |"];
  lines.push("| --- | --- | --- |");
  for (const code of codes) {
    const guide = s.codes[code]!;
    lines.push(`| \`${code}\` | ${cell(guide.meaning)} | ${cell(guide.action)} |`);
  }
  lines.push("");
  return lines;
}

const BIOME = fileURLToPath(new URL("../node_modules/.bin/biome", import.meta.url));

/**
 * The whole docs/codigos.md text, as Biome formats it (it pads the tables' columns), so that
 * `npm run lint` accepts the generated file as it is.
 */
export function renderCodesDoc(sections: readonly CodeSection[] = CODE_SECTIONS): string {
  const formatted = spawnSync(BIOME, ["format", `--stdin-file-path=${CODES_DOC}`], {
    input: rawCodesDoc(sections),
    encoding: "utf8",
  });
  if (formatted.status !== 0) {
    throw new Error(`biome format failed: ${formatted.error?.message ?? formatted.stderr}`);
  }
  return formatted.stdout;
}

/** docs/codigos.md before formatting. */
function rawCodesDoc(sections: readonly CodeSection[]): string {
  const total = sections.reduce((n, s) => n + Object.keys(s.codes).length, 0);
  const lines = [
    "# Códigos de erro",
    "",
    "<!-- Gerado por `npm run docs:codes` a partir de src/codes.ts: não edite à mão. -->",
    "",
    `Todos os códigos que o remessa mostra (${total} no total), com o que significam e o que fazer. Os códigos são estáveis: aparecem entre colchetes nos relatórios (\`[DATA_NAO_E_HOJE]\`), na coluna \`codigo\` do \`.rejeitados.csv\` e no \`--json\` dos comandos, e podem ser usados em integrações. A mensagem que acompanha cada ocorrência diz o caso concreto (qual parâmetro, qual linha, qual valor); aqui está o sentido geral de cada código.`,
    "",
    "Veja também: [o nome do arquivo](nome-do-arquivo.md), [o conteúdo do arquivo](conteudo.md) e [para onde vão os arquivos e os relatórios](relatorios.md).",
    "",
    ...sections.map((s) => `- [${s.title}](#${headingAnchor(s.title)})`),
    "",
  ];
  const codeSections = new Map<string, string[]>();
  for (const s of sections) {
    lines.push(...section(s));
    for (const code of Object.keys(s.codes)) {
      codeSections.set(code, [...(codeSections.get(code) ?? []), s.title]);
    }
  }
  const shared = [...codeSections].filter(([, titles]) => titles.length > 1);
  if (shared.length > 0) {
    lines.push("## Códigos em mais de uma seção", "");
    for (const [code, titles] of shared.sort()) {
      lines.push(`- \`${code}\`: ${titles.join("; ")}.`);
    }
    lines.push("");
  }
  return lines.join("\n");
}

function main(): void {
  const wanted = renderCodesDoc();
  if (process.argv.includes("--check")) {
    let current = "";
    try {
      current = readFileSync(CODES_DOC, "utf8");
    } catch {}
    if (current !== wanted) {
      console.error("docs/codigos.md está desatualizado: rode npm run docs:codes e faça o commit.");
      process.exit(1);
    }
    return;
  }
  writeFileSync(CODES_DOC, wanted);
  console.log(`docs/codigos.md gerado.`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
