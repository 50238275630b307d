import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { headingAnchor } from "../../scripts/error-codes.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DOCS = join(ROOT, "docs");
const pages = [join(ROOT, "README.md"), ...readdirSync(DOCS).map((name) => join(DOCS, name))];

/** The anchors of a Markdown file's headings, outside code blocks. */
function anchors(path: string): Set<string> {
  const found = new Set<string>();
  let fenced = false;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (line.startsWith("```")) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6} (.+)$/.exec(line);
    if (heading?.[1]) found.add(headingAnchor(heading[1].replace(/`/g, "")));
  }
  return found;
}

test("every relative link of README.md and docs/ leads to a file and heading that exist", () => {
  const broken: string[] = [];
  for (const page of pages.filter((p) => p.endsWith(".md"))) {
    const text = readFileSync(page, "utf8");
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (!target || /^[a-z]+:/.test(target)) continue;
      const [file = "", anchor] = target.split("#");
      const path = file === "" ? page : join(dirname(page), file);
      if (!existsSync(path)) broken.push(`${relative(ROOT, page)}: ${target} (no such file)`);
      else if (anchor !== undefined && !anchors(path).has(anchor))
        broken.push(`${relative(ROOT, page)}: ${target} (no such heading)`);
    }
  }
  assert.deepEqual(broken, []);
});
