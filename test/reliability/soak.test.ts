import { describe, expect, it } from 'vitest';
import { runSoak, type SoakAdapter, type SoakProgress } from '../../local/soak';

describe('soak, short mode: 60 connections on 3 nodes for 15 s', () => {
  const run = async (adapter: SoakAdapter) => {
    const progress: SoakProgress[] = [];
    const report = await runSoak({
      connections: 60,
      durationMs: 15_000,
      adapter,
      ratePerS: 40,
      progressIntervalMs: 5_000,
      onProgress: (p) => progress.push(p),
    });
    console.log(`soak (${adapter}): ${JSON.stringify({ ...report, memory: report.memory.length })}`);

    expect(report.options).toMatchObject({ connections: 60, nodes: 3, adapter });
    expect(report.rooms).toBe(6);
    // 40 msgs/s for 15 s, give or take the clock's granularity.
    expect(report.sent).toBeGreaterThan(500);
    expect(report.rejectedBy).toEqual({});
    expect(report.rejected).toBe(0);
    expect(report.expected).toBe(report.sent * 10);
    expect(report.delivered).toBe(report.expected);
    expect(report.deliveredPct).toBe(100);
    expect(report.duplicates).toBe(0);
    expect(report.unexpected).toBe(0);
    expect(report.disconnects).toBe(0);
    expect(report.latencyMs.p50).toBeGreaterThan(0);
    expect(report.latencyMs.p50).toBeLessThanOrEqual(report.latencyMs.p99);
    expect(report.latencyMs.p99).toBeLessThanOrEqual(report.latencyMs.max);
    // A sample at the start, one per progress tick, one at the end; each with every node's RSS.
    expect(report.memory.length).toBeGreaterThanOrEqual(4);
    for (const m of report.memory) expect(Object.values(m.rssKb).every((kb) => typeof kb === 'number' && kb > 0)).toBe(true);
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress.at(-1)).toMatchObject({ connected: 60, sent: report.sent, delivered: report.delivered, expected: report.expected });
  };

  it('pubsub adapter: every message reaches every member of its room', () => run('pubsub'), 60_000);
  it('streams adapter: every message reaches every member of its room', () => run('streams'), 60_000);
});
