import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { createCollector } from './collector';
import type { CounterKey } from './counters';
import { createDatapointQueue } from './datapoint-queue';
import { describeError } from './describe-error';
import { EventLoopDelay } from './event-loop-delay';
import { createPublishBackoff } from './publish-backoff';
import { buildCloudWatchClient, createPutMetricData } from './put-metric-data';
import type { MetricSource } from './sources';

export type { CounterKey };
export type { MetricSource, SourceDatum } from './sources';
export { MAX_DATA_PER_REQUEST } from './datapoint-queue';
export { MAX_BACKOFF_INTERVALS } from './publish-backoff';

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
  /** Adds another module's datapoints (the backend API's) to every interval; optional so that a test's stand-in may leave it out. */
  addSource?(source: MetricSource): void;
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

/** The CloudWatch publisher: counts in memory, collects once per interval, and sends through a bounded queue with backoff. */
export function createMetrics(opts: MetricsOptions): MetricsPublisher {
  const { config } = opts;
  const log = opts.logger.child({ component: 'metrics' });
  const requestTimeoutMs = opts.requestTimeoutMs ?? Math.min(10_000, config.intervalMs);
  const closeTimeoutMs = opts.closeTimeoutMs ?? 2_000;
  // Disabled: no client at all, so nothing can ever be sent.
  const client = config.enabled ? (opts.client ?? buildCloudWatchClient(config, requestTimeoutMs)) : undefined;
  const ownsClient = client !== undefined && opts.client === undefined;

  const eventLoopDelay = new EventLoopDelay();
  const collector = createCollector({ serviceName: config.serviceName, connectedClients: opts.connectedClients, eventLoopDelay });
  const put = client && createPutMetricData(client, requestTimeoutMs);
  const backoff = createPublishBackoff(log, config.maxBuffered);
  const queue = put && createDatapointQueue({ maxBuffered: config.maxBuffered, send: put.send, outcome: backoff, log });
  let timer: NodeJS.Timeout | undefined;
  let closing: Promise<void> | undefined;

  /** Turns what was counted since the last collection into datapoints, and queues them when there is a client. */
  const collect = () => {
    const set = collector.collect();
    queue?.push(set);
  };
  const tick = () => {
    collect();
    if (!backoff.skipsThisInterval()) void queue?.pump();
  };

  async function finalFlush(): Promise<void> {
    collect();
    if (!queue) return;
    let timeout: NodeJS.Timeout | undefined;
    const expired = new Promise<void>((resolve) => {
      timeout = setTimeout(resolve, closeTimeoutMs);
      timeout.unref();
    });
    await Promise.race([queue.flush(), expired]);
    clearTimeout(timeout);
    put?.abort();
    await queue.idle();
    const unsent = queue.waiting();
    if (unsent > 0) log.warn({ unsent, dropped: queue.stats().dropped }, 'metrics not published at shutdown');
  }

  return {
    increment: collector.increment,
    start() {
      if (closing || !eventLoopDelay.start() || !queue) return;
      timer = setInterval(tick, config.intervalMs);
      timer.unref();
    },
    async flush() {
      if (closing) return;
      try {
        await queue?.flush();
      } catch {
        // The queue already logs; flush() must never reject.
      }
    },
    close() {
      clearInterval(timer);
      return (closing ??= (async () => {
        try {
          await finalFlush();
        } catch (err) {
          log.error({ error: describeError(err) }, 'metrics final flush failed');
        } finally {
          eventLoopDelay.stop();
          if (ownsClient) client?.destroy();
        }
      })());
    },
    snapshot: () => ({ ...collector.totals(), eventLoopDelayP99Ms: eventLoopDelay.current() }),
    addSource: collector.addSource,
    stats: () => ({ ...(queue?.stats() ?? { queued: 0, dropped: 0 }), consecutiveFailures: backoff.consecutiveFailures() }),
    idle: async () => queue?.idle(),
  };
}
