import { createClient, type RedisClientType } from 'redis';
import { closeWithin } from '../deadline';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics/publisher';
import type { AdapterRedis, RedisConfig } from './adapter-redis';
import { createRedisAuth } from './auth';
import { COMMAND_QUEUE_MAX, PING_INTERVAL_MS, reconnectDelayMs } from './client-defaults';
import { outageReporter } from './outage-reporter';
import { overlay } from './overlay';
import { watchPrimaryRole } from './role-watchdog';

type Client = RedisClientType;

export interface PrimaryClientsOptions {
  /**
   * Queue commands while disconnected (bounded) instead of failing them at once. The streams
   * adapter wants this: a queued XADD still reaches the stream, and recovery, after a blip.
   */
  readonly queueWhileOffline: boolean;
}

/** The adapter's clients on one Redis primary (cluster mode disabled): pub, sub, and the readers the streams adapter makes. */
export function createPrimaryClients(
  cfg: RedisConfig,
  logger: Logger,
  metrics: Pick<Metrics, 'increment'>,
  opts: PrimaryClientsOptions,
): AdapterRedis {
  const log = logger.child({ component: 'redis' });
  // Shared by every client here, duplicates included: one switch of the AUTH token reaches them all.
  const auth = createRedisAuth(cfg, logger);
  const clients = new Set<Client>();
  // Unique per process, so that the role watchdog can find its own connections in CLIENT LIST.
  const namePrefix = `sio-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  let named = 0;
  const nextName = (role: string) => `${namePrefix}-${role}-${++named}`;

  /** Every client gets listeners before anything else can use it: an 'error' event without one kills the process. */
  const track = (client: Client, role: string): Client => {
    clients.add(client);
    const outage = outageReporter(log, metrics, role);
    client.on('error', outage.error);
    client.on('error', auth.onError);
    client.on('reconnecting', () => metrics.increment('redisReconnects'));
    client.on('ready', outage.restored);
    client.on('end', () => clients.delete(client));
    return client;
  };

  const rawPub = track(
    createClient({
      url: cfg.url,
      name: nextName('pub'),
      credentialsProvider: auth.credentialsProvider,
      socket: {
        connectTimeout: cfg.connectTimeoutMs,
        keepAlive: true,
        reconnectStrategy: (retries: number) => reconnectDelayMs(retries, cfg.reconnectMaxDelayMs),
      },
      pingInterval: PING_INTERVAL_MS,
      // Without a queue, a publish during an outage fails at once rather than replaying late in a burst.
      disableOfflineQueue: !opts.queueWhileOffline,
      commandsQueueMaxLength: COMMAND_QUEUE_MAX,
    }) as unknown as Client,
    'pub',
  );
  // Subscriptions are restored by node-redis from its own queue, so the sub client keeps one.
  const sub = track(rawPub.duplicate({ disableOfflineQueue: false, name: nextName('sub') }) as unknown as Client, 'sub');

  const pub = overlay(rawPub, {
    // The adapter does not catch a failed publish; uncaught, it would be an unhandled rejection.
    publish: (...args: Parameters<Client['publish']>) =>
      rawPub.publish(...args).catch(() => {
        metrics.increment('redisAdapterErrors');
        return 0;
      }),
    // The streams adapter makes its own readers; they are tracked like ours for health and close.
    duplicate: (overrides?: Parameters<Client['duplicate']>[0]) =>
      track(rawPub.duplicate({ disableOfflineQueue: false, name: nextName('reader'), ...overrides }) as unknown as Client, 'reader'),
  });
  const stopRoleWatch = watchPrimaryRole(rawPub, namePrefix, log, metrics);

  return {
    pub,
    sub,
    state: () => ([...clients].every((c) => c.isReady) && rawPub.isReady && sub.isReady ? 'ready' : 'reconnecting'),
    async connect() {
      await Promise.all([rawPub.connect(), sub.connect()]);
    },
    async close(timeoutMs) {
      stopRoleWatch();
      await Promise.all([...clients].map((client) => closeWithin(client, timeoutMs)));
    },
  };
}
