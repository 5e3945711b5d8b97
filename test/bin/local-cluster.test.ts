import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { clusterFilePath, clusterFileSchema } from '../../local/cluster-file';
import { BUNDLE } from '../../local/service-node';
import { exited, isAlive, stopProcess } from '../../tools/processes';
import { closeAllClients, getJson, openClient, waitFor } from '../helpers/clients';
import { freeConsecutivePorts } from '../helpers/ports';

const ROOT = join(__dirname, '..', '..');

/** What run() started, for afterEach to stop should a test fail before it does. */
const started: ChildProcess[] = [];

/** Runs `command` as a user would from the repository, collecting its output lines; `ready` resolves on `cluster ready`. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  const out: string[] = [];
  const err: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => err.push(line));
  const ready = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      out.push(line);
      if (line.startsWith('cluster ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${[...out, ...err].join('\n')}`)));
  });
  ready.catch(() => undefined); // A command expected to fail is awaited through `exit`.
  return { child, out, err, ready, exit: exited(child) };
}

const TSX = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
/** bin/local-cluster.ts as npm start runs it, without the build (the suite has built the bundle). */
const localCluster = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  run(process.execPath, [TSX, join(ROOT, 'bin', 'local-cluster.ts'), ...args], { REDIS_URL: '', ...env });

/** PIDs of the live descendants of `pid`. */
function descendants(pid: number): number[] {
  const out = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' });
  const children = new Map<number, number[]>();
  for (const line of out.trim().split('\n')) {
    const [p, pp] = line.trim().split(/\s+/).map(Number);
    children.set(pp, [...(children.get(pp) ?? []), p]);
  }
  const found: number[] = [];
  const stack = [pid];
  while (stack.length) {
    for (const c of children.get(stack.pop()!) ?? []) {
      found.push(c);
      stack.push(c);
    }
  }
  return found;
}

describe('bin/local-cluster (npm start)', () => {
  afterEach(async () => {
    closeAllClients();
    // SIGTERM stops a cluster the way Ctrl-C does (tsx passes it on); one already stopped is left alone.
    await Promise.all(started.splice(0).map((child) => stopProcess(child, 'SIGTERM', 40_000)));
  });

  const title =
    'starts redis and 3 nodes above --port with the service environment, lets clients on node 1 and node 3 chat, ' +
    'and leaves nothing behind on SIGTERM';
  // The timeout only bounds a hang: tsx, the app's bundle, Redis, HAProxy and three nodes start in ~5 s here, 30+ s on a
  // machine running far more than its cores.
  it(title, { timeout: 90_000 }, async () => {
    // The load balancer on P, the nodes on P+1 … P+3.
    const port = await freeConsecutivePorts(4);
    // The service's own variables pass through to every node.
    const { child, out: lines, ready } = localCluster(['--port', String(port)], { MAX_TEXT_BYTES: '100' });
    await ready;
    expect(lines).toEqual(expect.arrayContaining([`node-1: http://127.0.0.1:${port + 1}`, `node-3: http://127.0.0.1:${port + 3}`]));
    const spawned = descendants(child.pid!);
    expect(spawned.length).toBeGreaterThanOrEqual(4); // redis-server and 3 nodes

    const one = await openClient(`http://127.0.0.1:${port + 1}`);
    const three = await openClient(`http://127.0.0.1:${port + 3}`);
    for (const c of [one, three]) expect(await c.request('room:join', { room: 'lobby' })).toMatchObject({ ok: true });
    await one.request('chat:message', { room: 'lobby', text: 'from node 1' });
    expect(await three.nextMessage((m) => m.text === 'from node 1')).toMatchObject({ node: 'node-1' });
    expect(await three.request('chat:message', { room: 'lobby', text: 'x'.repeat(101) })).toMatchObject({
      ok: false,
      error: { code: 'payload_too_large' },
    });
    await three.request('chat:message', { room: 'lobby', text: 'from node 3' });
    expect(await one.nextMessage((m) => m.text === 'from node 3')).toMatchObject({ node: 'node-3' });

    child.kill('SIGTERM');
    expect((await exited(child)).code).toBe(0);
    // An exiting child may linger for a moment until it is reaped.
    expect(
      await waitFor(
        () => spawned.filter(isAlive),
        (alive) => alive.length === 0,
        5_000,
      ),
    ).toEqual([]);
  });

  const twice =
    'a second npm start on the same port is refused in one line naming the running cluster and its stop command, ' +
    'before anything is built or spawned; the first keeps serving and keeps its cluster file';
  it(twice, { timeout: 120_000 }, async () => {
    const port = await freeConsecutivePorts(4);
    const first = localCluster(['--port', String(port)]);
    await first.ready;
    const fileBefore = readFileSync(clusterFilePath(port), 'utf8');
    const { pid } = clusterFileSchema.parse(JSON.parse(fileBefore));
    expect(descendants(first.child.pid!)).toContain(pid);
    const bundleBuilt = statSync(BUNDLE).mtimeMs;

    // As a user types it: npm start builds only once the ports are found free.
    const second = run('npm', ['start', '--', '--port', String(port)]);
    const { code } = await second.exit;
    // One line; the suggested --port is any block above this cluster's that is free.
    expect(second.err).toHaveLength(1);
    expect(second.err[0]).toMatch(
      new RegExp(
        `^local-cluster: port ${port} is taken by the load balancer of the npm start cluster on port ${port} \\(pid ${pid}\\): ` +
          `stop that cluster with \`kill ${pid}\` \\(or Ctrl-C where it runs\\), or start beside it with \`npm start -- --port \\d+\`$`,
      ),
    );
    expect(code).toBe(78);
    // npm's own two lines (the script and the command), nothing of a cluster.
    expect(second.out.filter((line) => line.trim() !== '' && !line.startsWith('> '))).toEqual([]);
    expect(statSync(BUNDLE).mtimeMs).toBe(bundleBuilt);

    expect(readFileSync(clusterFilePath(port), 'utf8')).toBe(fileBefore);
    expect((await getJson(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    const client = await openClient(`http://127.0.0.1:${port}`, { withCredentials: true });
    expect(client.session.node).toMatch(/^node-[123]$/);

    // The command the line names stops the first cluster, which then removes its file.
    const stopCommand = /`(kill \d+)`/.exec(second.err[0])![1];
    execFileSync('sh', ['-c', stopCommand]);
    expect((await first.exit).code).toBe(0);
    expect(() => statSync(clusterFilePath(port))).toThrow(/ENOENT/);
  });
});
