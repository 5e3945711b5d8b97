import { z } from 'zod';

/** Socket.IO's own heartbeat defaults; the ALB idle timeout must exceed their sum. */
export const DEFAULT_PING_INTERVAL_MS = 25_000;
export const DEFAULT_PING_TIMEOUT_MS = 20_000;
/** Below ECS's default 30 s stopTimeout, so a drain always finishes before SIGKILL. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 20_000;
/** The port the container listens on. */
export const DEFAULT_PORT = 3000;

const bool = z
  .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1');

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
