import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { trustedEntry } from './client-address';
import type { EngineConn } from './pre-auth';

/**
 * The cookie that binds a long-polling session to its client: a secret the client holds that never appears in a URL or a
 * log line (HttpOnly: no script reads it either). A browser keeps one for all its tabs; see `SessionBinding`.
 */
export const SESSION_KEY_COOKIE = 'io_key';

const KEY_BYTES = 32;
/** 32 random bytes in base64url, unpadded: what `newKey` makes and the only form of key a request may bring. */
const KEY_FORMAT = /^[A-Za-z0-9_-]{43}$/;

/** Why a request that names a live session was refused (the `reason` of its log line). */
export type BindingRefusal =
  /** A browser's navigation or `no-cors` request (an image, a form, a script tag): never Engine.IO's own. */
  | 'not_a_client_request'
  /** From a page whose Origin may not open a session (origin-policy.ts). */
  | 'foreign_origin'
  /** A session opened over WebSocket, whose own client never sends its sid again. */
  | 'not_bound'
  /** Without the session's key cookie. */
  | 'no_key'
  /** With a key cookie that is not the session's. */
  | 'wrong_key';

/** The query engine.io parsed onto each request (engine.io's `prepare`, before any middleware). */
type EngineRequest = IncomingMessage & { _query?: Record<string, string | undefined> };

export interface SessionBindingOptions {
  /** Cross-origin browser clients are configured (CORS_ORIGINS): the cookie must also travel on cross-site requests. */
  readonly crossSite: boolean;
  /** Trusted proxies in front of the node (TRUSTED_PROXY_HOPS): whose X-Forwarded-Proto says the client came over HTTPS. */
  readonly trustedProxyHops: number;
  /** Whether the request's Origin may use a session (origin-policy.ts): the same rule as for opening one. */
  originAllowed(req: IncomingMessage): boolean;
  /** The live session with this id on this node, if any. */
  session(sid: string): EngineConn | undefined;
  /** Counts and logs a refused request. */
  refused(reason: BindingRefusal, req: IncomingMessage): void;
}

/**
 * What a refused request's sid becomes: no session ever has it (base64id's 20 characters have no `!`), so engine.io answers
 * exactly as for a session that does not exist (400, `Session ID unknown`), and a stranger cannot even tell the session is alive.
 */
const NO_SESSION = '!refused';

/**
 * The Engine.IO session id travels in every long-polling URL (and so in the load balancer's access logs), so it must not be
 * what lets a request act for its session. Each long-polling session is bound at its handshake to a key its client holds
 * in a cookie (set by the handshake's answer unless the client already brings one), and every later request naming the
 * session (polls, posts, the WebSocket upgrade) must bring that key, from a page allowed to use the service; otherwise
 * the request is answered as for an unknown session and the session itself is untouched.
 *
 * The key is per client, not per session: a browser has one cookie jar for all its tabs, so a second tab's handshake must
 * not replace the key the first tab's session is bound to. A WebSocket-only client never names its session in a later
 * request, so it is bound to nothing and needs no cookie.
 */
export class SessionBinding {
  private readonly keys = new WeakMap<EngineConn, Buffer>();
  /** The key of each polling handshake request: engine.io may ask for its answer's headers before or after `connection`. */
  private readonly handshakes = new WeakMap<IncomingMessage, { readonly key: string; readonly issued: boolean }>();

  constructor(private readonly opts: SessionBindingOptions) {}

  /** engine.io's `initial_headers`: the answer to a long-polling handshake sets the key cookie, unless the client brought one. */
  readonly initialHeaders = (headers: Record<string, string | string[] | undefined>, req: EngineRequest): void => {
    if (req._query?.transport !== 'polling') return;
    const { key, issued } = this.handshakeKey(req);
    if (!issued) return;
    const cookie = `${SESSION_KEY_COOKIE}=${key}; ${cookieAttributes(this.opts.crossSite && isHttps(req, this.opts.trustedProxyHops))}`;
    const existing = headers['Set-Cookie'];
    headers['Set-Cookie'] = existing === undefined ? [cookie] : [...(Array.isArray(existing) ? existing : [existing]), cookie];
  };

  /** engine.io's `connection`, before the handshake request is released: binds a long-polling session to its key. */
  opened(conn: EngineConn & { readonly transport: { readonly name: string } }): void {
    if (conn.transport.name !== 'polling') return;
    this.keys.set(conn, ownBuffer(Buffer.from(this.handshakeKey(conn.request).key, 'base64url')));
  }

  /** An engine.io middleware: every request naming a live session must come from its client. */
  readonly middleware = (req: EngineRequest, _res: unknown, next: (err?: unknown) => void): void => {
    const sid = req._query?.sid;
    const conn = sid ? this.opts.session(sid) : undefined;
    if (conn) {
      const refusal = this.refusal(req, conn);
      if (refusal) {
        this.opts.refused(refusal, req);
        req._query!.sid = NO_SESSION;
      }
    }
    next();
  };

  private refusal(req: IncomingMessage, conn: EngineConn): BindingRefusal | undefined {
    const mode = req.headers['sec-fetch-mode'];
    if (mode === 'navigate' || mode === 'no-cors') return 'not_a_client_request';
    if (!this.opts.originAllowed(req)) return 'foreign_origin';
    const key = this.keys.get(conn);
    if (!key) return 'not_bound';
    const offered = keysIn(req.headers.cookie);
    if (offered.length === 0) return 'no_key';
    return offered.some((k) => timingSafeEqual(Buffer.from(k, 'base64url'), key)) ? undefined : 'wrong_key';
  }

  private handshakeKey(req: IncomingMessage): { readonly key: string; readonly issued: boolean } {
    let found = this.handshakes.get(req);
    if (!found) {
      const brought = keysIn(req.headers.cookie)[0];
      found = brought ? { key: brought, issued: false } : { key: newKey(), issued: true };
      this.handshakes.set(req, found);
    }
    return found;
  }
}

export const newKey = (): string => randomBytes(KEY_BYTES).toString('base64url');

/** A copy outside Node's shared 8 KiB pool, which a small buffer kept for a session's life would otherwise hold on to. */
function ownBuffer(pooled: Buffer): Buffer {
  const own = Buffer.allocUnsafeSlow(pooled.length);
  pooled.copy(own);
  return own;
}

/** The well-formed values of every key cookie in a Cookie header (a browser sends one per path it holds). */
export function keysIn(header: string | undefined): string[] {
  if (!header) return [];
  const keys: string[] = [];
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== SESSION_KEY_COOKIE) continue;
    const value = pair.slice(eq + 1).trim();
    if (KEY_FORMAT.test(value)) keys.push(value);
  }
  return keys;
}

/**
 * The key cookie's attributes. Only Engine.IO's requests need it (`Path`), and no script (`HttpOnly`). `SameSite=Lax` keeps
 * it off every cross-site request, so a page elsewhere cannot make a browser use its session even with a leaked sid; a
 * service with cross-origin clients (CORS_ORIGINS) needs it on their cross-site requests too, which browsers allow only
 * for `SameSite=None; Secure` over HTTPS, as the ALB's AWSALBCORS stickiness cookie is. Those requests are then held to
 * the Origin allow-list (the middleware above). No expiry: the browser keeps it for its session.
 */
export function cookieAttributes(crossSite: boolean): string {
  return `Path=/socket.io/; HttpOnly; ${crossSite ? 'Secure; SameSite=None' : 'SameSite=Lax'}`;
}

/** Whether the client reached the first trusted proxy (or the node) over HTTPS: the ALB sets X-Forwarded-Proto. */
export function isHttps(req: Pick<IncomingMessage, 'headers' | 'socket'>, trustedProxyHops: number): boolean {
  if ((req.socket as { encrypted?: boolean }).encrypted === true) return true;
  return trustedEntry(req.headers['x-forwarded-proto'], trustedProxyHops)?.toLowerCase() === 'https';
}
