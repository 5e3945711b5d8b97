import { captureLogs } from '../../helpers/logs';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { Config } from '../../../service/src/config';
import { METRICS_NAMESPACE, SERVICE_DIMENSION, SERVICE_METRICS } from '../../../contract/metrics';
import { createMetrics, MAX_DATA_PER_REQUEST, type MetricsOptions } from '../../../service/src/metrics/publisher';
import { type Mode, startFakeCloudWatch, type WireDatum } from '../../helpers/fake-cloudwatch';

// Counts constructions, so the disabled case can prove it never builds a client.
const constructed = vi.hoisted(() => ({ configs: [] as unknown[] }));
vi.mock('@aws-sdk/client-cloudwatch', async (importOriginal) => {
  const mod = await importOriginal<typeof import('@aws-sdk/client-cloudwatch')>();
  class CountedCloudWatchClient extends mod.CloudWatchClient {
    constructor(...args: ConstructorParameters<typeof mod.CloudWatchClient>) {
      super(...args);
      constructed.configs.push(args[0]);
    }
  }
  return { ...mod, CloudWatchClient: CountedCloudWatchClient };
});

const INTERVAL = 60_000;
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const SERVICE = 'chat-test';

async function unusedPort(): Promise<number> {
  const s = http.createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as AddressInfo;
  s.close();
  await once(s, 'close');
  return port;
}

function clientFor(endpoint: string): CloudWatchClient {
  return new CloudWatchClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDTESTTESTTEST', secretAccessKey: 'test-secret' },
    maxAttempts: 1,
  });
}

function metricsConfig(over: Partial<Config['metrics']> = {}): Config['metrics'] {
  return { enabled: true, intervalMs: INTERVAL, serviceName: SERVICE, maxBuffered: 1_000, ...over };
}

/**
 * Blocks the event loop for real, then lets one whole timers phase run (setImmediate comes
 * after it) so the delay sampler's own timer has fired before the test reads it.
 */
async function blockEventLoop(ms: number): Promise<void> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // busy
  }
  await new Promise((r) => setTimeout(r, 0));
  await new Promise((r) => setImmediate(r));
}

function byName(data: WireDatum[]): Map<string, WireDatum> {
  const map = new Map<string, WireDatum>();
  for (const d of data) {
    expect(map.has(d.MetricName), `${d.MetricName} sent twice in one interval`).toBe(false);
    map.set(d.MetricName, d);
  }
  return map;
}

const dims = [{ Name: SERVICE_DIMENSION, Value: SERVICE }];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);
let cleanups: Array<() => Promise<void> | void> = [];

beforeEach(() => {
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
  // setTimeout stays real: the SDK's HTTP handler and the request timeout need it.
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'], now: T0 });
});

afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
  vi.useRealTimers();
  vi.unstubAllEnvs();
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

async function setup(opts: { mode?: Mode; config?: Partial<Config['metrics']>; extra?: Partial<MetricsOptions> } = {}) {
  const cw = await startFakeCloudWatch();
  cw.setMode(opts.mode ?? 'ok');
  const logs = captureLogs();
  let clients = 0;
  const client = clientFor(cw.url);
  const metrics = createMetrics({
    config: metricsConfig(opts.config),
    logger: logs.logger,
    connectedClients: () => clients,
    client,
    ...opts.extra,
  });
  cleanups.push(async () => {
    await metrics.close();
    client.destroy();
    await cw.close();
  });
  const tick = async () => {
    vi.advanceTimersByTime(INTERVAL);
    await metrics.idle();
  };
  return { cw, logs, metrics, tick, setClients: (n: number) => void (clients = n) };
}

const OUTAGE_WARN = 'CloudWatch PutMetricData failed; buffering datapoints and backing off until it recovers';
const RECOVERED = 'CloudWatch PutMetricData recovered';

describe('metrics publisher on the wire', () => {
  it('sends one AWS JSON 1.0 PutMetricData per interval with names, units and dimensions from definitions.ts', async () => {
    const { cw, metrics, tick, setClients } = await setup();
    metrics.start();
    setClients(12);
    metrics.increment('messagesIn');
    metrics.increment('messagesIn', 2);
    metrics.increment('messagesDelivered', 5);
    metrics.increment('redisAdapterErrors');
    // The sampler's first firing only sets its baseline; the second block is what it measures.
    await blockEventLoop(60);
    await blockEventLoop(60);

    // Increments alone queue nothing: a flush finds nothing to send.
    await metrics.flush();
    expect(cw.received).toHaveLength(0);

    await tick();
    expect(cw.received).toHaveLength(1);
    const [first] = cw.received;
    expect(first.target).toBe('GraniteServiceVersion20100801.PutMetricData');
    expect(first.contentType).toBe('application/x-amz-json-1.0');
    expect(first.body.Namespace).toBe(METRICS_NAMESPACE);
    expect(first.body.MetricData).toHaveLength(11);
    const ts = (T0 + INTERVAL) / 1000;
    const got = byName(first.body.MetricData);
    const expectCount = (def: { name: string; unit: string }, value: number) =>
      expect(got.get(def.name)).toEqual({ MetricName: def.name, Dimensions: dims, Timestamp: ts, Value: value, Unit: def.unit });
    expectCount(SERVICE_METRICS.messagesIn, 3);
    expectCount(SERVICE_METRICS.messagesShed, 0);
    expectCount(SERVICE_METRICS.eventsRateLimited, 0);
    expectCount(SERVICE_METRICS.messagesDelivered, 5);
    expectCount(SERVICE_METRICS.broadcastsDropped, 0);
    expectCount(SERVICE_METRICS.redisAdapterErrors, 1);
    expectCount(SERVICE_METRICS.redisReconnects, 0);
    expectCount(SERVICE_METRICS.handshakesRefused, 0);
    expectCount(SERVICE_METRICS.connectionsClosedByGuard, 0);
    expectCount(SERVICE_METRICS.connectedClients, 12);
    const eld = got.get(SERVICE_METRICS.eventLoopDelayP99.name);
    expect(eld).toMatchObject({ Dimensions: dims, Timestamp: ts, Unit: SERVICE_METRICS.eventLoopDelayP99.unit });
    // The 60 ms block above was measured, in milliseconds.
    expect(eld?.Value).toBeGreaterThanOrEqual(30);
    expect(eld?.Value).toBeLessThan(5_000);

    // The next interval carries only what happened since, not running totals.
    metrics.increment('messagesIn');
    setClients(7);
    await tick();
    expect(cw.received).toHaveLength(2);
    const second = byName(cw.received[1].body.MetricData);
    expect(second.get(SERVICE_METRICS.messagesIn.name)?.Value).toBe(1);
    expect(second.get(SERVICE_METRICS.messagesDelivered.name)?.Value).toBe(0);
    expect(second.get(SERVICE_METRICS.connectedClients.name)?.Value).toBe(7);
    expect(second.get(SERVICE_METRICS.messagesIn.name)?.Timestamp).toBe((T0 + 2 * INTERVAL) / 1000);

    expect(metrics.snapshot()).toMatchObject({ messagesIn: 4, messagesDelivered: 5, redisAdapterErrors: 1, redisReconnects: 0 });
    expect(cw.maxOpen()).toBe(1);
  });

  it('makes no request from increment(), however many', async () => {
    const { cw, metrics } = await setup();
    metrics.start();
    for (let i = 0; i < 100_000; i += 1) metrics.increment('messagesDelivered');
    await metrics.idle();
    await metrics.flush();
    expect(cw.received).toHaveLength(0);
    expect(metrics.stats().queued).toBe(0);
    expect(metrics.snapshot().messagesDelivered).toBe(100_000);
  });

  it('splits a large backlog into PutMetricData calls of at most 1000 entries, oldest first, nothing lost', async () => {
    const { cw, logs, metrics, tick } = await setup({ mode: 'fail', config: { maxBuffered: 5_000 } });
    metrics.start();
    // 180 intervals of 10 or 11 datapoints: more than one request's worth, at most two.
    for (let i = 0; i < 180; i += 1) {
      metrics.increment('messagesIn');
      await tick();
    }
    const backlog = metrics.stats().queued;
    expect(backlog).toBeGreaterThan(MAX_DATA_PER_REQUEST);
    expect(metrics.stats().dropped).toBe(0);

    cw.setMode('ok');
    const before = cw.received.length;
    await metrics.flush();
    const sent = cw.received.slice(before);
    expect(sent.map((r) => r.body.MetricData.length)).toEqual([MAX_DATA_PER_REQUEST, backlog - MAX_DATA_PER_REQUEST]);
    const all = sent.flatMap((r) => r.body.MetricData);
    const timestamps = all.map((d) => d.Timestamp);
    expect(timestamps).toEqual([...timestamps].sort((a, b) => a - b));
    const messagesIn = all.filter((d) => d.MetricName === SERVICE_METRICS.messagesIn.name);
    expect(messagesIn).toHaveLength(180);
    expect(messagesIn.reduce((s, d) => s + d.Value, 0)).toBe(180);
    expect(metrics.stats().queued).toBe(0);
    expect(logs.lines.filter((l) => l.msg === OUTAGE_WARN)).toHaveLength(1);
    expect(logs.lines.filter((l) => l.msg === RECOVERED)).toEqual([expect.objectContaining({ level: 'info', droppedDatapoints: 0 })]);
  });

  it('builds its own client from config.endpoint and the default region chain when none is injected', async () => {
    const cw = await startFakeCloudWatch();
    cleanups.push(() => cw.close());
    vi.stubEnv('AWS_REGION', 'us-east-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDTESTTESTTEST');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test-secret');
    vi.stubEnv('AWS_PROFILE', '');
    const before = constructed.configs.length;
    const { logger } = captureLogs();
    const metrics = createMetrics({ config: metricsConfig({ endpoint: cw.url }), logger, connectedClients: () => 3 });
    cleanups.push(() => metrics.close());
    expect(constructed.configs.slice(before)).toEqual([expect.objectContaining({ endpoint: cw.url, maxAttempts: 1 })]);
    metrics.start();
    metrics.increment('redisReconnects', 4);
    vi.advanceTimersByTime(INTERVAL);
    await metrics.idle();
    expect(cw.received).toHaveLength(1);
    expect(byName(cw.received[0].body.MetricData).get(SERVICE_METRICS.redisReconnects.name)?.Value).toBe(4);
  });
});

describe('metrics publisher when CloudWatch misbehaves', () => {
  it('on 500s: backs off exponentially up to a cap, stays within maxBuffered, warns once, recovers and logs once', async () => {
    const { cw, logs, metrics, tick } = await setup({ mode: 'fail', config: { maxBuffered: 20 } });
    metrics.start();
    const attemptedAt: number[] = [];
    for (let i = 1; i <= 30; i += 1) {
      metrics.increment('messagesIn');
      const before = cw.received.length;
      await tick();
      if (cw.received.length > before) attemptedAt.push(i);
      expect(cw.received.length - before).toBeLessThanOrEqual(1);
      expect(metrics.stats().queued).toBeLessThanOrEqual(20);
    }
    // Waits of 1, 2, 4, 8 intervals, then capped at 8.
    expect(attemptedAt).toEqual([1, 2, 4, 8, 16, 24]);
    for (const r of cw.received) expect(r.body.MetricData.length).toBeLessThanOrEqual(20);
    const warns = logs.at('warn');
    expect(warns).toHaveLength(1);
    expect(warns[0]).toMatchObject({ msg: OUTAGE_WARN, component: 'metrics', error: { name: expect.stringMatching(/^InternalService/) } });
    const dropped = metrics.stats().dropped;
    expect(dropped).toBeGreaterThan(0);

    cw.setMode('ok');
    const before = cw.received.length;
    for (let i = 31; i <= 32; i += 1) await tick();
    // Tick 32 is the next attempt; it publishes the (bounded) backlog in one call.
    expect(cw.received.length - before).toBe(1);
    const recovered = cw.received[before].body.MetricData;
    expect(recovered.length).toBeLessThanOrEqual(20);
    expect(recovered.at(-1)?.Timestamp).toBe((T0 + 32 * INTERVAL) / 1000);
    expect(metrics.stats()).toMatchObject({ queued: 0, consecutiveFailures: 0 });
    const infos = logs.at('info');
    expect(infos).toEqual([expect.objectContaining({ msg: RECOVERED, droppedDatapoints: metrics.stats().dropped })]);
    expect(metrics.stats().dropped).toBeGreaterThanOrEqual(dropped);

    // Back to one call per interval, and no further logs.
    await tick();
    expect(cw.received.length - before).toBe(2);
    expect(logs.lines.filter((l) => l.level === 'warn' || l.level === 'info')).toHaveLength(2);
  });

  it('on a hanging endpoint: times the request out, never opens a second one, warns once, then recovers', async () => {
    const { cw, logs, metrics, tick } = await setup({ mode: 'hang', extra: { requestTimeoutMs: 250 } });
    metrics.start();
    metrics.increment('messagesIn', 2);
    const arrived = once(cw.events, 'request');
    vi.advanceTimersByTime(INTERVAL);
    await arrived;
    // Intervals that pass while the call hangs keep aggregating but start nothing new.
    vi.advanceTimersByTime(3 * INTERVAL);
    expect(cw.received).toHaveLength(1);
    // Four sets of 9 or 10 (the event-loop datum is left out of an interval with no samples).
    expect(metrics.stats().queued).toBeGreaterThanOrEqual(4 * 9);
    expect(metrics.stats().queued).toBeLessThanOrEqual(4 * 10);

    await metrics.idle();
    expect(logs.at('warn')).toEqual([
      expect.objectContaining({ msg: OUTAGE_WARN, error: expect.objectContaining({ name: 'TimeoutError' }) }),
    ]);
    if (cw.open() > 0) await once(cw.events, 'closed');
    expect(cw.open()).toBe(0);

    cw.setMode('ok');
    await tick();
    expect(cw.received).toHaveLength(2);
    const sums = cw.received[1].body.MetricData.filter((d) => d.MetricName === SERVICE_METRICS.messagesIn.name);
    expect(sums.map((d) => d.Value)).toEqual([2, 0, 0, 0, 0]);
    expect(cw.maxOpen()).toBe(1);
    expect(logs.at('info')).toEqual([expect.objectContaining({ msg: RECOVERED, droppedDatapoints: 0 })]);
  });

  it('on a refused connection: no crash, bounded buffer, a single warn naming the error', async () => {
    const logs = captureLogs();
    const client = clientFor(`http://127.0.0.1:${await unusedPort()}`);
    const metrics = createMetrics({ config: metricsConfig({ maxBuffered: 10 }), logger: logs.logger, connectedClients: () => 1, client });
    cleanups.push(async () => {
      await metrics.close();
      client.destroy();
    });
    metrics.start();
    for (let i = 0; i < 20; i += 1) {
      metrics.increment('redisAdapterErrors');
      vi.advanceTimersByTime(INTERVAL);
      await metrics.idle();
      expect(metrics.stats().queued).toBeLessThanOrEqual(10);
    }
    expect(logs.at('warn')).toEqual([
      expect.objectContaining({ msg: OUTAGE_WARN, error: expect.objectContaining({ name: 'ECONNREFUSED' }) }),
    ]);
    expect(metrics.stats().dropped).toBeGreaterThan(0);
    expect(metrics.snapshot().redisAdapterErrors).toBe(20);
  });
});

describe('metrics publisher lifecycle', () => {
  it('close() publishes the partial interval once', async () => {
    const { cw, metrics, setClients } = await setup();
    metrics.start();
    setClients(2);
    metrics.increment('messagesDelivered', 9);
    await metrics.close();
    expect(cw.received).toHaveLength(1);
    expect(byName(cw.received[0].body.MetricData).get(SERVICE_METRICS.messagesDelivered.name)?.Value).toBe(9);
    // Closed: the interval timer is gone.
    vi.advanceTimersByTime(5 * INTERVAL);
    await metrics.idle();
    expect(cw.received).toHaveLength(1);
  });

  it('close() against a hanging endpoint resolves after its bound instead of waiting', async () => {
    const { cw, logs, metrics } = await setup({ mode: 'hang', extra: { requestTimeoutMs: 30_000, closeTimeoutMs: 200 } });
    metrics.start();
    metrics.increment('messagesIn');
    const started = performance.now();
    await expect(metrics.close()).resolves.toBeUndefined();
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(cw.received).toHaveLength(1);
    expect(logs.at('warn').map((l) => l.msg)).toEqual([OUTAGE_WARN, 'metrics not published at shutdown']);
  });

  it('when disabled: counts, builds no client, sends nothing', async () => {
    const before = constructed.configs.length;
    const logs = captureLogs();
    const metrics = createMetrics({ config: metricsConfig({ enabled: false }), logger: logs.logger, connectedClients: () => 5 });
    metrics.start();
    metrics.increment('messagesIn', 3);
    vi.advanceTimersByTime(10 * INTERVAL);
    await metrics.flush();
    await metrics.close();
    expect(constructed.configs.length).toBe(before);
    expect(metrics.snapshot()).toMatchObject({ messagesIn: 3, messagesDelivered: 0 });
    expect(logs.lines).toEqual([]);

    // An injected client is ignored too.
    const injected = new CloudWatchClient({ region: 'us-east-1' });
    const mock = mockClient(injected);
    const withClient = createMetrics({
      config: metricsConfig({ enabled: false }),
      logger: logs.logger,
      connectedClients: () => 5,
      client: injected,
    });
    withClient.start();
    withClient.increment('messagesIn');
    vi.advanceTimersByTime(3 * INTERVAL);
    await withClient.flush();
    await withClient.close();
    expect(mock.commandCalls(PutMetricDataCommand)).toHaveLength(0);
    mock.restore();
  });
});
