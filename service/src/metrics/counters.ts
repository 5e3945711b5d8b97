/** The counters the service increments; each one is a Sum per interval (contract/metrics.ts). */
export type CounterKey =
  | 'messagesIn'
  | 'messagesShed'
  | 'messagesDelivered'
  | 'redisAdapterErrors'
  | 'redisReconnects'
  | 'handshakesRefused'
  | 'connectionsClosedByGuard';

export const COUNTER_KEYS: readonly CounterKey[] = [
  'messagesIn',
  'messagesShed',
  'messagesDelivered',
  'redisAdapterErrors',
  'redisReconnects',
  'handshakesRefused',
  'connectionsClosedByGuard',
];

export const zeroCounters = (): Record<CounterKey, number> => ({
  messagesIn: 0,
  messagesShed: 0,
  messagesDelivered: 0,
  redisAdapterErrors: 0,
  redisReconnects: 0,
  handshakesRefused: 0,
  connectionsClosedByGuard: 0,
});
