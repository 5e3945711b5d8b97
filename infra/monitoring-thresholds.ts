/**
 * Every alarm level, once: its one-line doc, default and range, under the name the deployment
 * config gives it. The Monitoring construct settles and checks its `thresholds` with this table;
 * the config's schema builds its alarm keys from it. Change a default here and every stage that
 * does not override the key alarms at the new level.
 */
import { Problem, Range, rangeProblem } from './validation';
import { SOCKET_SERVICE_LIMITS } from './socket-service';

export interface ThresholdSpec {
  /** One line: what the level is compared with, and its unit. */
  readonly doc: string;
  /** The level when the key is unset; absent where Monitoring derives it from other props. */
  readonly default?: number;
  /** Levels the key accepts. */
  readonly range: Range;
}

const PERCENT: Range = { min: 1, max: 100 };
const MICROS: Range = { min: 1, max: 10_000_000 };
const PER_MINUTE: Range = { min: 0, max: 1_000_000 };

export const MONITORING_THRESHOLDS = {
  alarmCacheEngineCpuWarningPercent: { doc: 'Redis EngineCPUUtilization warning level, percent', default: 80, range: PERCENT },
  alarmCacheEngineCpuCriticalPercent: {
    doc: 'Redis EngineCPUUtilization critical level (part of the paging alarm), percent',
    default: 90,
    range: PERCENT,
  },
  alarmCacheHostCpuPercent: {
    doc: "Redis host CPUUtilization level, percent; unset derives it from the node type's vCPUs",
    range: PERCENT,
  },
  alarmCachePubSubLatencyWarningMicros: {
    doc: 'PubSubBasedCmdsLatency warning level (engine-side, Average), microseconds',
    default: 500,
    range: MICROS,
  },
  alarmCachePubSubLatencyCriticalMicros: {
    doc: 'PubSubBasedCmdsLatency critical level (part of the paging alarm), microseconds',
    default: 2_000,
    range: MICROS,
  },
  alarmCacheRequestLatencyMicros: {
    doc: 'SuccessfulRead/WriteRequestLatency level (Average), microseconds',
    default: 1_000,
    range: MICROS,
  },
  alarmCacheMemoryPercent: { doc: 'DatabaseMemoryUsagePercentage level, percent', default: 80, range: PERCENT },
  // ElastiCache's maxclients is 65,000 per node.
  alarmCacheConnectionsMax: { doc: 'CurrConnections level per node; unset derives it from maxTasks', range: { min: 1, max: 65_000 } },
  alarmCacheReplicationLagSeconds: { doc: 'ReplicationLag level on replicas, seconds', default: 10, range: { min: 1, max: 3600 } },
  alarmCacheSwapMiB: { doc: 'SwapUsage level, MiB', default: 50, range: { min: 1, max: 1_048_576 } },
  alarmCacheEvictionsPerMinute: { doc: 'Evictions per minute above which the alarm fires', default: 0, range: PER_MINUTE },
  alarmCacheShapedPacketsPerMinute: {
    doc: 'NetworkBandwidthOutAllowanceExceeded (shaped packets) per minute above which the alarm fires',
    default: 0,
    range: PER_MINUTE,
  },
  alarmTaskCpuPercent: { doc: 'ECS service CPUUtilization level, percent; above targetCpuPercent', default: 80, range: PERCENT },
  alarmTaskMemoryPercent: { doc: 'ECS service MemoryUtilization level, percent', default: 80, range: PERCENT },
  alarmUnhealthyTargets: {
    doc: 'UnHealthyHostCount above which the warning fires; below maxTasks',
    default: 0,
    range: { min: 0, max: SOCKET_SERVICE_LIMITS.taskCount.max - 1 },
  },
  alarmElb5xxPerMinute: {
    doc: 'HTTPCode_ELB_5XX_Count per minute above which the alarm fires (part of the paging alarm)',
    default: 10,
    range: PER_MINUTE,
  },
  alarmTarget5xxPerMinute: { doc: 'HTTPCode_Target_5XX_Count per minute above which the alarm fires', default: 10, range: PER_MINUTE },
  alarmRejectedConnectionsPerMinute: {
    doc: 'RejectedConnectionCount per minute above which the alarm fires',
    default: 0,
    range: PER_MINUTE,
  },
  alarmRedisAdapterErrorsPerMinute: {
    doc: 'RedisAdapterErrors per minute (all tasks) above which the alarm fires',
    default: 10,
    range: PER_MINUTE,
  },
  alarmEventLoopDelayMs: {
    doc: 'EventLoopDelayP99 (worst task) level, ms; below pingTimeoutMs',
    default: 200,
    range: { min: 1, max: SOCKET_SERVICE_LIMITS.pingTimeoutMs.max },
  },
  // The backend API (docs/api.md): counts over all tasks.
  alarmApi5xxPerMinute: { doc: 'ApiRequests5xx per minute (all tasks) above which the alarm fires', default: 5, range: PER_MINUTE },
  alarmApiUnauthorizedPerMinute: {
    doc: 'ApiRequestsUnauthorized (401) per minute above which the alarm fires',
    default: 30,
    range: PER_MINUTE,
  },
  alarmApiThrottledPerMinute: { doc: 'ApiRequestsThrottled (429) per minute above which the alarm fires', default: 10, range: PER_MINUTE },
  alarmApiPublishLatencyMs: { doc: 'ApiPublishLatency p99 level, ms', default: 250, range: { min: 1, max: 60_000 } },
  alarmPresenceTimeoutsPerMinute: {
    doc: 'PresenceQueryTimeouts per minute above which the alarm fires',
    default: 0,
    range: PER_MINUTE,
  },
} as const satisfies Record<string, ThresholdSpec>;

export type ThresholdKey = keyof typeof MONITORING_THRESHOLDS;
export const THRESHOLD_KEYS = Object.keys(MONITORING_THRESHOLDS) as ThresholdKey[];

/** Keys without a default: Monitoring derives them (host CPU from the node type, connections from maxTasks). */
export type DerivedThresholdKey = {
  [K in ThresholdKey]: (typeof MONITORING_THRESHOLDS)[K] extends { readonly default: number } ? never : K;
}[ThresholdKey];

/** Alarm levels, under the deployment config's names; each key's doc, default and range are in MONITORING_THRESHOLDS. */
export type MonitoringThresholds = { readonly [K in ThresholdKey]?: number };
/** Every level settled. */
export type ResolvedThresholds = { readonly [K in ThresholdKey]: number };
/** The levels with a default: set in a resolved deployment config, where the derived ones may be unset. */
export type SetThresholds = { readonly [K in Exclude<ThresholdKey, DerivedThresholdKey>]: number };

/** The threshold keys of `source` (the deployment config, say), and nothing else. */
export function pickThresholds(source: MonitoringThresholds): MonitoringThresholds {
  return Object.fromEntries(THRESHOLD_KEYS.map((key) => [key, source[key]]));
}

/** Each level: the given one, else the table's default, else the derived one; settled once. */
export function settleThresholds(
  given: MonitoringThresholds,
  derived: { readonly [K in DerivedThresholdKey]: () => number },
): ResolvedThresholds {
  const level = (key: ThresholdKey): number => {
    const spec: ThresholdSpec = MONITORING_THRESHOLDS[key];
    return given[key] ?? spec.default ?? derived[key as DerivedThresholdKey]();
  };
  return Object.fromEntries(THRESHOLD_KEYS.map((key) => [key, level(key)])) as ResolvedThresholds;
}

/** Each level within its range. */
export function thresholdRangeProblems(th: ResolvedThresholds, name: (key: ThresholdKey) => string): Problem[] {
  return THRESHOLD_KEYS.map((key) => rangeProblem(name(key), th[key], MONITORING_THRESHOLDS[key].range));
}

/**
 * The rules between levels: a warning below its critical level, and an unhealthy-target level
 * below maxTasks (the alarm fires above it, and there are never more targets than tasks).
 */
export function thresholdRuleProblems(th: SetThresholds, maxTasks: number, name: (key: ThresholdKey) => string): Problem[] {
  const below = (warning: keyof SetThresholds, critical: keyof SetThresholds): Problem =>
    th[warning] >= th[critical] ? `${name(warning)} (${th[warning]}) must be below ${name(critical)} (${th[critical]})` : undefined;
  return [
    below('alarmCacheEngineCpuWarningPercent', 'alarmCacheEngineCpuCriticalPercent'),
    below('alarmCachePubSubLatencyWarningMicros', 'alarmCachePubSubLatencyCriticalMicros'),
    rangeProblem(name('alarmUnhealthyTargets'), th.alarmUnhealthyTargets, { min: 0, max: Math.max(0, maxTasks - 1) }),
  ];
}
