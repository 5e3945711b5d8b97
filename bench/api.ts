import { readFileSync } from 'node:fs';
import http from 'node:http';
import { LatencyHistogram } from '../tools/histogram';
import { round } from '../tools/numbers';
import { sampleAll, sum } from '../tools/procstat';
import { LiteClient } from './lite-client';
import { type RunningServers, startServers } from './servers';
import type { ApiSizes } from './sizes';

/**
 * The backend API's figures (docs/performance.md): publishes per second through the HTTP API on
 * one node, against GET /healthz on the same node in the same run; and presence query latency
 * and CPU at 1 000 and 10 000 sockets in one room on two nodes, against a room of one socket.
 */
export interface ApiBenchRow {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** The row this one is measured against, and value / reference value. */
  readonly reference?: string;
  readonly ratio?: number;
}

export interface ApiBenchOptions {
  readonly sizes: ApiSizes;
  /** Another service bundle (A/B runs). */
  readonly bundle?: string;
  readonly progress?: (line: string) => void;
  /** Holds the servers while they run, so that an interrupted bench can stop them (bench/run.ts). */
  readonly active?: Set<{ stop(): Promise<unknown> }>;
}

const KEY = 'bench-key-0123456789abcdef0123456789abcdef';
const API_ENV: NodeJS.ProcessEnv = {
  API_KEYS: KEY,
  API_RATE_LIMIT_PER_KEY: '1000000',
  API_RATE_LIMIT_PER_KEY_BURST: '1000000',
  // Every socket is its own guest user: the worst case for deduplication.
  PRESENCE_MAX_USERS: '1000',
  PRESENCE_TIMEOUT_MS: '5000',
  PING_INTERVAL_MS: '120000',
};

function request(agent: http.Agent, url: string, method: string, path: string, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(url);
    const req = http.request(
      {
        host: hostname,
        port,
        method,
        path,
        agent,
        headers: {
          authorization: `Bearer ${KEY}`,
          ...(body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Requests/s over `ms` with `lanes` keep-alive connections; non-2xx answers fail the run. */
async function throughput(url: string, method: string, path: string, body: string | undefined, lanes: number, ms: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: lanes });
  const end = performance.now() + ms;
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (performance.now() < end) {
        const status = await request(agent, url, method, path, body);
        if (status !== 200) throw new Error(`${method} ${path} answered ${status}`);
        done++;
      }
    }),
  );
  agent.destroy();
  return done / ((performance.now() - started) / 1000);
}

async function openSockets(urls: string[], count: number, room: string): Promise<LiteClient[]> {
  const clients: LiteClient[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (next < count) {
        const url = urls[next++ % urls.length];
        clients.push(await LiteClient.open({ url, protocol: 'sio', room, timeoutMs: 30_000 }));
      }
    }),
  );
  return clients;
}

async function publishRows(opts: ApiBenchOptions, log: (s: string) => void): Promise<ApiBenchRow[]> {
  const { publishMs: ms, receivers: fanout } = opts.sizes;
  const servers = await startServers('single-node', { nodes: 1, bundle: opts.bundle, env: API_ENV });
  opts.active?.add(servers);
  const receivers: LiteClient[] = [];
  try {
    const [url] = servers.urls;
    receivers.push(...(await openSockets(servers.urls, fanout, 'bench-api')));
    const body = JSON.stringify({ event: 'bench:pub', rooms: ['bench-api'], data: { text: 'x'.repeat(200) } });
    log('publish: /healthz reference');
    const reference = await throughput(url, 'GET', '/healthz', undefined, 16, ms);
    const measure = async (what: string, payload: string) => {
      log(`publish: POST /api/v1/publish ${what}`);
      const cpuBefore = sum(sampleAll(servers.nodePids), 'cpuUs');
      const started = performance.now();
      const perS = await throughput(url, 'POST', '/api/v1/publish', payload, 16, ms);
      const cpuUs = (sum(sampleAll(servers.nodePids), 'cpuUs') - cpuBefore) / (perS * ((performance.now() - started) / 1000));
      return { perS, cpuUs };
    };
    const empty = await measure('to an empty room', body.replace('"bench-api"', '"bench-empty"'));
    const full = await measure(`to a room of ${fanout} sockets`, body);
    const vs = { reference: 'GET /healthz', ratio: 0 };
    return [
      { name: 'GET /healthz, 1 node (reference)', value: round(reference, 0), unit: 'req/s' },
      {
        name: 'POST /api/v1/publish to an empty room, 1 node',
        value: round(empty.perS, 0),
        unit: 'req/s',
        ...vs,
        ratio: round(empty.perS / reference, 2),
      },
      {
        name: `POST /api/v1/publish to ${fanout} sockets, 1 node`,
        value: round(full.perS, 0),
        unit: 'req/s',
        ...vs,
        ratio: round(full.perS / reference, 2),
      },
      { name: 'node CPU per API publish, empty room', value: round(empty.cpuUs, 0), unit: 'µs' },
      { name: `node CPU per API publish, ${fanout} deliveries`, value: round(full.cpuUs, 0), unit: 'µs' },
    ];
  } finally {
    for (const c of receivers) c.close();
    opts.active?.delete(servers);
    await servers.stop();
  }
}

/** File descriptors one bench process may open (RLIMIT_NOFILE's soft limit), from /proc; undefined where that cannot be read. */
function openFilesLimit(): number | undefined {
  try {
    const line = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];
    return line === 'unlimited' ? Infinity : line === undefined ? undefined : Number(line);
  } catch {
    return undefined;
  }
}

/**
 * This process holds every client socket of the presence room, and the nodes (its children)
 * inherit its limit: a room of `size` sockets needs about `size` + 1 000 descriptors. Said
 * before any server starts, instead of as EMFILE halfway through.
 */
function requireOpenFiles(size: number): void {
  const limit = openFilesLimit();
  const needed = size + 1_000;
  if (limit !== undefined && limit < needed)
    throw new Error(
      `presence at ${size} sockets needs about ${needed} open files, and ulimit -n is ${limit}: run \`ulimit -n 16384\` first`,
    );
}

/** Sequential presence queries: latency percentiles, and CPU of the nodes and Redis per call. */
async function presenceOf(servers: RunningServers, room: string, calls: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const h = new LatencyHistogram();
  const pids = [...servers.nodePids, ...servers.redisPids];
  const before = sum(sampleAll(pids), 'cpuUs');
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    const status = await request(agent, servers.urls[i % servers.urls.length], 'GET', `/api/v1/rooms/${room}/presence`);
    if (status !== 200) throw new Error(`presence answered ${status}`);
    h.record(performance.now() - started);
  }
  const cpuMsPerCall = (sum(sampleAll(pids), 'cpuUs') - before) / 1000 / calls;
  agent.destroy();
  return { p50: h.quantile(0.5), p99: h.quantile(0.99), cpuMsPerCall };
}

async function presenceRows(opts: ApiBenchOptions, log: (s: string) => void): Promise<ApiBenchRow[]> {
  const { presenceCalls: calls, presenceRoomSizes: sizes } = opts.sizes;
  const servers = await startServers('pubsub', { nodes: 2, bundle: opts.bundle, env: API_ENV });
  opts.active?.add(servers);
  const clients: LiteClient[] = [];
  const rows: ApiBenchRow[] = [];
  try {
    clients.push(...(await openSockets(servers.urls, 1, 'bench-one')));
    const reference = await presenceOf(servers, 'bench-one', calls);
    rows.push({ name: 'presence p50, room of 1 socket, 2 nodes (reference)', value: round(reference.p50, 2), unit: 'ms' });
    let inRoom = 0;
    for (const size of sizes) {
      log(`presence: ${size} sockets`);
      clients.push(...(await openSockets(servers.urls, size - inRoom, 'bench-big')));
      inRoom = size;
      const r = await presenceOf(servers, 'bench-big', calls);
      const ratio = (v: number) => round(v / reference.p50, 2);
      rows.push(
        {
          name: `presence p50, ${size} sockets (${size} users), 2 nodes`,
          value: round(r.p50, 2),
          unit: 'ms',
          reference: 'room of 1',
          ratio: ratio(r.p50),
        },
        {
          name: `presence p99, ${size} sockets, 2 nodes`,
          value: round(r.p99, 2),
          unit: 'ms',
          reference: 'room of 1 p50',
          ratio: ratio(r.p99),
        },
        {
          name: `presence CPU per call, ${size} sockets (nodes + Redis)`,
          value: round(r.cpuMsPerCall, 2),
          unit: 'ms',
          reference: 'room of 1',
          ratio: round(r.cpuMsPerCall / Math.max(0.01, reference.cpuMsPerCall), 2),
        },
      );
    }
    rows.push({ name: 'presence CPU per call, room of 1 (reference)', value: round(reference.cpuMsPerCall, 2), unit: 'ms' });
    return rows;
  } finally {
    for (const c of clients) c.close();
    opts.active?.delete(servers);
    await servers.stop();
  }
}

/** Runs both measurements; each starts and stops its own servers. Refuses at once a room size the open-file limit cannot hold. */
export async function runApiBench(opts: ApiBenchOptions): Promise<ApiBenchRow[]> {
  requireOpenFiles(Math.max(0, ...opts.sizes.presenceRoomSizes));
  const log = opts.progress ?? (() => undefined);
  return [...(await publishRows(opts, log)), ...(await presenceRows(opts, log))];
}
