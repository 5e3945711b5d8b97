import type { Socket } from 'socket.io';
import { CLOSE_REASONS, type CloseReason } from '../../../contract/events';
import type { Config } from '../config';
import type { BinaryPolicy } from './binary-policy';
import {
  type EngineTransport,
  limitMessages,
  limitNewWebSockets,
  type MessageLimit,
  messageArriving,
  PREAUTH_MAX_CHUNKS,
  WS_MAX_CHUNKS,
  type WsServer,
} from './message-size';
import { PACKET, type PacketHeader, packetHeader } from './packet-header';
import { PartialPackets } from './partial-packets';
import type { EngineConn } from './pre-auth';
import { TokenBucket } from './token-bucket';

/** The part of a Socket.IO socket the guard reads: the acks it is waiting for. */
interface AwaitingAcks {
  readonly acks: Map<number, unknown>;
}

export interface PacketGuardOptions {
  readonly limits: Pick<Config['limits'], 'packets' | 'bytes' | 'preAuth' | 'partialPackets'>;
  /** The largest message of a connection with a socket (MAX_HTTP_BUFFER_BYTES); before one, PREAUTH_MAX_MESSAGE_BYTES. */
  readonly maxMessageBytes: number;
  /** The binary packets the app takes. */
  readonly binary: BinaryPolicy;
  /** Whether the server has this namespace. */
  hasNamespace(nsp: string): boolean;
  /** A CONNECT passed the guard on this connection (the pre-auth budget stops evicting it). */
  connecting(conn: EngineConn): void;
  /** The connection broke a rule; closes it. */
  violation(conn: EngineConn, reason: CloseReason): void;
  /** A bug in the guard: logged; the packet goes on to Socket.IO, whose own checks still apply. */
  fault(err: unknown): void;
}

/** The Engine.IO server, as the guard reads it: its ws server and its connections. */
export interface GuardedEngine {
  readonly ws?: WsServer;
  readonly clients: Record<string, EngineConn>;
}

/**
 * Closes for what a connection made the node hold. Engine.IO's close of a WebSocket waits for the client's close frame
 * (up to 30 s) and reads all it sends meanwhile: the rest of its attachments, which the node would read only to drop.
 * So past a memory bound the TCP connection ends as soon as the connection is closed (its reason written).
 */
function hangUp(this: EngineConn): void {
  this.transport.socket?.terminate?.();
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
  /** Attachments the binary packet under way still announces; 0 without one. */
  attachmentsDue: number;
  /** Packets so far, and at the last sweep: a message still arriving with none since has made no progress. */
  received: number;
  receivedAtSweep: number;
  /** When the sweep first saw a message arriving that has not ended since (no packet came in between). */
  arrivingSince?: number;
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
 * It also bounds what a connection makes the node hold before a packet is complete (docs/security.md, "Partial
 * packets"): a binary event or ack only with a socket in its namespace, as the app's settings allow, with its
 * attachments on the node's ledger of partial packets (partial-packets.ts) until the last one; a message at most
 * PREAUTH_MAX_MESSAGE_BYTES until the connection has a socket (message-size.ts); and a message still arriving after
 * PARTIAL_PACKET_TIMEOUT_MS closes its connection (`sweep`, once a second).
 *
 * One per server: the listeners are shared by every connection (Engine.IO and Socket.IO call them with the
 * connection or socket as `this`), so that a connection costs its state and not a set of closures.
 */
export class PacketGuards {
  private readonly state = new WeakMap<EngineConn, Guarded>();
  /** The node's ledger of partial binary packets. */
  private readonly partials: PartialPackets;
  /** The messages a connection may send: before it has a socket, and with one (the ws server's own count of reads). */
  private readonly messages: { preAuth: MessageLimit; authenticated: MessageLimit };
  private sweeping: NodeJS.Timeout | undefined;
  private readonly onPacket: (this: EngineConn, packet: { type: string; data?: unknown }) => void;
  private readonly onDisconnect: (this: Socket) => void;
  private readonly onTransport: (this: EngineConn, transport: EngineTransport) => void;

  constructor(private readonly opts: PacketGuardOptions) {
    const { state } = this;
    this.partials = new PartialPackets(opts.limits.partialPackets, (conn, reason) => this.refuse(conn, reason));
    const messages = (this.messages = {
      preAuth: { maxBytes: opts.limits.preAuth.maxMessageBytes, maxChunks: PREAUTH_MAX_CHUNKS },
      authenticated: { maxBytes: opts.maxMessageBytes, maxChunks: WS_MAX_CHUNKS },
    });
    const inspect = (conn: EngineConn, packet: { type: string; data?: unknown }) => this.inspect(conn, packet);
    // This runs inside Engine.IO's packet handling: an exception here would escape into the transport and kill the node.
    this.onPacket = function (packet) {
      try {
        inspect(this, packet);
      } catch (err) {
        opts.fault(err);
      }
    };
    const unauthenticated = (conn: EngineConn) => {
      if (conn.readyState === 'open' && state.get(conn)?.sockets.size === 0) limitMessages(conn.transport, messages.preAuth);
    };
    this.onDisconnect = function () {
      const conn = this.conn as unknown as EngineConn;
      const sockets = state.get(conn)?.sockets;
      if (sockets?.get(this.nsp.name) !== this) return;
      sockets.delete(this.nsp.name);
      // Without a socket the connection, if it stays open, is unauthenticated again: small messages only. Socket.IO closes
      // a connection after its sockets' disconnects, so this waits a tick: a closing one keeps reading its last messages.
      if (sockets.size === 0) process.nextTick(unauthenticated, conn);
    };
    // A WebSocket upgrade: the new transport starts at the small size (`attach` sets the ws server's), and takes the full
    // one if the connection has a socket.
    this.onTransport = function (transport) {
      if ((state.get(this)?.sockets.size ?? 0) > 0) limitMessages(transport, messages.authenticated);
    };
  }

  /**
   * Starts on the server's engine: every new WebSocket (a session's first transport, or an upgrade) takes small messages
   * until its connection has a socket, and the sweep runs once a second.
   */
  attach(engine: GuardedEngine): void {
    const own = limitNewWebSockets(engine.ws, this.messages.preAuth);
    if (own) this.messages.authenticated = { maxBytes: this.opts.maxMessageBytes, maxChunks: own.maxChunks };
    this.sweeping = setInterval(() => this.sweep(Object.values(engine.clients)), 1_000);
    this.sweeping.unref();
  }

  /** Stops the timers (the node is closing). */
  stop(): void {
    clearInterval(this.sweeping);
    this.partials.stop();
  }

  /** Bytes held now of binary packets waiting for attachments, on every connection. */
  get partialBytes(): number {
    return this.partials.bytes;
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
      attachmentsDue: 0,
      received: 0,
      receivedAtSweep: 0,
    });
    limitMessages(conn.transport, this.messages.preAuth);
    conn.on('packet', this.onPacket);
    conn.on('upgrading', this.onTransport);
    conn.on('upgrade', this.onTransport);
  }

  /** The connection closed: its partial packet, if any, leaves the node's ledger. */
  forget(conn: EngineConn): void {
    this.partials.end(conn);
  }

  /** A socket of this connection connected on `nsp`. */
  connected(conn: EngineConn, nsp: string, socket: Socket): void {
    const guarded = this.state.get(conn);
    if (!guarded) return;
    guarded.pending.delete(nsp);
    // Its first socket: the connection is authenticated, and may send messages of the full size.
    if (guarded.sockets.size === 0) limitMessages(conn.transport, this.messages.authenticated);
    guarded.sockets.set(nsp, socket);
    socket.on('disconnect', this.onDisconnect);
  }

  /** Any socket of this connection, to disconnect it (and so the connection) as the client will understand. */
  anySocket(conn: EngineConn): Socket | undefined {
    return this.state.get(conn)?.sockets.values().next().value;
  }

  /**
   * Once a second: a connection whose message (a WebSocket message, a polling body) has been arriving since the last
   * sweep, with no packet in between, for PARTIAL_PACKET_TIMEOUT_MS is closed (`partial_timeout`).
   */
  sweep(conns: Iterable<EngineConn>, now = Date.now()): void {
    for (const conn of conns) {
      const guarded = this.state.get(conn);
      if (!guarded) continue;
      const progressed = guarded.received !== guarded.receivedAtSweep;
      guarded.receivedAtSweep = guarded.received;
      if (!messageArriving(conn.transport)) guarded.arrivingSince = undefined;
      else if (progressed || guarded.arrivingSince === undefined) guarded.arrivingSince = now;
      else if (now - guarded.arrivingSince >= this.opts.limits.partialPackets.timeoutMs) this.refuse(conn, CLOSE_REASONS.partialTimeout);
    }
  }

  private inspect(conn: EngineConn, packet: { type: string; data?: unknown }): void {
    const guarded = this.state.get(conn);
    if (!guarded) return;
    const { opts } = this;
    const size = sizeOf(packet.data);
    guarded.received++;
    if (!guarded.packets.take() || !guarded.bytes.take(size)) return opts.violation(conn, CLOSE_REASONS.packetBudget);
    if (packet.type !== 'message') return;
    if (typeof packet.data !== 'string') return this.attachment(conn, guarded, size);
    const header = packetHeader(packet.data);
    if (!header) return;
    const binary = header.type === PACKET.binaryEvent || header.type === PACKET.binaryAck;
    if (binary && !this.takesBinary(guarded, header)) return this.refuse(conn, CLOSE_REASONS.binaryRefused);
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
    // Socket.IO keeps this packet until its last attachment: on the ledger from now on, with its deadline.
    if (binary) {
      guarded.attachmentsDue = header.attachments;
      this.partials.begin(conn, size);
    }
  }

  /** A close for what the connection made the node hold: nothing more is read from it (hangUp). */
  private refuse(conn: EngineConn, reason: CloseReason): void {
    conn.once('close', hangUp);
    this.opts.violation(conn, reason);
  }

  /** A binary event or ack is taken with a socket in its namespace (so after an authenticated CONNECT), as the app allows. */
  private takesBinary(guarded: Guarded, header: PacketHeader): boolean {
    const { binary } = this.opts;
    return binary.accepted && guarded.sockets.has(header.nsp) && header.attachments <= binary.maxAttachments;
  }

  /** An attachment of the binary packet under way (Socket.IO closes a connection that sends one without such a packet). */
  private attachment(conn: EngineConn, guarded: Guarded, size: number): void {
    if (guarded.attachmentsDue === 0) return;
    if (size > this.opts.binary.maxAttachmentBytes) return this.refuse(conn, CLOSE_REASONS.binaryRefused);
    guarded.attachmentsDue--;
    if (!this.partials.add(conn, size)) return;
    // The last one: Socket.IO hands the packet to the app now.
    if (guarded.attachmentsDue === 0) this.partials.end(conn);
  }
}
