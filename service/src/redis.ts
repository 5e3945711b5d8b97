import { createClient, type RedisClientType } from 'redis';
import type { Config } from './config';
import { closeWithin } from './deadline';
import type { Logger } from './logger';
import type { Metrics } from './metrics/publisher';

export type RedisState = 'ready' | 'reconnecting' | 'disabled';

type RedisConfig = NonNullable<Config['redis']>;
export type AdapterClient = RedisClientType;

export interface AdapterRedis {
  /** Publishing client (a node-redis client or cluster client), as the adapter takes it. */
  readonly pub: object;
  /** Subscribing client; node-redis re-subscribes it after every reconnect. */
  readonly sub: object;
  /** Ready only when every client is: a dead sub client means no cross-node delivery. */
  state(): RedisState;
  /** Resolves once pub and sub are connected; retries until then. */
  connect(): Promise<void>;
  /** Closes every client, forcefully after `timeoutMs`. */
  close(timeoutMs: number): Promise<void>;
  /**
   * Resolves once the subscriptions asked for so far are in place on Redis. The sharded
   * adapter subscribes a room's channel on join without waiting; a join answered before that
   * would miss messages sent right after it. @default - nothing to wait for
   */
  subscriptionsSettled?(): Promise<void>;
}

export interface AdapterRedisOptions {
  /**
   * Queue commands while disconnected (bounded) instead of failing them at once. The streams
   * adapter wants this: a queued XADD still reaches the stream, and recovery, after a blip.
   */
  readonly queueWhileOffline: boolean;
}

/** Capped exponential backoff with jitter that never gives up. */
export function reconnectDelayMs(retries: number, maxDelayMs: number, random = Math.random): number {
  const base = Math.min(maxDelayMs, 50 * 2 ** Math.min(retries, 16));
  return Math.round(base / 2 + (random() * base) / 2);
}

/** How often the pub client checks that it still talks to a primary (the failover bound). */
const ROLE_CHECK_INTERVAL_MS = 2_000;

/** Commands waiting for Redis, per client: bounds memory under overload and while offline. */
export const COMMAND_QUEUE_MAX = 10_000;

export function createAdapterRedis(
  cfg: RedisConfig,
  logger: Logger,
  metrics: Pick<Metrics, 'increment'>,
  opts: AdapterRedisOptions,
): AdapterRedis {
  const log = logger.child({ component: 'redis' });
  const clients = new Set<AdapterClient>();
  // Unique per process, so that the watchdog can find its own connections in CLIENT LIST.
  const namePrefix = `sio-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  let named = 0;
  const nextName = (role: string) => `${namePrefix}-${role}-${++named}`;

  /** Every client gets listeners before anything else can use it: an 'error' event without one kills the process. */
  const track = (client: AdapterClient, role: string): AdapterClient => {
    clients.add(client);
    const outage = outageReporter(log, metrics, role);
    client.on('error', outage.error);
    client.on('reconnecting', () => metrics.increment('redisReconnects'));
    client.on('ready', outage.restored);
    client.on('end', () => clients.delete(client));
    return client;
  };

  const rawPub = track(
    createClient({
      url: cfg.url,
      name: nextName('pub'),
      username: cfg.username,
      password: cfg.password,
      socket: {
        connectTimeout: cfg.connectTimeoutMs,
        keepAlive: true,
        reconnectStrategy: (retries: number) => reconnectDelayMs(retries, cfg.reconnectMaxDelayMs),
      },
      // Finds half-open connections (a failover, a silent network drop) that TCP alone would hide.
      pingInterval: 10_000,
      // Without a queue, a publish during an outage fails at once rather than replaying late in a burst.
      disableOfflineQueue: !opts.queueWhileOffline,
      commandsQueueMaxLength: COMMAND_QUEUE_MAX,
    }) as unknown as AdapterClient,
    'pub',
  );
  // Subscriptions are restored by node-redis from its own queue, so the sub client keeps one.
  const sub = track(rawPub.duplicate({ disableOfflineQueue: false, name: nextName('sub') }) as unknown as AdapterClient, 'sub');

  const pub = overlay(rawPub, {
    publish: (...args: Parameters<AdapterClient['publish']>) =>
      rawPub.publish(...args).catch(() => {
        metrics.increment('redisAdapterErrors');
        return 0;
      }),
    // The streams adapter makes its own readers; they are tracked like ours for health and close.
    duplicate: (overrides?: Parameters<AdapterClient['duplicate']>[0]) =>
      track(rawPub.duplicate({ disableOfflineQueue: false, name: nextName('reader'), ...overrides }) as unknown as AdapterClient, 'reader'),
  });

  // After a failover, a connection that stayed open may talk to the demoted primary, which
  // accepts PUBLISH but shares it with no one who moved on. Killing our own connections there
  // makes node-redis reconnect them, resolving the endpoint anew and re-subscribing.
  let checking = false;
  const checkRole = async () => {
    if (checking || !rawPub.isReady) return;
    checking = true;
    try {
      const role = (await rawPub.sendCommand(['ROLE'])) as unknown[];
      if (role[0] === 'master') return;
      log.warn({ role: role[0] }, 'redis endpoint is no longer a primary, reconnecting every client');
      metrics.increment('redisAdapterErrors');
      const list = String(await rawPub.sendCommand(['CLIENT', 'LIST']));
      const ids = [...list.matchAll(/(?:^|\n)id=(\d+) .*?name=(\S*)/g)]
        .filter(([, , name]) => name.startsWith(namePrefix))
        .map(([, id]) => id);
      const own = String(await rawPub.sendCommand(['CLIENT', 'ID']));
      // Our own connection last, or the kills after it would not be sent.
      for (const id of [...ids.filter((i) => i !== own), own]) {
        // SKIPME defaults to yes: without `no`, our own connection would survive its kill.
        await rawPub.sendCommand(['CLIENT', 'KILL', 'ID', id, 'SKIPME', 'no']).catch(() => undefined);
      }
    } catch {
      // A failed check is a connection problem, which node-redis handles by reconnecting.
    } finally {
      checking = false;
    }
  };
  const roleTimer = setInterval(() => void checkRole(), ROLE_CHECK_INTERVAL_MS);
  roleTimer.unref();

  return {
    pub,
    sub,
    state: () => ([...clients].every((c) => c.isReady) && rawPub.isReady && sub.isReady ? 'ready' : 'reconnecting'),
    async connect() {
      await Promise.all([rawPub.connect(), sub.connect()]);
    },
    async close(timeoutMs) {
      clearInterval(roleTimer);
      await Promise.all([...clients].map((client) => closeWithin(client, timeoutMs)));
    },
  };
}

/** Counts every error, and logs an outage once when it starts and once when it ends. */
export function outageReporter(log: Logger, metrics: Pick<Metrics, 'increment'>, role: string) {
  let downSince: number | undefined;
  return {
    error(err: Error): void {
      metrics.increment('redisAdapterErrors');
      if (downSince !== undefined) return;
      downSince = Date.now();
      log.warn({ role, err: { name: err.name, message: err.message } }, 'redis connection lost, reconnecting');
    },
    restored(): void {
      if (downSince === undefined) return;
      log.info({ role, downMs: Date.now() - downSince }, 'redis connection restored');
      downSince = undefined;
    },
  };
}

/** `target` with some methods replaced; every other method stays bound to it (node-redis relies on `this`). */
export function overlay<T extends object>(target: T, overrides: Record<string, (...args: never[]) => unknown>): T {
  return new Proxy(target, {
    get(t, prop) {
      if (typeof prop === 'string' && Object.hasOwn(overrides, prop)) return overrides[prop];
      const value: unknown = Reflect.get(t, prop, t);
      return typeof value === 'function' ? value.bind(t) : value;
    },
  });
}
