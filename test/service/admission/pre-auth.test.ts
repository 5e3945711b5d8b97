import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCluster } from '../../../local/local-cluster';
import { LB_COOKIE } from '../../../local/haproxy';
import { closeRawSockets, connectOnce, cookiesSet, floodHandshakes, httpRequest, JWT_ENV, signToken } from '../../helpers/abuse';
import { getJson, waitFor } from '../../helpers/clients';
import { startClusterBehindHaproxy } from '../../helpers/cluster';

const PER_IP = 20;
const PER_NODE = 400;

/** Authenticated clients through the load balancer, a few at a time, without retries; how many connected. */
async function connectMany(url: string, n: number): Promise<{ connected: number; failures: string[] }> {
  const token = await signToken({ sub: 'honest' });
  const failures: string[] = [];
  let connected = 0;
  for (let i = 0; i < n; i += 5) {
    const outcomes = await Promise.all(Array.from({ length: Math.min(5, n - i) }, () => connectOnce(url, { auth: { token } })));
    for (const o of outcomes) if (o === 'connected') connected++;
    failures.push(...outcomes.filter((o) => o !== 'connected'));
  }
  return { connected, failures };
}

const report = (from: string, figures: object) => console.log(`handshake flood from ${from}: ${JSON.stringify(figures)}`);

describe('pre-auth budget: token-less handshakes do not take capacity from token holders', () => {
  let cluster: LocalCluster;
  let lbUrl: string;
  beforeAll(async () => {
    cluster = await startClusterBehindHaproxy({
      env: {
        ...JWT_ENV,
        // Small tables, so that a bounded flood fills them on this shared machine.
        MAX_CONNECTIONS: '100',
        PREAUTH_MAX_SESSIONS: String(PER_NODE),
        PREAUTH_MAX_SESSIONS_PER_IP: String(PER_IP),
        PREAUTH_TIMEOUT_MS: '2000',
      },
    });
    lbUrl = cluster.loadBalancer!.url;
  });
  afterEach(() => closeRawSockets());
  afterAll(async () => cluster?.stop());

  it('keeps authenticated clients connecting through HAProxy while one IP floods node-1 with handshakes', async () => {
    const [n1] = cluster.nodes;
    // The attacker pins node-1 with the sticky cookie and comes from 127.0.0.2; the honest clients from 127.0.0.1.
    const flood = floodHandshakes({
      url: lbUrl,
      sources: ['127.0.0.2'],
      headers: { cookie: `${LB_COOKIE}=node-1` },
      concurrency: 40,
      maxRequests: 20_000,
      maxMs: 20_000,
    });
    await waitFor(
      () => flood.stats.requests,
      (n) => n >= 500,
      10_000,
    );
    const during = await connectMany(lbUrl, 40);
    const health = await getJson(`${n1.url}/healthz`);
    flood.stop();
    const stats = await flood.done;
    const after = await connectMany(lbUrl, 20);
    report('one IP', { flood: stats, during, after: after.connected, node1: health.body });
    expect(stats.opened).toBeGreaterThan(0);
    // The flood's sessions are not clients: the node counts only the sockets that authenticated.
    expect(health.body.connections).toBeLessThanOrEqual(5);
    expect(health.body.preAuthSessions).toBeLessThanOrEqual(PER_IP + 5);
    expect(stats.refused).toBeGreaterThan(0);
    expect(during.connected).toBeGreaterThanOrEqual(38);
    expect(after.connected).toBe(20);
  }, 90_000);

  it('keeps them connecting while many IPs flood node-1 past its whole pre-auth table', async () => {
    const [n1] = cluster.nodes;
    const sources = Array.from({ length: 40 }, (_, i) => `127.0.1.${i + 10}`);
    const flood = floodHandshakes({
      url: lbUrl,
      sources,
      headers: { cookie: `${LB_COOKIE}=node-1` },
      concurrency: 40,
      maxRequests: 20_000,
      maxMs: 20_000,
    });
    await waitFor(
      () => flood.stats.requests,
      (n) => n >= 500,
      10_000,
    );
    const during = await connectMany(lbUrl, 40);
    const health = await getJson(`${n1.url}/healthz`);
    flood.stop();
    const stats = await flood.done;
    const after = await connectMany(lbUrl, 20);
    report(`${sources.length} IPs`, { flood: stats, during, after: after.connected, node1: health.body });
    expect(health.body.connections).toBeLessThanOrEqual(5);
    expect(health.body.preAuthSessions).toBeLessThanOrEqual(PER_NODE + 5);
    // The table was full: the flood's oldest sessions made room for the honest ones.
    expect(n1.logs.some((l) => l.reason === 'preauth_evicted')).toBe(true);
    expect(during.connected).toBeGreaterThanOrEqual(38);
    expect(after.connected).toBe(20);
  }, 90_000);

  it('closes a session that has not authenticated within PREAUTH_TIMEOUT_MS', async () => {
    const [n1] = cluster.nodes;
    const open = await httpRequest(`${n1.url}/socket.io/?EIO=4&transport=polling`);
    const sid = /"sid":"([^"]+)"/.exec(open.body)![1];
    // The session's key cookie, as a browser keeps it: requests naming the session must bring it.
    const cookie = cookiesSet(open.headers['set-cookie']);
    const started = Date.now();
    // A long poll that the server answers when it has something to say: here, that it closes the session.
    const poll = await httpRequest(`${n1.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, {
      timeoutMs: 8_000,
      headers: { cookie },
    }).catch((err: Error) => ({
      status: 0,
      body: err.message,
    }));
    console.log(`pre-auth session closed after ${Date.now() - started} ms: ${poll.status} ${poll.body.slice(0, 40)}`);
    expect(poll.status).toBe(200);
    expect(poll.body).toBe('1');
    const again = await httpRequest(`${n1.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, { headers: { cookie } });
    expect(again.status).toBe(400);
  });
});
