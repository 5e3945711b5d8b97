import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { exited } from '../../tools/processes';
import { closeAllClients, openClient, waitFor } from '../helpers/clients';
import { freeConsecutivePorts } from '../helpers/ports';

const ROOT = join(__dirname, '..', '..');

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
  afterEach(() => closeAllClients());

  const title =
    'starts redis and 3 nodes above --port with the service environment, lets clients on node 1 and node 3 chat, ' +
    'and leaves nothing behind on SIGTERM';
  it(title, async () => {
    // The load balancer on P, the nodes on P+1 … P+3.
    const port = await freeConsecutivePorts(4);
    const child = spawn(
      process.execPath,
      [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(ROOT, 'bin', 'local-cluster.ts'), '--port', String(port)],
      {
        cwd: ROOT,
        // The service's own variables pass through to every node.
        env: { ...process.env, REDIS_URL: '', MAX_TEXT_BYTES: '100' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const lines: string[] = [];
    const errors: string[] = [];
    createInterface({ input: child.stderr! }).on('line', (line) => errors.push(line));
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        lines.push(line);
        if (line.startsWith('cluster ready')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${[...lines, ...errors].join('\n')}`)));
    });
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
    const isAlive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    // An exiting child may linger for a moment until it is reaped.
    expect(
      await waitFor(
        () => spawned.filter(isAlive),
        (alive) => alive.length === 0,
        5_000,
      ),
    ).toEqual([]);
  });
});
