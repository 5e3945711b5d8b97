/**
 * The platform's limits a deployment may set (docs/deploy.md, "Platform limits"): each one a prop of SocketService and a
 * deployment config key of the same name, written into the container as the service's own variable. The service's
 * schema (contract/env.ts) is the one home of every range and default: both are read from it here, never copied.
 */
import { envSchema, type ContainerEnv } from '../contract/env';
import { intRangeProblem, Problem, Range } from './validation';

/** Each limit's prop (and config key), the service's variable it sets, and what it bounds. */
const LIMITS = {
  connectionPacketsPerS: { variable: 'CONNECTION_PACKETS_PER_S', doc: 'Packets a connection may send per second (every packet)' },
  connectionPacketsBurst: { variable: 'CONNECTION_PACKETS_BURST', doc: 'Packets a connection may send in a burst' },
  connectionBytesPerS: { variable: 'CONNECTION_BYTES_PER_S', doc: 'Bytes a connection may send per second' },
  connectionBurstBytes: { variable: 'CONNECTION_BURST_BYTES', doc: 'Bytes a connection may send in a burst' },
  rateLimitPerSocket: { variable: 'RATE_LIMIT_PER_SOCKET', doc: 'Events a socket may send per second before rate_limited' },
  rateLimitPerSocketBurst: { variable: 'RATE_LIMIT_PER_SOCKET_BURST', doc: 'Events a socket may send in a burst' },
  rateLimitPerUser: { variable: 'RATE_LIMIT_PER_USER', doc: "Events a user's sockets together may send per second" },
  rateLimitPerUserBurst: { variable: 'RATE_LIMIT_PER_USER_BURST', doc: "Events a user's sockets together may send in a burst" },
  rateLimitDisconnectAfter: { variable: 'RATE_LIMIT_DISCONNECT_AFTER', doc: 'Refused events in a row before the socket is disconnected' },
  userDeliveriesPerS: { variable: 'USER_DELIVERIES_PER_S', doc: "Deliveries one user's messages may cause per second on a task" },
  userDeliveriesBurst: { variable: 'USER_DELIVERIES_BURST', doc: "The burst of one user's deliveries on a task" },
  apiDeliveriesPerKeyPerS: {
    variable: 'API_DELIVERIES_PER_KEY_PER_S',
    doc: "Deliveries one API key's publishes may cause per second on a task",
  },
  apiDeliveriesPerKeyBurst: { variable: 'API_DELIVERIES_PER_KEY_BURST', doc: "The burst of one API key's deliveries on a task" },
  maxConnections: { variable: 'MAX_CONNECTIONS', doc: 'Authenticated sockets per task before server_full' },
  maxConnectionsPerUser: {
    variable: 'MAX_CONNECTIONS_PER_USER',
    doc: 'Connections one user (JWT sub) may hold on a task before user_limit',
  },
  maxConnectionsPerGuestIp: {
    variable: 'MAX_CONNECTIONS_PER_GUEST_IP',
    doc: 'Connections the guests of one IP may hold on a task before guest_ip_limit',
  },
  maxConnectionsReservedPercent: {
    variable: 'MAX_CONNECTIONS_RESERVED_PERCENT',
    doc: 'Last % of maxConnections, kept for users below maxConnectionsReservedBelow',
  },
  maxConnectionsReservedBelow: {
    variable: 'MAX_CONNECTIONS_RESERVED_BELOW',
    doc: 'A user (guest IP) holding this many connections gets no reserved slot',
  },
  maxTcpConnections: {
    variable: 'MAX_TCP_CONNECTIONS',
    doc: 'TCP connections a task holds; 0: 1.25 × (maxConnections + preauthMaxSessions)',
  },
  preauthMaxSessions: { variable: 'PREAUTH_MAX_SESSIONS', doc: 'Sessions per task without an authenticated CONNECT' },
  preauthMaxSessionsPerIp: { variable: 'PREAUTH_MAX_SESSIONS_PER_IP', doc: 'Such sessions per task and client IP' },
  preauthTimeoutMs: { variable: 'PREAUTH_TIMEOUT_MS', doc: 'How long a session may stay without an authenticated CONNECT, ms' },
  preauthMaxMessageBytes: { variable: 'PREAUTH_MAX_MESSAGE_BYTES', doc: 'Largest message before an authenticated CONNECT, bytes' },
  partialPacketTimeoutMs: {
    variable: 'PARTIAL_PACKET_TIMEOUT_MS',
    doc: "Time for a binary packet's attachments or a message to arrive, ms",
  },
  partialPacketsMaxBytes: {
    variable: 'PARTIAL_PACKETS_MAX_BYTES',
    doc: 'Bytes of unfinished binary packets a task holds before it closes the oldest',
  },
  slowConsumerMaxBufferedBytes: {
    variable: 'SLOW_CONSUMER_MAX_BUFFERED_BYTES',
    doc: 'Bytes buffered for a client that does not read before it is cut',
  },
  slowConsumerMaxPackets: {
    variable: 'SLOW_CONSUMER_MAX_PACKETS',
    doc: 'Packets buffered for a client that does not read before it is cut',
  },
  shedLoadLagMs: { variable: 'SHED_LOAD_LAG_MS', doc: 'Event-loop lag above which a task answers events `overloaded`, ms (0: off)' },
  maxHttpBufferBytes: {
    variable: 'MAX_HTTP_BUFFER_BYTES',
    doc: 'Largest message a client may send, bytes; a bigger one closes its connection',
  },
} as const satisfies Record<string, { readonly variable: keyof ContainerEnv; readonly doc: string }>;

export type ServiceLimitKey = keyof typeof LIMITS;

/** A value for any of the limits; each one left out keeps the service's default. */
export type ServiceLimits = { readonly [K in ServiceLimitKey]?: number };

export interface ServiceLimitSpec {
  /** The service's variable. */
  readonly variable: keyof ContainerEnv;
  /** What it bounds, in one line. */
  readonly doc: string;
  /** The service's range. */
  readonly range: Range;
  /** The service's default. */
  readonly default: number;
}

/**
 * The range and default the service's schema gives an integer variable (contract/env.ts: `int(min, max).default(d)`):
 * the tasks get only what the service accepts, and a limit left unset is the service's own.
 */
export function envInteger(variable: keyof ContainerEnv): Pick<ServiceLimitSpec, 'range' | 'default'> {
  const schema = envSchema.shape[variable];
  const number = 'unwrap' in schema ? schema.unwrap() : undefined;
  if (!number || !('minValue' in number) || number.minValue === null || number.maxValue === null) {
    throw new Error(`contract/env.ts: ${variable} is not an integer with a range and a default`);
  }
  return { range: { min: number.minValue, max: number.maxValue }, default: schema.parse(undefined) as number };
}

/** Every limit, with the range and default the service gives it. */
export const SERVICE_LIMITS: Readonly<Record<ServiceLimitKey, ServiceLimitSpec>> = Object.fromEntries(
  Object.entries(LIMITS).map(([key, { variable, doc }]) => [key, { variable, doc, ...envInteger(variable) }]),
) as Record<ServiceLimitKey, ServiceLimitSpec>;

export const SERVICE_LIMIT_KEYS = Object.keys(LIMITS) as ServiceLimitKey[];

/** The container variables of the limits that are set: the service's own default applies to the rest. */
export function serviceLimitsEnv(limits: ServiceLimits = {}): ContainerEnv {
  return Object.fromEntries(
    SERVICE_LIMIT_KEYS.filter((key) => limits[key] !== undefined).map((key) => [SERVICE_LIMITS[key].variable, String(limits[key])]),
  );
}

/** Each set limit outside the service's range, named `limits.<key>`. */
export function serviceLimitProblems(limits: ServiceLimits = {}): Problem[] {
  return SERVICE_LIMIT_KEYS.filter((key) => limits[key] !== undefined).map((key) =>
    intRangeProblem(`limits.${key}`, limits[key]!, SERVICE_LIMITS[key].range),
  );
}

/** The limits among a config's keys (which carry the limits' names). */
export function pickServiceLimits(config: ServiceLimits): ServiceLimits {
  return Object.fromEntries(SERVICE_LIMIT_KEYS.filter((key) => config[key] !== undefined).map((key) => [key, config[key]]));
}
