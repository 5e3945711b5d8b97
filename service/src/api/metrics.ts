import { SERVICE_METRICS } from '../../../contract/metrics';
import type { SourceDatum } from '../metrics/sources';

/** Upper bounds of the latency buckets, in ms: few enough for one datum (CloudWatch takes 150 values), fine enough for a p99. */
export const LATENCY_BUCKETS_MS = [
  0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 4, 5, 7, 10, 15, 20, 30, 40, 50, 70, 100, 150, 200, 300, 500, 700, 1_000, 1_500, 2_000, 3_000,
  5_000, 10_000, 30_000, 60_000,
];

type StatusKey = 'apiRequests2xx' | 'apiRequests4xx' | 'apiRequestsUnauthorized' | 'apiRequestsThrottled' | 'apiRequests5xx';
const STATUS_KEYS: readonly StatusKey[] = [
  'apiRequests2xx',
  'apiRequests4xx',
  'apiRequestsUnauthorized',
  'apiRequestsThrottled',
  'apiRequests5xx',
];

export function statusKey(status: number): StatusKey {
  if (status < 400) return 'apiRequests2xx';
  if (status === 401) return 'apiRequestsUnauthorized';
  if (status === 429) return 'apiRequestsThrottled';
  return status >= 500 ? 'apiRequests5xx' : 'apiRequests4xx';
}

/** The backend API's counters and publish latency, handed to the CloudWatch publisher once per interval. */
export class ApiMetrics {
  private readonly totals: Record<StatusKey | 'presenceQueryTimeouts', number> = {
    apiRequests2xx: 0,
    apiRequests4xx: 0,
    apiRequestsUnauthorized: 0,
    apiRequestsThrottled: 0,
    apiRequests5xx: 0,
    presenceQueryTimeouts: 0,
  };
  private readonly collected = { ...this.totals };
  private latency = new Map<number, number>();

  request(status: number): void {
    this.totals[statusKey(status)]++;
  }

  presenceTimeout(): void {
    this.totals.presenceQueryTimeouts++;
  }

  publishLatency(ms: number): void {
    const bucket = LATENCY_BUCKETS_MS.find((b) => ms <= b) ?? LATENCY_BUCKETS_MS.at(-1)!;
    this.latency.set(bucket, (this.latency.get(bucket) ?? 0) + 1);
  }

  /** Totals since start (tests, /healthz). */
  snapshot(): Readonly<Record<StatusKey | 'presenceQueryTimeouts', number>> {
    return { ...this.totals };
  }

  /** The interval's datapoints: each counter's increase, and the latency distribution when there was a publish. */
  collect = (): SourceDatum[] => {
    const data: SourceDatum[] = [];
    for (const key of [...STATUS_KEYS, 'presenceQueryTimeouts'] as const) {
      data.push({ def: SERVICE_METRICS[key], value: this.totals[key] - this.collected[key] });
      this.collected[key] = this.totals[key];
    }
    if (this.latency.size > 0) {
      const entries = [...this.latency.entries()].sort(([a], [b]) => a - b);
      data.push({ def: SERVICE_METRICS.apiPublishLatency, values: entries.map(([v]) => v), counts: entries.map(([, c]) => c) });
      this.latency = new Map();
    }
    return data;
  };
}
