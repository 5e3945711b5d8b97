import type { Socket } from 'socket.io';
import { CONNECT_ERRORS } from '../../../contract/events';
import type { Config } from '../config';
import type { Identity } from './auth';
import { type Middleware, Refusal } from './connect-refusal';
import type { ConnectionShares } from './connection-shares';

/**
 * Socket.IO middleware: refuses a socket with server_full once the node holds `maxConnections`
 * authenticated connections. Sessions still waiting for their CONNECT have their own budget (pre-auth.ts)
 * and never count here, so a flood of them cannot make a node full for token holders. A connection that already
 * has a socket may open more (other namespaces): it is counted once.
 */
export function limitConnections(connections: () => number, maxConnections: number): Middleware {
  return (socket, next) => {
    if (!hasSocket(socket) && connections() >= maxConnections) {
      return next(new Refusal(CONNECT_ERRORS.serverFull, 'MAX_CONNECTIONS reached'));
    }
    next();
  };
}

/** Whether the socket's connection already holds a connected socket (in any namespace). */
const hasSocket = (socket: Socket) => (socket as unknown as { client: { sockets: Map<string, unknown> } }).client.sockets.size > 0;

export interface ShareLimits {
  /** Who holds the socket: the user's `sub`, or for guests their client IP. */
  holderOf(socket: Socket): string;
  /** The connections one holder may have on the node, and the code that refuses the next one. */
  readonly cap: number;
  readonly capCode: typeof CONNECT_ERRORS.userLimit | typeof CONNECT_ERRORS.guestIpLimit;
  readonly maxConnections: number;
  readonly share: Config['limits']['share'];
}

/** The shares `config` sets: per user under JWT auth; without auth, per client IP, since every guest is its own user. */
export function shareLimits(config: Config, addressOf: (socket: Socket) => string): ShareLimits {
  const guests = config.auth.mode === 'none';
  return {
    holderOf: guests ? addressOf : (socket) => (socket.data as { identity: Identity }).identity.user,
    cap: guests ? config.limits.share.perGuestIp : config.limits.share.perUser,
    capCode: guests ? CONNECT_ERRORS.guestIpLimit : CONNECT_ERRORS.userLimit,
    maxConnections: config.limits.maxConnections,
    share: config.limits.share,
  };
}

/**
 * Socket.IO middleware, after the identity is known: one holder's share of the node (docs/security.md). A holder at
 * its cap is refused (`user_limit`, `guest_ip_limit`); once the node's connections reach MAX_CONNECTIONS minus the
 * reserved slots, a new connection of a holder that already has `reservedBelow` is refused `server_full`: the last
 * slots stay for everyone else. A connection this holder already counts on (another namespace) passes.
 */
export function limitShares(shares: ConnectionShares, limits: ShareLimits): Middleware {
  const { reserved, reservedBelow } = limits.share;
  const unreserved = limits.maxConnections - reserved;
  return (socket, next) => {
    const holder = limits.holderOf(socket);
    if (!shares.holds(socket.conn, holder)) {
      const holding = shares.holding(holder);
      if (holding >= limits.cap) return next(new Refusal(limits.capCode, 'share of the node reached'));
      const newConnection = !shares.holds(socket.conn);
      // Counted from admission on, so exact where limitConnections' count (from `connection` on) may lag a burst.
      if (newConnection && shares.size >= limits.maxConnections)
        return next(new Refusal(CONNECT_ERRORS.serverFull, 'MAX_CONNECTIONS reached'));
      if (newConnection && shares.size >= unreserved && holding >= reservedBelow) {
        return next(new Refusal(CONNECT_ERRORS.serverFull, 'reserved slots: holder at MAX_CONNECTIONS_RESERVED_BELOW'));
      }
    }
    shares.admit(socket, holder);
    next();
  };
}
