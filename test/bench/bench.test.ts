import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { runApiBench } from '../../bench/api';
import { parseBenchArgs } from '../../bench/options';
import { checkTargets, formatTable, headline } from '../../bench/report';
import { runBench, type WindowResult } from '../../bench/run';
import { SERVICE_BUNDLE } from '../../bench/servers';
import { TINY } from '../../bench/sizes';
import { Workers } from '../../bench/workers';
import { UsageError } from '../../tools/cli';

// A smoke test of the harness at a tiny size: every figure is there; no speed is asserted.
describe('bench harness', () => {
  it('measures raw ws and one node and reports every figure', { timeout: 40_000 }, async () => {
    if (!existsSync(SERVICE_BUNDLE)) execFileSync('npx', ['tsx', 'bin/build.ts'], { stdio: 'inherit' });
    const call = vi.spyOn(Workers.prototype, 'call');
    const result = await runBench({ modes: ['raw-ws', 'single-node'], nodes: 1, sizes: TINY, quick: true });
    // The commands the load workers got, one per step: a window's backlog is drained before its clients close,
    // so that what the servers still owe the 2x window is not measured in the next workload's fixed window.
    const steps = call.mock.calls.map(([, cmd]) => cmd.type).filter((t, i, all) => t !== all[i - 1]);
    call.mockRestore();
    expect(steps.join(' ')).not.toMatch(/stop close/);
    expect(steps.join(' ').match(/stop drain close/g)).toHaveLength(4);
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
      expect(w.otherCores).toBeGreaterThanOrEqual(0);
    };
    for (const mode of result.results) {
      expect(mode.idle!.connections).toBe(TINY.idleConnections);
      expect(mode.idle!.setupPerS).toBeGreaterThan(0);
      // RSS per connection is a figure only above the noise; the growth itself is always reported.
      expect(mode.idle!.rssPerConnKB === null || mode.idle!.rssPerConnKB > 0).toBe(true);
      expect(mode.idle!.rssGrowthMB).toBeTypeOf('number');
      // Every idle socket holds some heap after a full GC; a probe that did not run would give 0 or NaN.
      expect(mode.idle!.heapPerConnB).toBeGreaterThan(0);
      expect(mode.idle!.heapGrowthMB).toBeGreaterThan(0);
      expect(mode.idle!.heapBaseMB).toBeGreaterThan(1);
      expect(mode.workloads.map((w) => w.name)).toEqual(['fanout', 'small']);
      for (const w of mode.workloads) {
        isWindow(w.fixed);
        expect(w.ramp.length).toBeGreaterThan(0);
        w.ramp.forEach(isWindow);
        expect(w.capacity.deliveredPerS).toBeGreaterThan(0);
        expect(w.capacity.sustainedMsgsPerS).toBeGreaterThan(0);
        isWindow(w.overload);
        // Shed messages (answered `overloaded`) are counted apart from lost connections, even when there are none.
        expect(w.overload.shed).toBeGreaterThanOrEqual(0);
        expect(w.overload.shed).toBeLessThanOrEqual(w.overload.sent);
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
      'heap B/conn',
      'RSS KB/conn',
      'conn/s',
      '2x p99',
      '2x shed %',
      'target (ours: the pubsub mode)',
      'needs the pubsub and stock modes in the same run',
      'noise: other processes took',
    ]) {
      expect(table).toContain(text);
    }
    // Without pubsub and stock every target is not measured, and the summary says so.
    expect(checkTargets(result).map((c) => c.verdict)).toEqual(Array(11).fill('not measured'));
    expect(table.split('\n').at(-1)).toMatch(/^targets: 0 met, 0 not met, 0 too noisy to judge, 11 not measured\./);
    expect(headline(result).cpuVsStock).toEqual({ fanout: null, small: null });
    expect(headline(result).p99VsStock).toEqual({ fanout: { local: null, cross: null }, small: { local: null, cross: null } });
  });

  it('measures the backend API at a room of 1 000 sockets and reports every figure', { timeout: 120_000 }, async () => {
    if (!existsSync(SERVICE_BUNDLE)) execFileSync('npx', ['tsx', 'bin/build.ts'], { stdio: 'inherit' });
    const result = await runBench({ modes: [], nodes: 1, sizes: TINY, quick: true, api: true });
    expect(result.results).toEqual([]);
    expect(result.options.api).toBe(true);
    expect(result.api?.error).toBeUndefined();
    const rows = new Map(result.api!.rows.map((row) => [row.name, row]));
    expect([...rows.keys()]).toEqual([
      'GET /healthz, 1 node (reference)',
      'POST /api/v1/publish to an empty room, 1 node',
      `POST /api/v1/publish to ${TINY.api.receivers} sockets, 1 node`,
      'node CPU per API publish, empty room',
      `node CPU per API publish, ${TINY.api.receivers} deliveries`,
      'presence p50, room of 1 socket, 2 nodes (reference)',
      'presence p50, 1000 sockets (1000 users), 2 nodes',
      'presence p99, 1000 sockets, 2 nodes',
      'presence CPU per call, 1000 sockets (nodes + Redis)',
      'presence CPU per call, room of 1 (reference)',
    ]);
    // Rates and latencies were measured; CPU per call may round to 0 at /proc's 10 ms resolution.
    for (const row of rows.values()) {
      if (row.name.includes('CPU')) expect(row.value).toBeGreaterThanOrEqual(0);
      else expect(row.value).toBeGreaterThan(0);
    }
    const publish = rows.get('POST /api/v1/publish to an empty room, 1 node')!;
    expect(publish.reference).toBe('GET /healthz');
    expect(publish.ratio).toBeCloseTo(publish.value / rows.get('GET /healthz, 1 node (reference)')!.value, 1);
    expect(rows.get('presence p50, 1000 sockets (1000 users), 2 nodes')!.reference).toBe('room of 1');
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
    const table = formatTable(result);
    for (const text of ['backend API', 'POST /api/v1/publish to an empty room', 'presence p99, 1000 sockets', 'vs GET /healthz']) {
      expect(table).toContain(text);
    }
  });

  it('refuses a presence room the open-file limit cannot hold before it starts anything, naming ulimit -n', async () => {
    const sizes = { ...TINY.api, presenceRoomSizes: [1_000, 100_000_000] };
    await expect(runApiBench({ sizes })).rejects.toThrow(/presence at 100000000 sockets needs about 100001000 open files.*ulimit -n/);
  });

  it('parses its options and refuses bad ones', () => {
    const now = new Date('2025-01-02T03:04:05.678Z');
    expect(parseBenchArgs([], now)).toEqual({
      quick: false,
      nodes: 2,
      out: '.bench/bench-2025-01-02T03-04-05-678Z.json',
      modes: ['raw-ws', 'single-node', 'pubsub', 'stock', 'streams', 'sharded'],
      api: true,
      bundle: undefined,
    });
    expect(parseBenchArgs(['--no-api'], now).api).toBe(false);
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
