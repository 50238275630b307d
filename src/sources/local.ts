import { constants, type Dirent, type FSWatcher, watch as fsWatch } from "node:fs";
import { copyFile, link, lstat, mkdir, open, readdir, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { fileVanished, SourceError, systemCode } from "./errors.js";
import {
  baseName,
  clashName,
  isPlainName,
  joinRelative,
  MAX_CLASH_ATTEMPTS,
  normalizeRelative,
  parentOf,
  tooManyClashes,
} from "./paths.js";
import type {
  OpenSourceOptions,
  SourceChange,
  SourceConfig,
  SourceEntry,
  WatchableSource,
  WriteContent,
} from "./types.js";

/**
 * A directory on this machine: the embedded drop box's storage and the
 * simplest source for tests. Symbolic links are never listed or followed, so
 * nothing outside the root can be reached through one.
 */
export class LocalSource implements WatchableSource {
  readonly protocol = "local" as const;
  private readonly root: string;

  constructor(
    config: SourceConfig,
    private readonly options: OpenSourceOptions = {},
  ) {
    this.root = config.root;
  }

  private abs(relative: string): string {
    const rel = normalizeRelative(relative);
    return rel === "" ? this.root : join(this.root, ...rel.split("/"));
  }

  async list(folder: string): Promise<SourceEntry[]> {
    const base = normalizeRelative(folder);
    let dirents: Dirent[];
    try {
      dirents = await readdir(this.abs(base), { withFileTypes: true });
    } catch (error) {
      throw localError(error, base);
    }
    const entries: SourceEntry[] = [];
    for (const dirent of dirents) {
      if (!dirent.isFile() && !dirent.isDirectory()) continue;
      if (!isPlainName(dirent.name)) continue;
      const entry = await this.stat(joinRelative(base, dirent.name));
      if (entry) entries.push(entry);
    }
    return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async stat(path: string): Promise<SourceEntry | null> {
    const rel = normalizeRelative(path);
    try {
      const info = await lstat(this.abs(rel));
      if (!info.isFile() && !info.isDirectory()) return null;
      return {
        name: rel === "" ? "" : baseName(rel),
        path: rel,
        isFolder: info.isDirectory(),
        size: info.isDirectory() ? 0 : info.size,
        modifiedAt: info.mtime,
      };
    } catch (error) {
      if (systemCode(error) === "ENOENT" || systemCode(error) === "ENOTDIR") return null;
      throw localError(error, rel);
    }
  }

  async read(path: string): Promise<Readable> {
    const rel = normalizeRelative(path);
    const entry = await this.stat(rel);
    if (!entry || entry.isFolder) throw fileVanished(rel);
    try {
      // O_NOFOLLOW: the stat above refused links, this closes the window after it.
      const handle = await open(this.abs(rel), constants.O_RDONLY | constants.O_NOFOLLOW);
      return handle.createReadStream();
    } catch (error) {
      throw localError(error, rel);
    }
  }

  async move(from: string, toFolder: string, newName?: string): Promise<string> {
    const source = normalizeRelative(from);
    const folder = normalizeRelative(toFolder);
    const name = newName ?? baseName(source);
    const entry = await this.stat(source);
    if (!entry || entry.isFolder) throw fileVanished(source);
    await this.mkdir(folder);
    for (let attempt = 1; attempt <= MAX_CLASH_ATTEMPTS; attempt++) {
      const target = joinRelative(folder, clashName(name, attempt));
      // link() fails with EEXIST instead of replacing, so "is the name free"
      // and "take it" are one atomic step; the unlink then removes the old
      // name. Where hard links are not possible, an exclusive copy does the same.
      try {
        await link(this.abs(source), this.abs(target));
      } catch (error) {
        const code = systemCode(error);
        if (code === "EEXIST") continue;
        if (code === "EXDEV" || code === "EPERM" || code === "ENOTSUP" || code === "EMLINK") {
          try {
            await copyFile(this.abs(source), this.abs(target), constants.COPYFILE_EXCL);
          } catch (copyError) {
            if (systemCode(copyError) === "EEXIST") continue;
            throw localError(copyError, target);
          }
        } else {
          throw localError(error, source);
        }
      }
      try {
        await unlink(this.abs(source));
      } catch (error) {
        if (systemCode(error) !== "ENOENT") throw localError(error, source);
      }
      return target;
    }
    throw tooManyClashes(name);
  }

  async mkdir(folder: string): Promise<void> {
    const rel = normalizeRelative(folder);
    try {
      await mkdir(this.abs(rel), { recursive: true });
    } catch (error) {
      throw localError(error, rel);
    }
  }

  async write(path: string, content: WriteContent): Promise<string> {
    const rel = normalizeRelative(path);
    const folder = parentOf(rel);
    const name = baseName(rel);
    await this.mkdir(folder);
    for (let attempt = 1; attempt <= MAX_CLASH_ATTEMPTS; attempt++) {
      const target = joinRelative(folder, clashName(name, attempt));
      try {
        // "wx": create, fail if it exists — never overwrites.
        const handle = await open(this.abs(target), "wx");
        try {
          if (typeof content === "string" || content instanceof Uint8Array) {
            await handle.writeFile(content);
          } else {
            for await (const chunk of content) await handle.write(Buffer.from(chunk));
          }
        } finally {
          await handle.close();
        }
        return target;
      } catch (error) {
        if (systemCode(error) === "EEXIST") continue;
        throw localError(error, target);
      }
    }
    throw tooManyClashes(name);
  }

  async remove(path: string): Promise<boolean> {
    const rel = normalizeRelative(path);
    const entry = await this.stat(rel);
    if (!entry) return false;
    if (entry.isFolder) throw fileVanished(rel);
    try {
      await unlink(this.abs(rel));
      return true;
    } catch (error) {
      if (systemCode(error) === "ENOENT") return false;
      throw localError(error, rel);
    }
  }

  watch(listener: (change: SourceChange) => void): () => void {
    if (this.options.localWatch !== "poll") {
      try {
        const watcher: FSWatcher = fsWatch(this.root, { recursive: true }, (_event, filename) => {
          listener({ path: filename ? normalizeRelative(filename.toString()) : null });
        });
        // inotify limits or a vanished root: fall back to polling instead of going quiet.
        watcher.on("error", () => {
          watcher.close();
          stop = this.poll(listener);
        });
        let stop = () => watcher.close();
        return () => stop();
      } catch {
        // fs.watch is unavailable on some file systems (network mounts): poll.
      }
    }
    return this.poll(listener);
  }

  /** Compares listings of the root and its sub-folders every second. */
  private poll(listener: (change: SourceChange) => void): () => void {
    let previous: Map<string, string> | null = null;
    let running = false;
    const snapshot = async (): Promise<Map<string, string>> => {
      const seen = new Map<string, string>();
      for (const entry of await this.list("").catch(() => [])) {
        seen.set(entry.path, `${entry.size}:${entry.modifiedAt?.getTime()}`);
        if (!entry.isFolder) continue;
        for (const inner of await this.list(entry.path).catch(() => [])) {
          seen.set(inner.path, `${inner.size}:${inner.modifiedAt?.getTime()}`);
        }
      }
      return seen;
    };
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      void snapshot()
        .then((current) => {
          if (previous) {
            for (const [path, state] of current) {
              if (previous.get(path) !== state) listener({ path });
            }
            for (const path of previous.keys()) if (!current.has(path)) listener({ path });
          }
          previous = current;
        })
        .finally(() => {
          running = false;
        });
    }, 1000);
    timer.unref();
    return () => clearInterval(timer);
  }

  async close(): Promise<void> {}
}

function localError(error: unknown, path: string): SourceError {
  switch (systemCode(error)) {
    case "ENOENT":
    case "ENOTDIR":
      return new SourceError(
        path === "" ? "RAIZ_INEXISTENTE" : "ARQUIVO_INEXISTENTE",
        path === ""
          ? "A pasta raiz da origem não existe: crie a pasta ou corrija o caminho configurado."
          : `"${path}" não existe na origem.`,
        { cause: error },
      );
    case "EACCES":
    case "EPERM":
    case "EROFS":
      return new SourceError(
        "SEM_PERMISSAO",
        `Sem permissão para "${path || "a pasta raiz"}": dê ao usuário do remessa permissão de leitura e escrita na pasta.`,
        { cause: error },
      );
    default:
      return new SourceError(
        "ERRO_SERVIDOR",
        `Erro ao acessar "${path || "a pasta raiz"}" na origem local: ${(error as Error).message}`,
        { cause: error },
      );
  }
}

/** The configuration of a local folder as a source (no host, no credentials). */
export function localSourceConfig(root: string): SourceConfig {
  return {
    protocol: "local",
    host: "",
    port: null,
    user: "",
    password: "",
    root,
    allowPrivate: false,
    tlsFingerprint: null,
    tlsInsecure: false,
  };
}
