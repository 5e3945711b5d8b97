// An interleaved A/B of two service bundles against stock Socket.IO, in one workload (`npm run bench:ab`).
// The three setups run side by side for the whole run; each visit connects the workload's clients to one of
// them, warms up, measures one fixed-load window and disconnects. A round visits each setup once, and the
// order alternates (A B stock, then stock B A), so that over two rounds each setup's mean position is the same.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { finiteOrNull, ratio, round } from '../tools/numbers';
import { table } from './report';
import { connectAll, idleSpecs, openWorkload, runWindow, type WindowResult } from './run';
import { type RunningServers, startServers } from './servers';
import type { Sizes, WorkloadSpec } from './sizes';
import { Workers } from './workers';
import { type Haproxy, startHaproxy } from '../local/haproxy';
import { freePorts } from '../tools/processes';

export const AB_VARIANTS = ['A', 'B', 'stock'] as const;
export type AbVariant = (typeof AB_VARIANTS)[number];

export interface AbOptions {
  /** The service bundle measured as A (e.g. one built from main). */
  readonly bundleA: string;
  /** The service bundle measured as B (e.g. the working tree's, service/dist/server.js). */
  readonly bundleB: string;
  readonly rounds: number;
  readonly workload: WorkloadSpec['name'];
  readonly sizes: Sizes;
  readonly nodes: number;
  /** Offered deliveries/s in every window. */
  readonly deliveriesPerS: number;
  /** Each measured window; a warm-up of sizes.warmupMs comes before it. */
  readonly windowMs: number;
  /** Writes a --cpu-prof of every node here, one directory per variant; the profiles appear when the nodes stop. */
  readonly profileDir?: string;
  /** Idle sockets held open on each setup for the whole run, spread over its nodes, by load workers of their own. @default 0 */
  readonly idlePerSetup?: number;
  /** Node flags for A's nodes (e.g. `--enable-source-maps`, as `npm start` and the image run them). @default none */
  readonly nodeArgsA?: readonly string[];
  /** Node flags for B's nodes. @default none */
  readonly nodeArgsB?: readonly string[];
  /** Puts an HAProxy, configured as `npm start`'s, in front of every node of every setup. @default false */
  readonly viaHaproxy?: boolean;
  readonly progress?: (line: string) => void;
}

/** One setup's window: its CPU per delivery and latency quantiles. */
export interface AbSample {
  readonly cpuUsPerDelivery: number | null;
  readonly p99Ms: number | null;
  readonly localP99Ms: number | null;
  readonly crossP99Ms: number | null;
  readonly deliveredPerS: number;
  readonly deliveredShare: number;
  readonly window: WindowResult;
}

/** One ratio of two setups' figures in the same round. */
export interface AbRatio {
  readonly cpu: number | null;
  readonly p99: number | null;
  readonly localP99: number | null;
  readonly crossP99: number | null;
}

export type AbPair = 'B/stock' | 'A/stock' | 'B/A';
/** The ratios reported: each as [numerator, denominator, its name]. */
export const AB_PAIRS: ReadonlyArray<readonly [AbVariant, AbVariant, AbPair]> = [
  ['B', 'stock', 'B/stock'],
  ['A', 'stock', 'A/stock'],
  ['B', 'A', 'B/A'],
];

export interface AbRound {
  readonly order: AbVariant[];
  readonly samples: Record<AbVariant, AbSample>;
  readonly ratios: Record<AbPair, AbRatio>;
}

export interface AbResult {
  readonly startedAt: string;
  readonly seconds: number;
  readonly options: Omit<AbOptions, 'progress' | 'sizes'> & { readonly roomSize: number; readonly rooms: number };
  readonly rounds: AbRound[];
  /** The median over rounds of each ratio, and of each setup's figures. */
  readonly median: { readonly ratios: Record<AbPair, AbRatio>; readonly samples: Record<AbVariant, Omit<AbSample, 'window'>> };
}

export function median(values: ReadonlyArray<number | null>): number | null {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const mid = Math.floor(xs.length / 2);
  return round(xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2, 3);
}

export function ratios(a: AbSample, b: AbSample): AbRatio {
  return {
    cpu: ratio(a.cpuUsPerDelivery, b.cpuUsPerDelivery),
    p99: ratio(a.p99Ms, b.p99Ms),
    localP99: ratio(a.localP99Ms, b.localP99Ms),
    crossP99: ratio(a.crossP99Ms, b.crossP99Ms),
  };
}

/** A round visits each setup once; odd rounds in the reverse order. */
export function roundOrder(round: number): AbVariant[] {
  const forward: AbVariant[] = ['A', 'B', 'stock'];
  return round % 2 === 0 ? forward : forward.reverse();
}

function sampleOf(w: WindowResult): AbSample {
  return {
    cpuUsPerDelivery: w.cpuUsPerDelivery,
    p99Ms: w.latencyMs.p99,
    localP99Ms: w.localMs.p99,
    crossP99Ms: w.crossMs?.p99 ?? null,
    deliveredPerS: w.deliveredPerS,
    deliveredShare: finiteOrNull(round(w.deliveredPerS / w.expectedDeliveriesPerS, 3)) ?? 0,
    window: w,
  };
}

export function summarize(rounds: readonly AbRound[]): AbResult['median'] {
  const pairRatios = {} as Record<AbPair, AbRatio>;
  for (const [, , key] of AB_PAIRS) {
    const of = (k: keyof AbRatio) => median(rounds.map((r) => r.ratios[key][k]));
    pairRatios[key] = { cpu: of('cpu'), p99: of('p99'), localP99: of('localP99'), crossP99: of('crossP99') };
  }
  const samples = {} as AbResult['median']['samples'];
  for (const v of AB_VARIANTS) {
    const of = (k: Exclude<keyof AbSample, 'window'>) => median(rounds.map((r) => r.samples[v][k]));
    samples[v] = {
      cpuUsPerDelivery: of('cpuUsPerDelivery'),
      p99Ms: of('p99Ms'),
      localP99Ms: of('localP99Ms'),
      crossP99Ms: of('crossP99Ms'),
      deliveredPerS: of('deliveredPerS') ?? 0,
      deliveredShare: of('deliveredShare') ?? 0,
    };
  }
  return { ratios: pairRatios, samples };
}

const running = new Set<{ stop(): Promise<unknown> }>();

/** Stops every server and load worker the A/B started (Ctrl-C, its deadline). */
export async function stopAb(): Promise<void> {
  await Promise.allSettled([...running].map((r) => r.stop()));
}

async function startVariant(v: AbVariant, opts: AbOptions): Promise<RunningServers> {
  const profile = opts.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(opts.profileDir, v)}`] : [];
  if (opts.profileDir) mkdirSync(join(opts.profileDir, v), { recursive: true });
  const bundle = v === 'A' ? opts.bundleA : v === 'B' ? opts.bundleB : undefined;
  const flags = (v === 'A' ? opts.nodeArgsA : v === 'B' ? opts.nodeArgsB : undefined) ?? [];
  const servers = await startServers(v === 'stock' ? 'stock' : 'pubsub', { nodes: opts.nodes, bundle, nodeArgs: [...flags, ...profile] });
  return opts.viaHaproxy ? behindHaproxy(servers) : servers;
}

/**
 * The same servers, each node reached through an HAProxy of its own with the local cluster's configuration
 * (the hop `npm start`'s clients take), so that clients still know which node they are on. The proxies'
 * CPU is not counted: it is the load balancer's, the same for every setup.
 */
export async function behindHaproxy(servers: RunningServers): Promise<RunningServers> {
  const proxies: Haproxy[] = [];
  const stop = async () => {
    await Promise.allSettled(proxies.map((p) => p.stop()));
    await servers.stop();
  };
  try {
    const ports = await freePorts(servers.urls.length);
    for (const [i, url] of servers.urls.entries()) {
      proxies.push(await startHaproxy({ port: ports[i], nodes: [{ name: `node-${i + 1}`, port: Number(new URL(url).port) }] }));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { ...servers, urls: proxies.map((p) => p.url), stop };
}

/** Opens `count` idle sockets on a setup, round-robin over its nodes; they stay open until `holders` stop. */
export async function openIdle(holders: Workers, servers: RunningServers, count: number, concurrency: number): Promise<number> {
  const { opened, firstError } = await connectAll(holders, servers, idleSpecs(servers, count), concurrency);
  if (opened < count) throw new Error(`opened ${opened} of ${count} idle sockets on ${servers.mode}: ${firstError ?? 'unknown error'}`);
  return opened;
}

export async function runAb(opts: AbOptions): Promise<AbResult> {
  const started = Date.now();
  const log = opts.progress ?? (() => undefined);
  const spec = opts.sizes.workloads.find((w) => w.name === opts.workload);
  if (!spec) throw new Error(`no workload ${opts.workload} in these sizes`);
  const workers = await Workers.start(opts.sizes.workers);
  running.add(workers);
  const servers = {} as Record<AbVariant, RunningServers>;
  let holders: Workers | undefined;
  try {
    for (const v of AB_VARIANTS) {
      servers[v] = await startVariant(v, opts);
      running.add(servers[v]);
    }
    const idle = opts.idlePerSetup ?? 0;
    if (idle > 0) {
      // Their own workers: a visit's `close` ends only its workload's clients.
      holders = await Workers.start(opts.sizes.workers);
      running.add(holders);
      for (const v of AB_VARIANTS) await openIdle(holders, servers[v], idle, opts.sizes.connectConcurrency);
      log(`${idle} idle sockets open on each setup`);
    }
    const msgsPerS = opts.deliveriesPerS / spec.members;
    const visit = async (v: AbVariant, ms: number) => {
      const ctx = await openWorkload(spec, servers[v], workers, opts.sizes);
      try {
        await runWindow(ctx, msgsPerS, opts.sizes.warmupMs);
        return ms > 0 ? sampleOf(await runWindow(ctx, msgsPerS, ms)) : undefined;
      } finally {
        await workers.all(() => ({ type: 'close' }));
      }
    };
    // An unmeasured visit to each first: the first visit to a fresh node runs its code before the JIT has compiled it.
    for (const v of AB_VARIANTS) await visit(v, 0);
    log('warmed up every setup');
    const rounds: AbRound[] = [];
    for (let r = 0; r < opts.rounds; r++) {
      const order = roundOrder(r);
      const samples = {} as Record<AbVariant, AbSample>;
      for (const v of order) {
        const s = (samples[v] = (await visit(v, opts.windowMs))!);
        log(`round ${r + 1} ${v}: ${s.cpuUsPerDelivery} µs/delivery, p99 ${s.p99Ms} ms (local ${s.localP99Ms}, cross ${s.crossP99Ms})`);
      }
      const pairRatios = {} as Record<AbPair, AbRatio>;
      for (const [a, b, key] of AB_PAIRS) pairRatios[key] = ratios(samples[a], samples[b]);
      rounds.push({ order, samples, ratios: pairRatios });
    }
    const { progress: _progress, sizes: _sizes, ...rest } = opts;
    return {
      startedAt: new Date(started).toISOString(),
      seconds: round((Date.now() - started) / 1000, 1),
      options: { ...rest, roomSize: spec.members, rooms: spec.rooms },
      rounds,
      median: summarize(rounds),
    };
  } finally {
    // The nodes write their --cpu-prof when they exit normally: SIGTERM, then the drain.
    for (const v of AB_VARIANTS) {
      if (!servers[v]) continue;
      running.delete(servers[v]);
      await servers[v].stop();
    }
    for (const w of [holders, workers]) {
      if (!w) continue;
      running.delete(w);
      await w.stop();
    }
  }
}

const fmt = (x: number | null, digits = 2) => (x === null ? '-' : x.toFixed(digits));

/** Per round: each setup's µs/delivery and p99, then the ratios; the medians last. */
export function formatAb(r: AbResult): string {
  const head = ['round', 'order', ...AB_VARIANTS.map((v) => `${v} us/dlv`), ...AB_PAIRS.map(([, , key]) => `${key} cpu`)];
  const p99Head = AB_PAIRS.map(([, , key]) => `${key} p99 loc/x`);
  // A round's row and the medians' row: each setup's CPU, then the ratios' CPU, then their p99s.
  const row = (label: string, order: string, figures: AbResult['median']) => [
    label,
    order,
    ...AB_VARIANTS.map((v) => fmt(figures.samples[v].cpuUsPerDelivery)),
    ...AB_PAIRS.map(([, , key]) => fmt(figures.ratios[key].cpu, 3)),
    ...AB_PAIRS.map(([, , key]) => `${fmt(figures.ratios[key].localP99)}/${fmt(figures.ratios[key].crossP99)}`),
  ];
  const m = r.median;
  const rows = [...r.rounds.map((round, i) => row(String(i + 1), round.order.join(' '), round)), row('median', '', m)];
  const p99s = AB_VARIANTS.map(
    (v) => `${v} p99 ${fmt(m.samples[v].p99Ms)} ms (local ${fmt(m.samples[v].localP99Ms)}, cross ${fmt(m.samples[v].crossP99Ms)})`,
  );
  const o = r.options;
  return [
    `${o.workload} ${o.rooms}x${o.roomSize}, ${o.nodes} nodes, ${o.deliveriesPerS} deliveries/s offered, ` +
      (o.idlePerSetup ? `${o.idlePerSetup} idle sockets on each setup, ` : '') +
      (o.nodeArgsA?.length ? `A's nodes with ${o.nodeArgsA.join(' ')}, ` : '') +
      (o.nodeArgsB?.length ? `B's nodes with ${o.nodeArgsB.join(' ')}, ` : '') +
      (o.viaHaproxy ? 'each node behind an HAProxy, ' : '') +
      `${o.windowMs} ms windows, ${r.rounds.length} rounds`,
    table([...head, ...p99Head], rows),
    `medians: ${p99s.join('; ')}`,
    'us/dlv: CPU of every server process (nodes + redis-server) per delivery; ratios are within a round;',
    'p99 loc/x: the ratios of local and of cross-node p99',
  ].join('\n');
}
