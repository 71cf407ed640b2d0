/**
 * Serves the production build (dist/) with the COOP/COEP headers the README's start command
 * sends, plus model folders under /models/<id>/ laid out as a self-hosted mirror — the
 * "custom base URL" model source. Records every request so tests can assert on traffic.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.onnx': 'application/octet-stream',
  '.txt': 'text/plain',
  '.map': 'application/json',
  '.png': 'image/png',
  '.webmanifest': 'application/manifest+json',
};

export interface TestServer {
  url: string;
  requests: string[];
  /** Serve `body` at `path` instead of the file (a new deploy of one file); null: the file again. */
  override(path: string, body: string | null): void;
  /** Drop the connection after `bytes` of this file (the network lost mid-download); null: whole again. */
  cut(path: string, bytes: number | null): void;
  close(): Promise<void>;
}

/**
 * `models` maps a model id (as used in the URL) to a folder on disk; `mounts` maps other URL
 * prefixes (`/bench/`) to folders. `isolation: false` serves without COOP/COEP, like a static
 * host (GitHub Pages) that cannot send headers.
 */
export async function startServer(
  distDir: string,
  models: Record<string, string>,
  mounts: Record<string, string> = {},
  options: { isolation?: boolean } = {},
): Promise<TestServer> {
  const requests: string[] = [];
  const overrides = new Map<string, string>();
  const cuts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push(url.pathname);
    const path = decodeURIComponent(url.pathname);
    const replaced = overrides.get(path);
    let file: string | null = null;
    const m = /^\/models\/(.+?)\/([^/].*)$/.exec(path);
    const mount = Object.keys(mounts).find((prefix) => path.startsWith(prefix));
    if (mount) {
      const rel = path.slice(mount.length);
      file = safeJoin(mounts[mount], rel === '' ? 'index.html' : rel);
    } else if (m) {
      const id = Object.keys(models).find((k) => m[1] === k);
      // Anything else under /models/ is the site's own (what the build ships in dist/models/).
      file = id ? safeJoin(models[id], m[2]) : safeJoin(distDir, path.slice(1));
    } else {
      file = safeJoin(distDir, path === '/' ? 'index.html' : path.slice(1));
    }
    if (options.isolation !== false) {
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
      res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    }
    if (replaced !== undefined && file) {
      res.setHeader('Content-Type', TYPES[extname(file)] ?? 'application/octet-stream');
      res.end(replaced);
      return;
    }
    if (!file || !existsSync(file) || !statSync(file).isFile()) {
      res.statusCode = 404;
      res.end('not found');
      return;
    }
    res.setHeader('Content-Type', TYPES[extname(file)] ?? 'application/octet-stream');
    res.setHeader('Content-Length', statSync(file).size);
    const cut = cuts.get(path);
    if (cut !== undefined) {
      // Promise the whole file, send part of it, then drop the connection.
      res.flushHeaders();
      createReadStream(file, { start: 0, end: cut - 1 })
        .on('data', (chunk) => res.write(chunk))
        .on('end', () => setTimeout(() => res.socket?.destroy(), 50));
      return;
    }
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    override: (path, body) => (body === null ? overrides.delete(path) : overrides.set(path, body)),
    cut: (path, bytes) => (bytes === null ? cuts.delete(path) : cuts.set(path, bytes)),
    close: () => new Promise((r) => server.close(() => r())),
  };
}

function safeJoin(root: string, rel: string): string | null {
  const full = resolve(join(root, normalize(rel)));
  return full.startsWith(resolve(root)) ? full : null;
}
