/**
 * Serves the web console (web/, built by Vite to dist/web) at `/` on the API's
 * own origin, so the browser calls the API with no CORS. The console routes
 * with the URL's hash (`/#/arquivos`), so only `/` and the built assets are
 * served here and every other path stays the API's (an unknown API path still
 * answers its JSON 404, never the console's page).
 *
 * Assets carry a content hash in their names: cached for a year, immutable.
 * index.html is revalidated on every load, so a new build is seen at once.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
};

/** Where the built console is: REMESSA_CONSOLE_DIR, else dist/web beside the code (src or dist). */
export function consoleDir(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.REMESSA_CONSOLE_DIR) return resolve(env.REMESSA_CONSOLE_DIR);
  const here = fileURLToPath(new URL(".", import.meta.url));
  // From src/api/ (tsx) or dist/api/ (built): the repository's dist/web.
  for (const candidate of [join(here, "..", "..", "dist", "web"), join(here, "..", "web")]) {
    if (existsSync(join(candidate, "index.html"))) return candidate;
  }
  return null;
}

const NOT_BUILT = `<!doctype html>
<html lang="pt-BR"><head><meta charset="utf-8"><title>remessa</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto">
<h1>Console do remessa ainda não compilado</h1>
<p>Este servidor não encontrou o console web. Compile-o uma vez com <code>npm run build</code>
e reinicie o <code>serve</code>. A API já responde: veja a referência em <a href="/docs">/docs</a>.</p>
</body></html>`;

export function registerConsole(app: FastifyInstance, dir: string | null): void {
  app.get("/", async (_request, reply) => {
    reply.header("cache-control", "no-cache");
    reply.header("x-content-type-options", "nosniff");
    reply.header("referrer-policy", "no-referrer");
    reply.header(
      "content-security-policy",
      "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
    );
    if (dir === null) return reply.code(503).type("text/html; charset=utf-8").send(NOT_BUILT);
    const html = await readFile(join(dir, "index.html"));
    return reply.type("text/html; charset=utf-8").send(html);
  });
  app.get<{ Params: { file: string } }>("/assets/:file", async (request, reply) => {
    const name = request.params.file;
    const type = TYPES[extname(name)];
    // One path segment of plain characters: no traversal, no hidden files.
    if (dir === null || type === undefined || !/^[\w.-]+$/.test(name) || name.startsWith(".")) {
      return reply.callNotFound();
    }
    const path = join(dir, "assets", name);
    if (!path.startsWith(join(dir, "assets") + sep)) return reply.callNotFound();
    let body: Buffer;
    try {
      body = await readFile(path);
    } catch {
      return reply.callNotFound();
    }
    reply.header("cache-control", "public, max-age=31536000, immutable");
    reply.header("x-content-type-options", "nosniff");
    return reply.type(type).send(body);
  });
}
