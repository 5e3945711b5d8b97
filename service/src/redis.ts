import { createClient, type RedisClientType } from 'redis';
import type { Config } from './config';
import type { Logger } from './logger';
import type { Metrics } from './metrics/publisher';

export type RedisState = 'ready' | 'reconnecting' | 'disabled';

type RedisConfig = NonNullable<Config['redis']>;
export type AdapterClient = RedisClientType;

export interface AdapterRedis {
  /** Publishing client, wrapped so that a failed publish is counted instead of becoming an unhandled rejection. */
  readonly pub: AdapterClient;
  /** Subscribing client; node-redis re-subscribes it after every reconnect. */
  readonly sub: AdapterClient;
  /** Ready only when both are: a dead sub client means no cross-node delivery. */
  state(): RedisState;
  /** Resolves once both clients are connected; retries until then. */
  connect(): Promise<void>;
  /** Closes both clients, forcefully after `timeoutMs`. */
  close(timeoutMs: number): Promise<void>;
}

/** Capped exponential backoff with jitter that never gives up. */
export function reconnectDelayMs(retries: number, maxDelayMs: number, random = Math.random): number {
  const base = Math.min(maxDelayMs, 50 * 2 ** Math.min(retries, 16));
  return Math.round(base / 2 + (random() * base) / 2);
}

export function createAdapterRedis(cfg: RedisConfig, logger: Logger, metrics: Pick<Metrics, 'increment'>): AdapterRedis {
  const base = {
    url: cfg.url,
    username: cfg.username,
    password: cfg.password,
    socket: {
      connectTimeout: cfg.connectTimeoutMs,
      keepAlive: true,
      reconnectStrategy: (retries: number) => reconnectDelayMs(retries, cfg.reconnectMaxDelayMs),
    },
    // Finds half-open connections (a failover, a silent network drop) that TCP alone would hide.
    pingInterval: 10_000,
  };
  // Queued publishes would be replayed late, in a burst, after an outage: fail them fast instead.
  const rawPub = createClient({ ...base, disableOfflineQueue: true }) as unknown as AdapterClient;
  const sub = createClient(base) as unknown as AdapterClient;
  const log = logger.child({ component: 'redis' });

  for (const [role, client] of [['pub', rawPub], ['sub', sub]] as const) {
    // Registered before the adapter exists: an 'error' event without a listener kills the process.
    let downSince: number | undefined;
    client.on('error', (err: Error) => {
      metrics.increment('redisAdapterErrors');
      if (downSince === undefined) {
        downSince = Date.now();
        log.warn({ role, err: { name: err.name, message: err.message } }, 'redis connection lost, reconnecting');
      }
    });
    client.on('reconnecting', () => metrics.increment('redisReconnects'));
    client.on('ready', () => {
      if (downSince !== undefined) {
        log.info({ role, downMs: Date.now() - downSince }, 'redis connection restored');
        downSince = undefined;
      }
    });
  }

  const pub = new Proxy(rawPub, {
    get(target, prop) {
      if (prop === 'publish') {
        return (...args: Parameters<AdapterClient['publish']>) =>
          target.publish(...args).catch(() => {
            metrics.increment('redisAdapterErrors');
            return 0;
          });
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });

  return {
    pub,
    sub,
    state: () => (rawPub.isReady && sub.isReady ? 'ready' : 'reconnecting'),
    async connect() {
      await Promise.all([rawPub.connect(), sub.connect()]);
    },
    async close(timeoutMs) {
      await Promise.all(
        [rawPub, sub].map(async (client) => {
          if (!client.isOpen) return;
          let timer: NodeJS.Timeout | undefined;
          const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
          const outcome = await Promise.race([client.close().catch(() => 'failed' as const), timedOut]);
          clearTimeout(timer);
          if (outcome !== undefined && client.isOpen) client.destroy();
        }),
      );
    },
  };
}
