import type { IncomingMessage } from 'node:http';

/**
 * Which browser pages may open a session. Browsers send Origin on every WebSocket handshake and
 * on cross-origin requests, so a request from a page elsewhere is refused on every transport, not
 * only where CORS applies (fetch/XHR). Admitted: no Origin (a client that is not a browser: its
 * token is what admits it), a page of the node's own host, or a listed origin.
 */
export function originPolicy(allowed: readonly string[]): (req: Pick<IncomingMessage, 'headers'>) => boolean {
  const listed = new Set(allowed.map(normalised));
  return (req) => {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    const o = normalised(origin);
    if (o === undefined) return false;
    if (listed.has(o)) return true;
    const host = req.headers.host?.toLowerCase();
    return host !== undefined && new URL(o).host === host;
  };
}

/** The origin's canonical form, or undefined for one that is not an http(s) origin (such as `null`). */
function normalised(origin: string): string | undefined {
  try {
    const u = new URL(origin);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : undefined;
  } catch {
    return undefined;
  }
}

/**
 * JSONP polling (`j=`) answers with a script any page can load, so a page on another origin could
 * read a session id through a <script> tag. No Socket.IO v4 client uses it.
 */
export function isJsonp(req: Pick<IncomingMessage, 'url'>): boolean {
  return new URL(req.url ?? '/', 'http://localhost').searchParams.has('j');
}
