import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installAdapter } from '../../../service/src/delivery/delivery-count';
import { holdWrites } from '../../../service/src/delivery/fast-broadcast';

/** Counts what installAdapter reports. */
function counter() {
  let delivered = 0;
  return {
    increment: (key: string, n = 1) => void (key === 'messagesDelivered' && (delivered += n)),
    delivered: () => delivered,
  };
}

interface EngineConn {
  on(event: 'packetCreate', fn: (packet: { type: string; data?: unknown }) => void): void;
  transport: { name: string; socket?: { _socket?: { writableCorked: number } } };
}
const engine = (socket: Socket) => socket.conn as unknown as EngineConn;

describe('the broadcast fast path', () => {
  let http: HttpServer;
  let io: Server;
  let clients: ClientSocket[] = [];
  let url: string;

  beforeEach(async () => {
    http = createServer();
    io = new Server(http, { perMessageDeflate: false });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    for (const c of clients) c.disconnect();
    clients = [];
    await io.close();
  });

  /** Connects clients on the given transports; resolves with the server's sockets, in the same order. */
  const connectClients = async (transports: Array<'websocket' | 'polling'>) => {
    const sockets: Socket[] = [];
    const joined = new Promise<void>((resolve) =>
      io.on('connection', (s) => {
        sockets.push(s);
        if (sockets.length === transports.length) resolve();
      }),
    );
    for (const t of transports) {
      const c = connect(url, { transports: [t], forceNew: true, upgrade: false });
      clients.push(c);
      await new Promise<void>((resolve) => c.once('connect', () => resolve()));
    }
    await joined;
    return clients.map((c) => sockets.find((s) => s.id === c.id)!);
  };
  /** Engine.IO packets each socket was given through its own write path (sendPacket). */
  const engineWrites = (sockets: Socket[]) => {
    const seen = sockets.map(() => [] as string[]);
    sockets.forEach((s, i) => engine(s).on('packetCreate', (p) => seen[i].push(String(p.data))));
    return seen;
  };

  it('writes a broadcast straight to websocket sockets, through Engine.IO to polling ones, and counts every delivery', async () => {
    const metrics = counter();
    installAdapter(io, metrics);
    const sockets = await connectClients(['websocket', 'websocket', 'polling']);
    const written = engineWrites(sockets);
    const text = 'é ✓ 𝄞 \u2028 "quoted" \\ end';
    const received = clients.map((c) => new Promise<unknown[]>((resolve) => c.once('chat:message', (...args: unknown[]) => resolve(args))));
    io.emit('chat:message', { text, n: 1 }, [1, null]);
    expect(await Promise.all(received)).toEqual(clients.map(() => [{ text, n: 1 }, [1, null]]));
    expect(metrics.delivered()).toBe(3);
    // Only the polling socket's copy went through Engine.IO's sendPacket.
    expect(written.map((w) => w.filter((d) => d.includes('chat:message')).length)).toEqual([0, 0, 1]);
  });

  it('keeps a socket’s order when packets of its own are waiting in Engine.IO’s buffer', async () => {
    installAdapter(io, counter());
    const [socket] = await connectClients(['websocket']);
    const got: number[] = [];
    const all = new Promise<void>((resolve) =>
      clients[0].on('seq', (n: number) => {
        got.push(n);
        if (got.length === 200) resolve();
      }),
    );
    // The first emit leaves the transport unwritable until its write completes: the next ones wait in the
    // socket's writeBuffer, and the broadcasts between them must not overtake them.
    for (let i = 0; i < 100; i++) {
      socket.emit('seq', 2 * i);
      io.emit('seq', 2 * i + 1);
    }
    await all;
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it('delivers every broadcast in order across an upgrade from polling, and writes directly once on WebSocket', async () => {
    installAdapter(io, counter());
    const c = connect(url, { transports: ['polling', 'websocket'], forceNew: true });
    clients.push(c);
    const socket = await new Promise<Socket>((resolve) => io.once('connection', resolve));
    const written = engineWrites([socket])[0];
    const got: number[] = [];
    c.on('seq', (n: number) => got.push(n));
    const upgraded = new Promise<void>((resolve) => socket.conn.once('upgrade', () => resolve()));
    // Broadcasts go out before, during and after the upgrade.
    let n = 0;
    const timer = setInterval(() => io.emit('seq', n++), 1);
    await upgraded;
    const afterUpgrade = n;
    await new Promise((resolve) => setTimeout(resolve, 50));
    clearInterval(timer);
    const last = n - 1;
    await new Promise<void>((resolve) => (got.at(-1) === last ? resolve() : c.on('seq', (x: number) => x === last && resolve())));
    expect(got).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(engine(socket).transport.name).toBe('websocket');
    const viaEngine = written.filter((d) => d.includes('"seq"')).length;
    expect(viaEngine).toBeGreaterThan(0);
    // Some broadcasts after the upgrade may still meet packets waiting in Engine.IO's buffer; the rest go direct.
    expect(viaEngine).toBeLessThan(n);
    expect(n - afterUpgrade).toBeGreaterThan(5);
  });

  it('leaves acknowledged and volatile broadcasts to Socket.IO', async () => {
    installAdapter(io, counter());
    const sockets = await connectClients(['websocket', 'websocket']);
    const written = engineWrites(sockets);
    for (const c of clients) c.on('ask', (ack: (r: string) => void) => ack(`yes ${c.id}`));
    const answers = await io.timeout(2_000).emitWithAck('ask');
    expect([...answers].sort()).toEqual(clients.map((c) => `yes ${c.id}`).sort());
    const volatile = Promise.all(clients.map((c) => new Promise<void>((resolve) => c.once('v', () => resolve()))));
    io.volatile.emit('v');
    await volatile;
    expect(written.map((w) => w.filter((d) => d.includes('"ask"') || d.includes('"v"')).length)).toEqual([2, 2]);
  });

  it('holds a socket’s writes until the next tick, so that an ack and the broadcast after it leave together', async () => {
    installAdapter(io, counter());
    const [socket] = await connectClients(['websocket']);
    const tcp = engine(socket).transport.socket!._socket!;
    expect(tcp.writableCorked).toBe(0);
    holdWrites(socket);
    holdWrites(socket);
    expect(tcp.writableCorked).toBe(1);
    await new Promise((resolve) => process.nextTick(resolve));
    expect(tcp.writableCorked).toBe(0);
  });
});
