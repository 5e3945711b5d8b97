import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { exited } from '../../tools/processes';

const ROOT = join(__dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');

/** The most entries of `times` (ms) within any window of `windowMs`. */
export function densestWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let lo = 0, hi = 0; hi < sorted.length; hi++) {
    while (sorted[hi] - sorted[lo] >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

/** Runs `npm run stop-task` (bin/stop-task.ts) as a user would, collecting its timeline. */
export function runStopTask(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [TSX, join(ROOT, 'bin', 'stop-task.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: string[] = [];
  // When each line of `out` arrived: the timeline's own clock, for deadlines that start at one of its phases.
  const outAt: number[] = [];
  const err: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => {
    out.push(l);
    outAt.push(Date.now());
  });
  createInterface({ input: child.stderr! }).on('line', (l) => err.push(l));
  /** When the first line matching `pattern` arrived (after the run), or undefined. */
  const lineAt = (pattern: RegExp) => {
    const i = out.findIndex((l) => pattern.test(l));
    return i < 0 ? undefined : outAt[i];
  };
  return { out, err, lineAt, exit: exited(child) };
}

/** The clients' move times in ms after `from`, sorted, unmoved last (null): the report a failed deadline prints. */
export function movedTimes(watched: ReadonlyArray<{ movedAt?: number }>, from: number): Array<number | null> {
  return watched.map((w) => (w.movedAt === undefined ? null : w.movedAt - from)).sort((a, b) => (a ?? 1e9) - (b ?? 1e9));
}
