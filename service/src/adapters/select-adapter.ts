import type { AdapterMode } from '../../../contract/env';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics/publisher';
import type { RedisConfig } from '../redis/adapter-redis';
import type { AdapterSetup } from './adapter-setup';
import { inMemoryAdapter } from './in-memory';
import { pubsubAdapter } from './pubsub';
import { shardedAdapter } from './sharded';
import { streamsAdapter } from './streams';

type Build = (redis: RedisConfig, config: Config, logger: Logger, metrics: Pick<Metrics, 'increment'>) => AdapterSetup;

/** One entry per ADAPTER mode: a mode added to the contract fails to compile until it has one. */
const MODES: Readonly<Record<AdapterMode, Build>> = {
  pubsub: (redis, _config, logger, metrics) => pubsubAdapter(redis, logger, metrics),
  streams: (redis, config, logger, metrics) => streamsAdapter(redis, config.recoveryMaxDisconnectionMs, logger, metrics),
  sharded: (redis, _config, logger, metrics) => shardedAdapter(redis, logger, metrics),
};

/** The setup of the configured ADAPTER mode; without REDIS_URL (allowed only for pubsub), the in-memory adapter. */
export function selectAdapter(config: Config, logger: Logger, metrics: Pick<Metrics, 'increment'>): AdapterSetup {
  return config.redis ? MODES[config.adapter](config.redis, config, logger, metrics) : inMemoryAdapter(logger);
}
