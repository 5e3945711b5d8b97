import type { Namespace, Socket } from 'socket.io';

/**
 * Closes two gaps in Socket.IO's connection state recovery on the streams adapter, found when
 * 300 clients recover on one node while messages flow (test/local/stop-task.test.ts):
 * - Lost: a restore reads what the client missed with XRANGE, and the socket joins its rooms
 *   and the namespace a few ticks later. A broadcast applied in between (this node's own,
 *   whose XADD came after that XRANGE) skips the socket, and the XRANGE was too early to hold it.
 * - Duplicated: this node's stream reader can lag behind the restore's XRANGE, and then applies
 *   again a message that was already among the missed packets.
 * So broadcasts are held while a restore runs, from its start until its socket is connected, and
 * applied then, in order; and each recovered socket keeps the newest offset it was given (its
 * horizon): no broadcast at or below it is written to it again.
 */

interface Session {
  readonly sid: string;
  readonly missedPackets: unknown[][];
}

type ApplyOpts = { rooms: Set<string>; except?: Set<string> };

/** The adapter internals this relies on (socket.io-adapter 2.5: every broadcast calls `_encode`, then `apply`). */
interface Internals {
  readonly nsp: Namespace;
  restoreSession(pid: string, offset: string): Promise<Session | null | undefined>;
  _encode(packet: { data?: unknown[] }, opts: unknown): unknown;
  apply(opts: ApplyOpts, fn: (socket: Socket) => void): void;
}

const OFFSET = /^(\d+)-(\d+)$/;

/** Stream entry ids compare by time, then sequence. */
export function compareOffsets(a: string, b: string): number {
  const [, am, as] = OFFSET.exec(a)!;
  const [, bm, bs] = OFFSET.exec(b)!;
  return Number(am) - Number(bm) || Number(as) - Number(bs);
}

const offsetOf = (data: unknown[] | undefined): string | undefined => {
  const last = data?.at(-1);
  return typeof last === 'string' && OFFSET.test(last) ? last : undefined;
};

/** A restore whose socket never connects (refused, or gone) holds broadcasts no longer than this. */
export const MAX_HOLD_MS = 2_000;
/** A horizon is dropped when its socket goes, or after this long (no reader lags that far). */
const HORIZON_TTL_MS = 10 * 60_000;

/** Wraps an adapter constructor so that every namespace's instance recovers sessions exactly once. */
export function exactlyOnceRecovery<A extends (nsp: Namespace) => unknown>(createAdapter: A): A {
  // Socket.IO calls it with `new`: a function that returns the instance, as the library's own does.
  return function patchedAdapter(nsp: Namespace) {
    const adapter = createAdapter(nsp) as Internals;
    patch(adapter);
    return adapter;
  } as unknown as A;
}

function patch(adapter: Internals): void {
  const horizons = new Map<string, { offset: string; at: number }>();
  /** Restores under way, each until its socket is connected; and the broadcasts held, with the restores they wait for. */
  const restoring = new Set<symbol>();
  const connecting = new Map<string, symbol>();
  const held: Array<{ waitFor: Set<symbol>; run: () => void }> = [];
  const restore = adapter.restoreSession.bind(adapter);
  const encode = adapter._encode.bind(adapter);
  const apply = adapter.apply.bind(adapter);
  let encodedOffset: string | undefined;

  const flush = () => {
    while (held.length > 0 && [...held[0].waitFor].every((r) => !restoring.has(r))) held.shift()!.run();
  };
  const release = (r: symbol) => {
    if (restoring.delete(r)) flush();
  };
  const seen = (socket: Socket, offset: string) => {
    const h = horizons.get(socket.id);
    return h !== undefined && compareOffsets(offset, h.offset) <= 0;
  };
  const deliver = (opts: ApplyOpts, fn: (socket: Socket) => void, offset: string) =>
    apply(opts, (socket) => {
      if (!seen(socket, offset)) fn(socket);
    });

  adapter.restoreSession = async (pid, offset) => {
    const r = Symbol(pid);
    restoring.add(r);
    setTimeout(() => {
      for (const [sid, x] of connecting) if (x === r) connecting.delete(sid);
      release(r);
    }, MAX_HOLD_MS).unref();
    let session: Session | null | undefined;
    try {
      session = await restore(pid, offset);
    } finally {
      if (!session) release(r);
    }
    if (!session) return session;
    const now = Date.now();
    for (const [sid, h] of horizons) if (now - h.at > HORIZON_TTL_MS) horizons.delete(sid);
    horizons.set(session.sid, { offset: offsetOf(session.missedPackets.at(-1)) ?? offset, at: now });
    connecting.set(session.sid, r);
    return session;
  };
  // Every broadcast encodes its packet, then walks its sockets with apply(): the offset travels between the two.
  adapter._encode = (packet, opts) => {
    encodedOffset = offsetOf(packet.data);
    return encode(packet, opts);
  };
  adapter.apply = (opts, fn) => {
    const offset = encodedOffset;
    encodedOffset = undefined;
    // Not a broadcast with an offset (fetchSockets, socketsJoin …), or nothing to guard: as the library does.
    if (!offset || (restoring.size === 0 && horizons.size === 0)) return apply(opts, fn);
    if (restoring.size === 0 && held.length === 0) return deliver(opts, fn, offset);
    held.push({ waitFor: new Set(restoring), run: () => deliver(opts, fn, offset) });
    flush();
  };
  adapter.nsp.on('connection', (socket: Socket) => {
    const r = connecting.get(socket.id);
    if (r === undefined) return;
    connecting.delete(socket.id);
    socket.once('disconnect', () => horizons.delete(socket.id));
    release(r);
  });
}
