import type { Socket } from 'socket.io';

/**
 * The broadcast fast path. Socket.IO frames a broadcast once (socket.io-adapter's `_encode` sets
 * `wsPreEncodedFrame`), then hands it to every receiver through Engine.IO: `writeToEngine`, `sendPacket`
 * (a packet object, a `packetCreate` event), `flush` (two `flush` and two `drain` events, a callback list),
 * `transport.send`, ws's `sendFrame` (cork, two writes, uncork), and a write callback per socket that
 * emits `drain` and `ready` again. Here the frame goes straight to the TCP socket of each receiver on a
 * plain WebSocket transport, as one buffer, without a callback, and each socket's writes of one tick go
 * out in one syscall (cork until the next tick). Anything unusual takes Engine.IO's path, unchanged.
 *
 * Checked against socket.io 4.8.4, socket.io-adapter 2.5.8, engine.io 6.6.12 and ws 8.21.3
 * (test/service/delivery/fast-broadcast-versions.test.ts fails on another version until it is checked again).
 */

/** The ws internals the fast path reads: ws 8's WebSocket, its Sender and its net.Socket. */
interface WsSocket {
  readonly readyState: number;
  readonly _sender?: { readonly _state?: number; readonly _queue?: unknown[] };
  readonly _socket?: NetSocket;
}

interface NetSocket {
  readonly destroyed: boolean;
  readonly writable: boolean;
  readonly writableNeedDrain: boolean;
  cork(): void;
  uncork(): void;
  write(chunk: Buffer): boolean;
}

/** The Engine.IO socket internals (engine.io 6's Socket and its WebSocket transport). */
interface EngineConn {
  readonly readyState: string;
  readonly upgrading: boolean;
  readonly writeBuffer: unknown[];
  readonly transport: { readonly name: string; readonly perMessageDeflate?: unknown; readonly socket?: WsSocket };
}

/** What the fast path reads of a Socket.IO socket (`_anyOutgoingListeners` is private in its types). */
type FastSocket = Pick<Socket, 'conn'>;
const outgoingListeners = (socket: FastSocket) => (socket as unknown as { _anyOutgoingListeners?: unknown[] })._anyOutgoingListeners;

/** The adapter internals (socket.io-adapter 2.5: `broadcast` calls `_encode`, then `apply` with a per-socket writer). */
export interface BroadcastInternals {
  _encode(packet: { id?: number }, opts: { volatile?: boolean; wsPreEncodedFrame?: Buffer[] }): unknown;
  apply(opts: unknown, fn: (socket: Socket) => void): void;
}

const WS_OPEN = 1;
/** ws's Sender is idle (not deflating, not reading a Blob) in this state. */
const SENDER_DEFAULT = 0;

/** The TCP sockets corked in this tick; the next tick uncorks them. */
const corked = new Set<NetSocket>();

function uncorkAll(): void {
  const held = [...corked];
  corked.clear();
  for (const net of held) net.uncork();
}

/** Holds `net`'s writes until the next tick, so that whatever this tick writes to it leaves in one syscall. */
function hold(net: NetSocket): void {
  if (corked.has(net)) return;
  if (corked.size === 0) process.nextTick(uncorkAll);
  corked.add(net);
  net.cork();
}

/**
 * The TCP socket the fast path may write to, or undefined when the socket must take Engine.IO's path:
 * not open, upgrading, on another transport, compressing, with packets waiting in Engine.IO's buffer
 * (they go first), ws's sender busy, or the TCP socket back-pressured (its buffer past the high-water mark).
 */
export function directSocket(socket: FastSocket): NetSocket | undefined {
  if (outgoingListeners(socket)?.length) return undefined;
  const conn = socket.conn as unknown as EngineConn;
  if (conn.readyState !== 'open' || conn.upgrading || conn.writeBuffer.length !== 0) return undefined;
  const transport = conn.transport;
  if (transport.name !== 'websocket' || transport.perMessageDeflate) return undefined;
  const ws = transport.socket;
  if (ws?.readyState !== WS_OPEN || ws._sender?._state !== SENDER_DEFAULT || ws._sender._queue?.length !== 0) return undefined;
  const net = ws._socket;
  if (!net || net.destroyed || !net.writable || net.writableNeedDrain) return undefined;
  return net;
}

/** Corks the socket's TCP writes until the next tick (an ack and the broadcast after it leave in one write). */
export function holdWrites(socket: FastSocket): void {
  const net = directSocket(socket);
  if (net) hold(net);
}

/** Writes one pre-encoded WebSocket frame to the socket directly; false when the socket must take Engine.IO's path. */
export function writeFrame(socket: FastSocket, frame: Buffer): boolean {
  const net = directSocket(socket);
  if (!net) return false;
  hold(net);
  net.write(frame);
  return true;
}

const installed = new WeakSet<object>();

/**
 * Puts the fast path on one adapter instance. `_encode` says whether this broadcast has a pre-encoded
 * frame (not for acknowledged or volatile broadcasts, whose per-socket work is more than a write); the
 * `apply` that follows it writes the frame to each socket that can take it, and calls the library's
 * writer for the others. The delivery count's wrapper of `apply`, installed before this one, wraps the
 * per-socket function this passes it, so it counts every socket, written directly or not.
 */
export function installFastBroadcast(adapter: BroadcastInternals): void {
  if (installed.has(adapter)) return;
  installed.add(adapter);
  const encode = adapter._encode.bind(adapter);
  const apply = adapter.apply.bind(adapter);
  let frame: Buffer | undefined;
  adapter._encode = (packet, opts) => {
    const encoded = encode(packet, opts);
    const pre = opts.wsPreEncodedFrame;
    frame = packet.id === undefined && !opts.volatile && pre ? (pre.length === 1 ? pre[0] : Buffer.concat(pre)) : undefined;
    return encoded;
  };
  adapter.apply = (opts, fn) => {
    const direct = frame;
    frame = undefined;
    if (direct === undefined) return apply(opts, fn);
    apply(opts, (socket) => {
      if (!writeFrame(socket, direct)) fn(socket);
    });
  };
}
