import { Annotations, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { createOnlyValues, CreateOnlyValues, replacementChanges, replacementMessage } from './cache-replacement-guard';
import { cacheMemberIds } from '../contract/stack';
import { Format, formatProblem, intRangeProblem, Problem, Range, throwPropsProblems } from './validation';

export const CACHE_ENGINES = ['valkey', 'redis'] as const;
export type CacheEngine = (typeof CACHE_ENGINES)[number];

/** How the AUTH token is rotated: the replication group, the secrets and the service, in order. */
export const AUTH_ROTATION_RUNBOOK = 'docs/runbooks/redis-auth-rotation.md';

/** One pinned version per engine: an unpinned version would drift with ElastiCache's default. */
export const PINNED_ENGINE_VERSIONS: Readonly<Record<CacheEngine, string>> = { valkey: '8.0', redis: '7.1' };

/** Defaults of the props: Cache settles each with `??`; the deployment config's defaults read them too. */
export const CACHE_DEFAULTS = {
  engine: 'valkey' as CacheEngine,
  nodeType: 'cache.t4g.micro',
  numCacheClusters: 1,
  transitEncryption: true,
  port: 6379,
  maintenanceWindow: 'sun:05:00-sun:06:00',
  snapshotWindow: '03:00-04:00',
  snapshotRetentionDays: 0,
  removalPolicy: RemovalPolicy.DESTROY,
  logRetention: logs.RetentionDays.ONE_MONTH,
  allowReplacement: false,
} as const;

/** ElastiCache's limits on the sizes, checked here and by the deployment config's schema. */
export const CACHE_LIMITS = {
  /** A primary and up to 5 replicas. */
  numCacheClusters: { min: 1, max: 6 },
  shards: { min: 1, max: 500 },
  replicasPerShard: { min: 0, max: 5 },
  snapshotRetentionDays: { min: 0, max: 35 },
} as const satisfies Record<string, Range>;

const DAY = '(sun|mon|tue|wed|thu|fri|sat)';
const TIME = '([01]\\d|2[0-3]):[0-5]\\d';

/** Formats ElastiCache accepts, checked here and by the deployment config's schema. */
export const CACHE_FORMATS = {
  nodeType: { pattern: /^cache\.[a-z0-9]+\.[a-z0-9]+$/, text: 'an ElastiCache node type such as cache.t4g.micro' },
  engineVersion: { pattern: /^\d+\.\d+$/, text: 'major.minor such as 8.0' },
  maintenanceWindow: { pattern: new RegExp(`^${DAY}:${TIME}-${DAY}:${TIME}$`), text: 'ddd:hh:mm-ddd:hh:mm (UTC)' },
  snapshotWindow: { pattern: new RegExp(`^${TIME}-${TIME}$`), text: 'hh:mm-hh:mm (UTC)' },
  replicationGroupId: {
    pattern: /^[a-z](?!.*--)[a-z0-9-]{0,38}[a-z0-9]?$/,
    text: '1-40 lowercase letters, digits or single hyphens, starting with a letter and not ending with a hyphen',
  },
} as const satisfies Record<string, Format>;

/** Cluster mode's shape: shards, each a primary plus replicas. */
export interface CacheClusterMode {
  /** Shards (node groups), 1..500. */
  readonly shards: number;
  /** Replicas of each shard's primary, 0..5. */
  readonly replicasPerShard: number;
}

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
  /** Engine version, major.minor. @default the version pinned for the engine (PINNED_ENGINE_VERSIONS) */
  readonly engineVersion?: string;
  /** Node type. @default 'cache.t4g.micro' */
  readonly nodeType?: string;
  /** Nodes: the primary plus replicas, 1..6; with a replica, failover and Multi-AZ are on. @default 1 */
  readonly numCacheClusters?: number;
  /** Cluster mode: shards of a primary plus replicas each; replaces numCacheClusters. @default - cluster mode disabled */
  readonly clusterMode?: CacheClusterMode;
  /** In-transit encryption with an AUTH token from Secrets Manager. @default true */
  readonly transitEncryption?: boolean;
  /** Port the nodes listen on. @default 6379 */
  readonly port?: number;
  /** Weekly maintenance window (UTC). @default 'sun:05:00-sun:06:00' */
  readonly maintenanceWindow?: string;
  /** Daily snapshot window (UTC). @default '03:00-04:00' */
  readonly snapshotWindow?: string;
  /** Days of automatic snapshots, 0..35; 0 disables them. @default 0 */
  readonly snapshotRetentionDays?: number;
  /** Fate of the group and what it uses (secret, subnet group, security group, slow log) when removed. @default RemovalPolicy.DESTROY */
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

/** A string prop's format problem; tokens resolve at deploy and pass. */
function stringProblem(name: string, value: string, format: Format): Problem {
  return Token.isUnresolved(value) ? undefined : formatProblem(name, value, format);
}

/** The single-prop checks and the rules between props. */
function cacheProblems(props: CacheProps, cache: Cache): Problem[] {
  const shape = cache.clusterMode;
  return [
    shape && props.numCacheClusters !== undefined
      ? 'numCacheClusters and clusterMode exclude each other; in cluster mode the size is shards × (1 + replicasPerShard)'
      : undefined,
    shape ? intRangeProblem('clusterMode.shards', shape.shards, CACHE_LIMITS.shards) : undefined,
    shape ? intRangeProblem('clusterMode.replicasPerShard', shape.replicasPerShard, CACHE_LIMITS.replicasPerShard) : undefined,
    shape
      ? undefined
      : intRangeProblem('numCacheClusters', cache.numCacheClusters, CACHE_LIMITS.numCacheClusters, 'a primary and up to 5 replicas'),
    stringProblem('replicationGroupId', cache.replicationGroupId, CACHE_FORMATS.replicationGroupId),
    stringProblem('nodeType', cache.nodeType, CACHE_FORMATS.nodeType),
    stringProblem('engineVersion', cache.engineVersion, CACHE_FORMATS.engineVersion),
    stringProblem('maintenanceWindow', props.maintenanceWindow ?? CACHE_DEFAULTS.maintenanceWindow, CACHE_FORMATS.maintenanceWindow),
    stringProblem('snapshotWindow', props.snapshotWindow ?? CACHE_DEFAULTS.snapshotWindow, CACHE_FORMATS.snapshotWindow),
    intRangeProblem(
      'snapshotRetentionDays',
      props.snapshotRetentionDays ?? CACHE_DEFAULTS.snapshotRetentionDays,
      CACHE_LIMITS.snapshotRetentionDays,
    ),
    props.allowReplacement && props.lockedCreateOnlyValues === undefined
      ? 'allowReplacement only has a meaning together with lockedCreateOnlyValues'
      : undefined,
  ];
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
  public readonly clusterMode?: CacheClusterMode;
  /** CacheClusterId of every member node, as CloudWatch's per-node metrics name them. */
  public readonly cacheMemberIds: string[];
  public readonly port: number;
  public readonly transitEncryption: boolean;
  public readonly securityGroup: ec2.SecurityGroup;
  /** The AUTH token; undefined when transitEncryption is off (AUTH needs TLS). */
  public readonly authSecret?: secretsmanager.ISecret;
  /** The AUTH token after the next rotation (AUTH_ROTATION_RUNBOOK); undefined when transitEncryption is off. */
  public readonly authNextSecret?: secretsmanager.ISecret;
  public readonly slowLogGroup: logs.LogGroup;
  /** Primary endpoint hostname (a token). */
  public readonly primaryEndpointAddress: string;
  /** Primary endpoint port (a token). */
  public readonly primaryEndpointPort: string;
  /** `rediss://host:port` (or `redis://` without TLS), the service's REDIS_URL. */
  public readonly redisUrl: string;

  constructor(scope: Construct, id: string, props: CacheProps) {
    super(scope, id);
    this.engine = props.engine ?? CACHE_DEFAULTS.engine;
    this.engineVersion = props.engineVersion ?? PINNED_ENGINE_VERSIONS[this.engine];
    this.nodeType = props.nodeType ?? CACHE_DEFAULTS.nodeType;
    this.clusterMode = props.clusterMode;
    this.numCacheClusters = this.clusterMode
      ? this.clusterMode.shards * (1 + this.clusterMode.replicasPerShard)
      : (props.numCacheClusters ?? CACHE_DEFAULTS.numCacheClusters);
    this.port = props.port ?? CACHE_DEFAULTS.port;
    this.transitEncryption = props.transitEncryption ?? CACHE_DEFAULTS.transitEncryption;
    this.replicationGroupId = props.replicationGroupId;
    const removalPolicy = props.removalPolicy ?? CACHE_DEFAULTS.removalPolicy;
    const withReplicas = this.clusterMode ? this.clusterMode.replicasPerShard > 0 : this.numCacheClusters > 1;
    throwPropsProblems(this, cacheProblems(props, this));

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
      retention: props.logRetention ?? CACHE_DEFAULTS.logRetention,
      removalPolicy,
    });
    this.authSecret = this.transitEncryption ? this.createAuthSecret('AuthToken', removalPolicy) : undefined;
    this.authNextSecret = this.transitEncryption ? this.createAuthSecret('AuthTokenNext', removalPolicy) : undefined;
    this.replicationGroup = this.createReplicationGroup(props, subnetGroup, withReplicas);
    // A retained group keeps its subnet group and security group in use: deleting them would fail
    // the stack's deletion (aws/aws-cdk#6935), so they share its fate.
    for (const resource of [this.replicationGroup, subnetGroup, this.securityGroup.node.defaultChild as ec2.CfnSecurityGroup]) {
      resource.applyRemovalPolicy(removalPolicy);
    }

    // In cluster mode the configuration endpoint is the seed from which clients discover the shards.
    this.primaryEndpointAddress = this.clusterMode
      ? this.replicationGroup.attrConfigurationEndPointAddress
      : this.replicationGroup.attrPrimaryEndPointAddress;
    this.primaryEndpointPort = this.clusterMode
      ? this.replicationGroup.attrConfigurationEndPointPort
      : this.replicationGroup.attrPrimaryEndPointPort;
    this.cacheMemberIds = cacheMemberIds(this.replicationGroupId, this.clusterMode ?? this.numCacheClusters);
    this.redisUrl = `${this.transitEncryption ? 'rediss' : 'redis'}://${this.primaryEndpointAddress}:${this.primaryEndpointPort}`;

    this.acknowledgeNagFindings(withReplicas);
    if (props.lockedCreateOnlyValues !== undefined) {
      this.guardReplacement(props.lockedCreateOnlyValues, props.lockName ?? this.replicationGroupId, props.allowReplacement);
    }
  }

  /**
   * An AUTH token in Secrets Manager: `AuthToken`, the one the replication group takes now (its AuthToken resolves it),
   * or `AuthTokenNext`, the one it takes after the next rotation, which every task already holds.
   */
  private createAuthSecret(id: 'AuthToken' | 'AuthTokenNext', removalPolicy: RemovalPolicy): secretsmanager.Secret {
    const secret = new secretsmanager.Secret(this, id, {
      description:
        id === 'AuthToken'
          ? `AUTH token of the ${this.replicationGroupId} replication group`
          : `Next AUTH token of the ${this.replicationGroupId} replication group (${AUTH_ROTATION_RUNBOOK})`,
      // ElastiCache AUTH: 16-128 printable chars without / " @ % or spaces; letters and digits only is safe.
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'A Secrets Manager rotation alone cannot rotate an ElastiCache AUTH token: the token is rotated with ' +
        `ModifyReplicationGroup (ROTATE, then SET) and a service deploy, as ${AUTH_ROTATION_RUNBOOK} does.`,
    });
    return secret;
  }

  private createReplicationGroup(
    props: CacheProps,
    subnetGroup: elasticache.CfnSubnetGroup,
    withReplicas: boolean,
  ): elasticache.CfnReplicationGroup {
    return new elasticache.CfnReplicationGroup(this, 'ReplicationGroup', {
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
      preferredMaintenanceWindow: props.maintenanceWindow ?? CACHE_DEFAULTS.maintenanceWindow,
      snapshotWindow: props.snapshotWindow ?? CACHE_DEFAULTS.snapshotWindow,
      snapshotRetentionLimit: props.snapshotRetentionDays ?? CACHE_DEFAULTS.snapshotRetentionDays,
      logDeliveryConfigurations: [
        {
          destinationType: 'cloudwatch-logs',
          destinationDetails: { cloudWatchLogsDetails: { logGroup: this.slowLogGroup.logGroupName } },
          logFormat: 'json',
          logType: 'slow-log',
        },
      ],
    });
  }

  private acknowledgeNagFindings(withReplicas: boolean): void {
    // The reason states what this group does: TLS and AUTH only when transitEncryption is on (dev may turn it off).
    Validations.of(this.replicationGroup).acknowledge({
      id: 'AwsSolutions-AEC5',
      reason: this.transitEncryption
        ? 'Only the service security group reaches the port, and every client needs TLS plus the AUTH token; ' +
          'a non-default port would add no protection.'
        : 'Only the service security group reaches the port. This group runs without TLS and AUTH (cacheTls=false, ' +
          'which the config allows only outside prod); a non-default port would hide it from no one who can reach it.',
    });
    if (!withReplicas) {
      Validations.of(this.replicationGroup).acknowledge({
        id: 'AwsSolutions-AEC4',
        reason:
          'No replicas (the dev cost preset): there is nothing to fail over to. ' +
          'The prod preset requires a replica per primary with Multi-AZ.',
      });
    }
    if (!this.transitEncryption) {
      const reason = 'cacheTls=false, which the config allows only outside prod (it rejects it in prod).';
      Validations.of(this.replicationGroup).acknowledge({ id: 'AwsSolutions-AEC3', reason }, { id: 'AwsSolutions-AEC6', reason });
    }
  }

  /** Fails synth when a replacement-causing property differs from the lock, unless allowed (then a warning). */
  private guardReplacement(locked: CreateOnlyValues, lockName: string, allowReplacement: boolean = CACHE_DEFAULTS.allowReplacement): void {
    this.node.addValidation({
      validate: () => {
        const changes = replacementChanges(createOnlyValues(this.renderedProperties()), locked);
        if (changes.length === 0) return [];
        if (allowReplacement) {
          Annotations.of(this).addWarningV2('cache:replacement-allowed', replacementMessage(lockName, changes));
          return [];
        }
        return [replacementMessage(lockName, changes)];
      },
    });
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
