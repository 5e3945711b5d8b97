import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installAdapter } from '../../../service/src/delivery/delivery-count';

/** Counts what installAdapter reports, per key. */
function counter() {
  const counts = new Map<string, number>();
  return {
    increment: (key: string, n = 1) => void counts.set(key, (counts.get(key) ?? 0) + n),
    delivered: () => counts.get('messagesDelivered') ?? 0,
  };
}

describe('installAdapter', () => {
  let http: HttpServer;
  let io: Server;
  let clients: ClientSocket[];

  beforeEach(async () => {
    http = createServer();
    io = new Server(http);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  });
  afterEach(async () => {
    for (const c of clients) c.disconnect();
    await io.close();
  });

  const connectClients = async (n: number) => {
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    clients = Array.from({ length: n }, () => connect(url, { transports: ['websocket'], forceNew: true }));
    await Promise.all(clients.map((c) => new Promise<void>((resolve) => c.once('connect', () => resolve()))));
  };
  /** Broadcasts to everyone and resolves once every client has it. */
  const broadcast = async () => {
    const received = Promise.all(clients.map((c) => new Promise<void>((resolve) => c.once('ping:test', () => resolve()))));
    io.emit('ping:test');
    await received;
  };

  it('counts one delivery per socket a broadcast reaches, however often the same adapter is installed', async () => {
    const metrics = counter();
    installAdapter(io, metrics);
    installAdapter(io, metrics);
    await connectClients(3);
    await broadcast();
    expect(metrics.delivered()).toBe(3);
  });

  it('counts on an adapter installed later, which replaces the instance the first count was on', async () => {
    const metrics = counter();
    installAdapter(io, metrics);
    const first = io.of('/').adapter;
    // As once Redis is connected: a new adapter constructor, so new instances for every namespace.
    installAdapter(io, metrics, io.adapter()!);
    expect(io.of('/').adapter).not.toBe(first);
    await connectClients(2);
    await broadcast();
    await broadcast();
    expect(metrics.delivered()).toBe(4);
  });
});
