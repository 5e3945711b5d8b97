import { SERVICE_METRICS } from '../../../contract/metrics';
import type { Logger } from '../logger';
import type { Metrics, SourceDatum } from './publisher';

/** An app metric's name: what CloudWatch takes, short enough to read on a dashboard. */
export const APP_METRIC_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
/** Distinct app metric names a node publishes: each is a datapoint every interval, and CloudWatch bills per metric. */
export const MAX_APP_METRICS = 50;

const PLATFORM_NAMES: ReadonlySet<string> = new Set(Object.values(SERVICE_METRICS).map((m) => m.name));

/**
 * The app's own counters (`platform.metrics.count`), published with the platform's each interval as a Sum. A bad name
 * is logged once and ignored: an app's metric must never cost it an exception on its hot path.
 */
export function createAppMetrics(metrics: Pick<Metrics, 'addSource'>, logger: Logger): { count(name: string, n?: number): void } {
  const totals = new Map<string, number>();
  const collected = new Map<string, number>();
  const refused = new Set<string>();
  const refuse = (name: string, why: string) => {
    if (refused.size >= MAX_APP_METRICS || refused.has(name)) return;
    refused.add(name);
    logger.warn({ metric: String(name).slice(0, 80) }, `app metric ignored: ${why}`);
  };
  metrics.addSource?.(() => {
    const set: SourceDatum[] = [];
    for (const [name, total] of totals) {
      set.push({ def: { name, unit: 'Count' }, value: total - (collected.get(name) ?? 0) });
      collected.set(name, total);
    }
    return set;
  });
  return {
    count(name, n = 1) {
      const total = totals.get(name);
      if (total !== undefined) {
        if (Number.isFinite(n)) totals.set(name, total + n);
        return;
      }
      if (typeof name !== 'string' || !APP_METRIC_NAME.test(name)) return refuse(name, `names are 1-64 of A-Z a-z 0-9 _ . -`);
      if (PLATFORM_NAMES.has(name)) return refuse(name, 'the platform publishes a metric of that name');
      if (totals.size >= MAX_APP_METRICS) return refuse(name, `an app may publish at most ${MAX_APP_METRICS} metrics`);
      totals.set(name, Number.isFinite(n) ? n : 0);
    },
  };
}
