/**
 * The service's environment: every variable it reads, with its type, range and default.
 * The service parses its environment with this schema; infra writes the container's
 * environment as a ContainerEnv, so a key the service does not read fails to compile.
 */
import { z } from 'zod';

/** Socket.IO's own heartbeat defaults; the ALB idle timeout must exceed their sum. */
export const DEFAULT_PING_INTERVAL_MS = 25_000;
export const DEFAULT_PING_TIMEOUT_MS = 20_000;
/** Below ECS's default 30 s stopTimeout, so a drain always finishes before SIGKILL. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 20_000;
/** The port the container listens on. */
export const DEFAULT_PORT = 3000;

/**
 * Idle keep-alive connections are kept longer than the ALB keeps its own to the targets (its idle timeout: 60 s by
 * default, 120 s in this stack); otherwise the ALB may send a request on a connection the node is closing and answer 502.
 */
export const DEFAULT_HTTP_KEEP_ALIVE_TIMEOUT_MS = 125_000;
/** Above the keep-alive timeout, so that a reused idle connection is never cut by the header timer first. */
export const DEFAULT_HTTP_HEADERS_TIMEOUT_MS = 126_000;

/** How often a node asks the ELB API for its own target's health (DescribeTargetHealth). */
export const DEFAULT_DRAIN_POLL_INTERVAL_MS = 5_000;
/** Once the target drains, the disconnects are spread over this long: at most a fifth of the clients in any second. */
export const DEFAULT_DRAIN_SPREAD_MS = 30_000;
/** The shortest spread: at most a fifth of a node's clients reconnect elsewhere in any one second. */
export const MIN_DRAIN_SPREAD_MS = 5_000;

/**
 * ELB's API throttles per account and Region with token buckets; the Describe* bucket refills at 10 tokens a second
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/userguide/elb-api-throttling.html). The drain polls of all
 * tasks together, at the most tasks there can be (a deploy at maxTasks), may use a fifth of that, leaving the rest to
 * the console, the CLI and other tools of the account.
 */
export const ELB_DESCRIBE_REFILL_PER_S = 10;
export const DRAIN_POLL_SHARE_OF_REFILL = 0.2;
/** Each poll waits between 0.9 and 1.1 intervals, so that tasks started together do not poll together. */
export const DRAIN_POLL_JITTER = 0.1;
/** Time for the last clients moved to reconnect through the load balancer before it closes what is left. */
export const DRAIN_RECONNECT_MARGIN_MS = 5_000;
/** Intervals a poll waits after 1, 2, 3 or more throttled polls in a row: backing off leaves the emptied bucket to others. */
export const DRAIN_THROTTLED_WAIT_INTERVALS = [2, 4, 8] as const;
/** Throttled polls in a row that the deregistration delay still covers: detection stays within it despite them. */
export const DRAIN_THROTTLES_COVERED = 2;

/** The shortest DRAIN_POLL_INTERVAL_MS that keeps `pollingTasks` tasks polling at once within their share of the ELB API. */
export function minDrainPollIntervalMs(pollingTasks: number): number {
  return Math.ceil((pollingTasks * 1_000) / (ELB_DESCRIBE_REFILL_PER_S * DRAIN_POLL_SHARE_OF_REFILL));
}

/** The bound of one DescribeTargetHealth call: a hung call must not hold back the next poll. */
export function drainPollTimeoutMs(pollIntervalMs: number): number {
  return Math.min(3_000, Math.floor(pollIntervalMs / 2));
}

/** Intervals the next poll waits (before jitter) after `throttledInARow` throttled polls; 1 when the last poll was not throttled. */
export function drainPollWaitIntervals(throttledInARow: number): number {
  if (throttledInARow <= 0) return 1;
  return DRAIN_THROTTLED_WAIT_INTERVALS[Math.min(throttledInARow, DRAIN_THROTTLED_WAIT_INTERVALS.length) - 1];
}

/**
 * The longest a task can take to read `draining` once its target drains, with DRAIN_THROTTLES_COVERED throttled polls
 * in a row: the answer in flight when the drain began, then each wait (the longest jitter, the backoff) and its call,
 * every call up to its bound.
 */
export function drainDetectionMs(pollIntervalMs: number): number {
  const callMs = drainPollTimeoutMs(pollIntervalMs);
  let ms = callMs;
  for (let throttled = 0; throttled <= DRAIN_THROTTLES_COVERED; throttled++) {
    // In thousandths, so that float error (1.1 × 1000 = 1100.0000000000002) cannot add a millisecond.
    const longestWaitMs = Math.ceil(
      (pollIntervalMs * drainPollWaitIntervals(throttled) * Math.round((1 + DRAIN_POLL_JITTER) * 1_000)) / 1_000,
    );
    ms += longestWaitMs + callMs;
  }
  return ms;
}

/**
 * The shortest deregistration delay in which every client is moved before the load balancer closes what is left: the
 * slowest detection (drainDetectionMs), the spread, and the reconnect margin.
 */
export function minDeregistrationDelayMs(opts: { pollIntervalMs: number; spreadMs: number }): number {
  return drainDetectionMs(opts.pollIntervalMs) + opts.spreadMs + DRAIN_RECONNECT_MARGIN_MS;
}

/**
 * The TCP connections a node holds when MAX_TCP_CONNECTIONS is 0: one per socket and per pre-auth session it admits, and a
 * quarter more for what rides beside them (a long-polling client's POST next to its held GET, a WebSocket upgrade next to
 * its polling session, health checks, backend API requests, the load balancer's idle keep-alive connections).
 */
export function maxTcpConnections(e: { MAX_TCP_CONNECTIONS: number; MAX_CONNECTIONS: number; PREAUTH_MAX_SESSIONS: number }): number {
  return e.MAX_TCP_CONNECTIONS || Math.ceil(1.25 * (e.MAX_CONNECTIONS + e.PREAUTH_MAX_SESSIONS));
}

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

/** An ELBv2 target group's ARN, e.g. arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/my-targets/73e2d6bc24d8a067. */
export const TARGET_GROUP_ARN = /^arn:aws[a-z-]*:elasticloadbalancing:([a-z0-9-]+):\d{12}:targetgroup\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{16}$/;
const targetGroupArn = z.string().regex(TARGET_GROUP_ARN, {
  message: 'must be a target group ARN: arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>',
});

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

/**
 * How the nodes share rooms and broadcasts through Redis:
 * - `pubsub`: @socket.io/redis-adapter on classic PUBLISH/SUBSCRIBE (the default);
 * - `streams`: @socket.io/redis-streams-adapter, with connection state recovery;
 * - `sharded`: @socket.io/redis-adapter on SPUBLISH/SSUBSCRIBE, for a Redis Cluster.
 */
export const ADAPTER_MODES = ['pubsub', 'streams', 'sharded'] as const;
export type AdapterMode = (typeof ADAPTER_MODES)[number];
/** Earlier spellings of the modes; they fail with the new name instead of being accepted. */
export const RENAMED_ADAPTERS: Readonly<Record<string, AdapterMode>> = {
  redis: 'pubsub',
  'redis-streams': 'streams',
  'redis-sharded': 'sharded',
};

const adapterMode = z.string().transform((v, ctx): AdapterMode => {
  if ((ADAPTER_MODES as readonly string[]).includes(v)) return v as AdapterMode;
  const renamed = RENAMED_ADAPTERS[v];
  ctx.addIssue({
    code: 'custom',
    message: renamed ? `${v} was renamed: use ADAPTER=${renamed}` : `must be one of ${ADAPTER_MODES.join(', ')}`,
  });
  return z.NEVER;
});

/**
 * Backend API keys (API_KEYS): one or more, comma-separated, two while one is rotated out. The
 * messages never repeat a key.
 */
const apiKeys = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean),
  )
  .refine((keys) => keys.length >= 1 && keys.length <= 10, { message: 'must list 1 to 10 comma-separated keys' })
  .refine((keys) => keys.every((k) => k.length >= 32 && k.length <= 512), { message: 'each key must be 32 to 512 characters' })
  .refine((keys) => keys.every((k) => /^[\x21-\x7e]+$/.test(k)), { message: 'keys must be printable ASCII without spaces' })
  .refine((keys) => new Set(keys).size === keys.length, { message: 'must not list a key twice' });

/** Every environment variable the service reads, with its range and default. */
export const envSchema = z.object({
  PORT: int(0, 65535).default(DEFAULT_PORT),
  HOST: z.string().min(1).default('0.0.0.0'),
  NODE_ID: z.string().min(1).max(128).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  REDIS_URL: redisUrl.optional(),
  /** The app's module (docs/apps.md); the bundle's own app/index.js, beside server.js, when unset. */
  APP_MODULE: z.string().min(1).optional(),
  REDIS_USERNAME: z.string().min(1).optional(),
  REDIS_PASSWORD: z.string().min(1).optional(),
  /**
   * The AUTH token Redis takes after the next rotation (docs/runbooks/redis-auth-rotation.md): sent when Redis rejects
   * REDIS_PASSWORD, so that the tasks connect before, during and after the change. May equal REDIS_PASSWORD.
   */
  REDIS_PASSWORD_NEXT: z.string().min(1).optional(),
  REDIS_CONNECT_TIMEOUT_MS: int(100, 60_000).default(5_000),
  REDIS_RECONNECT_MAX_DELAY_MS: int(50, 60_000).default(2_000),
  REDIS_REQUESTS_TIMEOUT_MS: int(100, 60_000).default(3_000),
  MAX_HTTP_BUFFER_BYTES: int(1_024, 10_485_760).default(65_536),
  PING_INTERVAL_MS: int(1_000, 300_000).default(DEFAULT_PING_INTERVAL_MS),
  PING_TIMEOUT_MS: int(1_000, 300_000).default(DEFAULT_PING_TIMEOUT_MS),
  DRAIN_TIMEOUT_MS: int(100, 120_000).default(DEFAULT_DRAIN_TIMEOUT_MS),
  DRAIN_TARGET_GROUP_ARN: targetGroupArn.optional(),
  DRAIN_POLL_INTERVAL_MS: int(1_000, 600_000).default(DEFAULT_DRAIN_POLL_INTERVAL_MS),
  DRAIN_SPREAD_MS: int(MIN_DRAIN_SPREAD_MS, 3_600_000).default(DEFAULT_DRAIN_SPREAD_MS),
  ELBV2_ENDPOINT: httpUrl.optional(),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: int(1_000, 4_100_000).default(DEFAULT_HTTP_KEEP_ALIVE_TIMEOUT_MS),
  HTTP_HEADERS_TIMEOUT_MS: int(1_000, 4_200_000).default(DEFAULT_HTTP_HEADERS_TIMEOUT_MS),
  ADAPTER: adapterMode.default('pubsub'),
  RECOVERY_MAX_DISCONNECTION_MS: int(1_000, 3_600_000).default(120_000),
  AUTH_MODE: z.enum(['none', 'jwt'], { message: 'must be none or jwt' }).default('none'),
  AUTH_JWT_SECRET: z.string().min(32, { message: 'must be at least 32 characters (HS256 needs a 256-bit key)' }).optional(),
  AUTH_JWKS_URL: httpUrl.optional(),
  AUTH_JWT_ISSUER: z.string().min(1).optional(),
  AUTH_JWT_AUDIENCE: z.string().min(1).optional(),
  AUTH_ROOMS_CLAIM: z.string().min(1).default('rooms'),
  /** The boolean claim that lets a token with a rooms claim send room-less messages (to everyone). */
  AUTH_BROADCAST_CLAIM: z.string().min(1).default('broadcast'),
  AUTH_MAX_ROOM_PATTERNS: int(1, 10_000).default(100),
  CORS_ORIGINS: origins.default([]),
  /** Why a deployment has no CORS_ORIGINS (browsers then connect from the node's own origin only); logged at start. */
  CORS_ORIGINS_UNSET_REASON: z.string().min(1).max(500).optional(),
  /** Proxies in front of the node that append to X-Forwarded-For (the ALB, or HAProxy locally); 0: trust no header. */
  TRUSTED_PROXY_HOPS: int(0, 10).default(1),
  /** Engine.IO sessions without an authenticated CONNECT, per node and per client IP, and how long they may stay so. */
  // A drain closes a full node's 20,000 sockets in ten batches: 2,000 reconnecting at once may all land on one other node.
  PREAUTH_MAX_SESSIONS: int(1, 1_000_000).default(2_000),
  PREAUTH_MAX_SESSIONS_PER_IP: int(1, 1_000_000).default(64),
  PREAUTH_TIMEOUT_MS: int(100, 60_000).default(5_000),
  /**
   * The largest message a session without an authenticated CONNECT may send (its CONNECT and token fit; MAX_HTTP_BUFFER_BYTES
   * when that is smaller): what such a session can make the node hold is the session and this, so the full pre-auth table
   * stays small (docs/security.md).
   */
  PREAUTH_MAX_MESSAGE_BYTES: int(1_024, 10_485_760).default(8_192),
  /**
   * Bytes a node holds for packets that have begun and not ended: a binary event's attachments until its last one, a
   * WebSocket message or a polling body until its last byte. Each must be complete within PARTIAL_PACKET_TIMEOUT_MS; the
   * binary packets of all connections together within PARTIAL_PACKETS_MAX_BYTES (past it the oldest is closed).
   */
  PARTIAL_PACKET_TIMEOUT_MS: int(100, 300_000).default(10_000),
  PARTIAL_PACKETS_MAX_BYTES: int(65_536, 4_294_967_296).default(33_554_432),
  /**
   * Every packet a connection sends (events, ACKs, pings, pongs, CONNECTs, attachments, noise) spends from these buckets.
   * They sit above the per-socket event limits (checked at start), so that a fast client is answered `rate_limited`
   * before this outer budget closes its connection.
   */
  CONNECTION_PACKETS_PER_S: int(1, 1_000_000).default(400),
  CONNECTION_PACKETS_BURST: int(1, 1_000_000).default(1_000),
  CONNECTION_BYTES_PER_S: int(1_024, 1_073_741_824).default(131_072),
  CONNECTION_BURST_BYTES: int(1_024, 1_073_741_824).default(524_288),
  /** Log lines a second for each kind of refusal (refused handshakes, connections closed by the guard); the rest are counted. */
  LOG_REFUSALS_PER_S: int(0, 10_000).default(10),
  /** A Bearer token that gets /healthz's details through the load balancer; loopback callers get them without. */
  HEALTH_DETAILS_TOKEN: z.string().min(32, { message: 'must be at least 32 characters' }).optional(),
  MAX_CONNECTIONS: int(1, 1_000_000).default(20_000),
  /**
   * One user's share of a node (docs/security.md, "A user's share of a node"): the connections one JWT `sub` may hold on
   * a node (`user_limit` past it), and without auth, the guests of one client IP together (`guest_ip_limit`). The last
   * MAX_CONNECTIONS_RESERVED_PERCENT of MAX_CONNECTIONS go only to users (guest IPs) holding fewer than
   * MAX_CONNECTIONS_RESERVED_BELOW connections on the node, so no one identity takes a node's last slots.
   */
  MAX_CONNECTIONS_PER_USER: int(1, 1_000_000).default(100),
  MAX_CONNECTIONS_PER_GUEST_IP: int(1, 1_000_000).default(1_000),
  MAX_CONNECTIONS_RESERVED_PERCENT: int(0, 50).default(10),
  MAX_CONNECTIONS_RESERVED_BELOW: int(1, 1_000_000).default(4),
  /**
   * TCP connections the node's HTTP server holds (Node's `server.maxConnections`); past it a new one is closed as soon as it
   * is accepted. 0: derived, maxTcpConnections(MAX_CONNECTIONS, PREAUTH_MAX_SESSIONS).
   */
  MAX_TCP_CONNECTIONS: int(0, 1_000_000).default(0),
  /**
   * Events a socket may send, and all of one user's sockets on a node together: a canvas, a game or a cursor stream
   * sends 100 a second. Past them an event is answered `rate_limited` (dropped and counted without an ack);
   * RATE_LIMIT_DISCONNECT_AFTER refusals in a row end the connection.
   */
  RATE_LIMIT_PER_SOCKET: int(1, 100_000).default(120),
  RATE_LIMIT_PER_SOCKET_BURST: int(1, 100_000).default(240),
  RATE_LIMIT_PER_USER: int(1, 1_000_000).default(300),
  RATE_LIMIT_PER_USER_BURST: int(1, 1_000_000).default(600),
  RATE_LIMIT_DISCONNECT_AFTER: int(1, 1_000_000).default(500),
  /**
   * Deliveries (a broadcast written to one socket) that one user's events may cause on a node per second, wherever the
   * broadcast was sent from, and the burst above it: a user writing to its own thousands of sockets slows only itself
   * (service/src/delivery/delivery-budget.ts). The default lets a user message a full node (MAX_CONNECTIONS) once a second.
   */
  USER_DELIVERIES_PER_S: int(1, 1_000_000_000).default(20_000),
  USER_DELIVERIES_BURST: int(1, 1_000_000_000).default(40_000),
  SLOW_CONSUMER_MAX_BUFFERED_BYTES: int(1_024, 1_073_741_824).default(1_048_576),
  SLOW_CONSUMER_MAX_PACKETS: int(10, 1_000_000).default(250),
  SHED_LOAD_LAG_MS: int(0, 60_000).default(200),
  METRICS_ENABLED: bool.default(false),
  METRICS_INTERVAL_MS: int(1_000, 3_600_000).default(60_000),
  METRICS_SERVICE_NAME: z.string().min(1).max(255).default('socketio'),
  METRICS_MAX_BUFFERED: int(1, 100_000).default(1_000),
  CLOUDWATCH_ENDPOINT: httpUrl.optional(),
  // Backend API (docs/api.md): unset API_KEYS turns /api/v1 off (404).
  API_KEYS: apiKeys.optional(),
  API_MAX_BODY_BYTES: int(256, 1_048_576).default(65_536),
  API_MAX_TARGETS: int(1, 10_000).default(100),
  API_RATE_LIMIT_PER_KEY: int(1, 1_000_000).default(200),
  API_RATE_LIMIT_PER_KEY_BURST: int(1, 1_000_000).default(400),
  API_IDEMPOTENCY_WINDOW_MS: int(1_000, 86_400_000).default(300_000),
  /** Deliveries one API key's publishes may cause on a node per second, and the burst: past them its publishes get 429. */
  API_DELIVERIES_PER_KEY_PER_S: int(1, 1_000_000_000).default(50_000),
  API_DELIVERIES_PER_KEY_BURST: int(1, 1_000_000_000).default(100_000),
  PRESENCE_TIMEOUT_MS: int(100, 60_000).default(2_000),
  PRESENCE_MAX_USERS: int(1, 100_000).default(1_000),
});

export type Env = z.infer<typeof envSchema>;

/** The environment as infra writes it into a container: any subset of the variables, as strings. */
export type ContainerEnv = { readonly [K in keyof z.input<typeof envSchema>]?: string };
