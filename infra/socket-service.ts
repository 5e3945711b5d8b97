import { Duration, RemovalPolicy, Size, Stack, Token, Validations } from 'aws-cdk-lib';
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

/** ECS's upper bound for a Fargate container's stopTimeout. */
const MAX_STOP_TIMEOUT = Duration.seconds(120);

export interface SocketServiceProps {
  /** VPC whose private subnets with egress hold the tasks. */
  readonly vpc: ec2.IVpc;
  /** Security group of the tasks (created outside, so the cache can admit it without a cycle). */
  readonly securityGroup: ec2.ISecurityGroup;
  /** Target group the tasks register in. */
  readonly targetGroup: elbv2.IApplicationTargetGroup;
  /** Directory of the service's Dockerfile (the docker build context). */
  readonly imageDirectory: string;
  /** REDIS_URL of the tasks. */
  readonly redisUrl: string;
  /** Secret whose value becomes REDIS_PASSWORD. @default - no password */
  readonly redisPasswordSecret?: secretsmanager.ISecret;
  /** Stable METRICS_SERVICE_NAME; also the dimension value autoscaling reads. */
  readonly metricsServiceName: string;
  /** ADAPTER of the tasks; 'sharded' needs a cluster-mode cache. @default 'pubsub' */
  readonly adapter?: AdapterMode;
  /** JWT handshake auth of the tasks: a JWKS URL or an HS256 signing secret, not both. @default - AUTH_MODE=none */
  readonly auth?: SocketServiceAuth;
  /** CORS_ORIGINS of the tasks. @default - same origin only */
  readonly corsOrigins?: readonly string[];
  /** CPU architecture of the tasks and the image. @default ecs.CpuArchitecture.ARM64 */
  readonly cpuArchitecture?: ecs.CpuArchitecture;
  /** Task CPU units. @default 256 */
  readonly cpu?: number;
  /** Task memory, MiB. @default 512 */
  readonly memoryLimitMiB?: number;
  /** Port the container listens on. @default DEFAULT_PORT (3000) */
  readonly containerPort?: number;
  /** Container user; non-root. @default '65532' (the distroless image's nonroot user) */
  readonly containerUser?: string;
  /** Socket.IO pingInterval. @default DEFAULT_PING_INTERVAL_MS */
  readonly pingInterval?: Duration;
  /** Socket.IO pingTimeout. @default DEFAULT_PING_TIMEOUT_MS */
  readonly pingTimeout?: Duration;
  /** Bound of the SIGTERM drain. @default DEFAULT_DRAIN_TIMEOUT_MS */
  readonly drainTimeout?: Duration;
  /** Added to drainTimeout for the container's stopTimeout (at most 120 s in total). @default Duration.seconds(10) */
  readonly stopTimeoutMargin?: Duration;
  /** LOG_LEVEL. @default 'info' */
  readonly logLevel?: string;
  /** Retention of the container logs. @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Fate of the container log group when removed from the stack. @default RemovalPolicy.DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** Allow ECS Exec into the tasks. @default false */
  readonly enableExecuteCommand?: boolean;
  /** Minimum tasks. @default 1 */
  readonly minTasks?: number;
  /** Maximum tasks. @default 2 */
  readonly maxTasks?: number;
  /** Target average CPU utilisation, percent. @default 60 */
  readonly targetCpuPercent?: number;
  /** Target average of connected sockets per task. @default 2000 */
  readonly targetConnectionsPerTask?: number;
  /** Cooldown after a scale-out. @default Duration.seconds(60) */
  readonly scaleOutCooldown?: Duration;
  /** Cooldown after a scale-in; must be longer than scaleOutCooldown. @default Duration.seconds(300) */
  readonly scaleInCooldown?: Duration;
  /** Time ECS ignores failing health checks of a new task. @default Duration.seconds(60) */
  readonly healthCheckGracePeriod?: Duration;
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

/** The ECS cluster and the autoscaled Fargate service of Socket.IO nodes. */
export class SocketService extends Construct {
  public readonly cluster: ecs.Cluster;
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
    const cpuArchitecture = props.cpuArchitecture ?? ecs.CpuArchitecture.ARM64;
    const containerPort = props.containerPort ?? DEFAULT_PORT;
    const pingInterval = props.pingInterval ?? Duration.millis(DEFAULT_PING_INTERVAL_MS);
    const pingTimeout = props.pingTimeout ?? Duration.millis(DEFAULT_PING_TIMEOUT_MS);
    const drainTimeout = props.drainTimeout ?? Duration.millis(DEFAULT_DRAIN_TIMEOUT_MS);
    const stopTimeoutMargin = props.stopTimeoutMargin ?? Duration.seconds(10);
    const minTasks = props.minTasks ?? 1;
    const maxTasks = props.maxTasks ?? 2;
    const scaleOutCooldown = props.scaleOutCooldown ?? Duration.seconds(60);
    const scaleInCooldown = props.scaleInCooldown ?? Duration.seconds(300);
    this.metricsServiceName = props.metricsServiceName;

    if (props.auth && !props.auth.jwksUrl === !props.auth.signingSecret) {
      throw new Error('SocketService: auth needs exactly one of auth.jwksUrl and auth.signingSecret');
    }
    const stopTimeoutSeconds = Math.ceil((drainTimeout.toMilliseconds() + stopTimeoutMargin.toMilliseconds()) / 1000);
    if (stopTimeoutSeconds > MAX_STOP_TIMEOUT.toSeconds()) {
      throw new Error(
        `SocketService: drainTimeout (${drainTimeout.toMilliseconds()} ms) + stopTimeoutMargin (${stopTimeoutMargin.toMilliseconds()} ms) must be at most ECS's 120 s stopTimeout`,
      );
    }
    if (minTasks < 1 || minTasks > maxTasks) {
      throw new Error(`SocketService: minTasks (${minTasks}) must be at least 1 and not above maxTasks (${maxTasks})`);
    }
    if (scaleInCooldown.toSeconds() <= scaleOutCooldown.toSeconds()) {
      throw new Error(
        `SocketService: scaleInCooldown (${scaleInCooldown.toSeconds()} s) must be longer than scaleOutCooldown (${scaleOutCooldown.toSeconds()} s)`,
      );
    }

    const enableExecuteCommand = props.enableExecuteCommand ?? false;
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: props.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENHANCED,
      // ECS Exec sessions are audited into the service's own log group (and the grant stays scoped to it).
      executeCommandConfiguration: enableExecuteCommand
        ? {
            logging: ecs.ExecuteCommandLogging.OVERRIDE,
            logConfiguration: { cloudWatchLogGroup: this.logGroup },
          }
        : undefined,
    });

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: props.cpu ?? 256,
      memoryLimitMiB: props.memoryLimitMiB ?? 512,
      runtimePlatform: { cpuArchitecture, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    });
    // PutMetricData has no resource-level permissions; the namespace condition is the scope.
    this.taskDefinition.addToTaskRolePolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': METRICS_NAMESPACE } },
      }),
    );

    this.container = this.taskDefinition.addContainer('socketio', {
      image: ecs.ContainerImage.fromAsset(props.imageDirectory, {
        file: 'Dockerfile',
        platform: cpuArchitecture === ecs.CpuArchitecture.X86_64 ? ecrAssets.Platform.LINUX_AMD64 : ecrAssets.Platform.LINUX_ARM64,
      }),
      essential: true,
      user: props.containerUser ?? '65532',
      readonlyRootFilesystem: true,
      portMappings: [{ containerPort, protocol: ecs.Protocol.TCP }],
      stopTimeout: Duration.seconds(stopTimeoutSeconds),
      logging: ecs.LogDrivers.awsLogs({
        logGroup: this.logGroup,
        streamPrefix: 'socketio',
        // A slow log pipeline must never stall the event loop.
        mode: ecs.AwsLogDriverMode.NON_BLOCKING,
        maxBufferSize: Size.mebibytes(25),
      }),
      environment: {
        PORT: String(containerPort),
        REDIS_URL: props.redisUrl,
        DRAIN_TIMEOUT_MS: String(drainTimeout.toMilliseconds()),
        PING_INTERVAL_MS: String(pingInterval.toMilliseconds()),
        PING_TIMEOUT_MS: String(pingTimeout.toMilliseconds()),
        METRICS_ENABLED: 'true',
        METRICS_SERVICE_NAME: props.metricsServiceName,
        LOG_LEVEL: props.logLevel ?? 'info',
        ADAPTER: props.adapter ?? 'pubsub',
        AUTH_MODE: props.auth ? 'jwt' : 'none',
        ...(props.auth?.jwksUrl ? { AUTH_JWKS_URL: props.auth.jwksUrl } : {}),
        ...(props.auth?.issuer ? { AUTH_JWT_ISSUER: props.auth.issuer } : {}),
        ...(props.auth?.audience ? { AUTH_JWT_AUDIENCE: props.auth.audience } : {}),
        ...(props.corsOrigins?.length ? { CORS_ORIGINS: props.corsOrigins.join(',') } : {}),
      } satisfies ContainerEnv,
      // Typed by the same contract: a secret is one of the service's variables, delivered by ECS.
      secrets: {
        ...(props.redisPasswordSecret ? { REDIS_PASSWORD: ecs.Secret.fromSecretsManager(props.redisPasswordSecret) } : {}),
        ...(props.auth?.signingSecret ? { AUTH_JWT_SECRET: ecs.Secret.fromSecretsManager(props.auth.signingSecret) } : {}),
      } satisfies { [K in keyof ContainerEnv]?: ecs.Secret },
    });

    // Re-imported here so the ALB-to-tasks ingress rule lands in this stack, not in the stack that
    // owns the group (which would then depend on this one: a cycle).
    const securityGroup = ec2.SecurityGroup.fromSecurityGroupId(this, 'TasksSecurityGroup', props.securityGroup.securityGroupId, {
      allowAllOutbound: props.securityGroup.allowAllOutbound,
    });
    this.service = new ecs.FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [securityGroup],
      assignPublicIp: false,
      circuitBreaker: { enable: true, rollback: true },
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      enableExecuteCommand,
      healthCheckGracePeriod: props.healthCheckGracePeriod ?? Duration.seconds(60),
      propagateTags: ecs.PropagatedTagSource.SERVICE,
    });
    // Autoscaling owns the task count: a DesiredCount in the template would reset it on every deploy.
    (this.service.node.defaultChild as ecs.CfnService).addPropertyDeletionOverride('DesiredCount');
    this.service.attachToApplicationTargetGroup(props.targetGroup);

    this.scaling = this.service.autoScaleTaskCount({ minCapacity: minTasks, maxCapacity: maxTasks });
    this.scaling.scaleOnCpuUtilization('Cpu', {
      targetUtilizationPercent: props.targetCpuPercent ?? 60,
      scaleOutCooldown,
      scaleInCooldown,
    });
    this.connectionsPerTaskMetric = new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: SERVICE_METRICS.connectedClients.name,
      dimensionsMap: { [SERVICE_DIMENSION]: props.metricsServiceName },
      statistic: SERVICE_METRICS.connectedClients.statistic,
      period: Duration.minutes(1),
    });
    this.scaling.scaleToTrackCustomMetric('Connections', {
      metric: this.connectionsPerTaskMetric,
      targetValue: props.targetConnectionsPerTask ?? 2_000,
      scaleOutCooldown,
      scaleInCooldown,
    });

    Validations.of(this.taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason:
        'The environment holds non-secret settings only (port, endpoint, timeouts, log level); the AUTH token comes from Secrets Manager through `secrets`.',
    });
    if (enableExecuteCommand) {
      // cdk-nag names this finding after the exact ARN pattern: log streams of the group above.
      const stack = Stack.of(this);
      const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
      const logGroupId = stack.resolve((this.logGroup.node.defaultChild as logs.CfnLogGroup).logicalId) as string;
      Validations.of(this.taskDefinition).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:${region}:<AWS::AccountId>:log-group:<${logGroupId}>:*]`,
        reason:
          "ECS Exec writes session transcripts as new log streams of the service log group; the wildcard covers only that group's streams.",
      });
    }
    Validations.of(this.taskDefinition).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Task role: cloudwatch:PutMetricData supports no resource ARNs and is scoped by the cloudwatch:namespace condition; ECS Exec (when enabled) needs ssmmessages channels and logs:DescribeLogGroups, which have no resource ARNs either. Execution role: ecr:GetAuthorizationToken supports no resource ARNs.',
    });
  }
}
