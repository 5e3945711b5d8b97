import { z } from 'zod';

/** Socket.IO's own heartbeat defaults; the ALB idle timeout must exceed their sum. */
export const DEFAULT_PING_INTERVAL_MS = 25_000;
export const DEFAULT_PING_TIMEOUT_MS = 20_000;
/** Below ECS's default 30 s stopTimeout, so a drain always finishes before SIGKILL. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 20_000;
/** The port the container listens on. */
export const DEFAULT_PORT = 3000;

const bool = z.enum(['true', 'false', '1', '0'], { message: 'must be true or false' }).transform((v) => v === 'true' || v === '1');

const int = (min: number, max: number) =>
  z.coerce
    .number({ message: `must be an integer from ${min} to ${max}` })
    .int({ message: `must be an integer from ${min} to ${max}` })
    .min(min, { message: `must be an integer from ${min} to ${max}` })
    .max(max, { message: `must be an integer from ${min} to ${max}` });

const redisUrl = z
  .string()
  .url({ message: 'must be a redis:// or rediss:// URL' })
  .refine((u) => /^rediss?:\/\//.test(u), { message: 'must be a redis:// or rediss:// URL' });

const httpUrl = z.string().url({ message: 'must be an http:// or https:// URL' });

const origins = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
  )
  .refine((list) => list.every((o) => /^https?:\/\/[^/\s*]+$/.test(o)), {
    message: 'must be a comma-separated list of origins such as https://app.example.com (no paths, no *)',
  });

export const ADAPTERS = ['redis', 'redis-streams', 'redis-sharded'] as const;
export type AdapterKind = (typeof ADAPTERS)[number];

/** Every environment variable the service reads, with its default. */
export const envSchema = z.object({
  PORT: int(0, 65535).default(DEFAULT_PORT),
  HOST: z.string().min(1).default('0.0.0.0'),
  NODE_ID: z.string().min(1).max(128).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  REDIS_URL: redisUrl.optional(),
  REDIS_USERNAME: z.string().min(1).optional(),
  REDIS_PASSWORD: z.string().min(1).optional(),
  REDIS_CONNECT_TIMEOUT_MS: int(100, 60_000).default(5_000),
  REDIS_RECONNECT_MAX_DELAY_MS: int(50, 60_000).default(2_000),
  REDIS_REQUESTS_TIMEOUT_MS: int(100, 60_000).default(3_000),
  MAX_TEXT_BYTES: int(1, 1_048_576).default(4_096),
  MAX_HTTP_BUFFER_BYTES: int(1_024, 10_485_760).default(65_536),
  PING_INTERVAL_MS: int(1_000, 300_000).default(DEFAULT_PING_INTERVAL_MS),
  PING_TIMEOUT_MS: int(1_000, 300_000).default(DEFAULT_PING_TIMEOUT_MS),
  DRAIN_TIMEOUT_MS: int(100, 120_000).default(DEFAULT_DRAIN_TIMEOUT_MS),
  ADAPTER: z.enum(ADAPTERS, { message: `must be one of ${ADAPTERS.join(', ')}` }).default('redis'),
  RECOVERY_MAX_DISCONNECTION_MS: int(1_000, 3_600_000).default(120_000),
  AUTH_MODE: z.enum(['none', 'jwt'], { message: 'must be none or jwt' }).default('none'),
  AUTH_JWT_SECRET: z.string().min(32, { message: 'must be at least 32 characters (HS256 needs a 256-bit key)' }).optional(),
  AUTH_JWKS_URL: httpUrl.optional(),
  AUTH_JWT_ISSUER: z.string().min(1).optional(),
  AUTH_JWT_AUDIENCE: z.string().min(1).optional(),
  AUTH_ROOMS_CLAIM: z.string().min(1).default('rooms'),
  CORS_ORIGINS: origins.default([]),
  MAX_ROOMS_PER_SOCKET: int(1, 10_000).default(50),
  MAX_CONNECTIONS: int(1, 1_000_000).default(20_000),
  RATE_LIMIT_PER_SOCKET: int(1, 100_000).default(20),
  RATE_LIMIT_PER_SOCKET_BURST: int(1, 100_000).default(40),
  RATE_LIMIT_PER_USER: int(1, 1_000_000).default(50),
  RATE_LIMIT_PER_USER_BURST: int(1, 1_000_000).default(100),
  RATE_LIMIT_DISCONNECT_AFTER: int(1, 1_000_000).default(100),
  SLOW_CONSUMER_MAX_BUFFERED_BYTES: int(1_024, 1_073_741_824).default(1_048_576),
  SLOW_CONSUMER_MAX_PACKETS: int(10, 1_000_000).default(250),
  SHED_LOAD_LAG_MS: int(0, 60_000).default(200),
  METRICS_ENABLED: bool.default(false),
  METRICS_INTERVAL_MS: int(1_000, 3_600_000).default(60_000),
  METRICS_SERVICE_NAME: z.string().min(1).max(255).default('socketio'),
  METRICS_MAX_BUFFERED: int(1, 100_000).default(1_000),
  CLOUDWATCH_ENDPOINT: httpUrl.optional(),
});

export type Env = z.infer<typeof envSchema>;

export interface Config {
  readonly port: number;
  readonly host: string;
  /** Overrides the node id derived from ECS task metadata or host:port. */
  readonly nodeId?: string;
  readonly logLevel: Env['LOG_LEVEL'];
  readonly redis?: {
    readonly url: string;
    readonly username?: string;
    readonly password?: string;
    readonly connectTimeoutMs: number;
    readonly reconnectMaxDelayMs: number;
    readonly requestsTimeoutMs: number;
  };
  /** Cluster transport: classic pub/sub, streams with connection state recovery, or sharded pub/sub on a Redis Cluster. */
  readonly adapter: AdapterKind;
  /** How long a disconnected client's missed messages are kept for it (streams adapter). */
  readonly recoveryMaxDisconnectionMs: number;
  readonly auth:
    | { readonly mode: 'none' }
    | {
        readonly mode: 'jwt';
        readonly secret?: string;
        readonly jwksUrl?: string;
        readonly issuer?: string;
        readonly audience?: string;
        readonly roomsClaim: string;
      };
  /** Browser origins allowed cross-origin, with credentials (the ALB's cookie). Empty: same origin only. */
  readonly corsOrigins: string[];
  readonly limits: {
    readonly maxRoomsPerSocket: number;
    readonly maxConnections: number;
    readonly perSocket: { readonly ratePerS: number; readonly burst: number };
    readonly perUser: { readonly ratePerS: number; readonly burst: number };
    /** Rejected events in a row after which a socket is disconnected. */
    readonly disconnectAfterRejected: number;
    readonly slowConsumerMaxBufferedBytes: number;
    readonly slowConsumerMaxPackets: number;
    /** Event-loop lag past which new chat messages are refused (`overloaded`); 0: never. */
    readonly shedLoadLagMs: number;
  };
  readonly maxTextBytes: number;
  /** Largest Engine.IO message accepted; bigger ones close the connection. */
  readonly maxHttpBufferBytes: number;
  readonly pingIntervalMs: number;
  readonly pingTimeoutMs: number;
  readonly drainTimeoutMs: number;
  readonly metrics: {
    readonly enabled: boolean;
    readonly intervalMs: number;
    readonly serviceName: string;
    readonly maxBuffered: number;
    readonly endpoint?: string;
  };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; throws a ConfigError whose message names each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings count as unset, as a shell `VAR=` usually intends.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  if (e.AUTH_MODE === 'jwt' && !e.AUTH_JWT_SECRET === !e.AUTH_JWKS_URL) {
    throw new ConfigError(
      'invalid configuration: AUTH_MODE=jwt needs exactly one of AUTH_JWT_SECRET (HS256) or AUTH_JWKS_URL (RS256/ES256)',
    );
  }
  if (e.ADAPTER !== 'redis' && !e.REDIS_URL) {
    throw new ConfigError(`invalid configuration: ADAPTER=${e.ADAPTER} needs REDIS_URL`);
  }
  if (e.MAX_HTTP_BUFFER_BYTES < e.MAX_TEXT_BYTES + 512) {
    throw new ConfigError(
      `invalid configuration: MAX_HTTP_BUFFER_BYTES (${e.MAX_HTTP_BUFFER_BYTES}) must be at least MAX_TEXT_BYTES + 512 (${e.MAX_TEXT_BYTES + 512}) so that a message at the text limit fits`,
    );
  }
  return {
    port: e.PORT,
    host: e.HOST,
    nodeId: e.NODE_ID,
    logLevel: e.LOG_LEVEL,
    redis: e.REDIS_URL
      ? {
          url: e.REDIS_URL,
          username: e.REDIS_USERNAME,
          password: e.REDIS_PASSWORD,
          connectTimeoutMs: e.REDIS_CONNECT_TIMEOUT_MS,
          reconnectMaxDelayMs: e.REDIS_RECONNECT_MAX_DELAY_MS,
          requestsTimeoutMs: e.REDIS_REQUESTS_TIMEOUT_MS,
        }
      : undefined,
    adapter: e.ADAPTER,
    recoveryMaxDisconnectionMs: e.RECOVERY_MAX_DISCONNECTION_MS,
    auth:
      e.AUTH_MODE === 'jwt'
        ? {
            mode: 'jwt',
            secret: e.AUTH_JWT_SECRET,
            jwksUrl: e.AUTH_JWKS_URL,
            issuer: e.AUTH_JWT_ISSUER,
            audience: e.AUTH_JWT_AUDIENCE,
            roomsClaim: e.AUTH_ROOMS_CLAIM,
          }
        : { mode: 'none' },
    corsOrigins: e.CORS_ORIGINS,
    limits: {
      maxRoomsPerSocket: e.MAX_ROOMS_PER_SOCKET,
      maxConnections: e.MAX_CONNECTIONS,
      perSocket: { ratePerS: e.RATE_LIMIT_PER_SOCKET, burst: e.RATE_LIMIT_PER_SOCKET_BURST },
      perUser: { ratePerS: e.RATE_LIMIT_PER_USER, burst: e.RATE_LIMIT_PER_USER_BURST },
      disconnectAfterRejected: e.RATE_LIMIT_DISCONNECT_AFTER,
      slowConsumerMaxBufferedBytes: e.SLOW_CONSUMER_MAX_BUFFERED_BYTES,
      slowConsumerMaxPackets: e.SLOW_CONSUMER_MAX_PACKETS,
      shedLoadLagMs: e.SHED_LOAD_LAG_MS,
    },
    maxTextBytes: e.MAX_TEXT_BYTES,
    maxHttpBufferBytes: e.MAX_HTTP_BUFFER_BYTES,
    pingIntervalMs: e.PING_INTERVAL_MS,
    pingTimeoutMs: e.PING_TIMEOUT_MS,
    drainTimeoutMs: e.DRAIN_TIMEOUT_MS,
    metrics: {
      enabled: e.METRICS_ENABLED,
      intervalMs: e.METRICS_INTERVAL_MS,
      serviceName: e.METRICS_SERVICE_NAME,
      maxBuffered: e.METRICS_MAX_BUFFERED,
      endpoint: e.CLOUDWATCH_ENDPOINT,
    },
  };
}
