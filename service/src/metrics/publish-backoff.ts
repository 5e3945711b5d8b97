import type { Logger } from '../logger';
import { describeError } from './describe-error';

/** Failed sends wait 1, 2, 4, … intervals, never more than this many. */
export const MAX_BACKOFF_INTERVALS = 8;

/** The queue as it stands after a send. */
export interface QueueState {
  readonly queued: number;
  readonly dropped: number;
}

/**
 * Backs off after failed sends (skipping intervals), and logs an outage once when it starts
 * and once when it ends, with what it cost.
 */
export function createPublishBackoff(log: Logger, maxBuffered: number) {
  let failures = 0;
  let skipIntervals = 0;
  let outage: { since: number; droppedAtStart: number } | undefined;
  return {
    failed(err: unknown, state: QueueState): void {
      failures += 1;
      skipIntervals = Math.min(2 ** (failures - 1), MAX_BACKOFF_INTERVALS) - 1;
      if (outage) return;
      outage = { since: Date.now(), droppedAtStart: state.dropped };
      log.warn(
        { error: describeError(err), queued: state.queued, maxBuffered },
        'CloudWatch PutMetricData failed; buffering datapoints and backing off until it recovers',
      );
    },
    succeeded(state: QueueState): void {
      failures = 0;
      skipIntervals = 0;
      if (!outage) return;
      log.info(
        { droppedDatapoints: state.dropped - outage.droppedAtStart, outageMs: Date.now() - outage.since, queued: state.queued },
        'CloudWatch PutMetricData recovered',
      );
      outage = undefined;
    },
    /** True when this interval's send is to be skipped; each call uses up one skipped interval. */
    skipsThisInterval(): boolean {
      if (skipIntervals <= 0) return false;
      skipIntervals -= 1;
      return true;
    },
    consecutiveFailures: () => failures,
  };
}

export type PublishBackoff = ReturnType<typeof createPublishBackoff>;
