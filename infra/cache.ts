import { Annotations, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { createOnlyValues, CreateOnlyValues, replacementChanges, replacementMessage } from './cache-replacement-guard';
import { CacheEngine, PINNED_ENGINE_VERSIONS } from './config';
import { cacheMemberIds } from '../contract/stack';

export interface CacheProps {
  /** VPC the replication group lives in. */
  readonly vpc: ec2.IVpc;
  /** Subnets of the cache subnet group. @default the VPC's isolated subnets */
  readonly subnets?: ec2.SubnetSelection;
  /** The only security group admitted on the cache port (the service's tasks). */
  readonly clientSecurityGroup: ec2.ISecurityGroup;
  /** Explicit, stable replication group id (1-40 chars, a letter first, no `--`). */
  readonly replicationGroupId: string;
  /** Engine. @default 'valkey' */
  readonly engine?: CacheEngine;
  /** Engine version. @default the version pinned for the engine (PINNED_ENGINE_VERSIONS) */
  readonly engineVersion?: string;
  /** Node type. @default 'cache.t4g.micro' */
  readonly nodeType?: string;
  /** Nodes: the primary plus replicas, 1..6; with a replica, failover and Multi-AZ are on. @default 1 */
  readonly numCacheClusters?: number;
  /** Cluster mode: shards of a primary plus replicas each; replaces numCacheClusters. @default - cluster mode disabled */
  readonly clusterMode?: { readonly shards: number; readonly replicasPerShard: number };
  /** In-transit encryption with an AUTH token from Secrets Manager. @default true */
  readonly transitEncryption?: boolean;
  /** Port the nodes listen on. @default 6379 */
  readonly port?: number;
  /** Weekly maintenance window (UTC). @default 'sun:05:00-sun:06:00' */
  readonly maintenanceWindow?: string;
  /** Daily snapshot window (UTC). @default '03:00-04:00' */
  readonly snapshotWindow?: string;
  /** Days of automatic snapshots; 0 disables them. @default 0 */
  readonly snapshotRetentionDays?: number;
  /** Fate of the replication group and its secret when removed from the stack. @default RemovalPolicy.DESTROY */
  readonly removalPolicy?: RemovalPolicy;
  /** Retention of the slow log. @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Deployed values of the replacement-causing properties; synth fails if they change. @default - no guard */
  readonly lockedCreateOnlyValues?: CreateOnlyValues;
  /** Name of the lock entry, for the guard's message. @default the replication group id */
  readonly lockName?: string;
  /** Let a replacement-causing change through the guard (with a warning). @default false */
  readonly allowReplacement?: boolean;
}

/**
 * A Valkey/Redis replication group for the Socket.IO Redis adapter, cluster mode disabled
 * (one primary) or enabled (shards, for the sharded adapter): TLS plus AUTH token, at-rest
 * encryption, isolated subnets, slow log in CloudWatch Logs.
 */
export class Cache extends Construct {
  public readonly replicationGroup: elasticache.CfnReplicationGroup;
  public readonly replicationGroupId: string;
  public readonly engine: CacheEngine;
  public readonly engineVersion: string;
  public readonly nodeType: string;
  /** Nodes in the group: numCacheClusters, or shards × (1 + replicas) in cluster mode. */
  public readonly numCacheClusters: number;
  /** Cluster mode's shape; undefined when cluster mode is disabled. */
  public readonly clusterMode?: { readonly shards: number; readonly replicasPerShard: number };
  /** CacheClusterId of every member node, as CloudWatch's per-node metrics name them. */
  public readonly memberClusterIds: string[];
  public readonly port: number;
  public readonly transitEncryption: boolean;
  public readonly securityGroup: ec2.SecurityGroup;
  /** The AUTH token; undefined when transitEncryption is off (AUTH needs TLS). */
  public readonly authSecret?: secretsmanager.ISecret;
  public readonly slowLogGroup: logs.LogGroup;
  /** Primary endpoint hostname (a token). */
  public readonly primaryEndpointAddress: string;
  /** Primary endpoint port (a token). */
  public readonly primaryEndpointPort: string;
  /** `rediss://host:port` (or `redis://` without TLS), the service's REDIS_URL. */
  public readonly redisUrl: string;

  constructor(scope: Construct, id: string, props: CacheProps) {
    super(scope, id);
    this.engine = props.engine ?? 'valkey';
    this.engineVersion = props.engineVersion ?? PINNED_ENGINE_VERSIONS[this.engine];
    this.nodeType = props.nodeType ?? 'cache.t4g.micro';
    this.clusterMode = props.clusterMode;
    this.numCacheClusters = this.clusterMode
      ? this.clusterMode.shards * (1 + this.clusterMode.replicasPerShard)
      : (props.numCacheClusters ?? 1);
    this.port = props.port ?? 6379;
    this.transitEncryption = props.transitEncryption ?? true;
    this.replicationGroupId = props.replicationGroupId;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;
    const withReplicas = this.clusterMode ? this.clusterMode.replicasPerShard > 0 : this.numCacheClusters > 1;

    if (this.clusterMode && props.numCacheClusters !== undefined) {
      throw new Error(
        'Cache: numCacheClusters and clusterMode exclude each other; in cluster mode the size is shards × (1 + replicasPerShard)',
      );
    }
    if (this.clusterMode) {
      const { shards, replicasPerShard } = this.clusterMode;
      if (!Number.isInteger(shards) || shards < 1 || shards > 500)
        throw new Error(`Cache: clusterMode.shards must be an integer from 1 to 500, got ${shards}`);
      if (!Number.isInteger(replicasPerShard) || replicasPerShard < 0 || replicasPerShard > 5) {
        throw new Error(`Cache: clusterMode.replicasPerShard must be an integer from 0 to 5, got ${replicasPerShard}`);
      }
    } else if (!Number.isInteger(this.numCacheClusters) || this.numCacheClusters < 1 || this.numCacheClusters > 6) {
      throw new Error(
        `Cache: numCacheClusters must be an integer from 1 to 6 (a primary and up to 5 replicas), got ${this.numCacheClusters}`,
      );
    }
    if (!Token.isUnresolved(this.replicationGroupId) && !/^[a-z](?!.*--)[a-z0-9-]{0,38}[a-z0-9]?$/.test(this.replicationGroupId)) {
      throw new Error(
        `Cache: replicationGroupId must be 1-40 lowercase letters, digits or single hyphens, starting with a letter and not ending with a hyphen, got "${this.replicationGroupId}"`,
      );
    }
    if (props.allowReplacement && props.lockedCreateOnlyValues === undefined) {
      throw new Error('Cache: allowReplacement only has a meaning together with lockedCreateOnlyValues');
    }

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `${this.replicationGroupId} cache: the service tasks only`,
      allowAllOutbound: false,
    });
    this.securityGroup.addIngressRule(props.clientSecurityGroup, ec2.Port.tcp(this.port), 'Socket.IO tasks to Redis');

    const subnetGroup = new elasticache.CfnSubnetGroup(this, 'SubnetGroup', {
      description: `${this.replicationGroupId} cache subnets`,
      subnetIds: props.vpc.selectSubnets(props.subnets ?? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED }).subnetIds,
    });

    this.slowLogGroup = new logs.LogGroup(this, 'SlowLog', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy,
    });

    if (this.transitEncryption) {
      this.authSecret = new secretsmanager.Secret(this, 'AuthToken', {
        description: `AUTH token of the ${this.replicationGroupId} replication group`,
        // ElastiCache AUTH: 16-128 printable chars without / " @ or spaces; letters and digits only is safe.
        generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
        removalPolicy,
      });
      Validations.of(this.authSecret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'An ElastiCache AUTH token cannot be rotated by a Secrets Manager rotation alone: it needs a ROTATE/SET AuthTokenUpdateStrategy on the replication group and a task redeploy, done as a runbook step.',
      });
    }

    this.replicationGroup = new elasticache.CfnReplicationGroup(this, 'ReplicationGroup', {
      replicationGroupId: this.replicationGroupId,
      replicationGroupDescription: `Socket.IO adapter pub/sub (${this.replicationGroupId})`,
      engine: this.engine,
      engineVersion: this.engineVersion,
      cacheNodeType: this.nodeType,
      ...(this.clusterMode
        ? {
            clusterMode: 'enabled',
            numNodeGroups: this.clusterMode.shards,
            replicasPerNodeGroup: this.clusterMode.replicasPerShard,
            cacheParameterGroupName: `default.${this.engine}${this.engineVersion.split('.')[0]}.cluster.on`,
          }
        : { numCacheClusters: this.numCacheClusters }),
      // Cluster mode requires automatic failover, replicas or not.
      automaticFailoverEnabled: withReplicas || this.clusterMode !== undefined,
      multiAzEnabled: withReplicas,
      port: this.port,
      cacheSubnetGroupName: subnetGroup.ref,
      securityGroupIds: [this.securityGroup.securityGroupId],
      atRestEncryptionEnabled: true,
      transitEncryptionEnabled: this.transitEncryption,
      authToken: this.authSecret?.secretValue.unsafeUnwrap(),
      autoMinorVersionUpgrade: true,
      preferredMaintenanceWindow: props.maintenanceWindow ?? 'sun:05:00-sun:06:00',
      snapshotWindow: props.snapshotWindow ?? '03:00-04:00',
      snapshotRetentionLimit: props.snapshotRetentionDays ?? 0,
      logDeliveryConfigurations: [
        {
          destinationType: 'cloudwatch-logs',
          destinationDetails: { cloudWatchLogsDetails: { logGroup: this.slowLogGroup.logGroupName } },
          logFormat: 'json',
          logType: 'slow-log',
        },
      ],
    });
    this.replicationGroup.applyRemovalPolicy(removalPolicy);

    // In cluster mode the configuration endpoint is the seed from which clients discover the shards.
    this.primaryEndpointAddress = this.clusterMode
      ? this.replicationGroup.attrConfigurationEndPointAddress
      : this.replicationGroup.attrPrimaryEndPointAddress;
    this.primaryEndpointPort = this.clusterMode
      ? this.replicationGroup.attrConfigurationEndPointPort
      : this.replicationGroup.attrPrimaryEndPointPort;
    this.memberClusterIds = cacheMemberIds(this.replicationGroupId, this.clusterMode ?? this.numCacheClusters);
    this.redisUrl = `${this.transitEncryption ? 'rediss' : 'redis'}://${this.primaryEndpointAddress}:${this.primaryEndpointPort}`;

    Validations.of(this.replicationGroup).acknowledge({
      id: 'AwsSolutions-AEC5',
      reason:
        'Only the service security group reaches the port, and every client needs TLS plus the AUTH token; a non-default port would add no protection.',
    });
    if (!withReplicas) {
      Validations.of(this.replicationGroup).acknowledge({
        id: 'AwsSolutions-AEC4',
        reason:
          'No replicas (the dev cost preset): there is nothing to fail over to. The prod preset requires a replica per primary with Multi-AZ.',
      });
    }
    if (!this.transitEncryption) {
      const reason = 'cacheTls=false, which the config allows only outside prod (it rejects it in prod).';
      Validations.of(this.replicationGroup).acknowledge({ id: 'AwsSolutions-AEC3', reason }, { id: 'AwsSolutions-AEC6', reason });
    }

    if (props.lockedCreateOnlyValues !== undefined) {
      const locked = props.lockedCreateOnlyValues;
      const lockName = props.lockName ?? this.replicationGroupId;
      this.node.addValidation({
        validate: () => {
          const actual = createOnlyValues(this.renderedProperties());
          const changes = replacementChanges(actual, locked);
          if (changes.length === 0) return [];
          if (props.allowReplacement) {
            Annotations.of(this).addWarningV2('cache:replacement-allowed', replacementMessage(lockName, changes));
            return [];
          }
          return [replacementMessage(lockName, changes)];
        },
      });
    }
  }

  /** The replication group's Properties as the template will hold them, overrides included. */
  private renderedProperties(): Record<string, unknown> {
    // _toCloudFormation is what synthesis itself calls; it renders template casing and escape hatches.
    const rendered = (this.replicationGroup as unknown as { _toCloudFormation(): unknown })._toCloudFormation();
    const resources = (Stack.of(this).resolve(rendered) as { Resources: Record<string, { Properties?: Record<string, unknown> }> })
      .Resources;
    return Object.values(resources)[0]?.Properties ?? {};
  }
}
