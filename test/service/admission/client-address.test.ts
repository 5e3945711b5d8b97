import type { IncomingMessage } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCluster, startLocalCluster } from '../../../local/local-cluster';
import { clientAddress } from '../../../service/src/admission/client-address';
import { closeRawSockets, JWT_ENV, openRaw } from '../../helpers/abuse';
import { freePorts } from '../../helpers/ports';

const req = (remoteAddress: string, xff?: string | string[]) =>
  ({ socket: { remoteAddress }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } }) as unknown as IncomingMessage;

describe('clientAddress: the client IP from the trusted proxy hops only', () => {
  it.each([
    ['no proxy trusted: the peer, whatever the header says', 0, req('10.0.0.9', '1.2.3.4'), '10.0.0.9'],
    ['one hop (the ALB): the address it appended', 1, req('10.0.0.9', '6.6.6.6, 1.2.3.4'), '1.2.3.4'],
    ['one hop, header repeated: the last value', 1, req('10.0.0.9', ['6.6.6.6', '1.2.3.4']), '1.2.3.4'],
    ['two hops: the second from the right', 2, req('10.0.0.9', '6.6.6.6, 1.2.3.4, 10.0.1.1'), '1.2.3.4'],
    ['more hops trusted than present: the leftmost', 3, req('10.0.0.9', '1.2.3.4'), '1.2.3.4'],
    ['no header: the peer', 1, req('10.0.0.9'), '10.0.0.9'],
    ['an IPv4-mapped peer, unmapped', 0, req('::ffff:127.0.0.1'), '127.0.0.1'],
    ['an entry that is not an address: the peer', 1, req('10.0.0.9', 'x'.repeat(300)), '10.0.0.9'],
    ['an entry with a port (ALB preserveXffClientPort)', 1, req('10.0.0.9', '1.2.3.4:5678'), '1.2.3.4'],
    ['an IPv6 entry', 1, req('10.0.0.9', '2001:db8::1'), '2001:db8::1'],
  ])('%s', (_name, hops, request, expected) => {
    expect(clientAddress(request, hops)).toBe(expected);
  });
});

describe('logs carry the client IP from the trusted proxy header', () => {
  let cluster: LocalCluster;
  beforeAll(async () => {
    const [lb, port] = await freePorts(2);
    cluster = await startLocalCluster({ ports: [port], loadBalancerPort: lb, env: JWT_ENV });
  });
  afterEach(() => closeRawSockets());
  afterAll(async () => cluster?.stop());

  it('logs a refused handshake through HAProxy with the client address, not the load balancer', async () => {
    // HAProxy reaches the node from 127.0.0.1; the client comes from 127.0.0.3.
    const raw = await openRaw(cluster.loadBalancer!.url, { auth: false, localAddress: '127.0.0.3' });
    raw.send(`40${JSON.stringify({ token: 'not-a-jwt' })}`);
    await raw.next((f) => f.startsWith('44'));
    const node = cluster.nodes[0];
    await expect.poll(() => node.logs.find((l) => l.msg === 'handshake refused')?.ip).toBe('127.0.0.3');
  });
});
