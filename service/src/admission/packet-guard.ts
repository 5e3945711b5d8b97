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
  /** A CONNECT to `/` passed the guard (the pre-auth budget stops evicting it). */
  connecting(): void;
  /** The connection broke a rule; closes it. */
  violation(reason: CloseReason): void;
  /** A bug in the guard: logged; the packet goes on to Socket.IO, whose own checks still apply. */
  fault(err: unknown): void;
}

export interface PacketGuard {
  /** A socket of this connection connected on `nsp`. */
  connected(nsp: string, socket: Socket): void;
  /** Any socket of this connection, to disconnect it (and so the connection) as the client will understand. */
  anySocket(): Socket | undefined;
}

const sizeOf = (data: unknown) =>
  typeof data === 'string' ? Buffer.byteLength(data) : data instanceof Uint8Array || data instanceof ArrayBuffer ? data.byteLength : 0;

/**
 * Looks at every packet of one connection before Socket.IO decodes it: Engine.IO's pings,
 * pongs, noops and upgrades as much as Socket.IO's events, ACKs and CONNECTs. Each one spends
 * from a packet and a byte budget (token buckets); past either, the connection is closed. So
 * are an ACK for an id the server is not waiting for, a CONNECT to a namespace that does not
 * exist, and a second CONNECT to a namespace while one is pending or open: each would cost the
 * node work (or a duplicate socket) and serve no client.
 */
export function guardPackets(conn: EngineConn, opts: PacketGuardOptions): PacketGuard {
  const packets = new TokenBucket(opts.limits.packets.ratePerS, opts.limits.packets.burst);
  const bytes = new TokenBucket(opts.limits.bytes.ratePerS, opts.limits.bytes.burst);
  const pending = new Set<string>();
  const sockets = new Map<string, Socket>();

  const inspect = (packet: { type: string; data?: unknown }) => {
    if (!packets.take() || !bytes.take(sizeOf(packet.data))) return opts.violation(CLOSE_REASONS.packetBudget);
    if (packet.type !== 'message' || typeof packet.data !== 'string') return;
    const header = packetHeader(packet.data);
    if (!header) return;
    if (header.type === PACKET.connect) {
      if (!opts.hasNamespace(header.nsp)) return opts.violation(CLOSE_REASONS.unknownNamespace);
      if (pending.has(header.nsp) || sockets.has(header.nsp)) return opts.violation(CLOSE_REASONS.duplicateConnect);
      pending.add(header.nsp);
      if (header.nsp === '/') opts.connecting();
    } else if (header.type === PACKET.ack || header.type === PACKET.binaryAck) {
      const socket = sockets.get(header.nsp) as unknown as Partial<AwaitingAcks> | undefined;
      if (header.id === undefined || !socket?.acks?.has(header.id)) return opts.violation(CLOSE_REASONS.unexpectedAck);
    }
  };
  // This runs inside Engine.IO's packet handling: an exception here would escape into the transport and kill the node.
  conn.on('packet', (packet) => {
    try {
      inspect(packet);
    } catch (err) {
      opts.fault(err);
    }
  });

  return {
    connected(nsp, socket) {
      pending.delete(nsp);
      sockets.set(nsp, socket);
      socket.once('disconnect', () => {
        if (sockets.get(nsp) === socket) sockets.delete(nsp);
      });
    },
    anySocket: () => sockets.values().next().value,
  };
}
