/**
 * The one definition of the service's custom CloudWatch metrics.
 * Both the publisher (service/) and the alarms and autoscaling (infra/) import it,
 * so the two can never disagree about a namespace, a name or a dimension.
 */

/** CloudWatch namespace that every custom metric of the service is published under. */
export const METRICS_NAMESPACE = 'SocketIoCluster';

/**
 * Dimension that identifies one deployed service. Every task of a service publishes its
 * datapoints under the same value, so the `Average` statistic is the average per task.
 */
export const SERVICE_DIMENSION = 'ServiceName';

/** Metric names, with their CloudWatch unit and the statistic they are meant to be read with. */
export const SERVICE_METRICS = {
  /** Connections with an authenticated socket (any namespace) on one task, not sessions before their CONNECT; `Average` drives scaling. */
  connectedClients: { name: 'ConnectedClients', unit: 'Count', statistic: 'Average' },
  /** Events from clients that passed the limits and reached the app. */
  messagesIn: { name: 'MessagesIn', unit: 'Count', statistic: 'Sum' },
  /** Events refused with `overloaded` while the node lagged (SHED_LOAD_LAG_MS): answered (dropped without an ack), never handled. */
  messagesShed: { name: 'MessagesShed', unit: 'Count', statistic: 'Sum' },
  /** Events refused by the per-socket or per-user rate limits: answered `rate_limited`, or dropped without an ack. */
  eventsRateLimited: { name: 'EventsRateLimited', unit: 'Count', statistic: 'Sum' },
  /** Broadcast packets written to local sockets (one per receiving socket), the app's and the API's. */
  messagesDelivered: { name: 'MessagesDelivered', unit: 'Count', statistic: 'Sum' },
  /**
   * Broadcasts a node did not write to its sockets because their sender (a user, or a backend API key) had caused more
   * deliveries on that node than its budget allows (USER_DELIVERIES_*, API_DELIVERIES_PER_KEY_*).
   */
  broadcastsDropped: { name: 'BroadcastsDropped', unit: 'Count', statistic: 'Sum' },
  /** Failed Redis commands and client errors seen by the adapter's Redis clients. */
  redisAdapterErrors: { name: 'RedisAdapterErrors', unit: 'Count', statistic: 'Sum' },
  /** Reconnect attempts of the adapter's Redis clients. */
  redisReconnects: { name: 'RedisReconnects', unit: 'Count', statistic: 'Sum' },
  /** Handshakes and CONNECTs refused: bad origin, JSONP, pre-auth budget, unauthorized, server_full (not starting or draining). */
  handshakesRefused: { name: 'HandshakesRefused', unit: 'Count', statistic: 'Sum' },
  /** Connections the node closed for breaking a rule: packet budget, unexpected ACK, pre-auth deadline… (CLOSE_REASONS). */
  connectionsClosedByGuard: { name: 'ConnectionsClosedByGuard', unit: 'Count', statistic: 'Sum' },
  /** 99th percentile event-loop delay over the publish interval, in milliseconds. */
  eventLoopDelayP99: { name: 'EventLoopDelayP99', unit: 'Milliseconds', statistic: 'Maximum' },
  // Backend API (docs/api.md). The request counters are disjoint: together they count every /api/ request.
  /** API requests answered 2xx. */
  apiRequests2xx: { name: 'ApiRequests2xx', unit: 'Count', statistic: 'Sum' },
  /** API requests refused as malformed: 400, 404, 405, 408, 413. */
  apiRequests4xx: { name: 'ApiRequests4xx', unit: 'Count', statistic: 'Sum' },
  /** API requests without a valid key (401): a backend on a rotated-out key, or someone guessing. */
  apiRequestsUnauthorized: { name: 'ApiRequestsUnauthorized', unit: 'Count', statistic: 'Sum' },
  /** API requests over the per-key rate (429). */
  apiRequestsThrottled: { name: 'ApiRequestsThrottled', unit: 'Count', statistic: 'Sum' },
  /** API requests answered 5xx: 503 while Redis is away or the node drains, 500 for a bug. */
  apiRequests5xx: { name: 'ApiRequests5xx', unit: 'Count', statistic: 'Sum' },
  /** Time from a publish request's arrival to its broadcast being handed to the adapter, published as values and counts. */
  apiPublishLatency: { name: 'ApiPublishLatency', unit: 'Milliseconds', statistic: 'p99' },
  /** Presence queries and user disconnects that some node did not answer within PRESENCE_TIMEOUT_MS. */
  presenceQueryTimeouts: { name: 'PresenceQueryTimeouts', unit: 'Count', statistic: 'Sum' },
} as const;

export type ServiceMetricKey = keyof typeof SERVICE_METRICS;
