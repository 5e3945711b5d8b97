import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../tools/histogram';

/** The exact quantile of sorted values, by the same rank rule (ceil(q × n)). */
const exact = (sorted: number[], q: number) => sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1];

describe('LatencyHistogram', () => {
  it('is empty at first: NaN quantiles, zero count', () => {
    const h = new LatencyHistogram();
    expect(h.quantile(0.5)).toBeNaN();
    expect(h.count).toBe(0);
    expect(h.snapshot()).toEqual({ buckets: [], count: 0, maxMs: 0, sumMs: 0 });
  });

  it('gives each quantile at most 2 % above the exact one, never below it, never above the maximum', () => {
    // 1 µs … ~100 s on a log scale, shuffled: every bucket range the bench and the soak see.
    const values = Array.from({ length: 5_000 }, (_, i) => 0.001 * 10 ** ((i * 5) / 5_000));
    const shuffled = [...values].sort((a, b) => Math.sin(a * 1e4) - Math.sin(b * 1e4));
    const h = new LatencyHistogram();
    for (const v of shuffled) h.record(v);
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of [0.001, 0.1, 0.5, 0.9, 0.99, 0.999, 1]) {
      const want = exact(sorted, q);
      const got = h.quantile(q);
      expect(got, `q ${q}`).toBeLessThanOrEqual(h.maxMs);
      // Below 10 µs everything shares bucket 0, whose upper edge is 10 µs.
      if (want >= 0.01) {
        expect(got, `q ${q}`).toBeGreaterThanOrEqual(want);
        expect(got, `q ${q}`).toBeLessThanOrEqual(want * 1.02 + 1e-12);
      } else expect(got, `q ${q}`).toBeLessThanOrEqual(0.01);
    }
    expect(h.count).toBe(5_000);
    expect(h.maxMs).toBe(sorted.at(-1));
    expect(h.sumMs).toBeCloseTo(
      values.reduce((s, v) => s + v, 0),
      6,
    );
  });

  it('merges snapshots (as the load workers send them) into the histogram of all their values', () => {
    const all = new LatencyHistogram();
    const parts = [new LatencyHistogram(), new LatencyHistogram(), new LatencyHistogram()];
    for (let i = 0; i < 3_000; i++) {
      const ms = (i % 97) * 0.37 + (i % 5);
      all.record(ms);
      parts[i % 3].record(ms);
    }
    const merged = LatencyHistogram.from(parts.map((p) => JSON.parse(JSON.stringify(p.snapshot()))));
    expect(merged.snapshot()).toEqual({ ...all.snapshot(), sumMs: expect.closeTo(all.sumMs, 6) });
    for (const q of [0.5, 0.9, 0.99]) expect(merged.quantile(q)).toBe(all.quantile(q));
  });

  it('keeps a single value exactly, as its own maximum', () => {
    const h = new LatencyHistogram();
    h.record(3.7);
    expect(h.quantile(0.5)).toBe(3.7);
    expect(h.quantile(0.99)).toBe(3.7);
  });
});
