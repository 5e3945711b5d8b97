import { UNTHROTTLED_ENV } from '../../local/service-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCluster, startLocalCluster } from '../../local/local-cluster';
import type { SessionInfo } from '../../contract/app';
import { closeAllClients, openClient, type TestClient } from '../helpers/clients';
import { freePorts } from '../helpers/ports';
import { clusterSuite } from './cluster-suite';
import { startClusterBehindHaproxy } from '../helpers/cluster';

// The sender below writes about 100 events a second, above the default per-connection packet budget.
const STREAMS = { ...UNTHROTTLED_ENV, ADAPTER: 'streams' };

clusterSuite('redis-streams adapter, 3 bundled nodes', async () => {
  const cluster = await startLocalCluster({ ports: await freePorts(3), env: STREAMS });
  return { urls: cluster.nodes.map((n) => n.url), stop: () => cluster.stop() };
});

const nextSession = (client: TestClient) => new Promise<SessionInfo>((resolve) => client.socket.once('sys:session', resolve));

/** Sends to `room` every few ms until `until` settles, then `tail` more; resolves with the acked ids. */
async function sendThrough(sender: TestClient, room: string, until: Promise<unknown>, tail = 5): Promise<string[]> {
  const ids: string[] = [];
  let done = false;
  void until.then(() => (done = true));
  // Bounded: the outage it spans is a few seconds at most.
  for (let i = 0; i < 2_000 && !done; i++) {
    const ack = await sender.request<{ id: string }>('chat:message', { room, text: `during ${i}` });
    if (ack.ok) ids.push(ack.id);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  for (let i = 0; i < tail; i++) {
    const ack = await sender.request<{ id: string }>('chat:message', { room, text: `after ${i}` });
    if (ack.ok) ids.push(ack.id);
  }
  return ids;
}

async function expectEachExactlyOnce(client: TestClient, ids: string[]): Promise<void> {
  await client.nextMessage((m) => m.id === ids.at(-1));
  const seen = client.messages.map((m) => m.id);
  for (const id of ids)
    expect(
      seen.filter((s) => s === id),
      `message ${id}`,
    ).toHaveLength(1);
}

describe('zero-loss mode (redis-streams with connection state recovery)', () => {
  let cluster: LocalCluster;
  beforeAll(async () => {
    cluster = await startClusterBehindHaproxy({ nodes: 3, env: STREAMS });
  });
  afterEach(() => closeAllClients());
  afterAll(async () => cluster?.stop());

  it('delivers messages sent during a 2-second cut of a client connection exactly once after it reconnects', async () => {
    const room = 'cut';
    const sender = await openClient(cluster.nodes[0].url);
    const cut = await openClient(cluster.nodes[1].url, { reconnectionDelay: 2_000, reconnectionDelayMax: 2_000, randomizationFactor: 0 });
    for (const c of [sender, cut]) expect(await c.request('room:join', { room })).toMatchObject({ ok: true });
    // Recovery needs an offset: the client must have received at least one message.
    const first = await sender.request<{ id: string }>('chat:message', { room, text: 'first' });
    await cut.nextMessage((m) => first.ok && m.id === first.id);

    const back = nextSession(cut);
    cut.socket.io.engine.close();
    const ids = await sendThrough(sender, room, back);
    const session = await back;
    expect(session.recovered).toBe(true);
    expect(cut.socket.recovered).toBe(true);
    expect(ids.length).toBeGreaterThan(50);
    await expectEachExactlyOnce(cut, ids);
  });

  it('delivers messages sent while a node drains on SIGTERM exactly once to its clients, after they reconnect elsewhere', async () => {
    const room = 'drain';
    const lb = cluster.loadBalancer!.url;
    const target = cluster.nodes[2];
    const clients: TestClient[] = [];
    // Through the LB, new sessions are spread round-robin; keep opening until the target holds three.
    for (let i = 0; i < 30 && clients.filter((c) => c.session.node === target.nodeId).length < 3; i++) {
      clients.push(await openClient(lb, { withCredentials: true }));
    }
    const affected = clients.filter((c) => c.session.node === target.nodeId);
    const sender = clients.find((c) => c.session.node !== target.nodeId)!;
    expect(affected).toHaveLength(3);
    for (const c of [sender, ...affected]) expect(await c.request('room:join', { room })).toMatchObject({ ok: true });
    const first = await sender.request<{ id: string }>('chat:message', { room, text: 'first' });
    for (const c of affected) await c.nextMessage((m) => first.ok && m.id === first.id);

    const reconnected = Promise.all(affected.map(nextSession));
    const exit = target.stop('SIGTERM');
    const ids = await sendThrough(sender, room, reconnected);
    for (const session of await reconnected) {
      expect(session.recovered).toBe(true);
      expect(session.node).not.toBe(target.nodeId);
    }
    expect((await exit).code).toBe(0);
    expect(ids.length).toBeGreaterThan(5);
    for (const c of affected) await expectEachExactlyOnce(c, ids);
  });
});
