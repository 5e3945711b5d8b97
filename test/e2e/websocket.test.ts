import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCluster } from '../../local/local-cluster';
import { BROWSER_LIKE, closeAllClients, exchange, openClient, type TestClient } from '../helpers/clients';
import { startLocalClusterBehindHaproxy } from './helpers';

const upgraded = (c: TestClient) =>
  new Promise<string>((resolve) => {
    const engine = c.socket.io.engine;
    if (engine.transport.name === 'websocket') resolve('websocket');
    else engine.once('upgrade', () => resolve(engine.transport.name));
  });

describe('e2e: WebSocket through the load balancer', () => {
  let cluster: LocalCluster;
  beforeAll(async () => {
    cluster = await startLocalClusterBehindHaproxy();
  });
  afterEach(() => closeAllClients());
  afterAll(async () => cluster?.stop());

  it('passes WebSocket connections through, spreads them over the nodes, and they chat across nodes', async () => {
    const clients = await Promise.all(Array.from({ length: 6 }, () => openClient(cluster.url, { transports: ['websocket'] })));
    expect(new Set(clients.map((c) => c.session.node)).size).toBeGreaterThan(1);
    for (const c of clients) expect(c.socket.io.engine.transport.name).toBe('websocket');
    const room = `ws-${process.pid}`;
    for (const c of clients) await c.join(room);
    await exchange(clients, room, 'over websocket');
    expect(await clients[5].request('room:members', { room })).toEqual({ ok: true, room, count: 6 });
  });

  it('upgrades browser-style clients (polling first, with the cookie) on the node that did their handshake', async () => {
    // Round robin alone would send each upgrade request to another node, where it would fail.
    const clients = await Promise.all(Array.from({ length: 4 }, () => openClient(cluster.url, BROWSER_LIKE)));
    expect(await Promise.all(clients.map(upgraded))).toEqual(Array(4).fill('websocket'));
    expect(new Set(clients.map((c) => c.session.node)).size).toBeGreaterThan(1);
    const room = `upgrade-${process.pid}`;
    for (const c of clients) await c.join(room);
    await exchange(clients, room, 'after upgrade');
    for (const c of clients) expect(c.sessions).toHaveLength(1);
  });
});
