import { envSchema, minDeregistrationDelayMs } from '../contract/env';
import type { ElbStandIn, TargetHealthAnswer, TargetId } from './elb-stand-in';
import { serversState } from './haproxy-runtime';

/**
 * What the local cluster gives each node so that its drain signal works as on ECS, and what
 * stands in for the ELB's view of the targets: HAProxy's own state of its servers.
 */

/** The target group the local nodes ask about; only the stand-in knows it. */
export const LOCAL_TARGET_GROUP_ARN = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/local-cluster/0000000000000000';

/** Local defaults, where the caller's environment sets nothing: a poll a second, and a 10 s spread. */
const LOCAL_DRAIN_DEFAULTS = { DRAIN_POLL_INTERVAL_MS: '1000', DRAIN_SPREAD_MS: '10000' } as const;

/** The environment of node `nodeId`, on top of `base` (the caller's): the stand-in's endpoints and credentials it accepts. */
export function localDrainEnv(standIn: ElbStandIn, nodeId: string, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    DRAIN_POLL_INTERVAL_MS: base.DRAIN_POLL_INTERVAL_MS || LOCAL_DRAIN_DEFAULTS.DRAIN_POLL_INTERVAL_MS,
    DRAIN_SPREAD_MS: base.DRAIN_SPREAD_MS || LOCAL_DRAIN_DEFAULTS.DRAIN_SPREAD_MS,
    DRAIN_TARGET_GROUP_ARN: LOCAL_TARGET_GROUP_ARN,
    ELBV2_ENDPOINT: standIn.url,
    ECS_CONTAINER_METADATA_URI_V4: standIn.metadataUri(nodeId),
    // The stand-in checks no signature; these keep the SDK from looking for (and sending) real credentials.
    AWS_ACCESS_KEY_ID: 'AKIALOCALCLUSTER0000',
    AWS_SECRET_ACCESS_KEY: 'local-cluster-only',
    AWS_SESSION_TOKEN: '',
  };
}

/** The deregistration delay that fits the nodes' drain (contract/env.ts's minDeregistrationDelayMs), rounded up to a second. */
export function localDeregistrationDelayMs(env: NodeJS.ProcessEnv): number {
  const present = Object.fromEntries(
    (['DRAIN_POLL_INTERVAL_MS', 'DRAIN_SPREAD_MS'] as const).filter((k) => env[k]).map((k) => [k, env[k]]),
  );
  const parsed = envSchema.pick({ DRAIN_POLL_INTERVAL_MS: true, DRAIN_SPREAD_MS: true }).parse(present);
  const ms = minDeregistrationDelayMs({ pollIntervalMs: parsed.DRAIN_POLL_INTERVAL_MS, spreadMs: parsed.DRAIN_SPREAD_MS });
  return Math.ceil(ms / 1_000) * 1_000;
}

/**
 * Target health as the ELB would report it, read from HAProxy: a server in maintenance (what
 * `npm run stop-task` sets) is a deregistering target, `draining`; a deleted one is no longer
 * registered; otherwise its health checks decide.
 */
export function haproxyTargetHealth(statsSocket: () => string | undefined) {
  return async (target: TargetId): Promise<TargetHealthAnswer> => {
    const socket = statsSocket();
    if (!socket) return { state: 'initial', reason: 'Elb.RegistrationInProgress' };
    let servers;
    try {
      servers = await serversState(socket);
    } catch (err) {
      return { error: { status: 500, code: 'HealthUnavailable', message: `HAProxy did not answer: ${String(err)}` } };
    }
    const server = servers.find((s) => s.addr === target.id && s.port === target.port);
    if (!server) return { state: 'unused', reason: 'Target.NotRegistered', description: 'Target is not registered to the target group' };
    if (server.maintenance)
      return { state: 'draining', reason: 'Target.DeregistrationInProgress', description: 'Target deregistration in progress' };
    if (server.operational === 'running') return { state: 'healthy' };
    if (server.operational === 'starting') return { state: 'initial', reason: 'Elb.InitialHealthChecking' };
    return { state: 'unhealthy', reason: 'Target.FailedHealthChecks', description: 'Health checks failed' };
  };
}
