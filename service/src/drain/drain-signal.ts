import { drainPollTimeoutMs } from '../../../contract/env';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { buildElbClient, createDescribeTargetHealth } from './describe-target-health';
import { ownTargetFromMetadata } from './own-target';
import { createTargetHealthPoller } from './target-health';

/**
 * The drain signal (docs/architecture.md, "How ECS stops a task"): the node's own target
 * turning `draining` in its target group, read with DescribeTargetHealth. Without a target
 * group (DRAIN_TARGET_GROUP_ARN) or a task metadata endpoint, there is none, and the drain
 * begins on SIGTERM.
 */
export function startDrainSignal(
  cfg: Config['drain'],
  deps: { logger: Logger; port: number; metadataUri?: string; onDraining(): void },
): { stop(): void } {
  const log = deps.logger.child({ component: 'drain-signal' });
  const th = cfg.targetHealth;
  if (!th) {
    log.info('no DRAIN_TARGET_GROUP_ARN: the drain begins on SIGTERM');
    return { stop: () => undefined };
  }
  if (!deps.metadataUri) {
    log.warn('DRAIN_TARGET_GROUP_ARN is set but ECS_CONTAINER_METADATA_URI_V4 is not: the node cannot name its target; drain on SIGTERM');
    return { stop: () => undefined };
  }
  const timeoutMs = drainPollTimeoutMs(th.pollIntervalMs);
  const client = buildElbClient(th, timeoutMs);
  const poller = createTargetHealthPoller({
    ownTarget: ownTargetFromMetadata(deps.metadataUri, deps.port, timeoutMs),
    describe: createDescribeTargetHealth(client, th.targetGroupArn, timeoutMs),
    intervalMs: th.pollIntervalMs,
    logger: log,
    onDraining: () => {
      log.info({ targetGroupArn: th.targetGroupArn }, 'target draining: the load balancer sends no new requests');
      deps.onDraining();
    },
  });
  poller.start();
  log.info({ targetGroupArn: th.targetGroupArn, pollIntervalMs: th.pollIntervalMs }, 'polling the target health for the drain');
  return {
    stop() {
      poller.stop();
      client.destroy();
    },
  };
}
