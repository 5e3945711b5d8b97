import { connect } from 'node:net';
import { CliError, EXIT } from '../tools/cli';
import { portIsFree } from '../tools/processes';
import { type ClusterFile, liveClusters } from './cluster-file';

/**
 * What `npm start` checks before it builds or spawns anything, so that a second start beside a
 * running cluster is refused in one line instead of failing halfway (and taking the first
 * one's cluster file with it).
 */
export interface PreflightOptions {
  /** HAProxy's port; the nodes take the `nodes` ports above it. */
  readonly port: number;
  readonly nodes: number;
}

/** The ports the cluster will listen on: the load balancer's, then node-1's … node-N's. */
export const clusterPorts = (port: number, nodes: number) => Array.from({ length: nodes + 1 }, (_, i) => port + i);

/** The command line that starts the same cluster on other ports. */
function startCommand(port: number, nodes: number): string {
  return `npm start -- ${nodes === 3 ? '' : `--nodes ${nodes} `}--port ${port}`;
}

/** The lowest --port above `port` whose ports are all free now, if one is near. */
async function freeBaseAbove(port: number, nodes: number): Promise<number | undefined> {
  for (let base = port + nodes + 1; base + nodes <= Math.min(65535, port + 200); base++) {
    let free = true;
    for (const p of clusterPorts(base, nodes)) if (!(free = await portIsFree(p))) break;
    if (free) return base;
  }
  return undefined;
}

/** Which part of which running cluster listens on `port`, in words. */
function holderOf(port: number, clusters: readonly ClusterFile[]): { cluster: ClusterFile; what: string } | undefined {
  for (const cluster of clusters) {
    if (cluster.loadBalancerPort === port) return { cluster, what: 'the load balancer' };
    const node = cluster.nodes.find((n) => n.port === port);
    if (node) return { cluster, what: node.name };
  }
  return undefined;
}

/** Throws a one-line CliError (exit 78) for the first port of the cluster that something else holds. */
export async function checkPortsFree(o: PreflightOptions): Promise<void> {
  for (const port of clusterPorts(o.port, o.nodes)) {
    if (await portIsFree(port)) continue;
    const free = await freeBaseAbove(o.port, o.nodes);
    const elsewhere = free === undefined ? 'or pick another --port' : `or start beside it with \`${startCommand(free, o.nodes)}\``;
    const held = holderOf(port, liveClusters());
    if (held) {
      const { cluster, what } = held;
      throw new CliError(
        `port ${port} is taken by ${what} of the npm start cluster on port ${cluster.loadBalancerPort} (pid ${cluster.pid}): ` +
          `stop that cluster with \`kill ${cluster.pid}\` (or Ctrl-C where it runs), ${elsewhere}`,
        EXIT.config,
      );
    }
    throw new CliError(
      `port ${port} is taken by another process (not an npm start cluster): see which with \`ss -ltnp 'sport = :${port}'\`, ${elsewhere}`,
      EXIT.config,
    );
  }
}

/** Throws a one-line CliError (exit 78) when nothing accepts connections at REDIS_URL's host and port. */
export async function checkRedisReachable(redisUrl: string): Promise<void> {
  let url: URL;
  try {
    url = new URL(redisUrl);
  } catch {
    return; // The nodes name what is wrong with the URL itself.
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') return;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(url.port || 6379);
  const problem = await new Promise<string | undefined>((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(5_000, () => socket.destroy(new Error('no answer within 5 s')));
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('error', (err) => resolve(err.message));
  });
  if (problem !== undefined) {
    throw new CliError(
      `REDIS_URL: nothing accepts connections at ${host}:${port} (${problem}): ` +
        'start that Redis, or unset REDIS_URL and npm start runs its own',
      EXIT.config,
    );
  }
}
