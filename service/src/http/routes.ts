import type { IncomingMessage, ServerResponse } from 'node:http';
import { type HealthSources, liveness, readiness } from './health';
import { serveStatic } from './static';

/** A module that answers a part of the path space itself: true when it took the request. */
export interface HttpHandler {
  handle(req: IncomingMessage, res: ServerResponse): boolean;
}

/** The HTTP answers besides Socket.IO's: the backend API (/api/), health, the demo page, and 404 for anything else. */
export function httpRoutes(health: HealthSources, api: HttpHandler): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    // Socket.IO answers its own path before this listener runs.
    if (req.url?.startsWith('/socket.io/')) return;
    if (api.handle(req, res)) return;
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') return json(res, 200, liveness(health));
    if (path === '/readyz') {
      const { statusCode, body } = readiness(health);
      return json(res, statusCode, body);
    }
    if (!serveStatic(req, res)) json(res, 404, { error: 'not found' });
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}
