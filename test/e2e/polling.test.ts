import { io as connect } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LB_COOKIE } from '../../local/haproxy';
import type { LocalCluster } from '../../local/local-cluster';
import { closeAllClients, exchange, openClient } from '../helpers/clients';
import { startLocalClusterBehindHaproxy } from './helpers';

const HANDSHAKE = '/socket.io/?EIO=4&transport=polling';

describe('e2e: long-polling through the load balancer', () => {
  let cluster: LocalCluster;
  beforeAll(async () => {
    cluster = await startLocalClusterBehindHaproxy();
  });
  afterEach(() => closeAllClients());
  afterAll(async () => cluster?.stop());

  it(`sets ${LB_COOKIE} on a new session (httponly, with its last-seen date), and routes requests that carry it to its node`, async () => {
    const first = await fetch(`${cluster.url}/healthz`);
    const { node } = (await first.json()) as { node: string };
    const set = first.headers.getSetCookie();
    expect(set).toEqual([expect.stringMatching(new RegExp(`^${LB_COOKIE}=${node}\\|\\w+; path=/; HttpOnly$`))]);
    const cookie = set[0].split(';')[0];
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${cluster.url}/healthz`, { headers: { cookie } });
      expect(((await res.json()) as { node: string }).node).toBe(node);
      // At most a refresh of the last-seen date, for the same node.
      for (const again of res.headers.getSetCookie()) expect(again).toMatch(new RegExp(`^${LB_COOKIE}=${node}\\|`));
    }
    // Without it, round robin: consecutive requests go to every node in turn.
    const nodes = new Set<string>();
    for (let i = 0; i < 6; i++) nodes.add(((await (await fetch(`${cluster.url}/healthz`)).json()) as { node: string }).node);
    expect([...nodes].sort()).toEqual(['node-1', 'node-2', 'node-3']);
  });

  it('spreads polling clients over the nodes, keeps each on its node, and they chat across nodes', async () => {
    const clients = await Promise.all(
      Array.from({ length: 6 }, () => openClient(cluster.url, { transports: ['polling'], withCredentials: true })),
    );
    expect(new Set(clients.map((c) => c.session.node)).size).toBeGreaterThan(1);
    const room = `polling-${process.pid}`;
    for (const c of clients) await c.join(room);
    // Dozens of polling requests each; one landing on another node would end its session.
    await exchange(clients, room, 'over polling');
    await exchange(clients, room, 'again');
    for (const c of clients) {
      expect(c.socket.io.engine.transport.name).toBe('polling');
      expect(c.sessions).toHaveLength(1);
      expect(c.socket.connected).toBe(true);
    }
    expect(await clients[0].request('room:members', { room })).toEqual({ ok: true, room, count: 6 });
  });

  // Text that AWS WAF's core rule set blocks in a body (docs/security.md); the prod WAF counts those rules instead.
  it('delivers chat text with HTML, ../, an IPv4 URL and the metadata address, sent as polling POSTs, to another client', async () => {
    const [from, to] = await Promise.all([0, 1].map(() => openClient(cluster.url, { transports: ['polling'], withCredentials: true })));
    const room = `waf-texts-${process.pid}`;
    for (const c of [from, to]) await c.join(room);
    for (const text of [
      '<script>alert("hi")</script>',
      '<img src=x onerror=alert(1)>',
      'the config is in ../../etc/app.conf',
      'my box: http://203.0.113.7/admin',
      'never curl http://169.254.169.254/latest/meta-data/',
    ]) {
      const id = await from.send(text, room);
      expect((await to.nextMessage((m) => m.id === id)).text).toBe(text);
    }
    for (const c of [from, to]) {
      expect(c.socket.io.engine.transport.name).toBe('polling');
      expect(c.sessions).toHaveLength(1);
    }
  });

  it('with the session key but not the stickiness cookie, the next request reaches a node that does not know the session', async () => {
    const open = await fetch(`${cluster.url}${HANDSHAKE}`);
    expect(open.status).toBe(200);
    const { sid } = JSON.parse((await open.text()).slice(1)) as { sid: string };
    // The stickiness cookie, and the session's key, which every request naming the session must bring (docs/security.md).
    const cookies = open.headers.getSetCookie().map((c) => c.split(';')[0]);
    const key = cookies.find((c) => !c.startsWith(`${LB_COOKIE}=`))!;
    const cookie = cookies.join('; ');

    const post = (headers: Record<string, string>) =>
      fetch(`${cluster.url}${HANDSHAKE}&sid=${sid}`, {
        method: 'POST',
        body: '40',
        headers: { 'content-type': 'text/plain;charset=UTF-8', ...headers },
      });
    const lost = await post({ cookie: key });
    expect(lost.status).toBe(400);
    expect(await lost.json()).toEqual({ code: 1, message: 'Session ID unknown' });
    const sticky = await post({ cookie });
    expect(sticky.status).toBe(200);
    expect(await sticky.text()).toBe('ok');
  });

  it('so a polling client that drops the cookie (withCredentials: false) never gets a session', async () => {
    const socket = connect(cluster.url, { transports: ['polling'], withCredentials: false, reconnection: false, forceNew: true });
    try {
      const outcome = await new Promise<string>((resolve) => {
        socket.once('sys:session', () => resolve('session'));
        socket.once('connect_error', (err) => resolve(`connect_error: ${err.message}`));
        socket.once('disconnect', (reason) => resolve(`disconnect: ${reason}`));
      });
      // The long poll or the CONNECT packet's POST, whichever reaches a stranger node first.
      expect(outcome).toMatch(/^connect_error: xhr (poll|post) error$/);
      expect(socket.connected).toBe(false);
    } finally {
      socket.disconnect();
    }
  });
});
