import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type LocalCluster, startLocalCluster } from '../../local/local-cluster';
import { type RedisServer, startRedisServer } from '../../local/redis-server';
import { startTcpForwarder, type TcpForwarder } from '../../local/tcp-forwarder';
import { closeAllClients, getJson, joinRoom, openClient, type TestClient, unique, waitFor } from '../helpers/clients';
import { freePorts } from '../helpers/ports';
import { expectAllToAll, type RedisAdmin, redisAdmin, replication, timeToDelivery } from './helpers';

/** The documented bound on resuming cross-node delivery after a failover (docs/reliability.md). */
const RESUME_BOUND_MS = 15_000;

interface Rig {
  dir: string;
  a: RedisServer;
  b: RedisServer;
  adminA: RedisAdmin;
  adminB: RedisAdmin;
  forwarder: TcpForwarder;
  cluster: LocalCluster;
  clients: TestClient[];
  room: string;
}

/**
 * A primary A, a replica B in sync with it, and 3 nodes that reach Redis only through the
 * forwarder, the stand-in for ElastiCache's primary endpoint. One client per node, in one room.
 */
async function startRig(): Promise<Rig> {
  // A replica writes the primary's RDB to its working directory, whatever --save says.
  const dir = mkdtempSync(join(tmpdir(), 'failover-'));
  const a = await startRedisServer({ extraArgs: ['--dir', dir] });
  const b = await startRedisServer({ extraArgs: ['--dir', dir, '--dbfilename', 'b.rdb', '--replicaof', '127.0.0.1', String(a.port)] });
  const adminA = await redisAdmin(a.port);
  const adminB = await redisAdmin(b.port);
  await waitFor(
    () => replication(adminB),
    (r) => r.role === 'slave' && r.linkUp,
  );
  const forwarder = await startTcpForwarder({ targetPort: a.port });
  const cluster = await startLocalCluster({ ports: await freePorts(3), redisUrl: forwarder.url });
  const clients = await Promise.all(cluster.nodes.map((n) => openClient(n.url)));
  const room = unique('failover');
  for (const c of clients) await joinRoom(c, room);
  await expectAllToAll(clients, room, 'before');
  return { dir, a, b, adminA, adminB, forwarder, cluster, clients, room };
}

/** For each node, the time from `since` until its client's probes reach the clients on the other nodes. */
const resumeFromEveryNode = (r: Rig, since: number) =>
  Promise.all(
    r.clients.map((sender) =>
      timeToDelivery(
        sender,
        r.clients.filter((c) => c !== sender),
        r.room,
        { since, boundMs: RESUME_BOUND_MS },
      ),
    ),
  );

describe('Redis failover behind one address, as ElastiCache does it', () => {
  let rig: Rig | undefined;
  afterEach(async () => {
    closeAllClients();
    if (!rig) return;
    await rig.cluster.stop();
    await rig.forwarder.close();
    await Promise.all([rig.adminA.close(), rig.adminB.close()]);
    await Promise.all([rig.a.stop(), rig.b.stop()]);
    rmSync(rig.dir, { recursive: true, force: true });
    rig = undefined;
  });

  const expectNodesHealthy = async (r: Rig) => {
    for (const n of r.cluster.nodes) {
      expect(n.child.exitCode, `${n.nodeId} exited`).toBeNull();
      expect(n.child.signalCode, `${n.nodeId} was killed`).toBeNull();
      expect(n.logs.filter((l) => l.msg === 'unhandled rejection')).toEqual([]);
    }
    const health = await Promise.all(r.cluster.nodes.map((n) => getJson(`${n.url}/healthz`)));
    expect(health.map((h) => [h.status, h.body.redis])).toEqual(r.cluster.nodes.map(() => [200, 'ready']));
    expect(r.clients.every((c) => c.socket.connected)).toBe(true);
  };

  it('(a) node replacement: the primary dies, the replica is promoted, the address moves, old connections are cut', async () => {
    rig = await startRig();
    const r = rig;
    await r.a.stop('SIGKILL');
    // Every node must have noticed before the replacement appears.
    await waitFor(
      () => Promise.all(r.cluster.nodes.map(async (n) => (await getJson(`${n.url}/healthz`)).body.redis)),
      (s) => s.every((x) => x === 'reconnecting'),
    );
    await r.adminB.command('REPLICAOF', 'NO', 'ONE');
    expect((await replication(r.adminB)).role).toBe('master');

    const since = Date.now();
    r.forwarder.switchTo(r.b.port, { dropExisting: true });
    const perNode = await resumeFromEveryNode(r, since);
    const resumedMs = Math.max(...perNode);
    console.log(
      `failover (a) node replacement: cross-node delivery from every node resumed ${resumedMs} ms after the switch ` +
        `(per node: ${perNode.join(', ')} ms)`,
    );
    expect(resumedMs).toBeLessThan(RESUME_BOUND_MS);

    // Pub and sub of every node, all on the new primary.
    await waitFor(
      () => r.forwarder.connections().get(r.b.port) ?? 0,
      (n) => n === 6,
      5_000,
    );
    await expectAllToAll(r.clients, r.room, 'after (a)');
    await expectNodesHealthy(r);
  }, 60_000);

  it('(b) in-place demotion: the old primary becomes a replica and keeps its connections; the nodes must leave it', async () => {
    rig = await startRig();
    const r = rig;
    await r.adminB.command('REPLICAOF', 'NO', 'ONE');
    await r.adminA.command('REPLICAOF', '127.0.0.1', String(r.b.port));
    await waitFor(
      () => replication(r.adminA),
      (x) => x.role === 'slave' && x.linkUp,
    );

    const since = Date.now();
    r.forwarder.switchTo(r.b.port, { dropExisting: false });
    // A demoted server still serves PUBLISH and SUBSCRIBE to its own clients, so with every
    // connection left on A nothing would look wrong. Cutting the subscribers makes the split
    // real: they come back on B while the publishers stay on A, and only a node that checks
    // its server's role (the watchdog) gets its messages to the other nodes again.
    await r.adminA.command('CLIENT', 'KILL', 'TYPE', 'pubsub');
    const perNode = await resumeFromEveryNode(r, since);
    const resumedMs = Math.max(...perNode);
    await waitFor(
      () => r.forwarder.connections().get(r.a.port) ?? 0,
      (n) => n === 0,
      RESUME_BOUND_MS,
    );
    const movedMs = Date.now() - since;
    console.log(
      `failover (b) in-place demotion: cross-node delivery from every node resumed ${resumedMs} ms after the switch ` +
        `(per node: ${perNode.join(', ')} ms); no connection left on the demoted node after ${movedMs} ms`,
    );
    expect(resumedMs).toBeLessThan(RESUME_BOUND_MS);

    await expectAllToAll(r.clients, r.room, 'after (b)');
    await expectNodesHealthy(r);
  }, 60_000);
});
