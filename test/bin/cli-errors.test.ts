import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');

/** Runs a bin/ entry as npm would (without the build); nothing may be started for a bad command line. */
async function run(bin: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [TSX, join(ROOT, 'bin', bin), ...args], {
      cwd: ROOT,
      timeout: 20_000,
      env: { ...process.env, ONCALL_STACK: '', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('every CLI: a bad command line is one message (and the usage, or where to find it), exit code 64', () => {
  it.each([
    ['bench.ts', ['--modes', 'c'], 'bench: --modes c was renamed: use --modes pubsub', 'usage: npm run bench'],
    ['bench.ts', ['--modes', 'raw-ws,d'], 'bench: --modes d was renamed: use --modes streams,sharded', 'usage: npm run bench'],
    [
      'bench-ab.ts',
      ['--rounds', '2'],
      'bench:ab: --a FILE is required: the bundle to compare with (e.g. one built from main)',
      'usage: npm run bench:ab',
    ],
    [
      'bench-ab.ts',
      ['--a', 'x.js', '--rounds', '0'],
      'bench:ab: --rounds must be an integer from 1 to 50, got "0"',
      'usage: npm run bench:ab',
    ],
    [
      'soak.ts',
      ['--connections', '1', '--minutes', '1'],
      'soak: --connections must be an integer from 2 to 20000, got "1"',
      'usage: npm run soak',
    ],
    [
      'soak.ts',
      ['--connections', '10', '--minutes', '1', '--adapter', 'redis'],
      'soak: --adapter redis was renamed: use --adapter pubsub',
      'usage',
    ],
    ['capacity.ts', ['--connections', '10', '--msg-rate', '1'], 'capacity: --room-size is required', 'usage: npm run capacity'],
    [
      'capacity.ts',
      ['--connections', '0', '--msg-rate', '1', '--room-size', '1'],
      'capacity: connections must be a positive integer, got 0',
      'usage',
    ],
    ['local-cluster.ts', ['--nodes', '0'], 'local-cluster: --nodes must be an integer from 1 to 16, got "0"', 'usage: npm start'],
    ['local-cluster.ts', ['--verbose=yes'], 'local-cluster: --verbose takes no value', 'usage: npm start'],
    ['local-cluster.ts', ['--app', 'no/such/app'], 'local-cluster: --app no/such/app: no such file or directory', 'usage: npm start'],
    ['stop-task.ts', [], 'stop-task: --node is required', 'usage: npm run stop-task'],
    ['stop-task.ts', ['--node', 'web-1'], 'stop-task: --node takes a name such as node-2, got "web-1"', 'usage: npm run stop-task'],
    [
      'stop-task.ts',
      ['--node', 'node-1', '--stop-timeout', '0'],
      'stop-task: --stop-timeout must be a number above 0 and at most 120, got "0"',
      'usage: npm run stop-task',
    ],
    ['oncall.ts', ['frobnicate'], 'oncall: unknown command "frobnicate": use status or metrics (see --help)', ''],
  ])('%s %j', { timeout: 30_000 }, async (bin, args, line, usage) => {
    const r = await run(bin, args);
    expect(r.stderr.split('\n')[0]).toBe(line);
    expect(r.stderr).toContain(usage);
    expect(r.stdout).toBe('');
    expect(r.code).toBe(64);
  });

  it('prints --help to stdout with exit code 0', { timeout: 30_000 }, async () => {
    const r = await run('bench.ts', ['--help']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^usage: npm run bench -- /);
    for (const mode of ['raw-ws', 'single-node', 'pubsub', 'stock', 'streams', 'sharded']) expect(r.stdout).toContain(`  ${mode} `);
  });

  it('a missing program is one line naming it and how to install it, exit code 69', { timeout: 30_000 }, async () => {
    // Nothing on PATH: redis-server, the first program npm start needs, cannot be found.
    const r = await run('local-cluster.ts', [], { PATH: '/nonexistent', REDIS_URL: '' });
    expect(r.stderr).toBe('local-cluster: redis-server was not found: install it with `apt-get install redis-server`\n');
    expect(r.code).toBe(69);
  });
});
