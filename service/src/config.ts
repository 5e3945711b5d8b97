import { type AdapterMode, type Env, envSchema, maxTcpConnections, TARGET_GROUP_ARN } from '../../contract/env';
import { type ApiConfig, apiConfig } from './api/config';

export interface Config {
  readonly port: number;
  readonly host: string;
  /** Overrides the node id derived from ECS task metadata or host:port. */
  readonly nodeId?: string;
  readonly logLevel: Env['LOG_LEVEL'];
  /** The app's module (APP_MODULE); undefined: the bundle's own app/index.js. */
  readonly appModule?: string;
  readonly redis?: {
    readonly url: string;
    readonly username?: string;
    readonly password?: string;
    /** The AUTH token to send when Redis rejects `password`: the next one of a rotation. */
    readonly passwordNext?: string;
    readonly connectTimeoutMs: number;
    readonly reconnectMaxDelayMs: number;
    readonly requestsTimeoutMs: number;
  };
  /** Cluster transport: classic pub/sub, streams with connection state recovery, or sharded pub/sub on a Redis Cluster. */
  readonly adapter: AdapterMode;
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
        /** The boolean claim that lets a token with a rooms claim message everyone. */
        readonly broadcastClaim: string;
        readonly maxRoomPatterns: number;
      };
  /** Browser origins allowed cross-origin, with credentials (the ALB's cookie), on every transport. Empty: same origin only. */
  readonly corsOrigins: string[];
  /** Why corsOrigins is empty, when the deployment says so (logged at start). */
  readonly corsOriginsUnsetReason?: string;
  /** Proxies in front of the node that append to X-Forwarded-For; the client's address is the one the outermost of them saw. */
  readonly trustedProxyHops: number;
  /** Gets /healthz's details from anywhere (Authorization: Bearer …). */
  readonly healthDetailsToken?: string;
  /** Log lines a second for each kind of refusal; the rest are counted in a summary line. */
  readonly logRefusalsPerS: number;
  readonly limits: {
    readonly maxConnections: number;
    /**
     * One user's share of the node's MAX_CONNECTIONS: per JWT `sub`, or per client IP for guests; the last `reserved`
     * slots only for a user (guest IP) holding fewer than `reservedBelow` connections.
     */
    readonly share: { readonly perUser: number; readonly perGuestIp: number; readonly reserved: number; readonly reservedBelow: number };
    readonly perSocket: { readonly ratePerS: number; readonly burst: number };
    readonly perUser: { readonly ratePerS: number; readonly burst: number };
    /** Deliveries one user's events may cause on this node per second, and the burst (delivery/delivery-budget.ts). */
    readonly userDeliveries: { readonly ratePerS: number; readonly burst: number };
    /** Rejected events in a row after which a socket is disconnected. */
    readonly disconnectAfterRejected: number;
    readonly slowConsumerMaxBufferedBytes: number;
    readonly slowConsumerMaxPackets: number;
    /** Event-loop lag past which the app's events are refused (`overloaded`); 0: never. */
    readonly shedLoadLagMs: number;
    /** Sessions without an authenticated CONNECT: per node, per client IP, their deadline, and the largest message they may send. */
    readonly preAuth: {
      readonly maxSessions: number;
      readonly maxSessionsPerIp: number;
      readonly timeoutMs: number;
      readonly maxMessageBytes: number;
    };
    /** Packets begun and not ended (a binary packet's attachments, a message still arriving): their deadline and node-wide bytes. */
    readonly partialPackets: { readonly timeoutMs: number; readonly maxBytes: number };
    /** What one connection may send, every packet counted. */
    readonly packets: { readonly ratePerS: number; readonly burst: number };
    readonly bytes: { readonly ratePerS: number; readonly burst: number };
  };
  /** Largest Engine.IO message accepted; bigger ones close the connection. */
  readonly maxHttpBufferBytes: number;
  readonly pingIntervalMs: number;
  readonly pingTimeoutMs: number;
  /** Bound of the SIGTERM drain and close. */
  readonly drainTimeoutMs: number;
  readonly drain: {
    /** Once the node's target drains, its disconnects are spread over this long. */
    readonly spreadMs: number;
    /** The drain signal: the node's own target health, polled; none without a target group. */
    readonly targetHealth?: {
      readonly targetGroupArn: string;
      /** The target group's, from its ARN. */
      readonly region: string;
      readonly pollIntervalMs: number;
      readonly endpoint?: string;
    };
  };
  /** Idle keep-alive connections outlive the load balancer's own (its idle timeout); headers get longer still. */
  readonly http: {
    readonly keepAliveTimeoutMs: number;
    readonly headersTimeoutMs: number;
    /** TCP connections the HTTP server holds (`server.maxConnections`), MAX_TCP_CONNECTIONS or its derived default. */
    readonly maxTcpConnections: number;
  };
  readonly metrics: {
    readonly enabled: boolean;
    readonly intervalMs: number;
    readonly serviceName: string;
    readonly maxBuffered: number;
    readonly endpoint?: string;
  };
  /** The backend API and presence (docs/api.md). */
  readonly api: ApiConfig;
}

export class EnvConfigError extends Error {
  override name = 'EnvConfigError';
}

/** Parses the environment; throws a EnvConfigError whose message names each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings count as unset, as a shell `VAR=` usually intends.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`);
    throw new EnvConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  checkCombinations(e);
  return {
    port: e.PORT,
    host: e.HOST,
    nodeId: e.NODE_ID,
    logLevel: e.LOG_LEVEL,
    appModule: e.APP_MODULE,
    redis: e.REDIS_URL
      ? {
          url: e.REDIS_URL,
          username: e.REDIS_USERNAME,
          password: e.REDIS_PASSWORD,
          passwordNext: e.REDIS_PASSWORD_NEXT,
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
            broadcastClaim: e.AUTH_BROADCAST_CLAIM,
            maxRoomPatterns: e.AUTH_MAX_ROOM_PATTERNS,
          }
        : { mode: 'none' },
    corsOrigins: e.CORS_ORIGINS,
    corsOriginsUnsetReason: e.CORS_ORIGINS_UNSET_REASON,
    trustedProxyHops: e.TRUSTED_PROXY_HOPS,
    healthDetailsToken: e.HEALTH_DETAILS_TOKEN,
    logRefusalsPerS: e.LOG_REFUSALS_PER_S,
    limits: limitsFrom(e),
    maxHttpBufferBytes: e.MAX_HTTP_BUFFER_BYTES,
    pingIntervalMs: e.PING_INTERVAL_MS,
    pingTimeoutMs: e.PING_TIMEOUT_MS,
    drainTimeoutMs: e.DRAIN_TIMEOUT_MS,
    drain: {
      spreadMs: e.DRAIN_SPREAD_MS,
      targetHealth: e.DRAIN_TARGET_GROUP_ARN
        ? {
            targetGroupArn: e.DRAIN_TARGET_GROUP_ARN,
            region: TARGET_GROUP_ARN.exec(e.DRAIN_TARGET_GROUP_ARN)![1],
            pollIntervalMs: e.DRAIN_POLL_INTERVAL_MS,
            endpoint: e.ELBV2_ENDPOINT,
          }
        : undefined,
    },
    http: {
      keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
      maxTcpConnections: maxTcpConnections(e),
    },
    metrics: {
      enabled: e.METRICS_ENABLED,
      intervalMs: e.METRICS_INTERVAL_MS,
      serviceName: e.METRICS_SERVICE_NAME,
      maxBuffered: e.METRICS_MAX_BUFFERED,
      endpoint: e.CLOUDWATCH_ENDPOINT,
    },
    api: apiConfig(e),
  };
}

/** Values that are each in range but do not work together. */
function checkCombinations(e: Env): void {
  const fail = (message: string) => {
    throw new EnvConfigError(`invalid configuration: ${message}`);
  };
  if (e.AUTH_MODE === 'jwt' && !e.AUTH_JWT_SECRET === !e.AUTH_JWKS_URL) {
    fail('AUTH_MODE=jwt needs exactly one of AUTH_JWT_SECRET (HS256) or AUTH_JWKS_URL (RS256/ES256)');
  }
  if (e.ADAPTER !== 'pubsub' && !e.REDIS_URL) fail(`ADAPTER=${e.ADAPTER} needs REDIS_URL`);
  if (e.REDIS_PASSWORD_NEXT && !e.REDIS_PASSWORD) {
    fail('REDIS_PASSWORD_NEXT is the token after REDIS_PASSWORD in a rotation: set REDIS_PASSWORD too (the token Redis takes now)');
  }
  // The limits nest: the outer packet budget must let the inner event limits answer `rate_limited` first.
  if (e.CONNECTION_PACKETS_PER_S < e.RATE_LIMIT_PER_SOCKET) {
    fail(
      `CONNECTION_PACKETS_PER_S (${e.CONNECTION_PACKETS_PER_S}) must be at least RATE_LIMIT_PER_SOCKET (${e.RATE_LIMIT_PER_SOCKET}) ` +
        'so that a fast client is answered rate_limited before its connection is closed',
    );
  }
  if (e.CONNECTION_PACKETS_BURST < e.RATE_LIMIT_PER_SOCKET_BURST + e.RATE_LIMIT_DISCONNECT_AFTER) {
    fail(
      `CONNECTION_PACKETS_BURST (${e.CONNECTION_PACKETS_BURST}) must be at least RATE_LIMIT_PER_SOCKET_BURST + ` +
        `RATE_LIMIT_DISCONNECT_AFTER (${e.RATE_LIMIT_PER_SOCKET_BURST + e.RATE_LIMIT_DISCONNECT_AFTER}) so that a flood is ` +
        'answered rate_limited, and then disconnected for it, before the packet budget closes the connection',
    );
  }
  if (e.CONNECTION_BURST_BYTES < e.MAX_HTTP_BUFFER_BYTES) {
    fail(
      `CONNECTION_BURST_BYTES (${e.CONNECTION_BURST_BYTES}) must be at least MAX_HTTP_BUFFER_BYTES (${e.MAX_HTTP_BUFFER_BYTES}) ` +
        'so that one message of the largest allowed size fits the byte budget',
    );
  }
  if (e.PARTIAL_PACKETS_MAX_BYTES < e.MAX_HTTP_BUFFER_BYTES) {
    fail(
      `PARTIAL_PACKETS_MAX_BYTES (${e.PARTIAL_PACKETS_MAX_BYTES}) must be at least MAX_HTTP_BUFFER_BYTES (${e.MAX_HTTP_BUFFER_BYTES}) ` +
        'so that a binary packet with one attachment of the largest allowed size fits',
    );
  }
  if (e.PREAUTH_MAX_SESSIONS_PER_IP > e.PREAUTH_MAX_SESSIONS) {
    fail(`PREAUTH_MAX_SESSIONS_PER_IP (${e.PREAUTH_MAX_SESSIONS_PER_IP}) must not exceed PREAUTH_MAX_SESSIONS (${e.PREAUTH_MAX_SESSIONS})`);
  }
  checkConnectionShares(e, fail);
  if (e.CORS_ORIGINS.length > 0 && e.CORS_ORIGINS_UNSET_REASON) {
    fail('CORS_ORIGINS_UNSET_REASON explains an empty CORS_ORIGINS: set one or the other');
  }
  if (e.HTTP_HEADERS_TIMEOUT_MS <= e.HTTP_KEEP_ALIVE_TIMEOUT_MS) {
    fail(
      `HTTP_HEADERS_TIMEOUT_MS (${e.HTTP_HEADERS_TIMEOUT_MS}) must be above HTTP_KEEP_ALIVE_TIMEOUT_MS ` +
        `(${e.HTTP_KEEP_ALIVE_TIMEOUT_MS}), or a reused idle connection can be cut by the header timer`,
    );
  }
}

/** The share of a user (guest IP) and the node's TCP cap against the limits they divide. */
function checkConnectionShares(e: Env, fail: (message: string) => void): void {
  const cap = Math.min(e.MAX_CONNECTIONS_PER_USER, e.MAX_CONNECTIONS_PER_GUEST_IP);
  if (e.MAX_CONNECTIONS_RESERVED_BELOW > cap) {
    fail(
      `MAX_CONNECTIONS_RESERVED_BELOW (${e.MAX_CONNECTIONS_RESERVED_BELOW}) must not exceed MAX_CONNECTIONS_PER_USER ` +
        `(${e.MAX_CONNECTIONS_PER_USER}) or MAX_CONNECTIONS_PER_GUEST_IP (${e.MAX_CONNECTIONS_PER_GUEST_IP}), ` +
        'or one identity may take the reserved slots up to its own cap',
    );
  }
  const admitted = e.MAX_CONNECTIONS + e.PREAUTH_MAX_SESSIONS;
  if (e.MAX_TCP_CONNECTIONS !== 0 && e.MAX_TCP_CONNECTIONS < admitted) {
    fail(
      `MAX_TCP_CONNECTIONS (${e.MAX_TCP_CONNECTIONS}) must be 0 (derived) or at least MAX_CONNECTIONS + PREAUTH_MAX_SESSIONS ` +
        `(${admitted}), or clients the node would admit are cut at the TCP level, without a reason`,
    );
  }
}

function limitsFrom(e: Env): Config['limits'] {
  return {
    maxConnections: e.MAX_CONNECTIONS,
    share: {
      perUser: e.MAX_CONNECTIONS_PER_USER,
      perGuestIp: e.MAX_CONNECTIONS_PER_GUEST_IP,
      reserved: Math.floor((e.MAX_CONNECTIONS * e.MAX_CONNECTIONS_RESERVED_PERCENT) / 100),
      reservedBelow: e.MAX_CONNECTIONS_RESERVED_BELOW,
    },
    perSocket: { ratePerS: e.RATE_LIMIT_PER_SOCKET, burst: e.RATE_LIMIT_PER_SOCKET_BURST },
    perUser: { ratePerS: e.RATE_LIMIT_PER_USER, burst: e.RATE_LIMIT_PER_USER_BURST },
    userDeliveries: { ratePerS: e.USER_DELIVERIES_PER_S, burst: e.USER_DELIVERIES_BURST },
    disconnectAfterRejected: e.RATE_LIMIT_DISCONNECT_AFTER,
    slowConsumerMaxBufferedBytes: e.SLOW_CONSUMER_MAX_BUFFERED_BYTES,
    slowConsumerMaxPackets: e.SLOW_CONSUMER_MAX_PACKETS,
    shedLoadLagMs: e.SHED_LOAD_LAG_MS,
    preAuth: {
      maxSessions: e.PREAUTH_MAX_SESSIONS,
      maxSessionsPerIp: e.PREAUTH_MAX_SESSIONS_PER_IP,
      timeoutMs: e.PREAUTH_TIMEOUT_MS,
      // Never more than a session may send once authenticated.
      maxMessageBytes: Math.min(e.PREAUTH_MAX_MESSAGE_BYTES, e.MAX_HTTP_BUFFER_BYTES),
    },
    partialPackets: { timeoutMs: e.PARTIAL_PACKET_TIMEOUT_MS, maxBytes: e.PARTIAL_PACKETS_MAX_BYTES },
    packets: { ratePerS: e.CONNECTION_PACKETS_PER_S, burst: e.CONNECTION_PACKETS_BURST },
    bytes: { ratePerS: e.CONNECTION_BYTES_PER_S, burst: e.CONNECTION_BURST_BYTES },
  };
}
