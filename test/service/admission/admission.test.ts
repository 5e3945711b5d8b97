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
});
