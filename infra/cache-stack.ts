import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { CACHE_STACK_OUTPUTS } from '../contract/stack';
import { Cache, CacheEngine, CacheProps } from './cache';

/** The cache's settings are the Cache construct's, documented there. */
export interface CacheStackProps extends StackProps, CacheProps {}

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
  public readonly cacheMemberIds: string[];
  public readonly engine: CacheEngine;
  public readonly authSecret?: secretsmanager.ISecret;
  public readonly authNextSecret?: secretsmanager.ISecret;
  public readonly redisUrl: string;

  constructor(scope: Construct, id: string, props: CacheStackProps) {
    super(scope, id, props);
    this.cache = new Cache(this, 'Cache', props);
    this.replicationGroup = this.cache.replicationGroup;
    this.replicationGroupId = this.cache.replicationGroupId;
    this.nodeType = this.cache.nodeType;
    this.numCacheClusters = this.cache.numCacheClusters;
    this.clusterMode = this.cache.clusterMode !== undefined;
    this.cacheMemberIds = this.cache.cacheMemberIds;
    this.engine = this.cache.engine;
    this.authSecret = this.cache.authSecret;
    this.authNextSecret = this.cache.authNextSecret;
    this.redisUrl = this.cache.redisUrl;

    new CfnOutput(this, CACHE_STACK_OUTPUTS.redisPrimaryEndpoint, {
      description: 'Primary endpoint (host:port) of the replication group; the configuration endpoint in cluster mode',
      value: `${this.cache.primaryEndpointAddress}:${this.cache.primaryEndpointPort}`,
    });
    if (this.authSecret !== undefined) {
      new CfnOutput(this, CACHE_STACK_OUTPUTS.authSecretArn, {
        description: 'Secrets Manager secret holding the Redis AUTH token',
        value: this.authSecret.secretArn,
      });
    }
    if (this.authNextSecret !== undefined) {
      new CfnOutput(this, CACHE_STACK_OUTPUTS.authNextSecretArn, {
        description: 'Secrets Manager secret holding the AUTH token after the next rotation (docs/runbooks/redis-auth-rotation.md)',
        value: this.authNextSecret.secretArn,
      });
    }
  }
}
