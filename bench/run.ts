import { cpus, loadavg, totalmem } from 'node:os';
import { LatencyHistogram } from '../tools/histogram';
import { finiteOrNull, round } from '../tools/numbers';
import { type ProcSample, sampleAll, sum } from '../tools/procstat';
import { type ApiBenchRow, runApiBench } from './api';
import { HEAP_NOISE_BYTES, otherCpu, perConnection, RSS_NOISE_BYTES } from './noise';
import { type BenchMode, type HeapSample, MODE_LABELS, type RunningServers, startServers } from './servers';
import type { Sizes, WorkloadSpec } from './sizes';
import { Workers } from './workers';
import type { ClientSpec, ConnectReply, WindowStats } from './worker-protocol';

export interface Latency {
  readonly p50: number | null;
  readonly p99: number | null;
  readonly max: number | null;
  readonly count: number;
}

export interface WindowResult {
  readonly offeredMsgsPerS: number;
  readonly expectedDeliveriesPerS: number;
  readonly deliveredPerS: number;
  readonly seconds: number;
  readonly sent: number;
  readonly acked: number;
  /** Messages the server refused with `overloaded` (shed, answered): not delivered, and not lost either. */
  readonly shed: number;
  readonly delivered: number;
  readonly lostConnections: number;
  readonly latencyMs: Latency;
  readonly localMs: Latency;
  /** Deliveries whose sender sat on another node; null in single-node modes. */
  readonly crossMs: Latency | null;
  /** CPU of every server process (nodes + Redis) per delivered message. */
  readonly cpuUsPerDelivery: number | null;
  readonly nodeCores: number;
  readonly redisCores: number;
  readonly loadCores: number;
  /** The busiest load worker; near 1 means the load generator, not the server, was the limit. */
  readonly loadMaxWorkerCores: number;
  readonly nodeRssMB: number;
  /** CPU that processes other than the bench's took from the machine during the window, in cores (bench/noise.ts). */
  readonly otherCores: number;
}

export interface WorkloadResult {
  readonly name: WorkloadSpec['name'];
  readonly rooms: number;
  readonly roomSize: number;
  readonly clients: number;
  readonly senders: number;
  readonly fixed: WindowResult;
  readonly ramp: WindowResult[];
  readonly capacity: {
    /** The most deliveries/s seen in any window. */
    readonly deliveredPerS: number;
    /** The highest offered load that was kept up with (≥ 95 % delivered, p99 under 100 ms). */
    readonly sustainedMsgsPerS: number;
    readonly sustainedDeliveredPerS: number;
    /** The ramp ended before the server gave up: capacity is at least this. */
    readonly capped: boolean;
    readonly atSustained: WindowResult;
  };
  /** Twice the sustained offered load. */
  readonly overload: WindowResult & { readonly rssStartMB: number; readonly rssMaxMB: number; readonly rssEndMB: number };
}

export interface ModeResult {
  readonly mode: BenchMode;
  readonly label: string;
  readonly nodes: number;
  readonly idle: {
    readonly connections: number;
    readonly failed: number;
    readonly setupPerS: number;
    /**
     * Growth of the nodes' RSS over the connections: depends on which pages were mapped before, not only on them.
     * Null when the growth was below the noise (RSS_NOISE_BYTES, negative included).
     */
    readonly rssPerConnKB: number | null;
    /** The nodes' RSS growth over the connections, as measured (it may be negative). */
    readonly rssGrowthMB: number;
    /**
     * Growth of the nodes' heapUsed + external after a full GC (bench/heap-probe.cjs) over the connections.
     * Null when the growth was below the noise (HEAP_NOISE_BYTES).
     */
    readonly heapPerConnB: number | null;
    /** The nodes' heap growth over the connections, as measured. */
    readonly heapGrowthMB: number;
    /** The nodes' heapUsed + external after a full GC, before the connections opened. */
    readonly heapBaseMB: number;
  } | null;
  readonly workloads: WorkloadResult[];
  readonly error?: string;
}

/**
 * 3: idle.heapPerConnB (since extended, readable as 3: each window's otherCores, idle.rssGrowthMB and heapGrowthMB,
 * per-connection figures null below the noise); 2: modes named (raw-ws … sharded); 1 had the letters a, b, c, s, d and a `variant`.
 */
export const BENCH_RESULT_VERSION = 3;

export interface BenchResult {
  readonly version: typeof BENCH_RESULT_VERSION;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly seconds: number;
  readonly command: string;
  readonly machine: { cpus: number; model: string; totalMemMB: number; node: string; loadavgStart: number[]; loadavgEnd: number[] };
  readonly options: { quick: boolean; nodes: number; modes: BenchMode[]; api: boolean; bundle?: string };
  readonly sizes: Sizes;
  readonly results: ModeResult[];
  /** The backend API's figures (publishes/s, presence latency), when they were asked for; `error` when they failed. */
  readonly api?: { readonly rows: ApiBenchRow[]; readonly error?: string };
}

export interface RunOptions {
  readonly modes: BenchMode[];
  readonly nodes: number;
  readonly sizes: Sizes;
  readonly quick: boolean;
  readonly bundle?: string;
  /** Also measure the backend API (bench/api.ts), after the modes. @default false */
  readonly api?: boolean;
  readonly env?: NodeJS.ProcessEnv;
  readonly command?: string;
  readonly progress?: (line: string) => void;
}

const active = new Set<{ stop(): Promise<unknown> }>();

/** Stops every server and load worker still running (Ctrl-C, the overall deadline). */
export async function stopEverything(): Promise<void> {
  await Promise.allSettled([...active].map((a) => a.stop()));
}

/** A window is kept up with when nearly everything offered arrived, soon enough. */
const KEPT_UP_RATIO = 0.95;
const KEPT_UP_P99_MS = 100;
const MB = 1024 * 1024;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function latency(h: LatencyHistogram): Latency {
  return {
    p50: finiteOrNull(round(h.quantile(0.5), 3)),
    p99: finiteOrNull(round(h.quantile(0.99), 3)),
    max: h.count ? round(h.maxMs, 3) : null,
    count: h.count,
  };
}

export async function runBench(opts: RunOptions): Promise<BenchResult> {
  const started = Date.now();
  const loadavgStart = loadavg();
  const log = opts.progress ?? (() => undefined);
  const workers = await Workers.start(opts.sizes.workers);
  active.add(workers);
  const results: ModeResult[] = [];
  try {
    for (const mode of opts.modes) {
      log(`${MODE_LABELS[mode]}: starting`);
      let servers: RunningServers | undefined;
      try {
        servers = await startServers(mode, { nodes: opts.nodes, bundle: opts.bundle, env: opts.env });
        active.add(servers);
        results.push(await measureMode(servers, workers, opts.sizes, log));
      } catch (err) {
        const message = (err as Error).message ?? String(err);
        log(`${MODE_LABELS[mode]}: FAILED ${message.split('\n')[0]}`);
        results.push({ mode, label: MODE_LABELS[mode], nodes: 0, idle: null, workloads: [], error: message });
        await workers.all(() => ({ type: 'close' })).catch(() => undefined);
      } finally {
        if (servers) active.delete(servers);
        await servers?.stop();
      }
    }
  } finally {
    active.delete(workers);
    await workers.stop();
  }
  const api = opts.api ? await measureApi(opts, log) : undefined;
  return {
    version: BENCH_RESULT_VERSION,
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date().toISOString(),
    seconds: round((Date.now() - started) / 1000, 1),
    command: opts.command ?? '',
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model ?? 'unknown',
      totalMemMB: Math.round(totalmem() / MB),
      node: process.version,
      loadavgStart: loadavgStart.map((n) => round(n, 2)),
      loadavgEnd: loadavg().map((n) => round(n, 2)),
    },
    options: {
      quick: opts.quick,
      nodes: opts.nodes,
      modes: opts.modes,
      api: opts.api ?? false,
      ...(opts.bundle ? { bundle: opts.bundle } : {}),
    },
    sizes: opts.sizes,
    results,
    ...(api ? { api } : {}),
  };
}

/** The backend API's figures; a failure is reported with them, as a mode's is, and the run goes on to write its results. */
async function measureApi(opts: RunOptions, log: (l: string) => void): Promise<NonNullable<BenchResult['api']>> {
  log('backend API: starting');
  try {
    return { rows: await runApiBench({ sizes: opts.sizes.api, bundle: opts.bundle, progress: (l) => log(`backend API: ${l}`), active }) };
  } catch (err) {
    const message = (err as Error).message ?? String(err);
    log(`backend API: FAILED ${message.split('\n')[0]}`);
    return { rows: [], error: message };
  }
}

async function measureMode(servers: RunningServers, workers: Workers, sizes: Sizes, log: (l: string) => void): Promise<ModeResult> {
  const label = MODE_LABELS[servers.mode];
  const nodes = servers.urls.length;
  const idle = await measureIdle(servers, workers, sizes);
  const { connections, setupPerS, rssPerConnKB, heapPerConnB } = idle;
  const heap = heapPerConnB === null ? 'heap growth below the noise' : `${heapPerConnB} heap bytes each`;
  const rss = rssPerConnKB === null ? 'RSS growth below the noise' : `${rssPerConnKB.toFixed(1)} KB RSS each`;
  log(`${label}: ${connections} idle connections, ${Math.round(setupPerS)} handshakes/s, ${heap}, ${rss}`);
  const workloads: WorkloadResult[] = [];
  for (const spec of sizes.workloads) {
    workloads.push(await measureWorkload(spec, servers, workers, sizes, (l) => log(`${label} ${spec.name}: ${l}`)));
  }
  return { mode: servers.mode, label, nodes, idle, workloads };
}

/**
 * Opens `specs`' clients, spread over the load workers: what they opened and failed to open together,
 * the slowest worker's time, and the first error any of them met.
 */
export async function connectAll(
  workers: Workers,
  servers: RunningServers,
  specs: ClientSpec[],
  concurrency: number,
): Promise<ConnectReply> {
  const perWorker = Math.max(1, Math.floor(concurrency / workers.count));
  const replies = (
    await workers.all((i) => ({
      type: 'connect',
      protocol: servers.protocol,
      clients: specs.filter((_, j) => j % workers.count === i),
      concurrency: perWorker,
    }))
  ).map((r) => (r.type === 'connect' ? r.result : { opened: 0, failed: 0, ms: 0 }));
  return {
    opened: replies.reduce((s, r) => s + r.opened, 0),
    failed: replies.reduce((s, r) => s + r.failed, 0),
    firstError: replies.find((r) => r.firstError)?.firstError,
    ms: Math.max(0, ...replies.map((r) => r.ms)),
  };
}

/** `count` idle clients (no room, not sending), round-robin over the nodes. */
export function idleSpecs(servers: RunningServers, count: number): ClientSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    url: servers.urls[i % servers.urls.length],
    node: i % servers.urls.length,
    sender: false,
  }));
}

async function measureIdle(servers: RunningServers, workers: Workers, sizes: Sizes): Promise<NonNullable<ModeResult['idle']>> {
  const k = sizes.idleConnections;
  const specs = idleSpecs(servers, k);
  // A settled heap first, so that start-up garbage is not counted against the connections.
  await sleep(200);
  const heapBefore = heapBytes(await servers.heap());
  const before = sum(sampleAll(servers.nodePids), 'rssBytes');
  const { opened, failed, firstError, ms } = await connectAll(workers, servers, specs, sizes.connectConcurrency);
  const seconds = ms / 1000;
  await sleep(Math.min(1_000, 200 + k / 5));
  const after = sum(sampleAll(servers.nodePids), 'rssBytes');
  // After the RSS sample: the probe's GC would shrink it.
  const heapAfter = heapBytes(await servers.heap());
  await workers.all(() => ({ type: 'close' }));
  if (opened === 0) throw new Error(`no idle connection could be opened: ${firstError ?? 'unknown error'}`);
  const heapPerConn = perConnection(heapAfter - heapBefore, opened, HEAP_NOISE_BYTES);
  return {
    connections: opened,
    failed,
    setupPerS: round(opened / seconds, 1),
    rssPerConnKB: perConnection(after - before, opened, RSS_NOISE_BYTES, 1024),
    rssGrowthMB: round((after - before) / MB, 1),
    heapPerConnB: heapPerConn === null ? null : Math.round(heapPerConn),
    heapGrowthMB: round((heapAfter - heapBefore) / MB, 2),
    heapBaseMB: round(heapBefore / MB, 1),
  };
}

/** What the nodes' JS objects hold after a full GC: V8's heap and the memory outside it (Buffers). */
const heapBytes = (samples: HeapSample[]) => samples.reduce((s, h) => s + h.heapUsed + h.external, 0);

/** One workload's clients, connected, and what a window needs to drive and count them. */
export interface Ctx {
  readonly servers: RunningServers;
  readonly workers: Workers;
  readonly sizes: Sizes;
  readonly roomSize: number;
  /** Each worker's share of the senders. */
  readonly shares: number[];
  readonly multiNode: boolean;
  readonly clients: number;
  readonly senders: number;
  /** Connects the workload's clients again (after slow consumers were dropped). */
  reconnect(): Promise<void>;
}

/** Connects one workload's rooms: members alternate over the nodes, so that every room has local and cross-node receivers. */
export async function openWorkload(spec: WorkloadSpec, servers: RunningServers, workers: Workers, sizes: Sizes): Promise<Ctx> {
  const n = servers.urls.length;
  const specs: ClientSpec[] = [];
  for (let r = 0; r < spec.rooms; r++) {
    for (let m = 0; m < spec.members; m++) {
      const node = (r + m) % n;
      specs.push({ url: servers.urls[node], node, room: `bench-${r}`, sender: m < spec.sendersPerRoom });
    }
  }
  const connect = async () => {
    const { failed, firstError } = await connectAll(workers, servers, specs, sizes.connectConcurrency);
    if (failed > 0) throw new Error(`${failed} of ${specs.length} clients could not connect: ${firstError ?? 'unknown error'}`);
  };
  await connect();
  const senders = specs.filter((s) => s.sender).length;
  const shares = Array.from(
    { length: workers.count },
    (_, i) => specs.filter((s, j) => s.sender && j % workers.count === i).length / senders,
  );
  return {
    servers,
    workers,
    sizes,
    roomSize: spec.members,
    shares,
    multiNode: n > 1,
    clients: specs.length,
    senders,
    reconnect: async () => {
      await workers.all(() => ({ type: 'close' }));
      await connect();
    },
  };
}

async function measureWorkload(
  spec: WorkloadSpec,
  servers: RunningServers,
  workers: Workers,
  sizes: Sizes,
  log: (l: string) => void,
): Promise<WorkloadResult> {
  const ctx = await openWorkload(spec, servers, workers, sizes);
  const { senders } = ctx;
  try {
    const fixedMsgs = sizes.fixedDeliveriesPerS / spec.members;
    await runWindow(ctx, fixedMsgs, sizes.warmupMs);
    const fixed = await runWindow(ctx, fixedMsgs, sizes.windowMs);
    log(`fixed ${describe(fixed)}`);
    await drain(ctx);

    const ramp: WindowResult[] = [];
    let best = fixed.deliveredPerS;
    let sustained = keptUp(fixed) ? fixed : undefined;
    let capped = true;
    for (let step = 1; step <= sizes.maxSteps; step++) {
      const w = await runWindow(ctx, fixedMsgs * sizes.rampFactor ** step, sizes.stepMs);
      ramp.push(w);
      log(`ramp ${step} ${describe(w)}`);
      const rising = w.deliveredPerS > best * 1.05;
      best = Math.max(best, w.deliveredPerS);
      if (keptUp(w)) sustained = w;
      if (!keptUp(w) || !rising) {
        capped = false;
        break;
      }
      await drain(ctx);
    }
    // When even the fixed load was too much, "sustained" falls back to it, flagged by its figures.
    const atSustained = sustained ?? fixed;
    const overloadMsgs = 2 * atSustained.offeredMsgsPerS;
    // Fresh clients when the ramp had slow consumers dropped.
    if ([fixed, ...ramp].some((w) => w.lostConnections > 0)) await ctx.reconnect();
    else await drain(ctx);
    const rss: number[] = [];
    const sampler = setInterval(() => rss.push(sum(sampleAll(servers.nodePids), 'rssBytes')), 250);
    const rssStart = sum(sampleAll(servers.nodePids), 'rssBytes');
    const overloadWindow = await runWindow(ctx, overloadMsgs, sizes.overloadMs);
    clearInterval(sampler);
    const rssEnd = sum(sampleAll(servers.nodePids), 'rssBytes');
    // The 2x window leaves a backlog in the servers and the kernel; the next workload's fixed window must not measure it.
    await drain(ctx);
    const overload = {
      ...overloadWindow,
      rssStartMB: round(rssStart / MB, 1),
      rssMaxMB: round(Math.max(rssStart, rssEnd, ...rss) / MB, 1),
      rssEndMB: round(rssEnd / MB, 1),
    };
    log(`2x ${describe(overload)} rss ${overload.rssStartMB}→${overload.rssMaxMB} MB`);
    return {
      name: spec.name,
      rooms: spec.rooms,
      roomSize: spec.members,
      clients: ctx.clients,
      senders,
      fixed,
      ramp,
      capacity: {
        deliveredPerS: best,
        sustainedMsgsPerS: round(atSustained.offeredMsgsPerS, 1),
        sustainedDeliveredPerS: atSustained.deliveredPerS,
        capped,
        atSustained,
      },
      overload,
    };
  } finally {
    await workers.all(() => ({ type: 'close' }));
  }
}

export function keptUp(w: WindowResult): boolean {
  return w.deliveredPerS >= KEPT_UP_RATIO * w.expectedDeliveriesPerS && (w.latencyMs.p99 ?? Infinity) < KEPT_UP_P99_MS;
}

function describe(w: WindowResult): string {
  const cross = w.crossMs ? ` cross p99 ${w.crossMs.p99} ms` : '';
  return (
    `${Math.round(w.offeredMsgsPerS)} msg/s offered → ${Math.round(w.deliveredPerS)} deliveries/s ` +
    `(${Math.round((100 * w.deliveredPerS) / w.expectedDeliveriesPerS)} %), p50 ${w.latencyMs.p50} p99 ${w.latencyMs.p99} ms${cross}, ` +
    `${w.cpuUsPerDelivery?.toFixed(2)} µs CPU/delivery, load ${w.loadMaxWorkerCores.toFixed(2)} cores max` +
    (w.shed > 0 ? `, ${w.shed} of ${w.sent} shed` : '')
  );
}

export async function drain(ctx: Ctx): Promise<void> {
  await ctx.workers.all(() => ({ type: 'drain', quietMs: 100, maxMs: ctx.sizes.drainMaxMs }));
}

/** Offers `msgsPerS` for `ms`; measures what was delivered, how soon, and the servers' CPU. */
export async function runWindow(ctx: Ctx, msgsPerS: number, ms: number): Promise<WindowResult> {
  const { servers, workers } = ctx;
  const serverPids = [...servers.nodePids, ...servers.redisPids];
  const before = sampleAll([...serverPids, ...workers.pids]);
  const others = otherCpu();
  const t0 = performance.now();
  await workers.all((i) => ({ type: 'start', msgsPerS: msgsPerS * ctx.shares[i], textBytes: ctx.sizes.textBytes }));
  await sleep(ms);
  const replies = await workers.all(() => ({ type: 'stop' }));
  const seconds = (performance.now() - t0) / 1000;
  const after = sampleAll([...serverPids, ...workers.pids]);
  const otherCores = others.stop(cpuDelta(before, after));
  const stats = replies.map((r) => (r.type === 'stop' ? r.result : undefined)).filter((s): s is WindowStats => s !== undefined);
  const cores = (from: number, to: number) => cpuDelta(before.slice(from, to), after.slice(from, to)) / (seconds * 1e6);
  const nodes = servers.nodePids.length;
  const redis = servers.redisPids.length;
  const delivered = stats.reduce((s, w) => s + w.delivered, 0);
  const local = LatencyHistogram.from(stats.map((s) => s.local));
  const cross = LatencyHistogram.from(stats.map((s) => s.cross));
  const all = LatencyHistogram.from([...stats.map((s) => s.local), ...stats.map((s) => s.cross)]);
  const serverCpuUs = cpuDelta(before.slice(0, nodes + redis), after.slice(0, nodes + redis));
  const workerCores = workers.pids.map((_, i) => cores(nodes + redis + i, nodes + redis + i + 1));
  return {
    offeredMsgsPerS: round(msgsPerS, 1),
    expectedDeliveriesPerS: round(msgsPerS * ctx.roomSize, 1),
    deliveredPerS: round(delivered / seconds, 1),
    seconds: round(seconds, 3),
    sent: stats.reduce((s, w) => s + w.sent, 0),
    acked: stats.reduce((s, w) => s + w.acked, 0),
    shed: stats.reduce((s, w) => s + w.shed, 0),
    delivered,
    lostConnections: stats.reduce((s, w) => s + w.lost, 0),
    latencyMs: latency(all),
    localMs: latency(local),
    crossMs: ctx.multiNode ? latency(cross) : null,
    cpuUsPerDelivery: delivered > 0 ? round(serverCpuUs / delivered, 3) : null,
    nodeCores: round(cores(0, nodes), 3),
    redisCores: round(cores(nodes, nodes + redis), 3),
    loadCores: round(
      workerCores.reduce((s, c) => s + c, 0),
      3,
    ),
    loadMaxWorkerCores: round(Math.max(0, ...workerCores), 3),
    nodeRssMB: round(sum(after.slice(0, nodes), 'rssBytes') / MB, 1),
    otherCores,
  };
}

function cpuDelta(before: ProcSample[], after: ProcSample[]): number {
  return after.reduce((s, a, i) => s + Math.max(0, a.cpuUs - before[i].cpuUs), 0);
}
