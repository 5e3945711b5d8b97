/**
 * Issue 22, point 3: a user who owns its audience amplifies its own broadcasts. One user holds hundreds of idle sockets
 * on each of two nodes behind HAProxy and sends short room-less chat messages at its own per-user event limit, so that
 * every message is written to all of its sockets on both nodes; eight legitimate users chat across the nodes meanwhile.
 * The limits are scaled down from the defaults so that the storm is bounded in count and time on a shared machine.
 */
import type { Socket as NetSocket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LB_COOKIE } from '../../../local/haproxy';
import { type LocalCluster } from '../../../local/local-cluster';
import { closeRawSockets, connectOnce, httpRequest, JWT_ENV, openRaw, percentiles, type RawSocket, signToken } from '../../helpers/abuse';
import { closeAllClients, openClient, type TestClient } from '../../helpers/clients';
import { rssKb } from '../../../tools/processes';
import { startClusterBehindHaproxy } from '../../helpers/cluster';

const NODES = ['node-1', 'node-2'];
/** The attacker's idle sockets on each node: its audience. */
const SINKS_PER_NODE = 300;
/** Events one user's sockets on a node may send per second (RATE_LIMIT_PER_USER): the attacker sends at it. */
const USER_EVENTS_PER_S = 200;
/** Deliveries one user's messages may cause per second on a node, and its burst (USER_DELIVERIES_*), scaled down. */
const USER_DELIVERIES_PER_S = 3_000;
const USER_DELIVERIES_BURST = 6_000;
const STORM_MS = 8_000;
const LEGIT_USERS = 8;
const LEGIT_INTERVAL_MS = 250;

const ENV: NodeJS.ProcessEnv = {
  ...JWT_ENV,
  RATE_LIMIT_PER_USER: String(USER_EVENTS_PER_S),
  RATE_LIMIT_PER_USER_BURST: String(USER_EVENTS_PER_S),
  RATE_LIMIT_PER_SOCKET: String(USER_EVENTS_PER_S),
  RATE_LIMIT_PER_SOCKET_BURST: String(USER_EVENTS_PER_S),
  USER_DELIVERIES_PER_S: String(USER_DELIVERIES_PER_S),
  USER_DELIVERIES_BURST: String(USER_DELIVERIES_BURST),
  // The legitimate clients read in this test's own process: a stall of it must not get them cut as slow consumers,
  // which would measure this machine, not the node.
  SLOW_CONSUMER_MAX_PACKETS: '1000000',
  SLOW_CONSUMER_MAX_BUFFERED_BYTES: '1073741824',
  // The sinks stop reading frames (and answering pings) once connected: the test outlasts no heartbeat.
  PING_INTERVAL_MS: '120000',
  PREAUTH_MAX_SESSIONS_PER_IP: '1000',
  // A user allowed hundreds of sockets a node (a backend's cap raised, or a shared account): the audience it owns.
  MAX_CONNECTIONS_PER_USER: '1000',
  // The service's default (vitest.config.ts turns shedding off for the other tests): the storm meets the shedding it would meet.
  SHED_LOAD_LAG_MS: '200',
};

const pinned = (node: string) => ({ cookie: `${LB_COOKIE}=${node}` });

/** An idle socket of the attacker that counts the bytes written to it and parses none of them (a cheap reader). */
interface Sink {
  readonly raw: RawSocket;
  bytes: number;
}

async function openSink(url: string, node: string, token: string): Promise<Sink> {
  const raw = await openRaw(url, { headers: pinned(node), auth: { token } });
  const sink: Sink = { raw, bytes: 0 };
  const net = (raw.ws as unknown as { _socket: NetSocket })._socket;
  net.removeAllListeners('data');
  net.on('data', (chunk: Buffer) => (sink.bytes += chunk.length));
  net.resume();
  return sink;
}

interface AttackerAcks {
  sent: number;
  ok: number;
  refused: Record<string, number>;
  messages: Set<string>;
}

/** Sends room-less chat messages with acks at `ratePerS` (catching up after a stall, never past one second's worth). */
function storm(sender: RawSocket, ratePerS: number, ms: number): Promise<AttackerAcks> {
  const acks: AttackerAcks = { sent: 0, ok: 0, refused: {}, messages: new Set() };
  sender.ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    const m = /^43\d+(\[.*)$/s.exec(data.toString());
    if (!m) return;
    const [answer] = JSON.parse(m[1]) as [{ ok: boolean; error?: { code: string; message: string } }];
    if (answer.ok) acks.ok++;
    else {
      acks.refused[answer.error!.code] = (acks.refused[answer.error!.code] ?? 0) + 1;
      // One of each kind: the figures in them (the wait) vary.
      acks.messages.add(answer.error!.message.replace(/\d+ s$/, 'N s'));
    }
  });
  const started = performance.now();
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - started;
      if (elapsed >= ms || !sender.isOpen()) {
        clearInterval(timer);
        resolve(acks);
        return;
      }
      const due = Math.min(Math.floor((elapsed * ratePerS) / 1000) - acks.sent, ratePerS);
      for (let i = 0; i < due; i++) sender.send(`42${++acks.sent}["chat:message",{"text":"storm"}]`);
    }, 10);
  });
}

interface LegitFigures {
  sent: number;
  ok: number;
  refused: Record<string, number>;
  ackMs: number[];
  /** Accepted messages, by id, with the node they were sent on. */
  accepted: Map<string, string>;
}

/** Each legitimate user sends a message to the shared room every LEGIT_INTERVAL_MS until `ms` has passed. */
async function chat(users: TestClient[], room: string, ms: number): Promise<LegitFigures> {
  const figures: LegitFigures = { sent: 0, ok: 0, refused: {}, ackMs: [], accepted: new Map() };
  const until = performance.now() + ms;
  await Promise.all(
    users.map(async (user, u) => {
      const inFlight: Array<Promise<void>> = [];
      for (let i = 0; performance.now() < until; i++) {
        figures.sent++;
        const t0 = performance.now();
        inFlight.push(
          user.request<{ id: string }>('chat:message', { room, text: `legit ${u} ${i}` }).then(
            (ack) => {
              figures.ackMs.push(performance.now() - t0);
              if (ack.ok) {
                figures.ok++;
                figures.accepted.set(ack.id, user.session.node);
              } else figures.refused[ack.error.code] = (figures.refused[ack.error.code] ?? 0) + 1;
            },
            () => void (figures.refused.timeout = (figures.refused.timeout ?? 0) + 1),
          ),
        );
        await new Promise((r) => setTimeout(r, LEGIT_INTERVAL_MS));
      }
      await Promise.all(inFlight);
    }),
  );
  return figures;
}

/** /readyz through the load balancer and a fresh authenticated connect, every `everyMs`, until `stop()`. */
function probe(url: string, token: string, everyMs: number) {
  const readyMs: number[] = [];
  const connectMs: number[] = [];
  const connectOutcomes: Record<string, number> = {};
  let stopped = false;
  const loop = async (once: () => Promise<void>) => {
    while (!stopped) {
      const next = new Promise((r) => setTimeout(r, everyMs));
      await once();
      await next;
    }
  };
  const done = Promise.all([
    loop(async () => {
      const t0 = performance.now();
      await httpRequest(`${url}/readyz`, { timeoutMs: 10_000 }).catch(() => undefined);
      readyMs.push(performance.now() - t0);
    }),
    loop(async () => {
      const t0 = performance.now();
      const outcome = await connectOnce(url, { transports: ['websocket'], auth: { token } }, 10_000);
      connectMs.push(performance.now() - t0);
      connectOutcomes[outcome] = (connectOutcomes[outcome] ?? 0) + 1;
    }),
  ]);
  return {
    async stop() {
      stopped = true;
      await done;
      return { readyz: percentiles(readyMs), connect: percentiles(connectMs), connectOutcomes };
    },
  };
}

interface Scenario {
  /** The attacker's idle sockets on each node. */
  readonly sinks: Readonly<Record<string, number>>;
  /** The nodes it sends from, one socket each, each at its per-user event limit. */
  readonly senders: readonly string[];
  readonly ms: number;
}

/** Runs a storm with the legitimate users chatting across the nodes meanwhile; returns what each side saw. */
async function runStorm(url: string, cluster: LocalCluster, scenario: Scenario) {
  const attacker = await signToken({ sub: `storm-owner-${Object.values(scenario.sinks).join('-')}` });
  const sinks = new Map<string, Sink[]>();
  for (const node of NODES) {
    const list: Sink[] = [];
    const count = scenario.sinks[node] ?? 0;
    for (let i = 0; i < count; i += 25) {
      list.push(...(await Promise.all(Array.from({ length: Math.min(25, count - i) }, () => openSink(url, node, attacker)))));
    }
    sinks.set(node, list);
  }
  const senders = await Promise.all(scenario.senders.map((node) => openRaw(url, { headers: pinned(node), auth: { token: attacker } })));
  const room = `lobby-${Object.values(scenario.sinks).join('-')}`;
  const legit = await Promise.all(
    Array.from({ length: LEGIT_USERS }, async (_, i) => {
      const client = await openClient(url, { auth: { token: await signToken({ sub: `legit-${i}` }) }, extraHeaders: pinned(NODES[i % 2]) });
      await client.join(room);
      return client;
    }),
  );
  expect(new Set(legit.map((c) => c.session.node))).toEqual(new Set(NODES));
  const received = (node: string) => sinks.get(node)!.reduce((n, s) => n + s.bytes, 0);
  const before = new Map(NODES.map((node) => [node, received(node)]));
  const rssBefore = cluster.nodes.map((n) => rssKb(n.child.pid!));

  const probes = probe(url, await signToken({ sub: 'prober' }), 250);
  const started = performance.now();
  const [attack, figures] = await Promise.all([
    Promise.all(senders.map((s) => storm(s, USER_EVENTS_PER_S, scenario.ms))),
    chat(legit, room, scenario.ms),
  ]);
  const latency = await probes.stop();
  const rssDuring = cluster.nodes.map((n) => rssKb(n.child.pid!));
  // Every accepted legitimate message reaches every other member, on both nodes.
  const undelivered = () => legit.flatMap((c) => [...figures.accepted.keys()].filter((id) => !c.messages.some((m) => m.id === id))).length;
  const deadline = performance.now() + 15_000;
  while (undelivered() > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  const elapsedS = (performance.now() - started) / 1000;

  // The attacker's messages as its sinks received them: the frames of one message are all alike, so bytes / frame length.
  const sample = legit[0].messages.find((m) => m.text === 'storm');
  const frameBytes = sample ? Buffer.byteLength(`42${JSON.stringify(['chat:message', sample])}`) + 2 : NaN;
  const deliveriesPerNode = Object.fromEntries(NODES.map((node) => [node, Math.round((received(node) - before.get(node)!) / frameBytes)]));
  const successRate = figures.ok / figures.sent;
  const result = {
    legit: { sent: figures.sent, ok: figures.ok, successRate: Math.round(successRate * 1000) / 10, refused: figures.refused },
    legitAckMs: percentiles(figures.ackMs),
    undelivered: undelivered(),
    attacker: attack.map((a) => ({ sent: a.sent, ok: a.ok, refused: a.refused, messages: [...a.messages] })),
    attackerDeliveriesPerNode: deliveriesPerNode,
    nodeRssMB: cluster.nodes.map((n, i) => `${n.nodeId} ${Math.round(rssBefore[i] / 1024)}→${Math.round(rssDuring[i] / 1024)}`),
    stormS: Math.round(elapsedS * 10) / 10,
    ...latency,
  };
  console.log(`fan-out storm ${JSON.stringify(scenario)}: ${JSON.stringify(result)}`);
  return { result, attack, successRate, elapsedS, deliveriesPerNode };
}

/** What one node may write of one user's messages: the burst, the rate over the time, one message past it, and slack. */
const budgetBound = (elapsedS: number, audience: number) =>
  (USER_DELIVERIES_BURST + USER_DELIVERIES_PER_S * elapsedS + 2 * audience) * 1.25;

describe('a user writing room-less messages to its own hundreds of sockets on two nodes', () => {
  let cluster: LocalCluster;
  let url: string;
  beforeAll(async () => {
    cluster = await startClusterBehindHaproxy({ env: ENV });
    url = cluster.loadBalancer!.url;
  }, 60_000);
  afterEach(() => {
    closeAllClients();
    closeRawSockets();
  });
  afterAll(async () => cluster?.stop());

  it('slows only itself: the legitimate users keep chatting across nodes, the attacker is refused', { timeout: 180_000 }, async () => {
    const scenario = { sinks: { 'node-1': SINKS_PER_NODE, 'node-2': SINKS_PER_NODE }, senders: NODES, ms: STORM_MS };
    const { result, attack, successRate, elapsedS, deliveriesPerNode } = await runStorm(url, cluster, scenario);
    expect(successRate).toBeGreaterThanOrEqual(0.95);
    expect(result.undelivered).toBe(0);
    // The attacker is refused, and told which budget it is over.
    for (const a of attack) {
      expect(a.refused.rate_limited ?? 0).toBeGreaterThan(0);
      expect([...a.messages].join(' ')).toMatch(/USER_DELIVERIES_PER_S/);
    }
    // Each node wrote at most its budget of the attacker's messages: its own and the other node's together.
    for (const node of NODES) expect(deliveriesPerNode[node]).toBeLessThanOrEqual(budgetBound(elapsedS, SINKS_PER_NODE));
  });

  it('bounds the node that holds the audience when the messages are sent from the other one', { timeout: 180_000 }, async () => {
    // node-1 writes a few deliveries per message (the legitimate users there), so it never refuses the sender; node-2
    // writes every message to all the sinks, and stops writing them once the user is over its budget there.
    const scenario = { sinks: { 'node-2': SINKS_PER_NODE }, senders: ['node-1'], ms: STORM_MS / 2 };
    const { result, successRate, elapsedS, deliveriesPerNode } = await runStorm(url, cluster, scenario);
    expect(successRate).toBeGreaterThanOrEqual(0.95);
    expect(result.undelivered).toBe(0);
    expect(deliveriesPerNode['node-2']).toBeLessThanOrEqual(budgetBound(elapsedS, SINKS_PER_NODE));
  });
});
