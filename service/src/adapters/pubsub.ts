import { createAdapter } from '@socket.io/redis-adapter';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics/publisher';
import type { RedisConfig } from '../redis/adapter-redis';
import { createPrimaryClients } from '../redis/primary-clients';
import { type AdapterSetup, redisAdapterSetup } from './adapter-setup';

/** ADAPTER=pubsub: @socket.io/redis-adapter on PUBLISH/SUBSCRIBE, one primary; delivery at most once. */
export function pubsubAdapter(cfg: RedisConfig, logger: Logger, metrics: Pick<Metrics, 'increment'>): AdapterSetup {
  const redis = createPrimaryClients(cfg, logger, metrics, { queueWhileOffline: false });
  return redisAdapterSetup({
    mode: 'pubsub',
    cfg,
    redis,
    logger,
    createAdapter: () => createAdapter(redis.pub, redis.sub, { requestsTimeout: cfg.requestsTimeoutMs }),
  });
}
