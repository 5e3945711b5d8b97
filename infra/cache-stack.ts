import { CfnOutput, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { Cache } from './cache';
import { CreateOnlyValues } from './cache-replacement-guard';
import { CacheEngine } from './config';

export interface CacheStackProps extends StackProps {
  /** VPC of the cache. */
  readonly vpc: ec2.IVpc;
  /** Subnets of the cache subnet group. @default the VPC's isolated subnets */
  readonly subnets?: ec2.SubnetSelection;
  /** Security group of the service tasks, the only one admitted. */
  readonly clientSecurityGroup: ec2.ISecurityGroup;
  /** Stable replication group id. */
  readonly replicationGroupId: string;
  /** Engine. @default 'valkey' */
  readonly engine?: CacheEngine;
  /** Engine version. @default the version pinned for the engine */
  readonly engineVersion?: string;
  /** Node type. @default 'cache.t4g.micro' */
  readonly nodeType?: string;
  /** Primary plus replicas. @default 1 */
  readonly numCacheClusters?: number;
  /** Cluster mode (shards); replaces numCacheClusters. @default - cluster mode disabled */
  readonly clusterMode?: { readonly shards: number; readonly replicasPerShard: number };
  /** TLS plus AUTH token. @default true */
  readonly transitEncryption?: boolean;
  /** Weekly maintenance window (UTC). @default 'sun:05:00-sun:06:00' */
  readonly maintenanceWindow?: string;
  /** Daily snapshot window (UTC). @default '03:00-04:00' */
  readonly snapshotWindow?: string;
  /** Days of automatic snapshots. @default 0 */
  readonly snapshotRetentionDays?: number;
  /** Fate of the replication group, secret and slow log on stack deletion. @default RemovalPolicy.DESTROY */
  readonly removalPolicy?: RemovalPolicy;
  /** Slow-log retention. @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Locked values of the replacement-causing properties. @default - no guard */
  readonly lockedCreateOnlyValues?: CreateOnlyValues;
  /** Lock entry name for messages. @default the replication group id */
  readonly lockName?: string;
  /** Let a replacement through the guard. @default false */
  readonly allowReplacement?: boolean;
}

/** The stateful part, alone in its stack: a service change never updates this stack. */
export class CacheStack extends Stack {
  public readonly cache: Cache;
  public readonly replicationGroup: elasticache.CfnReplicationGroup;
  public readonly replicationGroupId: string;
  public readonly nodeType: string;
  public readonly numCacheClusters: number;
  /** True in cluster mode: the service must run the sharded adapter. */
  public readonly clusterMode: boolean;
  /** CacheClusterId of every member node, for per-node metrics. */
  public readonly memberClusterIds: string[];
  public readonly engine: CacheEngine;
  public readonly authSecret?: secretsmanager.ISecret;
  public readonly redisUrl: string;

  constructor(scope: Construct, id: string, props: CacheStackProps) {
    super(scope, id, props);
    const { vpc, subnets, clientSecurityGroup, replicationGroupId, ...rest } = props;
    this.cache = new Cache(this, 'Cache', {
      vpc,
      subnets,
      clientSecurityGroup,
      replicationGroupId,
      engine: rest.engine,
      engineVersion: rest.engineVersion,
      nodeType: rest.nodeType,
      numCacheClusters: rest.numCacheClusters,
      clusterMode: rest.clusterMode,
      transitEncryption: rest.transitEncryption,
      maintenanceWindow: rest.maintenanceWindow,
      snapshotWindow: rest.snapshotWindow,
      snapshotRetentionDays: rest.snapshotRetentionDays,
      removalPolicy: rest.removalPolicy,
      logRetention: rest.logRetention,
      lockedCreateOnlyValues: rest.lockedCreateOnlyValues,
      lockName: rest.lockName,
      allowReplacement: rest.allowReplacement,
    });
    this.replicationGroup = this.cache.replicationGroup;
    this.replicationGroupId = this.cache.replicationGroupId;
    this.nodeType = this.cache.nodeType;
    this.numCacheClusters = this.cache.numCacheClusters;
    this.clusterMode = this.cache.clusterMode !== undefined;
    this.memberClusterIds = this.cache.memberClusterIds;
    this.engine = this.cache.engine;
    this.authSecret = this.cache.authSecret;
    this.redisUrl = this.cache.redisUrl;

    new CfnOutput(this, 'RedisPrimaryEndpoint', {
      description: 'Primary endpoint (host:port) of the replication group; the configuration endpoint in cluster mode',
      value: `${this.cache.primaryEndpointAddress}:${this.cache.primaryEndpointPort}`,
    });
    if (this.authSecret !== undefined) {
      new CfnOutput(this, 'AuthSecretArn', {
        description: 'Secrets Manager secret holding the Redis AUTH token',
        value: this.authSecret.secretArn,
      });
    }
  }
}
