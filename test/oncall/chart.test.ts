import { describe, expect, it } from 'vitest';
import { chartLine, downsample, formatNumber, seriesStats, sparkline, SPARK_LEVELS } from '../../oncall/chart';

describe('sparkline', () => {
  it('maps the minimum to the lowest block and the maximum to the highest', () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7])).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([10, 80, 10])).toBe('▁█▁');
  });

  it('rounds to the nearest of the eight levels', () => {
    // 0..100 over 7 steps: 50 is 3.5 steps, which rounds up to the fifth block.
    expect(sparkline([0, 50, 100])).toBe('▁▅█');
  });

  it('draws gaps as spaces and a flat line at the bottom', () => {
    expect(sparkline([1, null, 3])).toBe('▁ █');
    expect(sparkline([5, 5, 5])).toBe('▁▁▁');
    expect(sparkline([null, null])).toBe('  ');
    expect(sparkline([])).toBe('');
  });

  it('fits long series into the width by averaging buckets', () => {
    const values = Array.from({ length: 120 }, (_, i) => (i < 60 ? 0 : 10));
    const line = sparkline(values, 60);
    expect([...line]).toHaveLength(60);
    expect(line).toBe('▁'.repeat(30) + '█'.repeat(30));
    expect(downsample([1, 3, null, null, 5, 7], 3)).toEqual([2, null, 6]);
  });

  it('only ever uses the eight blocks and spaces', () => {
    const line = sparkline(
      Array.from({ length: 200 }, (_, i) => Math.sin(i / 7) * 100 + (i % 3 === 0 ? Number.NaN : 0)),
      50,
    );
    for (const ch of line) expect(SPARK_LEVELS + ' ').toContain(ch);
  });
});

describe('chart labels', () => {
  it('formats numbers compactly', () => {
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(0.4213)).toBe('0.42');
    expect(formatNumber(12.54)).toBe('12.5');
    expect(formatNumber(340.2)).toBe('340');
    expect(formatNumber(12_345)).toBe('12.3k');
    expect(formatNumber(4_100_000)).toBe('4.1M');
  });

  it('prints min, max and the last present value', () => {
    expect(seriesStats([3, null, 9, 1, null])).toEqual({ min: 1, max: 9, last: 1 });
    expect(chartLine('cpu', [3, null, 9, 1, null], { labelWidth: 5, unit: '%' })).toBe('cpu    ▃ █▁   min 1%  max 9%  last 1%');
    expect(chartLine('cpu', [null], { labelWidth: 5 })).toBe('cpu    no data');
  });
});
