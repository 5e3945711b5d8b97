import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCluster } from '../../local/local-cluster';
import { BROWSER_LIKE, closeAllClients, exchange, openClient, waitFor } from '../helpers/clients';
import { startLocalClusterBehindHaproxy } from './helpers';

describe('e2e: SIGTERM on one node behind the load balancer', () => {
  let cluster: LocalCluster;
  const lbLog: string[] = [];
  beforeAll(async () => {
    cluster = await startLocalClusterBehindHaproxy({ onLog: (id, line) => id === 'lb' && lbLog.push(line) });
  });
  afterEach(() => closeAllClients());
  afterAll(async () => cluster?.stop());

  it('moves its clients to the other nodes, where they rejoin their room and keep chatting; HAProxy marks it down', async () => {
    // Browser-like clients: polling, then WebSocket, with the sticky cookie.
    const clients = await Promise.all(Array.from({ length: 6 }, () => openClient(cluster.url, BROWSER_LIKE)));
    const room = `failover-${process.pid}`;
    for (const c of clients) await c.join(room);
    await exchange(clients, room, 'before');

    const victim = cluster.nodes.find((n) => n.nodeId === clients[0].session.node)!;
    const survivors = cluster.nodes.filter((n) => n !== victim).map((n) => n.nodeId);
    const moving = clients.filter((c) => c.session.node === victim.nodeId);
    const staying = clients.filter((c) => c.session.node !== victim.nodeId);
    expect(staying.length).toBeGreaterThan(0);
    expect(await cluster.loadBalancer!.serverStates()).toMatchObject({ [victim.nodeId]: { status: 'UP' } });

    const exit = victim.stop('SIGTERM');
    const moved = await Promise.all(moving.map((c) => c.nextSession((s) => s.node !== victim.nodeId)));
    for (const s of moved) expect(survivors).toContain(s.node);
    expect(await exit).toEqual({ code: 0, signal: null });
    for (const c of staying) expect(c.sessions).toHaveLength(1);

    // readyz answers 503 while it drains, then nothing listens: either fails the check.
    const down = await waitFor(
      async () => (await cluster.loadBalancer!.serverStates())[victim.nodeId],
      (s) => s.status === 'DOWN',
      10_000,
    );
    expect(['L7STS', 'L4CON']).toContain(down.check);
    expect(lbLog.join('\n')).toMatch(new RegExp(`Server nodes/${victim.nodeId} is DOWN`));

    // The old sockets left the room with their node; the moved ones joined it again.
    await waitFor(
      () => clients[0].request<{ count: number }>('room:members', { room }),
      (r) => r.ok && r.count === clients.length,
    );
    await exchange(clients, room, 'after');
    for (const c of clients) expect(survivors).toContain(c.session.node);

    // New clients go only to the nodes that are left.
    const late = await Promise.all(Array.from({ length: 4 }, () => openClient(cluster.url, BROWSER_LIKE)));
    for (const c of late) expect(survivors).toContain(c.session.node);
  });
});
