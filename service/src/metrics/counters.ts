/** The counters the service increments; each one is a Sum per interval (contract/metrics.ts). */
export const COUNTER_KEYS = [
  'messagesIn',
  'messagesShed',
  'eventsRateLimited',
  'messagesDelivered',
  'broadcastsDropped',
  'redisAdapterErrors',
  'redisReconnects',
  'handshakesRefused',
  'connectionsClosedByGuard',
] as const;

export type CounterKey = (typeof COUNTER_KEYS)[number];

export const zeroCounters = (): Record<CounterKey, number> =>
  Object.fromEntries(COUNTER_KEYS.map((key) => [key, 0])) as Record<CounterKey, number>;
