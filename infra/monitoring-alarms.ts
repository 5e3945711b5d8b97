/**
 * What each metric alarm watches: its metric, the threshold key it compares with, its window,
 * its missing-data rule and the story its description tells. The Monitoring construct turns each
 * definition into an alarm per cache node or one for the service.
 */
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { AlarmStory, STORIES } from './monitoring-descriptions';
import { AlbMetrics, CacheNodeMetrics, EcsServiceMetrics, ServiceMetrics } from './monitoring-metrics';
import { ThresholdKey } from './monitoring-thresholds';

// Why each missing-data choice:
/** A node that stops reporting (replaced, failing over) shows INSUFFICIENT_DATA in `oncall status`, not a false OK or alarm. */
const KEEP = cloudwatch.TreatMissingData.MISSING;
/**
 * The metric is only published when something happens (5xx, evictions, latency of commands that ran), or its absence is
 * another alarm's job.
 */
const QUIET = cloudwatch.TreatMissingData.NOT_BREACHING;
/** No datapoint means nothing runs or nothing is healthy; these feed the paging alarm. */
const SILENCE_IS_BAD = cloudwatch.TreatMissingData.BREACHING;

export interface AlarmDefinition {
  /** Construct id and alarm name suffix (per node: followed by the node's suffix). */
  readonly id: string;
  /** Metric name, statistic and unit as the description shows them. */
  readonly shows: string;
  /** Unit after the threshold in the description. @default none */
  readonly unit?: string;
  /** What the metric is compared with: a threshold key, the autoscaling minimum, or a fixed level. */
  readonly threshold: ThresholdKey | 'minTasks' | number;
  /** Factor from the threshold key's unit to the metric's (MiB to bytes). @default 1 */
  readonly scale?: number;
  /** @default GREATER_THAN_THRESHOLD */
  readonly comparison?: cloudwatch.ComparisonOperator;
  readonly datapoints: number;
  readonly periods: number;
  readonly missing: cloudwatch.TreatMissingData;
  readonly story: AlarmStory;
}

export interface NodeAlarmDefinition extends AlarmDefinition {
  readonly metric: (node: CacheNodeMetrics) => cloudwatch.IMetric;
  /**
   * Only on nodes that can be a replica (every node of a shard with replicas: a failover swaps the
   * roles), or only where the engine publishes request latency. @default every node
   */
  readonly only?: 'replicaCapable' | 'requestLatency';
}

/** The metrics of the service-wide alarms. */
export interface ServiceAlarmMetrics {
  readonly ecs: EcsServiceMetrics;
  readonly alb: AlbMetrics;
  readonly svc: ServiceMetrics;
}

export interface ServiceAlarmDefinition extends AlarmDefinition {
  readonly metric: (m: ServiceAlarmMetrics) => cloudwatch.IMetric;
  /** Where, for the description: the ECS service, the target group, the ALB or the service's own metrics. */
  readonly where: 'ecs' | 'targets' | 'alb' | 'service';
}

const PERCENT = ' %';
const MICROS = ' µs';
const LESS = cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD;

/** Per member node of the replication group, in this order. */
export const NODE_ALARMS: readonly NodeAlarmDefinition[] = [
  {
    id: 'RedisEngineCpuWarning',
    metric: (n) => n.engineCpuAvgPercent,
    shows: 'EngineCPUUtilization Average',
    unit: PERCENT,
    threshold: 'alarmCacheEngineCpuWarningPercent',
    datapoints: 5,
    periods: 5,
    missing: KEEP,
    story: STORIES.engineCpu,
  },
  {
    id: 'RedisEngineCpuCritical',
    metric: (n) => n.engineCpuAvgPercent,
    shows: 'EngineCPUUtilization Average',
    unit: PERCENT,
    threshold: 'alarmCacheEngineCpuCriticalPercent',
    datapoints: 3,
    periods: 3,
    missing: KEEP,
    story: STORIES.engineCpu,
  },
  {
    id: 'RedisHostCpu',
    metric: (n) => n.hostCpuAvgPercent,
    shows: 'CPUUtilization Average',
    unit: PERCENT,
    threshold: 'alarmCacheHostCpuPercent',
    datapoints: 5,
    periods: 5,
    missing: KEEP,
    story: STORIES.hostCpu,
  },
  {
    id: 'RedisPubSubLatencyWarning',
    metric: (n) => n.pubSubLatencyAvgMicros,
    shows: 'PubSubBasedCmdsLatency Average',
    unit: MICROS,
    threshold: 'alarmCachePubSubLatencyWarningMicros',
    datapoints: 5,
    periods: 5,
    missing: QUIET,
    story: STORIES.latency,
  },
  {
    id: 'RedisPubSubLatencyCritical',
    metric: (n) => n.pubSubLatencyAvgMicros,
    shows: 'PubSubBasedCmdsLatency Average',
    unit: MICROS,
    threshold: 'alarmCachePubSubLatencyCriticalMicros',
    datapoints: 3,
    periods: 3,
    missing: QUIET,
    story: STORIES.latency,
  },
  {
    id: 'RedisReadLatency',
    metric: (n) => n.readLatencyAvgMicros,
    shows: 'SuccessfulReadRequestLatency Average',
    unit: MICROS,
    threshold: 'alarmCacheRequestLatencyMicros',
    datapoints: 5,
    periods: 5,
    missing: QUIET,
    story: STORIES.latency,
    only: 'requestLatency',
  },
  {
    id: 'RedisWriteLatency',
    metric: (n) => n.writeLatencyAvgMicros,
    shows: 'SuccessfulWriteRequestLatency Average',
    unit: MICROS,
    threshold: 'alarmCacheRequestLatencyMicros',
    datapoints: 5,
    periods: 5,
    missing: QUIET,
    story: STORIES.latency,
    only: 'requestLatency',
  },
  {
    id: 'RedisMemory',
    metric: (n) => n.memoryUsageMaxPercent,
    shows: 'DatabaseMemoryUsagePercentage Maximum',
    unit: PERCENT,
    threshold: 'alarmCacheMemoryPercent',
    datapoints: 5,
    periods: 5,
    missing: KEEP,
    story: STORIES.memory,
  },
  {
    id: 'RedisConnections',
    metric: (n) => n.connectionsMaxCount,
    shows: 'CurrConnections Maximum',
    threshold: 'alarmCacheConnectionsMax',
    datapoints: 5,
    periods: 5,
    missing: KEEP,
    story: STORIES.connections,
  },
  {
    id: 'RedisEvictions',
    metric: (n) => n.evictionsSumCount,
    shows: 'Evictions Sum per minute',
    threshold: 'alarmCacheEvictionsPerMinute',
    datapoints: 1,
    periods: 1,
    missing: QUIET,
    story: STORIES.evictions,
  },
  // Only a replica publishes ReplicationLag: on the node that is primary now the alarm has no data, hence QUIET.
  {
    id: 'RedisReplicationLag',
    metric: (n) => n.replicationLagMaxSeconds,
    shows: 'ReplicationLag Maximum',
    unit: ' s',
    threshold: 'alarmCacheReplicationLagSeconds',
    datapoints: 5,
    periods: 5,
    missing: QUIET,
    story: STORIES.replicationLag,
    only: 'replicaCapable',
  },
  {
    id: 'RedisShapedPackets',
    metric: (n) => n.shapedPacketsOutSumCount,
    shows: 'NetworkBandwidthOutAllowanceExceeded Sum per minute',
    threshold: 'alarmCacheShapedPacketsPerMinute',
    datapoints: 3,
    periods: 5,
    missing: QUIET,
    story: STORIES.shapedPackets,
  },
  {
    id: 'RedisSwap',
    metric: (n) => n.swapMaxBytes,
    shows: 'SwapUsage Maximum',
    unit: ' bytes',
    threshold: 'alarmCacheSwapMiB',
    scale: 1024 * 1024,
    datapoints: 5,
    periods: 5,
    missing: KEEP,
    story: STORIES.swap,
  },
];

/** One each for the ECS service, the ALB and the service's own metrics, in this order. */
export const SERVICE_ALARMS: readonly ServiceAlarmDefinition[] = [
  {
    id: 'TaskCpu',
    metric: (m) => m.ecs.cpuAvgPercent,
    shows: 'ECS CPUUtilization Average',
    unit: PERCENT,
    where: 'ecs',
    threshold: 'alarmTaskCpuPercent',
    datapoints: 5,
    periods: 5,
    missing: QUIET,
    story: STORIES.taskCpu,
  },
  {
    id: 'TaskMemory',
    metric: (m) => m.ecs.memoryAvgPercent,
    shows: 'ECS MemoryUtilization Average',
    unit: PERCENT,
    where: 'ecs',
    threshold: 'alarmTaskMemoryPercent',
    datapoints: 5,
    periods: 5,
    missing: QUIET,
    story: STORIES.taskMemory,
  },
  // Three minutes lets ECS replace a crashed task before anyone is paged.
  {
    id: 'RunningTasksBelowMin',
    metric: (m) => m.ecs.runningTasksMinCount,
    shows: 'RunningTaskCount Minimum',
    where: 'ecs',
    comparison: LESS,
    threshold: 'minTasks',
    datapoints: 3,
    periods: 3,
    missing: SILENCE_IS_BAD,
    story: STORIES.runningTasks,
  },
  {
    id: 'UnhealthyTargets',
    metric: (m) => m.alb.unhealthyTargetsMaxCount,
    shows: 'UnHealthyHostCount Maximum',
    where: 'targets',
    threshold: 'alarmUnhealthyTargets',
    datapoints: 5,
    periods: 5,
    missing: QUIET,
    story: STORIES.unhealthyTargets,
  },
  {
    id: 'NoHealthyTargets',
    metric: (m) => m.alb.healthyTargetsMinCount,
    shows: 'HealthyHostCount Minimum',
    where: 'targets',
    comparison: LESS,
    threshold: 1,
    datapoints: 2,
    periods: 2,
    missing: SILENCE_IS_BAD,
    story: STORIES.noHealthyTargets,
  },
  {
    id: 'Elb5xx',
    metric: (m) => m.alb.elb5xxSumCount,
    shows: 'HTTPCode_ELB_5XX_Count Sum per minute',
    where: 'alb',
    threshold: 'alarmElb5xxPerMinute',
    datapoints: 3,
    periods: 5,
    missing: QUIET,
    story: STORIES.elb5xx,
  },
  {
    id: 'Target5xx',
    metric: (m) => m.alb.target5xxSumCount,
    shows: 'HTTPCode_Target_5XX_Count Sum per minute',
    where: 'targets',
    threshold: 'alarmTarget5xxPerMinute',
    datapoints: 3,
    periods: 5,
    missing: QUIET,
    story: STORIES.target5xx,
  },
  // One rejected minute is enough; five periods keep it raised until five clean minutes pass.
  {
    id: 'RejectedConnections',
    metric: (m) => m.alb.rejectedConnectionsSumCount,
    shows: 'RejectedConnectionCount Sum per minute',
    where: 'alb',
    threshold: 'alarmRejectedConnectionsPerMinute',
    datapoints: 1,
    periods: 5,
    missing: QUIET,
    story: STORIES.rejectedConnections,
  },
  {
    id: 'RedisAdapterErrors',
    metric: (m) => m.svc.redisAdapterErrorsSumCount,
    shows: 'RedisAdapterErrors Sum per minute',
    where: 'service',
    threshold: 'alarmRedisAdapterErrorsPerMinute',
    datapoints: 3,
    periods: 5,
    missing: QUIET,
    story: STORIES.redisAdapterErrors,
  },
  {
    id: 'EventLoopDelay',
    metric: (m) => m.svc.eventLoopDelayP99MaxMs,
    shows: 'EventLoopDelayP99 Maximum',
    unit: ' ms',
    where: 'service',
    threshold: 'alarmEventLoopDelayMs',
    datapoints: 3,
    periods: 5,
    missing: QUIET,
    story: STORIES.eventLoopDelay,
  },
  // The backend API: warnings, one runbook. No API traffic means nothing to warn about: QUIET.
  {
    id: 'Api5xx',
    metric: (m) => m.svc.api5xxSumCount,
    shows: 'ApiRequests5xx Sum per minute',
    where: 'service',
    threshold: 'alarmApi5xxPerMinute',
    datapoints: 3,
    periods: 5,
    missing: QUIET,
    story: STORIES.api5xx,
  },
  {
    id: 'ApiUnauthorized',
    metric: (m) => m.svc.apiUnauthorizedSumCount,
    shows: 'ApiRequestsUnauthorized Sum per minute',
    where: 'service',
    threshold: 'alarmApiUnauthorizedPerMinute',
    datapoints: 3,
    periods: 5,
    missing: QUIET,
    story: STORIES.apiUnauthorized,
  },
  {
    id: 'ApiThrottled',
    metric: (m) => m.svc.apiThrottledSumCount,
    shows: 'ApiRequestsThrottled Sum per minute',
    where: 'service',
    threshold: 'alarmApiThrottledPerMinute',
    datapoints: 3,
    periods: 5,
    missing: QUIET,
    story: STORIES.apiThrottled,
  },
  {
    id: 'ApiPublishLatency',
    metric: (m) => m.svc.apiPublishLatencyP99Ms,
    shows: 'ApiPublishLatency p99',
    unit: ' ms',
    where: 'service',
    threshold: 'alarmApiPublishLatencyMs',
    datapoints: 3,
    periods: 5,
    missing: QUIET,
    story: STORIES.apiPublishLatency,
  },
  // One slow minute is noise (a task being replaced); three mean a node that is alive but not answering.
  {
    id: 'PresenceTimeouts',
    metric: (m) => m.svc.presenceTimeoutsSumCount,
    shows: 'PresenceQueryTimeouts Sum per minute',
    where: 'service',
    threshold: 'alarmPresenceTimeoutsPerMinute',
    datapoints: 3,
    periods: 5,
    missing: QUIET,
    story: STORIES.presenceTimeouts,
  },
];

/**
 * The children of the one paging alarm, in rule order: these service alarms, then the node
 * alarms of every member (any member counts: after a failover the primary may be -002 or -003).
 */
export const PAGING_CHILDREN = {
  service: ['RunningTasksBelowMin', 'Elb5xx', 'NoHealthyTargets'],
  node: ['RedisEngineCpuCritical', 'RedisPubSubLatencyCritical'],
} as const;
