import type { MetricDatum } from '@aws-sdk/client-cloudwatch';
import type { Logger } from '../logger';
import { describeError } from './describe-error';
import type { QueueState } from './publish-backoff';

/** PutMetricData accepts at most this many MetricData entries per call. */
export const MAX_DATA_PER_REQUEST = 1000;

export interface DatapointQueueOptions {
  /** Datapoints kept, queued and in flight together; past it the oldest queued are dropped. */
  readonly maxBuffered: number;
  /** Sends one batch; rejects when it was not accepted. */
  send(batch: MetricDatum[]): Promise<void>;
  /** Told of every send's outcome. */
  readonly outcome: { failed(err: unknown, state: QueueState): void; succeeded(state: QueueState): void };
  readonly log: Logger;
}

/** A bounded queue of datapoints, sent oldest first, one request at a time; a failed batch goes back to the front. */
export function createDatapointQueue(opts: DatapointQueueOptions) {
  const queue: MetricDatum[] = [];
  let inFlightCount = 0;
  let inFlight: Promise<void> | undefined;
  let dropped = 0;
  const state = (): QueueState => ({ queued: queue.length, dropped });

  /** Bounds queued plus in-flight datapoints, dropping the oldest queued ones. */
  function trim(): void {
    const over = queue.length + inFlightCount - opts.maxBuffered;
    if (over <= 0) return;
    const n = Math.min(over, queue.length);
    queue.splice(0, n);
    dropped += n;
  }

  /** Sends queued batches one request at a time until the queue is empty or a send fails. */
  function pump(): Promise<void> {
    if (inFlight) return inFlight;
    if (queue.length === 0) return Promise.resolve();
    inFlight = (async () => {
      try {
        while (queue.length > 0) {
          const batch = queue.splice(0, MAX_DATA_PER_REQUEST);
          inFlightCount = batch.length;
          try {
            await opts.send(batch);
          } catch (err) {
            queue.unshift(...batch);
            inFlightCount = 0;
            trim();
            opts.outcome.failed(err, state());
            return;
          }
          inFlightCount = 0;
          opts.outcome.succeeded(state());
        }
      } catch (err) {
        // Only a bug could land here; never let it become an unhandled rejection.
        opts.log.error({ error: describeError(err) }, 'metrics publisher error');
      } finally {
        inFlightCount = 0;
        inFlight = undefined;
      }
    })();
    return inFlight;
  }

  return {
    push(set: MetricDatum[]): void {
      queue.push(...set);
      trim();
    },
    pump,
    /** Waits for the send in flight, then sends what is queued. */
    async flush(): Promise<void> {
      if (inFlight) await inFlight;
      await pump();
    },
    /** Resolves once no send is in flight. */
    async idle(): Promise<void> {
      while (inFlight) await inFlight;
    },
    /** Queued, not counting the batch in flight. */
    waiting: () => queue.length,
    stats: () => ({ queued: queue.length + inFlightCount, dropped }),
  };
}
