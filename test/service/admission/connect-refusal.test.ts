import { once } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ServiceNode, startServiceNode } from '../../../local/service-node';
import { SERVICE_METRICS } from '../../../contract/metrics';
import { closedWithin, closeRawSockets, JWT_ENV, linesWith, openRaw } from '../../helpers/abuse';
import { startFakeCloudWatch, publishingTo } from '../../helpers/fake-cloudwatch';

const LOG_LINES_PER_S = 5;

describe('refused CONNECTs: one per connection, and their log lines are sampled', () => {
  let node: ServiceNode;
  let cloudwatch: Awaited<ReturnType<typeof startFakeCloudWatch>>;
  beforeAll(async () => {
    cloudwatch = await startFakeCloudWatch();
    node = await startServiceNode({
      env: {
        REDIS_URL: '',
        ...JWT_ENV,
        LOG_REFUSALS_PER_S: String(LOG_LINES_PER_S),
        ...publishingTo(cloudwatch.url),
      },
    });
  });
  afterEach(() => closeRawSockets());
  afterAll(async () => {
    await node?.stop();
    await cloudwatch?.close();
  });

  it('closes the connection at the first refused CONNECT, so repeating it on one connection costs nothing', async () => {
    const raw = await openRaw(node.url, { auth: false });
    const logsBefore = linesWith(node.logs, 'handshake refused').length;
    for (let i = 0; i < 50; i++) raw.send(`40${JSON.stringify({ token: `not-a-jwt-${i}` })}`);
    const closed = await closedWithin(raw, 5_000);
    const refusals = raw.frames.filter((f) => f.startsWith('44')).length;
    console.log(`50 bad CONNECTs on one connection: ${JSON.stringify({ closed, refusals })}`);
    expect(closed).toBe(true);
    expect(refusals).toBeLessThanOrEqual(1);
    // The first CONNECT is still verified (and refused); the rest were never looked at.
    await expect.poll(() => linesWith(node.logs, 'handshake refused').length - logsBefore).toBe(1);
  });

  it('writes at most LOG_REFUSALS_PER_S lines a second for many refused connections, and counts every one', async () => {
    // Two publishes later, anything counted before this test has been sent.
    for (let i = 0; i < 2; i++) await once(cloudwatch.events, 'request');
    const start = cloudwatch.received.length;
    const logsBefore = linesWith(node.logs, 'handshake refused').length;
    const n = 200;
    const started = Date.now();
    for (let i = 0; i < n; i += 10) {
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          const raw = await openRaw(node.url, { auth: false });
          raw.send(`40${JSON.stringify({ token: 'not-a-jwt' })}`);
          await raw.closed;
        }),
      );
    }
    const seconds = (Date.now() - started) / 1000;
    // Every refusal is accounted for: one line each, or in the count of a summary line.
    const accounted = () => {
      const lines = linesWith(node.logs, 'handshake refused').slice(logsBefore);
      return lines.reduce((sum, l) => sum + (typeof l.suppressed === 'number' ? l.suppressed : 1), 0);
    };
    await expect.poll(accounted, { timeout: 5_000 }).toBe(n);
    const lines = linesWith(node.logs, 'handshake refused').slice(logsBefore);
    const refusedMetric = () =>
      cloudwatch.received
        .slice(start)
        .flatMap((r) => r.body.MetricData)
        .filter((d) => d.MetricName === SERVICE_METRICS.handshakesRefused.name)
        .reduce((sum, d) => sum + d.Value, 0);
    await expect.poll(refusedMetric, { timeout: 5_000 }).toBe(n);
    console.log(`${n} refused connections in ${seconds.toFixed(1)} s: ${lines.length} log lines`);
    // Per second: the sampled lines plus one summary.
    expect(lines.length).toBeLessThanOrEqual((LOG_LINES_PER_S + 1) * (Math.ceil(seconds) + 2));
    expect(lines.every((l) => l.ip === '127.0.0.1' || typeof l.suppressed === 'number')).toBe(true);
  }, 60_000);
});
