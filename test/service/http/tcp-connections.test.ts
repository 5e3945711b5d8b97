/**
 * MAX_TCP_CONNECTIONS (the HTTP server's maxConnections): silent TCP connections opened straight to a node, as from inside
 * the VPC, past the node's cap, on a 2-node cluster behind HAProxy where legitimate users connect and chat meanwhile.
 */
import { Agent } from 'node:http';
import { connect as tcpConnect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCluster } from '../../../local/local-cluster';
import { rssKb } from '../../../tools/processes';
import { connectAndHold, httpRequest, JWT_ENV, rawHttp, releaseHeldClients, signToken } from '../../helpers/abuse';
import { closeAllClients, exchange, openClient, unique, waitFor } from '../../helpers/clients';
import { startClusterBehindHaproxy } from '../../helpers/cluster';

/** At least MAX_CONNECTIONS + PREAUTH_MAX_SESSIONS (100), as the service requires. */
const MAX_TCP = 150;
const FLOOD = 400;

/** `n` TCP connections to `port`, opened and never written to; counts those the server closed. */
function openSilent(port: number, n: number) {
  const sockets: Socket[] = [];
  let closed = 0;
  for (let i = 0; i < n; i++) {
    const s = tcpConnect(port, '127.0.0.1');
    s.on('error', () => undefined);
    s.on('close', () => closed++);
    sockets.push(s);
  }
  return {
    closed: () => closed,
    destroy: () => sockets.forEach((s) => s.destroy()),
  };
}

describe('MAX_TCP_CONNECTIONS: a node holds a bounded number of TCP connections', () => {
  let cluster: LocalCluster;
  beforeAll(async () => {
    cluster = await startClusterBehindHaproxy({
      env: {
        ...JWT_ENV,
        MAX_CONNECTIONS: '60',
        PREAUTH_MAX_SESSIONS: '40',
        PREAUTH_MAX_SESSIONS_PER_IP: '40',
        MAX_TCP_CONNECTIONS: String(MAX_TCP),
      },
    });
  });
  afterAll(async () => {
    closeAllClients();
    releaseHeldClients();
    await cluster?.stop();
  });

  it('refuses TCP connections past the cap at once, and serves the connections it holds', async () => {
    const [n1] = cluster.nodes;
    const lbUrl = cluster.loadBalancer!.url;
    const room = unique('tcp');
    const chatters = await Promise.all(
      Array.from({ length: 4 }, async (_, i) => openClient(lbUrl, { auth: { token: await signToken({ sub: `chatter-${i}` }) } })),
    );
    for (const c of chatters) await c.join(room);
    expect(new Set(chatters.map((c) => c.session.node)).size).toBe(2);
    // An HTTP keep-alive connection to node-1 opened before the flood, as the load balancer keeps its own.
    const keptAlive = new Agent({ keepAlive: true, maxSockets: 1 });
    expect((await httpRequest(`${n1.url}/healthz`, { agent: keptAlive })).status).toBe(200);
    const rssBefore = rssKb(n1.child.pid!);

    const flood = openSilent(n1.port, FLOOD);
    try {
      // Every connection past the cap is closed by the node as soon as it is accepted; on the old code none was.
      await waitFor(
        () => flood.closed(),
        (n) => n >= FLOOD - MAX_TCP,
        15_000,
      );
      const rssDuring = rssKb(n1.child.pid!);
      const fresh = await rawHttp(n1.port, 'GET /healthz HTTP/1.1\r\nHost: node\r\n\r\n');
      const reused = await httpRequest(`${n1.url}/healthz`, { agent: keptAlive });
      await exchange(chatters, room, 'during');
      // One try each: those HAProxy sends to node-1 before its health checks (refused too) mark it down are cut.
      const firstTry = await connectAndHold(lbUrl, 8, async (i) => ({ auth: { token: await signToken({ sub: `new-${i}` }) } }));
      // As the client library does it, retrying: the load balancer sends the retries to node-2.
      const retrying = await Promise.allSettled(
        Array.from({ length: 8 }, async (_, i) => openClient(lbUrl, { auth: { token: await signToken({ sub: `retry-${i}` }) } })),
      );
      const lbView = await cluster.loadBalancer!.serverStates();
      console.log(
        `silent TCP connections to node-1: ${JSON.stringify({
          flood: FLOOD,
          held: FLOOD - flood.closed(),
          closedByNode: flood.closed(),
          rssMb: { before: Math.round(rssBefore / 1024), during: Math.round(rssDuring / 1024) },
          freshRequest: fresh,
          keptAliveRequest: reused.status,
          newUsersThroughHaproxy: { firstTry, retrying: retrying.filter((r) => r.status === 'fulfilled').length },
          haproxy: lbView,
        })}`,
      );
      expect(FLOOD - flood.closed()).toBeLessThanOrEqual(MAX_TCP);
      expect(fresh.statusLine).not.toMatch(/^HTTP/);
      expect(reused.status).toBe(200);
      expect(retrying.filter((r) => r.status === 'fulfilled')).toHaveLength(8);
    } finally {
      flood.destroy();
      keptAlive.destroy();
    }
    // Once the flood is gone, node-1 takes new connections again.
    await waitFor(
      () => rawHttp(n1.port, 'GET /healthz HTTP/1.1\r\nHost: node\r\n\r\n'),
      (r) => r.statusLine === 'HTTP/1.1 200 OK',
      10_000,
    );
  }, 120_000);
});
