import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { freeConsecutivePorts, freePorts } from '../helpers/ports';

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
    [
      'stop-task.ts',
      ['--node', 'node-1', '--kill', '--deregistration-delay', '5'],
      'stop-task: --deregistration-delay does not apply with --kill, which does not deregister the node',
      'usage: npm run stop-task',
    ],
    [
      'bench.ts',
      ['--bundle', '/nonexistent/server.js'],
      'bench: --bundle /nonexistent/server.js: no such file; it takes a service bundle (as npm run build writes)',
      'usage: npm run bench',
    ],
    [
      'bench.ts',
      ['--out', '/proc/version/x.json'],
      'bench: --out /proc/version/x.json: /proc/version is not a directory; give a file in a directory you can write to',
      'usage: npm run bench',
    ],
    [
      'bench-ab.ts',
      ['--a', '/nonexistent/server.js'],
      'bench:ab: --a /nonexistent/server.js: no such file; it takes a service bundle (npm run build writes service/dist/server.js)',
      'usage: npm run bench:ab',
    ],
    [
      'soak.ts',
      ['--connections', '10', '--minutes', '1', '--out', tmpdir()],
      `soak: --out ${tmpdir()}: is a directory; give a file in a directory you can write to`,
      'usage: npm run soak',
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
    const port = await freeConsecutivePorts(4);
    const r = await run('local-cluster.ts', ['--port', String(port)], { PATH: '/nonexistent', REDIS_URL: '' });
    expect(r.stderr).toBe('local-cluster: redis-server was not found: install it with `apt-get install redis-server`\n');
    expect(r.code).toBe(69);
  });
});

describe('every CLI: a configuration error is one line naming what to fix, exit code 78, no stack', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it("npm start with a bad service environment relays the node's one line", { timeout: 60_000 }, async () => {
    const port = await freeConsecutivePorts(4);
    const r = await run('local-cluster.ts', ['--port', String(port)], { ADAPTER: 'kafka', REDIS_URL: '' });
    expect(r.stderr).toBe('local-cluster: invalid configuration: ADAPTER must be one of pubsub, streams, sharded\n');
    expect(r.code).toBe(78);
  });

  it('npm start with a REDIS_URL where nothing listens names it before starting anything', { timeout: 60_000 }, async () => {
    const [port, redisPort] = [await freeConsecutivePorts(4), (await freePorts(1))[0]];
    const r = await run('local-cluster.ts', ['--port', String(port)], { REDIS_URL: `redis://127.0.0.1:${redisPort}` });
    expect(r.stderr).toBe(
      `local-cluster: REDIS_URL: nothing accepts connections at 127.0.0.1:${redisPort} (connect ECONNREFUSED 127.0.0.1:${redisPort}): ` +
        'start that Redis, or unset REDIS_URL and npm start runs its own\n',
    );
    expect(r.code).toBe(78);
  });

  it('npm start on a port another program holds names the port and how to see who holds it', { timeout: 60_000 }, async () => {
    const port = await freeConsecutivePorts(4);
    // A node port, not the load balancer's: every port of the cluster is checked.
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(port + 2, '127.0.0.1', resolve));
    try {
      const r = await run('local-cluster.ts', ['--port', String(port)], { REDIS_URL: '' });
      expect(r.stderr).toMatch(
        new RegExp(
          `^local-cluster: port ${port + 2} is taken by another process \\(not an npm start cluster\\): ` +
            `see which with \`ss -ltnp 'sport = :${port + 2}'\`, or start beside it with \`npm start -- --port \\d+\`\n$`,
        ),
      );
      expect(r.code).toBe(78);
    } finally {
      holder.close();
    }
  });

  it.each([
    [['minTask=3'], 78, 'update-cache-lock: Invalid deployment config: unknown key "minTask" (did you mean minTasks?)'],
    [['minTasks'], 64, 'update-cache-lock: expected key=value (a -c key of docs/deploy.md and its value), got "minTasks"'],
  ])('update-cache-lock %j: one line, exit %i, and the lock file untouched', { timeout: 60_000 }, async (args, code, line) => {
    const lock = join(ROOT, 'infra', 'replication-group.lock.json');
    const before = readFileSync(lock, 'utf8');
    const r = await run('update-cache-lock.ts', args);
    expect(r).toEqual({ code, stdout: '', stderr: `${line}\n` });
    expect(readFileSync(lock, 'utf8')).toBe(before);
  });

  it("oncall says what is missing without the AWS SDK's Node-version warning", { timeout: 30_000 }, async () => {
    // No region anywhere: the clients are built, which is when the SDK warns, and the first call fails.
    const home = mkdtempSync(join(tmpdir(), 'oncall-home-'));
    dirs.push(home);
    const r = await run('oncall.ts', ['status'], {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined,
      AWS_REGION: undefined,
      AWS_DEFAULT_REGION: undefined,
      AWS_PROFILE: undefined,
      HOME: home,
      AWS_CONFIG_FILE: join(home, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
    });
    expect(r.stderr).toBe('oncall: no AWS region configured: pass --region or set AWS_REGION\n');
    expect(r.code).toBe(78);
  });
});
