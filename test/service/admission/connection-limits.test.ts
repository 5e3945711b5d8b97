/**
 * A user's share of a node, attacked through HAProxy on a 2-node cluster while legitimate users connect and chat: one
 * token opening sockets until it is refused, a second identity that could take a node's last slots, and guests from
 * one address. Small tables (MAX_CONNECTIONS 60) keep each attack bounded.
 */
import type { ManagerOptions, SocketOptions } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCluster } from '../../../local/local-cluster';
import { rssKb } from '../../../tools/processes';
import { closeRawSockets, connectAndHold, JWT_ENV, openRaw, type RawSocket, releaseHeldClients, signToken } from '../../helpers/abuse';
import { closeAllClients, exchange, getJson, openClient, type TestClient, unique } from '../../helpers/clients';
import { startClusterBehindHaproxy } from '../../helpers/cluster';

const MAX = 60;
/** MAX_CONNECTIONS_RESERVED_PERCENT's default, 10 %: the last 6 slots of each node. */
const RESERVED = 6;
const PER_USER = 30;
const PER_GUEST_IP = 20;
/** New legitimate users connecting during each attack, each holding its socket: 4 or so per node, within the reserve. */
const LEGIT = 8;

/**
 * Opens raw WebSocket sockets through the load balancer until 6 in a row are refused (both nodes, three times each),
 * at most `max` tries: the sockets held, and the refusals by connect_error code.
 */
async function openUntilRefused(url: string, opts: { auth?: Record<string, unknown>; localAddress?: string }, max = 4 * MAX) {
  const held: RawSocket[] = [];
  const refusals: Record<string, number> = {};
  let inARow = 0;
  for (let i = 0; i < max && inARow < 6; i++) {
    try {
      held.push(await openRaw(url, opts));
      inARow = 0;
    } catch (err) {
      const code = /"message":"([^"]+)"/.exec(String(err))?.[1] ?? String(err);
      refusals[code] = (refusals[code] ?? 0) + 1;
      inARow++;
    }
  }
  return { held: held.length, refusals };
}

/** Each node's authenticated connections (from /healthz's details: the test is on loopback) and resident memory. */
async function nodeFigures(cluster: LocalCluster) {
  return Promise.all(
    cluster.nodes.map(async (n) => ({
      node: n.nodeId,
      connections: (await getJson(`${n.url}/healthz`)).body.connections as number,
      rssMb: Math.round(rssKb(n.child.pid!) / 102.4) / 10,
    })),
  );
}

/** A WebSocket client from this loopback address (engine.io-client passes `localAddress` to ws; its types do not list it). */
const from = (localAddress: string) => ({ localAddress }) as Partial<ManagerOptions & SocketOptions>;

const report = (attack: string, figures: object) => console.log(`${attack}: ${JSON.stringify(figures)}`);

function release(): void {
  closeRawSockets();
  closeAllClients();
  releaseHeldClients();
}

/** Waits until every node is down to `atMost` connections (the sockets a test released have left). */
async function settled(cluster: LocalCluster, atMost: number): Promise<void> {
  await expect
    .poll(async () => Math.max(...(await nodeFigures(cluster)).map((f) => f.connections)), { timeout: 15_000 })
    .toBeLessThanOrEqual(atMost);
}

describe('a user’s share of a node (JWT)', () => {
  let cluster: LocalCluster;
  let lbUrl: string;
  let chatters: TestClient[];
  const room = unique('share');

  beforeAll(async () => {
    cluster = await startClusterBehindHaproxy({
      env: { ...JWT_ENV, MAX_CONNECTIONS: String(MAX), MAX_CONNECTIONS_PER_USER: String(PER_USER) },
    });
    lbUrl = cluster.loadBalancer!.url;
  });
  afterEach(() => release());
  afterAll(async () => cluster?.stop());

  /** Two chatters per node, in one room, before the attack. */
  async function chattersOnBothNodes(): Promise<TestClient[]> {
    const clients = await Promise.all(
      Array.from({ length: 4 }, async (_, i) => openClient(lbUrl, { auth: { token: await signToken({ sub: `chatter-${i}` }) } })),
    );
    for (const c of clients) await c.join(room);
    expect(new Set(clients.map((c) => c.session.node)).size).toBe(2);
    await exchange(clients, room, 'before');
    return clients;
  }

  it('one token opening sockets until refused: user_limit on each node, and new users still connect', async () => {
    chatters = await chattersOnBothNodes();
    const before = await nodeFigures(cluster);
    const token = await signToken({ sub: 'mallory' });
    const attack = await openUntilRefused(lbUrl, { auth: { token } });
    const during = await nodeFigures(cluster);
    const users = await connectAndHold(lbUrl, LEGIT, async (i) => ({ auth: { token: await signToken({ sub: `new-${i}` }) } }));
    await exchange(chatters, room, 'during');
    report('one token', { attack, before, during, newUsers: users });

    expect(Object.keys(attack.refusals)).toEqual(['user_limit']);
    expect(attack.held).toBe(2 * PER_USER);
    expect(users.connected).toBe(LEGIT);
  }, 120_000);

  it('one token’s CONNECTs all at once: no more than its share is admitted', async () => {
    await settled(cluster, 0);
    const token = await signToken({ sub: 'burst' });
    // Sent together, they are verified together: each is counted as it is admitted, not a tick later as it connects.
    const outcomes = await Promise.allSettled(Array.from({ length: 100 }, () => openRaw(lbUrl, { auth: { token } })));
    const held = outcomes.filter((o) => o.status === 'fulfilled').length;
    const figures = await nodeFigures(cluster);
    report('one token, 100 CONNECTs at once', { held, figures });
    expect(held).toBe(2 * PER_USER);
  }, 60_000);

  it('a second identity stops short of the reserved slots: server_full, and new users still connect', async () => {
    await settled(cluster, 0);
    chatters = await chattersOnBothNodes();
    const first = await openUntilRefused(lbUrl, { auth: { token: await signToken({ sub: 'mallory' }) } });
    // PER_USER would let this one take every slot left; the last RESERVED of each node are for users holding fewer than 4.
    const second = await openUntilRefused(lbUrl, { auth: { token: await signToken({ sub: 'mallory-2' }) } });
    const during = await nodeFigures(cluster);
    const users = await connectAndHold(lbUrl, LEGIT, async (i) => ({ auth: { token: await signToken({ sub: `newer-${i}` }) } }));
    const withUsers = await nodeFigures(cluster);
    await exchange(chatters, room, 'reserve');
    report('two identities', { first, second, during, newUsers: users, withUsers });

    expect(Object.keys(first.refusals)).toEqual(['user_limit']);
    expect(Object.keys(second.refusals)).toEqual(['server_full']);
    for (const node of during) expect(node.connections).toBe(MAX - RESERVED);
    expect(users.connected).toBe(LEGIT);
  }, 120_000);
});

describe('guests share a budget per address (AUTH_MODE=none)', () => {
  let cluster: LocalCluster;
  let lbUrl: string;
  const room = unique('guests');

  beforeAll(async () => {
    cluster = await startClusterBehindHaproxy({
      env: { MAX_CONNECTIONS: String(MAX), MAX_CONNECTIONS_PER_GUEST_IP: String(PER_GUEST_IP) },
    });
    lbUrl = cluster.loadBalancer!.url;
  });
  afterEach(() => release());
  afterAll(async () => cluster?.stop());

  it('guests from one address opening sockets until refused: guest_ip_limit, and guests elsewhere still connect', async () => {
    // Every client has its own loopback address, as every user of the internet has its own (or its NAT's).
    const chatters = await Promise.all(Array.from({ length: 4 }, (_, i) => openClient(lbUrl, from(`127.0.0.${20 + i}`))));
    for (const c of chatters) await c.join(room);
    expect(new Set(chatters.map((c) => c.session.node)).size).toBe(2);
    const before = await nodeFigures(cluster);
    const attack = await openUntilRefused(lbUrl, { localAddress: '127.0.0.2' });
    const during = await nodeFigures(cluster);
    const users = await connectAndHold(lbUrl, LEGIT, (i) => from(`127.0.0.${30 + i}`));
    await exchange(chatters, room, 'guests');
    report('guests from one address', { attack, before, during, newUsers: users });

    expect(Object.keys(attack.refusals)).toEqual(['guest_ip_limit']);
    expect(attack.held).toBe(2 * PER_GUEST_IP);
    expect(users.connected).toBe(LEGIT);
  }, 120_000);
});
