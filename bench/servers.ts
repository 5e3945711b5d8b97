import { join } from 'node:path';
import { type ChildProcess } from 'node:child_process';
import { createClient } from 'redis';
import { freePorts, spawnUntil, stopProcess } from '../local/processes';
import { startRedisServer } from '../local/redis-server';
import { startRedisCluster } from '../local/redis-cluster';
import { BUNDLE, UNTHROTTLED_ENV } from '../local/service-node';
import type { Protocol } from './lite-client';

export const ROOT = join(__dirname, '..');
export const SERVICE_BUNDLE = BUNDLE;

/** a: raw ws; b: one service node, in memory; c: N service nodes on Redis pub/sub; s: N stock Socket.IO nodes on Redis pub/sub; d: N service nodes on Redis streams (and sharded pub/sub on a Redis Cluster when the service has it). */
export const MODE_IDS = ['a', 'b', 'c', 's', 'd'] as const;
export type ModeId = (typeof MODE_IDS)[number];

/** One server setup measured by the bench; `d` expands into streams and, when available, sharded. */
export type Variant = 'raw' | 'one' | 'redis' | 'stock' | 'streams' | 'sharded';

export interface RunningServers {
  readonly variant: Variant;
  readonly protocol: Protocol;
  /** One per node. */
  readonly urls: string[];
  readonly nodePids: number[];
  readonly redisPids: number[];
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly nodes: number;
  /** Another service bundle (tuning experiments); default service/dist/server.js. */
  readonly bundle?: string;
  /** Extra environment for every server process. */
  readonly env?: NodeJS.ProcessEnv;
}

/** Rate limits are the service's defence, not what is measured: raised far above the offered load. */
export const SERVICE_ENV: NodeJS.ProcessEnv = { ...UNTHROTTLED_ENV, MAX_CONNECTIONS: '100000' };

export function variantsOf(mode: ModeId): Variant[] {
  switch (mode) {
    case 'a':
      return ['raw'];
    case 'b':
      return ['one'];
    case 'c':
      return ['redis'];
    case 's':
      return ['stock'];
    case 'd':
      return ['streams', 'sharded'];
  }
}

export const VARIANT_LABELS: Record<Variant, string> = {
  raw: '(a) raw ws',
  one: '(b) 1 node, in-memory',
  redis: '(c) N nodes, redis pub/sub',
  stock: '(s) stock socket.io, redis',
  streams: '(d) N nodes, redis streams',
  sharded: '(d) N nodes, sharded cluster',
};

const tsxArgs = (file: string) => ['--import', 'tsx', join(ROOT, 'bench', file)];

async function spawnServer(args: string[], env: NodeJS.ProcessEnv, ready: string): Promise<ChildProcess> {
  const merged: NodeJS.ProcessEnv = { ...process.env };
  // The shell's own Redis or adapter settings must not leak into a mode that has none.
  for (const key of ['REDIS_URL', 'ADAPTER', 'LOG_LEVEL']) delete merged[key];
  for (const [key, value] of Object.entries(env)) if (value !== undefined) merged[key] = value;
  return spawnUntil(process.execPath, args, { env: merged, isReady: (line) => line.includes(ready), timeoutMs: 30_000 });
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

export async function startServers(variant: Variant, opts: StartOptions): Promise<RunningServers> {
  const children: ChildProcess[] = [];
  const stops: Array<() => Promise<unknown>> = [];
  const stopAll = async () => {
    await Promise.all(children.map((c) => stopProcess(c, 'SIGTERM', 10_000)));
    for (const s of stops.reverse()) await s();
  };
  try {
    let redisUrl: string | undefined;
    const redisPids: number[] = [];
    if (variant === 'sharded') {
      const cluster = await startRedisCluster({ primaries: 3 });
      stops.push(() => cluster.stop());
      redisUrl = cluster.urls[0];
      for (const url of cluster.urls) redisPids.push(await redisPid(url));
    } else if (variant === 'redis' || variant === 'stock' || variant === 'streams') {
      const redis = await startRedisServer();
      stops.push(() => redis.stop());
      redisUrl = redis.url;
      redisPids.push(await redisPid(redis.url));
    }
    const count = variant === 'raw' || variant === 'one' ? 1 : opts.nodes;
    const ports = await freePorts(count);
    const settled = await Promise.allSettled(
      ports.map((port, i) => {
        const base = { PORT: String(port), HOST: '127.0.0.1', NODE_ID: `node-${i + 1}`, ...opts.env };
        if (variant === 'raw') return spawnServer(tsxArgs('raw-ws-server.ts'), base, 'listening');
        if (variant === 'stock') return spawnServer(tsxArgs('stock-server.ts'), { ...base, REDIS_URL: redisUrl }, 'ready');
        const adapter = variant === 'streams' ? 'streams' : variant === 'sharded' ? 'sharded' : 'pubsub';
        return spawnServer(
          [opts.bundle ?? SERVICE_BUNDLE],
          { ...SERVICE_ENV, ...base, ...(redisUrl ? { REDIS_URL: redisUrl, ADAPTER: adapter } : {}) },
          '"msg":"ready"',
        );
      }),
    );
    for (const r of settled) if (r.status === 'fulfilled') children.push(r.value);
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const started = children;
    return {
      variant,
      protocol: variant === 'raw' ? 'raw' : 'sio',
      urls: ports.map((p) => `http://127.0.0.1:${p}`),
      nodePids: started.map((c) => c.pid!),
      redisPids,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
