/**
 * How a task leaves the load balancer (docs/architecture.md, "How ECS stops a task"): each task
 * polls its own target's health and spreads its disconnects once it drains; the ALB waits out the
 * deregistration delay; and the task's keep-alive outlasts the ALB's idle timeout. These are the
 * values the stack derives for that from its own settings, in one place for the task and the ALB.
 */
import { Duration } from 'aws-cdk-lib';
import {
  DEFAULT_DRAIN_POLL_INTERVAL_MS,
  DEFAULT_DRAIN_SPREAD_MS,
  minDeregistrationDelayMs,
  minDrainPollIntervalMs,
  type ContainerEnv,
} from '../contract/env';

/**
 * ECS's maximumPercent for the service: a deploy starts the new tasks before it stops the old ones, so up to twice the
 * desired count run, and poll, at once.
 */
export const DEPLOY_MAX_HEALTHY_PERCENT = 200;
/** How much longer a task keeps an idle keep-alive connection than the ALB keeps its own to it. */
export const KEEP_ALIVE_MARGIN = Duration.seconds(5);
/** The drain's spread when unset: at most a thirtieth of a task's clients reconnect elsewhere in any second. */
export const DEFAULT_DRAIN_SPREAD = Duration.millis(DEFAULT_DRAIN_SPREAD_MS);

export interface TaskDrainInput {
  /** The most tasks autoscaling may run: all of them poll the ELB API within one account's share. */
  readonly maxTasks: number;
  /** How long a draining task spreads its disconnects over. */
  readonly drainSpread: Duration;
  /** The ALB's idle timeout. */
  readonly idleTimeout: Duration;
}

/** The most tasks polling at once: a deploy at `maxTasks`, old and new tasks side by side. */
export function peakPollingTasks(maxTasks: number): number {
  return Math.ceil((maxTasks * DEPLOY_MAX_HEALTHY_PERCENT) / 100);
}

/** The poll interval that keeps the peak's tasks within their share of ELB's Describe* rate (contract/env.ts). */
export function drainPollIntervalMs(maxTasks: number): number {
  return Math.max(DEFAULT_DRAIN_POLL_INTERVAL_MS, minDrainPollIntervalMs(peakPollingTasks(maxTasks)));
}

/**
 * The ALB's deregistration delay: long enough to see `draining` despite two throttled polls in a row, spread every
 * client away, and let the last reconnect (contract/env.ts, minDeregistrationDelayMs: the function the tasks' poller
 * backs off by).
 */
export function deregistrationDelay(input: Pick<TaskDrainInput, 'maxTasks' | 'drainSpread'>): Duration {
  const ms = minDeregistrationDelayMs({
    pollIntervalMs: drainPollIntervalMs(input.maxTasks),
    spreadMs: input.drainSpread.toMilliseconds(),
  });
  return Duration.seconds(Math.ceil(ms / 1000));
}

/** The task's environment for its drain signal and keep-alive (the target group ARN is the stack's). */
export function taskDrainEnv(input: TaskDrainInput, targetGroupArn: string): ContainerEnv {
  const keepAliveMs = input.idleTimeout.toMilliseconds() + KEEP_ALIVE_MARGIN.toMilliseconds();
  return {
    DRAIN_TARGET_GROUP_ARN: targetGroupArn,
    DRAIN_POLL_INTERVAL_MS: String(drainPollIntervalMs(input.maxTasks)),
    DRAIN_SPREAD_MS: String(input.drainSpread.toMilliseconds()),
    HTTP_KEEP_ALIVE_TIMEOUT_MS: String(keepAliveMs),
    // Above the keep-alive, so that a reused idle connection is never cut by the header timer first.
    HTTP_HEADERS_TIMEOUT_MS: String(keepAliveMs + 1_000),
  };
}
