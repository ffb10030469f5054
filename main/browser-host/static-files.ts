// Serves the built renderer's files (and a few generated ones) with strict headers. Paths from the URL are
// decoded once, must stay inside the renderer directory, and only known file types are served.
import { createReadStream, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
  '.ico': 'image/x-icon',
};

export interface StaticRequest {
  readonly rendererDir: string;
  readonly pathname: string;
  readonly extraFiles: Readonly<Record<string, { readonly body: string; readonly type: string }>>;
  readonly csp: string;
  /** The page `/` serves (default index.html; the agent console's host serves agent.html). */
  readonly indexFile?: string;
}

function securityHeaders(csp: string): Record<string, string> {
  return {
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'x-frame-options': 'DENY',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), usb=(), serial=(), hid=()',
    'cache-control': 'no-store',
  };
}

/** The file a URL path names inside `root`, or null when it escapes it or is not a servable file. */
export function resolveInside(root: string, pathname: string, indexFile = 'index.html'): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch (error: unknown) {
    if (error instanceof URIError) return null;
    throw error;
  }
  if (decoded.includes('\0') || decoded.includes('\\') || decoded.length > 512) return null;
  const relative = decoded === '/' ? indexFile : decoded.replace(/^\/+/, '');
  const base = resolve(root);
  const file = resolve(base, relative);
  if (!file.startsWith(base + sep)) return null;
  if (!(extname(file) in CONTENT_TYPES)) return null;
  return file;
}

export function serveStatic(request: IncomingMessage, response: ServerResponse, what: StaticRequest): void {
  const headers = securityHeaders(what.csp);
  const extra = what.extraFiles[what.pathname];
  if (extra !== undefined) {
    response.writeHead(200, { ...headers, 'content-type': extra.type });
    response.end(request.method === 'HEAD' ? undefined : extra.body);
    return;
  }
  const file = resolveInside(what.rendererDir, what.pathname, what.indexFile);
  const size = file === null ? null : fileSize(file);
  if (file === null || size === null) {
    response.writeHead(404, { ...headers, 'content-type': 'text/plain; charset=utf-8' });
    response.end('not found');
    return;
  }
  response.writeHead(200, {
    ...headers,
    'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'content-length': String(size),
  });
  if (request.method === 'HEAD') {
    response.end();
    return;
  }
  createReadStream(file)
    .on('error', () => response.destroy())
    .pipe(response);
}

function fileSize(file: string): number | null {
  const stats = statSync(file, { throwIfNoEntry: false });
  return stats?.isFile() === true ? stats.size : null;
}
