import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';

interface Asset {
  readonly file: string;
  readonly type: string;
  readonly cacheControl: string;
  /** The source tree keeps it elsewhere: the client lives in node_modules. */
  readonly sourcePath?: string[];
}

const CLIENT_DIST = ['..', '..', '..', 'node_modules', 'socket.io-client', 'dist'];

// Only these paths are served: a URL never becomes a file path, so there is nothing to traverse.
const ASSETS: ReadonlyMap<string, Asset> = new Map([
  ['/', { file: 'index.html', type: 'text/html; charset=utf-8', cacheControl: 'no-cache' }],
  ['/index.html', { file: 'index.html', type: 'text/html; charset=utf-8', cacheControl: 'no-cache' }],
  ['/app.js', { file: 'app.js', type: 'text/javascript; charset=utf-8', cacheControl: 'no-cache' }],
  ['/style.css', { file: 'style.css', type: 'text/css; charset=utf-8', cacheControl: 'no-cache' }],
  [
    '/socket.io.min.js',
    { file: 'socket.io.min.js', type: 'text/javascript; charset=utf-8', cacheControl: 'public, max-age=3600', sourcePath: CLIENT_DIST },
  ],
  [
    '/socket.io.min.js.map',
    {
      file: 'socket.io.min.js.map',
      type: 'application/json; charset=utf-8',
      cacheControl: 'public, max-age=3600',
      sourcePath: CLIENT_DIST,
    },
  ],
]);

// The page loads only its own script and style, and talks only to its own origin.
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

const cache = new Map<string, Buffer | null>();

/** In the bundle, dist/public; from the sources, service/public and node_modules. */
function load(asset: Asset): Buffer | null {
  let body = cache.get(asset.file);
  if (body !== undefined) return body;
  const candidates = [join(__dirname, 'public', asset.file), join(__dirname, ...(asset.sourcePath ?? ['..', '..', 'public']), asset.file)];
  const found = candidates.find((p) => existsSync(p));
  body = found ? readFileSync(found) : null;
  cache.set(asset.file, body);
  return body;
}

/** Serves the demo page and the Socket.IO client; answers false when the path is not one of its files. */
export function serveStatic(req: IncomingMessage, res: ServerResponse): boolean {
  const path = (req.url ?? '/').split('?')[0];
  const asset = ASSETS.get(path);
  if (!asset) return false;
  const body = load(asset);
  if (!body) return false;
  const headers = {
    'x-content-type-options': 'nosniff',
    'content-security-policy': CSP,
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { ...headers, allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
    res.end('method not allowed\n');
    return true;
  }
  res.writeHead(200, { ...headers, 'content-type': asset.type, 'content-length': body.length, 'cache-control': asset.cacheControl });
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}
