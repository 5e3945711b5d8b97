import { DRAIN_POLL_JITTER, drainPollWaitIntervals } from '../../../contract/env';
import type { Logger } from '../logger';
import { describeError } from '../metrics/describe-error';
import type { OwnTarget, TargetHealthReport } from './describe-target-health';

const THROTTLING = new Set(['Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException']);

/** The ELB API's answer when the account's request bucket is empty (ThrottlingException, "Rate exceeded"). */
export function isThrottling(err: unknown): boolean {
  const e = err as { name?: unknown; $metadata?: { httpStatusCode?: number } } | undefined;
  return (typeof e?.name === 'string' && THROTTLING.has(e.name)) || e?.$metadata?.httpStatusCode === 429;
}

export interface TargetHealthPollerOptions {
  /** The node's own target; may fail (metadata not answering yet), and is asked again at the next poll. */
  ownTarget(): Promise<OwnTarget>;
  /** One bounded DescribeTargetHealth call. */
  describe(target: OwnTarget): Promise<TargetHealthReport | undefined>;
  readonly intervalMs: number;
  readonly logger: Logger;
  /** Called once, when the target is first seen `draining`; polling then stops. */
  onDraining(): void;
  /** @default Math.random */
  readonly random?: () => number;
}

/**
 * Polls the node's own target health, and calls `onDraining` once it reads `draining`: the load
 * balancer has stopped sending the target requests and the deregistration delay runs. Every
 * other answer, and every failure (an error, throttling, a timeout, an answer without the
 * target), only leads to the next poll: polling never stops a node, and never drains one.
 */
export function createTargetHealthPoller(opts: TargetHealthPollerOptions) {
  const random = opts.random ?? Math.random;
  const log = opts.logger;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let throttledInARow = 0;
  let lastState: string | undefined;
  let outage: { since: number; failures: number } | undefined;
  // Between 0.9 and 1.1 intervals: tasks started together drift apart instead of polling together.
  const jittered = (ms: number) => ms * (1 - DRAIN_POLL_JITTER + 2 * DRAIN_POLL_JITTER * random());

  const failed = (err: unknown) => {
    if (outage) return void (outage.failures += 1);
    outage = { since: Date.now(), failures: 1 };
    log.warn(
      { error: describeError(err), throttled: isThrottling(err) },
      'DescribeTargetHealth failed; the node keeps serving and polling, and SIGTERM still drains it',
    );
  };
  const answered = (health: TargetHealthReport | undefined) => {
    if (outage) log.info({ failures: outage.failures, outageMs: Date.now() - outage.since }, 'DescribeTargetHealth recovered');
    outage = undefined;
    const state = health?.state ?? 'not in the answer';
    if (state !== lastState) log.info({ state, reason: health?.reason }, 'target health');
    lastState = state;
  };

  async function poll(): Promise<void> {
    let health: TargetHealthReport | undefined;
    try {
      health = await opts.describe(await opts.ownTarget());
    } catch (err) {
      failed(err);
      throttledInARow = isThrottling(err) ? throttledInARow + 1 : 0;
      // The same waits the deregistration delay is derived from (contract/env.ts, drainDetectionMs).
      return schedule(jittered(opts.intervalMs * drainPollWaitIntervals(throttledInARow)));
    }
    throttledInARow = 0;
    answered(health);
    if (health?.state !== 'draining') return schedule(jittered(opts.intervalMs));
    if (stopped) return;
    stopped = true;
    try {
      opts.onDraining();
    } catch (err) {
      log.error({ err }, 'the drain failed to begin');
    }
  }
  const schedule = (ms: number) => {
    if (stopped) return;
    timer = setTimeout(() => void poll().catch((err: unknown) => log.error({ err }, 'target health poll failed')), ms);
    timer.unref();
  };

  return {
    /** The first poll comes within one interval, at a random point of it. */
    start: () => schedule(random() * opts.intervalMs),
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
