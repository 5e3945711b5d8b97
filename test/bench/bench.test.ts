import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBenchArgs } from '../../bench/options';
import { formatTable, headline } from '../../bench/report';
import { runBench, type WindowResult } from '../../bench/run';
import { SERVICE_BUNDLE } from '../../bench/servers';
import { TINY } from '../../bench/sizes';
import { UsageError } from '../../tools/cli';

// A smoke test of the harness at a tiny size: every figure is there; no speed is asserted.
describe('bench harness', () => {
  it('measures raw ws and one node and reports every figure', { timeout: 40_000 }, async () => {
    if (!existsSync(SERVICE_BUNDLE)) execFileSync(process.execPath, ['bin/build.mjs'], { stdio: 'inherit' });
    const result = await runBench({ modes: ['raw-ws', 'single-node'], nodes: 1, sizes: TINY, quick: true });
    expect(result.results.map((m) => [m.mode, m.error])).toEqual([
      ['raw-ws', undefined],
      ['single-node', undefined],
    ]);
    const isWindow = (w: WindowResult) => {
      expect(w.delivered).toBeGreaterThan(0);
      expect(w.deliveredPerS).toBeGreaterThan(0);
      expect(w.latencyMs.p50).toBeTypeOf('number');
      expect(w.latencyMs.p99).toBeTypeOf('number');
      expect(w.latencyMs.max).toBeTypeOf('number');
      expect(w.cpuUsPerDelivery).toBeTypeOf('number');
      expect(w.nodeRssMB).toBeGreaterThan(0);
      expect(w.crossMs).toBeNull();
    };
    for (const mode of result.results) {
      expect(mode.idle!.connections).toBe(TINY.idleConnections);
      expect(mode.idle!.setupPerS).toBeGreaterThan(0);
      expect(mode.idle!.rssPerConnKB).toBeTypeOf('number');
      expect(mode.workloads.map((w) => w.name)).toEqual(['fanout', 'small']);
      for (const w of mode.workloads) {
        isWindow(w.fixed);
        expect(w.ramp.length).toBeGreaterThan(0);
        w.ramp.forEach(isWindow);
        expect(w.capacity.deliveredPerS).toBeGreaterThan(0);
        expect(w.capacity.sustainedMsgsPerS).toBeGreaterThan(0);
        isWindow(w.overload);
        expect(w.overload.offeredMsgsPerS).toBeCloseTo(2 * w.capacity.sustainedMsgsPerS, 0);
        expect(w.overload.rssMaxMB).toBeGreaterThanOrEqual(w.overload.rssStartMB);
      }
    }
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
    const table = formatTable(result);
    for (const text of [
      'raw-ws (bare ws)',
      'single-node (in-memory)',
      'fanout 1x10',
      'small 3x4',
      'CPU us/dlv',
      'KB/conn',
      'conn/s',
      '2x p99',
    ]) {
      expect(table).toContain(text);
    }
    expect(headline(result).cpuVsStock).toEqual({ fanout: null, small: null });
  });

  it('parses its options and refuses bad ones', () => {
    const now = new Date('2025-01-02T03:04:05.678Z');
    expect(parseBenchArgs([], now)).toEqual({
      quick: false,
      nodes: 2,
      out: '.bench/bench-2025-01-02T03-04-05-678Z.json',
      modes: ['raw-ws', 'single-node', 'pubsub', 'stock', 'streams', 'sharded'],
      bundle: undefined,
    });
    expect(parseBenchArgs(['--quick', '--nodes', '3', '--out=x.json', '--modes', 'pubsub,raw-ws'], now)).toMatchObject({
      quick: true,
      nodes: 3,
      out: 'x.json',
      modes: ['raw-ws', 'pubsub'],
    });
    expect(() => parseBenchArgs(['--nodes', '0'])).toThrow(/--nodes must be an integer/);
    expect(() => parseBenchArgs(['--modes', 'raw-ws,z'])).toThrow(/--modes .* got z/);
    expect(() => parseBenchArgs(['--out'])).toThrow(UsageError);
    expect(() => parseBenchArgs(['--fast'])).toThrow(/unknown option --fast/);
  });

  it('refuses the letters the modes had, naming the new names', () => {
    const renamed: Array<[string, string]> = [
      ['a', 'raw-ws'],
      ['b', 'single-node'],
      ['c', 'pubsub'],
      ['s', 'stock'],
      ['d', 'streams,sharded'],
    ];
    for (const [old, now] of renamed) {
      expect(() => parseBenchArgs(['--modes', old])).toThrow(new UsageError(`--modes ${old} was renamed: use --modes ${now}`));
    }
    expect(() => parseBenchArgs(['--modes', 'pubsub,c'])).toThrow(/--modes c was renamed: use --modes pubsub/);
  });
});
