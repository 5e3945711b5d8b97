import { createAdapter } from '@socket.io/redis-streams-adapter';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics/publisher';
import type { RedisConfig } from '../redis/adapter-redis';
import { createPrimaryClients } from '../redis/primary-clients';
import { type AdapterSetup, redisAdapterSetup } from './adapter-setup';
import { exactlyOnceRecovery } from './exactly-once-recovery';

/**
 * ADAPTER=streams: @socket.io/redis-streams-adapter, one primary. Broadcasts go through a stream, so a
 * client that reconnects within `recoveryMaxDisconnectionMs` gets what it missed (connection state recovery).
 */
export function streamsAdapter(
  cfg: RedisConfig,
  recoveryMaxDisconnectionMs: number,
  logger: Logger,
  metrics: Pick<Metrics, 'increment'>,
): AdapterSetup {
  const redis = createPrimaryClients(cfg, logger, metrics, { queueWhileOffline: true });
  return redisAdapterSetup({
    mode: 'streams',
    cfg,
    redis,
    logger,
    // Recovery as the library does it can lose or repeat a message broadcast while a session is restored.
    createAdapter: () => exactlyOnceRecovery(createAdapter(redis.pub)),
    // Middlewares run again on recovery: a recovered socket still passes the connection limit and the token check.
    serverOptions: { connectionStateRecovery: { maxDisconnectionDuration: recoveryMaxDisconnectionMs, skipMiddlewares: false } },
  });
}
