import { randomBytes } from 'node:crypto';
import { type Haproxy, startHaproxy } from './haproxy';
import { type RedisServer, startRedisServer } from './redis-server';
import { type ServiceNode, startServiceNode } from './service-node';

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
  /** Starts HAProxy on this port in front of the nodes, as the ALB is in production. */
  readonly loadBalancerPort?: number;
  /** Node lines under their node id; HAProxy's under `lb`. */
  readonly onLog?: (nodeId: string, line: string) => void;
}

export interface LocalCluster {
  readonly redisUrl: string;
  /** The AUTH password of the Redis this cluster started (generated, as ElastiCache requires AUTH); the nodes get it as REDIS_PASSWORD. */
  readonly redisPassword?: string;
  readonly redis?: RedisServer;
  readonly nodes: ServiceNode[];
  readonly loadBalancer?: Haproxy;
  /** The load balancer's URL, or the first node's without one. */
  readonly url: string;
  stop(): Promise<void>;
}

export async function startLocalCluster(opts: LocalClusterOptions): Promise<LocalCluster> {
  const redis = opts.redisUrl ? undefined : await startRedisServer({ password: randomBytes(24).toString('base64url') });
  const redisUrl = opts.redisUrl ?? redis!.url;
  const redisPassword = redis?.password;
  const nodes: ServiceNode[] = [];
  let loadBalancer: Haproxy | undefined;
  let stopping: Promise<void> | undefined;
  // The load balancer goes first, so that no new client is sent to a node that is stopping.
  const stop = () =>
    (stopping ??= (async () => {
      await loadBalancer?.stop();
      await Promise.all(nodes.map((n) => n.stop()));
      await redis?.stop();
    })());
  try {
    for (const [index, port] of opts.ports.entries()) {
      const i = index + 1;
      nodes.push(
        await startServiceNode({
          port,
          nodeId: `node-${i}`,
          env: { REDIS_URL: redisUrl, ...(redisPassword ? { REDIS_PASSWORD: redisPassword } : {}), ...opts.env },
          onLog: opts.onLog && ((line) => opts.onLog!(`node-${i}`, line)),
        }),
      );
    }
    if (opts.loadBalancerPort !== undefined) {
      loadBalancer = await startHaproxy({
        port: opts.loadBalancerPort,
        nodes: nodes.map((n) => ({ name: n.nodeId, port: n.port })),
        onLog: opts.onLog && ((line) => opts.onLog!('lb', line)),
      });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { redisUrl, redisPassword, redis, nodes, loadBalancer, url: loadBalancer?.url ?? nodes[0]?.url ?? '', stop };
}
