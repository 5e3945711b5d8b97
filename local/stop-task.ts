import { CliError, EXIT } from '../tools/cli';
import { isAlive } from '../tools/processes';
import type { ClusterFile } from './cluster-file';
import { deleteServer, serversState, setServerState, showStat, shutdownSessions } from './haproxy-runtime';

/**
 * ECS's stop of a task behind an ALB, performed on a local cluster through HAProxy
 * (docs/architecture.md, "How ECS stops a task"):
 * 1. DEACTIVATING: the target is deregistered. HAProxy's server goes into maintenance: no request
 *    reaches it any more, sticky or not, and open connections stay, as for a draining ALB target.
 *    The node's drain signal sees `draining` through the ELB stand-in (local/local-drain.ts).
 * 2. The deregistration delay: it ends early once the node has no connections left; otherwise
 *    the load balancer closes what is left when it ends.
 * 3. STOPPING: SIGTERM, then SIGKILL once the stop timeout has passed.
 * Without deregistration, only 3: a failover, which the load balancer learns of from its health checks.
 */
export interface StopTaskOptions {
  readonly cluster: ClusterFile;
  /** node-N, as `npm start` names them. */
  readonly node: string;
  readonly deregistrationDelayMs: number;
  readonly stopTimeoutMs: number;
  /** Deregister the target and wait out the delay before SIGTERM, as ECS does; without, SIGTERM at once. @default true */
  readonly deregister?: boolean;
  /** Each line of the timeline, as it happens. */
  readonly onEvent?: (event: TimelineEvent) => void;
  /** How often HAProxy's connection count is read while the delay runs. @default 250 */
  readonly sampleMs?: number;
}

export interface TimelineEvent {
  /** Since the stop began. */
  readonly atMs: number;
  readonly phase: 'deregistering' | 'connections' | 'deregistered' | 'sigterm' | 'sigkill' | 'stopped';
  readonly text: string;
  /** The node's connections through HAProxy, where the event counted them. */
  readonly connections?: number;
}

export interface StopTaskReport {
  readonly events: TimelineEvent[];
  /** True when the node had to be killed after the stop timeout. */
  readonly killed: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends `sig`; a process already gone has nothing left to stop. */
function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** Waits, polling (a process that is not our child announces no exit), until `pid` is gone or `ms` pass. */
async function exitedWithin(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
  return true;
}

/** The node's open connections through HAProxy, as its `scur`. */
async function connections(socket: string, node: string): Promise<number> {
  return (await showStat(socket))[node]?.sessions ?? 0;
}

/** The delay: ends when it passes, or earlier once the node has no connection left. */
async function waitOutDeregistration(o: StopTaskOptions, t0: number, emit: (e: Omit<TimelineEvent, 'atMs'>) => void): Promise<number> {
  const end = t0 + o.deregistrationDelayMs;
  let shown: number | undefined;
  let shownAt = 0;
  for (;;) {
    const open = await connections(o.cluster.statsSocket, o.node);
    if (open === 0) return 0;
    if (Date.now() >= end) return open;
    // One line a second at most, and only when the count moved.
    if (open !== shown && Date.now() - shownAt >= 1_000) {
      emit({ phase: 'connections', text: `${o.node}: ${open} connections open`, connections: open });
      shown = open;
      shownAt = Date.now();
    }
    await sleep(Math.min(o.sampleMs ?? 250, Math.max(0, end - Date.now())));
  }
}

/**
 * Deletes the server once HAProxy has let go of its connections (shutting them down takes a
 * moment); one it still holds after 2 s stays in maintenance, which clients cannot tell apart.
 */
async function removeTarget(socket: string, node: string): Promise<boolean> {
  const deadline = Date.now() + 2_000;
  for (;;) {
    try {
      await deleteServer(socket, node);
      return true;
    } catch {
      if (Date.now() >= deadline) return false;
      await sleep(100);
    }
  }
}

/** 1 and 2: the target deregistered, the delay waited out (or cut short), what is left closed. */
async function deregisterTarget(o: StopTaskOptions, t0: number, emit: (e: Omit<TimelineEvent, 'atMs'>) => void): Promise<void> {
  const delayS = o.deregistrationDelayMs / 1_000;
  const before = await connections(o.cluster.statsSocket, o.node);
  await setServerState(o.cluster.statsSocket, o.node, 'maint');
  emit({
    phase: 'deregistering',
    text:
      `DEACTIVATING: ${o.node} deregistered, its target draining for up to ${delayS} s: ` +
      `HAProxy sends it no new request, its ${before} open connections stay`,
    connections: before,
  });

  const left = await waitOutDeregistration(o, t0, emit);
  if (left > 0) await shutdownSessions(o.cluster.statsSocket, o.node);
  const removed = await removeTarget(o.cluster.statsSocket, o.node);
  emit({
    phase: 'deregistered',
    text:
      (left > 0
        ? `deregistration delay over: the load balancer closed the ${left} connections left`
        : `no connection left: deregistration complete, ${((Date.now() - t0) / 1_000).toFixed(1)} s into the ${delayS} s delay`) +
      (removed ? '; target unused' : '; target left in maintenance'),
    connections: left,
  });
}

export async function stopTask(o: StopTaskOptions): Promise<StopTaskReport> {
  const node = o.cluster.nodes.find((n) => n.name === o.node);
  if (!node) {
    const names = o.cluster.nodes.map((n) => n.name).join(', ');
    throw new CliError(`no ${o.node} in the cluster on port ${o.cluster.loadBalancerPort} (it has ${names})`, EXIT.config);
  }
  const servers = await serversState(o.cluster.statsSocket).catch((err: unknown) => {
    // The file outlives a cluster killed with SIGKILL.
    const why = err instanceof Error ? err.message : String(err);
    throw new CliError(
      `the cluster on port ${o.cluster.loadBalancerPort} does not answer (${why}): start one with \`npm start\``,
      EXIT.config,
    );
  });
  if (!isAlive(node.pid) || !servers.some((s) => s.name === o.node))
    throw new CliError(`${o.node} is not running any more (pid ${node.pid}): it was stopped already`, EXIT.config);

  const events: TimelineEvent[] = [];
  const t0 = Date.now();
  const emit = (e: Omit<TimelineEvent, 'atMs'>) => {
    const event = { atMs: Date.now() - t0, ...e };
    events.push(event);
    o.onEvent?.(event);
  };
  const deregister = o.deregister ?? true;
  if (deregister) await deregisterTarget(o, t0, emit);

  signal(node.pid, 'SIGTERM');
  const sigtermAt = Date.now();
  emit({
    phase: 'sigterm',
    text:
      `STOPPING: SIGTERM to ${o.node} (pid ${node.pid})` +
      (deregister ? '' : ' without deregistering it (HAProxy finds it down by its health checks)') +
      `, SIGKILL after the ${o.stopTimeoutMs / 1_000} s stop timeout`,
  });
  let killed = false;
  if (!(await exitedWithin(node.pid, o.stopTimeoutMs))) {
    killed = true;
    signal(node.pid, 'SIGKILL');
    emit({ phase: 'sigkill', text: `SIGKILL: ${o.node} was still running ${o.stopTimeoutMs / 1_000} s after SIGTERM` });
    await exitedWithin(node.pid, 5_000);
  }
  emit({ phase: 'stopped', text: `STOPPED: ${o.node} exited ${((Date.now() - sigtermAt) / 1_000).toFixed(1)} s after SIGTERM` });
  return { events, killed };
}

/** One timeline line: `+  12.3 s  …`. */
export function formatTimelineEvent(e: TimelineEvent): string {
  return `+${(e.atMs / 1_000).toFixed(1).padStart(6)} s  ${e.text}`;
}
