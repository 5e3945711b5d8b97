import { App, Duration, Environment, RemovalPolicy } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { CacheStack } from './cache-stack';
import { CacheLockFile, CreateOnlyValues } from './cache-replacement-guard';
import { metricsServiceName, replicationGroupId, stackNames } from '../contract/stack';
import { DeploymentConfig } from './config';
import { pickThresholds } from './monitoring-thresholds';
import { addNagChecks } from './nag';
import { NetworkStack } from './network-stack';
import { ServiceStack } from './service-stack';

export interface SystemOptions {
  /** Directory of the service's Dockerfile. */
  readonly imageDirectory: string;
  /** The checked-in lock of the replication group's replacement-causing properties. @default - no guard */
  readonly cacheLock?: CacheLockFile;
  /** Add the cdk-nag AwsSolutions checks to the app. @default true */
  readonly nag?: boolean;
}

export interface SystemStacks {
  readonly network: NetworkStack;
  readonly cache: CacheStack;
  readonly service: ServiceStack;
}

/** Adds the three stacks of one stage to `app`, wired from the typed config. */
export function addSystem(app: App, config: DeploymentConfig, options: SystemOptions): SystemStacks {
  // Concrete region (ALB access logging needs it); the account may stay the deploy credentials'.
  const env: Environment = { account: config.account, region: config.region };
  const names = stackNames(config);
  const retention = config.logRetentionDays as logs.RetentionDays;
  const logRemovalPolicy = config.stage === 'prod' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
  const tags = { app: config.appName, stage: config.stage };

  const network = new NetworkStack(app, names.network, {
    env,
    tags,
    description: `${config.appName} ${config.stage}: VPC and the service security group`,
    existingVpcId: config.vpcId,
    maxAzs: config.maxAzs,
    natGateways: config.natGateways,
    flowLogRetention: retention,
    logRemovalPolicy,
  });

  const lockEntry = options.cacheLock?.[config.stage];
  const cache = new CacheStack(app, names.cache, {
    env,
    tags,
    description: `${config.appName} ${config.stage}: ElastiCache replication group (stateful)`,
    vpc: network.vpc,
    subnets: network.cacheSubnets,
    clientSecurityGroup: network.serviceSecurityGroup,
    replicationGroupId: replicationGroupId(config),
    engine: config.cacheEngine,
    engineVersion: config.cacheEngineVersion,
    nodeType: config.cacheNodeType,
    ...(config.cacheClusterMode
      ? { clusterMode: { shards: config.cacheShards, replicasPerShard: config.cacheReplicasPerShard } }
      : { numCacheClusters: config.numCacheClusters }),
    transitEncryption: config.cacheTls,
    maintenanceWindow: config.cacheMaintenanceWindow,
    snapshotWindow: config.cacheSnapshotWindow,
    snapshotRetentionDays: config.cacheSnapshotRetentionDays,
    removalPolicy: config.retainCache ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    logRetention: retention,
    lockedCreateOnlyValues: typeof lockEntry === 'object' ? (lockEntry as CreateOnlyValues) : undefined,
    lockName: config.stage,
    allowReplacement: typeof lockEntry === 'object' ? config.allowCacheReplacement : undefined,
  });

  const service = new ServiceStack(app, names.service, {
    env,
    tags,
    description: `${config.appName} ${config.stage}: ALB, ECS cluster and the Socket.IO Fargate service`,
    vpc: network.vpc,
    serviceSecurityGroup: network.serviceSecurityGroup,
    imageDirectory: options.imageDirectory,
    redisUrl: cache.redisUrl,
    redisPasswordSecret: cache.authSecret,
    // One setting switches both: a sharded cache needs the sharded adapter.
    adapter: cache.clusterMode ? 'sharded' : 'pubsub',
    auth:
      config.authMode === 'jwt'
        ? { jwksUrl: config.authJwksUrl, issuer: config.authJwtIssuer, audience: config.authJwtAudience }
        : undefined,
    corsOrigins: config.corsOrigins,
    metricsServiceName: metricsServiceName(config),
    cpuArchitecture: config.cpuArchitecture === 'X86_64' ? ecs.CpuArchitecture.X86_64 : ecs.CpuArchitecture.ARM64,
    cpu: config.taskCpu,
    memoryLimitMiB: config.taskMemoryMiB,
    containerPort: config.containerPort,
    pingInterval: Duration.millis(config.pingIntervalMs),
    pingTimeout: Duration.millis(config.pingTimeoutMs),
    drainTimeout: Duration.millis(config.drainTimeoutMs),
    logLevel: config.logLevel,
    logRetention: retention,
    logRemovalPolicy,
    enableExecuteCommand: config.enableExecuteCommand,
    minTasks: config.minTasks,
    maxTasks: config.maxTasks,
    targetCpuPercent: config.targetCpuPercent,
    targetConnectionsPerTask: config.targetConnectionsPerTask,
    scaleOutCooldown: Duration.seconds(config.scaleOutCooldownSeconds),
    scaleInCooldown: Duration.seconds(config.scaleInCooldownSeconds),
    healthCheckGracePeriod: Duration.seconds(config.healthCheckGracePeriodSeconds),
    certificateArn: config.certificateArn,
    idleTimeout: Duration.seconds(config.albIdleTimeoutSeconds),
    stickinessDuration: Duration.seconds(config.stickinessDurationSeconds),
    accessLogExpiration: Duration.days(config.accessLogExpirationDays),
    cache: {
      replicationGroupId: cache.replicationGroupId,
      cacheNodeType: cache.nodeType,
      numCacheClusters: cache.numCacheClusters,
      cacheMemberIds: cache.memberClusterIds,
      cacheEngine: cache.engine,
      cacheEngineVersion: cache.cache.engineVersion,
    },
    // The config's keys are the construct's names: the thresholds and subscribers pass through as they are.
    monitoring: {
      thresholds: pickThresholds(config),
      alarmEmails: config.alarmEmails,
      alarmHttpsEndpoints: config.alarmHttpsEndpoints,
      warningEmails: config.warningEmails,
      warningHttpsEndpoints: config.warningHttpsEndpoints,
    },
  });

  if (options.nag ?? true) addNagChecks(app);
  return { network, cache, service };
}
