import type { IncomingMessage, ServerResponse } from 'node:http';
import { type HealthSources, liveness, readiness } from './health';
import { serveStatic } from './static';
import { trustedRequest } from './trusted-request';

/** A module that answers a part of the path space itself: true when it took the request. */
export interface HttpHandler {
  handle(req: IncomingMessage, res: ServerResponse): boolean;
}

/**
 * The HTTP answers besides Socket.IO's: the backend API (/api/), health, the demo page, and a 4xx
 * for anything else (never a gateway error).
 */
export function httpRoutes(
  health: HealthSources,
  api: HttpHandler,
  opts: { detailsToken?: string },
): (req: IncomingMessage, res: ServerResponse) => void {
  const trusted = trustedRequest(opts.detailsToken);
  return (req, res) => {
    // Socket.IO answers its own path before this listener runs.
    if (req.url?.startsWith('/socket.io/')) return;
    if (api.handle(req, res)) return;
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz' || path === '/readyz') {
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return json(req, res, 405, { error: 'method not allowed' }, { allow: 'GET, HEAD' });
      if (path === '/healthz') return json(req, res, 200, liveness(health, trusted(req)));
      const { statusCode, body } = readiness(health, trusted(req));
      return json(req, res, statusCode, body);
    }
    if (!serveStatic(req, res)) json(req, res, 404, { error: 'not found' });
  };
}

function json(req: IncomingMessage, res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(req.method === 'HEAD' ? undefined : text);
}
