import { describe, expect, it } from 'vitest';
import { behindHaproxy, median, openIdle, roundOrder, summarize, type AbRound, type AbSample } from '../../bench/ab';
import { parseAbArgs } from '../../bench/ab-options';
import { SERVICE_BUNDLE, startServers } from '../../bench/servers';
import { Workers } from '../../bench/workers';
import { UsageError } from '../../tools/cli';

const sample = (cpu: number, p99: number): AbSample => ({
  cpuUsPerDelivery: cpu,
  p99Ms: p99,
  localP99Ms: p99,
  crossP99Ms: p99,
  deliveredPerS: 1,
  deliveredShare: 1,
  window: {} as AbSample['window'],
});

describe('bench:ab', () => {
  it('alternates the order of the setups, so that over two rounds each has the same mean position', () => {
    expect([roundOrder(0), roundOrder(1), roundOrder(2)]).toEqual([
      ['A', 'B', 'stock'],
      ['stock', 'B', 'A'],
      ['A', 'B', 'stock'],
    ]);
  });

  it('takes medians of the per-round ratios, leaving out rounds without a figure', () => {
    expect(median([3, null, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([null])).toBeNull();
    const round = (a: number, b: number, s: number): AbRound => ({
      order: roundOrder(0),
      samples: { A: sample(a, 10), B: sample(b, 20), stock: sample(s, 10) },
      ratios: {
        'B/stock': { cpu: b / s, p99: 2, localP99: 2, crossP99: 2 },
        'A/stock': { cpu: a / s, p99: 1, localP99: 1, crossP99: 1 },
        'B/A': { cpu: b / a, p99: 2, localP99: 2, crossP99: 2 },
      },
    });
    const m = summarize([round(10, 8, 10), round(10, 6, 10), round(12, 9, 10)]);
    expect(m.ratios['B/stock'].cpu).toBe(0.8);
    expect(m.samples.A.cpuUsPerDelivery).toBe(10);
    expect(m.ratios['B/A'].crossP99).toBe(2);
  });

  it('needs --a, and names the option it refuses', () => {
    expect(() => parseAbArgs([])).toThrow(UsageError);
    expect(() => parseAbArgs([])).toThrow(/--a FILE is required/);
    expect(() => parseAbArgs(['--a', 'x.js', '--workload', 'huge'])).toThrow(/--workload takes one of fanout, small, got huge/);
    expect(() => parseAbArgs(['--a', 'x.js'])).toThrow(
      new UsageError('--a x.js: no such file; it takes a service bundle (npm run build writes service/dist/server.js)'),
    );
    const opts = parseAbArgs(['--a', SERVICE_BUNDLE, '--quick', '--workload', 'small']);
    expect(opts).toMatchObject({ bundleA: SERVICE_BUNDLE, workload: 'small', rounds: 4, deliveriesPerS: 10_000, windowMs: 1_500 });
  });

  it('takes Node flags for each bundle and an idle-socket count, and refuses a flag list that is not flags', () => {
    const opts = parseAbArgs(['--a', SERVICE_BUNDLE, '--a-node-args=--enable-source-maps --max-semi-space-size=16', '--idle', '500']);
    expect(opts).toMatchObject({ nodeArgsA: ['--enable-source-maps', '--max-semi-space-size=16'], nodeArgsB: [], idlePerSetup: 500 });
    expect(parseAbArgs(['--a', SERVICE_BUNDLE]).idlePerSetup).toBe(0);
    expect(() => parseAbArgs(['--a', 'x.js', '--b-node-args=server.js'])).toThrow(/--b-node-args takes Node flags .*not "server.js"/);
    expect(() => parseAbArgs(['--a', 'x.js', '--idle', '-1'])).toThrow(/--idle/);
  });

  it("holds idle sockets on a setup's nodes, and says how many of them it could not open", { timeout: 30_000 }, async () => {
    const servers = await startServers('stock', { nodes: 2 });
    const holders = await Workers.start(1);
    try {
      expect(await openIdle(holders, servers, 40, 8)).toBe(40);
      await servers.stop();
      await expect(openIdle(holders, servers, 10, 8)).rejects.toThrow(/opened 0 of 10 idle sockets on stock/);
    } finally {
      await holders.stop();
      await servers.stop();
    }
  });

  it('puts each node behind an HAProxy of its own, and stops both', { timeout: 30_000 }, async () => {
    const direct = await startServers('stock', { nodes: 2 });
    const proxied = await behindHaproxy(direct);
    const holders = await Workers.start(1);
    try {
      expect(proxied.urls).toHaveLength(2);
      expect(proxied.urls.some((u) => direct.urls.includes(u))).toBe(false);
      // The stock server's /readyz passes HAProxy's check, and a Socket.IO session opens through each proxy.
      expect(await openIdle(holders, proxied, 4, 2)).toBe(4);
    } finally {
      await holders.stop();
      await proxied.stop();
    }
    await expect(fetch(`${proxied.urls[0]}/readyz`)).rejects.toThrow();
    await expect(fetch(`${direct.urls[0]}/readyz`)).rejects.toThrow();
  });
});
