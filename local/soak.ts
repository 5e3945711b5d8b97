import { performance } from 'node:perf_hooks';
import type { AdapterMode } from '../contract/env';
import { io as connect, type Socket } from 'socket.io-client';
import { startCluster, type LocalCluster } from './cluster';
import { freePorts, rssKb } from './processes';

export type SoakAdapter = Extract<AdapterMode, 'pubsub' | 'streams'>;

export interface SoakOptions {
  readonly connections: number;
  readonly durationMs: number;
  readonly nodes?: number;
  readonly adapter?: SoakAdapter;
  /** Messages per second across the whole soak. */
  readonly ratePerS?: number;
  /** Sockets per room; rooms are fixed for the whole soak. */
  readonly roomSize?: number;
  readonly progressIntervalMs?: number;
  /** How long to wait for in-flight deliveries once sending stops. */
  readonly settleMs?: number;
  readonly seed?: number;
  readonly onProgress?: (p: SoakProgress) => void;
  /** Stops sending early (Ctrl-C); the report still covers what was sent. */
  readonly signal?: AbortSignal;
}

export interface SoakProgress {
  readonly elapsedS: number;
  readonly connected: number;
  readonly sent: number;
  readonly delivered: number;
  readonly expected: number;
  readonly p99Ms: number;
  readonly rssKb: Record<string, number | null>;
}

export interface SoakReport {
  readonly options: {
    connections: number;
    durationMs: number;
    nodes: number;
    adapter: SoakAdapter;
    ratePerS: number;
    roomSize: number;
    seed: number;
  };
  readonly rooms: number;
  readonly elapsedMs: number;
  /** Messages the server accepted (ack ok). */
  readonly sent: number;
  /** Sends answered with an error or not answered. */
  readonly rejected: number;
  /** Sum over accepted messages of the room's members when it was sent. */
  readonly expected: number;
  /** Distinct (message, receiver) pairs that arrived. */
  readonly delivered: number;
  readonly deliveredPct: number;
  readonly duplicates: number;
  /** Deliveries to a socket outside the message's room, or of messages never accepted. */
  readonly unexpected: number;
  readonly disconnects: number;
  readonly latencyMs: { p50: number; p99: number; max: number };
  /** RSS of each node, sampled at every progress tick and at the end. */
  readonly memory: Array<{ atS: number; rssKb: Record<string, number | null> }>;
}

/** rssKb, or null where the process or /proc is gone: a soak reports what it could read. */
function rssKbOrNull(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    return rssKb(pid);
  } catch {
    return null;
  }
}

/** Latencies in 0.1 ms buckets up to 60 s: bounded memory however long the soak runs. */
class Histogram {
  private readonly buckets = new Uint32Array(600_000);
  private count = 0;
  private maxMs = 0;
  add(ms: number): void {
    this.buckets[Math.min(this.buckets.length - 1, Math.max(0, Math.round(ms * 10)))]++;
    this.count++;
    this.maxMs = Math.max(this.maxMs, ms);
  }
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.ceil((p / 100) * this.count);
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i];
      if (seen >= rank) return i / 10;
    }
    return this.maxMs;
  }
  max(): number {
    return this.maxMs;
  }
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Member {
  readonly index: number;
  readonly socket: Socket;
  readonly room: string;
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * Runs a cluster of bundled nodes on its own redis-server, holds `connections` sockets in
 * fixed rooms, sends room messages at `ratePerS` for `durationMs`, and accounts for every
 * delivery. Stops everything it started before returning.
 */
export async function runSoak(opts: SoakOptions): Promise<SoakReport> {
  const nodes = opts.nodes ?? 3;
  const adapter = opts.adapter ?? 'pubsub';
  const ratePerS = opts.ratePerS ?? 50;
  const roomSize = opts.roomSize ?? 10;
  const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 31);
  const progressMs = opts.progressIntervalMs ?? 5_000;
  if (!Number.isInteger(opts.connections) || opts.connections < 2) throw new Error('connections must be an integer of at least 2');
  if (!(opts.durationMs > 0)) throw new Error('the duration must be positive');
  if (!(ratePerS > 0)) throw new Error('the rate must be positive');

  const cluster: LocalCluster = await startCluster({ ports: await freePorts(nodes), env: { ADAPTER: adapter } });
  const sockets: Socket[] = [];
  try {
    // A bundle built before a rename of the modes would run another adapter than asked for.
    for (const n of cluster.nodes) {
      const ready = n.logs.find((l) => l.msg === 'redis adapter ready');
      const running = ready?.adapter;
      if (running !== adapter)
        throw new Error(`${n.nodeId} runs the ${String(running)} adapter, not ${adapter}: rebuild the bundle (npm run build)`);
    }

    const rooms = Math.max(1, Math.ceil(opts.connections / roomSize));
    const roomMembers = new Map<string, number>();
    const members: Member[] = [];
    const sentAt = new Map<number, { at: number; room: string }>();
    const accepted = new Set<number>();
    const seen = new Set<string>();
    const latency = new Histogram();
    let delivered = 0;
    let duplicates = 0;
    let unexpected = 0;
    let disconnects = 0;

    const onMessage = (member: Member) => (m: { text?: unknown; room?: unknown }) => {
      const seq = typeof m.text === 'string' && m.text.startsWith('soak:') ? Number(m.text.slice(5)) : NaN;
      const sent = sentAt.get(seq);
      if (!sent || m.room !== member.room) {
        unexpected++;
        return;
      }
      const key = `${seq}:${member.index}`;
      if (seen.has(key)) {
        duplicates++;
        return;
      }
      seen.add(key);
      delivered++;
      latency.add(performance.now() - sent.at);
    };

    // Connect in slices so that a large soak does not stampede the nodes' handshakes.
    for (let start = 0; start < opts.connections; start += 50) {
      const slice = Array.from({ length: Math.min(50, opts.connections - start) }, (_, k) => start + k);
      await Promise.all(
        slice.map(async (index) => {
          const url = cluster.nodes[index % nodes].url;
          const socket = connect(url, { transports: ['websocket'], forceNew: true, reconnectionDelay: 100, reconnectionDelayMax: 1_000 });
          sockets.push(socket);
          const member: Member = { index, socket, room: `soak-${index % rooms}` };
          await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`socket ${index} got no session from ${url}`)), 15_000);
            socket.once('session', () => {
              clearTimeout(timer);
              resolve();
            });
          });
          const ack = (await socket.timeout(15_000).emitWithAck('room:join', { room: member.room })) as { ok: boolean };
          if (!ack.ok) throw new Error(`socket ${index} could not join ${member.room}: ${JSON.stringify(ack)}`);
          roomMembers.set(member.room, (roomMembers.get(member.room) ?? 0) + 1);
          socket.on('chat:message', onMessage(member));
          socket.on('disconnect', () => disconnects++);
          // A reconnected socket has lost its rooms (docs/protocol.md); rejoin, though its misses count.
          socket.on('session', () => void socket.emit('room:join', { room: member.room }));
          members.push(member);
        }),
      );
    }

    const rand = mulberry32(seed);
    let seq = 0;
    let sent = 0;
    let rejected = 0;
    let expected = 0;
    let inFlight = 0;
    const started = performance.now();
    const memory: SoakReport['memory'] = [];
    const sample = () => {
      const rss = Object.fromEntries(cluster.nodes.map((n) => [n.nodeId, rssKbOrNull(n.child.pid)]));
      memory.push({ atS: round((performance.now() - started) / 1000), rssKb: rss });
      return rss;
    };
    const progress = () => {
      const rss = sample();
      opts.onProgress?.({
        elapsedS: round((performance.now() - started) / 1000),
        connected: sockets.filter((s) => s.connected).length,
        sent,
        delivered,
        expected,
        p99Ms: latency.percentile(99),
        rssKb: rss,
      });
    };
    sample();
    const ticker = setInterval(progress, progressMs);

    const sendOne = () => {
      const member = members[Math.floor(rand() * members.length)];
      const n = ++seq;
      // The room is fixed, so its size now is its size when the node fans the message out.
      const size = roomMembers.get(member.room) ?? 0;
      sentAt.set(n, { at: performance.now(), room: member.room });
      inFlight++;
      member.socket
        .timeout(10_000)
        .emitWithAck('chat:message', { room: member.room, text: `soak:${n}` })
        .then(
          (ack: { ok?: boolean }) => {
            if (ack?.ok) {
              sent++;
              expected += size;
              accepted.add(n);
            } else rejected++;
          },
          () => rejected++,
        )
        .finally(() => inFlight--);
    };

    // Sends on a 10 ms clock, as many as the rate has accrued; bounded by the duration.
    const endAt = started + opts.durationMs;
    await new Promise<void>((resolve) => {
      let due = 0;
      let last = performance.now();
      const clock = setInterval(() => {
        const now = performance.now();
        if (now >= endAt || opts.signal?.aborted) {
          clearInterval(clock);
          resolve();
          return;
        }
        due += ((now - last) / 1000) * ratePerS;
        last = now;
        for (; due >= 1; due--) sendOne();
      }, 10);
    });

    // Settling: every ack back and every expected delivery in, or the bound passes.
    const settleEnd = performance.now() + (opts.settleMs ?? 10_000);
    while (performance.now() < settleEnd && (inFlight > 0 || delivered < expected)) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    clearInterval(ticker);
    progress();
    // Deliveries of messages whose ack failed were not expected; they do not count as delivered.
    for (const key of seen) {
      if (!accepted.has(Number(key.slice(0, key.indexOf(':'))))) {
        delivered--;
        unexpected++;
      }
    }

    return {
      options: { connections: opts.connections, durationMs: opts.durationMs, nodes, adapter, ratePerS, roomSize, seed },
      rooms,
      elapsedMs: Math.round(performance.now() - started),
      sent,
      rejected,
      expected,
      delivered,
      deliveredPct: expected === 0 ? 100 : round((delivered / expected) * 100, 3),
      duplicates,
      unexpected,
      disconnects,
      latencyMs: { p50: latency.percentile(50), p99: latency.percentile(99), max: round(latency.max()) },
      memory,
    };
  } finally {
    for (const s of sockets) s.disconnect();
    await cluster.stop();
  }
}
