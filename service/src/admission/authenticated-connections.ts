import type { EngineConn } from './pre-auth';

/**
 * Connections with at least one authenticated socket (in any namespace): what MAX_CONNECTIONS and the metrics count.
 * Counted as a connection's first socket arrives and its last one leaves (a closing connection's sockets leave with
 * it), so the figure is exact at any moment, where the engine's client count lags a closing transport.
 */
export class AuthenticatedConnections {
  private readonly conns = new WeakSet<EngineConn>();
  private count = 0;

  /** A socket of `conn` connected. */
  add(conn: EngineConn): void {
    if (this.conns.has(conn)) return;
    this.conns.add(conn);
    this.count++;
  }

  /** The last socket of `conn` left: true when it was counted. */
  remove(conn: EngineConn): boolean {
    if (!this.conns.delete(conn)) return false;
    this.count--;
    return true;
  }

  get size(): number {
    return this.count;
  }
}
