import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../../service/src/app';
import { BROWSER_LIKE, closeAllClients, openClient } from '../../helpers/clients';
import { startInProcessApp } from '../../helpers/in-process-app';

// What a connection keeps of its handshake: the client address, not the HTTP request (docs/performance.md, memory per connection).
describe('admission keeps the address of a connection, not its request', () => {
  let app: App;
  let url: string;
  beforeAll(async () => {
    ({ app, url } = await startInProcessApp({}, 'adm'));
  });
  afterAll(async () => {
    closeAllClients();
    await app?.close();
  });

  it.each([
    ['websocket', { transports: ['websocket'] }],
    ['long-polling, then the upgrade', BROWSER_LIKE],
  ])('releases the handshake request once its socket connected, over %s, and the socket keeps working', async (_name, opts) => {
    const client = await openClient(url, opts);
    const socket = app.io.of('/').sockets.get(client.session.sid)!;
    expect(socket).toBeDefined();
    expect((socket.conn as unknown as { request: unknown }).request).toBeNull();
    // Socket.IO cached the peer address at the handshake; the service's log lines use its own copy.
    expect(socket.handshake.address).toMatch(/127\.0\.0\.1/);
    await client.join('adm-room');
    expect(await client.request('chat:message', { room: 'adm-room', text: 'still here' })).toMatchObject({ ok: true });
    await client.nextMessage((m) => m.text === 'still here');
  });

  // engine.io's response to a WebSocket upgrade keeps its request until the connection closes: the headers must go anyway.
  it('empties the headers of the requests a WebSocket connection keeps (the first and the upgrade); the sockets still work', async () => {
    const kept: { name: string; request: IncomingMessage }[] = [];
    const record = (_headers: unknown, request: IncomingMessage & { _query?: Record<string, string> }) => {
      if (request._query?.transport === 'websocket') kept.push({ name: request._query.sid ? 'upgrade' : 'first', request });
    };
    app.io.engine.on('headers', record);
    const big = 'x'.repeat(4_000);
    const direct = await openClient(url, { transports: ['websocket'], extraHeaders: { 'x-padding': big } });
    const upgraded = await openClient(url, { ...BROWSER_LIKE, extraHeaders: { 'x-padding': big } });
    if (upgraded.socket.io.engine.transport.name !== 'websocket')
      await new Promise((resolve) => upgraded.socket.io.engine.once('upgrade', resolve));
    app.io.engine.off('headers', record);
    expect(kept.map((k) => k.name).sort()).toEqual(['first', 'upgrade']);
    for (const { request } of kept) {
      expect(request.headers).toEqual({});
      expect(request.rawHeaders).toEqual([]);
    }
    for (const [client, room] of [
      [direct, 'adm-direct'],
      [upgraded, 'adm-upgraded'],
    ] as const) {
      await client.join(room);
      expect(await client.request('chat:message', { room, text: `after ${room}` })).toMatchObject({ ok: true });
      await client.nextMessage((m) => m.text === `after ${room}`);
    }
  });
});
