import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { bundleApp } from '../tools/bundle';
import { removeClusterFile, writeClusterFile } from './cluster-file';
import { type ElbStandIn, startElbStandIn } from './elb-stand-in';
import { type Haproxy, startHaproxy } from './haproxy';
import { haproxyTargetHealth, LOCAL_TARGET_GROUP_ARN, localDeregistrationDelayMs, localDrainEnv } from './local-drain';
import { type RedisServer, startRedisServer } from './redis-server';
import { type ServiceNode, startServiceNode } from './service-node';

const ROOT = join(__dirname, '..');

/**
 * The local cluster: service nodes from the bundle on one Redis, optionally behind HAProxy in
 * the ALB's place (what `npm start` runs). Not a Redis Cluster (local/redis-cluster.ts), not
 * the ECS cluster.
 */
export interface LocalClusterOptions {
  /** One service node per port, named node-1 … node-N in this order. */
  readonly ports: number[];
  /** Use this Redis instead of starting one. */
  readonly redisUrl?: string;
  /** Extra environment for every node (AUTH_*, limits, …). */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Starts HAProxy on this port in front of the nodes, as the ALB is in production, with a stand-in
   * for the ELB API that reports HAProxy's view of each node as its target health (the drain signal).
   */
  readonly loadBalancerPort?: number;
  /** Node lines under their node id; HAProxy's under `lb`. */
  readonly onLog?: (nodeId: string, line: string) => void;
  /**
   * The app every node runs (a file or a directory, contract/app.ts): bundled into `.build/local-<port>/` and passed to
   * each node as APP_MODULE. @default the bundle's own app (the demo chat)
   */
  readonly app?: string;
}

export interface LocalCluster {
  readonly redisUrl: string;
  /** The AUTH password of the Redis this cluster started (generated, as ElastiCache requires AUTH); the nodes get it as REDIS_PASSWORD. */
  readonly redisPassword?: string;
  readonly redis?: RedisServer;
  readonly nodes: ServiceNode[];
  readonly loadBalancer?: Haproxy;
  /** With the load balancer: the ELB API the nodes poll for their target's health. */
  readonly elb?: ElbStandIn;
  /** With the load balancer: the deregistration delay that fits the nodes' drain, which `npm run stop-task` waits. */
  readonly deregistrationDelayMs?: number;
  /** The load balancer's URL, or the first node's without one. */
  readonly url: string;
  stop(): Promise<void>;
}

/** Bundles `app` (tools/bundle.ts) for the cluster on `port`, and returns the file the nodes load. */
function bundleLocalApp(app: string, port: number): string {
  return bundleApp(app, join(ROOT, '.build', `local-${port}`));
}

export async function startLocalCluster(opts: LocalClusterOptions): Promise<LocalCluster> {
  // Before anything starts: an app that does not build leaves nothing running.
  const appEnv = opts.app === undefined ? {} : { APP_MODULE: bundleLocalApp(opts.app, opts.loadBalancerPort ?? opts.ports[0]) };
  const redis = opts.redisUrl ? undefined : await startRedisServer({ password: randomBytes(24).toString('base64url') });
  const redisUrl = opts.redisUrl ?? redis!.url;
  const redisPassword = redis?.password;
  const nodes: ServiceNode[] = [];
  const lbPort = opts.loadBalancerPort;
  let loadBalancer: Haproxy | undefined;
  let elb: ElbStandIn | undefined;
  let stopping: Promise<void> | undefined;
  // Only the file this cluster wrote goes with it: on a port another cluster holds, that one's stays.
  let wroteClusterFile = false;
  const base = { ...process.env, ...opts.env };
  // The load balancer goes first, so that no new client is sent to a node that is stopping.
  const stop = () =>
    (stopping ??= (async () => {
      if (wroteClusterFile && lbPort !== undefined) removeClusterFile(lbPort);
      await loadBalancer?.stop();
      await Promise.all(nodes.map((n) => n.stop()));
      await elb?.close();
      await redis?.stop();
    })());
  try {
    if (lbPort !== undefined) {
      elb = await startElbStandIn({ targetGroupArn: LOCAL_TARGET_GROUP_ARN, health: haproxyTargetHealth(() => loadBalancer?.statsSocket) });
    }
    for (const [index, port] of opts.ports.entries()) {
      const nodeId = `node-${index + 1}`;
      const drainEnv = elb ? localDrainEnv(elb, nodeId, base) : {};
      nodes.push(
        await startServiceNode({
          port,
          nodeId,
          env: { REDIS_URL: redisUrl, ...(redisPassword ? { REDIS_PASSWORD: redisPassword } : {}), ...drainEnv, ...appEnv, ...opts.env },
          onLog: opts.onLog && ((line) => opts.onLog!(nodeId, line)),
        }),
      );
    }
    if (lbPort !== undefined) {
      loadBalancer = await startHaproxy({
        port: lbPort,
        nodes: nodes.map((n) => ({ name: n.nodeId, port: n.port })),
        onLog: opts.onLog && ((line) => opts.onLog!('lb', line)),
      });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const deregistrationDelayMs = elb ? localDeregistrationDelayMs(localDrainEnv(elb, 'node-1', base)) : undefined;
  if (loadBalancer && deregistrationDelayMs !== undefined) {
    writeClusterFile({
      pid: process.pid,
      loadBalancerPort: loadBalancer.port,
      statsSocket: loadBalancer.statsSocket,
      deregistrationDelayMs,
      nodes: nodes.map((n) => ({ name: n.nodeId, port: n.port, pid: n.child.pid! })),
    });
    wroteClusterFile = true;
  }
  return {
    redisUrl,
    redisPassword,
    redis,
    nodes,
    loadBalancer,
    elb,
    deregistrationDelayMs,
    url: loadBalancer?.url ?? nodes[0]?.url ?? '',
    stop,
  };
}
