import { CLOSE_REASONS, type CloseReason } from '../../../contract/events';
import type { Config } from '../config';
import type { EngineConn } from './pre-auth';

interface Partial {
  bytes: number;
  readonly since: number;
}

/**
 * The bytes a node holds for binary packets that have begun and not ended: socket.io-parser keeps a binary event's
 * packet and each attachment until the last one arrives, with no deadline of its own. Each such packet has
 * `timeoutMs` from its header to its last attachment; all of them together, across the node's connections, at most
 * `maxBytes`. Past the deadline, or to make room, the connection is closed (`partial_timeout`, `partial_evicted`): the
 * oldest first, since an honest client sends its attachments right after the packet and a hoarder keeps them waiting.
 *
 * One timer, armed for the oldest packet's deadline (packets are kept oldest first), whatever the number of packets.
 */
export class PartialPackets {
  private readonly partials = new Map<EngineConn, Partial>();
  private total = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly limits: Config['limits']['partialPackets'],
    /** Closes a connection the budget gave up on; it calls `forget` (its close listener) as it closes. */
    private readonly close: (conn: EngineConn, reason: CloseReason) => void,
  ) {}

  /** Bytes held now, of every connection. */
  get bytes(): number {
    return this.total;
  }

  /** A binary packet of `bytes` (its JSON part) begins on `conn`: its deadline starts now. */
  begin(conn: EngineConn, bytes: number): boolean {
    this.end(conn);
    this.partials.set(conn, { bytes: 0, since: Date.now() });
    this.timer ??= this.arm();
    return this.add(conn, bytes);
  }

  /** An attachment of `bytes` arrived for `conn`'s packet; false when that closed `conn` itself (its packet was the oldest). */
  add(conn: EngineConn, bytes: number): boolean {
    const partial = this.partials.get(conn);
    if (!partial) return true;
    partial.bytes += bytes;
    this.total += bytes;
    while (this.total > this.limits.maxBytes) {
      const oldest = this.partials.keys().next().value!;
      this.drop(oldest, CLOSE_REASONS.partialEvicted);
      if (oldest === conn) return false;
    }
    return true;
  }

  /** `conn`'s packet is complete (Socket.IO has it now), or `conn` closed. */
  end(conn: EngineConn): void {
    const partial = this.partials.get(conn);
    if (!partial) return;
    this.total -= partial.bytes;
    this.partials.delete(conn);
  }

  /** Stops the timer (the node is closing). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private drop(conn: EngineConn, reason: CloseReason): void {
    this.end(conn);
    this.close(conn, reason);
  }

  /** A timer for the oldest packet's deadline; none without packets. */
  private arm(): NodeJS.Timeout | undefined {
    const oldest = this.partials.values().next().value;
    if (!oldest) return undefined;
    const timer = setTimeout(() => this.expire(), Math.max(0, oldest.since + this.limits.timeoutMs - Date.now()));
    timer.unref();
    return timer;
  }

  private expire(): void {
    const now = Date.now();
    for (const [conn, partial] of this.partials) {
      if (partial.since + this.limits.timeoutMs > now) break;
      this.drop(conn, CLOSE_REASONS.partialTimeout);
    }
    this.timer = this.arm();
  }
}
