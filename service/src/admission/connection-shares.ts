/** A socket as the shares see it: the connection it rides on. */
export interface ShareSocket {
  readonly conn: object;
}

/** What one connection holds: its counted sockets, each under its holder, and how many sockets each holder has on it. */
interface ConnShare {
  readonly sockets: Map<ShareSocket, string>;
  readonly holders: Map<string, number>;
}

/**
 * The connections each holder (a user's `sub`, or a guest's client IP) holds on this node, and the connections held in
 * all: what MAX_CONNECTIONS_PER_USER, MAX_CONNECTIONS_PER_GUEST_IP and the reserved slots are checked against.
 *
 * A socket is counted when the CONNECT middleware admits it, not when it connects: Socket.IO connects it a tick later,
 * and CONNECTs verified in between would all see the count from before. A connection counts once per holder, however
 * many namespaces its sockets are in. A socket leaves at its `disconnect`; one admitted that never connected (its
 * connection closed first, or the app's own middleware refused it) leaves when its connection closes, which for a
 * connection without any socket is at most PREAUTH_TIMEOUT_MS later.
 */
export class ConnectionShares {
  private readonly conns = new WeakMap<object, ConnShare>();
  private readonly held = new Map<string, number>();
  private connCount = 0;

  /** Connections with at least one counted socket. */
  get size(): number {
    return this.connCount;
  }

  /** Connections `holder` holds on this node. */
  holding(holder: string): number {
    return this.held.get(holder) ?? 0;
  }

  /** Whether `conn` has a counted socket, and with `holder`, one of that holder's. */
  holds(conn: object, holder?: string): boolean {
    const share = this.conns.get(conn);
    return share !== undefined && (holder === undefined || share.holders.has(holder));
  }

  /** Counts `socket` under `holder`. */
  admit(socket: ShareSocket, holder: string): void {
    let share = this.conns.get(socket.conn);
    if (!share) {
      share = { sockets: new Map(), holders: new Map() };
      this.conns.set(socket.conn, share);
      this.connCount++;
    }
    if (share.sockets.has(socket)) return;
    share.sockets.set(socket, holder);
    const sockets = share.holders.get(holder) ?? 0;
    share.holders.set(holder, sockets + 1);
    if (sockets === 0) this.held.set(holder, this.holding(holder) + 1);
  }

  /** `socket` is gone; nothing if it was not counted (or already left). */
  leave(socket: ShareSocket): void {
    const share = this.conns.get(socket.conn);
    const holder = share?.sockets.get(socket);
    if (!share || holder === undefined) return;
    share.sockets.delete(socket);
    const sockets = share.holders.get(holder)! - 1;
    if (sockets > 0) share.holders.set(holder, sockets);
    else {
      share.holders.delete(holder);
      const conns = this.holding(holder) - 1;
      if (conns > 0) this.held.set(holder, conns);
      else this.held.delete(holder);
    }
    if (share.sockets.size === 0) {
      this.conns.delete(socket.conn);
      this.connCount--;
    }
  }

  /** `conn` closed: its sockets still counted leave (those that never connected, so never disconnect). */
  closed(conn: object): void {
    const share = this.conns.get(conn);
    if (share) for (const socket of [...share.sockets.keys()]) this.leave(socket);
  }
}
