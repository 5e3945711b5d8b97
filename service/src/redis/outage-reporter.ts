import type { Logger } from '../logger';
import type { Metrics } from '../metrics/publisher';

/** Counts every error, and logs an outage once when it starts and once when it ends. */
export function outageReporter(log: Logger, metrics: Pick<Metrics, 'increment'>, role: string) {
  let downSince: number | undefined;
  return {
    error(err: Error): void {
      metrics.increment('redisAdapterErrors');
      if (downSince !== undefined) return;
      downSince = Date.now();
      log.warn({ role, err: { name: err.name, message: err.message } }, 'redis connection lost, reconnecting');
    },
    restored(): void {
      if (downSince === undefined) return;
      log.info({ role, downMs: Date.now() - downSince }, 'redis connection restored');
      downSince = undefined;
    },
  };
}
