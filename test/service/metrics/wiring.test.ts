import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCluster, startLocalCluster } from '../../../local/local-cluster';
import { METRICS_NAMESPACE, SERVICE_DIMENSION, SERVICE_METRICS } from '../../../contract/metrics';
import { closeAllClients, openClient } from '../../helpers/clients';
import { type Received, startFakeCloudWatch, publishingTo } from '../../helpers/fake-cloudwatch';
import { freePorts } from '../../helpers/ports';

type Fake = Awaited<ReturnType<typeof startFakeCloudWatch>>;

/** The value of one metric in one PutMetricData body. */
const valueOf = (r: Received, name: string) => r.body.MetricData.find((d) => d.MetricName === name)?.Value;

describe('metrics published by running nodes', () => {
  let cloudwatch: Fake;
  let cluster: LocalCluster;
  beforeAll(async () => {
    cloudwatch = await startFakeCloudWatch();
    cluster = await startLocalCluster({
      ports: await freePorts(2),
      env: {
        ...publishingTo(cloudwatch.url),
        METRICS_SERVICE_NAME: 'wiring-test',
      },
    });
  });
  afterEach(() => closeAllClients());
  afterAll(async () => {
    await cluster?.stop();
    await cloudwatch?.close();
  });

  it('counts events in and deliveries to local sockets, local and from other nodes, under the shared names', async () => {
    const [n1, n2] = cluster.nodes;
    const local = await Promise.all([openClient(n1.url), openClient(n1.url), openClient(n1.url)]);
    const remote = await openClient(n2.url);
    // Every event that passes the limits counts in (MessagesIn), whatever it is: the joins too.
    const start = cloudwatch.received.length;
    for (const c of [...local, remote]) expect(await c.request('room:join', { room: 'm' })).toMatchObject({ ok: true });
    // Two from node 1, one from node 2: node 1 writes 3 sockets × 3 messages, node 2 one socket × 3. Node 1's events in:
    // three room:join and two chat:message.
    for (const [client, text] of [
      [local[0], 'a'],
      [local[1], 'b'],
      [remote, 'c'],
    ] as const) {
      expect(await client.request('chat:message', { room: 'm', text })).toMatchObject({ ok: true });
    }
    for (const c of [...local, remote]) await c.nextMessage((m) => m.text === 'c');

    const totals = () => {
      const perNode = new Map<string, { in: number; delivered: number; clients: number }>();
      cloudwatch.received.slice(start).forEach((r, i) => {
        // Each node publishes its own series; tell them apart by ConnectedClients.
        const key = valueOf(r, SERVICE_METRICS.connectedClients.name) === 3 ? 'node-1' : `other-${i}`;
        const t = perNode.get(key) ?? { in: 0, delivered: 0, clients: 0 };
        t.in += valueOf(r, SERVICE_METRICS.messagesIn.name) ?? 0;
        t.delivered += valueOf(r, SERVICE_METRICS.messagesDelivered.name) ?? 0;
        t.clients = valueOf(r, SERVICE_METRICS.connectedClients.name) ?? 0;
        perNode.set(key, t);
      });
      return perNode.get('node-1');
    };
    await expect.poll(() => totals(), { timeout: 10_000 }).toEqual({ in: 5, delivered: 9, clients: 3 });
    const sample = cloudwatch.received.at(-1)!;
    expect(sample.body.Namespace).toBe(METRICS_NAMESPACE);
    expect(sample.body.MetricData[0].Dimensions).toEqual([{ Name: SERVICE_DIMENSION, Value: 'wiring-test' }]);
  });
});
