import type { Socket } from 'socket.io';
import { CLOSE_REASONS, type CloseReason } from '../../../contract/events';
import type { Config } from '../config';
import { PACKET, packetHeader } from './packet-header';
import type { EngineConn } from './pre-auth';
import { TokenBucket } from './token-bucket';

/** The part of a Socket.IO socket the guard reads: the acks it is waiting for. */
interface AwaitingAcks {
  readonly acks: Map<number, unknown>;
}

export interface PacketGuardOptions {
  readonly limits: Pick<Config['limits'], 'packets' | 'bytes'>;
  /** Whether the server has this namespace. */
  hasNamespace(nsp: string): boolean;
  /** A CONNECT passed the guard on this connection (the pre-auth budget stops evicting it). */
  connecting(conn: EngineConn): void;
  /** The connection broke a rule; closes it. */
  violation(conn: EngineConn, reason: CloseReason): void;
  /** A bug in the guard: logged; the packet goes on to Socket.IO, whose own checks still apply. */
  fault(err: unknown): void;
}

/** What the guard keeps per connection: its budgets and its namespaces. */
interface Guarded {
  readonly packets: TokenBucket;
  readonly bytes: TokenBucket;
  /** Namespaces with a CONNECT that passed and no socket yet. */
  readonly pending: Set<string>;
  readonly sockets: Map<string, Socket>;
  /** A CONNECT to a namespace the app does not serve went to Socket.IO, which answered `Invalid namespace`. */
  unknownNamespaceSeen: boolean;
}

const sizeOf = (data: unknown) =>
  typeof data === 'string' ? Buffer.byteLength(data) : data instanceof Uint8Array || data instanceof ArrayBuffer ? data.byteLength : 0;

/**
 * Looks at every packet of a connection before Socket.IO decodes it: Engine.IO's pings,
 * pongs, noops and upgrades as much as Socket.IO's events, ACKs and CONNECTs. Each one spends
 * from a packet and a byte budget (token buckets); past either, the connection is closed. So
 * are an ACK for an id the server is not waiting for, a second CONNECT to a namespace that does not
 * exist (Socket.IO answers the first), and a second CONNECT to a namespace while one is pending or open: each would
 * cost the node work (or a duplicate socket) and serve no client.
 *
 * One per server: the listeners are shared by every connection (Engine.IO and Socket.IO call them with the
 * connection or socket as `this`), so that a connection costs its state and not a set of closures.
 */
export class PacketGuards {
  private readonly state = new WeakMap<EngineConn, Guarded>();
  private readonly onPacket: (this: EngineConn, packet: { type: string; data?: unknown }) => void;
  private readonly onDisconnect: (this: Socket) => void;

  constructor(private readonly opts: PacketGuardOptions) {
    const { state } = this;
    const inspect = (conn: EngineConn, packet: { type: string; data?: unknown }) => this.inspect(conn, packet);
    // This runs inside Engine.IO's packet handling: an exception here would escape into the transport and kill the node.
    this.onPacket = function (packet) {
      try {
        inspect(this, packet);
      } catch (err) {
        opts.fault(err);
      }
    };
    this.onDisconnect = function () {
      const sockets = state.get(this.conn as unknown as EngineConn)?.sockets;
      if (sockets?.get(this.nsp.name) === this) sockets.delete(this.nsp.name);
    };
  }

  /** Starts guarding a new connection. */
  watch(conn: EngineConn): void {
    const { limits } = this.opts;
    this.state.set(conn, {
      packets: new TokenBucket(limits.packets.ratePerS, limits.packets.burst),
      bytes: new TokenBucket(limits.bytes.ratePerS, limits.bytes.burst),
      pending: new Set(),
      sockets: new Map(),
      unknownNamespaceSeen: false,
    });
    conn.on('packet', this.onPacket);
  }

  /** A socket of this connection connected on `nsp`. */
  connected(conn: EngineConn, nsp: string, socket: Socket): void {
    const guarded = this.state.get(conn);
    if (!guarded) return;
    guarded.pending.delete(nsp);
    guarded.sockets.set(nsp, socket);
    socket.on('disconnect', this.onDisconnect);
  }

  /** Any socket of this connection, to disconnect it (and so the connection) as the client will understand. */
  anySocket(conn: EngineConn): Socket | undefined {
    return this.state.get(conn)?.sockets.values().next().value;
  }

  private inspect(conn: EngineConn, packet: { type: string; data?: unknown }): void {
    const guarded = this.state.get(conn);
    if (!guarded) return;
    const { opts } = this;
    if (!guarded.packets.take() || !guarded.bytes.take(sizeOf(packet.data))) return opts.violation(conn, CLOSE_REASONS.packetBudget);
    if (packet.type !== 'message' || typeof packet.data !== 'string') return;
    const header = packetHeader(packet.data);
    if (!header) return;
    if (header.type === PACKET.connect) {
      if (!opts.hasNamespace(header.nsp)) {
        // The first is Socket.IO's to answer (`Invalid namespace`), as a stock server does; a second is a probe.
        if (guarded.unknownNamespaceSeen) return opts.violation(conn, CLOSE_REASONS.unknownNamespace);
        guarded.unknownNamespaceSeen = true;
        return;
      }
      if (guarded.pending.has(header.nsp) || guarded.sockets.has(header.nsp)) return opts.violation(conn, CLOSE_REASONS.duplicateConnect);
      guarded.pending.add(header.nsp);
      opts.connecting(conn);
    } else if (header.type === PACKET.ack || header.type === PACKET.binaryAck) {
      const socket = guarded.sockets.get(header.nsp) as unknown as Partial<AwaitingAcks> | undefined;
      if (header.id === undefined || !socket?.acks?.has(header.id)) return opts.violation(conn, CLOSE_REASONS.unexpectedAck);
    }
  }
}
