import type { MetricDatum, StandardUnit } from '@aws-sdk/client-cloudwatch';
import { SERVICE_DIMENSION, SERVICE_METRICS } from '../../../contract/metrics';
import { COUNTER_KEYS, type CounterKey, zeroCounters } from './counters';
import type { EventLoopDelay } from './event-loop-delay';
import { createSources } from './sources';

export interface CollectorOptions {
  readonly serviceName: string;
  /** Gauge read once per interval. */
  connectedClients(): number;
  readonly eventLoopDelay: EventLoopDelay;
}

/** Counts on the hot path, and turns what was counted since the last collection into one set of datapoints. */
export function createCollector(opts: CollectorOptions) {
  const totals = zeroCounters();
  // Totals at the last collection; the interval's Sum is the difference, which keeps increment() a single add.
  const collected = zeroCounters();
  const dimensions = [{ Name: SERVICE_DIMENSION, Value: opts.serviceName }];

  // Typed as StandardUnit so a unit misspelled in contract/metrics.ts fails to compile.
  const datum = (def: { name: string; unit: StandardUnit }, value: number, timestamp: Date): MetricDatum => ({
    MetricName: def.name,
    Dimensions: dimensions,
    Timestamp: timestamp,
    Value: value,
    Unit: def.unit,
  });
  const sources = createSources(datum);

  return {
    increment(key: CounterKey, n = 1): void {
      totals[key] += n;
    },
    collect(): MetricDatum[] {
      const now = new Date();
      const set: MetricDatum[] = [];
      for (const key of COUNTER_KEYS) {
        set.push(datum(SERVICE_METRICS[key], totals[key] - collected[key], now));
        collected[key] = totals[key];
      }
      try {
        set.push(datum(SERVICE_METRICS.connectedClients, opts.connectedClients(), now));
      } catch {
        // A gauge that cannot be read this interval is skipped rather than reported as 0.
      }
      const p99 = opts.eventLoopDelay.take();
      if (p99 !== undefined) set.push(datum(SERVICE_METRICS.eventLoopDelayP99, p99, now));
      return [...set, ...sources.collect(now)];
    },
    /** Adds another module's datapoints to every collection. */
    addSource: sources.add,
    totals: (): Record<CounterKey, number> => ({ ...totals }),
  };
}
