import { createShardedAdapter } from '@socket.io/redis-adapter';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics/publisher';
import type { RedisConfig } from '../redis/adapter-redis';
import { createClusterClients } from '../redis/cluster-clients';
import { type AdapterSetup, redisAdapterSetup } from './adapter-setup';

/** ADAPTER=sharded: @socket.io/redis-adapter on SPUBLISH/SSUBSCRIBE, a Redis Cluster; each room on its own shard channel. */
export function shardedAdapter(cfg: RedisConfig, logger: Logger, metrics: Pick<Metrics, 'increment'>): AdapterSetup {
  const redis = createClusterClients(cfg, logger, metrics);
  return redisAdapterSetup({ mode: 'sharded', cfg, redis, logger, createAdapter: () => createShardedAdapter(redis.pub, redis.sub) });
}
