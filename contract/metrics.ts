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
  /** Authenticated sockets on one task (sessions still without a CONNECT are not counted); `Average` across tasks drives scaling. */
  connectedClients: { name: 'ConnectedClients', unit: 'Count', statistic: 'Average' },
  /** Chat messages accepted from clients. */
  messagesIn: { name: 'MessagesIn', unit: 'Count', statistic: 'Sum' },
  /** Chat messages written to local sockets (one per receiving socket). */
  messagesDelivered: { name: 'MessagesDelivered', unit: 'Count', statistic: 'Sum' },
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
} as const;

export type ServiceMetricKey = keyof typeof SERVICE_METRICS;
