/**
 * The latency histogram of the bench and the soak: ~2 % wide log buckets, so constant memory
 * however many deliveries a run sees, and cheap to merge across load workers.
 */
const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
/** Bucket 0 holds everything under 10 µs; the last one everything past ~20 min. */
const MIN_US = 10;
const BUCKETS = 1_100;

export interface HistogramSnapshot {
  /** Sparse [bucket, count] pairs. */
  readonly buckets: Array<[number, number]>;
  readonly count: number;
  readonly maxMs: number;
  readonly sumMs: number;
}

export class LatencyHistogram {
  private counts = new Float64Array(BUCKETS);
  count = 0;
  maxMs = 0;
  sumMs = 0;

  record(ms: number): void {
    const us = ms * 1_000;
    const i = us <= MIN_US ? 0 : Math.min(BUCKETS - 1, 1 + Math.floor(Math.log(us / MIN_US) / LOG_GROWTH));
    this.counts[i]++;
    this.count++;
    this.sumMs += ms;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  snapshot(): HistogramSnapshot {
    const buckets: Array<[number, number]> = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i] > 0) buckets.push([i, this.counts[i]]);
    return { buckets, count: this.count, maxMs: this.maxMs, sumMs: this.sumMs };
  }

  static from(snapshots: HistogramSnapshot[]): LatencyHistogram {
    const h = new LatencyHistogram();
    for (const s of snapshots) {
      for (const [i, n] of s.buckets) h.counts[i] += n;
      h.count += s.count;
      h.sumMs += s.sumMs;
      h.maxMs = Math.max(h.maxMs, s.maxMs);
    }
    return h;
  }

  /**
   * The upper edge of the bucket holding quantile `q` (0.99 for p99), in ms, never above the
   * largest value recorded: at most ~2 % above the true value. NaN when empty.
   */
  quantile(q: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(this.maxMs, (MIN_US * GROWTH ** i) / 1_000);
    }
    return this.maxMs;
  }
}
