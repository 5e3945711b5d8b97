import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCluster, startLocalCluster } from '../../../local/local-cluster';
import { httpRequest, rawHttp } from '../../helpers/abuse';
import { freePorts } from '../../helpers/ports';

const HEALTH_TOKEN = 'a-health-details-token-of-32-chars-or-more';

const upgrade = (path: string) =>
  `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

describe('no gateway errors for bad requests, and /healthz details only for trusted callers', () => {
  let cluster: LocalCluster;
  let lbPort: number;
  beforeAll(async () => {
    const [lb, port] = await freePorts(2);
    lbPort = lb;
    cluster = await startLocalCluster({ ports: [port], loadBalancerPort: lb, env: { HEALTH_DETAILS_TOKEN: HEALTH_TOKEN } });
  });
  afterAll(async () => cluster?.stop());

  it.each(['/', '/nope', '/healthz', '/socket.iox/'])(
    'answers an upgrade to %s with an immediate 4xx, through HAProxy too',
    async (path) => {
      const node = cluster.nodes[0];
      const direct = await rawHttp(node.port, upgrade(path));
      const through = await rawHttp(lbPort, upgrade(path));
      console.log(
        `upgrade to ${path}: direct ${direct.statusLine} in ${direct.afterMs} ms, ` +
          `through HAProxy ${through.statusLine} in ${through.afterMs} ms`,
      );
      expect(direct.statusLine).toMatch(/^HTTP\/1\.1 4\d\d /);
      expect(through.statusLine).toMatch(/^HTTP\/1\.1 4\d\d /);
    },
  );

  it.each([
    ['DELETE', '/healthz', 405],
    ['POST', '/readyz', 405],
    ['PUT', '/', 405],
    ['PATCH', '/nope', 404],
    ['OPTIONS', '/healthz', 405],
    ['BREW', '/', 400],
  ])('answers %s %s with %i, through HAProxy too', async (method, path, status) => {
    const direct = await rawHttp(cluster.nodes[0].port, `${method} ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`);
    const through = await rawHttp(lbPort, `${method} ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`);
    expect(direct.statusLine).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(through.statusLine).toMatch(/^HTTP\/1\.1 4\d\d /);
  });

  it('answers the HTTP CONNECT method with a 4xx instead of dropping the connection', async () => {
    const direct = await rawHttp(cluster.nodes[0].port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    const through = await rawHttp(lbPort, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    console.log(`CONNECT: direct ${direct.statusLine}, through HAProxy ${through.statusLine}`);
    expect(direct.statusLine).toMatch(/^HTTP\/1\.1 4\d\d /);
    expect(through.statusLine).toMatch(/^HTTP\/1\.1 4\d\d /);
  });

  it('shows the internet only status and node on /healthz and /readyz; details go to loopback callers and the token', async () => {
    const lb = `http://127.0.0.1:${lbPort}`;
    const publicHealth = JSON.parse((await httpRequest(`${lb}/healthz`)).body) as Record<string, unknown>;
    expect(publicHealth).toEqual({ status: 'ok', node: 'node-1' });
    const publicReady = await httpRequest(`${lb}/readyz`);
    expect(publicReady.status).toBe(200);
    expect(JSON.parse(publicReady.body)).toEqual({ status: 'ready', node: 'node-1' });
    // A forged X-Forwarded-For cannot make a proxied request look local.
    const forged = JSON.parse((await httpRequest(`${lb}/healthz`, { headers: { 'x-forwarded-for': '127.0.0.1' } })).body) as object;
    expect(Object.keys(forged).sort()).toEqual(['node', 'status']);
    const wrongToken = JSON.parse(
      (await httpRequest(`${lb}/healthz`, { headers: { authorization: `Bearer ${HEALTH_TOKEN}x` } })).body,
    ) as object;
    expect(Object.keys(wrongToken).sort()).toEqual(['node', 'status']);

    const withToken = JSON.parse(
      (await httpRequest(`${lb}/healthz`, { headers: { authorization: `Bearer ${HEALTH_TOKEN}` } })).body,
    ) as object;
    const direct = JSON.parse((await httpRequest(`${cluster.nodes[0].url}/healthz`)).body) as object;
    for (const details of [withToken, direct]) {
      expect(details).toMatchObject({
        status: 'ok',
        node: 'node-1',
        lifecycle: 'ready',
        redis: 'ready',
        connections: 0,
        preAuthSessions: 0,
        partialPacketBytes: 0,
      });
      expect(details).toHaveProperty('uptimeS');
      expect(details).toHaveProperty('memory.heapUsedBytes', expect.any(Number));
    }
    expect(JSON.parse((await httpRequest(`${cluster.nodes[0].url}/readyz`)).body)).toEqual({
      status: 'ready',
      node: 'node-1',
      redis: 'ready',
    });
  });
});
