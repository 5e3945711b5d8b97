import { join } from 'node:path';
import { type ChildProcess } from 'node:child_process';
import { createClient } from 'redis';
import { freePorts, spawnUntil, stopProcess } from '../tools/processes';
import { startRedisServer } from '../local/redis-server';
import { startRedisCluster } from '../local/redis-cluster';
import { BUNDLE, UNTHROTTLED_ENV } from '../local/service-node';
import type { Protocol } from './lite-client';

export const ROOT = join(__dirname, '..');
export const SERVICE_BUNDLE = BUNDLE;

/**
 * The server setups the bench measures, in the order it runs them. The service's modes on Redis
 * are named as its ADAPTER modes (contract/env.ts).
 */
export const BENCH_MODES = ['raw-ws', 'single-node', 'pubsub', 'stock', 'streams', 'sharded'] as const;
export type BenchMode = (typeof BENCH_MODES)[number];

/** What each mode runs, for --help, the tables and the docs. */
export const MODE_DESCRIPTIONS: Record<BenchMode, string> = {
  'raw-ws': 'a bare ws server that writes each message to its room (the limit)',
  'single-node': 'one service node, in-memory adapter',
  pubsub: 'N service nodes, ADAPTER=pubsub on one redis-server',
  stock: 'N stock Socket.IO nodes with the same redis adapter (the baseline for our code)',
  streams: 'N service nodes, ADAPTER=streams on one redis-server',
  sharded: 'N service nodes, ADAPTER=sharded on a 3-primary Redis Cluster',
};

/** The mode column of the tables. */
export const MODE_LABELS: Record<BenchMode, string> = {
  'raw-ws': 'raw-ws (bare ws)',
  'single-node': 'single-node (in-memory)',
  pubsub: 'pubsub (N nodes, redis)',
  stock: 'stock (N stock socket.io, redis)',
  streams: 'streams (N nodes, redis)',
  sharded: 'sharded (N nodes, Redis Cluster)',
};

/** The letters the modes had before they had names: --modes refuses them, naming the new ones. */
export const RENAMED_MODES: Readonly<Record<string, string>> = {
  a: 'raw-ws',
  b: 'single-node',
  c: 'pubsub',
  s: 'stock',
  d: 'streams,sharded',
};

export interface RunningServers {
  readonly mode: BenchMode;
  readonly protocol: Protocol;
  /** One per node. */
  readonly urls: string[];
  readonly nodePids: number[];
  readonly redisPids: number[];
  /** Each node's memory after a full GC (bench/heap-probe.cjs), in node order. */
  heap(): Promise<HeapSample[]>;
  stop(): Promise<void>;
}

/** What bench/heap-probe.cjs reports: process.memoryUsage() after a full GC. */
export interface HeapSample {
  /** False when the process ran without --expose-gc: the figures then include garbage. */
  readonly gc: boolean;
  readonly heapUsed: number;
  /** Memory outside the V8 heap held by JS objects, ArrayBuffers (socket Buffers) included. */
  readonly external: number;
  readonly arrayBuffers: number;
  readonly rss: number;
  /** With HEAP_PROBE_SNAPSHOTS set: the heap snapshot written with this sample. */
  readonly snapshot?: string;
}

export const HEAP_PROBE = join(ROOT, 'bench', 'heap-probe.cjs');
/** Every server process runs with these before its script: the probe is the bench's, not the bundle's. */
// --no-flush-bytecode: V8 drops the bytecode of functions unused over several GCs, and the probe's own GCs
// age them, so start-up code freed between the two samples made a small idle count come out negative.
const PROBE_ARGS = ['--expose-gc', '--no-flush-bytecode', '--require', HEAP_PROBE];
const PROBE_MARK = 'heap-probe ';
// A heap snapshot (HEAP_PROBE_SNAPSHOTS) of a service node takes a minute or more on a busy machine.
const PROBE_TIMEOUT_MS = 900_000;

interface ServerProcess {
  readonly child: ChildProcess;
  heap(): Promise<HeapSample>;
}

export interface StartOptions {
  readonly nodes: number;
  /** Another service bundle (tuning experiments); default service/dist/server.js. */
  readonly bundle?: string;
  /** Extra environment for every server process. */
  readonly env?: NodeJS.ProcessEnv;
  /** Node options for each node process, before its script (e.g. --cpu-prof); not for Redis. @default none */
  readonly nodeArgs?: readonly string[];
}

/**
 * Rate limits are the service's defence, not what is measured: raised far above the offered load. The drain is not
 * measured either: after a 2x window a node has not yet read the closes of clients the load workers dropped, and
 * SIGTERM spread their disconnects over the default 5 s (DRAIN_TIMEOUT_MS / 4, at most 5 s) in every mode, ~20 s of
 * a quick run; 2 s gives a 0.5 s spread.
 */
export const SERVICE_ENV: NodeJS.ProcessEnv = { ...UNTHROTTLED_ENV, MAX_CONNECTIONS: '100000', DRAIN_TIMEOUT_MS: '2000' };

const tsxArgs = (file: string) => ['--import', 'tsx', join(ROOT, 'bench', file)];

async function spawnServer(args: string[], env: NodeJS.ProcessEnv, ready: string): Promise<ServerProcess> {
  const merged: NodeJS.ProcessEnv = { ...process.env };
  // The shell's own Redis or adapter settings must not leak into a mode that has none.
  for (const key of ['REDIS_URL', 'ADAPTER', 'LOG_LEVEL']) delete merged[key];
  for (const [key, value] of Object.entries(env)) if (value !== undefined) merged[key] = value;
  const waiting: Array<(s: HeapSample) => void> = [];
  const onLine = (line: string) => {
    const at = line.indexOf(PROBE_MARK);
    if (at >= 0) waiting.shift()?.(JSON.parse(line.slice(at + PROBE_MARK.length)) as HeapSample);
  };
  const child = await spawnUntil(process.execPath, [...PROBE_ARGS, ...args], {
    env: merged,
    isReady: (line) => line.includes(ready),
    timeoutMs: 30_000,
    onLine,
  });
  const heap = () =>
    new Promise<HeapSample>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`pid ${child.pid} did not answer the heap probe`)), PROBE_TIMEOUT_MS);
      waiting.push((s) => {
        clearTimeout(timer);
        resolve(s);
      });
      child.kill('SIGUSR2');
    });
  return { child, heap };
}

async function redisPid(url: string): Promise<number> {
  const client = createClient({ url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const info = await client.info('server');
    return Number(/process_id:(\d+)/.exec(info)?.[1]);
  } finally {
    client.destroy();
  }
}

export async function startServers(mode: BenchMode, opts: StartOptions): Promise<RunningServers> {
  const children: ServerProcess[] = [];
  const stops: Array<() => Promise<unknown>> = [];
  const stopAll = async () => {
    await Promise.all(children.map((c) => stopProcess(c.child, 'SIGTERM', 10_000)));
    for (const s of stops.reverse()) await s();
  };
  try {
    let redisUrl: string | undefined;
    const redisPids: number[] = [];
    if (mode === 'sharded') {
      const redisCluster = await startRedisCluster({ primaries: 3 });
      stops.push(() => redisCluster.stop());
      redisUrl = redisCluster.urls[0];
      for (const url of redisCluster.urls) redisPids.push(await redisPid(url));
    } else if (mode === 'pubsub' || mode === 'stock' || mode === 'streams') {
      const redis = await startRedisServer();
      stops.push(() => redis.stop());
      redisUrl = redis.url;
      redisPids.push(await redisPid(redis.url));
    }
    const count = mode === 'raw-ws' || mode === 'single-node' ? 1 : opts.nodes;
    const ports = await freePorts(count);
    // The node options go before each server's script.
    const spawn = (script: string[], env: NodeJS.ProcessEnv, ready: string) =>
      spawnServer([...(opts.nodeArgs ?? []), ...script], env, ready);
    const settled = await Promise.allSettled(
      ports.map((port, i) => {
        const base = { PORT: String(port), HOST: '127.0.0.1', NODE_ID: `node-${i + 1}`, ...opts.env };
        if (mode === 'raw-ws') return spawn(tsxArgs('raw-ws-server.ts'), base, 'listening');
        if (mode === 'stock') return spawn(tsxArgs('stock-server.ts'), { ...base, REDIS_URL: redisUrl }, 'ready');
        // single-node runs without Redis, on the in-memory adapter; the others are ADAPTER modes.
        const redis: NodeJS.ProcessEnv = mode === 'single-node' ? {} : { REDIS_URL: redisUrl, ADAPTER: mode };
        return spawn([opts.bundle ?? SERVICE_BUNDLE], { ...SERVICE_ENV, ...base, ...redis }, '"msg":"ready"');
      }),
    );
    for (const r of settled) if (r.status === 'fulfilled') children.push(r.value);
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const started = children;
    return {
      mode,
      protocol: mode === 'raw-ws' ? 'raw' : 'sio',
      urls: ports.map((p) => `http://127.0.0.1:${p}`),
      nodePids: started.map((c) => c.child.pid!),
      redisPids,
      // One at a time: a full GC is CPU-bound, and two at once on a 2-core machine would race the rest.
      heap: async () => {
        const samples: HeapSample[] = [];
        for (const c of started) samples.push(await c.heap());
        return samples;
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
