import { describe, expect, it } from 'vitest';
import { checkTargets, conclusion, formatTable, judge, noiseSummary, type TargetCheck, verdicts } from '../../bench/report';
import type { BenchResult, Latency, ModeResult, WindowResult, WorkloadResult } from '../../bench/run';
import { TINY } from '../../bench/sizes';

const latency = (p99: number): Latency => ({ p50: p99 / 2, p99, max: p99 * 2, count: 1_000 });

/** A window kept up with at `deliveredPerS`, with the figures the targets read; the rest plausible. */
function win(opts: Partial<WindowResult> & { p99?: number; cross?: number } = {}): WindowResult {
  const { p99 = 10, cross = p99, ...rest } = opts;
  return {
    offeredMsgsPerS: 100,
    expectedDeliveriesPerS: 10_000,
    deliveredPerS: 10_000,
    seconds: 1,
    sent: 100,
    acked: 100,
    shed: 0,
    delivered: 10_000,
    lostConnections: 0,
    latencyMs: latency(Math.max(p99, cross)),
    localMs: latency(p99),
    crossMs: latency(cross),
    cpuUsPerDelivery: 10,
    nodeCores: 0.5,
    redisCores: 0.1,
    loadCores: 0.3,
    loadMaxWorkerCores: 0.2,
    nodeRssMB: 100,
    otherCores: 0.1,
    ...rest,
  };
}

function workload(name: 'fanout' | 'small', fixed: WindowResult, overload = win({ p99: 100 })): WorkloadResult {
  return {
    name,
    rooms: 1,
    roomSize: 100,
    clients: 100,
    senders: 4,
    fixed,
    ramp: [],
    capacity: { deliveredPerS: 10_000, sustainedMsgsPerS: 100, sustainedDeliveredPerS: 10_000, capped: false, atSustained: fixed },
    overload: { ...overload, rssStartMB: 100, rssMaxMB: 101, rssEndMB: 100 },
  };
}

function mode(m: 'pubsub' | 'stock', heapPerConnB: number | null, workloads: WorkloadResult[]): ModeResult {
  return {
    mode: m,
    label: m,
    nodes: 2,
    idle: {
      connections: 400,
      failed: 0,
      setupPerS: 500,
      rssPerConnKB: null,
      rssGrowthMB: -2.2,
      heapPerConnB,
      heapGrowthMB: 5,
      heapBaseMB: 40,
    },
    workloads,
  };
}

function result(results: ModeResult[], quick = true): BenchResult {
  return {
    version: 3,
    startedAt: '2026-12-07T00:00:00.000Z',
    finishedAt: '2026-12-07T00:01:00.000Z',
    seconds: 60,
    command: 'npm run bench -- --quick',
    machine: { cpus: 2, model: 'test', totalMemMB: 4_000, node: 'v20', loadavgStart: [3, 2, 1], loadavgEnd: [4, 3, 2] },
    options: { quick, nodes: 2, modes: results.map((m) => m.mode), api: false },
    sizes: { ...TINY, workloads: [{ name: 'fanout', rooms: 1, members: 100, sendersPerRoom: 4 }] },
    results,
  };
}

/** Ours against stock in the fanout workload: ours' fixed window and heap as given, stock's at CPU 10 µs, p99 10 ms, heap 10 000 B. */
function oursAgainstStock(
  fixed: Partial<WindowResult> & { p99?: number },
  heap: number | null = 5_000,
  stockFixed: Partial<WindowResult> = {},
) {
  return result([mode('pubsub', heap, [workload('fanout', win(fixed))]), mode('stock', 10_000, [workload('fanout', win(stockFixed))])]);
}

const check = (r: BenchResult, target: string) => checkTargets(r).find((c) => c.target.startsWith(target))!;

describe('judge', () => {
  it('is met at the limit, not met past it, and under it only for a strict target', () => {
    expect(judge(0.7, 0.7, { boundCores: 0.5 }).verdict).toBe('met');
    expect(judge(0.71, 0.7, { boundCores: 0.5 }).verdict).toBe('not met');
    expect(judge(250, 250, { strict: true, boundCores: 0.5 }).verdict).toBe('not met');
    expect(judge(249, 250, { strict: true, boundCores: 0.5 }).verdict).toBe('met');
  });

  it('is too noisy to judge when other processes took more than the bound in any window the value came from', () => {
    const quiet = win({ otherCores: 0.5 });
    const busy = win({ otherCores: 0.51 });
    expect(judge(0.1, 0.7, { windows: [quiet, quiet], boundCores: 0.5 })).toEqual({ verdict: 'met', otherCores: 0.5 });
    expect(judge(0.1, 0.7, { windows: [quiet, busy], boundCores: 0.5 })).toEqual({
      verdict: 'too noisy to judge',
      otherCores: 0.51,
      note: 'other processes took 0.51 cores in these windows (bound 0.5)',
    });
  });

  it('says what is missing when there is no value', () => {
    expect(judge(null, 0.7, { boundCores: 0.5, missing: 'needs stock' })).toEqual({
      verdict: 'not measured',
      otherCores: null,
      note: 'needs stock',
    });
  });
});

describe('checkTargets', () => {
  it('judges every ratio against its target in a quiet run', () => {
    const r = oursAgainstStock({ cpuUsPerDelivery: 6, p99: 12 });
    const byTarget = Object.fromEntries(checkTargets(r).map((c) => [`${c.target} ${c.workload}`, [c.value, c.verdict]]));
    expect(byTarget).toEqual({
      'heap per idle connection, ours/stock idle': [0.5, 'met'],
      'CPU per delivery, ours/stock fanout': [0.6, 'met'],
      'p99 local, ours/stock fanout': [1.2, 'not met'],
      'p99 cross, ours/stock fanout': [1.2, 'not met'],
      // The fixed window is the only kept-up one: 10k deliveries/s is far from the 100k/s the target is stated at.
      'cross-node minus local p99 at 100k deliveries/s fanout': [0, 'not measured'],
      'p99 at 2x the sustained load, ours fanout': [100, 'met'],
    });
  });

  it('judges nothing from windows where other processes took more than the bound, but still judges the heap', () => {
    const r = oursAgainstStock({ cpuUsPerDelivery: 6 }, 5_000, { otherCores: 1.4 });
    expect(check(r, 'CPU per delivery')).toMatchObject({ value: 0.6, verdict: 'too noisy to judge', otherCores: 1.4 });
    expect(check(r, 'p99 local')).toMatchObject({ verdict: 'too noisy to judge' });
    expect(check(r, 'heap')).toMatchObject({ verdict: 'met', otherCores: null });
    // The 2x window of ours was quiet.
    expect(check(r, 'p99 at 2x')).toMatchObject({ verdict: 'met' });
  });

  it('does not judge the heap when a growth was below the noise', () => {
    expect(check(oursAgainstStock({}, null), 'heap')).toMatchObject({
      value: null,
      verdict: 'too noisy to judge',
      note: 'heap growth below the noise in pubsub',
    });
  });

  it('judges the cross-node hop only near the load it is stated at', () => {
    const near = result([mode('pubsub', 5_000, [workload('fanout', win({ deliveredPerS: 90_000, p99: 10, cross: 12.5 }))])]);
    expect(check(near, 'cross-node')).toMatchObject({ value: 2.5, verdict: 'met', note: 'at 90k deliveries/s' });
    const far = result([mode('pubsub', 5_000, [workload('fanout', win({ deliveredPerS: 30_000, p99: 10, cross: 12.5 }))])]);
    expect(check(far, 'cross-node')).toMatchObject({ verdict: 'not measured', note: 'the highest kept-up load was 30k deliveries/s' });
  });

  it('says which modes a ratio needs when the run lacked them', () => {
    const r = result([mode('pubsub', 5_000, [workload('fanout', win())])]);
    expect(check(r, 'CPU per delivery')).toMatchObject({
      value: null,
      verdict: 'not measured',
      note: 'needs the pubsub and stock modes in the same run',
    });
  });
});

describe('the summary', () => {
  const noisy = oursAgainstStock({}, 5_000, { otherCores: 1.4 });

  it('counts the verdicts and says what to do about noise', () => {
    const v = verdicts(noisy);
    expect(v.noise).toEqual({ boundCores: 0.5, otherCoresMean: 0.43, otherCoresMax: 1.4, loadPerCoreStart: 1.5 });
    expect(v.conclusion).toBe(
      'targets: 2 met, 0 not met, 3 too noisy to judge, 1 not measured. ' +
        'Other processes took up to 1.40 cores in the measured windows, past the bound of 0.5 (25 % of the cores): ' +
        'run again on a quieter machine to judge those. ' +
        'A --quick run is a first look (sub-second windows); the full run is the reference.',
    );
  });

  it('says nothing of noise or of --quick when there is none', () => {
    const checks: TargetCheck[] = [];
    expect(conclusion(checks, noiseSummary(oursAgainstStock({})), false)).toBe('targets: 0 met, 0 not met, 0 too noisy to judge.');
  });

  it('prints every target with its verdict last, and no negative per-connection figure', () => {
    const text = formatTable(noisy);
    const tail = text.split('\n').slice(-10);
    expect(tail[0]).toMatch(/^target \(ours: the pubsub mode\)\s+workload\s+this run\s+target\s+verdict\s+note$/);
    expect(tail.find((l) => l.startsWith('heap per idle connection'))).toMatch(/0\.50x\s+<= 0\.6x\s+met$/);
    expect(tail.find((l) => l.startsWith('CPU per delivery'))).toMatch(/too noisy to judge\s+other processes took 1\.40 cores/);
    expect(tail.at(-2)).toMatch(/^noise: other processes took 0\.43 cores on average, 1\.40 at most, of 2 in the measured windows/);
    expect(tail.at(-1)).toMatch(/^targets: 2 met, 0 not met, 3 too noisy to judge, 1 not measured\./);
    // rssPerConnKB is null (a growth of -2.2 MB): the memory table says so instead of a size.
    expect(text).toMatch(/^pubsub\s.*below the noise/m);
    expect(text).not.toMatch(/-\d+(\.\d+)? KB/);
  });
});
