import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { exited } from '../../tools/processes';
import { freeConsecutivePorts } from '../helpers/ports';
import { closeAppClients, openAppClient } from './helpers';

const ROOT = join(__dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');

/** `npm start -- ARGS` (bin/local-cluster.ts, the bundle already built), from the repository's folder as npm runs it. */
function npmStart(args: string[]) {
  const child = spawn(process.execPath, [TSX, join(ROOT, 'bin', 'local-cluster.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, REDIS_URL: '', INIT_CWD: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: string[] = [];
  const err: string[] = [];
  const ready = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      out.push(line);
      if (line.startsWith('cluster ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${[...out, ...err].join('\n')}`)));
  });
  createInterface({ input: child.stderr! }).on('line', (line) => err.push(line));
  // A run that is meant to fail never gets ready; one that is awaited still rejects.
  ready.catch(() => undefined);
  return { child, out, err, ready, exit: exited(child) };
}

describe('npm start -- --app PATH', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'npm-start-app-'));
  afterAll(() => {
    closeAppClients();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('runs the app on every node behind HAProxy, serves its page, and stops on SIGTERM', { timeout: 90_000 }, async () => {
    const port = await freeConsecutivePorts(3);
    const run = npmStart(['--app', 'examples/canvas', '--nodes', '2', '--port', String(port)]);
    await run.ready;
    expect(run.out).toContain(`app: ${join(ROOT, 'examples', 'canvas')}`);
    const page = await fetch(`http://127.0.0.1:${port}/`);
    expect(await page.text()).toContain('<title>Canvas example</title>');
    // Each node runs it: a client straight on either gets the app's own first event.
    for (const node of [port + 1, port + 2]) {
      const client = await openAppClient(`http://127.0.0.1:${node}`);
      expect(await client.next('drawing')).toEqual([[]]);
    }
    closeAppClients();
    run.child.kill('SIGTERM');
    expect((await run.exit).code).toBe(0);
  });

  it('fails in one line naming --app, exit code 64, when the app does not build; nothing is started', { timeout: 30_000 }, async () => {
    const broken = join(scratch, 'broken.js');
    writeFileSync(broken, 'module.exports = function (io) { io.on("connection", (socket) => { ;\n');
    const port = await freeConsecutivePorts(2);
    const run = npmStart(['--app', broken, '--nodes', '1', '--port', String(port)]);
    expect((await run.exit).code).toBe(64);
    expect(run.err[0]).toMatch(new RegExp(`^local-cluster: --app ${broken} does not build: .* \\(.*broken\\.js:\\d+\\)$`));
    expect(run.out).toEqual([]);
  });
});
