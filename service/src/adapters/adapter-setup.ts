import type { ServerOptions } from 'socket.io';
import type { AdapterMode } from '../../../contract/env';
import { withTimeout } from '../deadline';
import type { Logger } from '../logger';
import type { AdapterRedis, RedisConfig } from '../redis/adapter-redis';

export type AdapterConstructor = ServerOptions['adapter'];

/** What one ADAPTER mode gives the app: its Redis clients, its adapter and the Socket.IO server options it needs. */
export interface AdapterSetup {
  /** Merged into the Socket.IO server's options (streams: connection state recovery). */
  readonly serverOptions: Partial<ServerOptions>;
  /** The mode's Redis clients; undefined on the in-memory adapter (no REDIS_URL). */
  readonly redis?: AdapterRedis;
  /** Connects Redis, retrying until it answers, then hands the mode's adapter to `install`. */
  start(install: (adapter: AdapterConstructor) => void): Promise<void>;
  /** Resolves once subscriptions for the rooms joined so far are live, or after REDIS_REQUESTS_TIMEOUT_MS. */
  subscriptionsSettled(): Promise<void>;
}

export interface RedisAdapterSetupOptions {
  readonly mode: AdapterMode;
  readonly cfg: RedisConfig;
  readonly redis: AdapterRedis;
  readonly logger: Logger;
  /** Builds the adapter on the connected clients. */
  readonly createAdapter: () => AdapterConstructor;
  readonly serverOptions?: Partial<ServerOptions>;
}

/** A mode whose adapter runs on Redis: the part every such mode shares. */
export function redisAdapterSetup(opts: RedisAdapterSetupOptions): AdapterSetup {
  const { redis, cfg } = opts;
  return {
    serverOptions: opts.serverOptions ?? {},
    redis,
    async start(install) {
      await redis.connect();
      install(opts.createAdapter());
      opts.logger.info({ redis: redactUrl(cfg.url), adapter: opts.mode }, 'redis adapter ready');
    },
    async subscriptionsSettled() {
      const settled = redis.subscriptionsSettled?.();
      // Past the bound the join stands locally; cross-node delivery follows once Redis answers.
      if (settled) await withTimeout(settled, cfg.requestsTimeoutMs).catch(() => undefined);
    },
  };
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
