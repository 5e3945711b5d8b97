import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCluster, startLocalCluster } from '../../local/local-cluster';
import { closeAllClients, getJson, openClient, waitFor } from '../helpers/clients';
import { freePorts } from '../helpers/ports';

describe('Redis restart while clients stay connected', () => {
  let cluster: LocalCluster;
  beforeAll(async () => {
    cluster = await startLocalCluster({ ports: await freePorts(3) });
  });
  afterEach(() => closeAllClients());
  afterAll(async () => cluster?.stop());

  const redisStates = () => Promise.all(cluster.nodes.map(async (n) => (await getJson(`${n.url}/healthz`)).body.redis));

  it('keeps serving locally, reports the outage, then resubscribes and delivers across nodes again', async () => {
    const clients = await Promise.all(cluster.nodes.map((n) => openClient(n.url)));
    const [a, b, c] = clients;
    for (const x of clients) expect(await x.request('room:join', { room: 'ops' })).toMatchObject({ ok: true });
    const before = await a.request<{ id: string }>('chat:message', { room: 'ops', text: 'before' });
    expect(before.ok).toBe(true);
    await c.nextMessage((m) => m.text === 'before');

    await cluster.redis!.stop();
    expect(await waitFor(redisStates, (s) => s.every((x) => x === 'reconnecting'))).toEqual([
      'reconnecting',
      'reconnecting',
      'reconnecting',
    ]);
    // Liveness and readiness stay green: restarting tasks would not bring Redis back.
    for (const n of cluster.nodes) {
      expect((await getJson(`${n.url}/healthz`)).status).toBe(200);
      expect((await getJson(`${n.url}/readyz`)).status).toBe(200);
    }
    // Local delivery goes on without Redis, and a failed publish costs no process.
    const during = await a.request<{ id: string }>('chat:message', { room: 'ops', text: 'during' });
    expect(during.ok).toBe(true);
    await a.nextMessage((m) => m.text === 'during');

    await cluster.redis!.start();
    await waitFor(redisStates, (s) => s.every((x) => x === 'ready'));
    // Each node must have re-subscribed: send from every node and expect it on every other.
    for (const sender of clients) {
      const text = `after from ${sender.session.node}`;
      const ack = await sender.request('chat:message', { room: 'ops', text });
      expect(ack.ok).toBe(true);
      for (const receiver of clients) await receiver.nextMessage((m) => m.text === text);
    }
    expect(await b.request('room:members', { room: 'ops' })).toEqual({ ok: true, room: 'ops', count: 3 });
    for (const n of cluster.nodes) {
      expect(n.child.exitCode).toBeNull();
      expect(n.logs.filter((l) => l.msg === 'unhandled rejection')).toEqual([]);
      expect(n.logs.filter((l) => l.msg === 'redis connection lost, reconnecting').length).toBeGreaterThan(0);
    }
    expect(clients.every((x) => x.socket.connected)).toBe(true);
  });
});
