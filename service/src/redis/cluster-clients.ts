import { createCluster, type RedisClusterType } from 'redis';
import { closeWithin } from '../deadline';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics/publisher';
import type { AdapterRedis, RedisConfig } from './adapter-redis';
import { createRedisAuth } from './auth';
import { COMMAND_QUEUE_MAX, PING_INTERVAL_MS, reconnectDelayMs } from './client-defaults';
import { outageReporter } from './outage-reporter';
import { overlay } from './overlay';

type Cluster = RedisClusterType;

/**
 * The sharded adapter's clients on a Redis Cluster (ElastiCache cluster mode): pub and sub are
 * cluster clients that follow slot moves and failovers by themselves; SPUBLISH/SSUBSCRIBE keep
 * each room's traffic on the one shard that owns its channel.
 */
export function createClusterClients(cfg: RedisConfig, logger: Logger, metrics: Pick<Metrics, 'increment'>): AdapterRedis {
  const log = logger.child({ component: 'redis-cluster' });
  // Every node client of both clusters reads the AUTH token from it, so one switch reaches them all.
  const auth = createRedisAuth(cfg, logger);
  const pub = createCluster({
    rootNodes: [{ url: cfg.url }],
    defaults: {
      credentialsProvider: auth.credentialsProvider,
      socket: {
        connectTimeout: cfg.connectTimeoutMs,
        keepAlive: true,
        // rediss:// in the seed URL does not carry over to the discovered nodes.
        ...(cfg.url.startsWith('rediss://') ? { tls: true as const } : {}),
        reconnectStrategy: (retries: number) => reconnectDelayMs(retries, cfg.reconnectMaxDelayMs),
      },
      pingInterval: PING_INTERVAL_MS,
      // Under overload, publishes waiting for Redis are bounded: past this they fail (and are counted).
      commandsQueueMaxLength: COMMAND_QUEUE_MAX,
    },
  }) as unknown as Cluster;
  const rawSub = pub.duplicate() as unknown as Cluster;
  const pending = new Set<Promise<unknown>>();
  // The adapter fires SSUBSCRIBE and forgets it; keeping the promises lets a join wait for them.
  const track = (subscribed: Promise<unknown>) => {
    const settled = subscribed.catch(() => undefined).finally(() => pending.delete(settled));
    pending.add(settled);
    return subscribed;
  };
  const sub = overlay(rawSub, {
    sSubscribe: (...args: Parameters<Cluster['sSubscribe']>) => track(rawSub.sSubscribe(...args)),
    SSUBSCRIBE: (...args: Parameters<Cluster['SSUBSCRIBE']>) => track(rawSub.SSUBSCRIBE(...args)),
  });

  for (const [role, cluster] of [
    ['pub', pub],
    ['sub', rawSub],
  ] as const) {
    // Listeners first: an 'error' event without one kills the process.
    const outage = outageReporter(log, metrics, role);
    cluster.on('error', outage.error);
    cluster.on('node-error', outage.error);
    cluster.on('error', auth.onError);
    cluster.on('node-error', auth.onError);
    cluster.on('node-reconnecting', () => metrics.increment('redisReconnects'));
    cluster.on('node-ready', () => {
      if (clusterReady(cluster, role === 'sub')) outage.restored();
    });
  }

  const adapterRedis: AdapterRedis = {
    pub,
    sub,
    state: () => (clusterReady(pub, false) && clusterReady(rawSub, true) ? 'ready' : 'reconnecting'),
    async connect() {
      await Promise.all([pub, rawSub].map((cluster) => auth.connectAfterSwitch(() => cluster.connect())));
    },
    async subscriptionsSettled() {
      await Promise.all([...pending]);
    },
    async close(timeoutMs) {
      await Promise.all([pub, rawSub].map((cluster) => closeWithin(cluster, timeoutMs)));
    },
  };
  return adapterRedis;
}

/** Every primary's command client (pub) or sharded-pub/sub client (sub) is ready. */
function clusterReady(cluster: Cluster, pubSub: boolean): boolean {
  if (!cluster.isOpen) return false;
  const masters = cluster.masters;
  if (pubSub) return masters.every((m) => !m.pubSub || m.pubSub.client.isReady);
  return masters.length > 0 && masters.every((m) => m.client?.isReady === true);
}
