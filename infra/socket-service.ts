import { Duration, RemovalPolicy, Size, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { DEFAULT_DRAIN_TIMEOUT_MS, DEFAULT_PING_INTERVAL_MS, DEFAULT_PING_TIMEOUT_MS, DEFAULT_PORT } from '../contract/env';
import type { AdapterMode, ContainerEnv } from '../contract/env';
import { METRICS_NAMESPACE, SERVICE_DIMENSION, SERVICE_METRICS } from '../contract/metrics';
import { envInteger, serviceLimitProblems, ServiceLimits, serviceLimitsEnv } from './service-limits';
import { DEFAULT_DRAIN_SPREAD, DEPLOY_MAX_HEALTHY_PERCENT, taskDrainEnv } from './task-drain';
import { intRangeProblem, Problem, Range, throwPropsProblems } from './validation';

/** Defaults of the props: SocketService settles each with `??`; the deployment config's defaults read them too. */
export const SOCKET_SERVICE_DEFAULTS = {
  adapter: 'pubsub' as AdapterMode,
  taskSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } as ec2.SubnetSelection,
  assignPublicIp: false,
  cpuArchitecture: ecs.CpuArchitecture.ARM64,
  cpu: 256,
  memoryLimitMiB: 512,
  containerPort: DEFAULT_PORT,
  containerUser: '65532',
  pingInterval: Duration.millis(DEFAULT_PING_INTERVAL_MS),
  pingTimeout: Duration.millis(DEFAULT_PING_TIMEOUT_MS),
  drainTimeout: Duration.millis(DEFAULT_DRAIN_TIMEOUT_MS),
  stopTimeoutMargin: Duration.seconds(10),
  drainSpread: DEFAULT_DRAIN_SPREAD,
  albIdleTimeout: Duration.seconds(120),
  logLevel: 'info',
  logRetention: logs.RetentionDays.ONE_MONTH,
  logRemovalPolicy: RemovalPolicy.DESTROY,
  enableExecuteCommand: false,
  minTasks: 1,
  maxTasks: 2,
  targetCpuPercent: 60,
  targetConnectionsPerTask: 2_000,
  scaleOutCooldown: Duration.seconds(60),
  scaleInCooldown: Duration.seconds(300),
  healthCheckGracePeriod: Duration.seconds(60),
} as const;

/**
 * Where the SSM agent that ECS Exec starts inside the container writes (aws/containers-roadmap#1359,
 * aws-containers/amazon-ecs-exec-checker#71). AWS documents ECS Exec as needing a writable file
 * system; with exec on, these paths alone get task storage, so the rest of the root stays read-only.
 */
export const ECS_EXEC_WRITABLE_PATHS = ['/managed-agents', '/var/lib/amazon/ssm', '/var/log/amazon/ssm'] as const;

/** The CPU architectures the tasks may run on, by the names the deployment config uses. */
export const CPU_ARCHITECTURES = { ARM64: ecs.CpuArchitecture.ARM64, X86_64: ecs.CpuArchitecture.X86_64 } as const;
export type CpuArchitectureName = keyof typeof CPU_ARCHITECTURES;

/** Limits of the numeric props, checked here and by the deployment config's schema. */
export const SOCKET_SERVICE_LIMITS = {
  /** Non-root containers cannot bind below 1024. */
  containerPort: { min: 1024, max: 65535 },
  /** minTasks and maxTasks. */
  taskCount: { min: 1, max: 1000 },
  targetCpuPercent: { min: 10, max: 90 },
  targetConnectionsPerTask: { min: 1, max: 1_000_000 },
  /** scaleOutCooldown and scaleInCooldown, seconds. */
  cooldownSeconds: { min: 0, max: 3600 },
  healthCheckGracePeriodSeconds: { min: 0, max: 7200 },
  pingIntervalMs: envInteger('PING_INTERVAL_MS').range,
  pingTimeoutMs: envInteger('PING_TIMEOUT_MS').range,
  drainTimeoutMs: envInteger('DRAIN_TIMEOUT_MS').range,
  drainSpreadMs: envInteger('DRAIN_SPREAD_MS').range,
} as const satisfies Record<string, Range>;

/** ECS's upper bound for a Fargate container's stopTimeout. */
export const MAX_STOP_TIMEOUT = Duration.seconds(120);

/** Fargate's CPU units. */
export const FARGATE_CPU_UNITS = [256, 512, 1024, 2048, 4096, 8192, 16384] as const;

/** The memory sizes (MiB) Fargate allows with `cpu` units; none for an unknown cpu. */
export function fargateMemoryOptions(cpu: number): number[] {
  const range = (from: number, to: number, step: number) => Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);
  switch (cpu) {
    case 256:
      return [512, 1024, 2048];
    case 512:
      return range(1024, 4096, 1024);
    case 1024:
      return range(2048, 8192, 1024);
    case 2048:
      return range(4096, 16384, 1024);
    case 4096:
      return range(8192, 30720, 1024);
    case 8192:
      return range(16384, 61440, 4096);
    case 16384:
      return range(32768, 122880, 8192);
    default:
      return [];
  }
}

// The rules between props. Each takes the names its caller knows the values by (the deployment
// config's keys differ from the props), so the rule is written once and its message names what the user set.

/** cpu and memory must be a pair Fargate offers. */
export function taskSizeProblem(cpu: number, memoryMiB: number, names = { cpu: 'cpu', memory: 'memoryLimitMiB' }): Problem {
  const memory = fargateMemoryOptions(cpu);
  if (memory.length === 0) return `${names.cpu} must be one of ${FARGATE_CPU_UNITS.join(', ')}, got ${cpu}`;
  return memory.includes(memoryMiB)
    ? undefined
    : `${names.memory} must be one of ${memory.join(', ')} for ${names.cpu} ${cpu}, got ${memoryMiB}`;
}

/** At least one task, and the minimum not above the maximum. */
export function taskCountProblem(minTasks: number, maxTasks: number): Problem {
  return !Number.isInteger(minTasks) || minTasks < 1 || minTasks > maxTasks
    ? `minTasks (${minTasks}) must be at least 1 and not above maxTasks (${maxTasks})`
    : undefined;
}

/** A scale-in drops connections, so it waits longer than a scale-out. */
export function cooldownProblem(
  scaleIn: Duration,
  scaleOut: Duration,
  names = { scaleIn: 'scaleInCooldown', scaleOut: 'scaleOutCooldown' },
): Problem {
  const [inSeconds, outSeconds] = [scaleIn.toSeconds({ integral: false }), scaleOut.toSeconds({ integral: false })];
  return inSeconds <= outSeconds
    ? `${names.scaleIn} (${inSeconds} s) must be longer than ${names.scaleOut} (${outSeconds} s): ` +
        'a scale-in drops connections, so it should be slower'
    : undefined;
}

/** The container's stopTimeout: the drain plus a margin to flush logs and exit, within ECS's maximum. */
export function stopTimeout(drainTimeout: Duration, stopTimeoutMargin: Duration): Duration {
  return Duration.seconds(Math.ceil((drainTimeout.toMilliseconds() + stopTimeoutMargin.toMilliseconds()) / 1000));
}

/** The drain and its margin must fit ECS's stopTimeout maximum. */
export function stopTimeoutProblem(
  drainTimeout: Duration,
  stopTimeoutMargin: Duration,
  names = { drainTimeout: 'drainTimeout', stopTimeoutMargin: 'stopTimeoutMargin' },
): Problem {
  if (stopTimeout(drainTimeout, stopTimeoutMargin).toMilliseconds() <= MAX_STOP_TIMEOUT.toMilliseconds()) return undefined;
  const [drainMs, marginMs] = [drainTimeout.toMilliseconds(), stopTimeoutMargin.toMilliseconds()];
  return (
    `${names.drainTimeout} (${drainMs} ms) + ${names.stopTimeoutMargin} (${marginMs} ms) must be at most ECS's ` +
    `${MAX_STOP_TIMEOUT.toSeconds()} s stopTimeout: use at most ${MAX_STOP_TIMEOUT.toMilliseconds() - marginMs} ms`
  );
}

export interface SocketServiceProps {
  /** VPC of the tasks. */
  readonly vpc: ec2.IVpc;
  /** Security group of the tasks (created outside, so the cache can admit it without a cycle). */
  readonly securityGroup: ec2.ISecurityGroup;
  /** Subnets of the tasks; public ones need assignPublicIp (a VPC without NAT gateways). @default the private subnets with egress */
  readonly taskSubnets?: ec2.SubnetSelection;
  /** Give each task a public IP, its egress without a NAT gateway; only with public taskSubnets. @default false */
  readonly assignPublicIp?: boolean;
  /** Target group the tasks register in. */
  readonly targetGroup: elbv2.IApplicationTargetGroup;
  /** Directory of the service's Dockerfile (the docker build context). */
  readonly imageDirectory: string;
  /** REDIS_URL of the tasks. */
  readonly redisUrl: string;
  /** Secret whose value becomes REDIS_PASSWORD. @default - no password */
  readonly redisPasswordSecret?: secretsmanager.ISecret;
  /** Secret whose value becomes REDIS_PASSWORD_NEXT, the token after the next AUTH rotation. @default - none */
  readonly redisPasswordNextSecret?: secretsmanager.ISecret;
  /** Stable METRICS_SERVICE_NAME; also the dimension value autoscaling reads. */
  readonly metricsServiceName: string;
  /** ADAPTER of the tasks; 'sharded' needs a cluster-mode cache. @default 'pubsub' */
  readonly adapter?: AdapterMode;
  /** Secret whose value becomes API_KEYS (the backend API's keys, comma-separated). @default - no key: the API answers 404 */
  readonly apiKeysSecret?: secretsmanager.ISecret;
  /** JWT handshake auth of the tasks: a JWKS URL or an HS256 signing secret, not both. @default - AUTH_MODE=none */
  readonly auth?: SocketServiceAuth;
  /** CORS_ORIGINS of the tasks. @default - same origin only */
  readonly corsOrigins?: readonly string[];
  /** CORS_ORIGINS_UNSET_REASON: why there are no corsOrigins (logged at start). @default - none */
  readonly corsOriginsUnsetReason?: string;
  /** CPU architecture of the tasks and the image. @default ecs.CpuArchitecture.ARM64 */
  readonly cpuArchitecture?: ecs.CpuArchitecture;
  /** Task CPU units: a Fargate size, with memoryLimitMiB. @default 256 */
  readonly cpu?: number;
  /** Task memory, MiB. @default 512 */
  readonly memoryLimitMiB?: number;
  /** Port the container listens on, 1024..65535 (the container runs as non-root). @default DEFAULT_PORT (3000) */
  readonly containerPort?: number;
  /** Container user; non-root. @default '65532' (the distroless image's nonroot user) */
  readonly containerUser?: string;
  /** Socket.IO pingInterval, within the service's PING_INTERVAL_MS range. @default DEFAULT_PING_INTERVAL_MS (25 s) */
  readonly pingInterval?: Duration;
  /** Socket.IO pingTimeout, within the service's PING_TIMEOUT_MS range. @default DEFAULT_PING_TIMEOUT_MS (20 s) */
  readonly pingTimeout?: Duration;
  /** Bound of the SIGTERM drain, within the service's DRAIN_TIMEOUT_MS range. @default DEFAULT_DRAIN_TIMEOUT_MS (20 s) */
  readonly drainTimeout?: Duration;
  /** Added to drainTimeout for the container's stopTimeout (at most 120 s in total). @default Duration.seconds(10) */
  readonly stopTimeoutMargin?: Duration;
  /** How long a task whose target drains spreads its disconnects over (DRAIN_SPREAD_MS). @default Duration.seconds(30) */
  readonly drainSpread?: Duration;
  /** The ALB's idle timeout: the tasks keep idle connections 5 s longer. @default Duration.seconds(120) */
  readonly albIdleTimeout?: Duration;
  /** LOG_LEVEL. @default 'info' */
  readonly logLevel?: string;
  /** Retention of the container logs. @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Fate of the container log group when removed from the stack. @default RemovalPolicy.DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** Allow ECS Exec into the tasks. @default false */
  readonly enableExecuteCommand?: boolean;
  /** Minimum tasks, 1..maxTasks. @default 1 */
  readonly minTasks?: number;
  /** Maximum tasks, up to 1000. @default 2 */
  readonly maxTasks?: number;
  /** Target average CPU utilisation, 10..90 percent. @default 60 */
  readonly targetCpuPercent?: number;
  /** Target average of connected sockets per task. @default 2000 */
  readonly targetConnectionsPerTask?: number;
  /** Cooldown after a scale-out, at most an hour. @default Duration.seconds(60) */
  readonly scaleOutCooldown?: Duration;
  /** Cooldown after a scale-in; must be longer than scaleOutCooldown. @default Duration.seconds(300) */
  readonly scaleInCooldown?: Duration;
  /** Time ECS ignores failing health checks of a new task. @default Duration.seconds(60) */
  readonly healthCheckGracePeriod?: Duration;
  /** The platform's limits (rates, bursts, connections, buffers), each within the service's range. @default - the service's defaults */
  readonly limits?: ServiceLimits;
}

/** How the tasks verify handshake tokens. */
export interface SocketServiceAuth {
  /** JWKS of an RS256/ES256 issuer. @default - none; signingSecret then */
  readonly jwksUrl?: string;
  /** HS256 secret, handed to the tasks as an ECS secret. @default - none; jwksUrl then */
  readonly signingSecret?: secretsmanager.ISecret;
  /** Expected `iss`. @default - not checked */
  readonly issuer?: string;
  /** Expected `aud`. @default - not checked */
  readonly audience?: string;
}

/**
 * Tasks in public subnets reach ECR, CloudWatch and Secrets Manager only through a public IP of
 * their own, and a task in a private subnet cannot use one: the two props go together.
 */
export function taskPlacementProblem(taskSubnets: ec2.SubnetSelection, assignPublicIp: boolean): Problem {
  const isPublic = taskSubnets.subnetType === ec2.SubnetType.PUBLIC;
  if (isPublic && !assignPublicIp) {
    return 'taskSubnets { subnetType: PUBLIC } needs assignPublicIp: true, or the tasks cannot pull their image nor reach CloudWatch';
  }
  if (!isPublic && assignPublicIp) return 'assignPublicIp only applies with taskSubnets { subnetType: PUBLIC }';
  return undefined;
}

/** The props with their defaults settled, once. */
type Settled = ReturnType<typeof settle>;

function settle(props: SocketServiceProps) {
  const d = SOCKET_SERVICE_DEFAULTS;
  return {
    adapter: props.adapter ?? d.adapter,
    taskSubnets: props.taskSubnets ?? d.taskSubnets,
    assignPublicIp: props.assignPublicIp ?? d.assignPublicIp,
    cpuArchitecture: props.cpuArchitecture ?? d.cpuArchitecture,
    cpu: props.cpu ?? d.cpu,
    memoryLimitMiB: props.memoryLimitMiB ?? d.memoryLimitMiB,
    containerPort: props.containerPort ?? d.containerPort,
    containerUser: props.containerUser ?? d.containerUser,
    pingInterval: props.pingInterval ?? d.pingInterval,
    pingTimeout: props.pingTimeout ?? d.pingTimeout,
    drainTimeout: props.drainTimeout ?? d.drainTimeout,
    stopTimeoutMargin: props.stopTimeoutMargin ?? d.stopTimeoutMargin,
    drainSpread: props.drainSpread ?? d.drainSpread,
    albIdleTimeout: props.albIdleTimeout ?? d.albIdleTimeout,
    logLevel: props.logLevel ?? d.logLevel,
    logRetention: props.logRetention ?? d.logRetention,
    logRemovalPolicy: props.logRemovalPolicy ?? d.logRemovalPolicy,
    enableExecuteCommand: props.enableExecuteCommand ?? d.enableExecuteCommand,
    minTasks: props.minTasks ?? d.minTasks,
    maxTasks: props.maxTasks ?? d.maxTasks,
    targetCpuPercent: props.targetCpuPercent ?? d.targetCpuPercent,
    targetConnectionsPerTask: props.targetConnectionsPerTask ?? d.targetConnectionsPerTask,
    scaleOutCooldown: props.scaleOutCooldown ?? d.scaleOutCooldown,
    scaleInCooldown: props.scaleInCooldown ?? d.scaleInCooldown,
    healthCheckGracePeriod: props.healthCheckGracePeriod ?? d.healthCheckGracePeriod,
  };
}

/** The single-prop checks, then the rules between props; the first problem is thrown. */
function socketServiceProblems(props: SocketServiceProps, s: Settled): Problem[] {
  const limits = SOCKET_SERVICE_LIMITS;
  const unresolved = Token.isUnresolved(s.cpu) || Token.isUnresolved(s.memoryLimitMiB);
  return [
    props.auth && !props.auth.jwksUrl === !props.auth.signingSecret
      ? 'auth needs exactly one of auth.jwksUrl and auth.signingSecret'
      : undefined,
    intRangeProblem('containerPort', s.containerPort, limits.containerPort, 'a non-root container cannot bind below 1024'),
    intRangeProblem('minTasks', s.minTasks, limits.taskCount),
    intRangeProblem('maxTasks', s.maxTasks, limits.taskCount),
    taskCountProblem(s.minTasks, s.maxTasks),
    intRangeProblem('targetCpuPercent', s.targetCpuPercent, limits.targetCpuPercent),
    intRangeProblem('targetConnectionsPerTask', s.targetConnectionsPerTask, limits.targetConnectionsPerTask),
    intRangeProblem('scaleOutCooldown (s)', s.scaleOutCooldown.toSeconds({ integral: false }), limits.cooldownSeconds),
    intRangeProblem('scaleInCooldown (s)', s.scaleInCooldown.toSeconds({ integral: false }), limits.cooldownSeconds),
    cooldownProblem(s.scaleInCooldown, s.scaleOutCooldown),
    intRangeProblem(
      'healthCheckGracePeriod (s)',
      s.healthCheckGracePeriod.toSeconds({ integral: false }),
      limits.healthCheckGracePeriodSeconds,
    ),
    intRangeProblem('pingInterval (ms)', s.pingInterval.toMilliseconds(), limits.pingIntervalMs),
    intRangeProblem('pingTimeout (ms)', s.pingTimeout.toMilliseconds(), limits.pingTimeoutMs),
    intRangeProblem('drainTimeout (ms)', s.drainTimeout.toMilliseconds(), limits.drainTimeoutMs),
    stopTimeoutProblem(s.drainTimeout, s.stopTimeoutMargin),
    intRangeProblem('drainSpread (ms)', s.drainSpread.toMilliseconds(), limits.drainSpreadMs),
    unresolved ? undefined : taskSizeProblem(s.cpu, s.memoryLimitMiB),
    taskPlacementProblem(s.taskSubnets, s.assignPublicIp),
    ...serviceLimitProblems(props.limits),
  ];
}

/** The ECS cluster and the autoscaled Fargate service of Socket.IO nodes. */
export class SocketService extends Construct {
  public readonly ecsCluster: ecs.Cluster;
  public readonly service: ecs.FargateService;
  public readonly taskDefinition: ecs.FargateTaskDefinition;
  public readonly container: ecs.ContainerDefinition;
  public readonly logGroup: logs.LogGroup;
  public readonly scaling: ecs.ScalableTaskCount;
  /** METRICS_SERVICE_NAME of the tasks (the ServiceName dimension value). */
  public readonly metricsServiceName: string;
  /** Average connected sockets per task, as autoscaling reads it. */
  public readonly connectionsPerTaskMetric: cloudwatch.Metric;

  constructor(scope: Construct, id: string, props: SocketServiceProps) {
    super(scope, id);
    const s = settle(props);
    throwPropsProblems(this, socketServiceProblems(props, s));
    this.metricsServiceName = props.metricsServiceName;

    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: s.logRetention, removalPolicy: s.logRemovalPolicy });
    this.ecsCluster = new ecs.Cluster(this, 'Cluster', {
      vpc: props.vpc,
      // Standard, not enhanced: on-call reads only the service's task counts (RunningTaskCount, DesiredTaskCount),
      // which the standard level publishes; enhanced adds per-task metrics, a new set with every deploy (docs/deploy.md).
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
      // ECS Exec uploads a session's transcript only where the image has `script` and `cat`; the
      // distroless image has neither, so nothing would be logged and no log grant is asked for.
      // CloudTrail still records each ExecuteCommand call (docs/runbooks/README.md).
      executeCommandConfiguration: s.enableExecuteCommand ? { logging: ecs.ExecuteCommandLogging.NONE } : undefined,
    });

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: s.cpu,
      memoryLimitMiB: s.memoryLimitMiB,
      runtimePlatform: { cpuArchitecture: s.cpuArchitecture, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    });
    // PutMetricData has no resource-level permissions; the namespace condition is the scope.
    this.taskDefinition.addToTaskRolePolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': METRICS_NAMESPACE } },
      }),
    );
    // The drain signal: a task reads its own target's health. ELB's Describe* actions take no resource ARNs.
    this.taskDefinition.addToTaskRolePolicy(
      new iam.PolicyStatement({ actions: ['elasticloadbalancing:DescribeTargetHealth'], resources: ['*'] }),
    );
    this.container = this.addContainer(props, s);
    if (s.enableExecuteCommand) this.addExecWritablePaths();

    // Re-imported here so the ALB-to-tasks ingress rule lands in this stack, not in the stack that
    // owns the group (which would then depend on this one: a cycle).
    const securityGroup = ec2.SecurityGroup.fromSecurityGroupId(this, 'TasksSecurityGroup', props.securityGroup.securityGroupId, {
      allowAllOutbound: props.securityGroup.allowAllOutbound,
    });
    this.service = new ecs.FargateService(this, 'Service', {
      cluster: this.ecsCluster,
      taskDefinition: this.taskDefinition,
      vpcSubnets: s.taskSubnets,
      securityGroups: [securityGroup],
      // Public IPs only without a NAT gateway; the security group still admits the ALB alone.
      assignPublicIp: s.assignPublicIp,
      circuitBreaker: { enable: true, rollback: true },
      minHealthyPercent: 100,
      maxHealthyPercent: DEPLOY_MAX_HEALTHY_PERCENT,
      enableExecuteCommand: s.enableExecuteCommand,
      healthCheckGracePeriod: s.healthCheckGracePeriod,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
    });
    // Autoscaling owns the task count: a DesiredCount in the template would reset it on every deploy.
    (this.service.node.defaultChild as ecs.CfnService).addPropertyDeletionOverride('DesiredCount');
    this.service.attachToApplicationTargetGroup(props.targetGroup);

    this.connectionsPerTaskMetric = new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: SERVICE_METRICS.connectedClients.name,
      dimensionsMap: { [SERVICE_DIMENSION]: props.metricsServiceName },
      statistic: SERVICE_METRICS.connectedClients.statistic,
      period: Duration.minutes(1),
    });
    this.scaling = this.addScaling(s);
    this.acknowledgeNagFindings();
  }

  private addContainer(props: SocketServiceProps, s: Settled): ecs.ContainerDefinition {
    return this.taskDefinition.addContainer('socketio', {
      image: ecs.ContainerImage.fromAsset(props.imageDirectory, {
        file: 'Dockerfile',
        platform: s.cpuArchitecture === ecs.CpuArchitecture.X86_64 ? ecrAssets.Platform.LINUX_AMD64 : ecrAssets.Platform.LINUX_ARM64,
      }),
      essential: true,
      user: s.containerUser,
      readonlyRootFilesystem: true,
      portMappings: [{ containerPort: s.containerPort, protocol: ecs.Protocol.TCP }],
      stopTimeout: stopTimeout(s.drainTimeout, s.stopTimeoutMargin),
      logging: ecs.LogDrivers.awsLogs({
        logGroup: this.logGroup,
        streamPrefix: 'socketio',
        // A slow log pipeline must never stall the event loop.
        mode: ecs.AwsLogDriverMode.NON_BLOCKING,
        maxBufferSize: Size.mebibytes(25),
      }),
      environment: {
        PORT: String(s.containerPort),
        REDIS_URL: props.redisUrl,
        DRAIN_TIMEOUT_MS: String(s.drainTimeout.toMilliseconds()),
        PING_INTERVAL_MS: String(s.pingInterval.toMilliseconds()),
        PING_TIMEOUT_MS: String(s.pingTimeout.toMilliseconds()),
        METRICS_ENABLED: 'true',
        METRICS_SERVICE_NAME: props.metricsServiceName,
        LOG_LEVEL: s.logLevel,
        ADAPTER: s.adapter,
        AUTH_MODE: props.auth ? 'jwt' : 'none',
        ...(props.auth?.jwksUrl ? { AUTH_JWKS_URL: props.auth.jwksUrl } : {}),
        ...(props.auth?.issuer ? { AUTH_JWT_ISSUER: props.auth.issuer } : {}),
        ...(props.auth?.audience ? { AUTH_JWT_AUDIENCE: props.auth.audience } : {}),
        ...(props.corsOrigins?.length ? { CORS_ORIGINS: props.corsOrigins.join(',') } : {}),
        ...(props.corsOriginsUnsetReason ? { CORS_ORIGINS_UNSET_REASON: props.corsOriginsUnsetReason } : {}),
        // Only the limits that are set: the service's own default applies to the rest.
        ...serviceLimitsEnv(props.limits),
        ...taskDrainEnv(
          { maxTasks: s.maxTasks, drainSpread: s.drainSpread, idleTimeout: s.albIdleTimeout },
          props.targetGroup.targetGroupArn,
        ),
      } satisfies ContainerEnv,
      // Typed by the same contract: a secret is one of the service's variables, delivered by ECS.
      secrets: {
        ...(props.redisPasswordSecret ? { REDIS_PASSWORD: ecs.Secret.fromSecretsManager(props.redisPasswordSecret) } : {}),
        ...(props.redisPasswordNextSecret ? { REDIS_PASSWORD_NEXT: ecs.Secret.fromSecretsManager(props.redisPasswordNextSecret) } : {}),
        ...(props.auth?.signingSecret ? { AUTH_JWT_SECRET: ecs.Secret.fromSecretsManager(props.auth.signingSecret) } : {}),
        ...(props.apiKeysSecret ? { API_KEYS: ecs.Secret.fromSecretsManager(props.apiKeysSecret) } : {}),
      } satisfies { [K in keyof ContainerEnv]?: ecs.Secret },
    });
  }

  /** One task-storage volume per path the SSM agent writes to, mounted writable in the container. */
  private addExecWritablePaths(): void {
    for (const containerPath of ECS_EXEC_WRITABLE_PATHS) {
      // No host path and no EFS: on Fargate that is a bind mount on the task's ephemeral storage.
      const name = `ecs-exec${containerPath.replace(/\//g, '-')}`;
      this.taskDefinition.addVolume({ name });
      this.container.addMountPoints({ containerPath, sourceVolume: name, readOnly: false });
    }
  }

  /** Target tracking on CPU and on connected sockets per task, both with the same cooldowns. */
  private addScaling(s: Settled): ecs.ScalableTaskCount {
    const scaling = this.service.autoScaleTaskCount({ minCapacity: s.minTasks, maxCapacity: s.maxTasks });
    const cooldowns = { scaleOutCooldown: s.scaleOutCooldown, scaleInCooldown: s.scaleInCooldown };
    scaling.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: s.targetCpuPercent, ...cooldowns });
    scaling.scaleToTrackCustomMetric('Connections', {
      metric: this.connectionsPerTaskMetric,
      targetValue: s.targetConnectionsPerTask,
      ...cooldowns,
    });
    return scaling;
  }

  private acknowledgeNagFindings(): void {
    Validations.of(this.taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason:
        'The environment holds non-secret settings only (port, endpoint, timeouts, log level); ' +
        'the AUTH token, the signing secret and the API keys come from Secrets Manager through `secrets`.',
    });
    Validations.of(this.taskDefinition).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Task role: cloudwatch:PutMetricData supports no resource ARNs and is scoped by the cloudwatch:namespace condition; ' +
        'elasticloadbalancing:DescribeTargetHealth (the drain signal, read-only) supports no resource ARNs; ' +
        'ECS Exec (when enabled) needs the ssmmessages channels, which have no resource ARNs either. ' +
        'Execution role: ecr:GetAuthorizationToken supports no resource ARNs.',
    });
  }
}
