import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';

/** The task's own target as its target group knows it (target type `ip`): the task's address and the container port. */
export interface OwnTarget {
  readonly id: string;
  readonly port: number;
}

/** One target's health: initial, healthy, unhealthy, unused, draining or unavailable, with its reason code. */
export interface TargetHealthReport {
  readonly state: string;
  readonly reason?: string;
}

export function buildElbClient(cfg: { region: string; endpoint?: string }, requestTimeoutMs: number): ElasticLoadBalancingV2Client {
  return new ElasticLoadBalancingV2Client({
    region: cfg.region,
    ...(cfg.endpoint ? { endpoint: cfg.endpoint } : {}),
    // The poller's own schedule (and its backoff when throttled) replaces SDK retries: one poll, one request.
    maxAttempts: 1,
    requestHandler: { connectionTimeout: Math.min(1_000, requestTimeoutMs), requestTimeout: requestTimeoutMs, throwOnRequestTimeout: true },
  });
}

/**
 * One DescribeTargetHealth call for the node's own target, bounded by `requestTimeoutMs`; resolves
 * with its health, or undefined when the answer does not name the target.
 */
export function createDescribeTargetHealth(client: ElasticLoadBalancingV2Client, targetGroupArn: string, requestTimeoutMs: number) {
  return async (target: OwnTarget): Promise<TargetHealthReport | undefined> => {
    const ac = new AbortController();
    let timeout: NodeJS.Timeout | undefined;
    // Raced as well as aborted, so even a call that ignores the signal cannot hold the poller.
    const expired = new Promise<never>((_, reject) => {
      timeout = setTimeout(() => {
        ac.abort();
        const err = new Error(`DescribeTargetHealth took longer than ${requestTimeoutMs} ms`);
        err.name = 'TimeoutError';
        reject(err);
      }, requestTimeoutMs);
      timeout.unref();
    });
    try {
      const out = await Promise.race([
        client.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn, Targets: [{ Id: target.id, Port: target.port }] }), {
          abortSignal: ac.signal,
        }),
        expired,
      ]);
      const own = out.TargetHealthDescriptions?.find((d) => d.Target?.Id === target.id && d.Target?.Port === target.port);
      return own?.TargetHealth?.State ? { state: own.TargetHealth.State, reason: own.TargetHealth.Reason } : undefined;
    } finally {
      clearTimeout(timeout);
    }
  };
}
