import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionInfo } from '../../contract/app';
import { removeClusterFile, writeClusterFile } from '../../local/cluster-file';
import { type LocalCluster, startLocalCluster } from '../../local/local-cluster';
import { closeAllClients, openClient, type TestClient } from '../helpers/clients';
import { freePorts } from '../helpers/ports';
import { densestWindow, runStopTask } from '../helpers/stop-task';

/** The clients the stopped node holds: at 300 and more, no third of them may go in any one second. */
const HELD = 300;

interface Watched {
  readonly client: TestClient;
  /** When the stopped node closed this client's connection. */
  disconnectedAt?: number;
  /** When its first session on another node arrived. */
  movedAt?: number;
  moved: Promise<SessionInfo>;
}

describe('npm run stop-task without a cluster', () => {
  it('says that none runs on the port and how to start one, exit code 78', { timeout: 30_000 }, async () => {
    const [port] = await freePorts(1);
    const run = runStopTask(['--port', String(port), '--node', 'node-1']);
    expect((await run.exit).code).toBe(78);
    expect(run.err.join('\n')).toMatch(new RegExp(`^stop-task: no npm start cluster on port ${port} .*: start one with \`npm start\`$`));
    expect(run.out).toEqual([]);
  });

  it('says so when the cluster that wrote its file is gone (killed), exit code 78', { timeout: 30_000 }, async () => {
    const [port] = await freePorts(1);
    writeClusterFile({
      loadBalancerPort: port,
      statsSocket: join(tmpdir(), `no-such-haproxy-${port}.sock`),
      deregistrationDelayMs: 1_000,
      nodes: [{ name: 'node-1', port: port + 1, pid: 2 ** 22 + 1 }],
    });
    try {
      const run = runStopTask(['--port', String(port), '--node', 'node-1']);
      expect((await run.exit).code).toBe(78);
      expect(run.err.join('\n')).toMatch(new RegExp(`^stop-task: the cluster on port ${port} does not answer \\(.*\\): start one with`));
    } finally {
      removeClusterFile(port);
    }
  });
});

describe("npm run stop-task: ECS's stop of a task, through HAProxy, on a node holding 300 WebSocket clients (streams mode)", () => {
  let cluster: LocalCluster;
  beforeAll(async () => {
    const [lb, ...ports] = await freePorts(3);
    cluster = await startLocalCluster({
      ports,
      loadBalancerPort: lb,
      // A short drain keeps the test bounded; the deregistration delay follows from it (contract/env.ts).
      env: { ADAPTER: 'streams', DRAIN_POLL_INTERVAL_MS: '1000', DRAIN_SPREAD_MS: '6000' },
    });
  });
  afterAll(async () => {
    closeAllClients();
    await cluster?.stop();
  });

  const title =
    'moves every client to another node before the deregistration delay ends, no third of them in one second, ' +
    'and loses or duplicates no message';
  it(title, { timeout: 180_000 }, async () => {
    const target = cluster.nodes[1];
    const lb = cluster.loadBalancer!.url;
    const delayMs = cluster.deregistrationDelayMs!;
    const room = 'stop-task';

    // New sessions alternate between the two nodes: open until the target holds HELD of them.
    const clients: TestClient[] = [];
    while (clients.filter((c) => c.session.node === target.nodeId).length < HELD) {
      clients.push(...(await Promise.all(Array.from({ length: 40 }, () => openClient(lb, { withCredentials: true })))));
    }
    const held = clients.filter((c) => c.session.node === target.nodeId);
    const sender = clients.find((c) => c.session.node !== target.nodeId)!;
    await Promise.all([sender, ...held].map((c) => c.join(room)));
    // Recovery needs an offset: each client must have received one message first.
    const firstId = await sender.send('first', room);
    await Promise.all(held.map((c) => c.nextMessage((m) => m.id === firstId)));

    const watched: Watched[] = held.map((client) => {
      const w: Watched = { client, moved: client.nextSession((s) => s.node !== target.nodeId, delayMs + 30_000) };
      client.socket.once('disconnect', () => (w.disconnectedAt = Date.now()));
      client.socket.on('sys:session', (s: SessionInfo) => {
        if (s.node !== target.nodeId) w.movedAt ??= Date.now();
      });
      return w;
    });

    const t0 = Date.now();
    const stop = runStopTask(['--port', String(cluster.loadBalancer!.port), '--node', target.nodeId]);
    // Messages keep flowing to the room while the node drains, until every client has moved and a few more after.
    const allMoved = Promise.allSettled(watched.map((w) => w.moved));
    const ids: string[] = [];
    let settled = false;
    void allMoved.then(() => (settled = true));
    for (let i = 0; i < 600 && !settled; i++) {
      ids.push(await sender.send(`during ${i}`, room));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (let i = 0; i < 5; i++) ids.push(await sender.send(`after ${i}`, room));

    const { code } = await stop.exit;
    expect(code, [...stop.out, ...stop.err].join('\n')).toBe(0);
    expect(stop.out.join('\n')).toMatch(/DEACTIVATING[\s\S]*STOPPING: SIGTERM[\s\S]*STOPPED/);

    const late = watched.filter((w) => w.movedAt === undefined || w.movedAt - t0 >= delayMs);
    const report =
      `${held.length} clients on ${target.nodeId}, deregistration delay ${delayMs} ms; moved at (ms after the stop began): ` +
      `${JSON.stringify(watched.map((w) => (w.movedAt === undefined ? null : w.movedAt - t0)).sort((a, b) => (a ?? 1e9) - (b ?? 1e9)))}\n` +
      stop.out.join('\n');
    expect.soft(late.length, `clients not moved before the deregistration delay ended\n${report}`).toBe(0);
    const disconnects = watched.flatMap((w) => (w.disconnectedAt === undefined ? [] : [w.disconnectedAt]));
    expect.soft(densestWindow(disconnects, 1_000), `most disconnects within one second\n${report}`).toBeLessThanOrEqual(held.length / 3);

    for (const w of watched) expect((await w.moved).node).toBe(cluster.nodes[0].nodeId);
    // Zero loss: every message sent during the stop reaches every moved client exactly once.
    await Promise.all(held.map((c) => c.nextMessage((m) => m.id === ids.at(-1), 30_000)));
    for (const c of held) {
      const seen = c.messages.map((m) => m.id);
      const wrong = ids.filter((id) => seen.filter((s) => s === id).length !== 1);
      const detail = wrong.map((id) => ({
        at: ids.indexOf(id),
        of: ids.length,
        times: seen.filter((s) => s === id).length,
        sessions: c.sessions.map((s) => `${s.node}${s.recovered ? ' recovered' : ''}`),
      }));
      expect(wrong, `messages not received exactly once by ${c.socket.id}: ${JSON.stringify(detail)}`).toEqual([]);
    }
  });
});
