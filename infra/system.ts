import { App, Duration, Environment, RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { CacheStack, CacheStackProps } from './cache-stack';
import { CacheLockFile, CreateOnlyValues } from './cache-replacement-guard';
import { metricsServiceName, replicationGroupId, stackNames } from '../contract/stack';
import { DeploymentConfig } from './config';
import { pickThresholds } from './monitoring-thresholds';
import { addNagChecks } from './nag';
import { pickServiceLimits } from './service-limits';
import { NetworkStack, NetworkStackProps } from './network-stack';
import { ServiceStack, ServiceStackProps } from './service-stack';
import { CPU_ARCHITECTURES } from './socket-service';

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

/** What every stack of the stage shares: where it deploys, its tags, and the fate and retention of its logs. */
function common(config: DeploymentConfig) {
  // Concrete region (ALB access logging needs it); the account may stay the deploy credentials'.
  const env: Environment = { account: config.account, region: config.region };
  return {
    env,
    tags: { app: config.appName, stage: config.stage },
    // Unset: each construct's own default.
    logRetention: config.logRetentionDays as logs.RetentionDays | undefined,
    logRemovalPolicy: removalPolicy(config.stage === 'prod'),
  };
}

/** A config's keep-on-delete switch as the removal policy its resources take. */
function removalPolicy(retain: boolean): RemovalPolicy {
  return retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
}

function networkProps(config: DeploymentConfig): NetworkStackProps {
  const { env, tags, logRetention, logRemovalPolicy } = common(config);
  return {
    env,
    tags,
    description: `${config.appName} ${config.stage}: VPC and the service security group`,
    existingVpcId: config.vpcId,
    maxAzs: config.maxAzs,
    natGateways: config.natGateways,
    flowLogRetention: logRetention,
    logRemovalPolicy,
    // What a retained cache sits in (its subnets and the VPC) is retained with it (docs/deploy.md, Teardown).
    cacheRemovalPolicy: removalPolicy(config.retainCache),
  };
}

function cacheProps(config: DeploymentConfig, network: NetworkStack, lock: CacheLockFile | undefined): CacheStackProps {
  const { env, tags, logRetention } = common(config);
  const locked = typeof lock?.[config.stage] === 'object' ? (lock[config.stage] as CreateOnlyValues) : undefined;
  return {
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
    removalPolicy: removalPolicy(config.retainCache),
    logRetention,
    lockedCreateOnlyValues: locked,
    lockName: config.stage,
    allowReplacement: locked ? config.allowCacheReplacement : undefined,
  };
}

function serviceProps(config: DeploymentConfig, network: NetworkStack, cache: CacheStack, imageDirectory: string): ServiceStackProps {
  const { env, tags, logRetention, logRemovalPolicy } = common(config);
  return {
    env,
    tags,
    description: `${config.appName} ${config.stage}: ALB, ECS cluster and the Socket.IO Fargate service`,
    vpc: network.vpc,
    serviceSecurityGroup: network.serviceSecurityGroup,
    taskSubnets: network.taskSubnets,
    assignPublicIp: network.taskAssignPublicIp,
    imageDirectory,
    redisUrl: cache.redisUrl,
    redisPasswordSecret: cache.authSecret,
    redisPasswordNextSecret: cache.authNextSecret,
    // One setting switches both: a sharded cache needs the sharded adapter.
    adapter: cache.clusterMode ? 'sharded' : 'pubsub',
    auth:
      config.authMode === 'jwt'
        ? { jwksUrl: config.authJwksUrl, issuer: config.authJwtIssuer, audience: config.authJwtAudience }
        : undefined,
    corsOrigins: config.corsOrigins,
    corsOriginsUnsetReason: config.corsOriginsUnsetReason,
    waf: config.wafEnabled ? { socketIoRequestsPerIp: config.wafSocketIoRequestsPerIp } : undefined,
    metricsServiceName: metricsServiceName(config),
    cpuArchitecture: CPU_ARCHITECTURES[config.cpuArchitecture],
    cpu: config.taskCpu,
    memoryLimitMiB: config.taskMemoryMiB,
    containerPort: config.containerPort,
    pingInterval: Duration.millis(config.pingIntervalMs),
    pingTimeout: Duration.millis(config.pingTimeoutMs),
    drainTimeout: Duration.millis(config.drainTimeoutMs),
    drainSpread: Duration.millis(config.drainSpreadMs),
    logLevel: config.logLevel,
    logRetention,
    logRemovalPolicy,
    enableExecuteCommand: config.enableExecuteCommand,
    minTasks: config.minTasks,
    maxTasks: config.maxTasks,
    targetCpuPercent: config.targetCpuPercent,
    targetConnectionsPerTask: config.targetConnectionsPerTask,
    scaleOutCooldown: Duration.seconds(config.scaleOutCooldownSeconds),
    scaleInCooldown: Duration.seconds(config.scaleInCooldownSeconds),
    healthCheckGracePeriod: Duration.seconds(config.healthCheckGracePeriodSeconds),
    // The config's keys are the limits' names; the unset ones stay unset, so the service's defaults apply.
    limits: pickServiceLimits(config),
    secretsRemovalPolicy: removalPolicy(config.retainSecrets),
    certificateArn: config.certificateArn,
    idleTimeout: Duration.seconds(config.albIdleTimeoutSeconds),
    stickinessDuration: Duration.seconds(config.stickinessDurationSeconds),
    accessLogExpiration: Duration.days(config.accessLogExpirationDays),
    apiAllowedCidrs: config.apiAllowedCidrs,
    cache: {
      replicationGroupId: cache.replicationGroupId,
      cacheNodeType: cache.nodeType,
      numCacheClusters: cache.numCacheClusters,
      cacheMemberIds: cache.cacheMemberIds,
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
  };
}

/** Adds the three stacks of one stage to `app`, wired from the typed config. */
export function addSystem(app: App, config: DeploymentConfig, options: SystemOptions): SystemStacks {
  const names = stackNames(config);
  const network = new NetworkStack(app, names.network, networkProps(config));
  const cache = new CacheStack(app, names.cache, cacheProps(config, network, options.cacheLock));
  const service = new ServiceStack(app, names.service, serviceProps(config, network, cache, options.imageDirectory));
  if (options.nag ?? true) addNagChecks(app);
  return { network, cache, service };
}
