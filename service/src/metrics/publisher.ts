import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { CloudWatchClient, PutMetricDataCommand, type MetricDatum, type StandardUnit } from '@aws-sdk/client-cloudwatch';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { METRICS_NAMESPACE, SERVICE_DIMENSION, SERVICE_METRICS } from '../../../contract/metrics';

export type CounterKey = 'messagesIn' | 'messagesDelivered' | 'redisAdapterErrors' | 'redisReconnects';

export interface Metrics {
  /** Hot path: one number add, no I/O. */
  increment(key: CounterKey, n?: number): void;
  /** Starts the publish interval (unref'd) and event-loop delay sampling. Idempotent. */
  start(): void;
  /** Sends what is queued now, ignoring any backoff. Never rejects. */
  flush(): Promise<void>;
  /** Stops timers and makes one final, time-bounded flush. Never rejects. */
  close(): Promise<void>;
  /** Totals since creation, plus the current event-loop delay p99. */
  snapshot(): Record<CounterKey, number> & { eventLoopDelayP99Ms: number };
  /** Adds another module's datapoints (the backend API's) to every interval. */
  addSource?(collect: () => SourceDatum[]): void;
}

/** A datapoint of another module: a value, or values with counts (a distribution CloudWatch takes percentiles of). */
export interface SourceDatum {
  readonly def: { readonly name: string; readonly unit: StandardUnit };
  readonly value?: number;
  readonly values?: number[];
  readonly counts?: number[];
}

/** What createMetrics returns: the Metrics API plus read-only introspection. */
export interface MetricsPublisher extends Metrics {
  /** Datapoints waiting to be sent (in flight included), and dropped ones since creation. */
  stats(): { queued: number; dropped: number; consecutiveFailures: number };
  /** Resolves once no PutMetricData call is in flight. */
  idle(): Promise<void>;
}

export interface MetricsOptions {
  config: Config['metrics'];
  logger: Logger;
  /** Gauge read once per interval. */
  connectedClients: () => number;
  /** Injected in tests; otherwise one is built from config.endpoint and the SDK's default chain. */
  client?: CloudWatchClient;
  /** Upper bound for one PutMetricData call. Defaults to min(10 s, interval). */
  requestTimeoutMs?: number;
  /** Upper bound for the final flush in close(). Defaults to 2 s. */
  closeTimeoutMs?: number;
}

/** PutMetricData accepts at most this many MetricData entries per call. */
export const MAX_DATA_PER_REQUEST = 1000;
/** Failed sends wait 1, 2, 4, … intervals, never more than this many. */
export const MAX_BACKOFF_INTERVALS = 8;

const COUNTER_KEYS: readonly CounterKey[] = ['messagesIn', 'messagesDelivered', 'redisAdapterErrors', 'redisReconnects'];
const ELD_RESOLUTION_MS = 10;

const zeroCounters = (): Record<CounterKey, number> => ({
  messagesIn: 0,
  messagesDelivered: 0,
  redisAdapterErrors: 0,
  redisReconnects: 0,
});

function describeError(err: unknown): { name: string; message: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    // Socket errors arrive as plain `Error`; their code (ECONNREFUSED, …) is the useful name.
    const name = err.name === 'Error' && typeof code === 'string' ? code : err.name;
    return { name, message: err.message.slice(0, 300) };
  }
  return { name: 'UnknownError', message: String(err).slice(0, 300) };
}

export function createMetrics(opts: MetricsOptions): MetricsPublisher {
  const { config } = opts;
  const log = opts.logger.child({ component: 'metrics' });
  const requestTimeoutMs = opts.requestTimeoutMs ?? Math.min(10_000, config.intervalMs);
  const closeTimeoutMs = opts.closeTimeoutMs ?? 2_000;

  // Disabled: no client at all, so nothing can ever be sent.
  const client = config.enabled ? (opts.client ?? buildClient(config, requestTimeoutMs)) : undefined;
  const ownsClient = client !== undefined && opts.client === undefined;

  const totals = zeroCounters();
  // Totals at the last collection; the interval's Sum is the difference, which keeps increment() a single add.
  const collected = zeroCounters();
  const dimensions = [{ Name: SERVICE_DIMENSION, Value: config.serviceName }];
  const sources: Array<() => SourceDatum[]> = [];

  let histogram: IntervalHistogram | undefined;
  let lastP99Ms = 0;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let closing: Promise<void> | undefined;

  const queue: MetricDatum[] = [];
  let inFlightCount = 0;
  let inFlight: Promise<void> | undefined;
  let abortCurrent: (() => void) | undefined;
  let dropped = 0;
  let failures = 0;
  let skipIntervals = 0;
  let outage: { since: number; droppedAtStart: number } | undefined;

  // Typed as StandardUnit so a unit misspelled in definitions.ts fails to compile.
  function datum(def: { name: string; unit: StandardUnit }, value: number, timestamp: Date): MetricDatum {
    return { MetricName: def.name, Dimensions: dimensions, Timestamp: timestamp, Value: value, Unit: def.unit };
  }

  function sourceDatum(d: SourceDatum, now: Date): MetricDatum {
    const { Value, ...rest } = datum(d.def, d.value ?? 0, now);
    return d.values ? { ...rest, Values: d.values, Counts: d.counts } : { ...rest, Value };
  }

  function readP99Ms(): number | undefined {
    if (!histogram || histogram.count === 0) return undefined;
    return histogram.percentile(99) / 1e6;
  }

  /** Turns the counters since the last collection into one datapoint set and queues it. */
  function collect(): void {
    const now = new Date();
    const set: MetricDatum[] = [];
    for (const key of COUNTER_KEYS) {
      set.push(datum(SERVICE_METRICS[key], totals[key] - collected[key], now));
      collected[key] = totals[key];
    }
    try {
      set.push(datum(SERVICE_METRICS.connectedClients, opts.connectedClients(), now));
    } catch {
      // A gauge that cannot be read this interval is skipped rather than reported as 0.
    }
    // No samples (interval shorter than the resolution) means no measurement, not zero delay.
    const p99 = readP99Ms();
    if (p99 !== undefined) {
      lastP99Ms = p99;
      set.push(datum(SERVICE_METRICS.eventLoopDelayP99, p99, now));
    }
    histogram?.reset();
    for (const source of sources) {
      try {
        for (const d of source()) set.push(sourceDatum(d, now));
      } catch {
        // A source's bug costs its own datapoints, not the interval's.
      }
    }
    if (!client) return;
    queue.push(...set);
    trim();
  }

  /** Bounds queued plus in-flight datapoints, dropping the oldest queued ones. */
  function trim(): void {
    const over = queue.length + inFlightCount - config.maxBuffered;
    if (over <= 0) return;
    const n = Math.min(over, queue.length);
    queue.splice(0, n);
    dropped += n;
  }

  async function send(batch: MetricDatum[]): Promise<void> {
    if (!client) return;
    const ac = new AbortController();
    let timeout: NodeJS.Timeout | undefined;
    // Raced as well as aborted, so even a client that ignores the signal cannot stall the queue.
    const expired = new Promise<never>((_, reject) => {
      const fail = () => {
        ac.abort();
        const err = new Error(`PutMetricData took longer than ${requestTimeoutMs} ms`);
        err.name = 'TimeoutError';
        reject(err);
      };
      abortCurrent = fail;
      timeout = setTimeout(fail, requestTimeoutMs);
      timeout.unref();
    });
    try {
      await Promise.race([
        client.send(new PutMetricDataCommand({ Namespace: METRICS_NAMESPACE, MetricData: batch }), { abortSignal: ac.signal }),
        expired,
      ]);
    } finally {
      clearTimeout(timeout);
      abortCurrent = undefined;
    }
  }

  function onFailure(err: unknown): void {
    failures += 1;
    skipIntervals = Math.min(2 ** (failures - 1), MAX_BACKOFF_INTERVALS) - 1;
    if (outage) return;
    outage = { since: Date.now(), droppedAtStart: dropped };
    log.warn(
      { error: describeError(err), queued: queue.length, maxBuffered: config.maxBuffered },
      'CloudWatch PutMetricData failed; buffering datapoints and backing off until it recovers',
    );
  }

  function onSuccess(): void {
    failures = 0;
    skipIntervals = 0;
    if (!outage) return;
    log.info(
      { droppedDatapoints: dropped - outage.droppedAtStart, outageMs: Date.now() - outage.since, queued: queue.length },
      'CloudWatch PutMetricData recovered',
    );
    outage = undefined;
  }

  /** Sends queued batches one request at a time until the queue is empty or a send fails. */
  function pump(): Promise<void> {
    if (inFlight) return inFlight;
    if (!client || queue.length === 0) return Promise.resolve();
    inFlight = (async () => {
      try {
        while (queue.length > 0) {
          const batch = queue.splice(0, MAX_DATA_PER_REQUEST);
          inFlightCount = batch.length;
          try {
            await send(batch);
          } catch (err) {
            queue.unshift(...batch);
            inFlightCount = 0;
            trim();
            onFailure(err);
            return;
          }
          inFlightCount = 0;
          onSuccess();
        }
      } catch (err) {
        // Only a bug could land here; never let it become an unhandled rejection.
        log.error({ error: describeError(err) }, 'metrics publisher error');
      } finally {
        inFlightCount = 0;
        inFlight = undefined;
      }
    })();
    return inFlight;
  }

  function tick(): void {
    collect();
    if (skipIntervals > 0) {
      skipIntervals -= 1;
      return;
    }
    void pump();
  }

  async function flushNow(): Promise<void> {
    if (inFlight) await inFlight;
    await pump();
  }

  async function finalFlush(): Promise<void> {
    collect();
    if (!client) return;
    let timeout: NodeJS.Timeout | undefined;
    const expired = new Promise<void>((resolve) => {
      timeout = setTimeout(resolve, closeTimeoutMs);
      timeout.unref();
    });
    await Promise.race([flushNow(), expired]);
    clearTimeout(timeout);
    abortCurrent?.();
    if (inFlight) await inFlight;
    const unsent = queue.length;
    if (unsent > 0) log.warn({ unsent, dropped }, 'metrics not published at shutdown');
  }

  return {
    increment(key, n = 1) {
      totals[key] += n;
    },
    start() {
      if (closed || histogram) return;
      histogram = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
      histogram.enable();
      if (!client) return;
      timer = setInterval(tick, config.intervalMs);
      timer.unref();
    },
    async flush() {
      if (closed) return;
      try {
        await flushNow();
      } catch {
        // pump() already logs; flush() must never reject.
      }
    },
    close() {
      if (closing) return closing;
      closed = true;
      if (timer) clearInterval(timer);
      timer = undefined;
      closing = (async () => {
        try {
          await finalFlush();
        } catch (err) {
          log.error({ error: describeError(err) }, 'metrics final flush failed');
        } finally {
          histogram?.disable();
          if (ownsClient) client?.destroy();
        }
      })();
      return closing;
    },
    snapshot() {
      return { ...totals, eventLoopDelayP99Ms: readP99Ms() ?? lastP99Ms };
    },
    addSource(collect) {
      sources.push(collect);
    },
    stats() {
      return { queued: queue.length + inFlightCount, dropped, consecutiveFailures: failures };
    },
    async idle() {
      while (inFlight) await inFlight;
    },
  };
}

function buildClient(config: Config['metrics'], requestTimeoutMs: number): CloudWatchClient {
  return new CloudWatchClient({
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    // The publisher's own backoff replaces SDK retries, so one outage costs one request per attempt.
    maxAttempts: 1,
    requestHandler: { connectionTimeout: Math.min(3_000, requestTimeoutMs), requestTimeout: requestTimeoutMs, throwOnRequestTimeout: true },
  });
}
