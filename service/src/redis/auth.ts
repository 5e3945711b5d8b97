import { createClient } from 'redis';
import type { Logger } from '../logger';
import type { RedisConfig } from './adapter-redis';

/** Where an operator finds what to do when the tokens do not match Redis's. */
const RUNBOOK = 'docs/runbooks/redis-auth-rotation.md';

/** Redis's answer to a wrong AUTH token: WRONGPASS (Redis 6+, Valkey), "invalid password" before. */
export function isAuthRejected(err: unknown): boolean {
  const message = err instanceof Error ? err.message : String(err);
  return /^WRONGPASS\b|invalid password/i.test(message);
}

/** node-redis's credentials option: read at every connection and reconnection of every client made with it. */
export interface CredentialsProvider {
  readonly type: 'async-credentials-provider';
  credentials(): Promise<{ username?: string; password?: string }>;
}

export interface RedisAuth {
  /** For createClient/createCluster; undefined when Redis takes no credentials. */
  readonly credentialsProvider?: CredentialsProvider;
  /** Every client error comes here: an AUTH rejection makes it find out which of the tokens Redis takes now. */
  onError(err: unknown): void;
  /**
   * Runs `connect`; if it fails while the token is being switched, runs it once more with the token Redis takes.
   * For a cluster's first discovery, which does not retry by itself.
   */
  connectAfterSwitch<T>(connect: () => Promise<T>): Promise<T>;
}

/**
 * The AUTH token the clients send, during an AUTH token rotation too (ElastiCache's ROTATE then SET): REDIS_PASSWORD,
 * until Redis rejects it. Then one probe connection asks Redis which of REDIS_PASSWORD and REDIS_PASSWORD_NEXT it
 * takes, and every client sends that one from its next reconnection on. The probe decides rather than the failure
 * itself: clients fail together, and flipping on each failure would flip back.
 */
export function createRedisAuth(cfg: RedisConfig, logger: Logger): RedisAuth {
  const log = logger.child({ component: 'redis-auth' });
  const tokens = [...new Set([cfg.password, cfg.passwordNext].filter((t): t is string => t !== undefined))];
  const names = new Map<string | undefined, string>([
    [cfg.passwordNext, 'REDIS_PASSWORD_NEXT'],
    [cfg.password, 'REDIS_PASSWORD'],
  ]);
  let current = tokens[0];
  let checking: Promise<void> | undefined;
  let lastCheckAt = 0;
  let refusedBoth = false;

  /** Which token Redis takes: AUTH with each, on a connection of its own that sends nothing else. */
  async function acceptedToken(): Promise<string | undefined> {
    const probe = createClient({
      url: cfg.url,
      disableClientInfo: true,
      socket: { connectTimeout: cfg.connectTimeoutMs, reconnectStrategy: false },
    });
    probe.on('error', () => undefined);
    await probe.connect();
    try {
      for (const token of tokens) {
        try {
          await probe.sendCommand(cfg.username ? ['AUTH', cfg.username, token] : ['AUTH', token]);
          return token;
        } catch (err) {
          if (!isAuthRejected(err)) throw err;
        }
      }
      return undefined;
    } finally {
      probe.destroy();
    }
  }

  async function check(): Promise<void> {
    lastCheckAt = Date.now();
    // Unreachable Redis is the reconnect's business, not ours: the next rejection asks again.
    const accepted = await acceptedToken().catch(() => null);
    if (accepted === null) return;
    if (accepted === undefined) {
      if (!refusedBoth)
        log.error({ runbook: RUNBOOK }, 'Redis rejects both REDIS_PASSWORD and REDIS_PASSWORD_NEXT: the clients keep retrying');
      refusedBoth = true;
      return;
    }
    refusedBoth = false;
    if (accepted === current) return;
    current = accepted;
    log.warn(
      { sending: names.get(accepted), runbook: RUNBOOK },
      'Redis rejected the AUTH token the clients sent and takes the other one: they send it from their next connection',
    );
  }

  return {
    credentialsProvider:
      cfg.username || cfg.password
        ? { type: 'async-credentials-provider', credentials: async () => ({ username: cfg.username, password: current }) }
        : undefined,
    onError(err) {
      if (tokens.length < 2 || !isAuthRejected(err) || checking) return;
      // At most one probe per reconnect backoff, however many clients fail, so a wrong pair does not flood Redis.
      if (Date.now() - lastCheckAt < cfg.reconnectMaxDelayMs) return;
      checking = check().finally(() => (checking = undefined));
    },
    async connectAfterSwitch(connect) {
      const before = current;
      try {
        return await connect();
      } catch (err) {
        await checking;
        if (current === before) throw err;
        return connect();
      }
    },
  };
}
