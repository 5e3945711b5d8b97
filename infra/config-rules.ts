/**
 * The deployment config's rules between keys, in one place: those spanning constructs (an alarm
 * level against the autoscaling target, the ALB's idle timeout against the tasks' heartbeat), the
 * stage's (what prod requires), and a construct's own rules applied under the config's key names
 * (the rule itself lives with the construct). Each returns a problem naming the keys.
 */
import { Duration } from 'aws-cdk-lib';
import { maxTcpConnections } from '../contract/env';
import type { DeploymentConfig } from './config';
import { apiCidrProblems, idleTimeoutProblem, LOAD_BALANCER_LIMITS } from './load-balancer';
import { thresholdRuleProblems } from './monitoring-thresholds';
import { natGatewaysProblem } from './network';
import { SERVICE_LIMITS, ServiceLimitKey } from './service-limits';
import { zoneCountProblem } from './region-zones';
import { cooldownProblem, SOCKET_SERVICE_DEFAULTS, stopTimeoutProblem, taskCountProblem, taskSizeProblem } from './socket-service';
import { deregistrationDelay } from './task-drain';
import { Problem } from './validation';

const when = (condition: boolean, problem: string): Problem => (condition ? problem : undefined);

function networkProblems(c: DeploymentConfig): Problem[] {
  const prod = c.stage === 'prod';
  return [
    when(
      c.vpcId !== undefined && c.account === undefined,
      'vpcId needs an explicit account (-c account=123456789012 or CDK_DEFAULT_ACCOUNT) for the VPC lookup',
    ),
    natGatewaysProblem(c.natGateways, c.maxAzs),
    when(prod && c.maxAzs < 3, `maxAzs must be at least 3 in prod, got ${c.maxAzs}`),
    // Without a NAT gateway the tasks would get public IPs: prod keeps them in private subnets.
    when(
      prod && c.vpcId === undefined && c.natGateways < 1,
      `natGateways must be at least 1 in prod (stage=prod keeps the tasks in private subnets, without public IPs), got ${c.natGateways}`,
    ),
    // A created VPC only: an existing one brings its own zones.
    c.vpcId === undefined ? zoneCountProblem(c.maxAzs, c.region) : undefined,
  ];
}

function cacheProblems(c: DeploymentConfig): Problem[] {
  const prod = c.stage === 'prod';
  return [
    when(
      prod && c.numCacheClusters < 2,
      `numCacheClusters must be at least 2 in prod (a replica in another AZ for Multi-AZ failover), got ${c.numCacheClusters}`,
    ),
    when(
      prod && c.cacheClusterMode && c.cacheReplicasPerShard < 1,
      `cacheReplicasPerShard must be at least 1 in prod (a replica per shard for Multi-AZ failover), got ${c.cacheReplicasPerShard}`,
    ),
    when(
      prod && !c.cacheTls,
      'cacheTls must be true in prod: the AUTH token and the chat traffic must not cross the network in clear text',
    ),
  ];
}

function serviceProblems(c: DeploymentConfig): Problem[] {
  return [
    taskSizeProblem(c.taskCpu, c.taskMemoryMiB, { cpu: 'taskCpu', memory: 'taskMemoryMiB' }),
    taskCountProblem(c.minTasks, c.maxTasks),
    when(c.stage === 'prod' && c.minTasks < 2, `minTasks must be at least 2 in prod (one task per failure), got ${c.minTasks}`),
    cooldownProblem(Duration.seconds(c.scaleInCooldownSeconds), Duration.seconds(c.scaleOutCooldownSeconds), {
      scaleIn: 'scaleInCooldownSeconds',
      scaleOut: 'scaleOutCooldownSeconds',
    }),
    // The stacks leave the margin at SocketService's default.
    stopTimeoutProblem(Duration.millis(c.drainTimeoutMs), SOCKET_SERVICE_DEFAULTS.stopTimeoutMargin, {
      drainTimeout: 'drainTimeoutMs',
      stopTimeoutMargin: 'stopTimeoutMargin',
    }),
    // The service stack sets the ALB's minIdleTimeout to the tasks' heartbeat.
    idleTimeoutProblem(Duration.seconds(c.albIdleTimeoutSeconds), Duration.millis(c.pingIntervalMs + c.pingTimeoutMs), {
      idleTimeout: 'albIdleTimeoutSeconds',
      minIdleTimeout: 'pingIntervalMs + pingTimeoutMs',
    }),
    deregistrationDelayProblem(c),
    ...apiCidrProblems(c.apiAllowedCidrs),
  ];
}

/** The ALB's deregistration delay is derived from the drain (infra/task-drain.ts); ELB allows at most an hour. */
function deregistrationDelayProblem(c: DeploymentConfig): Problem {
  const delayS = deregistrationDelay({ maxTasks: c.maxTasks, drainSpread: Duration.millis(c.drainSpreadMs) }).toSeconds();
  const maxS = LOAD_BALANCER_LIMITS.deregistrationDelaySeconds.max;
  return when(
    delayS > maxS,
    `drainSpreadMs (${c.drainSpreadMs}) and maxTasks (${c.maxTasks}, which sets the drain's poll interval) make a deregistration ` +
      `delay of ${delayS} s, above the ALB's ${maxS} s: shorten drainSpreadMs`,
  );
}

function authProblems(c: DeploymentConfig): Problem[] {
  const none = c.authMode === 'none';
  return [
    when(
      none && c.stage === 'prod' && !c.authDisabledReason,
      'authMode=none in prod needs authDisabledReason: say why anyone may connect (-c authDisabledReason="…"), or keep authMode=jwt',
    ),
    when(
      none && Boolean(c.authJwksUrl || c.authJwtIssuer || c.authJwtAudience),
      'authJwksUrl, authJwtIssuer and authJwtAudience only apply with authMode=jwt',
    ),
    when(c.authDisabledReason !== undefined && !none, 'authDisabledReason only applies with authMode=none'),
    when(
      c.stage === 'prod' && c.corsOrigins.length === 0 && !c.corsOriginsUnsetReason,
      'prod needs corsOrigins (such as ["https://app.example.com"]) or corsOriginsUnsetReason saying why browsers ' +
        "connect from the ALB origin only; set it in cdk.json's deployments.prod",
    ),
    when(c.corsOriginsUnsetReason !== undefined && c.corsOrigins.length > 0, 'corsOriginsUnsetReason only applies without corsOrigins'),
  ];
}

/** Prod's listener serves HTTPS, or the deployer says why it does not: tokens and messages otherwise cross the internet in clear. */
function httpsProblems(c: DeploymentConfig): Problem[] {
  return [
    when(
      c.stage === 'prod' && c.certificateArn === undefined && !c.insecureHttpReason,
      'prod needs certificateArn (arn:aws:acm:<region>:<account>:certificate/…) for an HTTPS listener, or insecureHttpReason ' +
        "saying why it serves plain HTTP; set it in cdk.json's deployments.prod",
    ),
    when(
      c.certificateArn !== undefined && c.insecureHttpReason !== undefined,
      'certificateArn and insecureHttpReason exclude each other: insecureHttpReason only explains a missing certificateArn',
    ),
    certificateRegionProblem(c),
  ];
}

/**
 * ACM certificates are regional, and a load balancer's listener takes one of its own region
 * (https://docs.aws.amazon.com/acm/latest/userguide/acm-regions.html): another region's ARN fails only at deploy.
 */
function certificateRegionProblem(c: DeploymentConfig): Problem {
  const certificateRegion = c.certificateArn?.split(':')[3];
  return when(
    certificateRegion !== undefined && certificateRegion !== c.region,
    `certificateArn is a certificate of ${certificateRegion}, but the stacks deploy to ${c.region} (region): an ALB takes a ` +
      `certificate of its own region; request or import one in ${c.region}`,
  );
}

/** Prod's alarms page someone, or the deployer says why not: a paging topic without subscribers pages nobody, silently. */
function pagingProblem(c: DeploymentConfig): Problem {
  const subscribed = c.alarmEmails.length > 0 || c.alarmHttpsEndpoints.length > 0;
  return when(
    c.stage === 'prod' && !subscribed && !c.pagingUnsetReason,
    "prod needs a paging subscriber: alarmEmails or alarmHttpsEndpoints (a pager's integration URL), or pagingUnsetReason " +
      "saying why prod pages nobody; set them in cdk.json's deployments.prod, so that every release keeps them",
  );
}

function monitoringProblems(c: DeploymentConfig): Problem[] {
  return [
    ...thresholdRuleProblems(c, c.maxTasks, (key) => key),
    // Autoscaling holds CPU near targetCpuPercent; an alarm at or below it would fire on every busy hour.
    when(
      c.alarmTaskCpuPercent <= c.targetCpuPercent,
      `alarmTaskCpuPercent (${c.alarmTaskCpuPercent}) must be above targetCpuPercent (${c.targetCpuPercent}), ` +
        'or it fires whenever autoscaling works as intended',
    ),
    // A loop stalled for pingTimeout drops every socket of the task: the alarm must come first.
    when(
      c.alarmEventLoopDelayMs >= c.pingTimeoutMs,
      `alarmEventLoopDelayMs must be from 1 to below pingTimeoutMs (${c.pingTimeoutMs}), got ${c.alarmEventLoopDelayMs}`,
    ),
  ];
}

/**
 * The service refuses to start on these combinations of its limits (service/src/config.ts checks them on the variables);
 * a deploy would only roll back after its tasks failed, so synth checks them first, on the values the tasks will get:
 * the key's, else the service's default. test/infra/config-rules.test.ts holds both sides to the same verdicts.
 */
function limitProblems(c: DeploymentConfig): Problem[] {
  const value = (key: ServiceLimitKey) => c[key] ?? SERVICE_LIMITS[key].default;
  const shown = (key: ServiceLimitKey) => `${key} (${value(key)}${c[key] === undefined ? ', the default' : ''})`;
  const atLeast = (key: ServiceLimitKey, than: readonly ServiceLimitKey[], why: string): Problem =>
    when(value(key) < than.reduce((sum, k) => sum + value(k), 0), `${shown(key)} must be at least ${than.map(shown).join(' + ')}, ${why}`);
  return [
    atLeast('connectionPacketsPerS', ['rateLimitPerSocket'], 'so that a fast client is answered rate_limited before its connection is cut'),
    atLeast(
      'connectionPacketsBurst',
      ['rateLimitPerSocketBurst', 'rateLimitDisconnectAfter'],
      'so that a flood is refused event by event before the packet budget closes the connection',
    ),
    atLeast('connectionBurstBytes', ['maxHttpBufferBytes'], 'so that one message of the largest allowed size fits the byte budget'),
    atLeast('preauthMaxSessions', ['preauthMaxSessionsPerIp'], 'since one IP cannot hold more sessions than the task'),
    atLeast('maxConnectionsPerUser', ['maxConnectionsReservedBelow'], 'or one user may take the reserved slots up to its own cap'),
    atLeast('maxConnectionsPerGuestIp', ['maxConnectionsReservedBelow'], 'or one guest IP may take the reserved slots up to its own cap'),
    value('maxTcpConnections') === 0
      ? undefined
      : atLeast(
          'maxTcpConnections',
          ['maxConnections', 'preauthMaxSessions'],
          'or clients the task would admit are cut at the TCP level, without a reason (0 derives it)',
        ),
    tcpConnectionsProblem(value),
    atLeast(
      'partialPacketsMaxBytes',
      ['maxHttpBufferBytes'],
      'so that a binary packet with one attachment of the largest allowed size fits',
    ),
  ];
}

/**
 * Fargate gives a container 65,535 file descriptors unless the task definition says otherwise
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Ulimit.html). The TCP connections a task holds stay below
 * that by what the node needs for itself (Redis, CloudWatch, the ELB API, DNS, logs), or the cap guards nothing: a flood
 * would run the process out of descriptors first, and its Redis reconnects with it.
 */
export const FARGATE_NOFILE = 65_535;
export const NODE_OWN_DESCRIPTORS = 1_000;

function tcpConnectionsProblem(value: (key: ServiceLimitKey) => number): Problem {
  const tcp = maxTcpConnections({
    MAX_TCP_CONNECTIONS: value('maxTcpConnections'),
    MAX_CONNECTIONS: value('maxConnections'),
    PREAUTH_MAX_SESSIONS: value('preauthMaxSessions'),
  });
  const most = FARGATE_NOFILE - NODE_OWN_DESCRIPTORS;
  return when(
    tcp > most,
    `maxTcpConnections (${value('maxTcpConnections') === 0 ? `${tcp}, derived from maxConnections and preauthMaxSessions` : tcp}) ` +
      `must be at most ${most}: a Fargate task has ${FARGATE_NOFILE} file descriptors and the node needs ${NODE_OWN_DESCRIPTORS} ` +
      'of its own; lower maxConnections or preauthMaxSessions, or set maxTcpConnections between their sum and that',
  );
}

/** Every broken rule of `c`, in the order the keys appear in the config. */
export function configProblems(c: DeploymentConfig): Problem[] {
  return [
    ...networkProblems(c),
    ...cacheProblems(c),
    ...serviceProblems(c),
    ...httpsProblems(c),
    ...authProblems(c),
    ...limitProblems(c),
    ...monitoringProblems(c),
    pagingProblem(c),
  ];
}
