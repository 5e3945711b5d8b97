import { type RedisServer, startRedisServer } from './redis-server';
import { type ServiceNode, startServiceNode } from './service-node';

export interface ClusterOptions {
  /** One service node per port, named node-1 … node-N in this order. */
  readonly ports: number[];
  /** Use this Redis instead of starting one. */
  readonly redisUrl?: string;
  /** Extra environment for every node (AUTH_*, limits, …). */
  readonly env?: NodeJS.ProcessEnv;
  readonly onLog?: (nodeId: string, line: string) => void;
}

export interface LocalCluster {
  readonly redisUrl: string;
  readonly redis?: RedisServer;
  readonly nodes: ServiceNode[];
  stop(): Promise<void>;
}

export async function startCluster(opts: ClusterOptions): Promise<LocalCluster> {
  const redis = opts.redisUrl ? undefined : await startRedisServer();
  const redisUrl = opts.redisUrl ?? redis!.url;
  const nodes: ServiceNode[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await redis?.stop();
  };
  try {
    for (const [index, port] of opts.ports.entries()) {
      const i = index + 1;
      nodes.push(
        await startServiceNode({
          port,
          nodeId: `node-${i}`,
          env: { REDIS_URL: redisUrl, ...opts.env },
          onLog: opts.onLog && ((line) => opts.onLog!(`node-${i}`, line)),
        }),
      );
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { redisUrl, redis, nodes, stop };
}
