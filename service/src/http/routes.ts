import type { IncomingMessage, ServerResponse } from 'node:http';
import { type HealthSources, liveness, readiness } from './health';
import type { AppHttpHandler } from '../../../contract/app';
import type { Logger } from '../logger';
import { trustedRequest } from './trusted-request';

/** A module that answers a part of the path space itself: true when it took the request. */
export interface HttpHandler {
  handle(req: IncomingMessage, res: ServerResponse): boolean;
}

/**
 * The HTTP answers besides Socket.IO's: the backend API (/api/) and health are the platform's; every other request is
 * the app's `http` export's, or a 404 without one (never a gateway error).
 */
export function httpRoutes(
  health: HealthSources,
  api: HttpHandler,
  opts: { detailsToken?: string; app?: AppHttpHandler; logger: Logger },
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
    if (!opts.app) return json(req, res, 404, { error: 'not found' });
    // A handler that throws (or rejects, when async) costs its own request, never the node.
    const failed = (err: unknown) => {
      opts.logger.error({ err, path }, 'app http handler failed');
      if (!res.headersSent) json(req, res, 500, { error: 'internal error' });
      else res.destroy();
    };
    try {
      const result: unknown = opts.app(req, res);
      if (result instanceof Promise) result.catch(failed);
    } catch (err) {
      failed(err);
    }
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
