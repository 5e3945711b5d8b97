import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { join } from 'node:path';

/**
 * The browser client, at the paths a stock Socket.IO server serves it (`serveClient`), so that an app's page written
 * for a stock server loads it unchanged. The bundle carries the minified build (tools/bundle.ts: client/); from the
 * sources it is node_modules'.
 */
const FILES: ReadonlyMap<string, { readonly file: string; readonly type: string }> = new Map([
  ['/socket.io/socket.io.js', { file: 'socket.io.min.js', type: 'text/javascript; charset=utf-8' }],
  ['/socket.io/socket.io.min.js', { file: 'socket.io.min.js', type: 'text/javascript; charset=utf-8' }],
  ['/socket.io/socket.io.min.js.map', { file: 'socket.io.min.js.map', type: 'application/json; charset=utf-8' }],
]);

const DIRS = [join(__dirname, 'client'), join(__dirname, '..', '..', '..', 'node_modules', 'socket.io-client', 'dist')];
const cache = new Map<string, Buffer | null>();

function load(file: string): Buffer | null {
  let body = cache.get(file);
  if (body !== undefined) return body;
  const found = DIRS.map((dir) => join(dir, file)).find((p) => existsSync(p));
  body = found ? readFileSync(found) : null;
  cache.set(file, body);
  return body;
}

/** Answers a request for the client file; false when the path is not one (Socket.IO's own then). */
function serveClientFile(req: IncomingMessage, res: ServerResponse): boolean {
  const entry = FILES.get((req.url ?? '').split('?')[0]);
  const body = entry && load(entry.file);
  if (!entry || !body) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  res.writeHead(200, {
    'content-type': entry.type,
    'content-length': body.length,
    'cache-control': 'public, max-age=3600',
    'x-content-type-options': 'nosniff',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}

/**
 * Puts the client file ahead of Socket.IO, which takes every request under /socket.io/ once attached (as its own
 * `serveClient` does: the request listeners present are wrapped). Call after `io.attach`.
 */
export function serveClientAhead(httpServer: HttpServer): void {
  const listeners = httpServer.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  httpServer.removeAllListeners('request');
  httpServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (serveClientFile(req, res)) return;
    for (const listener of listeners) listener.call(httpServer, req, res);
  });
}
