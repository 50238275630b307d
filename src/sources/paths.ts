import { posix } from "node:path";
import { SourceError } from "./errors.js";

/**
 * Normalises a path relative to the source root: POSIX separators, no leading
 * "/" or "./", and never a ".." that would climb out of the root. "" is the root.
 */
export function normalizeRelative(path: string): string {
  const parts: string[] = [];
  for (const part of path.replaceAll("\\", "/").split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      throw new SourceError(
        "CAMINHO_INVALIDO",
        `O caminho "${path}" sai da pasta raiz da origem: use caminhos dentro da raiz, sem "..".`,
      );
    }
    if (part.includes("\0")) {
      throw new SourceError("CAMINHO_INVALIDO", `O caminho "${path}" contém um caractere nulo.`);
    }
    parts.push(part);
  }
  return parts.join("/");
}

/**
 * Whether a name from a server's listing is one plain path segment. Others
 * (a backslash, which remessa reads as a separator, as in "..\x.csv"; a
 * slash; NUL; "." or "..") cannot be addressed safely: listings leave them
 * out, as they leave out symbolic links, instead of failing for the whole
 * folder.
 */
export function isPlainName(name: string): boolean {
  return (
    name !== "" &&
    name !== "." &&
    name !== ".." &&
    !name.includes("/") &&
    !name.includes("\\") &&
    !name.includes("\0")
  );
}

export function joinRelative(folder: string, name: string): string {
  const base = normalizeRelative(folder);
  return base === "" ? normalizeRelative(name) : `${base}/${normalizeRelative(name)}`;
}

/** Absolute server path for a path relative to the root. */
export function resolveUnder(root: string, relative: string): string {
  const rel = normalizeRelative(relative);
  const base = root === "" ? "/" : root;
  return rel === "" ? base : posix.join(base, rel);
}

export function baseName(path: string): string {
  const rel = normalizeRelative(path);
  const slash = rel.lastIndexOf("/");
  return slash < 0 ? rel : rel.slice(slash + 1);
}

export function parentOf(path: string): string {
  const rel = normalizeRelative(path);
  const slash = rel.lastIndexOf("/");
  return slash < 0 ? "" : rel.slice(0, slash);
}

/**
 * The n-th name tried on a clash: 1 → the name itself, 2 → "a-2.csv", 3 → "a-3.csv".
 * The suffix goes before the last extension; names without one (or dot-files)
 * get it at the end.
 */
export function clashName(name: string, attempt: number): string {
  if (attempt <= 1) return name;
  const dot = name.lastIndexOf(".");
  if (dot <= 0) return `${name}-${attempt}`;
  return `${name.slice(0, dot)}-${attempt}${name.slice(dot)}`;
}

/** Upper bound on clash suffixes tried before giving up (a folder full of copies is a bug). */
export const MAX_CLASH_ATTEMPTS = 10_000;

export function firstFreeName(name: string, taken: ReadonlySet<string>): string {
  for (let attempt = 1; attempt <= MAX_CLASH_ATTEMPTS; attempt++) {
    const candidate = clashName(name, attempt);
    if (!taken.has(candidate)) return candidate;
  }
  throw tooManyClashes(name);
}

export function tooManyClashes(name: string): SourceError {
  return new SourceError(
    "ERRO_SERVIDOR",
    `Já existem ${MAX_CLASH_ATTEMPTS} arquivos com o nome "${name}" no destino: limpe a pasta e tente de novo.`,
  );
}
