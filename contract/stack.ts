/**
 * Names the CDK app gives its stacks and outputs, shared with the on-call CLI so that the two
 * can never drift apart: infra creates them from these, oncall reads them by these.
 */

/** The stages the CDK app knows. */
export const STAGES = ['dev', 'prod'] as const;
export type StageName = (typeof STAGES)[number];

/**
 * cdk.json's context key of the checked-in deployment settings, one object per stage:
 * `"context": { "deployments": { "dev": { … }, "prod": { "certificateArn": "…", … } } }`. The CDK app starts each stage's
 * config from it; the on-call CLI reads the stack names and region from it.
 */
export const DEPLOYMENT_SETTINGS_KEY = 'deployments';

/** The stage whose alarms page (prod refuses to synthesize without a paging subscriber): the on-call CLI's default. */
export const PAGED_STAGE: StageName = 'prod';

/** The default prefix of stack names; the CDK app's `appName` key. */
export const DEFAULT_APP_NAME = 'socketio';

export interface StageId {
  readonly appName: string;
  readonly stage: StageName;
}

/** Stack names, e.g. socketio-dev-cache. */
export function stackNames(id: StageId) {
  const prefix = `${id.appName}-${id.stage}`;
  return { network: `${prefix}-network`, cache: `${prefix}-cache`, service: `${prefix}-service` };
}

/** The replication group id: stable, so a redeploy never renames (and so replaces) the cache. */
export function replicationGroupId(id: StageId): string {
  return `${id.appName}-${id.stage}`;
}

/** METRICS_SERVICE_NAME of the tasks and the dimension value autoscaling and alarms read. */
export function metricsServiceName(id: StageId): string {
  return `${id.appName}-${id.stage}`;
}

/**
 * The CacheClusterId of every member, as ElastiCache names them: <id>-001, <id>-002, …, or in
 * cluster mode <id>-0001-001 (shard 1, node 1), <id>-0001-002, …
 */
export function cacheMemberIds(
  replicationGroupId: string,
  shape: number | { readonly shards: number; readonly replicasPerShard: number },
): string[] {
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  const nodes = (count: number, prefix: string) => Array.from({ length: count }, (_, i) => `${prefix}-${pad(i + 1, 3)}`);
  if (typeof shape === 'number') return nodes(shape, replicationGroupId);
  return Array.from({ length: shape.shards }, (_, s) => nodes(1 + shape.replicasPerShard, `${replicationGroupId}-${pad(s + 1, 4)}`)).flat();
}

/** The CacheNodeId of the one node of every replication group member. */
export const CACHE_NODE_ID = '0001';

/**
 * The dimensions ElastiCache publishes a node's metrics under (namespace AWS/ElastiCache): the
 * member's CacheClusterId and its CacheNodeId. A member of a replication group is a cache cluster
 * of one node, always 0001. The alarms, the dashboard and the on-call CLI all name both.
 */
export function cacheNodeDimensions(memberId: string): { readonly CacheClusterId: string; readonly CacheNodeId: string } {
  return { CacheClusterId: memberId, CacheNodeId: CACHE_NODE_ID };
}

/** CloudFormation output ids of the cache stack. */
export const CACHE_STACK_OUTPUTS = {
  redisPrimaryEndpoint: 'RedisPrimaryEndpoint',
  authSecretArn: 'AuthSecretArn',
  /** The AUTH token after the next rotation (docs/runbooks/redis-auth-rotation.md). */
  authNextSecretArn: 'AuthNextSecretArn',
} as const;

/** CloudFormation output ids of the service stack; the on-call CLI reads them. */
export const SERVICE_STACK_OUTPUTS = {
  serviceUrl: 'ServiceUrl',
  authJwtSecretArn: 'AuthJwtSecretArn',
  /** The backend API's keys (API_KEYS): comma-separated, two while one is rotated out. */
  apiKeysSecretArn: 'ApiKeysSecretArn',
  replicationGroupId: 'ReplicationGroupId',
  numCacheClusters: 'NumCacheClusters',
  /** Comma-separated member ids; needed in cluster mode (<id>-0001-001), preferred when present. */
  cacheMemberIds: 'CacheMemberIds',
  ecsClusterName: 'EcsClusterName',
  ecsServiceName: 'EcsServiceName',
  metricsServiceName: 'MetricsServiceName',
  dashboardName: 'DashboardName',
  pagingTopicArn: 'PagingTopicArn',
  warningTopicArn: 'WarningTopicArn',
} as const;
