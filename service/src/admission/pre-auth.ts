import type { IncomingMessage } from 'node:http';
import { CLOSE_REASONS, type CloseReason, HANDSHAKE_ERRORS } from '../../../contract/events';
import type { Config } from '../config';
import type { EngineTransport } from './message-size';

/** The Engine.IO connection, as the admission code uses it. */
export interface EngineConn {
  readonly readyState: string;
  readonly request: IncomingMessage;
  readonly transport: EngineTransport;
  close(): void;
  on(event: 'packet', listener: (packet: { type: string; data?: unknown }) => void): unknown;
  on(event: 'close', listener: (this: EngineConn) => void): unknown;
  once(event: 'close', listener: (this: EngineConn) => void): unknown;
  /** A WebSocket upgrade: its transport answered the probe (`upgrading`), then took over (`upgrade`). */
  on(event: 'upgrading' | 'upgrade', listener: (this: EngineConn, transport: EngineTransport) => void): unknown;
}

interface Session {
  readonly ip: string;
  readonly deadline: NodeJS.Timeout;
}

interface PerIp {
  /** Sessions of this address, waiting or connecting. */
  count: number;
  /** Those that have not even sent their CONNECT, oldest first: the ones that may be evicted. */
  readonly waiting: Set<EngineConn>;
}

export type Admitted = 'ok' | typeof HANDSHAKE_ERRORS.preAuthIpLimit | typeof HANDSHAKE_ERRORS.preAuthFull;

/**
 * Engine.IO sessions that have no authenticated socket on `/` yet: they cost one GET and no
 * token, so they get a budget of their own. At most `maxSessions` per node and
 * `maxSessionsPerIp` per client address; each has `timeoutMs` to authenticate. None of them is a
 * client: the connection limit, /healthz's `connections` and the ConnectedClients metric count
 * only authenticated sockets.
 *
 * When the table is full, a new handshake is not refused: it closes the oldest session that has
 * not even sent its CONNECT, taken from the address that holds the most of those. An honest
 * client holds one such session, for one round trip; a flood holds many, for as long as it is
 * let. Refusing instead would turn every honest client away for as long as the flood lasts.
 */
export class PreAuthSessions {
  private readonly sessions = new Map<EngineConn, Session>();
  private readonly perIp = new Map<string, PerIp>();

  constructor(
    private readonly limits: Config['limits']['preAuth'],
    /** Closes a connection the budget gave up on. */
    private readonly close: (conn: EngineConn, reason: CloseReason) => void,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  /** At the handshake, before the session exists: whether one more from `ip` may open. */
  admit(ip: string): Admitted {
    if ((this.perIp.get(ip)?.count ?? 0) >= this.limits.maxSessionsPerIp) return HANDSHAKE_ERRORS.preAuthIpLimit;
    if (this.sessions.size < this.limits.maxSessions) return 'ok';
    let most: PerIp | undefined;
    for (const entry of this.perIp.values()) if (entry.waiting.size > (most?.waiting.size ?? 0)) most = entry;
    const oldest = most?.waiting.values().next().value;
    if (!oldest) return HANDSHAKE_ERRORS.preAuthFull;
    this.remove(oldest);
    this.close(oldest, CLOSE_REASONS.preAuthEvicted);
    return 'ok';
  }

  /** A session opened, or its socket on `/` left while the connection stayed: its deadline starts now. */
  opened(conn: EngineConn, ip: string): void {
    if (this.sessions.has(conn)) return;
    const deadline = setTimeout(() => {
      if (this.remove(conn)) this.close(conn, CLOSE_REASONS.preAuthTimeout);
    }, this.limits.timeoutMs);
    deadline.unref();
    this.sessions.set(conn, { ip, deadline });
    let entry = this.perIp.get(ip);
    if (!entry) this.perIp.set(ip, (entry = { count: 0, waiting: new Set() }));
    entry.count++;
    entry.waiting.add(conn);
  }

  /** Its CONNECT to `/` arrived: it is being verified now, and is not evicted. */
  connecting(conn: EngineConn): void {
    const session = this.sessions.get(conn);
    if (session) this.perIp.get(session.ip)?.waiting.delete(conn);
  }

  /** It has an authenticated socket on `/`, or it closed: it leaves the budget. */
  remove(conn: EngineConn): boolean {
    const session = this.sessions.get(conn);
    if (!session) return false;
    clearTimeout(session.deadline);
    this.sessions.delete(conn);
    const entry = this.perIp.get(session.ip)!;
    entry.waiting.delete(conn);
    if (--entry.count === 0) this.perIp.delete(session.ip);
    return true;
  }
}
