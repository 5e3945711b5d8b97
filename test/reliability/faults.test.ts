import { UNTHROTTLED_ENV } from '../../local/service-node';
import { afterEach, describe, expect, it } from 'vitest';
import { type LocalCluster, startLocalCluster } from '../../local/local-cluster';
import { type RedisServer, startRedisServer } from '../../local/redis-server';
import type { SessionInfo } from '../../contract/app';
import { closeAllClients, getJson, joinRoom, openClient, send, type TestClient, unique, waitFor } from '../helpers/clients';
import { freePorts } from '../helpers/ports';
import { expectAllToAll, redisAdmin, unresponsive } from './helpers';

const OUTAGE_MS = 10_000;

const redisStates = (cluster: LocalCluster) => Promise.all(cluster.nodes.map(async (n) => (await getJson(`${n.url}/healthz`)).body.redis));

const expectAlive = (cluster: LocalCluster, nodes = cluster.nodes) => {
  for (const n of nodes) {
    expect(n.child.exitCode, `${n.nodeId} exited`).toBeNull();
    expect(n.child.signalCode, `${n.nodeId} was killed`).toBeNull();
    expect(n.logs.filter((l) => l.msg === 'unhandled rejection')).toEqual([]);
  }
};

const nextSession = (c: TestClient) => new Promise<SessionInfo>((resolve) => c.socket.once('sys:session', resolve));

describe('faults', () => {
  let cluster: LocalCluster | undefined;
  let ownRedis: RedisServer | undefined;
  afterEach(async () => {
    closeAllClients();
    await cluster?.stop();
    await ownRedis?.stop();
    cluster = ownRedis = undefined;
  });

  it('Redis down for 10 s: same-node delivery and health go on throughout, cross-node delivery comes back after', async () => {
    const c = (cluster = await startLocalCluster({ ports: await freePorts(3) }));
    const [n1, n2, n3] = c.nodes.map((n) => n.url);
    const [a1, a2, b, d] = await Promise.all([openClient(n1), openClient(n1), openClient(n2), openClient(n3)]);
    const all = [a1, a2, b, d];
    const room = unique('outage');
    for (const x of all) await joinRoom(x, room);
    await expectAllToAll(all, room, 'before');

    await c.redis!.stop();
    const outageEnds = Date.now() + OUTAGE_MS;
    await waitFor(
      () => redisStates(c),
      (s) => s.every((x) => x === 'reconnecting'),
    );
    // The outage length is the scenario itself; inside it, the node is checked twice a second.
    let checks = 0;
    for (let i = 0; i < 100 && Date.now() < outageEnds - 500; i++) {
      const text = `during ${i}`;
      await send(a1, text, room);
      await a2.nextMessage((m) => m.text === text, 2_000);
      const health = await Promise.all(c.nodes.map((n) => getJson(`${n.url}/healthz`)));
      expect(health.map((h) => [h.status, h.body.redis])).toEqual(c.nodes.map(() => [200, 'reconnecting']));
      expect(await b.request('room:members', { room })).toMatchObject({ ok: false, error: { code: 'unavailable' } });
      checks++;
      await new Promise((resolve) => setTimeout(resolve, Math.min(500, Math.max(0, outageEnds - 500 - Date.now()))));
    }
    expect(checks).toBeGreaterThanOrEqual(10);
    // Nothing sent during the outage crossed nodes, and nothing is replayed later.
    expect(d.messages.filter((m) => m.text.startsWith('during'))).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, outageEnds - Date.now())));

    await c.redis!.start();
    await waitFor(
      () => redisStates(c),
      (s) => s.every((x) => x === 'ready'),
      15_000,
    );
    await expectAllToAll(all, room, 'after');
    expect(d.messages.filter((m) => m.text.startsWith('during'))).toEqual([]);
    expect(await b.request('room:members', { room })).toEqual({ ok: true, room, count: 4 });
    expectAlive(c);
    expect(all.every((x) => x.socket.connected)).toBe(true);
  }, 60_000);

  it('a node killed with SIGKILL: the others carry on, its clients come back through the load balancer, counts drop it', async () => {
    // The wait below asks room:members every few ms, faster than the default per-socket rate.
    const c = (cluster = await startLocalCluster({
      ports: await freePorts(3),
      loadBalancerPort: (await freePorts(1))[0],
      env: UNTHROTTLED_ENV,
    }));
    const victim = c.nodes[1];
    // Round robin spreads new clients; open until every node holds at least two (bounded).
    const clients: TestClient[] = [];
    const on = (node: string) => clients.filter((x) => x.session.node === node);
    for (let i = 0; i < 30 && c.nodes.some((n) => on(n.nodeId).length < 2); i++) clients.push(await openClient(c.url));
    for (const n of c.nodes) expect(on(n.nodeId).length, `clients on ${n.nodeId}`).toBeGreaterThanOrEqual(2);
    const room = unique('kill');
    for (const x of clients) await joinRoom(x, room);
    await expectAllToAll(clients, room, 'before');

    const moved = on(victim.nodeId);
    const survivors = clients.filter((x) => !moved.includes(x));
    const survivorDrops: string[] = [];
    for (const s of survivors) s.socket.on('disconnect', (reason) => survivorDrops.push(reason));
    const newSessions = moved.map(nextSession);

    victim.child.kill('SIGKILL');
    expect(await victim.exited()).toEqual({ code: null, signal: 'SIGKILL' });
    await expectAllToAll(survivors, room, 'while one node is dead');
    // Only responding nodes are counted: the dead node's sockets are gone from the total.
    await waitFor(
      () => survivors[0].request<{ count: number }>('room:members', { room }),
      (ack) => ack.ok && ack.count === survivors.length,
    );

    const sessions = await Promise.all(newSessions);
    for (const s of sessions) expect([c.nodes[0].nodeId, c.nodes[2].nodeId]).toContain(s.node);
    // Rooms belong to the connection: the protocol has clients join again on `session`.
    for (const x of moved) await joinRoom(x, room);
    await expectAllToAll(clients, room, 'after');
    expect(await survivors[0].request('room:members', { room })).toEqual({ ok: true, room, count: clients.length });
    expect(survivorDrops).toEqual([]);
    expectAlive(c, [c.nodes[0], c.nodes[2]]);
    // HAProxy's own health check takes the dead node out for new clients.
    await waitFor(
      () => c.loadBalancer!.serverStates(),
      (s) => /DOWN/.test(s[victim.nodeId]?.status ?? ''),
    );
  }, 60_000);

  it('a slow Redis (DEBUG SLEEP 3) does not block the event loop; room:members answers within its timeout', async () => {
    const requestsTimeoutMs = 1_000;
    ownRedis = await startRedisServer({ extraArgs: ['--enable-debug-command', 'local'] });
    const c = (cluster = await startLocalCluster({
      ports: await freePorts(2),
      redisUrl: ownRedis.url,
      env: { REDIS_REQUESTS_TIMEOUT_MS: String(requestsTimeoutMs) },
    }));
    const [n1, n2] = c.nodes;
    const [x1, x2, y] = await Promise.all([openClient(n1.url), openClient(n1.url), openClient(n2.url)]);
    const room = unique('slow');
    for (const x of [x1, x2, y]) await joinRoom(x, room);
    await expectAllToAll([x1, x2, y], room, 'before');

    const admin = await redisAdmin(ownRedis.port);
    const order: string[] = [];
    const issuedAt = Date.now();
    const sleeping = admin.command('DEBUG', 'SLEEP', '3').then(() => order.push('redis reply'));
    try {
      // Everything below must happen while Redis is inside the sleep, not before it.
      await waitFor(
        () => unresponsive(ownRedis!.port, 200),
        (stalled) => stalled,
        2_000,
      );
      const members = (async () => {
        const t0 = Date.now();
        const ack = await x1.request('room:members', { room });
        return { ack, ms: Date.now() - t0 };
      })();
      const health = getJson(`${n1.url}/healthz`).then((h) => {
        order.push('healthz');
        return h;
      });
      await send(x1, 'while redis sleeps', room);
      const local = x2.nextMessage((m) => m.text === 'while redis sleeps').then(() => order.push('local message'));
      const remote = y.nextMessage((m) => m.text === 'while redis sleeps').then(() => Date.now() - issuedAt);

      await Promise.all([health, local]);
      await sleeping;
      expect(order).toEqual([expect.any(String), expect.any(String), 'redis reply']);
      expect((await health).status).toBe(200);
      // The same publish reaches the other node only once Redis wakes: Redis really was stalled meanwhile.
      expect(await remote).toBeGreaterThanOrEqual(2_000);

      const { ack, ms } = await members;
      console.log(
        `slow redis: room:members answered ${JSON.stringify(ack)} after ${ms} ms (REDIS_REQUESTS_TIMEOUT_MS=${requestsTimeoutMs})`,
      );
      expect([true, 'unavailable']).toContain(ack.ok ? true : ack.error.code);
      expect(ms).toBeLessThan(requestsTimeoutMs + 1_000);
    } finally {
      await admin.close();
    }
    await expectAllToAll([x1, x2, y], room, 'after');
    expectAlive(c);
  }, 60_000);
});
