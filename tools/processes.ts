import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { CliError, EXIT } from './cli';
import { sample } from './procstat';

/**
 * A port free on 127.0.0.1 right now, for a server that binds it a little later (a node, HAProxy, redis-server). Drawn
 * below the kernel's ephemeral range (32768 and up on Linux), in 10,000-18,999: an outgoing connection takes its local
 * port from that range, so a port picked there (by listening on port 0) could be taken by any client of a busy test run
 * before its server binds it (HAProxy's `cannot bind socket`, seen in a full run). Each vitest worker has a slice of its
 * own, so two workers never pick the same port; within a process the picks go round the slice from a random start.
 */
const PORT_SLICE = 3_000;
const portSliceBase = 10_000 + (Number(process.env.VITEST_POOL_ID ?? 0) % 3) * PORT_SLICE;
let portCursor = Math.floor(Math.random() * PORT_SLICE);

export async function freePort(): Promise<number> {
  for (let tried = 0; tried < PORT_SLICE; tried++) {
    const port = portSliceBase + (portCursor++ % PORT_SLICE);
    if (await portIsFree(port)) return port;
  }
  throw new Error(`no free port on 127.0.0.1 between ${portSliceBase} and ${portSliceBase + PORT_SLICE - 1}`);
}

/** Whether `port` can be listened on at `host` right now (nothing else holds it). */
export function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/** Whether process `pid` exists (one of another user's counts: signalling it is merely not allowed). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `n` distinct ports that were free a moment ago. */
export async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

/**
 * Polls `probe` until `until` holds its value, for conditions that no event announces (a
 * cluster converging, a server-side cleanup); bounded by `timeoutMs`. A probe that throws
 * counts as not yet: what it looks at may be restarting.
 */
export async function waitFor<T>(
  probe: () => Promise<T> | T,
  until: (value: T) => boolean,
  timeoutMs = 10_000,
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    try {
      last = await probe();
      if (until(last)) return last;
    } catch {
      // Not yet.
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Resident set size of a Linux process in kB, from /proc/<pid>/stat; throws once the process is gone. */
export function rssKb(pid: number): number {
  const s = sample(pid);
  if (!s) throw new Error(`no process ${pid} in /proc`);
  return s.rssBytes / 1024;
}

/** A program the tools need is not installed: exit 69 (EX_UNAVAILABLE), naming it and how to install it. */
export class MissingBinaryError extends CliError {
  override name = 'MissingBinaryError';
  constructor(message: string) {
    super(message, EXIT.unavailable);
  }
}

/** Resolves a binary on PATH (or an absolute path), or throws naming it and how to install it. */
export function requireBinary(name: string, install: string): string {
  const found = name.startsWith('/') ? spawnSync('test', ['-x', name]).status === 0 : spawnSync('which', [name]).status === 0;
  if (!found) throw new MissingBinaryError(`${name} was not found: install it with \`${install}\``);
  return name;
}

/** Resolves once `child` has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Sends `signal`, then SIGKILL after `graceMs`, and resolves on exit. */
export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 5_000) {
  if (child.exitCode !== null || child.signalCode !== null) return exited(child);
  const done = exited(child);
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  const result = await done;
  clearTimeout(timer);
  return result;
}

/** A process that exited before it was ready: its exit code or signal and its last lines of output, for the caller to explain. */
export class ExitedBeforeReadyError extends Error {
  override name = 'ExitedBeforeReadyError';
  constructor(
    cmd: string,
    readonly code: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly lines: readonly string[],
  ) {
    super(`${cmd} exited (${code ?? signal}) before it was ready:\n${lines.join('\n')}`);
  }
}

/**
 * Spawns a process and resolves once a line of its output satisfies `isReady`;
 * rejects if it exits first (an ExitedBeforeReadyError) or `timeoutMs` passes, with the output so far.
 */
export function spawnUntil(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; isReady: (line: string) => boolean; timeoutMs?: number; onLine?: (line: string) => void },
): Promise<ChildProcess> {
  const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const notReady = () => new Error(`${cmd} was not ready within ${timeoutMs} ms:\n${lines.join('\n')}`);
  const { promise, settle } = settleOnce(child, timeoutMs, notReady, () => child.kill('SIGKILL'));
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      // The latest lines: what a process says last explains why it stopped.
      lines.push(line);
      if (lines.length > 20) lines.shift();
      opts.onLine?.(line);
      if (opts.isReady(line)) settle();
    });
  }
  child.once('error', (err) => settle(err));
  // 'close', not 'exit': its last lines (a config error's message) may still be in the pipes when it exits.
  child.once('close', (code, signal) => settle(new ExitedBeforeReadyError(cmd, code, signal, [...lines])));
  return promise;
}

/**
 * A start-up that ends once: `settle()` resolves with `value`, `settle(err)` (or `timeoutMs`
 * passing) rejects after `onFail` cleans up; later calls do nothing.
 */
export function settleOnce<T>(value: T, timeoutMs: number, timeoutError: () => Error, onFail: () => void) {
  let settle!: (err?: Error) => void;
  let settled = false;
  const promise = new Promise<T>((resolve, reject) => {
    settle = (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        onFail();
        reject(err);
      } else resolve(value);
    };
    const timer = setTimeout(() => settle(timeoutError()), timeoutMs);
  });
  return { promise, settle, isSettled: () => settled };
}
