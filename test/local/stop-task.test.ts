import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionInfo } from '../../contract/app';
import { type ClusterFile, removeClusterFile, writeClusterFile } from '../../local/cluster-file';
import { type LocalCluster, startLocalCluster } from '../../local/local-cluster';
import { type ServiceNode, startServiceNode } from '../../local/service-node';
import { isAlive } from '../../tools/processes';
import { closeAllClients, openClient, type TestClient } from '../helpers/clients';
import { freePorts } from '../helpers/ports';
import { densestWindow, movedTimes, runStopTask } from '../helpers/stop-task';

const ROOT = join(__dirname, '..', '..');
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
    // $TMPDIR without cluster files: the clusters other tests run would be named.
    const dir = mkdtempSync(join(tmpdir(), 'stop-task-none-'));
    try {
      const run = runStopTask(['--port', String(port), '--node', 'node-1'], { TMPDIR: dir });
      expect((await run.exit).code).toBe(78);
      expect(run.err.join('\n')).toMatch(new RegExp(`^stop-task: no npm start cluster on port ${port} .*: start one with \`npm start\`$`));
      expect(run.out).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says so when the cluster that wrote its file is gone (killed), exit code 78', { timeout: 30_000 }, async () => {
    const [port] = await freePorts(1);
    writeClusterFile({
      loadBalancerPort: port,
      pid: 2 ** 22 + 1,
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

describe('npm run stop-task without --port, when no cluster runs on 8080', () => {
  // A directory of cluster files of its own (stop-task reads $TMPDIR): what runs on this machine does not matter.
  const dir = mkdtempSync(join(tmpdir(), 'stop-task-clusters-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  /** A cluster file whose process is `pid` (this one's: alive). */
  const clusterOn = (port: number, pid = process.pid): ClusterFile => ({
    pid,
    loadBalancerPort: port,
    statsSocket: join(dir, `haproxy-${port}.sock`),
    deregistrationDelayMs: 1_000,
    nodes: [1, 2].map((i) => ({ name: `node-${i}`, port: port + i, pid })),
  });
  /** Runs `npm run stop-task -- --node node-2` with these cluster files, and only these, in $TMPDIR (where tsx keeps its cache too). */
  const stopNode2 = (files: ClusterFile[]) => {
    for (const name of readdirSync(dir)) if (name.startsWith('socketio-local-cluster-')) rmSync(join(dir, name));
    for (const file of files) writeClusterFile(file, dir);
    return runStopTask(['--node', 'node-2'], { TMPDIR: dir });
  };

  it('names the one cluster whose process runs, with the exact command, and leaves out a dead one', { timeout: 30_000 }, async () => {
    const run = stopNode2([clusterOn(9300, 2 ** 22 + 1), clusterOn(19400)]);
    expect((await run.exit).code).toBe(78);
    expect(run.err).toEqual([
      `stop-task: no npm start cluster on port 8080 (no ${join(dir, 'socketio-local-cluster-8080.json')}); ` +
        'one runs on port 19400: `npm run stop-task -- --port 19400 --node node-2`',
    ]);
    expect(run.out).toEqual([]);
  });

  it('names every running cluster when there are several', { timeout: 30_000 }, async () => {
    const run = stopNode2([clusterOn(19500), clusterOn(19400)]);
    expect((await run.exit).code).toBe(78);
    expect(run.err).toEqual([
      `stop-task: no npm start cluster on port 8080 (no ${join(dir, 'socketio-local-cluster-8080.json')}); ` +
        'clusters run on ports 19400, 19500: pick one, e.g. `npm run stop-task -- --port 19400 --node node-2`',
    ]);
  });

  it('says how to start one when none runs', { timeout: 30_000 }, async () => {
    const run = stopNode2([clusterOn(9300, 2 ** 22 + 1)]);
    expect((await run.exit).code).toBe(78);
    expect(run.err).toEqual([
      `stop-task: no npm start cluster on port 8080 (no ${join(dir, 'socketio-local-cluster-8080.json')}): start one with \`npm start\``,
    ]);
  });
});

/** The command docs/local-cluster.md gives under "Watching a failover". */
function documentedFailoverCommand(): string {
  const doc = readFileSync(join(ROOT, 'docs', 'local-cluster.md'), 'utf8');
  const section = doc.slice(doc.indexOf('### Watching a failover'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)![1].trim().split('\n');
  expect(block).toHaveLength(1);
  return block[0];
}

describe("docs/local-cluster.md's failover command", () => {
  let cluster: LocalCluster;
  let bystander: ServiceNode;
  beforeAll(async () => {
    // Another service node on the machine, started first: not the cluster's, so it must survive.
    bystander = await startServiceNode({ env: { REDIS_URL: '' } });
    const [lb, ...ports] = await freePorts(4);
    cluster = await startLocalCluster({ ports, loadBalancerPort: lb });
  });
  afterAll(async () => {
    closeAllClients();
    await cluster?.stop();
    await bystander?.stop();
  });

  it("stops the cluster's own node-2 by its pid, without deregistering it, and nothing else", { timeout: 90_000 }, async () => {
    const command = documentedFailoverCommand();
    // Run as npm would run it, on this cluster's port instead of 8080.
    expect(command).toMatch(/^npm run stop-task -- /);
    const args = command.replace(/^npm run stop-task -- /, '').split(/\s+/);
    const run = runStopTask([...args, '--port', String(cluster.loadBalancer!.port)]);
    const [one, two, three] = cluster.nodes;
    expect((await run.exit).code, [...run.out, ...run.err].join('\n')).toBe(0);
    expect(await two.exited()).toEqual({ code: 0, signal: null });
    expect(run.out.join('\n')).toMatch(
      new RegExp(`STOPPING: SIGTERM to node-2 \\(pid ${two.child.pid}\\) without deregistering it[\\s\\S]*STOPPED: node-2 exited`),
    );
    expect(run.out.join('\n')).not.toMatch(/DEACTIVATING/);
    for (const alive of [one, three, bystander]) expect(isAlive(alive.child.pid!), alive.nodeId).toBe(true);
    // The load balancer sends a new client to a node that still runs.
    const client = await openClient(cluster.loadBalancer!.url, { withCredentials: true });
    expect(['node-1', 'node-3']).toContain(client.session.node);
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

    // The delay runs from the deregistration (the timeline's DEACTIVATING), not from the command's start: starting tsx
    // alone can take seconds on a loaded machine, and the load balancer's clock starts only when the target drains.
    const deregisteredAt = stop.lineAt(/DEACTIVATING/) ?? t0;
    const late = watched.filter((w) => w.movedAt === undefined || w.movedAt - deregisteredAt >= delayMs);
    const report =
      `${held.length} clients on ${target.nodeId}, deregistration delay ${delayMs} ms; moved at (ms after the deregistration, ` +
      `${deregisteredAt - t0} ms after the command started): ` +
      `${JSON.stringify(movedTimes(watched, deregisteredAt))}\n` +
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
