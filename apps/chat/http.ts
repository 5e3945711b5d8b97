import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';

/** The page's files: only these paths are served, so a URL never becomes a file path and there is nothing to traverse. */
const FILES: ReadonlyMap<string, { readonly file: string; readonly type: string }> = new Map([
  ['/', { file: 'index.html', type: 'text/html; charset=utf-8' }],
  ['/index.html', { file: 'index.html', type: 'text/html; charset=utf-8' }],
  ['/app.js', { file: 'app.js', type: 'text/javascript; charset=utf-8' }],
  ['/style.css', { file: 'style.css', type: 'text/css; charset=utf-8' }],
]);

// The page loads only its own script and style (and the platform's client, same origin), and talks only to its origin.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const HEADERS = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': CSP,
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

// Bundled, public/ is copied beside the bundle (tools/bundle.ts); from the sources it is beside this file too.
const PUBLIC = join(__dirname, 'public');
const cache = new Map<string, Buffer | null>();

function load(file: string): Buffer | null {
  let body = cache.get(file);
  if (body === undefined) cache.set(file, (body = existsSync(join(PUBLIC, file)) ? readFileSync(join(PUBLIC, file)) : null));
  return body;
}

function text(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...HEADERS, 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(body);
}

/** The demo page: the chat's `http` export. Every other path is 404. */
export function serveChatPage(req: IncomingMessage, res: ServerResponse): void {
  const entry = FILES.get((req.url ?? '/').split('?')[0]);
  const body = entry && load(entry.file);
  if (!entry || !body) return text(res, 404, 'not found\n');
  if (req.method !== 'GET' && req.method !== 'HEAD') return text(res, 405, 'method not allowed\n', { allow: 'GET, HEAD' });
  res.writeHead(200, { ...HEADERS, 'content-type': entry.type, 'content-length': body.length, 'cache-control': 'no-cache' });
  res.end(req.method === 'HEAD' ? undefined : body);
}
