// TEMPORARY STUB so that the app can run; the real publisher replaces this whole file.
import type { Config } from '../config';
import type { Logger } from '../logger';

export type CounterKey = 'messagesIn' | 'messagesDelivered' | 'redisAdapterErrors' | 'redisReconnects';
export interface Metrics {
  increment(key: CounterKey, n?: number): void;
  start(): void;
  flush(): Promise<void>;
  close(): Promise<void>;
  snapshot(): Record<CounterKey, number> & { eventLoopDelayP99Ms: number };
}
export function createMetrics(_opts: { config: Config['metrics']; logger: Logger; connectedClients: () => number }): Metrics {
  const c: Record<CounterKey, number> = { messagesIn: 0, messagesDelivered: 0, redisAdapterErrors: 0, redisReconnects: 0 };
  return {
    increment: (k, n = 1) => void (c[k] += n),
    start: () => undefined,
    flush: async () => undefined,
    close: async () => undefined,
    snapshot: () => ({ ...c, eventLoopDelayP99Ms: 0 }),
  };
}
