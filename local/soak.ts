import { performance } from 'node:perf_hooks';
import type { AdapterMode } from '../contract/env';
import { io as connect, type Socket } from 'socket.io-client';
import { LatencyHistogram } from '../tools/histogram';
import { round } from '../tools/numbers';
import { sample } from '../tools/procstat';
import { freePorts } from '../tools/processes';
import { mulberry32, randomSeed } from '../tools/rng';
import { type LocalCluster, startLocalCluster } from './local-cluster';
import { ONE_SOURCE_LOAD_ENV } from './service-node';

/** The adapters a soak can run: the sharded one needs a Redis Cluster, which the soak does not start. */
export const SOAK_ADAPTERS = ['pubsub', 'streams'] as const satisfies readonly AdapterMode[];
export type SoakAdapter = (typeof SOAK_ADAPTERS)[number];

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
  /** The rejected sends by the error code of their answer (`no answer` past the 10 s timeout). */
  readonly rejectedBy: Record<string, number>;
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

/** Options with their defaults filled in, as the report states them. */
type Settings = SoakReport['options'] & { readonly progressMs: number; readonly settleMs: number };

interface Member {
  readonly index: number;
  readonly socket: Socket;
  readonly room: string;
}

/** Sockets are connected this many at a time, so that a large soak does not stampede the nodes' handshakes. */
const CONNECT_SLICE = 50;
/** The sending clock: each tick sends as many messages as the rate has accrued. */
const SEND_TICK_MS = 10;

/**
 * Runs a local cluster of bundled nodes on its own redis-server, holds `connections` sockets in
 * fixed rooms, sends room messages at `ratePerS` for `durationMs`, and accounts for every
 * delivery. Stops everything it started before returning.
 */
export async function runSoak(opts: SoakOptions): Promise<SoakReport> {
  const settings = settle(opts);
  const localCluster = await startLocalCluster({
    ports: await freePorts(settings.nodes),
    env: { ...ONE_SOURCE_LOAD_ENV, ADAPTER: settings.adapter },
  });
  const sockets: Socket[] = [];
  try {
    checkAdapter(localCluster, settings.adapter);
    const rooms = Math.max(1, Math.ceil(settings.connections / settings.roomSize));
    const ledger = new Ledger();
    const members = await connectMembers(localCluster, settings.connections, rooms, ledger, sockets);
    const sender = new Sender(members, ledger, mulberry32(settings.seed));
    const started = performance.now();
    const watch = watchProgress(localCluster, sockets, sender, ledger, started, opts.onProgress);
    const ticker = setInterval(watch.progress, settings.progressMs);
    await sendAtRate(sender, settings.ratePerS, started + settings.durationMs, opts.signal);
    // Settling: every ack back and every expected delivery in, or the bound passes.
    const settleEnd = performance.now() + settings.settleMs;
    while (performance.now() < settleEnd && (sender.inFlight > 0 || ledger.delivered < sender.expected)) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    clearInterval(ticker);
    watch.progress();
    ledger.dropUnaccepted(sender.accepted);
    return report(settings, rooms, performance.now() - started, sender, ledger, watch.memory);
  } finally {
    for (const s of sockets) s.disconnect();
    await localCluster.stop();
  }
}

function settle(opts: SoakOptions): Settings {
  const s: Settings = {
    connections: opts.connections,
    durationMs: opts.durationMs,
    nodes: opts.nodes ?? 3,
    adapter: opts.adapter ?? 'pubsub',
    ratePerS: opts.ratePerS ?? 50,
    roomSize: opts.roomSize ?? 10,
    seed: opts.seed ?? randomSeed(),
    progressMs: opts.progressIntervalMs ?? 5_000,
    settleMs: opts.settleMs ?? 10_000,
  };
  if (!Number.isInteger(s.connections) || s.connections < 2) throw new Error('connections must be an integer of at least 2');
  if (!(s.durationMs > 0)) throw new Error('the duration must be positive');
  if (!(s.ratePerS > 0)) throw new Error('the rate must be positive');
  return s;
}

/** A bundle built before a rename of the modes would run another adapter than asked for. */
function checkAdapter(localCluster: LocalCluster, adapter: SoakAdapter): void {
  for (const n of localCluster.nodes) {
    const running = n.logs.find((l) => l.msg === 'redis adapter ready')?.adapter;
    if (running !== adapter) {
      throw new Error(`${n.nodeId} runs the ${String(running)} adapter, not ${adapter}: rebuild the bundle (npm run build)`);
    }
  }
}

/** Every delivery, checked against what was sent: the soak's accounting. */
class Ledger {
  readonly sentAt = new Map<number, { at: number; room: string }>();
  /** `${seq}:${member index}` of every delivery seen. */
  private readonly seen = new Set<string>();
  readonly latency = new LatencyHistogram();
  delivered = 0;
  duplicates = 0;
  unexpected = 0;
  disconnects = 0;

  onMessage(member: Member, m: { text?: unknown; room?: unknown }): void {
    const seq = typeof m.text === 'string' && m.text.startsWith('soak:') ? Number(m.text.slice(5)) : NaN;
    const sent = this.sentAt.get(seq);
    if (!sent || m.room !== member.room) {
      this.unexpected++;
      return;
    }
    const key = `${seq}:${member.index}`;
    if (this.seen.has(key)) {
      this.duplicates++;
      return;
    }
    this.seen.add(key);
    this.delivered++;
    this.latency.record(performance.now() - sent.at);
  }

  /** Deliveries of messages whose ack failed were not expected; they do not count as delivered. */
  dropUnaccepted(accepted: ReadonlySet<number>): void {
    for (const key of this.seen) {
      if (!accepted.has(Number(key.slice(0, key.indexOf(':'))))) {
        this.delivered--;
        this.unexpected++;
      }
    }
  }
}

/** Opens `count` sockets round robin over the nodes, each in room `index % rooms`. */
async function connectMembers(localCluster: LocalCluster, count: number, rooms: number, ledger: Ledger, sockets: Socket[]) {
  const members: Array<Member & { roomSize(): number }> = [];
  const roomMembers = new Map<string, number>();
  for (let start = 0; start < count; start += CONNECT_SLICE) {
    const slice = Array.from({ length: Math.min(CONNECT_SLICE, count - start) }, (_, k) => start + k);
    await Promise.all(
      slice.map(async (index) => {
        const url = localCluster.nodes[index % localCluster.nodes.length].url;
        const socket = connect(url, { transports: ['websocket'], forceNew: true, reconnectionDelay: 100, reconnectionDelayMax: 1_000 });
        sockets.push(socket);
        const member: Member = { index, socket, room: `soak-${index % rooms}` };
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`socket ${index} got no session from ${url}`)), 15_000);
          socket.once('sys:session', () => {
            clearTimeout(timer);
            resolve();
          });
        });
        const ack = (await socket.timeout(15_000).emitWithAck('room:join', { room: member.room })) as { ok: boolean };
        if (!ack.ok) throw new Error(`socket ${index} could not join ${member.room}: ${JSON.stringify(ack)}`);
        roomMembers.set(member.room, (roomMembers.get(member.room) ?? 0) + 1);
        socket.on('chat:message', (m: { text?: unknown; room?: unknown }) => ledger.onMessage(member, m));
        socket.on('disconnect', () => ledger.disconnects++);
        // A reconnected socket has lost its rooms (docs/protocol.md); rejoin, though its misses count.
        socket.on('sys:session', () => void socket.emit('room:join', { room: member.room }));
        members.push({ ...member, roomSize: () => roomMembers.get(member.room) ?? 0 });
      }),
    );
  }
  return members;
}

/** Sends from random members, seeded, and counts what the server accepted. */
class Sender {
  private seq = 0;
  sent = 0;
  rejected = 0;
  readonly rejectedBy: Record<string, number> = {};
  expected = 0;
  inFlight = 0;
  readonly accepted = new Set<number>();

  constructor(
    private readonly members: ReadonlyArray<Member & { roomSize(): number }>,
    private readonly ledger: Ledger,
    private readonly rand: () => number,
  ) {}

  sendOne(): void {
    const member = this.members[Math.floor(this.rand() * this.members.length)];
    const n = ++this.seq;
    // The room is fixed, so its size now is its size when the node fans the message out.
    const size = member.roomSize();
    this.ledger.sentAt.set(n, { at: performance.now(), room: member.room });
    this.inFlight++;
    member.socket
      .timeout(10_000)
      .emitWithAck('chat:message', { room: member.room, text: `soak:${n}` })
      .then(
        (ack: { ok?: boolean; error?: { code?: string } }) => {
          if (!ack?.ok) return this.reject(ack?.error?.code ?? 'no code');
          this.sent++;
          this.expected += size;
          this.accepted.add(n);
        },
        () => this.reject('no answer'),
      )
      .finally(() => this.inFlight--);
  }

  private reject(code: string): void {
    this.rejected++;
    this.rejectedBy[code] = (this.rejectedBy[code] ?? 0) + 1;
  }
}

/** Sends on a 10 ms clock, as many as the rate has accrued, until `endAt` or the signal. */
function sendAtRate(sender: Sender, ratePerS: number, endAt: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    let due = 0;
    let last = performance.now();
    const clock = setInterval(() => {
      const now = performance.now();
      if (now >= endAt || signal?.aborted) {
        clearInterval(clock);
        resolve();
        return;
      }
      due += ((now - last) / 1000) * ratePerS;
      last = now;
      for (; due >= 1; due--) sender.sendOne();
    }, SEND_TICK_MS);
  });
}

/** RSS of a node in kB, or null where the process or /proc is gone: a soak reports what it could read. */
const rssKbOrNull = (pid: number | undefined) => {
  const s = pid === undefined ? undefined : sample(pid);
  return s ? s.rssBytes / 1024 : null;
};

/** Samples every node's RSS now (and at each progress call), and reports progress. */
function watchProgress(
  localCluster: LocalCluster,
  sockets: Socket[],
  sender: Sender,
  ledger: Ledger,
  started: number,
  onProgress: SoakOptions['onProgress'],
) {
  const memory: SoakReport['memory'] = [];
  const elapsedS = () => round((performance.now() - started) / 1000, 1);
  const sampleRss = () => {
    const rss = Object.fromEntries(localCluster.nodes.map((n) => [n.nodeId, rssKbOrNull(n.child.pid)]));
    memory.push({ atS: elapsedS(), rssKb: rss });
    return rss;
  };
  sampleRss();
  return {
    memory,
    progress: () => {
      const rss = sampleRss();
      onProgress?.({
        elapsedS: elapsedS(),
        connected: sockets.filter((s) => s.connected).length,
        sent: sender.sent,
        delivered: ledger.delivered,
        expected: sender.expected,
        p99Ms: latencyMs(ledger.latency, 0.99),
        rssKb: rss,
      });
    },
  };
}

/** A quantile in ms at 0.1 ms resolution; 0 before the first delivery. */
const latencyMs = (h: LatencyHistogram, q: number) => (h.count === 0 ? 0 : round(h.quantile(q), 1));

function report(
  settings: Settings,
  rooms: number,
  elapsedMs: number,
  sender: Sender,
  ledger: Ledger,
  memory: SoakReport['memory'],
): SoakReport {
  const { connections, durationMs, nodes, adapter, ratePerS, roomSize, seed } = settings;
  const { sent, rejected, rejectedBy, expected } = sender;
  const { delivered, duplicates, unexpected, disconnects, latency } = ledger;
  return {
    options: { connections, durationMs, nodes, adapter, ratePerS, roomSize, seed },
    rooms,
    elapsedMs: Math.round(elapsedMs),
    sent,
    rejected,
    rejectedBy,
    expected,
    delivered,
    deliveredPct: expected === 0 ? 100 : round((delivered / expected) * 100, 3),
    duplicates,
    unexpected,
    disconnects,
    latencyMs: { p50: latencyMs(latency, 0.5), p99: latencyMs(latency, 0.99), max: round(latency.maxMs, 1) },
    memory,
  };
}
